"""Everything a request handler needs, made once per app and kept on app.state."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

import msgspec

from server.access import Keys
from server.config import Settings
from server.core.commands import Actor
from server.core.events import (
    AnswerEdited,
    AttendanceSet,
    DelegateCheckedIn,
    Event,
    InvitationClaimed,
    InvitationReleased,
    QuestionModerated,
    QuestionSubmitted,
    QuestionSupported,
    SiteReadySet,
    SpeakerQueued,
    SpeakRequested,
    SpeakRequestWithdrawn,
    VoteCast,
)
from server.core.state import MeetingState
from server.core.views import SecretaryView, SitePresence, devices_with_requests, secretary_views
from server.i18n import translate
from server.live.fanout import RedisNudges
from server.live.hub import Hub, ViewKey
from server.live.runtime import MeetingRuntime, Meetings
from server.log.base import EventLog
from server.web.render import Renderer
from server.web.screens import SCREENS, Drawing

PUBLISH_EVERY = 0.25  # seconds: at most four renders a second of the hall's screens
# And at most one a second of the phones' for what streams in (typing, votes, hands raised): the
# typed answer at two edits a second would be two frames a second to each of 15,000 phones (the
# hall's Wi-Fi, and most of the server's time). A change that is only what the chair does reaches
# them as fast as the hall's screens.
PHONES_EVERY = 1.0
PHONES = frozenset({"delegate"})
STREAMED: frozenset[type[Event]] = frozenset(
    {
        AnswerEdited,
        VoteCast,
        SpeakRequested,
        SpeakRequestWithdrawn,
        SpeakerQueued,
        QuestionSubmitted,
        QuestionSupported,
        QuestionModerated,
        DelegateCheckedIn,
        InvitationClaimed,
        InvitationReleased,
        SiteReadySet,
        AttendanceSet,
    }
)


class Cadence(NamedTuple):
    """How often some kinds of screen are drawn at most: after changes that only stream in,
    and after any other."""

    kinds: frozenset[str]
    streamed: float
    prompt: float


CADENCES = (
    Cadence(frozenset(SCREENS) - PHONES, PUBLISH_EVERY, PUBLISH_EVERY),
    Cadence(PHONES, PHONES_EVERY, PUBLISH_EVERY),
)


T = TypeVar("T")


class ViewMessage(msgspec.Struct, frozen=True, tag_field="type", tag="view"):
    view: str
    epoch: str
    seq: int
    rev: int
    html: str


encode_view = msgspec.json.Encoder().encode

JOIN_BURST = 1000.0  # phones one join link may make at once: a main hall scanning together
JOIN_RATE = 10.0  # and then a second, sustained


class DeviceJoins:
    """The phones each join link makes: a token bucket per link (one client minting phones from
    it is slowed, other sites' links are not), and the count per site that the host sees."""

    def __init__(
        self,
        burst: float = JOIN_BURST,
        rate: float = JOIN_RATE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst, self._rate, self._clock = burst, rate, clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, when
        self._made: dict[str, Counter[str]] = {}

    def allow(self, meeting_id: str, site_id: str) -> bool:
        """Takes one phone from the link's bucket, if it holds one; counts it if so."""
        now = self._clock()
        tokens, then = self._buckets.get((meeting_id, site_id), (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens < 1:
            self._buckets[(meeting_id, site_id)] = (tokens, now)
            return False
        self._buckets[(meeting_id, site_id)] = (tokens - 1, now)
        self._made.setdefault(meeting_id, Counter())[site_id] += 1
        return True

    def made(self, meeting_id: str) -> Counter[str]:
        return self._made.get(meeting_id, Counter())


IDLE_AFTER = 600.0  # seconds without a socket: a meeting's screens' caches are let go


class AtSeq(Generic[T]):
    """Something worked out from a meeting's state, kept until the meeting moves on."""

    __slots__ = ("_seq", "_value")

    def __init__(self, empty: T) -> None:
        self._seq, self._value = -1, empty

    def get(self, runtime: MeetingRuntime, work_out: Callable[[MeetingState], T]) -> T:
        if self._seq != runtime.seq:
            self._seq, self._value = runtime.seq, work_out(runtime.state)
        return self._value


@dataclass
class Throttle:
    """When some kinds of screen were last published, and the publish waiting, if any."""

    last: float = 0.0
    pending: asyncio.TimerHandle | None = None
    due: float = 0.0  # when the pending publish runs (time.monotonic)


@dataclass
class LiveMeeting:
    """What one open meeting's screens keep between two changes: the views rendered, what was
    last pushed, the phones with a view of their own, the other workers' presence, and the
    publish throttle. Made on first use, dropped when no socket has watched it for IDLE_AFTER."""

    views: dict[ViewKey, tuple[tuple[int, int], bytes]] = field(default_factory=dict)
    # The HTML of each cached view (as the inside of a JSON string, for a screen of sections),
    # and what was last pushed.
    html_of: dict[ViewKey, str | bytes] = field(default_factory=dict)
    last_html: dict[ViewKey, str | bytes] = field(default_factory=dict)
    consoles: AtSeq[Mapping[str, SecretaryView]] = field(default_factory=lambda: AtSeq({}))
    phones: frozenset[str] | None = None  # with their own view, at the last publish
    phones_at: AtSeq[frozenset[str]] = field(default_factory=lambda: AtSeq(frozenset()))
    remote_presence: dict[str, SitePresence] = field(default_factory=dict)
    throttles: dict[frozenset[str], Throttle] = field(
        default_factory=lambda: {cadence.kinds: Throttle() for cadence in CADENCES}
    )
    unwatched_since: float | None = None


class Services:
    def __init__(self, settings: Settings, log: EventLog) -> None:
        self.settings = settings
        self.log = log
        self.keys = Keys(settings.server_key)
        self.meetings = Meetings(log)
        self.renderer = Renderer()
        self.hub = Hub(self.render_view, self.changed_view)
        self.joins = DeviceJoins()
        self._live: dict[str, LiveMeeting] = {}
        self.meetings.on_change = self._changed
        self.nudges: RedisNudges | None = None
        if settings.store == "redis":
            self.nudges = RedisNudges(settings.redis_url, self.remote_change)

    def live(self, meeting_id: str) -> LiveMeeting:
        live = self._live.get(meeting_id)
        if live is None:
            live = self._live[meeting_id] = LiveMeeting()
        return live

    def forget_idle(self, now: float | None = None) -> list[str]:
        """Lets go of the caches of meetings no socket has watched for IDLE_AFTER (a meeting
        held last month costs nothing until a page opens it again); answers which."""
        now = time.monotonic() if now is None else now
        forgotten = []
        for meeting_id, live in list(self._live.items()):
            waiting = any(t.pending is not None for t in live.throttles.values())
            if self.hub.connections(meeting_id) or waiting:
                live.unwatched_since = None
                continue
            if live.unwatched_since is None:
                live.unwatched_since = now
            elif now - live.unwatched_since >= IDLE_AFTER:
                del self._live[meeting_id]
                self.hub.forget(meeting_id)
                forgotten.append(meeting_id)
        return forgotten

    def _changed(self, runtime: MeetingRuntime) -> None:
        if self.nudges is not None:
            self.nudges.announce(runtime.meeting_id, runtime.seq)
        self._show(runtime)

    async def remote_change(self, meeting_id: str, seq: int) -> None:
        """Another worker appended: read what it wrote from the log, then show it here."""
        runtime = await self.meetings.get(meeting_id)
        if runtime is not None and runtime.seq < seq and await runtime.catch_up():
            self._show(runtime)

    def _local_presence(self, meeting_id: str) -> dict[str, SitePresence]:
        """This worker's sockets, and the phones its join links made."""
        local = dict(self.hub.presence(meeting_id))
        for site_id, made in self.joins.made(meeting_id).items():
            local[site_id] = local.get(site_id, SitePresence()) + SitePresence(joined=made)
        return local

    def presence(self, meeting_id: str) -> dict[str, SitePresence]:
        """This worker's sockets plus what the other workers said of theirs."""
        merged = self._local_presence(meeting_id)
        for site_id, p in self.live(meeting_id).remote_presence.items():
            merged[site_id] = merged.get(site_id, SitePresence()) + p
        return merged

    def device_joined(self, meeting_id: str, site_id: str) -> bool:
        """A phone is to be made from a site's join link: False if the link is being flooded.
        The hosts' consoles show the new count (with the next presence redraw)."""
        if not self.joins.allow(meeting_id, site_id):
            return False
        self.hub.presence_changed_elsewhere(meeting_id)
        return True

    async def share_presence(self) -> None:
        """With several workers: trade socket counts through Redis, redraw hosts if others moved."""
        if self.nudges is None:
            return
        for runtime in self.meetings.loaded():
            mid = runtime.meeting_id
            others = await self.nudges.share_presence(mid, self._local_presence(mid))
            live = self.live(mid)
            if others != live.remote_presence:
                live.remote_presence = others
                self.hub.presence_changed_elsewhere(mid)

    async def catch_up_all(self) -> None:
        """The safety net under the nudges: every loaded meeting reads the log's tail."""
        for runtime in self.meetings.loaded():
            if await runtime.catch_up():
                self._show(runtime)

    def _show(self, runtime: MeetingRuntime) -> None:
        """Publishes each kind of screen at once, unless it was published less than its cadence
        ago: then once more when that time is up. So a burst of 15,000 votes makes a few renders
        a second, and a single command is still shown without delay."""
        # Only a change that holds nothing streamed is prompt: in a vote burst the chair's
        # changes share their batches with votes, and the phones stay at their second.
        streamed = not runtime.take_changes().isdisjoint(STREAMED)
        for cadence in CADENCES:
            every = cadence.streamed if streamed else cadence.prompt
            self._show_kinds(runtime, cadence.kinds, every)

    def _show_kinds(self, runtime: MeetingRuntime, kinds: frozenset[str], every: float) -> None:
        throttle = self.live(runtime.meeting_id).throttles[kinds]
        due = throttle.last + every
        if throttle.pending is not None:
            if throttle.due <= due:
                return  # the publish already waiting shows this change too
            throttle.pending.cancel()  # a prompt change after streamed ones: sooner
        now = time.monotonic()
        if due <= now:
            self._publish(runtime, kinds)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._publish(runtime, kinds)
            return
        throttle.pending = loop.call_later(due - now, self._publish, runtime, kinds)
        throttle.due = due

    def _publish(self, runtime: MeetingRuntime, kinds: frozenset[str]) -> None:
        throttle = self.live(runtime.meeting_id).throttles[kinds]
        throttle.pending = None
        throttle.last = time.monotonic()
        if "delegate" in kinds:
            self._rekey_phones(runtime)
        self.hub.publish(runtime.meeting_id, kinds)

    def view_key(self, runtime: MeetingRuntime, kind: str, actor: Actor, lang: str) -> ViewKey:
        """Screens that look the same at every site share one key, so one render serves them all:
        only per-site screens (a secretary's console, the door) show their own site, and a phone
        that asked to speak its own request."""
        screen = SCREENS[kind]
        if screen.per_site:
            return ViewKey(kind, actor.site_id, lang)
        if screen.per_asking_phone and actor.device_id in self._phones_with_requests(runtime):
            return ViewKey(kind, None, lang, actor.device_id)
        return ViewKey(kind, None, lang)

    def _phones_with_requests(self, runtime: MeetingRuntime) -> frozenset[str]:
        """Known at the last publish; worked out again only if the meeting moved since."""
        return self.live(runtime.meeting_id).phones_at.get(runtime, devices_with_requests)

    def _rekey_phones(self, runtime: MeetingRuntime) -> None:
        devices = self._phones_with_requests(runtime)
        live = self.live(runtime.meeting_id)
        if live.phones == devices:
            return  # the common case: no phone started or ended a request
        live.phones = devices
        for conn in self.hub.delegates(runtime.meeting_id):
            device = conn.actor.device_id
            wanted = conn.key._replace(device_id=device if device in devices else None)
            if wanted != conn.key:
                self.hub.rekey(runtime.meeting_id, conn, wanted)

    def version(self, runtime: MeetingRuntime, key: ViewKey) -> tuple[int, int]:
        rev = self.hub.presence_rev(runtime.meeting_id) if key.kind == "host" else 0
        return runtime.seq, rev

    def changed_view(self, meeting_id: str, key: ViewKey) -> bytes | None:
        """The view to push after a change, or None if its HTML is what was pushed last time.

        Pages keep the older seq then; that is harmless (they ignore older views, and a page that
        reconnects gets the current one), and it keeps a burst of votes off 15,000 phones."""
        data = self.render_view(meeting_id, key)
        live = self.live(meeting_id)
        html = live.last_html.get(key)
        now = live.html_of.get(key)
        if html is not None and now == html:
            return None
        live.last_html[key] = now or ""
        return data

    def render_view(self, meeting_id: str, key: ViewKey) -> bytes:
        """The view message for one kind of screen; cached until the meeting or presence moves."""
        runtime = self.meetings.peek(meeting_id)
        if runtime is None:
            raise LookupError(meeting_id)
        version = self.version(runtime, key)
        live = self.live(meeting_id)
        cached = live.views.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        message = ViewMessage(
            view=key.kind, epoch=runtime.epoch, seq=version[0], rev=version[1], html=""
        )
        draw_encoded = SCREENS[key.kind].draw_encoded
        if draw_encoded is None:
            html = self._render_html(runtime, key)
            live.html_of[key] = html
            data = encode_view(msgspec.structs.replace(message, html=html))
        else:  # put together from sections encoded once: `"html":""}` with the inside in it
            inside = draw_encoded(self._drawing(runtime, key))
            live.html_of[key] = inside
            data = b"".join((encode_view(message)[:-2], inside, b'"}'))
        live.views[key] = (version, data)
        return data

    def page_view(self, runtime: MeetingRuntime, key: ViewKey) -> tuple[str, str]:
        """The version and HTML a page shows before its socket connects (no empty flash)."""
        seq, rev = self.version(runtime, key)
        return f"{runtime.epoch}:{seq}:{rev}", self._render_html(runtime, key)

    def _render_html(self, runtime: MeetingRuntime, key: ViewKey) -> str:
        return SCREENS[key.kind].draw(self._drawing(runtime, key))

    def _drawing(self, runtime: MeetingRuntime, key: ViewKey) -> Drawing:
        return Drawing(
            self.renderer,
            key.lang,
            runtime.state,
            key.site_id or "",
            key.device_id,
            lambda: self.presence(runtime.meeting_id),
            lambda: self._consoles(runtime),
        )

    def _consoles(self, runtime: MeetingRuntime) -> Mapping[str, SecretaryView]:
        """Every site's console at the meeting's seq: a change builds them once for all sites."""
        return self.live(runtime.meeting_id).consoles.get(runtime, secretary_views)

    def message(self, lang: str, text: str, params: dict[str, str | int] | None = None) -> str:
        return translate(lang, text, params)
