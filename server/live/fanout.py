"""Telling other workers that a meeting's log moved on. Only a nudge: the log is the record (P1),
so a lost message costs a moment (the periodic catch-up finds it), never an event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable

import msgspec
import redis.asyncio as redis
from redis.exceptions import RedisError

from server.core.views import SitePresence
from server.log.base import LogUnavailable

log = logging.getLogger(__name__)

CHANNEL = "dc:changed"
PRESENCE_TTL = 10


class _SharedPresence(msgspec.Struct):
    at: float
    sites: dict[str, SitePresence]


class _PresenceCodec:
    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def encode(self, sites: dict[str, SitePresence]) -> bytes:
        return self._encoder.encode(_SharedPresence(time.time(), sites))


_presence_codec = _PresenceCodec()
_presence_decoder = msgspec.json.Decoder(_SharedPresence)
CATCH_UP_EVERY = 2.0  # seconds: the safety net for a nudge lost on the way
RESUBSCRIBE_FIRST = 0.5  # seconds before subscribing again after a failure, doubled each time
RESUBSCRIBE_MAX = 10.0


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
        except (RedisError, OSError) as error:  # the periodic catch-up covers it
            log.warning("could not announce a change: %s", error)

    async def share_presence(
        self, meeting_id: str, mine: dict[str, SitePresence]
    ) -> dict[str, SitePresence]:
        """Writes this worker's sockets per site and reads the other workers' (each entry lives
        PRESENCE_TTL seconds, so a killed worker's sockets fade out)."""
        key = f"dc:presence:{meeting_id}"
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hset(key, self._worker, _presence_codec.encode(mine))
                pipe.expire(key, PRESENCE_TTL)
                pipe.hgetall(key)
                *_, everyone = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("could not share presence: %s", error)
            return {}
        others: dict[str, SitePresence] = {}
        now = time.time()
        for worker, data in everyone.items():
            if worker.decode() == self._worker:
                continue
            try:
                shared = _presence_decoder.decode(data)
            except msgspec.DecodeError:
                continue  # not written by a worker of this version: it expires on its own
            if shared.at < now - PRESENCE_TTL:
                continue
            for site_id, p in shared.sites.items():
                others[site_id] = others.get(site_id, SitePresence()) + p
        return others

    async def _listen(self) -> None:
        """Runs until stopped, whatever fails: each failure waits longer before subscribing again
        (up to RESUBSCRIBE_MAX), and a subscription that delivered a message starts afresh."""
        wait = RESUBSCRIBE_FIRST
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        wait = RESUBSCRIBE_FIRST
                        await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a listener that ends is a silent outage
                log.warning(
                    "change announcements interrupted (%s: %s); subscribing again in %.1f s",
                    type(error).__name__,
                    error,
                    wait,
                )
            await asyncio.sleep(wait * (0.5 + random.random()))  # noqa: S311 - jitter only
            wait = min(wait * 2, RESUBSCRIBE_MAX)

    async def _handle(self, message: dict[str, object]) -> None:
        data = message.get("data")
        if message.get("type") != "message" or not isinstance(data, bytes):
            return
        try:
            meeting_id, seq, worker = data.decode().split(" ", 2)
            if worker != self._worker:
                await self._on_change(meeting_id, int(seq))
        except (LogUnavailable, UnicodeDecodeError, ValueError) as error:
            # The log is down for a moment, or the message is not ours: the subscription stays,
            # and the periodic catch-up reads what this nudge was about.
            log.warning("a change announcement was not followed: %s", error)
