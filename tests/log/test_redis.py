"""What only the Redis backend has: its key layout, and Redis going away and coming back."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from server.log.base import Appended, CommandEntries, LogUnavailable
from server.log.redis import RedisLog
from tests.support.redis_server import RedisProcess, free_port

GUARD = 10.0  # seconds; only turns a hang into a failure


def _prefix() -> str:
    return f"test-{uuid.uuid4().hex}"


async def _unavailable(call: Callable[[], Awaitable[Any]]) -> LogUnavailable:
    with pytest.raises(LogUnavailable) as caught:
        async with asyncio.timeout(GUARD):
            await call()
    # The redis exception is kept as the cause, for the logs, but never escapes itself.
    assert isinstance(caught.value.__cause__, redis.RedisError)
    return caught.value


async def test_the_stream_id_is_the_seq(redis_server: str) -> None:
    prefix = _prefix()
    log = RedisLog(redis_server, prefix=prefix)
    await log.open()
    try:
        await log.create("m1")
        await log.append("m1", [b"a", b"b"], expected_seq=0, command_id="c1")
    finally:
        await log.close()
    raw = redis.asyncio.Redis.from_url(redis_server)
    try:
        stream = await raw.xrange(f"{prefix}:{{m1}}:entries")
        meta = await raw.hgetall(f"{prefix}:{{m1}}:meta")
        commands = await raw.hgetall(f"{prefix}:{{m1}}:cmds")
        meetings = await raw.smembers(f"{prefix}:meetings")
    finally:
        await raw.aclose()
    assert stream == [(b"1-0", {b"d": b"a"}), (b"2-0", {b"d": b"b"})]
    assert meta[b"last"] == b"2"
    assert commands == {b"c1": b"1:2"}
    assert meetings == {b"m1"}


async def test_a_killed_redis_makes_the_log_unavailable_then_it_recovers(
    redis_process: RedisProcess,
) -> None:
    log = RedisLog(redis_process.url, prefix=_prefix())
    await log.open()
    try:
        epoch = await log.create("m1")
        await log.append("m1", [b"a"], expected_seq=0, command_id="c1")

        redis_process.stop(kill=True)
        await _unavailable(lambda: log.append("m1", [b"b"], expected_seq=1, command_id="c2"))
        await _unavailable(lambda: log.read("m1"))
        await _unavailable(lambda: log.epoch("m1"))
        await _unavailable(lambda: log.create("m2"))
        await _unavailable(log.meetings)

        redis_process.start()
        # The same instance reconnects; Redis lost its script cache, so the script is reloaded.
        assert await log.read("m1") == [(1, b"a")]
        assert await log.epoch("m1") == epoch
        appended = await log.append("m1", [b"b"], expected_seq=1, command_id="c2")
        assert appended == Appended(first_seq=2, last_seq=2)
        assert await log.read("m1") == [(1, b"a"), (2, b"b")]
    finally:
        await log.close()


async def test_every_acknowledged_append_survives_a_crash(redis_process: RedisProcess) -> None:
    prefix = _prefix()
    log = RedisLog(redis_process.url, prefix=prefix)
    await log.open()
    try:
        epoch = await log.create("m1")
        for i in range(200):
            await log.append("m1", [f"e{i}".encode()], expected_seq=i, command_id=f"c{i}")
        await log.append("m1", [], expected_seq=200, command_id="noop")
    finally:
        await log.close()

    redis_process.stop(kill=True)  # no shutdown: only what reached the AOF can come back
    redis_process.start()

    reopened = RedisLog(redis_process.url, prefix=prefix)
    await reopened.open()
    try:
        assert await reopened.meetings() == ["m1"]
        assert await reopened.epoch("m1") == epoch
        assert await reopened.read("m1") == [(i + 1, f"e{i}".encode()) for i in range(200)]
        again = await reopened.append("m1", [b"x"], expected_seq=0, command_id="c199")
        assert again == Appended(first_seq=200, last_seq=200, duplicate=True)
        noop = await reopened.append("m1", [], expected_seq=0, command_id="noop")
        assert noop == Appended(first_seq=201, last_seq=200, duplicate=True)
        appended = await reopened.append("m1", [b"x"], expected_seq=200, command_id="c200")
        assert appended == Appended(first_seq=201, last_seq=201)
    finally:
        await reopened.close()


async def test_a_frozen_redis_times_out_as_unavailable(redis_process: RedisProcess) -> None:
    log = RedisLog(redis_process.url, prefix=_prefix(), timeout=0.5)
    await log.open()
    try:
        await log.create("m1")
        os.kill(redis_process.pid, signal.SIGSTOP)  # accepts nothing, answers nothing
        try:
            error = await _unavailable(
                lambda: log.append("m1", [b"a"], expected_seq=0, command_id="c1")
            )
            assert isinstance(error.__cause__, redis.TimeoutError)
        finally:
            os.kill(redis_process.pid, signal.SIGCONT)
        # The timed-out append may or may not have run; a retry with its command_id is safe.
        retried = await log.append("m1", [b"a"], expected_seq=0, command_id="c1")
        assert (retried.first_seq, retried.last_seq) == (1, 1)
        assert await log.read("m1") == [(1, b"a")]
    finally:
        await log.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener never accepts: connecting works, no answer ever comes."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


async def test_open_fails_fast_when_redis_does_not_answer(silent_port: int) -> None:
    log = RedisLog(f"redis://127.0.0.1:{silent_port}/0", prefix=_prefix(), timeout=0.5)
    await _unavailable(log.open)


async def test_open_fails_when_nothing_listens() -> None:
    log = RedisLog(f"redis://127.0.0.1:{free_port()}/0", prefix=_prefix())
    error = await _unavailable(log.open)
    assert isinstance(error.__cause__, redis.ConnectionError)


async def test_an_unopened_log_is_unavailable(redis_server: str) -> None:
    log = RedisLog(redis_server, prefix=_prefix())
    with pytest.raises(LogUnavailable):
        await log.append("m1", [b"a"], expected_seq=0, command_id="c1")


async def test_open_warns_when_redis_would_not_fsync_every_write(
    redis_process: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    admin = redis.Redis.from_url(redis_process.url)
    try:
        admin.config_set("appendfsync", "everysec")
    finally:
        admin.close()
    log = RedisLog(redis_process.url, prefix=_prefix())
    with caplog.at_level(logging.WARNING, logger="server.log.redis"):
        await log.open()
    await log.close()
    assert any("appendfsync=everysec" in record.getMessage() for record in caplog.records)


async def test_every_acknowledged_batch_survives_a_crash(redis_process: RedisProcess) -> None:
    prefix = _prefix()
    log = RedisLog(redis_process.url, prefix=prefix)
    await log.open()
    try:
        await log.create("m1")
        seq = 0
        for b in range(40):
            commands = [
                CommandEntries(f"c{b}-{i}", [f"e{b}-{i}".encode()] * (i % 3)) for i in range(25)
            ]
            seq = (await log.append_batch("m1", commands, expected_seq=seq))[-1].last_seq
    finally:
        await log.close()

    redis_process.stop(kill=True)  # no shutdown: only what reached the AOF can come back
    redis_process.start()

    reopened = RedisLog(redis_process.url, prefix=prefix)
    await reopened.open()
    try:
        wanted = [f"e{b}-{i}".encode() for b in range(40) for i in range(25) for _ in range(i % 3)]
        assert await reopened.read("m1") == list(enumerate(wanted, start=1))
        ids = [f"c{b}-{i}" for b in range(40) for i in range(25)]
        assert set(await reopened.recorded("m1", ids)) == set(ids)
    finally:
        await reopened.close()


async def test_a_batch_refused_for_lack_of_memory_writes_none_of_it(
    redis_process: RedisProcess,
) -> None:
    log = RedisLog(redis_process.url, prefix=_prefix())
    await log.open()
    admin = redis.asyncio.Redis.from_url(redis_process.url)
    try:
        await log.create("m1")
        await log.append("m1", [b"a"], expected_seq=0, command_id="c0")
        await admin.config_set("maxmemory-policy", "noeviction")
        await admin.config_set("maxmemory", "1")  # any write now runs out of memory
        commands = [CommandEntries(f"c{i}", [b"x" * 1000] * 3) for i in range(1, 50)]
        error = await _unavailable(lambda: log.append_batch("m1", commands, expected_seq=1))
        assert "OutOfMemoryError" in str(error)
        await admin.config_set("maxmemory", "0")
        assert await log.read("m1") == [(1, b"a")]
        assert await log.recorded("m1", [c.command_id for c in commands]) == {}
        answers = await log.append_batch("m1", commands, expected_seq=1)
        assert answers[-1] == Appended(146, 148)
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
        await log.close()
