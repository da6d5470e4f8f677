"""The organiser's pages and API: create, list, open meetings, print every card. Secret-guarded."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, Parameter
from litestar.response import Redirect

from server.config import local_today
from server.core.commands import (
    Actor,
    ArchiveMeeting,
    Command,
    CreateMeeting,
    RestoreMeeting,
    SetOrganiserUnit,
)
from server.core.decide import Rejected
from server.core.report import under_way
from server.core.rules import N_
from server.core.state import MeetingState
from server.live.runtime import MeetingRuntime
from server.web.joining import join_url
from server.web.pages import html, language, meeting_or_404, services_of
from server.web.services import Services

SESSION_FLAG = "organiser"


def _secret_matches(services: Services, offered: str) -> bool:
    return bool(offered) and hmac.compare_digest(
        offered.encode(), services.settings.organiser_secret.encode()
    )


def _signed_in_as(services: Services) -> str:
    """What a session carries: a fingerprint of the organiser secret it was opened with, so a new
    secret signs everyone out (and the secret itself is never in the cookie)."""
    secret = services.settings.organiser_secret.encode()
    return hashlib.sha256(b"diemcau organiser session:" + secret).hexdigest()[:32]


class SignInNeeded(PermissionDeniedException):
    """No organiser session: a person is sent to the sign-in page, which says how to sign in."""


def _after_sign_in(next_path: str) -> str:
    """Back to the organiser page that asked for the sign-in; nowhere else (no open redirect)."""
    safe = next_path.startswith("/organiser/") and "//" not in next_path
    return next_path if safe else "/organiser"


def organiser_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    services: Services = connection.app.state.services
    session = connection.scope.get("session")
    if isinstance(session, dict) and hmac.compare_digest(
        str(session.get(SESSION_FLAG, "")), _signed_in_as(services)
    ):
        return
    bearer = connection.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not _secret_matches(services, bearer):
        raise SignInNeeded("Organiser secret required")


@get("/organiser/login", name="organiser_login_page")
async def login_page(
    request: Request[Any, Any, Any],
    key: str = "",
    next_path: Annotated[str, Parameter(query="next")] = "",
) -> Response[str] | Redirect:
    """The link printed at first run carries the secret; a person can also type it."""
    if key and _secret_matches(services_of(request), key):
        request.set_session({SESSION_FLAG: _signed_in_as(services_of(request))})
        return Redirect(_after_sign_in(next_path))
    return html(request, "organiser/login.html", failed=bool(key), next_path=next_path)


class LoginForm(msgspec.Struct):
    secret: str = ""
    next: str = ""


@post("/organiser/login", name="organiser_login")
async def login(
    request: Request[Any, Any, Any],
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    if _secret_matches(services_of(request), data.secret.strip()):
        request.set_session({SESSION_FLAG: _signed_in_as(services_of(request))})
        return Redirect(_after_sign_in(data.next), status_code=303)
    refused = html(request, "organiser/login.html", failed=True, next_path=data.next)
    refused.status_code = 403
    return refused


@post("/organiser/logout", name="organiser_logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """A POST, so the app-wide cross-site check covers it: another site cannot sign anyone out."""
    request.clear_session()
    return Redirect("/organiser/login", status_code=303)


class MeetingRow(msgspec.Struct):
    meeting_id: str
    title: str
    date: str
    level: str
    sites: int
    unit: str = ""  # the organising unit; "": not recorded
    superior: str = ""
    draft: bool = False  # never opened: it may be archived
    archived: bool = False


def _rows(services: Services) -> list[MeetingRow]:
    """Every meeting, archived drafts with the rest (marked): the API lists them all."""
    rows = [
        MeetingRow(
            r.meeting_id,
            r.state.info.title,
            r.state.info.date,
            r.state.info.level,
            len(r.state.sites),
            unit=r.state.info.unit,
            superior=r.state.info.superior,
            draft=not under_way(r.state),
            archived=r.state.info.archived,
        )
        for r in services.meetings.loaded()
        if r.state.info is not None
    ]
    return sorted(rows, key=lambda row: (row.date, row.title), reverse=True)


Shown = Literal["", "archived"]


def _home(
    request: Request[Any, Any, Any],
    *,
    show: Shown = "",
    errors: list[str] | None = None,
    form: CreateForm | None = None,
    status: int = 200,
) -> Response[str]:
    """The organiser's list (the meetings in use, or with ?show=archived the archived drafts)
    beside the form for a new one."""
    rows = _rows(services_of(request))
    response = html(
        request,
        "organiser/index.html",
        meetings=[row for row in rows if row.archived == (show == "archived")],
        archived_count=sum(row.archived for row in rows),
        show=show,
        today=local_today(),
        errors=errors or [],
        form=msgspec.structs.asdict(form or CreateForm()),
    )
    response.status_code = status
    return response


@get("/organiser", name="organiser_home", guards=[organiser_guard])
async def organiser_home(request: Request[Any, Any, Any], show: Shown = "") -> Response[str]:
    return _home(request, show=show)


class CreateForm(msgspec.Struct):
    title: str = ""
    date: str = ""
    level: str = "ward"
    chair: str = ""
    main_hall: str = ""
    sites: str = ""
    unit: str = ""
    superior: str = ""


@post("/organiser/meetings", name="organiser_create", guards=[organiser_guard])
async def create_from_form(
    request: Request[Any, Any, Any],
    data: Annotated[CreateForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    services = services_of(request)
    site_names = [line for line in data.sites.splitlines() if line.strip()]
    try:
        command = msgspec.convert(
            {
                "title": data.title,
                "date": data.date,
                "level": data.level,
                "chair": data.chair,
                "main_hall": data.main_hall,
                "sites": site_names,
                "unit": data.unit,
                "superior": data.superior,
            },
            CreateMeeting,
        )
    except msgspec.ValidationError as error:
        problem = str(error)
        if problem.endswith("`$.date`"):  # a day that does not exist (2017-02-30), in words
            problem = services.message(
                language(request),
                N_("{field}: {value} is not a date."),
                {"field": N_("Date"), "value": data.date},
            )
        return _form_again(request, services, data, [problem])
    meeting_id, outcome = await services.meetings.create(command, secrets.token_hex(8))
    if isinstance(outcome, Rejected):
        return _form_again(
            request,
            services,
            data,
            [services.message(language(request), outcome.message, outcome.params)],
        )
    return Redirect(f"/organiser/meetings/{meeting_id}", status_code=303)


def _form_again(
    request: Request[Any, Any, Any], _services: Services, data: CreateForm, errors: list[str]
) -> Response[str]:
    return _home(request, errors=errors, form=data, status=400)


ORGANISER = Actor(role="organiser")
MeetingId = Annotated[str, Parameter(max_length=64)]


async def _as_organiser(
    request: Request[Any, Any, Any], runtime: MeetingRuntime, command: Command, what: str
) -> str | None:
    """Sends the organiser's command; None when done, else why not, in the page's language."""
    outcome = await runtime.execute(command, ORGANISER, f"{what}-{secrets.token_hex(8)}")
    if isinstance(outcome, Rejected):
        return services_of(request).message(language(request), outcome.message, outcome.params)
    return None


@post(
    "/organiser/meetings/{meeting_id:str}/archive",
    name="organiser_archive",
    guards=[organiser_guard],
)
async def archive_meeting(
    request: Request[Any, Any, Any], meeting_id: MeetingId
) -> Response[str] | Redirect:
    """A draft off the list (and out of every figure); a meeting held is refused, unchanged."""
    runtime, _ = await meeting_or_404(services_of(request), meeting_id)
    problem = await _as_organiser(request, runtime, ArchiveMeeting(), "archive")
    if problem:
        return _home(request, errors=[problem], status=409)
    return Redirect("/organiser", status_code=303)


@post(
    "/organiser/meetings/{meeting_id:str}/restore",
    name="organiser_restore",
    guards=[organiser_guard],
)
async def restore_meeting(
    request: Request[Any, Any, Any], meeting_id: MeetingId
) -> Response[str] | Redirect:
    runtime, _ = await meeting_or_404(services_of(request), meeting_id)
    problem = await _as_organiser(request, runtime, RestoreMeeting(), "restore")
    if problem:
        return _home(request, show="archived", errors=[problem], status=409)
    return Redirect(f"/organiser/meetings/{meeting_id}", status_code=303)


class UnitForm(msgspec.Struct):
    unit: str = ""
    superior: str = ""


@post(
    "/organiser/meetings/{meeting_id:str}/unit",
    name="organiser_unit",
    guards=[organiser_guard],
)
async def set_unit(
    request: Request[Any, Any, Any],
    meeting_id: MeetingId,
    data: Annotated[UnitForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str] | Redirect:
    """Which unit organises the meeting and the unit above it: the year's figures by scope."""
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    try:
        command = msgspec.convert(msgspec.structs.asdict(data), SetOrganiserUnit)
    except msgspec.ValidationError:
        problem: str | None = services.message(
            language(request),
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("The organising unit"), "limit": 120},
        )
    else:
        problem = await _as_organiser(request, runtime, command, "unit")
    if problem:
        return _meeting_page(request, meeting_id, runtime.state, unit_error=problem, typed=data)
    return Redirect(f"/organiser/meetings/{meeting_id}#unit", status_code=303)


class SiteLinks(msgspec.Struct):
    site_id: str
    name: str
    is_main_hall: bool
    secretary: str
    door: str  # the secretary's check-in page, on the same key
    display: str
    join: str
    join_qr: str


class MeetingLinks(msgspec.Struct):
    meeting_id: str
    title: str
    host: str
    desk: str  # the questions desk: its own key, the questions only
    overlay: str  # the video mixer's browser source: read-only, like a display
    delegates: str  # the invited list and each site's composition, on the host's key
    invitations: str  # printable invitations with each delegate's QR code (HTML, PDF beside it)
    sites: list[SiteLinks]


def meeting_links(services: Services, meeting_id: str, state: MeetingState) -> MeetingLinks:
    base, keys = services.settings.base_url, services.keys

    def site_link(role: str, site_id: str) -> str:
        return (
            f"{base}/m/{meeting_id}/s/{site_id}/{role}/{keys.link_key(meeting_id, role, site_id)}"
        )

    sites = [
        SiteLinks(
            site_id=s.site_id,
            name=s.name,
            is_main_hall=s.is_main_hall,
            secretary=site_link("secretary", s.site_id),
            door=f"{site_link('secretary', s.site_id)}/door",
            display=site_link("display", s.site_id),
            join=join_url(services, meeting_id, s.site_id),
            join_qr=f"/m/{meeting_id}/s/{s.site_id}/qr/{keys.join_key(meeting_id, s.site_id)}",
        )
        for s in state.sites
    ]
    title = state.info.title if state.info else ""
    host = f"{base}/m/{meeting_id}/host/{keys.link_key(meeting_id, 'host', None)}"
    desk = f"{base}/m/{meeting_id}/desk/{keys.link_key(meeting_id, 'desk', None)}"
    overlay = f"{base}/m/{meeting_id}/overlay/{keys.link_key(meeting_id, 'overlay', None)}"
    return MeetingLinks(
        meeting_id=meeting_id,
        title=title,
        host=host,
        desk=desk,
        overlay=overlay,
        delegates=f"{host}/delegates",
        invitations=f"{host}/invitations",
        sites=sites,
    )


def _meeting_page(
    request: Request[Any, Any, Any],
    meeting_id: str,
    state: MeetingState,
    *,
    unit_error: str | None = None,
    typed: UnitForm | None = None,
) -> Response[str]:
    """The meeting's links, its unit; an archived draft's page offers no link, only restore."""
    services = services_of(request)
    info = state.info
    archived = info is not None and info.archived
    response = html(
        request,
        "organiser/meeting.html",
        info=info,
        links=None if archived else meeting_links(services, meeting_id, state),
        meeting_id=meeting_id,
        draft=not under_way(state),
        unit_error=unit_error,
        unit_form=typed or (UnitForm(info.unit, info.superior) if info else UnitForm()),
    )
    if unit_error:
        response.status_code = 400
    return response


class Archived(HTTPException):
    status_code = 410


def _not_archived(state: MeetingState) -> None:
    if state.info is not None and state.info.archived:
        raise Archived("This meeting is archived: restore it to use its links again")


@get("/organiser/meetings/{meeting_id:str}", name="organiser_meeting", guards=[organiser_guard])
async def organiser_meeting(request: Request[Any, Any, Any], meeting_id: str) -> Response[str]:
    _, state = await meeting_or_404(services_of(request), meeting_id)
    return _meeting_page(request, meeting_id, state)


@get("/organiser/meetings/{meeting_id:str}/cards", name="organiser_cards", guards=[organiser_guard])
async def organiser_cards(request: Request[Any, Any, Any], meeting_id: str) -> Response[str]:
    """One printable sheet: every link of the meeting as a card, each site's join QR code large."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    _not_archived(state)
    return html(
        request,
        "organiser/cards.html",
        info=state.info,
        links=meeting_links(services, meeting_id, state),
    )


class CreatedMeeting(msgspec.Struct):
    meeting_id: str
    links: MeetingLinks


@post("/api/meetings", name="api_create_meeting", guards=[organiser_guard], status_code=201)
async def api_create_meeting(
    request: Request[Any, Any, Any], data: CreateMeeting
) -> CreatedMeeting:
    """Creates a meeting from JSON; answers with every link of it."""
    services = services_of(request)
    meeting_id, outcome = await services.meetings.create(data, secrets.token_hex(8))
    if isinstance(outcome, Rejected):
        raise ValidationException(services.message("en", outcome.message, outcome.params))
    _, state = await meeting_or_404(services, meeting_id)
    return CreatedMeeting(meeting_id, meeting_links(services, meeting_id, state))


@get("/api/meetings", name="api_meetings", guards=[organiser_guard])
async def api_meetings(request: Request[Any, Any, Any]) -> list[MeetingRow]:
    return _rows(services_of(request))


@get("/api/meetings/{meeting_id:str}/links", name="api_links", guards=[organiser_guard])
async def api_links(
    request: Request[Any, Any, Any], meeting_id: Annotated[str, Parameter(max_length=64)]
) -> MeetingLinks:
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    _not_archived(state)
    return meeting_links(services, meeting_id, state)
