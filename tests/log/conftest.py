"""Backends for the contract suite: SQLite on a temp file, Redis on a session-wide redis-server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from server.log.base import EventLog
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from tests.support.redis_server import RedisProcess, redis_server_binary, running_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed")
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of the test's own, for tests that kill or restart it."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed")
    with running_redis(tmp_path / "redis") as server:
        yield server


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


@pytest.fixture(params=["sqlite", "redis"])
async def backends(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backends]:
    make: Callable[[], EventLog]
    if request.param == "sqlite":
        path = tmp_path / "log.sqlite3"

        def make() -> EventLog:
            return SqliteLog(path)

    else:
        url: str = request.getfixturevalue("redis_server")
        prefix = f"test-{uuid.uuid4().hex}"

        def make() -> EventLog:
            return RedisLog(url, prefix=prefix)

    opened = Backends(make)
    yield opened
    await opened.close_all()


@pytest.fixture
async def log(backends: Backends) -> EventLog:
    return await backends.open()
