"""How a phone joins a site (its QR and short code, typed at /j/CODE), and the service worker
every page keeps its copy with."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from server.config import ROOT
from server.web.services import Services

# No 0/O, 1/I/L: a code read off a projector and typed on a phone must not be mistyped.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class JoinInfo(msgspec.Struct, frozen=True):
    """How a phone joins one site: the QR image's path, the short code and the URL to type."""

    qr_path: str
    code: str
    short_url: str


def join_code(join_key: str) -> str:
    """Six letters drawn from the site's join secret: as secret as the QR, short enough to type."""
    number = int.from_bytes(hashlib.sha256(b"short-code\x1f" + join_key.encode()).digest()[:8])
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return "".join(letters)


def join_url(services: Services, meeting_id: str, site_id: str) -> str:
    key = services.keys.join_key(meeting_id, site_id)
    return f"{services.settings.base_url}/m/{meeting_id}/s/{site_id}/join/{key}"


def join_info(services: Services, meeting_id: str, site_id: str) -> JoinInfo:
    key = services.keys.join_key(meeting_id, site_id)
    code = join_code(key)
    return JoinInfo(
        qr_path=f"/m/{meeting_id}/s/{site_id}/qr/{key}",
        code=code,
        # without the scheme: typed on a phone, "http://" is only more to get wrong
        short_url=f"{services.settings.base_url}/j/{code}".split("://", 1)[-1],
    )


def _find_site(services: Services, code: str) -> tuple[str, str] | None:
    for runtime in services.meetings.loaded():
        if runtime.state.info is not None and runtime.state.info.archived:
            continue  # an archived draft's codes lead nowhere
        for site in runtime.state.sites:
            key = services.keys.join_key(runtime.meeting_id, site.site_id)
            if join_code(key) == code:
                return runtime.meeting_id, site.site_id
    return None


@get("/j/{code:str}", name="join_by_code")
async def join_by_code(request: Request[Any, Any, Any], code: str) -> Redirect:
    """The code on a projector, typed at /j/CODE (any case, spaces ignored): the join link."""
    services: Services = request.app.state.services
    wanted = code.upper().replace(" ", "").replace("-", "")
    found = _find_site(services, wanted)
    if found is None:
        raise NotFoundException("No site has this code")
    meeting_id, site_id = found
    link = join_url(services, meeting_id, site_id)
    return Redirect(link.removeprefix(services.settings.base_url))


SERVICE_WORKER = ROOT / "static" / "js" / "sw.js"


@get("/sw.js", name="service_worker", include_in_schema=False)
async def service_worker() -> Response[bytes]:
    """Served from the root so that it may keep every page's copy (a worker's scope is its path);
    never cached by the browser, so a new version reaches every display on its next load."""
    return Response(
        SERVICE_WORKER.read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
