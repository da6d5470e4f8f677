"""The shared backend: a Redis stream per meeting, stream id = seq; each append is one Lua script.

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

from server.log.base import Appended, LogUnavailable, SeqConflict, UnknownMeeting

logger = logging.getLogger(__name__)

READ_CHUNK = 1000

# The shebang makes Redis (>= 7.0) refuse the whole script up front when it is out of memory,
# instead of failing at its first write, so an append is never half-written.
# The duplicate check comes first: a retried command must get its first answer, not a conflict.
# KEYS: meta, commands, entries. ARGV: expected_seq, command_id, entry...
APPEND = """#!lua
local seen = redis.call('HGET', KEYS[2], ARGV[2])
if seen then
    local first, last = string.match(seen, '^(%d+):(%d+)$')
    return {'dup', tonumber(first), tonumber(last)}
end
local current = redis.call('HGET', KEYS[1], 'last')
if not current then
    return {'unknown'}
end
current = tonumber(current)
local expected = tonumber(ARGV[1])
if current ~= expected then
    return {'conflict', current}
end
local count = #ARGV - 2
for i = 1, count do
    redis.call('XADD', KEYS[3], string.format('%d-0', expected + i), 'd', ARGV[i + 2])
end
local first = string.format('%d', expected + 1)
local last = string.format('%d', expected + count)
redis.call('HSET', KEYS[1], 'last', last)
redis.call('HSET', KEYS[2], ARGV[2], first .. ':' .. last)
return {'ok', expected + 1, expected + count}
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
    append: AsyncScript
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
        self._conn = _Connected(redis, redis.register_script(APPEND), redis.register_script(CREATE))

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

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        conn = self._connected()
        async with _guard():
            reply = await conn.append(
                keys=self._keys(meeting_id), args=[expected_seq, command_id, *entries]
            )
        match reply:
            case [b"ok", int(first), int(last)]:
                return Appended(first_seq=first, last_seq=last)
            case [b"dup", int(first), int(last)]:
                return Appended(first_seq=first, last_seq=last, duplicate=True)
            case [b"conflict", int(current)]:
                raise SeqConflict(current)
            case [b"unknown"]:
                raise UnknownMeeting(meeting_id)
        raise LogUnavailable(f"unexpected reply from the append script: {reply!r}")

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
