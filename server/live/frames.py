"""The live sockets' server side: uvicorn's WebSocket protocol, offering the app one more way to
send. Server frames are not masked, so a view's frame is built once and its bytes fit every
socket; the hub writes them straight to each transport, with backpressure kept.

Passed to uvicorn as `ws=LiveWebSocketProtocol`; the app finds each socket's pipe in its scope,
under the ASGI extension `FRAMES`. Pings, the close handshake, size caps and everything the app
sends the usual ASGI way stay uvicorn's and websockets'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from server.live.hub import Message

FRAMES = "diemcau.frames"  # the scope extension: {"pipe": the socket's `FramePipe`}


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """One socket, as uvicorn's own, and a `Pipe` for the hub (see `server/live/hub.py`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._when_ready: Callable[[], None] | None = None
        self._paused = False  # the transport's buffer is above its high-water mark

    async def run_asgi(self) -> None:
        self.scope["extensions"][FRAMES] = {"pipe": self}
        await super().run_asgi()

    # -- the hub's pipe --

    @property
    def ready(self) -> bool:
        """Takes a frame now: open, and its buffer under the transport's high-water mark."""
        return self.writable.is_set() and not self.closed

    @property
    def closed(self) -> bool:
        return (
            self.disconnected
            or self.close_sent
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        )

    def write(self, message: Message) -> None:
        self.transport.write(message.frame)

    def offer(self, message: Message) -> bool:
        """`ready` then `write`, as plain attribute reads: this runs once per socket per view.
        The websockets state needs no look: a close from the peer is answered and the transport
        closed in the same callback (uvicorn's `handle_close`), so `is_closing()` says it."""
        if self._paused or self.close_sent or self.disconnected or self.transport.is_closing():
            return False
        self.transport.write(message.frame)
        return True

    def when_ready(self, callback: Callable[[], None]) -> None:
        """`callback` is told once, when the buffer has drained below its low-water mark."""
        self._when_ready = callback

    def pause_writing(self) -> None:
        super().pause_writing()
        self._paused = True

    def resume_writing(self) -> None:
        super().resume_writing()
        self._paused = False
        callback, self._when_ready = self._when_ready, None
        if callback is not None:
            callback()
