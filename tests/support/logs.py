"""Opens log backends over one storage, so a test can close one and reopen another."""

from __future__ import annotations

from collections.abc import Callable

from server.log.base import EventLog


class Backends:
    """Opens instances of one backend over the same storage, so a test can close and reopen."""

    def __init__(self, make: Callable[[], EventLog]) -> None:
        self._make = make
        self._open: list[EventLog] = []

    async def open(self) -> EventLog:
        log = self._make()
        await log.open()
        self._open.append(log)
        return log

    async def close(self, log: EventLog) -> None:
        self._open.remove(log)
        await log.close()

    async def close_all(self) -> None:
        while self._open:
            await self.close(self._open[-1])
