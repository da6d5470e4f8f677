"""Who watches which view of which meeting. A view is rendered once, framed once, and the same
bytes go to every socket that watches it.

Publishing writes each frame at once, inside the publish call, to every socket that can take it:
the fan-out is the hot path, and a task or a wake-up per socket per frame costs more than the
write. A socket whose transport pushes back keeps a one-slot mailbox for views (a newer view
replaces an unsent older one, so a slow socket skips states instead of piling them up) and a short
queue for its own answers (acks, errors), sent when it drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import NamedTuple, Protocol

from websockets.frames import Frame, Opcode

from server.core.commands import Actor
from server.core.views import SitePresence

MAX_PERSONAL_BACKLOG = 64


class ViewKey(NamedTuple):
    kind: str  # "host" | "questions" | "secretary" | "display" | "delegate"
    site_id: str | None  # only for views that differ by site (a secretary's console)
    lang: str
    device_id: str | None = None  # only for a phone that has asked to speak: its own view


class Message:
    """One message for however many sockets: its payload, and its frame's bytes, built the first
    time a socket takes it (a server's frames are not masked, so one fits every socket)."""

    __slots__ = ("_frame", "payload")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = Frame(Opcode.BINARY, self.payload).serialize(mask=False)
        return self._frame


class Pipe(Protocol):
    """Where one socket's messages go: its live socket (`server/live/frames.py`)."""

    @property
    def ready(self) -> bool:
        """Takes a message now."""

    @property
    def closed(self) -> bool:
        """Takes nothing any more."""

    def write(self, message: Message) -> None: ...

    def offer(self, message: Message) -> bool:
        """Writes the message if the pipe takes one now; False if not (full, or closed)."""

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Tells `callback` once, when a pipe that was not ready is again."""


class Connection:
    """`on_drop` is told when the hub gives up on the socket (it reads nothing, or it closed under
    the hub's feet), so the socket can be ended: the page reconnects and resyncs."""

    __slots__ = ("_on_drop", "_personal", "_pipe", "_view", "_waiting", "actor", "closed", "key")

    def __init__(
        self, key: ViewKey, actor: Actor, pipe: Pipe, on_drop: Callable[[], None] | None = None
    ) -> None:
        self.key = key
        self.actor = actor
        self._pipe = pipe
        self._on_drop = on_drop
        self._view: Message | None = None
        # Made when a first answer has to wait: an empty deque is 600 bytes, times every socket.
        self._personal: deque[Message] | None = None
        self._waiting = False  # told the pipe to say when it is ready
        self.closed = False

    def offer_view(self, message: Message) -> None:
        """The fan-out's hot path, once per socket: written now, or kept as the newest view."""
        if self.closed:
            return
        if self._waiting or not self._pipe.offer(message):
            self._view = message
            self._wait()

    def offer_personal(self, message: Message) -> None:
        if self._can_write():
            self._pipe.write(message)
        elif self.closed:
            return
        elif self._personal is None:
            self._personal = deque((message,))
            self._wait()
        elif len(self._personal) >= MAX_PERSONAL_BACKLOG:
            self.drop()  # a client that reads nothing: drop it, it resyncs on reconnect
        else:
            self._personal.append(message)
            self._wait()

    def close(self) -> None:
        """The socket ended: nothing more is sent."""
        self.closed = True
        self._view = None
        self._personal = None

    def drop(self) -> None:
        if not self.closed:
            self.close()
            if self._on_drop is not None:
                self._on_drop()

    def _can_write(self) -> bool:
        return not self.closed and not self._waiting and self._pipe.ready

    def _wait(self) -> None:
        if self._pipe.closed:
            self.drop()
        elif not self._waiting:
            self._waiting = True
            self._pipe.when_ready(self._drain)

    def _drain(self) -> None:
        """Sends what came meanwhile: the view first, so an ack never arrives before its effect."""
        self._waiting = False
        while not self.closed and self._pipe.ready and (self._view or self._personal):
            if self._view is not None:
                message, self._view = self._view, None
            elif self._personal:
                message = self._personal.popleft()
            self._pipe.write(message)
        if not self.closed and (self._view or self._personal):
            self._wait()


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
        """Renders each watched view once and hands the same frame to all its sockets."""
        for key, conns in list(self._watchers.get(meeting_id, {}).items()):
            if not conns or (kinds is not None and key.kind not in kinds):
                continue
            data = self._changed(meeting_id, key)
            if data is None:
                continue  # e.g. a vote: the phones' view does not change, so nothing is sent
            message = Message(data)
            for conn in conns:
                conn.offer_view(message)

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
