"""The one WebSocket a page opens: checked before it is accepted, then views out and commands in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Mapping
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from server.core.commands import Actor, Command
from server.core.decide import N_, Rejected
from server.i18n import pick_language
from server.live.frames import FRAMES
from server.live.hub import AsgiPipe, Connection, Message, Pipe
from server.live.runtime import Accepted, MeetingRuntime
from server.web.screens import screen_for
from server.web.services import Services

log = logging.getLogger(__name__)

CommandId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
DEVICE_COOKIE = "dc_device_{meeting_id}"
CARD_COOKIE = "dc_card_{meeting_id}"
INVITATION_COOKIE = "dc_invitation_{meeting_id}"
LANG_COOKIE = "dc_lang"
POLICY_VIOLATION = 1008
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


def origin_allowed(socket: WebSocket[Any, Any, Any], public_url: str) -> bool:
    """Browsers always send Origin; it must be this server. Programs without one carry a secret."""
    origin = socket.headers.get("origin")
    if origin is None:
        return True
    host = socket.headers.get("host", "")
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
    socket: WebSocket[Any, Any, Any], services: Services, meeting_id: str
) -> Actor | None:
    params = socket.query_params
    role, site_id = params.get("role", ""), params.get("site") or None
    if role == "delegate":
        actor = delegate_actor(services, meeting_id, socket.cookies)
        return actor if actor is not None and actor.site_id == site_id else None
    return services.keys.actor_for(meeting_id, role, site_id, params.get("key", ""))


def _pipe(socket: WebSocket[Any, Any, Any]) -> Pipe:
    """The socket's frame pipe when the server is ours (`server/live/frames.py`): the fan-out is
    the hot path, and Litestar's and ASGI's send wrappers cost per frame per socket. With any
    other server, the usual ASGI send."""
    offered = socket.scope.get("extensions", {}).get(FRAMES, {}).get("pipe")  # type: ignore[union-attr]
    return cast("Pipe", offered) if offered is not None else AsgiPipe(socket.send_bytes)


@websocket("/m/{meeting_id:str}/ws")
async def live_socket(socket: WebSocket[Any, Any, Any], meeting_id: str) -> None:
    services: Services = socket.app.state.services
    runtime = await services.meetings.get(meeting_id)
    actor = authenticate(socket, services, meeting_id)
    if (
        not origin_allowed(socket, services.settings.public_url)
        or actor is None
        or (runtime is None or runtime.state.info is None)
        or (actor.site_id is not None and runtime.state.site(actor.site_id) is None)
    ):
        await socket.close(code=POLICY_VIOLATION)  # before accept: the client sees HTTP 403
        return
    lang = pick_language(socket.query_params.get("lang"), socket.cookies.get(LANG_COOKIE))
    await socket.accept()
    screen = screen_for(actor.role, socket.query_params.get("view"))
    key = services.view_key(runtime, screen.kind, actor, lang)
    reader = asyncio.current_task()

    def stop_reading() -> None:
        """The hub gave up on this socket (it reads nothing): end its handler. Closing it
        politely would wait for ever on a peer that does not read."""
        if reader is not None:
            reader.cancel()

    conn = Connection(key, actor, _pipe(socket), on_drop=stop_reading)
    services.hub.join(meeting_id, conn)
    try:
        await _read_loop(socket, services, runtime, conn)
    except asyncio.CancelledError:
        if not conn.closed or reader is None:
            raise  # not ours: the server is stopping
        reader.uncancel()  # dropped by the hub: end here, uvicorn closes the transport
    finally:
        services.hub.leave(meeting_id, conn)
        dropped = conn.closed
        conn.close()
        if not dropped:
            with contextlib.suppress(Exception):
                await socket.close()


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


async def _read_loop(
    socket: WebSocket[Any, Any, Any], services: Services, runtime: MeetingRuntime, conn: Connection
) -> None:
    peer = Peer(conn.actor, runtime.meeting_id)
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            services.hub.touch(runtime.meeting_id, conn)
            await _handle(_frame_bytes(message), services, runtime, conn, peer)
    except WebSocketDisconnect:
        return


def _frame_bytes(message: Any) -> bytes:
    raw = message.get("bytes")
    if isinstance(raw, bytes):
        return raw
    text = message.get("text")
    return text.encode() if isinstance(text, str) else b""


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


async def _handle(
    data: bytes, services: Services, runtime: MeetingRuntime, conn: Connection, peer: Peer
) -> None:
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
        await _welcome(services, runtime, conn, message.version)
    else:
        outcome = await runtime.execute(message.command, conn.actor, message.command_id)
        if isinstance(outcome, Accepted):
            conn.offer_personal(_encode(Ack(message.command_id, outcome.seq, outcome.duplicate)))
        else:
            _error(conn, services, outcome, message.command_id)


async def _welcome(
    services: Services, runtime: MeetingRuntime, conn: Connection, shown: str | None
) -> None:
    """A (re)connecting page says what it shows; it gets the current view unless that is it.

    A page that saw more than this worker knows (it was on another worker) makes this worker read
    the log first, so the view it gets is not older than the one it showed."""
    epoch, _, rest = (shown or "").partition(":")
    shown_seq = rest.partition(":")[0]
    if epoch == runtime.epoch and int(shown_seq) > runtime.seq:
        await runtime.catch_up()
    seq, rev = services.version(runtime, conn.key)
    version = f"{runtime.epoch}:{seq}:{rev}"
    if shown == version:
        conn.offer_personal(_encode(Current(version)))
    else:
        conn.offer_view(Message(services.render_view(runtime.meeting_id, conn.key)))
