"""The Litestar app: routes, static files, sessions, the cross-site check, security headers, and the
log's lifetime."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Litestar, Request, Response, get
from litestar.config.compression import CompressionConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, ResponseHeader, State
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.logging import LoggingConfig
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.config import ROOT, Settings, load_settings
from server.intake.worker import UploadParser
from server.live.fanout import CATCH_UP_EVERY
from server.live.frames import LiveWebSocketProtocol
from server.log.base import EventLog, LogUnavailable
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from server.web import delegate_intake, import_steps, intake, joining, organiser, pages, reports
from server.web.live import LiveEndpoint
from server.web.policy import CSP
from server.web.services import Services

SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
]
_RAW_SECURITY_HEADERS = [(h.name.lower().encode(), str(h.value).encode()) for h in SECURITY_HEADERS]


def _secure_cookie(value: bytes) -> bytes:
    attributes = {a.strip().lower() for a in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"


class HttpHardening:
    """Every HTTP response gets the security headers, error pages included (Litestar's own 404s
    and 500s skip the app's response headers), and over https every cookie is `Secure`. The
    scheme is https when the request came so, or through a trusted proxy that said so: uvicorn
    reads X-Forwarded-Proto only from `forwarded_allow_ips` (see server/cli.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in _RAW_SECURITY_HEADERS if h[0] not in present]
                if secure:
                    headers = [
                        (name, _secure_cookie(value) if name.lower() == b"set-cookie" else value)
                        for name, value in headers
                    ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, hardened)


# The secret part of a link: /m/{id}/host/{key}, /m/{id}/desk/{key}, /m/{id}/card/{code},
# /m/{id}/s/{site}/{role}/{key}, a site's join code /j/{code}, and ?key= (the organiser's
# sign-in link, the live socket).
_KEY_IN_PATH = re.compile(
    r"(/m/[^/?#\s]+/(?:host|desk|card|d)/|/m/[^/?#\s]+/s/[^/?#\s]+/[^/?#\s]+/|/j/|[?&]key=)"
    r"[^/?&#\s\"]+"
)


def redact_keys(text: str) -> str:
    return _KEY_IN_PATH.sub(r"\1***", text)


class RedactKeys(logging.Filter):
    """uvicorn logs every request's path (the access log) and every WebSocket's path with its
    query (`uvicorn.error`): link keys and the organiser secret must not end up in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_keys(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_keys(record.msg)
        return True


REDACT_KEYS = RedactKeys()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Not a secret: a SameSite=Strict cookie comes back only on a request made from a page of this site.
SAME_SITE_MARK = "diemcau_same_site"


class CrossSiteRequest(PermissionDeniedException):
    """A browser sent this from another site's page (CSRF): refused before its body is read."""


def _from_this_site(connection: ASGIConnection[Any, Any, Any, Any], public_url: str) -> bool:
    headers = connection.headers
    fetch_site = headers.get("sec-fetch-site")  # browsers send it only over https and to localhost
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser: a program, which holds nobody else's cookies or links
    if origin == "null":
        # Our pages say Referrer-Policy: no-referrer (link keys are in their URLs), and so over
        # plain http a browser hides even our own origin; another site can hide its origin too.
        return connection.cookies.get(SAME_SITE_MARK) == "1"
    netloc = urlsplit(origin).netloc
    return netloc == headers.get("host") or (
        bool(public_url) and netloc == urlsplit(public_url).netloc
    )


def refuse_cross_site(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Every state-changing HTTP request, before any other guard or its body. WebSocket upgrades
    check their Origin in server/web/live.py."""
    if not isinstance(connection, Request) or connection.method in SAFE_METHODS:
        return
    services: Services = connection.app.state.services
    if not _from_this_site(connection, services.settings.public_url):
        raise CrossSiteRequest("Sent from another site: nothing was changed")
    media_type = connection.headers.get("content-type", "").partition(";")[0].strip().lower()
    if connection.url.path.startswith("/api/") and media_type != "application/json":
        # A form or text/plain body is what another site's page can send without asking.
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail="Send JSON (application/json)"
        )


def mark_same_site(response: ASGIApp) -> ASGIApp:
    """Pages hand out the mark `_from_this_site` looks for when a form arrives with Origin null."""
    if isinstance(response, Response) and str(response.media_type).startswith("text/html"):
        response.set_cookie(Cookie(key=SAME_SITE_MARK, value="1", samesite="strict", httponly=True))
    return response


def make_log(settings: Settings) -> EventLog:
    if settings.store == "redis":
        return RedisLog(settings.redis_url)
    return SqliteLog(settings.data_dir / "diemcau.sqlite3")


@get("/", name="home", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Response[str]:
    return pages.html(request, "home.html")


@get("/healthz", name="health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _error_page(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """People get a page they can read; programs (the API) get JSON."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        body: dict[str, Any] = {"status_code": error.status_code, "detail": error.detail}
        if error.extra:  # which field a validation failed on ("key": "date") and why
            body["extra"] = error.extra
        return Response(body, status_code=error.status_code)
    if isinstance(error, organiser.SignInNeeded):  # a person without a session: how to sign in
        return Redirect(f"/organiser/login?{urlencode({'next': request.url.path})}")
    response = pages.html(
        request,
        "error.html",
        status=error.status_code,
        detail=error.detail,
        cross_site=isinstance(error, CrossSiteRequest),
    )
    response.status_code = error.status_code
    return response


GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Thousands of sockets mean many long-lived objects; CPython's default full collections then
    stall every fan-out for hundreds of ms (bench/fanout.py, 5,000 sockets). Freeze what start-up
    made and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _keep_catching_up(services: Services) -> None:
    """The safety net under the nudges: it must outlive every failure, so it catches them all."""
    while True:
        await asyncio.sleep(CATCH_UP_EVERY)
        try:
            await services.catch_up_all()
            await services.share_presence()
            services.forget_idle()
        except LogUnavailable as error:
            logging.getLogger(__name__).warning("catch-up failed: %s", error)
        except Exception:  # a bug here must not end the catch-up for good
            logging.getLogger(__name__).exception("catch-up failed")


def _upload_store(settings: Settings) -> Store:
    """Previews wait where every worker can read them: Redis when the log is there, else on disk."""
    if settings.store == "redis":
        return RedisStore.with_client(settings.redis_url, namespace="dc-uploads")
    return FileStore(settings.data_dir / "uploads", create_directories=True)


def create_app(settings: Settings, log: EventLog | None = None) -> ASGIApp:
    """The Litestar app, inside the wrapper that hardens its HTTP."""
    return HttpHardening(_litestar_app(settings, log))


def _litestar_app(settings: Settings, log: EventLog | None) -> Litestar:
    services = Services(settings, log or make_log(settings))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await services.log.open()
        await services.meetings.load_all()
        for name in ("uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).addFilter(REDACT_KEYS)
        tune_garbage_collector()
        LiveWebSocketProtocol.serve(LiveEndpoint(services))
        background = []
        if services.nudges is not None:
            await services.nudges.start()
            background.append(asyncio.create_task(_keep_catching_up(services)))
        try:
            yield
        finally:
            LiveWebSocketProtocol.serve(None)
            for task in background:
                task.cancel()
            if services.nudges is not None:
                await services.nudges.stop()
            await services.log.close()

    session_secret = hashlib.sha256(f"session:{settings.server_key}".encode()).digest()
    return Litestar(
        route_handlers=[
            home,
            health,
            pages.host_page,
            pages.questions_page,
            pages.seat_card,
            reports.report_page,
            reports.papers_heading,
            reports.followup_page,
            reports.followup_record,
            reports.public_answers,
            reports.organiser_dashboard,
            reports.dashboard_export,
            reports.dashboard_opinions,
            reports.export,
            pages.seat_cards_sheet,
            intake.intake_form,
            intake.intake_upload,
            intake.intake_sites,
            intake.intake_confirm,
            delegate_intake.delegates_page,
            delegate_intake.delegates_export,
            delegate_intake.delegates_upload,
            delegate_intake.delegates_sites,
            delegate_intake.delegates_confirm,
            delegate_intake.delegates_composition,
            delegate_intake.delegates_one,
            pages.site_page,
            pages.door_page,
            pages.invitations_sheet,
            pages.invitations_pdf,
            pages.invitation_card,
            pages.join,
            pages.phone_page,
            pages.join_qr,
            pages.overlay_page,
            joining.join_by_code,
            joining.service_worker,
            pages.set_language,
            organiser.login_page,
            organiser.login,
            organiser.logout,
            organiser.organiser_home,
            organiser.create_from_form,
            organiser.organiser_meeting,
            organiser.archive_meeting,
            organiser.restore_meeting,
            organiser.set_unit,
            organiser.organiser_cards,
            organiser.api_create_meeting,
            organiser.api_meetings,
            organiser.api_links,
            create_static_files_router(
                path="/static", directories=[ROOT / "static"], name="static"
            ),
        ],
        lifespan=[lifespan],
        guards=[refuse_cross_site],
        after_request=mark_same_site,
        state=State({"services": services, "uploads": UploadParser()}),
        middleware=[
            CookieBackendConfig(
                secret=session_secret,
                samesite="strict",
                httponly=True,
                max_age=12 * 3600,
                exclude=[r"^/m/", r"^/static/"],  # only the organiser's pages have a session
            ).middleware,
        ],
        # Previews of uploaded spreadsheets wait here until confirmed (on disk: survives a restart).
        stores={import_steps.STORE: _upload_store(settings)},
        response_headers=SECURITY_HEADERS,
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        exception_handlers={HTTPException: _error_page},
        logging_config=LoggingConfig(log_exceptions="always"),
        # The schema as JSON (and YAML), no HTML renderer: those load their scripts from a CDN,
        # which leaks who reads the schema and is blank in an offline hall.
        openapi_config=OpenAPIConfig(
            title="Diemcau",
            version="0.1.0",
            path="/schema",
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        ),
        request_max_body_size=1024 * 1024,
    )


def app_from_env() -> ASGIApp:
    """For `uvicorn --factory` with several workers: each process builds its app from DIEMCAU_*."""
    return create_app(load_settings())
