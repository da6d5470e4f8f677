"""Shared fixtures: real log backends (SQLite, a real redis-server), a real server and a meeting;
and which tests run alone (`serial`) when `./diemcau test` runs the others on two workers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.log.base import EventLog
from server.log.memory import MemoryLog, MemoryStore
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from tests.support.logs import Backends
from tests.support.redis_server import RedisProcess, redis_server_binary, running_redis
from tests.support.server import ServerProcess, create_meeting, running_server

# Tests whose margins are wall-clock time, or that kill servers mid-burst: `./diemcau test` runs
# them in a pytest of their own, one at a time (`--part serial`), never beside a browser or
# another test's burst. A node id, a file or a folder; `@pytest.mark.serial` in a test file too.
SERIAL = (
    # /healthz within 1 s beside 400 half-sent requests or a hostile upload
    "tests/web/test_robustness.py::test_half_sent_requests_are_closed_in_time_and_hold_nobody_up",
    "tests/web/test_security.py::test_a_workbook_declaring_entities_is_refused_and_the_server_keeps_answering",
    "tests/web/test_security.py::test_a_huge_table_is_refused_while_the_server_keeps_answering",
    # limits per second: what gets through depends on how fast the test sends
    "tests/web/test_robustness.py::test_a_flood_is_slowed_per_socket_with_a_retryable_refusal",
    "tests/web/test_abuse.py::test_a_link_minting_phones_faster_than_a_hall_scans_is_refused_and_others_are_not",
    # a parse killed at 0.05 s answers within 2 s; each resend comes within 1 s of its ceiling
    "tests/intake/test_opinions.py::test_a_reader_over_its_time_is_killed_and_says_so",
    "tests/pages/test_typing_and_outages.py::test_a_log_outage_is_retried_with_backoff_not_a_flood",
    # kill -9 mid-burst, several workers on one Redis, nodes behind nginx
    "tests/web/test_votes_live.py::test_kill_9_mid_burst_loses_no_acknowledged_vote",
    "tests/web/test_workers.py",
    "tests/deploy",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=("parallel", "serial"),
        default=None,
        help="only the tests that may run beside others (parallel) or only those that may not",
    )


def pytest_configure(config: pytest.Config) -> None:
    """A SERIAL entry that names nothing (a test renamed or moved) fails the run, loudly."""
    for entry in SERIAL:
        path, _, name = entry.partition("::")
        file = config.rootpath / path
        if not file.exists() or (name and f"def {name}(" not in file.read_text()):
            raise pytest.UsageError(f"tests/conftest.py SERIAL names no test: {entry}")


def is_serial(item: pytest.Item) -> bool:
    return item.get_closest_marker("serial") is not None or any(
        item.nodeid == entry or item.nodeid.startswith((f"{entry}::", f"{entry}[", f"{entry}/"))
        for entry in SERIAL
    )


@pytest.hookimpl(tryfirst=True)  # before -m, so `-m serial` sees the marks added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    serial = [is_serial(item) for item in items]
    for item, alone in zip(items, serial, strict=True):
        if alone:
            item.add_marker(pytest.mark.serial)
    part = config.getoption("part")
    if part is None:
        return
    wanted = part == "serial"
    keep = [item for item, alone in zip(items, serial, strict=True) if alone == wanted]
    drop = [item for item, alone in zip(items, serial, strict=True) if alone != wanted]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


@pytest.fixture(params=["sqlite", "redis", "memory"])
async def backends(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backends]:
    make: Callable[[], EventLog]
    if request.param == "memory":
        store = MemoryStore()  # the memory log's "disk": a log made again on it finds it all

        def make() -> EventLog:
            return MemoryLog(store)

    elif request.param == "sqlite":
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
