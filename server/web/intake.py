"""Importing the Front's spreadsheet: upload and preview, map the sites the meeting does not know,
see what is already imported, confirm one import."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.stores.base import Store

from server.core.commands import Actor, ImportQuestions, PriorOutcomeDraft, QuestionDraft
from server.core.events import Body as AnsweringBody
from server.core.events import Level
from server.core.rules import N_, Rejected
from server.core.state import MeetingState
from server.core.textmatch import fold
from server.intake.opinions import IntakeProblem, IntakeResult, IntakeRow, site_key, suggest_site
from server.intake.outcome import OutcomeReading, read_outcome
from server.intake.worker import UploadParser
from server.live.runtime import Accepted, MeetingRuntime
from server.web.pages import html, language, meeting_or_404, services_of
from server.web.services import Services

MAX_UPLOAD = 6 * 1024 * 1024
PREVIEW_SECONDS = 3600
STORE = "intake"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
UNASSIGNED = "none"  # the mapping form's value for "leave these rows without a site"
# What the desk puts in a question nobody classified (templates/live/secretary/questions.html).
DESK = QuestionDraft(text="-")

EXPIRED = N_("This preview has expired or does not exist; upload the file again.")
NO_FILE = N_("Choose a file to upload.")
NO_FIELD = N_("No field named {value} in this meeting.")
CHOOSE_SITE = N_('Choose a site for "{value}", or leave its rows without a site.')
FOREIGN_SITE = N_('The site chosen for "{value}" is not a site of this meeting.')
MAP_FIRST = N_("Some sites in the file are not matched yet: choose a site for each first.")
BAD_CHOICE = N_('"{value}" is neither "skip" nor "import anyway".')
ALL_ALREADY = N_("Every opinion in this file is already in the meeting; nothing was imported.")
NOTHING = N_("There is no opinion to import.")


class SiteValue(msgspec.Struct):
    """One distinct "Điểm cầu" value of the file, and the site its rows go to.

    `matched`: the name is a site's, spelling aside; nobody is asked. Otherwise the person
    answers in the mapping step (`chosen`): a site, or none (`site_id` None). `proposed` is
    what the form shows selected until then: the last import's answer, or a likely site.
    """

    written: str
    key: str
    lines: list[int]
    site_id: str | None = None
    matched: bool = False
    chosen: bool = False
    proposed: str | None = None
    proposed_by: Literal["", "suggested", "remembered"] = ""

    @property
    def pending(self) -> bool:
        return not self.matched and not self.chosen


class Preview(msgspec.Struct):
    """What the person saw; confirming imports exactly these rows (a new file, a new preview)."""

    filename: str
    file_hash: str
    result: IntakeResult
    problems: list[IntakeProblem]
    sites: list[SiteValue]

    def site_of(self, row: IntakeRow) -> SiteValue | None:
        key = site_key(row.site)
        return next((s for s in self.sites if s.key == key), None) if row.site else None

    @property
    def pending(self) -> list[SiteValue]:
        return [s for s in self.sites if s.pending]

    @property
    def asked(self) -> list[SiteValue]:
        """The values the mapping step is about: every one not matched by its name."""
        return [s for s in self.sites if not s.matched]


class ImportedFile(msgspec.Struct, frozen=True):
    """A file imported into a meeting, kept by its hash: the same bytes again are told so."""

    filename: str
    at: float
    count: int


SiteStatus = Literal["none", "matched", "mapped", "unassigned", "pending"]


class PreviewRow(msgspec.Struct, frozen=True):
    """One row as it would be imported: the site resolved, the desk's defaults filled in."""

    line: int
    text: str
    asker: str
    group: str
    site_written: str
    site_id: str | None
    site_name: str
    site_status: SiteStatus
    field: str
    body: AnsweringBody
    body_given: bool
    level: Level
    level_given: bool
    prepared_answer: str
    # The "Kết quả giải quyết" cell as written, and what it was read as (None: left to the
    # meeting; `outcome_understood` False: the cell said something else, left to the meeting too).
    outcome_text: str
    prior: PriorOutcomeDraft | None
    outcome_understood: bool
    already: bool  # the same file, or the same text, asker and site, is in the meeting

    def draft(self) -> QuestionDraft:
        return QuestionDraft(
            text=self.text,
            asker=self.asker,
            group=self.group,
            site_id=self.site_id,
            field=self.field,
            body=self.body,
            level=self.level,
            prepared_answer=self.prepared_answer,
            prior=self.prior,
        )


# -- matching -----------------------------------------------------------------------------------


class SiteCell(Protocol):
    """A row's "Điểm cầu" cell as written: an opinion's, or a delegate's."""

    @property
    def line(self) -> int: ...

    @property
    def site(self) -> str: ...


def match_sites(
    rows: Sequence[SiteCell], state: MeetingState, remembered: dict[str, str]
) -> list[SiteValue]:
    """Every distinct site value in the file, matched to a site by its name where it can be."""
    names = {site.site_id: site.name for site in state.sites}
    by_key: dict[str, list[str]] = {}
    for site_id, name in names.items():
        by_key.setdefault(site_key(name), []).append(site_id)
    values: dict[str, SiteValue] = {}
    for row in rows:
        if not row.site:
            continue
        key = site_key(row.site)
        if key in values:
            values[key].lines.append(row.line)
            continue
        found = by_key.get(key, [])
        value = SiteValue(row.site, key, [row.line])
        if len(found) == 1:  # two sites named alike: the person says which
            value.site_id, value.matched = found[0], True
        elif key in remembered and (remembered[key] in names or remembered[key] == ""):
            value.proposed, value.proposed_by = remembered[key] or None, "remembered"
        else:
            value.proposed = suggest_site(row.site, names)
            value.proposed_by = "suggested" if value.proposed else ""
        values[key] = value
    return list(values.values())


def field_problems(rows: list[IntakeRow], state: MeetingState) -> list[IntakeProblem]:
    fields = {fold(f) for f in state.fields}
    return [
        IntakeProblem(row.line, NO_FIELD, {"value": row.field})
        for row in rows
        if row.field and fold(row.field) not in fields
    ]


def _question_keys(state: MeetingState) -> set[tuple[str, str, str | None]]:
    keys = set()
    for question in state.questions:
        own = question.askers[0].name if question.own_asker and question.askers else ""
        keys.add((fold(question.text), fold(own), question.site_id))
    return keys


def _outcome(cell: str, prepared_answer: str, state: MeetingState) -> OutcomeReading:
    """The cell read as an outcome before the meeting. A date after the meeting's cannot be the
    date of an answer before it: read as no date, rather than refusing the whole import."""
    reading = read_outcome(cell, prepared_answer)
    held = state.info.date if state.info else ""
    if reading.prior is not None and reading.prior.on and held and reading.prior.on > held:
        return OutcomeReading(msgspec.structs.replace(reading.prior, on=""), reading.understood)
    return reading


def preview_rows(preview: Preview, state: MeetingState, file_seen: bool) -> list[PreviewRow]:
    """The rows as they would be imported now (the meeting may have changed since the upload)."""
    names = {site.site_id: site.name for site in state.sites}
    fields = {fold(f): f for f in state.fields}
    existing = _question_keys(state)
    rows = []
    for row in preview.result.rows:
        value = preview.site_of(row)
        site_id = value.site_id if value is not None else None
        status: SiteStatus = "none"
        if value is not None:
            status = "matched" if value.matched else "pending" if value.pending else "mapped"
            if status == "mapped" and site_id is None:
                status = "unassigned"
        same = (fold(row.text), fold(row.asker), site_id) in existing
        rows.append(
            PreviewRow(
                line=row.line,
                text=row.text,
                asker=row.asker,
                group=row.group,
                site_written=row.site,
                site_id=site_id,
                site_name=names.get(site_id, "") if site_id else "",
                site_status=status,
                field=fields.get(fold(row.field), ""),
                body=row.body or DESK.body,
                body_given=row.body is not None,
                level=row.level or DESK.level,
                level_given=row.level is not None,
                prepared_answer=row.prepared_answer,
                outcome_text=row.outcome_text,
                prior=(reading := _outcome(row.outcome_text, row.prepared_answer, state)).prior,
                outcome_understood=reading.understood,
                already=status != "pending" and (file_seen or same),
            )
        )
    return rows


# -- the store ----------------------------------------------------------------------------------


def intake_store(request: Request[Any, Any, Any]) -> Store:
    return request.app.stores.get(STORE)


def _preview_key(meeting_id: str, token: str) -> str:
    return f"{meeting_id}:{token}"


def _file_key(meeting_id: str, file_hash: str) -> str:
    return f"imported:{meeting_id}:{file_hash}"


def _sites_key(meeting_id: str) -> str:
    return f"sites:{meeting_id}"


async def _save_preview(request: Request[Any, Any, Any], meeting_id: str, preview: Preview) -> str:
    token = secrets.token_urlsafe(16)
    await intake_store(request).set(
        _preview_key(meeting_id, token), msgspec.msgpack.encode(preview), PREVIEW_SECONDS
    )
    return token


async def _load_preview(
    request: Request[Any, Any, Any], meeting_id: str, token: str
) -> Preview | None:
    """None for an unknown, expired or malformed token: all three mean "upload again"."""
    if not TOKEN.fullmatch(token):
        return None
    stored = await intake_store(request).get(_preview_key(meeting_id, token))
    if stored is None:
        return None
    try:
        return msgspec.msgpack.decode(stored, type=Preview)
    except msgspec.DecodeError:  # written by an older version of this page
        return None


async def _imported_file(
    request: Request[Any, Any, Any], meeting_id: str, file_hash: str
) -> ImportedFile | None:
    stored = await intake_store(request).get(_file_key(meeting_id, file_hash))
    if stored is None:
        return None
    try:
        return msgspec.msgpack.decode(stored, type=ImportedFile)
    except msgspec.DecodeError:
        return None


async def remembered_sites(request: Request[Any, Any, Any], meeting_id: str) -> dict[str, str]:
    """The mapping step's last answers in this meeting: site key to site id ("" for none)."""
    stored = await intake_store(request).get(_sites_key(meeting_id))
    if stored is None:
        return {}
    try:
        return msgspec.msgpack.decode(stored, type=dict[str, str])
    except msgspec.DecodeError:
        return {}


async def _remember_import(
    request: Request[Any, Any, Any], meeting_id: str, preview: Preview, count: int
) -> None:
    """Kept without expiry, in the same store as previews (a file, or Redis for several workers);
    the rows themselves are also recognised from the meeting's questions if this is lost."""
    store = intake_store(request)
    record = ImportedFile(preview.filename, time.time(), count)
    await store.set(_file_key(meeting_id, preview.file_hash), msgspec.msgpack.encode(record))
    await remember_sites(
        request, meeting_id, {s.key: s.site_id or "" for s in preview.sites if s.chosen}
    )


async def remember_sites(
    request: Request[Any, Any, Any], meeting_id: str, answers: dict[str, str]
) -> None:
    """The mapping step's answers, proposed the next time (the delegate list's import too)."""
    remembered = await remembered_sites(request, meeting_id)
    remembered.update(answers)
    await intake_store(request).set(_sites_key(meeting_id), msgspec.msgpack.encode(remembered))


# -- pages --------------------------------------------------------------------------------------


def refusal_status(rejected: Rejected) -> int:
    """A command the page sent was refused: try again later (the log is down, 503), or the
    command itself cannot be (409). Either way nothing changed."""
    return HTTP_503_SERVICE_UNAVAILABLE if rejected.retryable else HTTP_409_CONFLICT


async def host_access(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> tuple[Services, MeetingRuntime, Actor]:
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return services, runtime, actor


def local_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone().strftime("%H:%M %d/%m/%Y")


def _page(
    request: Request[Any, Any, Any],
    runtime: MeetingRuntime,
    key: str,
    status: int = 200,
    problems: list[IntakeProblem] | None = None,
    **context: Any,
) -> Response[str]:
    services, lang = services_of(request), language(request)
    shown = [(p.line, services.message(lang, p.message, p.params)) for p in problems or []]
    for name in ("imported", "skipped", "preview"):
        context.setdefault(name, None)
    response = html(
        request,
        "intake.html",
        info=runtime.state.info,
        meeting_id=runtime.meeting_id,
        key=key,
        problems=shown,
        **context,
    )
    response.status_code = status
    return response


async def _preview_page(
    request: Request[Any, Any, Any],
    runtime: MeetingRuntime,
    key: str,
    preview: Preview,
    token: str,
    *,
    status: int = 200,
    problems: list[IntakeProblem] | None = None,
    mapping: bool = False,
    answers: dict[str, str] | None = None,
) -> Response[str]:
    """The preview; the mapping step while a site is not matched (or when asked to change it)."""
    state = runtime.state
    earlier = await _imported_file(request, runtime.meeting_id, preview.file_hash)
    rows = preview_rows(preview, state, earlier is not None)
    return _page(
        request,
        runtime,
        key,
        status=status,
        problems=[*preview.problems, *(problems or [])],
        preview=preview,
        preview_token=token,
        rows=rows,
        mapping=mapping or bool(preview.pending),
        asked=preview.asked,
        asked_choices=[
            (i, value, selected_site(i, value, answers or {}))
            for i, value in enumerate(preview.sites)
            if not value.matched
        ],
        matched=[value for value in preview.sites if value.matched],
        sites=state.sites,
        site_names={site.site_id: site.name for site in state.sites},
        earlier=earlier,
        earlier_at=local_time(earlier.at) if earlier else "",
        already=sum(row.already for row in rows),
        has_outcome=any(row.outcome_text for row in rows),
        desk=DESK,
        body_defaulted=any(not row.body_given for row in rows),
        level_defaulted=any(not row.level_given for row in rows),
    )


def selected_site(index: int, value: SiteValue, answers: dict[str, str]) -> str:
    """What the mapping form shows chosen: the answer just sent back, the answer given, what
    the last import chose, or a likely site; "" (choose) if none."""
    if f"site-{index}" in answers:
        return answers[f"site-{index}"]
    if value.chosen:
        return value.site_id or UNASSIGNED
    if value.proposed_by == "remembered":
        return value.proposed or UNASSIGNED
    return value.proposed or ""


@get("/m/{meeting_id:str}/host/{key:str}/intake", name="intake_form")
async def intake_form(request: Request[Any, Any, Any], meeting_id: str, key: str) -> Response[str]:
    _, runtime, _ = await host_access(request, meeting_id, key)
    token = request.query_params.get("preview")
    if token is None:
        return _page(
            request,
            runtime,
            key,
            imported=request.query_params.get("imported"),
            skipped=request.query_params.get("skipped"),
        )
    preview = await _load_preview(request, meeting_id, token)
    if preview is None:
        return _page(request, runtime, key, HTTP_404_NOT_FOUND, [IntakeProblem(0, EXPIRED)])
    mapping = request.query_params.get("sites") == "1"
    return await _preview_page(request, runtime, key, preview, token, mapping=mapping)


@post(
    "/m/{meeting_id:str}/host/{key:str}/intake",
    name="intake_upload",
    request_max_body_size=MAX_UPLOAD,
    status_code=200,
)
async def intake_upload(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[str]:
    _, runtime, _ = await host_access(request, meeting_id, key)
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        return _page(request, runtime, key, HTTP_400_BAD_REQUEST, [IntakeProblem(0, NO_FILE)])
    content = await upload.read()
    parser: UploadParser = request.app.state.uploads
    result = await parser.parse(content, upload.filename or "")
    remembered = await remembered_sites(request, meeting_id)
    preview = Preview(
        filename=upload.filename or "",
        file_hash=hashlib.sha256(content).hexdigest(),
        result=result,
        problems=sorted(
            [*result.problems, *field_problems(result.rows, runtime.state)], key=lambda p: p.line
        ),
        sites=match_sites(result.rows, runtime.state, remembered),
    )
    token = await _save_preview(request, meeting_id, preview)
    return await _preview_page(request, runtime, key, preview, token)


@post("/m/{meeting_id:str}/host/{key:str}/intake/sites", name="intake_sites")
async def intake_sites(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    """The mapping step's answers: a new preview with them (the old one is left as it was)."""
    _, runtime, _ = await host_access(request, meeting_id, key)
    token = data.get("token", "")
    preview = await _load_preview(request, meeting_id, token)
    if preview is None:
        return _page(request, runtime, key, HTTP_404_NOT_FOUND, [IntakeProblem(0, EXPIRED)])
    names = {site.site_id for site in runtime.state.sites}
    problems = []
    mapped = []
    for index, value in enumerate(preview.sites):
        answer = data.get(f"site-{index}", "")
        if value.matched:
            mapped.append(value)
        elif answer == UNASSIGNED or answer in names:
            site_id = None if answer == UNASSIGNED else answer
            mapped.append(msgspec.structs.replace(value, site_id=site_id, chosen=True))
        else:
            message = FOREIGN_SITE if answer else CHOOSE_SITE
            problems.append(IntakeProblem(0, message, {"value": value.written}))
    if problems:
        answers = {k: v for k, v in data.items() if k.startswith("site-")}
        return await _preview_page(
            request,
            runtime,
            key,
            preview,
            token,
            status=HTTP_400_BAD_REQUEST,
            problems=problems,
            mapping=True,
            answers=answers,
        )
    new_token = await _save_preview(
        request, meeting_id, msgspec.structs.replace(preview, sites=mapped)
    )
    return Redirect(f"/m/{meeting_id}/host/{key}/intake?preview={new_token}", status_code=303)


class Confirm(msgspec.Struct):
    token: str = ""
    already: str = "skip"  # what to do with the rows already imported: "skip" or "import"


@post("/m/{meeting_id:str}/host/{key:str}/intake/confirm", name="intake_confirm")
async def intake_confirm(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[Confirm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    _, runtime, actor = await host_access(request, meeting_id, key)
    preview = await _load_preview(request, meeting_id, data.token)
    if preview is None:
        return _page(request, runtime, key, HTTP_404_NOT_FOUND, [IntakeProblem(0, EXPIRED)])

    async def refuse(status: int, problem: IntakeProblem | None = None) -> Response[str]:
        extra = [problem] if problem else []
        return await _preview_page(
            request, runtime, key, preview, data.token, status=status, problems=extra
        )

    done = await _confirmed(request, meeting_id, data.token)
    if done is not None:  # a second click, or back and confirm again: the first answer
        return _imported_redirect(meeting_id, key, done)
    if preview.problems:  # not 201: nothing was imported
        return await refuse(HTTP_400_BAD_REQUEST)
    if preview.pending:
        return await refuse(HTTP_400_BAD_REQUEST, IntakeProblem(0, MAP_FIRST))
    if data.already not in ("skip", "import"):
        bad = IntakeProblem(0, BAD_CHOICE, {"value": data.already[:60]})
        return await refuse(HTTP_400_BAD_REQUEST, bad)
    earlier = await _imported_file(request, meeting_id, preview.file_hash)
    rows = preview_rows(preview, runtime.state, earlier is not None)
    chosen = [row for row in rows if data.already == "import" or not row.already]
    if not chosen:
        done = await _confirmed(request, meeting_id, data.token)  # the other click just won
        if done is not None:
            return _imported_redirect(meeting_id, key, done)
        return await refuse(HTTP_409_CONFLICT, IntakeProblem(0, ALL_ALREADY if rows else NOTHING))
    command = ImportQuestions(questions=[row.draft() for row in chosen])
    # The token is the command id: two clicks at once import once.
    outcome = await runtime.execute(command, actor, f"intake-{data.token}")
    if isinstance(outcome, Rejected):
        problem = IntakeProblem(0, outcome.message, outcome.params)
        return await refuse(refusal_status(outcome), problem)
    assert isinstance(outcome, Accepted)  # noqa: S101 - Outcome is Accepted | Rejected
    done = Confirmed(len(chosen), len(rows) - len(chosen))
    if not outcome.duplicate:
        await intake_store(request).set(
            _done_key(meeting_id, data.token), msgspec.msgpack.encode(done), PREVIEW_SECONDS
        )
        await _remember_import(request, meeting_id, preview, len(chosen))
    return _imported_redirect(meeting_id, key, done)


class Confirmed(msgspec.Struct, frozen=True):
    imported: int
    skipped: int


def _done_key(meeting_id: str, token: str) -> str:
    return f"done:{meeting_id}:{token}"


async def _confirmed(
    request: Request[Any, Any, Any], meeting_id: str, token: str
) -> Confirmed | None:
    stored = await intake_store(request).get(_done_key(meeting_id, token))
    if stored is None:
        return None
    try:
        return msgspec.msgpack.decode(stored, type=Confirmed)
    except msgspec.DecodeError:
        return None


def _imported_redirect(meeting_id: str, key: str, done: Confirmed) -> Redirect:
    return Redirect(
        f"/m/{meeting_id}/host/{key}/intake?imported={done.imported}&skipped={done.skipped}",
        status_code=303,
    )
