"""Telling other workers that a meeting's log moved on. Only a nudge: the log is the record (P1),
so a lost message costs a moment (the periodic catch-up finds it), never an event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "dc:changed"
CATCH_UP_EVERY = 2.0  # seconds: the safety net for a nudge lost on the way


class RedisNudges:
    """Publishes `meeting_id seq worker` on one channel; `on_change` hears the other workers."""

    def __init__(self, url: str, on_change: Callable[[str, int], Awaitable[None]]) -> None:
        self._client: redis.Redis = redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        self._on_change = on_change
        self._worker = f"{os.getpid()}-{id(self)}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    def announce(self, meeting_id: str, seq: int) -> None:
        """Fire and forget: the command is already durable and acknowledged."""
        asyncio.get_running_loop().create_task(self._publish(f"{meeting_id} {seq} {self._worker}"))

    async def _publish(self, message: str) -> None:
        try:
            await self._client.publish(CHANNEL, message)
        except RedisError as error:  # the periodic catch-up covers it
            log.warning("could not announce a change: %s", error)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        await self._handle(message)
            except (RedisError, OSError) as error:
                log.warning("change announcements interrupted: %s", error)
                await asyncio.sleep(1.0)

    async def _handle(self, message: dict[str, object]) -> None:
        if message.get("type") != "message" or not isinstance(message.get("data"), bytes):
            return
        data = message["data"]
        assert isinstance(data, bytes)  # noqa: S101 - checked just above, for the type checker
        meeting_id, seq, worker = data.decode().split(" ", 2)
        if worker != self._worker:
            await self._on_change(meeting_id, int(seq))
