"""After the meeting: the report page and its exports, the follow-up of promised answers, the public
list of written answers, and the organiser's figures for a year."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import Body, Parameter
from litestar.response import Redirect

from server.config import local_today
from server.core.commands import RecordWrittenAnswer, SetPapersHeading
from server.core.report import (
    YEAR_FIGURES,
    Report,
    YearFigures,
    find_scope,
    meeting_report,
    year_count,
    year_figures,
    year_opinions,
)
from server.core.rules import N_, Rejected
from server.live.runtime import MeetingRuntime
from server.papers import DOCX_TYPE, MEETING_PAPERS, XLSX_TYPE
from server.papers.year import year_docx, year_xlsx
from server.web.organiser import organiser_guard
from server.web.pages import html, language, meeting_or_404, services_of


async def _host_runtime(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> MeetingRuntime:
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    if services.keys.actor_for(meeting_id, "host", None, key) is None:
        raise PermissionDeniedException("Wrong link")
    return runtime


def _report(runtime: MeetingRuntime) -> Report:
    return meeting_report(runtime.state, local_today())


@get("/m/{meeting_id:str}/host/{key:str}/report", name="report_page")
async def report_page(request: Request[Any, Any, Any], meeting_id: str, key: str) -> Response[str]:
    runtime = await _host_runtime(request, meeting_id, key)
    return _report_page(request, runtime, meeting_id, key)


def _report_page(
    request: Request[Any, Any, Any],
    runtime: MeetingRuntime,
    meeting_id: str,
    key: str,
    *,
    heading_error: str | None = None,
    typed: HeadingForm | None = None,
) -> Response[str]:
    report = _report(runtime)
    heading = report.info.heading
    response = html(
        request,
        "report.html",
        report=report,
        meeting_id=meeting_id,
        key=key,
        heading_error=heading_error,
        heading=typed or (HeadingForm(**msgspec.structs.asdict(heading)) if heading else None),
    )
    if heading_error:
        response.status_code = 400
    return response


class HeadingForm(msgspec.Struct):
    kind: str = "committee"
    issuer: str = ""
    superior: str = ""
    place: str = ""


@post("/m/{meeting_id:str}/host/{key:str}/papers", name="papers_heading")
async def papers_heading(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[HeadingForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    """Who issues the meeting's papers and the place of their date line, from the report page."""
    runtime = await _host_runtime(request, meeting_id, key)
    services = services_of(request)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    assert actor is not None  # noqa: S101 - checked by _host_runtime
    try:
        command = msgspec.convert(msgspec.structs.asdict(data), SetPapersHeading)
    except msgspec.ValidationError:
        message = services.message(language(request), N_("Choose who issues the papers."))
        return _report_page(request, runtime, meeting_id, key, heading_error=message, typed=data)
    outcome = await runtime.execute(command, actor, f"heading-{secrets.token_hex(8)}")
    if isinstance(outcome, Rejected):
        message = services.message(language(request), outcome.message, outcome.params)
        return _report_page(request, runtime, meeting_id, key, heading_error=message, typed=data)
    return Redirect(f"/m/{meeting_id}/host/{key}/report#papers", status_code=303)


class WrittenAnswerForm(msgspec.Struct):
    question_id: str = ""
    text: str = ""
    answered_on: str = ""


@get("/m/{meeting_id:str}/host/{key:str}/followup", name="followup_page")
async def followup_page(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> Response[str]:
    runtime = await _host_runtime(request, meeting_id, key)
    return html(
        request,
        "followup.html",
        report=_report(runtime),
        meeting_id=meeting_id,
        key=key,
        error=None,
        today=local_today(),
    )


@post("/m/{meeting_id:str}/host/{key:str}/followup", name="followup_record")
async def followup_record(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    data: Annotated[WrittenAnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    runtime = await _host_runtime(request, meeting_id, key)
    services = services_of(request)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    assert actor is not None  # noqa: S101 - checked by _host_runtime
    try:
        command = msgspec.convert(
            {"question_id": data.question_id, "text": data.text, "answered_on": data.answered_on},
            RecordWrittenAnswer,
        )
    except msgspec.ValidationError as error:
        return _followup_again(request, runtime, meeting_id, key, str(error))
    outcome = await runtime.execute(command, actor, f"written-{secrets.token_hex(8)}")
    if isinstance(outcome, Rejected):
        message = services.message(language(request), outcome.message, outcome.params)
        return _followup_again(request, runtime, meeting_id, key, message)
    return Redirect(f"/m/{meeting_id}/host/{key}/followup#q-{data.question_id}", status_code=303)


def _followup_again(
    request: Request[Any, Any, Any], runtime: MeetingRuntime, meeting_id: str, key: str, error: str
) -> Response[str]:
    response = html(
        request,
        "followup.html",
        report=_report(runtime),
        meeting_id=meeting_id,
        key=key,
        error=error,
        today=local_today(),
    )
    response.status_code = 400
    return response


@get("/m/{meeting_id:str}/answers", name="public_answers")
async def public_answers(request: Request[Any, Any, Any], meeting_id: str) -> Response[str]:
    """Read-only, for delegates: what was promised at the meeting and what was answered since."""
    runtime, _ = await meeting_or_404(services_of(request), meeting_id)
    return html(request, "answers.html", report=_report(runtime))


DEMO_MARKER = "demo-meeting"  # where `python -m server demo` keeps its meeting's id (server/cli.py)


def _samples(request: Request[Any, Any, Any]) -> frozenset[str]:
    """The demo meeting: a sample to try the consoles on, never a conference held."""
    marker = services_of(request).settings.data_dir / DEMO_MARKER
    try:
        return frozenset({marker.read_text(encoding="utf-8").strip()})
    except OSError:
        return frozenset()


def _day(request: Request[Any, Any, Any], typed: str, field: str) -> date | None:
    """A date of the query; "" (a date field the form left empty) is none; else 400 naming it."""
    if not typed:
        return None
    try:
        if len(typed) == len("2026-11-22"):
            return date.fromisoformat(typed)
    except ValueError:
        pass
    services = services_of(request)
    raise ClientException(
        services.message(
            language(request),
            N_("{field}: {value} is not a date."),
            {"field": field, "value": typed[:20]},
        )
    )


async def _chosen_year(
    request: Request[Any, Any, Any],
    year: int | None = None,
    typed_start: Annotated[str, Parameter(query="from", max_length=20)] = "",
    typed_end: Annotated[str, Parameter(query="to", max_length=20)] = "",
    scope_key: Annotated[str, Parameter(query="scope", max_length=64)] = "all",
) -> YearFigures:
    """The year's figures, or a period's within it (the year is that of `start` if not given),
    of one organiser's scope, from the query every page of the year takes: ?year=, ?from=, ?to=
    (dates checked), ?scope= (one the recorded units make: all, none, unit-…, over-…)."""
    services = services_of(request)
    today = local_today()
    start, end = _day(request, typed_start, N_("From")), _day(request, typed_end, N_("To"))
    chosen = year or (start or end or date.fromisoformat(today)).year
    reports = [
        (r.meeting_id, meeting_report(r.state, today))
        for r in services.meetings.loaded()
        if r.state.info
    ]
    found = find_scope((report.info for _, report in reports), scope_key)
    if found is None:
        raise ClientException(
            services.message(
                language(request),
                N_("No meeting records the unit of the scope {scope}: choose one from the list."),
                {"scope": scope_key},
            )
        )
    period = (start.isoformat() if start else "", end.isoformat() if end else "")
    return year_figures(reports, chosen, _samples(request), period, found)


def year_query(figures: YearFigures, *, year: int | None = None, **more: str) -> str:
    """The query that shows these figures again (another year's: without the period), with
    `more` after it: every link of the year's pages carries the scope and the period."""
    start, end = figures.period if year is None else ("", "")
    params = {
        "year": str(year or figures.year),
        **more,
        "from": start,
        "to": end,
        "scope": "" if figures.scope.kind == "all" else figures.scope.key,
    }
    return urlencode({name: value for name, value in params.items() if value})


YEAR_CHOSEN = {"figures": Provide(_chosen_year)}


@get(
    "/organiser/dashboard",
    name="organiser_dashboard",
    guards=[organiser_guard],
    dependencies=YEAR_CHOSEN,
)
async def organiser_dashboard(
    request: Request[Any, Any, Any], figures: YearFigures
) -> Response[str]:
    return html(request, "organiser/dashboard.html", figures=figures, year_query=year_query)


@get(
    "/organiser/dashboard/opinions",
    name="organiser_dashboard_opinions",
    guards=[organiser_guard],
    dependencies=YEAR_CHOSEN,
)
async def dashboard_opinions(
    request: Request[Any, Any, Any], figure: str, figures: YearFigures
) -> Response[str]:
    """The opinions behind one figure of the year, meeting by meeting."""
    if figure not in YEAR_FIGURES:
        raise NotFoundException("No such figure")
    return html(
        request,
        "organiser/year_opinions.html",
        figures=figures,
        year_query=year_query,
        figure=figure,
        count=year_count(figures, figure),
        opinions=year_opinions(figures, figure),
    )


YEAR_EXPORTS = {"year.xlsx": XLSX_TYPE, "year.docx": DOCX_TYPE}


@get(
    "/organiser/dashboard/export/{kind:str}",
    name="organiser_dashboard_export",
    guards=[organiser_guard],
    dependencies=YEAR_CHOSEN,
)
async def dashboard_export(kind: str, figures: YearFigures) -> Response[bytes]:
    """The year's figures as a workbook, or as a report in the administrative layout."""
    if kind not in YEAR_EXPORTS:
        raise NotFoundException("No such export")
    if kind == "year.xlsx":
        make = partial(year_xlsx, figures)
    else:
        make = partial(year_docx, figures, local_today())
    content = await asyncio.get_running_loop().run_in_executor(None, make)
    name = f"bao-cao-doi-thoai-{figures.year}.{kind.rsplit('.', 1)[1]}"
    return Response(
        content,
        media_type=YEAR_EXPORTS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/m/{meeting_id:str}/host/{key:str}/export/{kind:str}", name="export")
async def export(
    request: Request[Any, Any, Any], meeting_id: str, key: str, kind: str
) -> Response[bytes]:
    """The minutes, the conclusion notice and the figures as files, made from the log's state."""
    runtime = await _host_runtime(request, meeting_id, key)
    paper = MEETING_PAPERS.get(kind)
    if paper is None:
        raise NotFoundException("No such export")
    report = _report(runtime)
    # Building a big document is CPU work: keep the event loop (and every socket) moving.
    content = await asyncio.get_running_loop().run_in_executor(None, paper.make, report)
    filename = f"{paper.stem}-{report.info.date}.{kind.rsplit('.', 1)[1]}"
    return Response(
        content,
        media_type=paper.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
