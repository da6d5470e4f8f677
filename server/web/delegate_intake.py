"""The host's delegate list: imported from the Front's spreadsheet as the opinions are (upload and
preview, map the sites, see who is already invited, confirm), each site's composition targets, and
what is still missing. Phone numbers are shown here, behind the host's link, and nowhere public."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
)

from server.core.commands import (
    MAX_ATTENDANCE,
    MAX_NAME,
    Command,
    CompositionDraft,
    DelegateDraft,
    EditDelegate,
    InviteDelegates,
    SetComposition,
    UninviteDelegate,
)
from server.core.delegates import attendance_of, delegates_by_site
from server.core.events import CompositionTarget, Gender
from server.core.rules import N_, Rejected
from server.core.state import Delegate, MeetingState, Site
from server.core.textmatch import fold
from server.intake.delegates import DelegateIntakeResult, DelegateRow
from server.intake.opinions import IntakeProblem, site_key
from server.intake.worker import UploadParser
from server.live.runtime import MeetingRuntime
from server.papers.delegates import delegates_xlsx
from server.web.import_steps import (
    MAX_UPLOAD,
    Confirm,
    Confirmed,
    ImportSteps,
    Plan,
    SiteValue,
    UploadPreview,
    file_hash,
    host_access,
    match_sites,
    refusal_status,
)
from server.web.pages import html, language, services_of

GROUP = "group:"  # the key of a residential group standing in for a site the file does not name
NOWHERE = "nowhere"  # the key of the rows that name neither a site nor a group
PREVIEW_SHOWN = 1000  # rows drawn in the preview; the counts above it cover them all
BLANK_GROUPS = 3  # empty residential-group lines on the composition form

CHOOSE_SITE = N_('Choose a site for "{value}", or leave those delegates out.')
CHOOSE_SITE_NOWHERE = N_(
    "Choose a site for the delegates whose site and residential group are not written, or leave"
    " them out."
)
ALL_ALREADY = N_("Every delegate in this file is already on the list; nothing was imported.")
NOTHING = N_("There is no delegate to import.")
YEAR_AFTER = N_("{value} is not a year of birth.")
NO_SUCH_SITE = N_("No site {site_id}.")
NOT_A_COUNT = N_('{field}: "{value}" is not a whole number from 0 to {limit}.')
MORE_THAN_TOTAL = N_("{field} ({value}) cannot be more than the number of delegates ({total}).")
GROUPS_MORE_THAN_TOTAL = N_(
    "The residential groups' delegates add up to {value}, more than the number of delegates"
    " ({total})."
)
GROUP_WITHOUT_NAME = N_("A number ({value}) is given without the name of its residential group.")
GROUP_TOO_LONG = N_("{field} is too long: at most {limit} characters.")
GROUP_TWICE = N_('The residential group "{value}" is given twice.')
DELEGATES, WOMEN, UNDER_35, GROUP_FIELD = (
    N_("Delegates"),
    N_("Women"),
    N_("Under 35"),
    N_("Residential group"),
)


# -- the preview --------------------------------------------------------------------------------


def row_key(row: DelegateRow) -> str:
    """Which value of the mapping step a row belongs to: its site as written, else its group."""
    if site_key(row.site):
        return site_key(row.site)
    if site_key(row.group):
        return GROUP + site_key(row.group)
    return NOWHERE


class DelegatePreview(UploadPreview):
    """What the person saw; confirming invites exactly these delegates."""

    result: DelegateIntakeResult


class _Cell(NamedTuple):
    """A residential group's name in the place of a site, for `match_sites`."""

    line: int
    site: str


def match_delegate_sites(
    rows: list[DelegateRow], state: MeetingState, remembered: dict[str, str]
) -> list[SiteValue]:
    """Each distinct site in the file, matched by its name as the opinions' are. A delegate with
    no site written goes by their residential group, only ever proposed (a group's name is a hint,
    not a site); one with neither is asked about too. Only answers naming a site are remembered
    across the two imports ("none" does not mean the same in both)."""
    answers = {k: v for k, v in remembered.items() if v}
    values = match_sites([r for r in rows if site_key(r.site)], state, answers)
    by_group = {k.removeprefix(GROUP): v for k, v in answers.items() if k.startswith(GROUP)}
    groups = [_Cell(r.line, r.group) for r in rows if row_key(r).startswith(GROUP)]
    values += [_from_group(value) for value in match_sites(groups, state, by_group)]
    nowhere = [r.line for r in rows if row_key(r) == NOWHERE]
    if nowhere:
        values.append(SiteValue("", NOWHERE, nowhere))
    return values


def _from_group(value: SiteValue) -> SiteValue:
    key = GROUP + value.key
    if not value.matched:
        return msgspec.structs.replace(value, key=key)
    return msgspec.structs.replace(
        value,
        key=key,
        site_id=None,
        matched=False,
        proposed=value.site_id,
        proposed_by="suggested",
    )


SiteStatus = Literal["matched", "mapped", "left_out", "pending"]
Identity = tuple[str, str, str]


class PreviewDelegate(msgspec.Struct, frozen=True):
    """One delegate as they would be invited: the site resolved."""

    line: int
    name: str
    group: str
    gender: Gender
    birth_year: int | None
    age: str
    position: str
    phone: str
    site_written: str
    from_group: bool  # no site written: the site was chosen for the residential group
    site_id: str | None
    site_name: str
    site_status: SiteStatus
    already: bool  # the same file, or the same person (name, group, site), is on the list
    twice: bool  # the same person is on an earlier line of this file

    def draft(self, site_id: str) -> DelegateDraft:
        return DelegateDraft(
            name=self.name,
            site_id=site_id,
            group=self.group,
            gender=self.gender,
            birth_year=self.birth_year,
            position=self.position,
            phone=self.phone,
        )


def identity(name: str, group: str, site_id: str) -> Identity:
    """Who a delegate is, spelling aside: the same name, group and site is the same person."""
    return (fold(name), site_key(group), site_id)


def _invited(state: MeetingState) -> dict[Identity, set[int | None]]:
    """Everyone on the list, with the years of birth each identity has (None: not known)."""
    known: dict[Identity, set[int | None]] = {}
    for d in state.delegates:
        who = identity(d.record.name, d.record.group, d.record.site_id)
        known.setdefault(who, set()).add(d.record.birth_year)
    return known


def _same(years: set[int | None] | None, year: int | None) -> bool:
    """Two people of one name, group and site born in different years are two people."""
    return years is not None and (year is None or None in years or year in years)


def preview_rows(
    preview: DelegatePreview, state: MeetingState, file_seen: bool
) -> list[PreviewDelegate]:
    """The delegates as they would be invited now (the list may have changed since the upload)."""
    names = {site.site_id: site.name for site in state.sites}
    values = {value.key: value for value in preview.sites}
    invited = _invited(state)
    seen: dict[Identity, set[int | None]] = {}
    rows = []
    for row in preview.result.rows:
        value = values[row_key(row)]
        status = _status(value)
        site_id = value.site_id if status in ("matched", "mapped") else None
        who = identity(row.name, row.group, site_id) if site_id else None
        rows.append(
            PreviewDelegate(
                line=row.line,
                name=row.name,
                group=row.group,
                gender=row.gender,
                birth_year=row.birth_year,
                age=row.age,
                position=row.position,
                phone=row.phone,
                site_written=row.site or row.group,
                from_group=not site_key(row.site) and bool(site_key(row.group)),
                site_id=site_id,
                site_name=names.get(site_id, "") if site_id else "",
                site_status=status,
                already=who is not None and (file_seen or _same(invited.get(who), row.birth_year)),
                twice=who is not None and _same(seen.get(who), row.birth_year),
            )
        )
        if who is not None:
            seen.setdefault(who, set()).add(row.birth_year)
    return rows


def _status(value: SiteValue) -> SiteStatus:
    if value.matched:
        return "matched"
    if value.pending:
        return "pending"
    return "mapped" if value.site_id else "left_out"


def meeting_year(state: MeetingState) -> int | None:
    try:
        return date.fromisoformat(state.info.date).year if state.info else None
    except ValueError:
        return None


def year_problems(rows: list[DelegateRow], state: MeetingState) -> list[IntakeProblem]:
    """A year of birth after the meeting's year (the reader knows no meeting)."""
    year = meeting_year(state)
    return [
        IntakeProblem(row.line, YEAR_AFTER, {"value": str(row.birth_year)})
        for row in rows
        if year is not None and row.birth_year is not None and row.birth_year > year
    ]


# -- composition --------------------------------------------------------------------------------


class Measure(msgspec.Struct, frozen=True):
    """Invited against a target; `target` None is "not set", never 0. `unknown`: invited whose
    gender or year of birth the list does not give, so they may count and are not counted."""

    invited: int
    target: int | None
    unknown: int = 0

    @property
    def missing(self) -> int:
        return 0 if self.target is None else max(0, self.target - self.invited)

    @property
    def over(self) -> int:
        return 0 if self.target is None else max(0, self.invited - self.target)


class GroupMeasure(msgspec.Struct, frozen=True):
    group: str  # as the target names it, else as the list writes it
    measure: Measure


class SiteComposition(msgspec.Struct, frozen=True):
    site: Site
    total: Measure
    women: Measure
    under_35: Measure
    groups: list[GroupMeasure]  # the targeted groups first, then the others with delegates
    has_target: bool

    @property
    def complete(self) -> bool:
        """Every target set here is reached."""
        measures = [self.total, self.women, self.under_35, *(g.measure for g in self.groups)]
        return self.has_target and not any(m.missing for m in measures)


class Totals(msgspec.Struct, frozen=True):
    """One figure over every site: the targets that are set summed, `unset` the sites without
    one, `missing` each site's shortfall summed (a surplus at one site fills no gap at another)."""

    invited: int
    target: int | None
    unset: int
    missing: int


def _measure(invited: int, target: int | None, unknown: int = 0) -> Measure:
    return Measure(invited, target, unknown)


def site_composition(state: MeetingState, site: Site) -> SiteComposition:
    attendance = attendance_of(state, site.site_id)
    delegates = delegates_by_site(state).get(site.site_id, [])
    target = attendance.target or CompositionTarget()
    invited = attendance.invited
    return SiteComposition(
        site=site,
        total=_measure(invited.total, target.total),
        women=_measure(invited.women, target.women, sum(not d.record.gender for d in delegates)),
        under_35=_measure(
            invited.under_35,
            target.under_35,
            sum(d.record.birth_year is None for d in delegates),
        ),
        groups=_group_measures(delegates, target),
        has_target=attendance.target is not None
        and (
            target.total is not None
            or target.women is not None
            or target.under_35 is not None
            or bool(target.by_group)
        ),
    )


def _group_measures(delegates: list[Delegate], target: CompositionTarget) -> list[GroupMeasure]:
    """Groups compared by their names spelling aside: "Tổ 1" is the target's "Tổ dân phố số 1"."""
    counts: dict[str, int] = {}
    written: dict[str, str] = {}
    for d in delegates:
        key = site_key(d.record.group)
        counts[key] = counts.get(key, 0) + 1
        written.setdefault(key, d.record.group)
    targeted = [
        GroupMeasure(group, _measure(counts.pop(site_key(group), 0), count))
        for group, count in target.by_group
    ]
    others = [
        GroupMeasure(written[key], _measure(count, None))
        for key, count in sorted(counts.items(), key=lambda item: fold(written[item[0]]))
        if key
    ]
    return targeted + others


def composition_table(state: MeetingState) -> list[SiteComposition]:
    return [site_composition(state, site) for site in state.sites]


def totals(measures: list[Measure]) -> Totals:
    targets = [m.target for m in measures if m.target is not None]
    return Totals(
        invited=sum(m.invited for m in measures),
        target=sum(targets) if targets else None,
        unset=len(measures) - len(targets),
        missing=sum(m.missing for m in measures),
    )


class CompositionForm(msgspec.Struct, frozen=True):
    """The targets form for one site, as saved or as just sent back (strings, kept as typed)."""

    site: Site
    total: str
    women: str
    under_35: str
    groups: list[tuple[str, str]]  # (group, count), the blank lines included


def composition_form(state: MeetingState, site: Site) -> CompositionForm:
    """The site's targets, and a line for each group that has delegates or a target there."""
    target = dict(state.composition).get(site.site_id) or CompositionTarget()
    lines = [(group, str(count)) for group, count in target.by_group]
    targeted = {site_key(group) for group, _ in target.by_group}
    delegates = delegates_by_site(state).get(site.site_id, [])
    lines += [
        (measure.group, "")
        for measure in _group_measures(delegates, target)
        if site_key(measure.group) not in targeted
    ]
    return CompositionForm(
        site=site,
        total=_shown(target.total),
        women=_shown(target.women),
        under_35=_shown(target.under_35),
        groups=lines + [("", "")] * BLANK_GROUPS,
    )


def _shown(count: int | None) -> str:
    return "" if count is None else str(count)


def read_composition(form: dict[str, str]) -> CompositionDraft | list[IntakeProblem]:
    """The form's targets: an empty box is "not set"; a bad one is a problem, nothing is saved."""
    problems: list[IntakeProblem] = []

    def count(field: str, raw: str) -> int | None:
        typed = "".join(raw.split())
        if not typed:
            return None
        if typed.isdecimal() and typed.isascii() and int(typed) <= MAX_ATTENDANCE:
            return int(typed)
        params: dict[str, str | int] = {"field": field, "value": raw[:40], "limit": MAX_ATTENDANCE}
        problems.append(IntakeProblem(0, NOT_A_COUNT, params))
        return None

    total = count(DELEGATES, form.get("total", ""))
    women = count(WOMEN, form.get("women", ""))
    under_35 = count(UNDER_35, form.get("under_35", ""))
    by_group = _read_groups(form, count, problems)
    if total is not None:
        for field, value in ((WOMEN, women), (UNDER_35, under_35)):
            if value is not None and value > total:
                params: dict[str, str | int] = {"field": field, "value": value, "total": total}
                problems.append(IntakeProblem(0, MORE_THAN_TOTAL, params))
        grouped = sum(n for _, n in by_group)
        if grouped > total:
            problems.append(
                IntakeProblem(0, GROUPS_MORE_THAN_TOTAL, {"value": grouped, "total": total})
            )
    if problems:
        return problems
    return CompositionDraft(total=total, women=women, under_35=under_35, by_group=by_group)


def _read_groups(
    form: dict[str, str],
    count: Callable[[str, str], int | None],
    problems: list[IntakeProblem],
) -> list[tuple[str, int]]:
    """The form's lines of residential groups: a group without a number has no target."""
    by_group: list[tuple[str, int]] = []
    seen: set[str] = set()
    index = 0
    while f"group-{index}" in form or f"count-{index}" in form:
        group = " ".join(form.get(f"group-{index}", "").split())
        raw = form.get(f"count-{index}", "")
        index += 1
        number = count(group or GROUP_FIELD, raw)
        if number is None:
            continue  # an empty number: no target for this group
        if not group:
            problems.append(IntakeProblem(0, GROUP_WITHOUT_NAME, {"value": number}))
        elif len(group) > MAX_NAME:
            params: dict[str, str | int] = {"field": GROUP_FIELD, "limit": MAX_NAME}
            problems.append(IntakeProblem(0, GROUP_TOO_LONG, params))
        elif site_key(group) in seen:
            problems.append(IntakeProblem(0, GROUP_TWICE, {"value": group}))
        else:
            seen.add(site_key(group))
            by_group.append((group, number))
    return by_group


def form_as_sent(site: Site, form: dict[str, str]) -> CompositionForm:
    groups = []
    index = 0
    while f"group-{index}" in form or f"count-{index}" in form:
        groups.append((form.get(f"group-{index}", ""), form.get(f"count-{index}", "")))
        index += 1
    return CompositionForm(
        site=site,
        total=form.get("total", ""),
        women=form.get("women", ""),
        under_35=form.get("under_35", ""),
        groups=groups,
    )


# -- pages --------------------------------------------------------------------------------------


def _page(
    request: Request[Any, Any, Any],
    runtime: MeetingRuntime,
    key: str,
    status: int = 200,
    problems: list[IntakeProblem] | None = None,
    **context: Any,
) -> Response[str]:
    services, lang = services_of(request), language(request)
    state = runtime.state
    shown = [(p.line, services.message(lang, p.message, p.params)) for p in problems or []]
    context.setdefault("preview", None)
    context.setdefault("editing", None)
    context.setdefault("form_problems", [])
    context.setdefault("list_problems", [])
    context.setdefault("sites", state.sites)  # where a delegate on the list may be moved
    listed = context.pop("listed", None) or state.site(request.query_params.get("list", ""))
    table = composition_table(state)
    response = html(
        request,
        "delegates.html",
        info=state.info,
        meeting_id=runtime.meeting_id,
        key=key,
        problems=shown,
        notice=_notice(request, state),
        composition=table,
        totals={
            "total": totals([s.total for s in table]),
            "women": totals([s.women for s in table]),
            "under_35": totals([s.under_35 for s in table]),
        },
        invited=len(state.delegates),
        listed=listed,
        listed_delegates=delegates_by_site(state).get(listed.site_id, []) if listed else [],
        **context,
    )
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # the list has phone numbers
    return response


def _notice(request: Request[Any, Any, Any], state: MeetingState) -> dict[str, Any]:
    query = request.query_params
    saved = state.site(query.get("saved", ""))
    counts = {name: query.get(name, "") for name in ("imported", "skipped", "left_out")}
    return {
        **{name: int(v) if v.isdecimal() else 0 for name, v in counts.items()},
        "shown": query.get("imported", "").isdecimal(),
        "saved": saved,
    }


class DelegateImport(ImportSteps[DelegatePreview]):
    path = "delegates"
    name = "delegates-"
    preview_type = DelegatePreview
    choose_site = CHOOSE_SITE

    def page(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        key: str,
        status: int = 200,
        problems: list[IntakeProblem] | None = None,
        **context: Any,
    ) -> Response[str]:
        return _page(request, runtime, key, status, problems, **context)

    async def read(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        upload: UploadFile,
        content: bytes,
        remembered: dict[str, str],
    ) -> DelegatePreview:
        parser: UploadParser = request.app.state.uploads
        result = await parser.parse_delegates(content, upload.filename or "")
        problems = [*result.problems, *year_problems(result.rows, runtime.state)]
        return DelegatePreview(
            filename=upload.filename or "",
            file_hash=file_hash(content),
            result=result,
            problems=sorted(problems, key=lambda p: p.line),
            sites=match_delegate_sites(result.rows, runtime.state, remembered),
        )

    def rows(
        self, preview: DelegatePreview, state: MeetingState, file_seen: bool
    ) -> list[PreviewDelegate]:
        return preview_rows(preview, state, file_seen)

    def unanswered(self, value: SiteValue) -> IntakeProblem:
        if value.key == NOWHERE:
            return IntakeProblem(0, CHOOSE_SITE_NOWHERE)
        return super().unanswered(value)

    def preview_context(
        self,
        request: Request[Any, Any, Any],
        preview: DelegatePreview,
        rows: Sequence[PreviewDelegate],
    ) -> dict[str, Any]:
        return {
            "notes": _messages(request, preview.result.notes),
            "rows": rows[:PREVIEW_SHOWN],
            "total": len(rows),
            "left_out": sum(row.site_status == "left_out" for row in rows),
            "twice": sum(row.twice for row in rows),
            "no_year": sum(row.birth_year is None for row in rows),
            "no_gender": sum(not row.gender for row in rows),
        }

    def plan(self, rows: Sequence[PreviewDelegate], import_again: bool) -> Plan:
        placed = [row for row in rows if row.site_id]
        chosen = [row for row in placed if import_again or not row.already]
        drafts = [row.draft(row.site_id or "") for row in chosen]
        command = InviteDelegates(delegates=drafts) if chosen else None
        done = Confirmed(len(chosen), len(placed) - len(chosen), len(rows) - len(placed))
        return Plan(command, done, ALL_ALREADY if placed else NOTHING, [r.line for r in chosen])

    def remembered_answers(self, preview: DelegatePreview) -> dict[str, str]:
        # Only the sites chosen: "none" does not mean the same for the opinions' import.
        return {s.key: s.site_id for s in preview.sites if s.chosen and s.site_id}

    def imported_url(self, meeting_id: str, key: str, done: Confirmed) -> str:
        query = f"imported={done.imported}&skipped={done.skipped}&left_out={done.left_out}"
        return f"/m/{meeting_id}/host/{key}/delegates?{query}#composition"


DELEGATES_IMPORT = DelegateImport()


@get("/m/{meeting_id:str}/host/{key:str}/delegates", name="delegates_page")
async def delegates_page(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> Response[str]:
    """The list's page: its import, the composition table, a site's targets or its list."""
    _, runtime, _ = await host_access(request, meeting_id, key)
    state = runtime.state
    token = request.query_params.get("preview")
    if token is None:
        editing = state.site(request.query_params.get("site", ""))
        form = composition_form(state, editing) if editing else None
        return _page(request, runtime, key, editing=form)
    return await DELEGATES_IMPORT.show(request, runtime, key, token)


@get("/m/{meeting_id:str}/host/{key:str}/delegates.xlsx", name="delegates_export")
async def delegates_export(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> Response[bytes]:
    """The delegate list with the doors' check-ins, phone numbers included: the host's key only."""
    _, runtime, _ = await host_access(request, meeting_id, key)
    state = runtime.state
    names = {site.site_id: site.name for site in state.sites}
    content = delegates_xlsx(state.delegates, names)
    date = state.info.date if state.info else meeting_id
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="danh-sach-dai-bieu-{date}.xlsx"'},
    )


@post(
    "/m/{meeting_id:str}/host/{key:str}/delegates",
    name="delegates_upload",
    request_max_body_size=MAX_UPLOAD,
    status_code=200,
)
async def delegates_upload(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[str]:
    return await DELEGATES_IMPORT.upload(request, meeting_id, key, data)


@post("/m/{meeting_id:str}/host/{key:str}/delegates/sites", name="delegates_sites")
async def delegates_sites(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    return await DELEGATES_IMPORT.map_sites(request, meeting_id, key, data)


@post("/m/{meeting_id:str}/host/{key:str}/delegates/confirm", name="delegates_confirm")
async def delegates_confirm(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[Confirm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    return await DELEGATES_IMPORT.confirm(request, meeting_id, key, data)


@post("/m/{meeting_id:str}/host/{key:str}/delegates/composition", name="delegates_composition")
async def delegates_composition(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    """A site's composition targets, as the form sends them: all saved, or none."""
    _, runtime, actor = await host_access(request, meeting_id, key)
    site = runtime.state.site(data.get("site", ""))
    if site is None:
        problem = IntakeProblem(0, NO_SUCH_SITE, {"site_id": data.get("site", "")[:64]})
        return _page(request, runtime, key, HTTP_400_BAD_REQUEST, [problem])
    draft = read_composition(data)
    if isinstance(draft, list):
        return _page(
            request,
            runtime,
            key,
            HTTP_400_BAD_REQUEST,
            editing=form_as_sent(site, data),
            form_problems=_messages(request, draft),
        )
    command = SetComposition(site_id=site.site_id, target=draft)
    outcome = await runtime.execute(command, actor, f"composition-{secrets.token_urlsafe(12)}")
    if isinstance(outcome, Rejected):
        status = refusal_status(outcome)
        problem = IntakeProblem(0, outcome.message, outcome.params)
        return _page(
            request,
            runtime,
            key,
            status,
            editing=form_as_sent(site, data),
            form_problems=_messages(request, [problem]),
        )
    return Redirect(
        f"/m/{meeting_id}/host/{key}/delegates?saved={site.site_id}#composition", status_code=303
    )


DELEGATE_FIELDS = ("name", "site_id", "group", "gender", "birth_year", "position", "phone")


def _one_command(data: dict[str, str]) -> Command | str:
    """The command the list's row (or its "add" line) sends, or what is wrong with it."""
    action, delegate_id = data.get("action", ""), data.get("delegate_id", "")
    if action == "remove":
        return UninviteDelegate(delegate_id=delegate_id[:64])
    fields: dict[str, Any] = {name: data.get(name, "").strip() for name in DELEGATE_FIELDS}
    year = fields.pop("birth_year")
    if year and not year.isdecimal():
        return N_("The year of birth must be a number, e.g. 1962.")
    try:
        draft = msgspec.convert(
            {**fields, "birth_year": int(year) if year else None}, DelegateDraft
        )
    except msgspec.ValidationError:
        return N_("Check the delegate's details: the name and the site are required.")
    if action == "add":
        return InviteDelegates(delegates=[draft])
    if action == "save":
        return EditDelegate(delegate_id=delegate_id[:64], delegate=draft)
    return N_("Choose to save, add or remove the delegate.")


@post("/m/{meeting_id:str}/host/{key:str}/delegates/one", name="delegates_one")
async def delegates_one(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    """One delegate added by hand, corrected or taken off the list, from the site's list."""
    services, runtime, actor = await host_access(request, meeting_id, key)
    state = runtime.state
    site = state.site(data.get("site_id", "")) or state.site(data.get("list", ""))
    command = _one_command(data)
    if isinstance(command, str):
        problem = services.message(language(request), command)
        return _page(
            request, runtime, key, HTTP_400_BAD_REQUEST, listed=site, list_problems=[problem]
        )
    outcome = await runtime.execute(command, actor, f"delegate-{secrets.token_urlsafe(12)}")
    if isinstance(outcome, Rejected):
        status = refusal_status(outcome)
        problem = services.message(language(request), outcome.message, outcome.params)
        return _page(request, runtime, key, status, listed=site, list_problems=[problem])
    shown = site.site_id if site else ""
    return Redirect(
        f"/m/{meeting_id}/host/{key}/delegates?list={shown}#delegate-list", status_code=303
    )


def _messages(request: Request[Any, Any, Any], problems: list[IntakeProblem]) -> list[str]:
    services, lang = services_of(request), language(request)
    return [services.message(lang, p.message, p.params) for p in problems]
