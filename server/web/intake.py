"""Importing the Front's spreadsheet: upload, a preview of every bad row, one confirmed import."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from server.core.commands import Actor, ImportQuestions, QuestionDraft
from server.core.rules import N_, Rejected
from server.core.state import MeetingState
from server.core.textmatch import fold
from server.intake import IntakeProblem, IntakeResult, IntakeRow
from server.service import Accepted, MeetingRuntime
from server.upload_worker import UploadParser
from server.web.pages import html, language, meeting_or_404, services_of
from server.web.services import Services

MAX_UPLOAD = 6 * 1024 * 1024
PREVIEW_SECONDS = 3600
STORE = "intake"


class Preview(msgspec.Struct):
    """What the person saw; confirming imports exactly this (a changed file needs a new preview)."""

    filename: str
    result: IntakeResult
    problems: list[IntakeProblem]
    command: ImportQuestions


async def _host(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> tuple[Services, MeetingRuntime, Actor]:
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return services, runtime, actor


def _site_lookup(state: MeetingState) -> dict[str, str]:
    """Folded site names (also without a leading "Điểm cầu") to site ids."""
    lookup: dict[str, str] = {}
    for site in state.sites:
        name = fold(site.name)
        lookup[name] = site.site_id
        lookup[name.removeprefix("diem cau ")] = site.site_id
    return lookup


def to_drafts(
    rows: list[IntakeRow], state: MeetingState
) -> tuple[list[QuestionDraft], list[IntakeProblem]]:
    """Matches each row's site and field to the meeting's; what cannot be matched is a problem."""
    sites = _site_lookup(state)
    fields = {fold(f): f for f in state.fields}
    drafts, problems = [], []
    for row in rows:
        site_id = None
        if row.site:
            site_id = sites.get(fold(row.site)) or sites.get(
                fold(row.site).removeprefix("diem cau ")
            )
            if site_id is None:
                problems.append(
                    IntakeProblem(
                        row.line, N_("No site named {value} in this meeting."), {"value": row.site}
                    )
                )
                continue
        field = ""
        if row.field:
            field = fields.get(fold(row.field), "")
            if not field:
                problems.append(
                    IntakeProblem(
                        row.line,
                        N_("No field named {value} in this meeting."),
                        {"value": row.field},
                    )
                )
                continue
        drafts.append(
            QuestionDraft(
                text=row.text,
                asker=row.asker,
                group=row.group,
                site_id=site_id,
                field=field,
                body=row.body,
                level=row.level,
                prepared_answer=row.prepared_answer,
            )
        )
    return drafts, problems


def _page(
    request: Request[Any, Any, Any], runtime: MeetingRuntime, key: str, **context: Any
) -> Response[str]:
    services, lang = services_of(request), language(request)
    problems = [
        (p.line, services.message(lang, p.message, p.params)) for p in context.pop("problems", [])
    ]
    return html(
        request,
        "intake.html",
        info=runtime.state.info,
        meeting_id=runtime.meeting_id,
        key=key,
        problems=problems,
        **context,
    )


@get("/m/{meeting_id:str}/host/{key:str}/intake", name="intake_form")
async def intake_form(request: Request[Any, Any, Any], meeting_id: str, key: str) -> Response[str]:
    _, runtime, _ = await _host(request, meeting_id, key)
    return _page(
        request, runtime, key, preview=None, token="", imported=request.query_params.get("imported")
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
    _, runtime, _ = await _host(request, meeting_id, key)
    upload = data.get("file")
    if upload is None:
        return _page(
            request,
            runtime,
            key,
            preview=None,
            token="",
            imported=None,
            problems=[IntakeProblem(0, N_("Choose a file to upload."))],
        )
    content = await upload.read()
    parser: UploadParser = request.app.state.uploads
    result = await parser.parse(content, upload.filename or "")
    drafts, mapping_problems = to_drafts(result.rows, runtime.state)
    preview = Preview(
        filename=upload.filename or "",
        result=result,
        problems=sorted([*result.problems, *mapping_problems], key=lambda p: p.line),
        command=ImportQuestions(questions=drafts),
    )
    token = secrets.token_urlsafe(16)
    store = request.app.stores.get(STORE)
    await store.set(
        f"{meeting_id}:{token}", msgspec.msgpack.encode(preview), expires_in=PREVIEW_SECONDS
    )
    return _page(
        request,
        runtime,
        key,
        preview=preview,
        token=token,
        imported=None,
        problems=preview.problems,
    )


class Confirm(msgspec.Struct):
    token: str = ""


@post("/m/{meeting_id:str}/host/{key:str}/intake/confirm", name="intake_confirm")
async def intake_confirm(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[Confirm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    _, runtime, actor = await _host(request, meeting_id, key)
    stored = await request.app.stores.get(STORE).get(f"{meeting_id}:{data.token}")
    if stored is None:
        raise NotFoundException("This preview has expired; upload the file again.")
    preview = msgspec.msgpack.decode(stored, type=Preview)
    if preview.problems:
        refused = _page(
            request,
            runtime,
            key,
            preview=preview,
            token=data.token,
            imported=None,
            problems=preview.problems,
        )
        refused.status_code = HTTP_400_BAD_REQUEST  # not 201: nothing was imported
        return refused
    # The token is the command id: a second click or a retried post imports nothing twice.
    outcome = await runtime.execute(preview.command, actor, f"intake-{data.token}")
    if isinstance(outcome, Rejected):
        problem = IntakeProblem(0, outcome.message, outcome.params)
        refused = _page(
            request,
            runtime,
            key,
            preview=preview,
            token=data.token,
            imported=None,
            problems=[problem],
        )
        # nothing was imported: try again later (the log is down), or the import itself is refused
        retry = outcome.retryable
        refused.status_code = HTTP_503_SERVICE_UNAVAILABLE if retry else HTTP_409_CONFLICT
        return refused
    assert isinstance(outcome, Accepted)  # noqa: S101 - Outcome is Accepted | Rejected
    count = len(preview.command.questions)
    return Redirect(f"/m/{meeting_id}/host/{key}/intake?imported={count}", status_code=303)
