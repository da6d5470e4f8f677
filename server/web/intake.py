"""Importing the Front's spreadsheet: upload and preview, map the sites the meeting does not know,
see what is already imported, confirm one import (the steps are `import_steps.py`'s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from server.core.commands import ImportQuestions, PriorOutcomeDraft, QuestionDraft
from server.core.events import Body as AnsweringBody
from server.core.events import Level
from server.core.rules import N_
from server.core.state import MeetingState
from server.core.textmatch import fold
from server.intake.opinions import IntakeProblem, IntakeResult, IntakeRow, site_key
from server.intake.outcome import OutcomeReading, read_outcome
from server.intake.worker import UploadParser
from server.live.runtime import MeetingRuntime
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
)
from server.web.pages import html, language, services_of

# What the desk puts in a question nobody classified (templates/live/secretary/questions.html).
DESK = QuestionDraft(text="-")

NO_FIELD = N_("No field named {value} in this meeting.")
CHOOSE_SITE = N_('Choose a site for "{value}", or leave its rows without a site.')
ALL_ALREADY = N_("Every opinion in this file is already in the meeting; nothing was imported.")
NOTHING = N_("There is no opinion to import.")


class Preview(UploadPreview):
    result: IntakeResult

    def site_of(self, row: IntakeRow) -> SiteValue | None:
        key = site_key(row.site)
        return next((s for s in self.sites if s.key == key), None) if row.site else None


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


# -- the steps ----------------------------------------------------------------------------------


class OpinionImport(ImportSteps[Preview]):
    path = "intake"
    name = ""
    preview_type = Preview
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

    async def read(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        upload: UploadFile,
        content: bytes,
        remembered: dict[str, str],
    ) -> Preview:
        parser: UploadParser = request.app.state.uploads
        result = await parser.parse(content, upload.filename or "")
        problems = [*result.problems, *field_problems(result.rows, runtime.state)]
        return Preview(
            filename=upload.filename or "",
            file_hash=file_hash(content),
            result=result,
            problems=sorted(problems, key=lambda p: p.line),
            sites=match_sites(result.rows, runtime.state, remembered),
        )

    def rows(self, preview: Preview, state: MeetingState, file_seen: bool) -> list[PreviewRow]:
        return preview_rows(preview, state, file_seen)

    def preview_context(
        self,
        request: Request[Any, Any, Any],  # noqa: ARG002 - the delegates' preview needs it
        preview: Preview,  # noqa: ARG002 - as the request
        rows: Sequence[PreviewRow],
    ) -> dict[str, Any]:
        return {
            "rows": rows,
            "has_outcome": any(row.outcome_text for row in rows),
            "desk": DESK,
            "body_defaulted": any(not row.body_given for row in rows),
            "level_defaulted": any(not row.level_given for row in rows),
        }

    def plan(self, rows: Sequence[PreviewRow], import_again: bool) -> Plan:
        chosen = [row for row in rows if import_again or not row.already]
        command = ImportQuestions(questions=[row.draft() for row in chosen]) if chosen else None
        done = Confirmed(len(chosen), len(rows) - len(chosen))
        return Plan(command, done, ALL_ALREADY if rows else NOTHING, [r.line for r in chosen])

    def remembered_answers(self, preview: Preview) -> dict[str, str]:
        return {s.key: s.site_id or "" for s in preview.sites if s.chosen}

    def imported_url(self, meeting_id: str, key: str, done: Confirmed) -> str:
        query = f"imported={done.imported}&skipped={done.skipped}"
        return f"/m/{meeting_id}/host/{key}/intake?{query}"


OPINIONS = OpinionImport()


@get("/m/{meeting_id:str}/host/{key:str}/intake", name="intake_form")
async def intake_form(request: Request[Any, Any, Any], meeting_id: str, key: str) -> Response[str]:
    _, runtime, _ = await host_access(request, meeting_id, key)
    token = request.query_params.get("preview")
    if token is not None:
        return await OPINIONS.show(request, runtime, key, token)
    query = request.query_params
    return OPINIONS.page(
        request, runtime, key, imported=query.get("imported"), skipped=query.get("skipped")
    )


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
    return await OPINIONS.upload(request, meeting_id, key, data)


@post("/m/{meeting_id:str}/host/{key:str}/intake/sites", name="intake_sites")
async def intake_sites(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    return await OPINIONS.map_sites(request, meeting_id, key, data)


@post("/m/{meeting_id:str}/host/{key:str}/intake/confirm", name="intake_confirm")
async def intake_confirm(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[Confirm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    return await OPINIONS.confirm(request, meeting_id, key, data)
