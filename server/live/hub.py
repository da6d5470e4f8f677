"""Who watches which view of which meeting. A view is rendered once and the same bytes go to all.

Publishing sends each frame at once, inside the publish call, to every socket that can take it:
the fan-out is the hot path, and a task or a wake-up per socket per frame costs more than the send.
Only a socket whose transport pushes back gets a task; it finishes that send and then drains a
one-slot mailbox for views (a newer view replaces an unsent older one, so a slow socket skips
states instead of piling them up) and a short queue for its own answers (acks, errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from typing import Any, NamedTuple

from server.core.commands import Actor
from server.core.views import SitePresence

MAX_PERSONAL_BACKLOG = 64

Send = Callable[[bytes], Coroutine[Any, Any, None]]


class ViewKey(NamedTuple):
    kind: str  # "host" | "questions" | "secretary" | "display" | "delegate"
    site_id: str | None  # only for views that differ by site (a secretary's console)
    lang: str
    device_id: str | None = None  # only for a phone that has asked to speak: its own view


def _start(step: Coroutine[Any, Any, None]) -> object | None:
    """Runs a send coroutine up to its first wait. Most sends never wait (the socket's buffer has
    room), so they finish here without a task; answers what it waits on, or None when done."""
    try:
        waiting: object = step.send(None)
    except StopIteration:
        return None
    return waiting


async def _resume(step: Coroutine[Any, Any, None], waiting: object) -> None:
    """Drives a coroutine that `_start` began to its end, as a task would have."""
    while True:
        try:
            if isinstance(waiting, asyncio.Future):
                # What a task does with a future its coroutine yields, or awaiting it fails.
                waiting._asyncio_future_blocking = False
                await waiting
            else:
                await asyncio.sleep(0)  # a bare yield: let the loop run once
        except asyncio.CancelledError:
            step.close()
            raise
        except Exception:  # noqa: BLE001, S110 - the coroutine reads the failure itself below
            pass
        try:
            waiting = step.send(None)
        except StopIteration:
            return


class Connection:
    """`on_drop` is told when the hub gives up on the socket (it reads nothing, or a send failed),
    so the socket can be closed: the page reconnects and resyncs."""

    def __init__(
        self, key: ViewKey, actor: Actor, send: Send, on_drop: Callable[[], None] | None = None
    ) -> None:
        self.key = key
        self.actor = actor
        self._send = send
        self._on_drop = on_drop
        self._view: bytes | None = None
        self._personal: deque[bytes] = deque()
        self._draining: asyncio.Task[None] | None = None
        self.closed = False

    def offer_view(self, data: bytes) -> None:
        if self._draining is None:
            self._push(data)
        else:
            self._view = data

    def offer_personal(self, data: bytes) -> None:
        if self._draining is None:
            self._push(data)
        elif len(self._personal) >= MAX_PERSONAL_BACKLOG:
            self.drop()  # a client that reads nothing: drop it, it resyncs on reconnect
        else:
            self._personal.append(data)

    def close(self) -> None:
        """The socket ended: nothing more is sent."""
        self.closed = True
        if self._draining is not None:
            self._draining.cancel()

    def drop(self) -> None:
        if not self.closed:
            self.close()
            if self._on_drop is not None:
                self._on_drop()

    def _push(self, data: bytes) -> None:
        if self.closed:
            return
        step = self._send(data)
        try:
            waiting = _start(step)
        except Exception:  # noqa: BLE001 - the peer is gone
            self.drop()
            return
        if waiting is not None:
            self._draining = asyncio.ensure_future(self._drain(step, waiting))

    async def _drain(self, step: Coroutine[Any, Any, None], waiting: object) -> None:
        """Finishes a send that had to wait, then sends what came meanwhile: the view first, so
        an ack never arrives before its effect."""
        try:
            await _resume(step, waiting)
            while self._view is not None or self._personal:
                if self._view is not None:
                    data, self._view = self._view, None
                else:
                    data = self._personal.popleft()
                await self._send(data)
        except Exception:  # noqa: BLE001 - the peer is gone
            self._draining = None  # so that dropping does not cancel this very task
            self.drop()
        finally:
            self._draining = None


class _SiteCount:
    __slots__ = ("consoles", "delegates", "displays", "last_seen")

    def __init__(self) -> None:
        self.displays = 0
        self.consoles = 0
        self.delegates = 0
        self.last_seen: float | None = None


class Hub:
    """Fan-out for one process. `render(meeting_id, key)` must return the bytes for that view."""

    def __init__(
        self,
        render: Callable[[str, ViewKey], bytes],
        changed: Callable[[str, ViewKey], bytes | None] | None = None,
    ) -> None:
        self._render = render
        # What to send on publish: None when that kind of screen would look the same as before.
        self._changed = changed or render
        self._watchers: dict[str, dict[ViewKey, set[Connection]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self._presence: dict[str, dict[str, _SiteCount]] = defaultdict(
            lambda: defaultdict(_SiteCount)
        )
        self._presence_rev: dict[str, int] = defaultdict(int)
        self._presence_flush: dict[str, asyncio.TimerHandle] = {}
        self.presence_delay = 0.5

    def join(self, meeting_id: str, conn: Connection) -> None:
        self._watchers[meeting_id][conn.key].add(conn)
        self._count(meeting_id, conn, +1)

    def leave(self, meeting_id: str, conn: Connection) -> None:
        watchers = self._watchers.get(meeting_id, {})
        same = watchers.get(conn.key)
        if same is not None:
            same.discard(conn)
            if not same:  # a phone's own view, say: nobody left to send it to
                del watchers[conn.key]
        self._count(meeting_id, conn, -1)

    def forget(self, meeting_id: str) -> None:
        """Drops what the hub keeps of a meeting no socket watches (its sets and counts)."""
        if self.connections(meeting_id):
            return
        self._watchers.pop(meeting_id, None)
        self._presence.pop(meeting_id, None)  # its rev stays: a page's version never repeats
        flush = self._presence_flush.pop(meeting_id, None)
        if flush is not None:
            flush.cancel()

    def rekey(self, meeting_id: str, conn: Connection, key: ViewKey) -> None:
        """Moves a socket to another view (a phone that asked to speak gets its own)."""
        watchers = self._watchers[meeting_id]
        watchers[conn.key].discard(conn)
        if not watchers[conn.key]:
            del watchers[conn.key]
        conn.key = key
        watchers[key].add(conn)

    def delegates(self, meeting_id: str) -> list[Connection]:
        return [
            conn
            for key, conns in self._watchers.get(meeting_id, {}).items()
            if key.kind == "delegate"
            for conn in conns
        ]

    def touch(self, meeting_id: str, conn: Connection) -> None:
        if conn.actor.site_id is not None:
            self._presence[meeting_id][conn.actor.site_id].last_seen = time.time()

    def connections(self, meeting_id: str) -> int:
        return sum(len(conns) for conns in self._watchers.get(meeting_id, {}).values())

    def publish(self, meeting_id: str, kinds: frozenset[str] | None = None) -> None:
        """Renders each watched view once and hands the same bytes to all its sockets."""
        for key, conns in list(self._watchers.get(meeting_id, {}).items()):
            if not conns or (kinds is not None and key.kind not in kinds):
                continue
            data = self._changed(meeting_id, key)
            if data is None:
                continue  # e.g. a vote: the phones' view does not change, so nothing is sent
            for conn in conns:
                conn.offer_view(data)

    def presence(self, meeting_id: str) -> dict[str, SitePresence]:
        return {
            site_id: SitePresence(c.displays, c.consoles, c.delegates, c.last_seen)
            for site_id, c in self._presence.get(meeting_id, {}).items()
        }

    def presence_rev(self, meeting_id: str) -> int:
        return self._presence_rev[meeting_id]

    def presence_changed_elsewhere(self, meeting_id: str) -> None:
        """Other workers' sockets moved: the host views must be drawn again."""
        self._presence_rev[meeting_id] += 1
        self._schedule_presence(meeting_id)

    def meetings_watched(self) -> list[str]:
        return [mid for mid, watchers in self._watchers.items() if any(watchers.values())]

    def _count(self, meeting_id: str, conn: Connection, step: int) -> None:
        site_id = conn.actor.site_id
        if site_id is None:
            return
        count = self._presence[meeting_id][site_id]
        role = conn.actor.role
        if role == "display":
            count.displays += step
        elif role == "secretary":
            count.consoles += step
        elif role == "delegate":
            count.delegates += step
        count.last_seen = time.time()
        self._presence_rev[meeting_id] += 1
        self._schedule_presence(meeting_id)

    def _schedule_presence(self, meeting_id: str) -> None:
        """Connections come in storms: tell the host at most twice a second."""
        if meeting_id in self._presence_flush:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to tell
            loop = asyncio.get_running_loop()
            self._presence_flush[meeting_id] = loop.call_later(
                self.presence_delay, self._flush_presence, meeting_id
            )

    def _flush_presence(self, meeting_id: str) -> None:
        self._presence_flush.pop(meeting_id, None)
        self.publish(meeting_id, frozenset({"host"}))
