"""The shared backend: a Redis stream per meeting, stream id = seq; each batch is one Lua script.

Durable before it returns only if the Redis server runs with appendonly yes, appendfsync always.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from server.log.base import (
    Appended,
    CommandEntries,
    CommandsSeen,
    LogUnavailable,
    SeqConflict,
    UnknownMeeting,
    append_one,
    distinct_ids,
    places,
)

logger = logging.getLogger(__name__)

READ_CHUNK = 1000

# The shebang makes Redis (>= 7.0) refuse the whole script up front when it is out of memory,
# instead of failing at its first write, so a batch is never half-written. One script call is one
# write to the AOF, so one fsync (appendfsync always) for the whole batch.
# The command ids are checked first: a retried command must get its first answer, not a conflict.
# KEYS: meta, commands, entries. ARGV: expected_seq, then per command: command_id, n, n entries.
APPEND_BATCH = """#!lua
local seen = {}
local at = 2
while at <= #ARGV do
    local first_answer = redis.call('HGET', KEYS[2], ARGV[at])
    if first_answer then
        seen[#seen + 1] = ARGV[at]
        seen[#seen + 1] = first_answer
    end
    at = at + 2 + tonumber(ARGV[at + 1])
end
local current = redis.call('HGET', KEYS[1], 'last')
if not current then
    return {'unknown'}
end
current = tonumber(current)
if #seen > 0 then
    return {'seen', current, seen}
end
local seq = tonumber(ARGV[1])
if current ~= seq then
    return {'conflict', current}
end
at = 2
while at <= #ARGV do
    local count = tonumber(ARGV[at + 1])
    local first = seq + 1
    for i = 1, count do
        seq = seq + 1
        redis.call('XADD', KEYS[3], string.format('%d-0', seq), 'd', ARGV[at + 1 + i])
    end
    redis.call('HSET', KEYS[2], ARGV[at], string.format('%d:%d', first, seq))
    at = at + 2 + count
end
redis.call('HSET', KEYS[1], 'last', string.format('%d', seq))
return {'ok', seq}
"""

# KEYS: meta, meetings. ARGV: epoch, meeting_id.
CREATE = """#!lua
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 0 then
    return 0
end
redis.call('HSET', KEYS[1], 'last', 0)
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class _Connected:
    redis: Redis
    append_batch: AsyncScript
    create: AsyncScript


class RedisLog:
    """A meeting's keys share the `{meeting_id}` hash tag, so its append touches one slot."""

    def __init__(self, url: str, *, prefix: str = "dc", timeout: float = 3.0) -> None:
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._conn: _Connected | None = None

    def _keys(self, meeting_id: str) -> tuple[str, str, str]:
        tagged = f"{self._prefix}:{{{meeting_id}}}"
        return f"{tagged}:meta", f"{tagged}:cmds", f"{tagged}:entries"

    def _connected(self) -> _Connected:
        if self._conn is None:
            raise LogUnavailable("the log is not open")
        return self._conn

    async def open(self) -> None:
        # No automatic retries: a replayed EVALSHA whose first reply was lost would answer
        # duplicate=True to the caller's own first attempt. The caller retries instead.
        redis = Redis.from_url(
            self._url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            async with _guard():
                await redis.ping()
        except LogUnavailable:
            await redis.aclose()
            raise
        await self._warn_if_not_durable(redis)
        self._conn = _Connected(
            redis, redis.register_script(APPEND_BATCH), redis.register_script(CREATE)
        )

    async def _warn_if_not_durable(self, redis: Redis) -> None:
        try:
            config = await redis.config_get("append*")
        except RedisError:  # CONFIG is often disabled on managed Redis: nothing to check then
            return
        if config.get("appendonly") != "yes" or config.get("appendfsync") != "always":
            logger.warning(
                "Redis at %s has appendonly=%s appendfsync=%s: acknowledged events can be lost",
                self._url.rpartition("@")[2],  # without the password the URL may carry
                config.get("appendonly"),
                config.get("appendfsync"),
            )

    async def close(self) -> None:
        if self._conn is not None:
            redis, self._conn = self._conn.redis, None
            async with _guard():
                await redis.aclose()

    async def create(self, meeting_id: str) -> str:
        conn = self._connected()
        epoch = secrets.token_hex(8)
        meta, _, _ = self._keys(meeting_id)
        async with _guard():
            created = await conn.create(
                keys=[meta, f"{self._prefix}:meetings"], args=[epoch, meeting_id]
            )
        if not created:
            raise KeyError(meeting_id)
        return epoch

    async def meetings(self) -> list[str]:
        conn = self._connected()
        async with _guard():
            members = await conn.redis.smembers(f"{self._prefix}:meetings")
        return [_text(member) for member in members]

    async def epoch(self, meeting_id: str) -> str:
        conn = self._connected()
        meta, _, _ = self._keys(meeting_id)
        async with _guard():
            epoch = await conn.redis.hget(meta, "epoch")
        if epoch is None:
            raise UnknownMeeting(meeting_id)
        return _text(epoch)

    async def recorded(self, meeting_id: str, command_ids: Sequence[str]) -> dict[str, Appended]:
        if not command_ids:
            return {}
        conn = self._connected()
        _, commands, _ = self._keys(meeting_id)
        async with _guard():
            answers = await conn.redis.hmget(commands, list(command_ids))
        return {
            command_id: _answer(answer)
            for command_id, answer in zip(command_ids, answers, strict=True)
            if answer is not None
        }

    async def append_batch(
        self, meeting_id: str, commands: Sequence[CommandEntries], *, expected_seq: int
    ) -> list[Appended]:
        distinct_ids(commands)
        if not commands:
            return []
        conn = self._connected()
        args: list[bytes | str | int] = [expected_seq]
        for command in commands:
            args += [command.command_id, len(command.entries), *command.entries]
        async with _guard():
            reply = await conn.append_batch(keys=self._keys(meeting_id), args=args)
        match reply:
            case [b"ok", int(last)]:
                answers = places(commands, expected_seq)
                if answers[-1].last_seq != last:
                    raise LogUnavailable(f"the batch ended at {last}, not {answers[-1].last_seq}")
                return answers
            case [b"seen", int(current), list(seen)]:
                pairs = zip(seen[::2], seen[1::2], strict=True)
                raise CommandsSeen(current, {_text(key): _answer(value) for key, value in pairs})
            case [b"conflict", int(current)]:
                raise SeqConflict(current)
            case [b"unknown"]:
                raise UnknownMeeting(meeting_id)
        raise LogUnavailable(f"unexpected reply from the append script: {reply!r}")

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        return await append_one(
            self, meeting_id, entries, expected_seq=expected_seq, command_id=command_id
        )

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        conn = self._connected()
        _, _, stream = self._keys(meeting_id)
        out: list[tuple[int, bytes]] = []
        start = max(after_seq, 0) + 1
        while True:
            # Chunks keep each reply small; the log only grows, so they join up without gaps.
            async with _guard():
                chunk = await conn.redis.xrange(stream, min=f"{start}-0", max="+", count=READ_CHUNK)
            for stream_id, fields in chunk or []:
                if stream_id is None or fields is None:
                    raise LogUnavailable(f"malformed entry in {stream}")
                data = fields[b"d"]
                out.append((int(_text(stream_id).partition("-")[0]), _bytes(data)))
            if chunk is None or len(chunk) < READ_CHUNK:
                return out
            start = out[-1][0] + 1


def _answer(value: bytes | str) -> Appended:
    """A recorded command's first answer, stored as "first:last"."""
    first, _, last = _text(value).partition(":")
    return Appended(first_seq=int(first), last_seq=int(last), duplicate=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    # The client never decodes replies; the str case only exists in redis-py's type hints.
    return value if isinstance(value, bytes) else value.encode()


@asynccontextmanager
async def _guard() -> AsyncIterator[None]:
    """Any Redis failure means "cannot log now", so the server refuses the command as retryable.

    That includes error replies (OOM, READONLY after a failover, LOADING, MISCONF): none of them
    is the caller's fault, and a raw redis exception must not escape into the command path.
    """
    try:
        yield
    except RedisError as error:
        raise LogUnavailable(f"redis: {type(error).__name__}: {error}") from error
    except OSError as error:
        raise LogUnavailable(f"redis: {error}") from error
