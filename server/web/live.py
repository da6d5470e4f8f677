"""The one WebSocket a page opens: checked before it is accepted, then views out and commands in
(the socket itself is `server/live/frames.py`)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec
from websockets.datastructures import Headers
from websockets.http11 import Request

from server.core.commands import Actor, Command
from server.core.decide import N_, Rejected
from server.i18n import pick_language
from server.live.frames import LiveWebSocketProtocol
from server.live.hub import Connection, Message
from server.live.runtime import Accepted, MeetingRuntime, Outcome
from server.web.screens import screen_for
from server.web.services import Services

log = logging.getLogger(__name__)

CommandId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
DEVICE_COOKIE = "dc_device_{meeting_id}"
CARD_COOKIE = "dc_card_{meeting_id}"
INVITATION_COOKIE = "dc_invitation_{meeting_id}"
LANG_COOKIE = "dc_lang"
FRAME_RATE = 10.0  # frames a second per socket, sustained: a live answer is typed at about 2
FRAME_BURST = 120.0  # frames at once: an outbox resending after a reconnect, a burst of votes
NOISE_EVERY = 60.0  # seconds: at most one log line per socket about what it sent wrong


# "{epoch}:{seq}:{rev}", the numbers in ASCII digits (int() takes "²" for one, then fails) and not
# too many of them (int() refuses 5,000 digits).
Version = Annotated[str, msgspec.Meta(pattern=r"^[^:]{0,64}:[0-9]{1,18}:[0-9]{1,18}$")]


class Hello(msgspec.Struct, frozen=True, tag_field="type", tag="hello", forbid_unknown_fields=True):
    version: Version | None = None


class Ping(msgspec.Struct, frozen=True, tag_field="type", tag="ping"):
    pass


class CommandMessage(msgspec.Struct, frozen=True, tag_field="type", tag="command"):
    command_id: CommandId
    command: Command


ClientMessage = Hello | Ping | CommandMessage
_decode_message = msgspec.json.Decoder(ClientMessage).decode
_json = msgspec.json.Encoder().encode


def _encode(answer: msgspec.Struct) -> Message:
    return Message(_json(answer))


class Ack(msgspec.Struct, frozen=True, tag_field="type", tag="ack"):
    command_id: str
    seq: int
    duplicate: bool


class ErrorMessage(msgspec.Struct, frozen=True, tag_field="type", tag="error"):
    code: str
    message: str
    retryable: bool = False
    command_id: str | None = None


class Current(msgspec.Struct, frozen=True, tag_field="type", tag="current"):
    version: str


class Pong(msgspec.Struct, frozen=True, tag_field="type", tag="pong"):
    """Carries the server's clock, so countdowns run from server timestamps on every screen."""

    now: float


def origin_allowed(headers: Mapping[str, str], public_url: str) -> bool:
    """Browsers always send Origin; it must be this server. Programs without one carry a secret."""
    origin = headers.get("origin")
    if origin is None:
        return True
    host = headers.get("host", "")
    origin_host = urlsplit(origin).netloc
    return origin_host == host or (bool(public_url) and origin_host == urlsplit(public_url).netloc)


def delegate_actor(services: Services, meeting_id: str, cookies: Mapping[str, str]) -> Actor | None:
    """A phone: its signed device cookie, and the seat card or invitation it scanned, if any."""
    actor = services.keys.device_actor(
        meeting_id, cookies.get(DEVICE_COOKIE.format(meeting_id=meeting_id), "")
    )
    if actor is None:
        return None
    card = services.keys.card_number(
        meeting_id, cookies.get(CARD_COOKIE.format(meeting_id=meeting_id), "")
    )
    invited = services.keys.delegate_of_code(
        meeting_id, cookies.get(INVITATION_COOKIE.format(meeting_id=meeting_id), "")
    )
    return msgspec.structs.replace(actor, card=card, delegate_id=invited)


def authenticate(
    services: Services, meeting_id: str, params: Mapping[str, str], cookies: Mapping[str, str]
) -> Actor | None:
    role, site_id = params.get("role", ""), params.get("site") or None
    if role == "delegate":
        actor = delegate_actor(services, meeting_id, cookies)
        return actor if actor is not None and actor.site_id == site_id else None
    return services.keys.actor_for(meeting_id, role, site_id, params.get("key", ""))


_LIVE_PATH = re.compile(r"^/m/([^/?#]+)/ws$")


def _query(query: str) -> dict[str, str]:
    """A query string's parameters, the first of each name (as Litestar's `query_params.get`)."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query):
        params.setdefault(name, value)
    return params


def _cookies(headers: Headers) -> dict[str, str]:
    """The Cookie header(s) as names and values, the last of each name (as Litestar's)."""
    cookies: dict[str, str] = {}
    for header in headers.get_all("cookie"):
        for part in header.split(";"):
            name, sep, value = part.partition("=")
            if sep and name.strip():
                cookies[name.strip()] = unquote(value.strip().strip('"'))
    return cookies


class LiveEndpoint:
    """The app's side of the live sockets (`server/live/frames.py`): who may open one (a key, a
    signed device cookie, an Origin of this server, a site of the meeting), then what it says."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def admit(self, request: Request) -> Callable[[LiveWebSocketProtocol], Session] | None:
        services = self._services
        path, _, query = request.path.partition("?")
        found = _LIVE_PATH.match(unquote(path))
        if found is None:
            return None
        meeting_id, params, cookies = found.group(1), _query(query), _cookies(request.headers)
        runtime = await services.meetings.get(meeting_id)
        actor = authenticate(services, meeting_id, params, cookies)
        if (
            not origin_allowed(request.headers, services.settings.public_url)
            or actor is None
            or (runtime is None or runtime.state.info is None)
            or (actor.site_id is not None and runtime.state.site(actor.site_id) is None)
        ):
            return None
        lang = pick_language(params.get("lang"), cookies.get(LANG_COOKIE))
        key = services.view_key(
            runtime, screen_for(actor.role, params.get("view")).kind, actor, lang
        )
        return lambda socket: Session(
            services, runtime, Connection(key, actor, socket, socket.drop)
        )


class Peer:
    """What one socket may still send (a token bucket), and what was said of it in the log: a
    phone that floods or sends garbage is slowed and answered, and costs one log line a minute."""

    __slots__ = ("_filled_at", "_logged_at", "_tokens", "_unlogged", "_who")

    def __init__(self, actor: Actor, meeting_id: str) -> None:
        self._who = f"{actor.role} of {meeting_id} at site {actor.site_id or '-'}"
        self._tokens = FRAME_BURST
        self._filled_at = time.monotonic()
        self._logged_at = -NOISE_EVERY
        self._unlogged = 0

    def may_send(self) -> bool:
        now = time.monotonic()
        self._tokens = min(FRAME_BURST, self._tokens + (now - self._filled_at) * FRAME_RATE)
        self._filled_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def note(self, code: str) -> None:
        """Counts a refused frame; logs the count at most once per NOISE_EVERY, no traceback."""
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at < NOISE_EVERY:
            return
        log.warning(
            "refused %d frame(s) from the %s (latest: %s); next report in %.0f s at the earliest",
            self._unlogged,
            self._who,
            code,
            NOISE_EVERY,
        )
        self._logged_at, self._unlogged = now, 0


def _error(
    conn: Connection, services: Services, rejected: Rejected, command_id: str | None
) -> None:
    text = services.message(conn.key.lang, rejected.message, rejected.params)
    conn.offer_personal(_encode(ErrorMessage(rejected.code, text, rejected.retryable, command_id)))


_COMMAND_ID = re.compile(rb'"command_id"\s*:\s*"([^"\\]{1,64})')


def _loose_command_id(data: bytes) -> str | None:
    """The command_id of a frame that cannot be read as a command (even one that is not JSON,
    such as a split surrogate pair), so the sender can match the refusal and stop resending."""
    found = _COMMAND_ID.search(data)
    return found.group(1).decode(errors="replace") if found else None


TOO_FAST = Rejected(
    "too_fast",
    N_("Too many messages at once. Wait a moment: it will be sent again."),
    retryable=True,
)
NOT_JSON = Rejected("bad_json", N_("Message is not valid JSON."))


def _refuse(
    conn: Connection, services: Services, peer: Peer, rejected: Rejected, data: bytes
) -> None:
    peer.note(rejected.code)
    _error(conn, services, rejected, _loose_command_id(data))


INTERNAL = Rejected("internal_error", N_("Something went wrong."))


class Session:
    """One admitted socket: what it sends is handled as it arrives, with no task of its own.
    A command waits for its batch (`MeetingRuntime.submit`) and is answered when that is durable;
    several may be in flight, answered in the order they came."""

    __slots__ = ("_conn", "_peer", "_runtime", "_services")

    def __init__(self, services: Services, runtime: MeetingRuntime, conn: Connection) -> None:
        self._services = services
        self._runtime = runtime
        self._conn = conn
        self._peer = Peer(conn.actor, runtime.meeting_id)
        services.hub.join(runtime.meeting_id, conn)

    def ended(self) -> None:
        self._services.hub.leave(self._runtime.meeting_id, self._conn)
        self._conn.close()

    def receive(self, data: bytes) -> None:
        services, conn, peer = self._services, self._conn, self._peer
        services.hub.touch(self._runtime.meeting_id, conn)
        if not peer.may_send():
            _refuse(conn, services, peer, TOO_FAST, data)
            return
        try:
            message = _decode_message(data)
        except msgspec.ValidationError as error:
            code = "unknown_command" if "$.command.type" in str(error) else "bad_message"
            detail = Rejected(code, N_("Message not understood: {detail}"), {"detail": str(error)})
            _refuse(conn, services, peer, detail, data)
            return
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            # Not JSON, not UTF-8 (a binary frame), or nested deeper than msgspec follows.
            _refuse(conn, services, peer, NOT_JSON, data)
            return
        if isinstance(message, Ping):
            conn.offer_personal(_encode(Pong(time.time())))
        elif isinstance(message, Hello):
            self._welcome(message.version)
        else:
            answer = self._runtime.submit(message.command, conn.actor, message.command_id)
            answer.add_done_callback(partial(self._answer, message.command_id))

    def _answer(self, command_id: str, answer: asyncio.Future[Outcome]) -> None:
        if answer.cancelled():  # the server is stopping
            return
        if (error := answer.exception()) is not None:
            log.error("command %s failed", command_id, exc_info=error)
            _error(self._conn, self._services, INTERNAL, command_id)
            return
        outcome = answer.result()
        if isinstance(outcome, Accepted):
            self._conn.offer_personal(_encode(Ack(command_id, outcome.seq, outcome.duplicate)))
        else:
            _error(self._conn, self._services, outcome, command_id)

    def _welcome(self, shown: str | None) -> None:
        """A (re)connecting page says what it shows; it gets the current view unless that is it.

        A page that saw more than this worker knows (it was on another worker) makes this worker
        read the log first, so the view it gets is not older than the one it showed."""
        epoch, _, rest = (shown or "").partition(":")
        shown_seq = rest.partition(":")[0]
        if epoch == self._runtime.epoch and int(shown_seq) > self._runtime.seq:
            task = asyncio.ensure_future(self._runtime.catch_up())
            _PENDING.add(task)
            task.add_done_callback(partial(self._caught_up, shown))
            return
        self._show(shown)

    def _caught_up(self, shown: str | None, task: asyncio.Future[bool]) -> None:
        _PENDING.discard(task)
        if not task.cancelled() and task.exception() is None:
            self._show(shown)
        else:  # the log is away: end the socket, and the page says hello again on reconnecting
            self._conn.drop()

    def _show(self, shown: str | None) -> None:
        services, runtime, conn = self._services, self._runtime, self._conn
        seq, rev = services.version(runtime, conn.key)
        version = f"{runtime.epoch}:{seq}:{rev}"
        if shown == version:
            conn.offer_personal(_encode(Current(version)))
        else:
            conn.offer_view(Message(services.render_view(runtime.meeting_id, conn.key)))


_PENDING: set[asyncio.Future[bool]] = set()  # catch-ups under way, kept until they are done
