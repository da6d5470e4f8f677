"""A socket's pipe that a test drives, in place of a live socket (`server/live/frames.py`)."""

from __future__ import annotations

from collections.abc import Callable

from server.live.hub import Message


class FakePipe:
    """A socket's pipe the test drives: `ready` until `push_back()`, then waiting for `drain()`."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.frames: list[bytes] = []
        self.ready = True
        self.closed = False
        self._when_ready: Callable[[], None] | None = None

    def write(self, message: Message) -> None:
        assert self.ready, "written while it pushed back"
        self.sent.append(message.payload)
        self.frames.append(message.frame)

    def offer(self, message: Message) -> bool:
        if not self.ready or self.closed:
            return False
        self.write(message)
        return True

    def when_ready(self, callback: Callable[[], None]) -> None:
        self._when_ready = callback

    def push_back(self) -> None:
        self.ready = False

    def drain(self) -> None:
        self.ready = True
        callback, self._when_ready = self._when_ready, None
        if callback is not None:
            callback()
