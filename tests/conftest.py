"""Shared fixtures: real log backends (SQLite, a real redis-server), a real server and a meeting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.log.base import EventLog
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from tests.support.logs import Backends
from tests.support.redis_server import RedisProcess, redis_server_binary, running_redis
from tests.support.server import ServerProcess, create_meeting, running_server


def require_redis_server() -> None:
    """Redis tests never skip: a missing redis-server is a broken test machine, said loudly."""
    if redis_server_binary() is None:
        pytest.fail("redis-server is not installed: run ./diemcau test, which installs it")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(tmp_path / "server") as process:
        yield process


@pytest.fixture
def meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_redis_server()
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of the test's own, for tests that kill or restart it."""
    require_redis_server()
    with running_redis(tmp_path / "redis") as server:
        yield server


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
