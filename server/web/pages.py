"""The pages each role opens from its link; every request checks the link's secret."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Parameter
from litestar.response import Redirect
from markupsafe import Markup

from server.config import local_today
from server.core.commands import Actor
from server.core.rules import N_
from server.core.state import MeetingState, Site
from server.i18n import pick_language
from server.live.runtime import MeetingRuntime
from server.papers import invitations as invitation_papers
from server.web.joining import join_info, join_url
from server.web.live import (
    CARD_COOKIE,
    DEVICE_COOKIE,
    INVITATION_COOKIE,
    LANG_COOKIE,
    delegate_actor,
)
from server.web.render import qr_svg
from server.web.screens import screen_for
from server.web.services import Services

DEVICE_COOKIE_AGE = 3 * 24 * 3600
JOIN_RETRY_SECONDS = 5  # a phone refused while its link is flooded: how soon to scan again


def services_of(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def language(request: Request[Any, Any, Any]) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def html(request: Request[Any, Any, Any], template: str, **context: Any) -> Response[str]:
    lang = language(request)
    body = services_of(request).renderer.render(
        lang, template, request_path=request.url.path, **context
    )
    response = Response(body, media_type="text/html; charset=utf-8")
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            Cookie(key=LANG_COOKIE, value=lang, max_age=365 * 24 * 3600, samesite="lax")
        )
    return response


async def meeting_or_404(
    services: Services, meeting_id: str
) -> tuple[MeetingRuntime, MeetingState]:
    runtime = await services.meetings.get(meeting_id)
    if runtime is None or runtime.state.info is None:
        raise NotFoundException("No such meeting")
    return runtime, runtime.state


def site_or_404(state: MeetingState, site_id: str) -> Site:
    site = state.site(site_id)
    if site is None:
        raise NotFoundException("No such site")
    return site


def _live_page(
    request: Request[Any, Any, Any],
    runtime: MeetingRuntime,
    actor: Actor,
    key: str,
    desk: str | None = None,
    **extra: Any,
) -> Response[str]:
    """A live screen's page (the table in server/web/screens.py says which): the view as it is
    now, and the socket's address to keep it so."""
    services, lang = services_of(request), language(request)
    screen = screen_for(actor.role, desk)
    query = {"role": actor.role, "site": actor.site_id, "key": key, "lang": lang, "view": desk}
    ws_path = f"/m/{runtime.meeting_id}/ws?" + urlencode({k: v for k, v in query.items() if v})
    version, initial_html = services.page_view(
        runtime, services.view_key(runtime, screen.kind, actor, lang)
    )
    state = runtime.state
    site = state.site(actor.site_id) if actor.site_id else None
    response = html(
        request,
        screen.page,
        key=key,
        role=actor.role,
        meeting_id=runtime.meeting_id,
        info=state.info,
        site=site,
        ws_path=ws_path,
        version=version,
        initial_html=Markup(initial_html),  # noqa: S704 - rendered just now with autoescape on
        join=join_info(services, runtime.meeting_id, site.site_id)
        if screen.shows_join and site
        else None,
        **extra,
    )
    if screen.csp is not None:
        response.headers["Content-Security-Policy"] = screen.csp
    return response


OVERLAY_LAYOUTS = ("lower-third", "question", "full")
OVERLAY_BACKGROUNDS = ("transparent", "green")


@get("/m/{meeting_id:str}/overlay/{key:str}", name="overlay_page")
async def overlay_page(
    request: Request[Any, Any, Any],
    meeting_id: str,
    key: str,
    layout: str = "full",
    bg: str = "transparent",
) -> Response[str]:
    """The video mixer's browser source (1920 by 1080): the speaker as a lower third, the question
    and its answerer. The layout and background only style the page: every overlay socket gets
    the same frames."""
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    actor = services.keys.actor_for(meeting_id, "overlay", None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return _live_page(
        request,
        runtime,
        actor,
        key,
        layout=layout if layout in OVERLAY_LAYOUTS else "full",
        background=bg if bg in OVERLAY_BACKGROUNDS else "transparent",
    )


@get("/m/{meeting_id:str}/host/{key:str}", name="host_page")
async def host_page(request: Request[Any, Any, Any], meeting_id: str, key: str) -> Response[str]:
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return _live_page(request, runtime, actor, key)


DESK_PATH = "/m/{meeting_id:str}/desk/{key:str}"


@get(["/m/{meeting_id:str}/host/{key:str}/questions", DESK_PATH], name="questions_page")
async def questions_page(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> Response[str]:
    """The questions desk: from the host's link, or from the desk's own, whose key opens the
    questions and nothing of the host's."""
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    role = "desk" if request.url.path.startswith(f"/m/{meeting_id}/desk/") else "host"
    actor = services.keys.actor_for(meeting_id, role, None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return _live_page(request, runtime, actor, key, desk="questions")


@get("/m/{meeting_id:str}/s/{site_id:str}/{role:str}/{key:str}", name="site_page")
async def site_page(
    request: Request[Any, Any, Any], meeting_id: str, site_id: str, role: str, key: str
) -> Response[str]:
    services = services_of(request)
    runtime, state = await meeting_or_404(services, meeting_id)
    site_or_404(state, site_id)
    actor = services.keys.actor_for(meeting_id, role, site_id, key)
    if role not in ("secretary", "display") or actor is None:
        raise PermissionDeniedException("Wrong link")
    return _live_page(request, runtime, actor, key)


# The same shape as the site's pages (a fixed "secretary" here would hide them from the router).
@get("/m/{meeting_id:str}/s/{site_id:str}/{role:str}/{key:str}/door", name="door_page")
async def door_page(
    request: Request[Any, Any, Any], meeting_id: str, site_id: str, role: str, key: str
) -> Response[str]:
    """The site's door on the secretary's phone: invited delegates checked in by their
    invitation's QR code or by name, absences, walk-ins."""
    services = services_of(request)
    runtime, state = await meeting_or_404(services, meeting_id)
    site_or_404(state, site_id)
    actor = services.keys.actor_for(meeting_id, "secretary", site_id, key)
    if role != "secretary" or actor is None:
        raise PermissionDeniedException("Wrong link")
    return _live_page(request, runtime, actor, key, desk="door")


INVITATIONS_PER_PAGE = 60


def _invitation_url(services: Services, meeting_id: str, delegate_id: str) -> str:
    code = services.keys.delegate_code(meeting_id, delegate_id)
    return f"{services.settings.base_url}/m/{meeting_id}/d/{code}"


@get("/m/{meeting_id:str}/host/{key:str}/invitations", name="invitations_sheet")
async def invitations_sheet(
    request: Request[Any, Any, Any], meeting_id: str, key: str, page: int = 1
) -> Response[str]:
    """Each invited delegate's invitation, to print: their name, site and personal QR code (the
    door checks them in by it). A page at a time; organiser and host only (names are on it)."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    if services.keys.actor_for(meeting_id, "host", None, key) is None:
        raise PermissionDeniedException("Wrong link")
    pages = max(1, -(-len(state.delegates) // INVITATIONS_PER_PAGE))
    page = max(1, min(page, pages))
    chosen = state.delegates[(page - 1) * INVITATIONS_PER_PAGE :][:INVITATIONS_PER_PAGE]
    # segno's own SVG, inline so a printed page needs no extra requests
    invitations = [
        (
            d,
            state.site(d.record.site_id),
            Markup(qr_svg(_invitation_url(services, meeting_id, d.delegate_id)).decode()),  # noqa: S704
        )
        for d in chosen
    ]
    return html(
        request,
        "invitations.html",
        info=state.info,
        invitations=invitations,
        page=page,
        pages=pages,
        meeting_id=meeting_id,
        key=key,
    )


@get("/m/{meeting_id:str}/s/{site_id:str}/join/{key:str}", name="join")
async def join(
    request: Request[Any, Any, Any], meeting_id: str, site_id: str, key: str
) -> Redirect | Response[str]:
    """A delegate scans a site's QR code: a device token for that site, then the phone page."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    site_or_404(state, site_id)
    if not services.keys.join_ok(meeting_id, site_id, key):
        raise PermissionDeniedException("Wrong link")
    cookie_name = DEVICE_COOKIE.format(meeting_id=meeting_id)
    existing = services.keys.device_actor(meeting_id, request.cookies.get(cookie_name, ""))
    redirect = Redirect(f"/m/{meeting_id}/phone")
    if existing is None or existing.site_id != site_id:
        if not services.device_joined(meeting_id, site_id):
            return _joining_too_fast(request)
        token = services.keys.new_device(meeting_id, site_id)
        redirect.set_cookie(
            Cookie(
                key=cookie_name,
                value=token,
                max_age=DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="lax",
                path=f"/m/{meeting_id}",
            )
        )
    return redirect


def _joining_too_fast(request: Request[Any, Any, Any]) -> Response[str]:
    """A site's link is making phones faster than a hall scans (one client minting devices):
    429 and no device; the phone scans again in a moment."""
    detail = N_("Many phones are joining at this site. Scan the code again in a few seconds.")
    response = html(
        request,
        "error.html",
        status=429,
        detail=services_of(request).message(language(request), detail),
        cross_site=False,
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(JOIN_RETRY_SECONDS)
    return response


@get("/m/{meeting_id:str}/phone", name="phone_page")
async def phone_page(request: Request[Any, Any, Any], meeting_id: str) -> Response[str]:
    services = services_of(request)
    runtime, state = await meeting_or_404(services, meeting_id)
    actor = delegate_actor(services, meeting_id, request.cookies)
    if actor is None or actor.site_id is None or state.site(actor.site_id) is None:
        raise PermissionDeniedException("Scan the site's QR code to join")
    return _live_page(request, runtime, actor, "")


@get("/m/{meeting_id:str}/s/{site_id:str}/qr/{key:str}", name="join_qr")
async def join_qr(
    request: Request[Any, Any, Any], meeting_id: str, site_id: str, key: str
) -> Response[bytes]:
    """The join QR as SVG; it needs the join key itself, so it reveals nothing new."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    site_or_404(state, site_id)
    if not services.keys.join_ok(meeting_id, site_id, key):
        raise PermissionDeniedException("Wrong link")
    return Response(qr_svg(join_url(services, meeting_id, site_id)), media_type="image/svg+xml")


@get("/lang/{code:str}", name="set_language")
async def set_language(
    code: str, next_path: Annotated[str, Parameter(query="next")] = "/"
) -> Redirect:
    lang = pick_language(code)
    target = next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"
    redirect = Redirect(target)
    redirect.set_cookie(
        Cookie(key=LANG_COOKIE, value=lang, max_age=365 * 24 * 3600, samesite="lax")
    )
    return redirect


@get("/m/{meeting_id:str}/card/{code:str}", name="seat_card")
async def seat_card(
    request: Request[Any, Any, Any], meeting_id: str, code: str
) -> Redirect | Response[str]:
    """A printed seat card: the phone that scans it votes as that card (once per ballot)."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    number = services.keys.card_number(meeting_id, code)
    if number is None or number >= state.cards_issued:
        raise PermissionDeniedException("This card is not one of this meeting's")
    redirect = Redirect(f"/m/{meeting_id}/phone")
    cookie_path = f"/m/{meeting_id}"
    if (
        services.keys.device_actor(
            meeting_id, request.cookies.get(DEVICE_COOKIE.format(meeting_id=meeting_id), "")
        )
        is None
    ):
        main_hall = next(site for site in state.sites if site.is_main_hall)
        if not services.device_joined(meeting_id, main_hall.site_id):
            return _joining_too_fast(request)
        token = services.keys.new_device(meeting_id, main_hall.site_id)
        redirect.set_cookie(
            Cookie(
                key=DEVICE_COOKIE.format(meeting_id=meeting_id),
                value=token,
                max_age=DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="lax",
                path=cookie_path,
            )
        )
    redirect.set_cookie(
        Cookie(
            key=CARD_COOKIE.format(meeting_id=meeting_id),
            value=code,
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="lax",
            path=cookie_path,
        )
    )
    return redirect


@get("/m/{meeting_id:str}/host/{key:str}/invitations.pdf", name="invitations_pdf")
async def invitations_pdf(
    request: Request[Any, Any, Any], meeting_id: str, key: str, site: str = ""
) -> Response[bytes]:
    """Every invitation (or one site's) as a PDF to print, one A5 page each."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    if services.keys.actor_for(meeting_id, "host", None, key) is None or state.info is None:
        raise PermissionDeniedException("Wrong link")
    names = {s.site_id: s.name for s in state.sites}
    invitations = [
        invitation_papers.Invitation(
            d.record.name,
            d.record.gender,
            d.record.group,
            names.get(d.record.site_id, ""),
            _invitation_url(services, meeting_id, d.delegate_id),
        )
        for d in state.delegates
        if not site or d.record.site_id == site
    ]
    make = partial(invitation_papers.invitations_pdf, state.info, invitations, local_today())
    # hundreds of pages are CPU work: keep the event loop (and every socket) moving
    content = await asyncio.get_running_loop().run_in_executor(None, make)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="giay-moi-{state.info.date}.pdf"'},
    )


@get("/m/{meeting_id:str}/d/{code:str}", name="invitation_card")
async def invitation_card(
    request: Request[Any, Any, Any], meeting_id: str, code: str
) -> Redirect | Response[str]:
    """An invitation's QR scanned with the delegate's own phone: it joins their site and, where
    the meeting votes by invitation, votes as that delegate (once checked in at the door)."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    delegate_id = services.keys.delegate_of_code(meeting_id, code)
    delegate = state.delegate(delegate_id) if delegate_id else None
    if delegate is None:
        raise PermissionDeniedException("This invitation is not one of this meeting's")
    redirect = Redirect(f"/m/{meeting_id}/phone")
    cookie_path = f"/m/{meeting_id}"
    device = services.keys.device_actor(
        meeting_id, request.cookies.get(DEVICE_COOKIE.format(meeting_id=meeting_id), "")
    )
    if device is None or device.site_id != delegate.record.site_id:
        if not services.device_joined(meeting_id, delegate.record.site_id):
            return _joining_too_fast(request)
        token = services.keys.new_device(meeting_id, delegate.record.site_id)
        redirect.set_cookie(
            _phone_cookie(DEVICE_COOKIE.format(meeting_id=meeting_id), token, cookie_path)
        )
    redirect.set_cookie(
        _phone_cookie(INVITATION_COOKIE.format(meeting_id=meeting_id), code, cookie_path)
    )
    return redirect


def _phone_cookie(name: str, value: str, path: str) -> Cookie:
    return Cookie(
        key=name, value=value, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="lax", path=path
    )


CARDS_PER_PAGE = 60


@get("/m/{meeting_id:str}/host/{key:str}/cards", name="seat_cards_sheet")
async def seat_cards_sheet(
    request: Request[Any, Any, Any], meeting_id: str, key: str, page: int = 1
) -> Response[str]:
    """The seat cards to print, a page of them at a time (15,000 QR codes do not fit one page)."""
    services = services_of(request)
    _, state = await meeting_or_404(services, meeting_id)
    if services.keys.actor_for(meeting_id, "host", None, key) is None:
        raise PermissionDeniedException("Wrong link")
    pages = max(1, -(-state.cards_issued // CARDS_PER_PAGE))
    page = max(1, min(page, pages))
    first = (page - 1) * CARDS_PER_PAGE
    numbers = range(first, min(state.cards_issued, first + CARDS_PER_PAGE))
    base = services.settings.base_url
    codes = [
        (n + 1, f"{base}/m/{meeting_id}/card/{services.keys.card_code(meeting_id, n)}")
        for n in numbers
    ]
    # segno's own SVG, inline so a printed page needs no extra requests
    cards = [(number, Markup(qr_svg(url).decode())) for number, url in codes]  # noqa: S704
    return html(
        request,
        "seat_cards.html",
        info=state.info,
        cards=cards,
        page=page,
        pages=pages,
        meeting_id=meeting_id,
        key=key,
    )
