"""The live sockets' server side: one small asyncio protocol per socket, on `websockets`' sans-I/O
state machine, with no ASGI task, queue or scope behind it. Server frames are not masked, so a
view's frame is built once and its bytes fit every socket; the hub writes them straight to each
transport, with backpressure kept.

Passed to uvicorn as `ws=LiveWebSocketProtocol`: uvicorn's HTTP protocol hands each upgrade over.
The app says who may connect and what a socket says (an `Endpoint`, given in its lifespan with
`LiveWebSocketProtocol.serve`). Pings, the close handshake and the size cap are kept here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import SEND_EOF, State
from websockets.server import ServerProtocol

from server.live.hub import Message

log = logging.getLogger(__name__)
# The server's connection lines, where uvicorn writes its own (and the app redacts keys from).
connections_log = logging.getLogger("uvicorn.error")
# `websockets` says "connection open" and "connection closed" at INFO: 45,000 lines after a Wi-Fi
# blink in a hall of 15,000 phones, and a few per cent of the server's CPU. Refusals still show.
_state_machine_log = logging.getLogger(f"{__name__}.state")
_state_machine_log.setLevel(logging.WARNING)

CLOSE_TIMEOUT = 10.0  # seconds the peer has to finish a close handshake before the TCP is cut
GOING_AWAY = 1001  # the hub gave up on a socket that read nothing
RESTARTING = 1012  # the server stops: the page reconnects, to this server or another
KEEPALIVE_TIMEOUT = 1011
# Every ping is the same frame: only that a pong came back is checked, not what it says. Built
# once, it costs a write (15,600 sockets pinged every 20 s are 780 pings a second).
PING = Frame(Opcode.PING, b"diemcau").serialize(mask=False)


class Session(Protocol):
    """What an admitted socket says goes here, one whole message at a time."""

    def receive(self, data: bytes) -> None: ...

    def ended(self) -> None:
        """The socket is gone: nothing more will be sent to it."""


class Endpoint(Protocol):
    async def admit(self, request: Request) -> Callable[[LiveWebSocketProtocol], Session] | None:
        """Who is asking: None refuses the socket (HTTP 403), else the session to open once
        the socket is accepted."""


class LiveWebSocketProtocol(asyncio.Protocol):
    """One live socket: its handshake, its frames in and out, and the `Pipe` the hub writes to
    (see `server/live/hub.py`)."""

    endpoint: ClassVar[Endpoint | None] = None

    __slots__ = (
        "_close_timer",
        "_connections",
        "_fragments",
        "_loop",
        "_open",
        "_paused",
        "_ping_due",
        "_ping_every",
        "_ping_timer",
        "_session",
        "_tasks",
        "_when_ready",
        "conn",
        "transport",
    )

    @classmethod
    def serve(cls, endpoint: Endpoint | None) -> None:
        """The app that serves the live sockets in this process (None: none does any more)."""
        cls.endpoint = endpoint

    def __init__(self, config: Any, server_state: Any, **_app_state: Any) -> None:
        # uvicorn calls a `ws` class with config, server_state and app_state (the lifespan's).
        self.conn = ServerProtocol(max_size=config.ws_max_size, logger=_state_machine_log)
        self.transport: asyncio.Transport  # given by connection_made, before anything else
        self._loop = asyncio.get_running_loop()
        self._connections: set[Any] = server_state.connections  # uvicorn shuts these down
        self._tasks: set[asyncio.Task[None]] = server_state.tasks
        self._session: Session | None = None
        self._open = False  # a session, and the state machine OPEN: it takes frames
        self._fragments: list[bytes] | None = None
        self._paused = False  # the transport's buffer is above its high-water mark
        self._when_ready: Callable[[], None] | None = None
        self._ping_every: float | None = config.ws_ping_interval or None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._ping_due = False  # a ping is out and its pong has not come back
        self._close_timer: asyncio.TimerHandle | None = None

    # -- asyncio --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)
        self._connections.add(self)

    def connection_lost(self, _exc: Exception | None) -> None:
        self._connections.discard(self)
        for timer in (self._ping_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self.conn.receive_eof()
        self._end_session()
        self._resume()  # nothing will drain any more: whoever waits hears it now

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)
        for event in self.conn.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif not isinstance(event, Frame):
                continue  # a server receives no responses
            elif event.opcode is Opcode.PONG:
                self._ping_due = False
            elif event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                self._message_part(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self.conn.receive_eof()
        self._flush()
        return None  # asyncio closes the transport

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._resume()

    def shutdown(self) -> None:
        """uvicorn stops: every page is told to reconnect, to this server or another. The
        server does not wait for the answers (as uvicorn's own protocol does not)."""
        self.close(RESTARTING)
        self._end_session()
        self.transport.close()

    # -- the hub's pipe --

    @property
    def ready(self) -> bool:
        """Takes a frame now: open, and its buffer under the transport's high-water mark."""
        return not self._paused and not self.closed

    @property
    def closed(self) -> bool:
        return not self._open or self.transport.is_closing()

    def write(self, message: Message) -> None:
        self.transport.write(message.frame)

    def offer(self, message: Message) -> bool:
        """`ready` then `write`, as two attribute reads: this runs once per socket per view.
        Every change of the state machine goes through `_flush`, which keeps `_open` true."""
        if self._paused or not self._open:
            return False
        self.transport.write(message.frame)
        return True

    def when_ready(self, callback: Callable[[], None]) -> None:
        """`callback` is told once, when the buffer has drained below its low-water mark."""
        self._when_ready = callback

    # -- ending --

    def close(self, code: int) -> None:
        """Starts the close handshake; the peer has CLOSE_TIMEOUT to answer it."""
        if self.conn.state is State.OPEN:
            self.conn.send_close(code)
            self._flush()
        elif self.conn.state is State.CONNECTING:
            self.transport.close()

    def drop(self) -> None:
        """The hub gave up: the peer reads nothing, so a close handshake would never end."""
        self._end_session()
        self.transport.abort()

    # -- inside --

    def _handshake(self, request: Request) -> None:
        response = self.conn.accept(request)  # a valid WebSocket upgrade, or its refusal
        endpoint = self.endpoint
        if response.status_code != 101 or endpoint is None:
            if endpoint is None:
                response = self.conn.reject(503, "Live sockets are not served here.")
            self._answer(response)
            return
        task = self._loop.create_task(self._admit(endpoint, request, response))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _admit(self, endpoint: Endpoint, request: Request, response: Response) -> None:
        try:
            opening = await endpoint.admit(request)
        except Exception:
            log.exception("a live socket could not be admitted")
            self._answer(self.conn.reject(500, "Internal Server Error"))
            return
        if self.transport.is_closing():
            return  # gone while it was checked
        if opening is None:
            peer = self.transport.get_extra_info("peername") or ("-", 0)
            connections_log.info('%s:%d - "WebSocket %s" 403', *peer[:2], request.path)
            self._answer(self.conn.reject(403, "Forbidden"))
            return
        self._answer(response)
        self._session, self._open = opening(self), True
        self._schedule_ping(first=True)

    def _answer(self, response: Response) -> None:
        """The handshake's answer; a refusal closes the connection (it says `Connection: close`)."""
        self.conn.send_response(response)
        self._flush()
        if response.status_code != 101:
            self.transport.close()

    def _message_part(self, frame: Frame) -> None:
        data = bytes(frame.data)
        if not frame.fin:  # a fragment: the state machine has checked the order and the size
            if self._fragments is None:
                self._fragments = []
            self._fragments.append(data)  # appended, not copied: 64 KiB may come a byte a frame
            return
        if self._fragments is not None:
            self._fragments.append(data)
            data, self._fragments = b"".join(self._fragments), None
        if self._session is not None:
            self._session.receive(data)

    def _flush(self) -> None:
        """Writes what the state machine has to say; starts the TCP close when it expects one."""
        transport = self.transport
        for data in self.conn.data_to_send():
            if data == SEND_EOF:
                if transport.can_write_eof():
                    transport.write_eof()
                else:
                    transport.close()
            elif not transport.is_closing():
                transport.write(data)
        if self.conn.state is not State.OPEN:
            self._end_session()
        if self.conn.close_expected() and self._close_timer is None:
            self._close_timer = self._loop.call_later(CLOSE_TIMEOUT, transport.abort)

    def _end_session(self) -> None:
        self._open = False
        session, self._session = self._session, None
        if session is not None:
            session.ended()

    def _resume(self) -> None:
        self._paused = False
        callback, self._when_ready = self._when_ready, None
        if callback is not None:
            callback()

    def _schedule_ping(self, *, first: bool = False) -> None:
        if self._ping_every is None:
            return
        # The first one spread over the interval: 15,000 phones that came back together after
        # the Wi-Fi dropped must not all be pinged in the same millisecond, every time.
        delay = self._ping_every * (random.random() if first else 1.0)  # noqa: S311
        self._ping_timer = self._loop.call_later(delay, self._ping)

    def _ping(self) -> None:
        """Every interval a ping; a peer that did not answer the last one is gone."""
        if self.conn.state is not State.OPEN:
            return
        if self._ping_due:
            self.conn.fail(KEEPALIVE_TIMEOUT, "keepalive ping timeout")
            self._flush()
            return
        self._ping_due = True
        # Between two calls the state machine has nothing left to send (`_flush` after each),
        # so a frame written here cannot cut into one of its own.
        self.transport.write(PING)
        self._schedule_ping()
