"""Properties of the floor: random meetings driven through decide() and apply().

1. Fairness (the issue's property): with no manual reordering, no site speaks twice in a row while
   another site waits, and every confirmed request is called exactly once or is still waiting
   (or was withdrawn while waiting).
2. The calls follow a small independent model of the round-robin.
3. A state machine that also lets the host move, pin, give the floor and restore the fair order:
   the queue is exactly the queued requests, pins sit in front, one speaker at most, one active
   request per phone, and the log replays to the live state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from server.core import floor
from server.core.apply import apply, replay
from server.core.commands import (
    Actor,
    CallSpeaker,
    Command,
    ConfirmRequest,
    CreateMeeting,
    DeclineRequest,
    EndSpeech,
    GiveFloorToSite,
    MoveInQueue,
    PauseSpeech,
    PinToTop,
    RegisterSpeaker,
    RequestToSpeak,
    RestoreFairOrder,
    ResumeSpeech,
    SkipSpeaker,
    WithdrawRequest,
)
from server.core.decide import Context, Decision, Rejected, decide
from server.core.events import (
    Event,
    FairOrderRestored,
    QueueReordered,
    SpeakerCalled,
    SpeakerPinned,
    SpeakerQueued,
    SpeakerSkipped,
    SpeakRequestDeclined,
    SpeakRequested,
    SpeakRequestWithdrawn,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    decode_event,
    encode_event,
)
from server.core.rules import BUDGET_SECONDS
from server.core.state import ACTIVE_STATUSES, MeetingState, SpeakerRequest
from server.core.views import host_view, queue_rows, secretary_view, secretary_views
from tests.core.support import HOST, ORGANISER, T0

CLOCK_STEP = 1.5
GHOST = "request-that-never-was"

NO_EXPLAIN = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # no Phase.explain: on a failure it costs minutes on a slow machine
    phases=[p for p in Phase if p != Phase.explain],
)


class Meeting:
    """One meeting: commands go through decide(); what is accepted is logged as bytes and folded
    into `live`. It also keeps its own record of the round (sites in the order they first had
    someone queued, the confirmation order, the site called last) to check the state against."""

    def __init__(self, site_count: int) -> None:
        self.live = MeetingState()
        self.log: list[bytes] = []
        self.clock = T0
        self.id_counter = 0
        self.request_counter = 0
        self.rotation: list[str] = []
        self.confirmed: list[str] = []
        self.last_called_site: str | None = None
        self.calls: Counter[str] = Counter()
        create = CreateMeeting(
            title="Hội nghị đối thoại",
            date="2025-06-01",
            level="district",
            chair="Chủ tịch",
            main_hall="Hội trường",
            sites=[f"Phường {i}" for i in range(1, site_count)],
        )
        self.accept(create, ORGANISER)
        self.sites = [site.site_id for site in self.live.sites]
        assert len(self.sites) == site_count

    # --- plumbing ---------------------------------------------------------------------------

    def new_id(self) -> str:
        self.id_counter += 1
        return f"id-{self.id_counter}"

    def issue(self, command: Command, actor: Actor) -> Decision:
        self.clock += CLOCK_STEP
        before = self.live
        decision = decide(self.live, command, Context(actor, self.clock, self.new_id, "m"))
        if isinstance(decision, Rejected):
            note_outcome(f"{type(command).__name__}: {decision.code}")
            assert self.live is before
            return decision
        note_outcome(f"{type(command).__name__}: {'accepted' if decision else 'no-op'}")
        for event in decision:
            self.record(event)
        if not decision:
            assert self.live == before
        return decision

    def record(self, event: Event) -> None:
        self.log.append(encode_event(event))
        self.live = apply(self.live, event)
        if isinstance(event, SpeakerQueued):
            site_id = self.request(event.request_id).site_id
            self.confirmed.append(event.request_id)
            if site_id not in self.rotation:
                self.rotation.append(site_id)
        elif isinstance(event, SpeakerCalled):
            self.calls[event.request_id] += 1
            self.last_called_site = self.request(event.request_id).site_id

    def expect(self, command: Command, actor: Actor, expected: str | Sequence[Event]) -> None:
        """Issue the command; the answer must be exactly this code or exactly these events."""
        decision = self.issue(command, actor)
        if isinstance(expected, str):
            assert isinstance(decision, Rejected), (command, actor, decision, expected)
            assert decision.code == expected, (command, actor, decision)
        else:
            assert not isinstance(decision, Rejected), (command, actor, decision)
            assert list(decision) == list(expected), (command, actor, decision, expected)

    def accept(self, command: Command, actor: Actor) -> list[Event]:
        decision = self.issue(command, actor)
        assert not isinstance(decision, Rejected), (command, actor, decision)
        return list(decision)

    def events(self) -> list[Event]:
        return [decode_event(data) for data in self.log]

    def request(self, request_id: str) -> SpeakerRequest:
        request = self.live.floor.request(request_id)
        assert request is not None, request_id
        return request

    def with_status(self, *statuses: str) -> list[SpeakerRequest]:
        return [r for r in self.live.floor.requests if r.status in statuses]

    def site(self, index: int) -> str:
        return self.sites[index % len(self.sites)]

    @property
    def at(self) -> float:
        """The time the next command will be decided at."""
        return self.clock + CLOCK_STEP

    # --- the model of the round -------------------------------------------------------------

    def model_fair_queue(self) -> list[str]:
        """The round-robin written out again: pins first; then sites in the order they first had
        someone queued, starting after the site called last, one speaker per site per round,
        each site's speakers in the order they were confirmed."""
        floor = self.live.floor
        waiting = [
            rid
            for rid in self.confirmed
            if self.request(rid).status == "queued" and rid not in floor.pinned
        ]
        sites = list(self.rotation)
        if self.last_called_site in sites:
            start = sites.index(self.last_called_site) + 1
            sites = sites[start:] + sites[:start]
        per_site = {s: [rid for rid in waiting if self.request(rid).site_id == s] for s in sites}
        order: list[str] = list(floor.pinned)
        for round_ in range(max((len(v) for v in per_site.values()), default=0)):
            order += [per_site[s][round_] for s in sites if round_ < len(per_site[s])]
        return order

    # --- what people do -----------------------------------------------------------------------

    def register(self, site_index: int) -> None:
        site_id = self.site(site_index)
        request_id = f"id-{self.id_counter + 1}"
        self.request_counter += 1
        name = f"Người {self.request_counter}"
        self.expect(
            RegisterSpeaker(site_id, name),
            Actor("secretary", site_id),
            [
                SpeakRequested(request_id, site_id, name, "", "", "", "secretary", None, self.at),
                SpeakerQueued(request_id, self.at),
            ],
        )

    def ask(self, site_index: int, device: int) -> None:
        site_id, device_id = self.site(site_index), f"dev-{device}"
        self.request_counter += 1
        request_id, name = f"phone-{self.request_counter}", f"Người {self.request_counter}"
        busy = any(r.device_id == device_id for r in self.with_status(*ACTIVE_STATUSES))
        recent = [
            r
            for r in self.live.floor.requests
            if r.source == "delegate" and self.at - r.requested_at < BUDGET_SECONDS
        ]
        spent = (
            sum(r.device_id == device_id for r in recent) >= floor.PHONE_REQUESTS_PER_WINDOW
            or sum(r.site_id == site_id for r in recent) >= floor.SITE_PHONE_REQUESTS_PER_WINDOW
        )
        self.expect(
            RequestToSpeak(request_id, name),
            Actor("delegate", site_id, device_id),
            "already_requested"
            if busy
            else "rate_limited"
            if spent
            else [
                SpeakRequested(
                    request_id, site_id, name, "", "", "", "delegate", device_id, self.at
                )
            ],
        )

    def secretary_of(self, request: SpeakerRequest) -> Actor:
        return Actor("secretary", request.site_id)

    def answer(self, pick: int, *, confirm: bool) -> None:
        pending = self.with_status("pending")
        if not pending:
            return
        request = pending[pick % len(pending)]
        command = (
            ConfirmRequest(request.request_id) if confirm else DeclineRequest(request.request_id)
        )
        event: Event = (
            SpeakerQueued(request.request_id, self.at)
            if confirm
            else SpeakRequestDeclined(request.request_id, self.at)
        )
        self.expect(command, self.secretary_of(request), [event])
        assert self.request(request.request_id).status == ("queued" if confirm else "declined")

    def withdraw(self, pick: int, *, by_phone: bool) -> None:
        open_ = self.with_status("pending", "queued")
        if not open_:
            return
        request = open_[pick % len(open_)]
        actor = (
            Actor("delegate", request.site_id, request.device_id)
            if by_phone and request.device_id is not None
            else self.secretary_of(request)
        )
        self.expect(
            WithdrawRequest(request.request_id),
            actor,
            [SpeakRequestWithdrawn(request.request_id, self.at)],
        )

    def ended_now(self) -> list[Event]:
        current = self.live.floor.current
        return [SpeechEnded(current, self.at)] if current else []

    def call_next(self) -> str | None:
        """The host calls the next speaker, having seen the floor as it is."""
        floor = self.live.floor
        command = CallSpeaker(None, expected_current=floor.current)
        if not floor.queue:
            self.expect(command, HOST, "queue_empty")
            return None
        called = floor.queue[0]
        seconds = self.live.speaking_seconds
        self.expect(command, HOST, [*self.ended_now(), SpeakerCalled(called, self.at, seconds)])
        return called

    def end(self) -> None:
        current = self.live.floor.current
        if current is not None:
            self.expect(EndSpeech(current), HOST, [SpeechEnded(current, self.at)])

    # --- what must always hold ------------------------------------------------------------------

    def check(self) -> None:
        floor = self.live.floor
        queued = [r.request_id for r in floor.requests if r.status == "queued"]
        assert len(set(floor.queue)) == len(floor.queue), floor.queue
        assert sorted(floor.queue) == sorted(queued), (floor.queue, queued)
        assert set(floor.pinned) <= set(floor.queue), (floor.pinned, floor.queue)
        if floor.manual:
            assert floor.pinned == ()
        else:
            assert floor.queue[: len(floor.pinned)] == floor.pinned
            model = self.model_fair_queue()
            assert list(floor.queue) == model, (floor.queue, model)
        speaking = [r.request_id for r in floor.requests if r.status == "speaking"]
        assert speaking == ([floor.current] if floor.current else []), (speaking, floor.current)
        phones = [r.device_id for r in self.with_status(*ACTIVE_STATUSES) if r.device_id]
        assert len(phones) == len(set(phones)), phones

    def check_log(self) -> None:
        assert replay(self.events()) == self.live


# --- 1 and 2: no manual reordering --------------------------------------------------------------


class Register(NamedTuple):
    site: int


class Ask(NamedTuple):
    site: int
    device: int


class Confirm(NamedTuple):
    pick: int


class Decline(NamedTuple):
    pick: int


class Withdraw(NamedTuple):
    pick: int
    by_phone: bool


class Call(NamedTuple):
    pass


class End(NamedTuple):
    pass


Op = Register | Ask | Confirm | Decline | Withdraw | Call | End
INDEX = st.integers(min_value=0, max_value=30)
REGISTER = st.builds(Register, INDEX)
ASK = st.builds(Ask, INDEX, st.integers(min_value=0, max_value=7))
CONFIRM = st.builds(Confirm, INDEX)
CALL = st.just(Call())
# one_of picks a branch uniformly: repeating a branch weighs it
OPS = st.lists(
    st.one_of(
        *[REGISTER] * 4,
        *[ASK] * 2,
        *[CONFIRM] * 2,
        st.builds(Decline, INDEX),
        st.builds(Withdraw, INDEX, st.booleans()),
        *[CALL] * 2,
        st.just(End()),
    ),
    min_size=15,  # and so about 30 on average: enough to fill several sites' queues
    max_size=100,
)
SITE_COUNTS = st.integers(min_value=2, max_value=6)  # the main hall and 1..5 sites


def do(meeting: Meeting, op: Op) -> None:
    """Everything but calling."""
    match op:
        case Register(site):
            meeting.register(site)
        case Ask(site, device):
            meeting.ask(site, device)
        case Confirm(pick):
            meeting.answer(pick, confirm=True)
        case Decline(pick):
            meeting.answer(pick, confirm=False)
        case Withdraw(pick, by_phone):
            meeting.withdraw(pick, by_phone=by_phone)
        case End():
            meeting.end()
        case _:
            raise AssertionError(op)


@settings(NO_EXPLAIN, max_examples=400)
@given(site_count=SITE_COUNTS, ops=OPS)
def test_no_site_speaks_twice_in_a_row_while_another_waits(site_count: int, ops: list[Op]) -> None:
    meeting = Meeting(site_count)
    previous_site: str | None = None  # the site of the previous SpeakerCalled, kept here
    for op in ops:
        if isinstance(op, Call):
            waiting = {r.site_id for r in meeting.with_status("queued")}
            request_id = meeting.call_next()
            if request_id is None:
                assert not waiting
                continue
            site_id = meeting.request(request_id).site_id
            if previous_site is not None and waiting - {previous_site}:
                note_outcome("a call while another site waited")
                assert site_id != previous_site, (
                    f"{site_id} spoke twice in a row while {waiting - {previous_site}} waited"
                )
            previous_site = site_id
        else:
            do(meeting, op)
        floor = meeting.live.floor
        assert len(set(floor.queue)) == len(floor.queue), floor.queue
        assert set(floor.queue) == {r.request_id for r in meeting.with_status("queued")}
        assert not floor.manual
        assert floor.pinned == ()

    # every request ever queued: called exactly once, or still waiting, or withdrawn while waiting
    events = meeting.events()
    ever_queued = {e.request_id for e in events if isinstance(e, SpeakerQueued)}
    called = Counter(e.request_id for e in events if isinstance(e, SpeakerCalled))
    assert set(called) <= ever_queued
    for request_id in ever_queued:
        status = meeting.request(request_id).status
        outcomes = (
            called[request_id] == 1,
            status == "queued",
            status == "withdrawn" and called[request_id] == 0,
        )
        assert called[request_id] <= 1, request_id
        assert sum(outcomes) == 1, (request_id, status, called[request_id])
    meeting.check_log()


@settings(NO_EXPLAIN, max_examples=200)
@given(site_count=SITE_COUNTS, ops=OPS)
def test_the_queue_is_the_round_robin_of_the_model(site_count: int, ops: list[Op]) -> None:
    meeting = Meeting(site_count)
    for op in ops:
        if isinstance(op, Call):
            expected = meeting.model_fair_queue()
            assert meeting.call_next() == (expected[0] if expected else None)
        else:
            do(meeting, op)
        meeting.check()
    meeting.check_log()


# --- 3: the host takes the order in hand --------------------------------------------------------


STALE = st.integers(min_value=0, max_value=3).map(lambda n: n == 0)  # a quarter of the time


def has_queue(machine: FloorMachine) -> bool:
    return bool(machine.live.floor.queue)


def has_speaker(machine: FloorMachine) -> bool:
    return machine.live.floor.current is not None


def has_pending(machine: FloorMachine) -> bool:
    return bool(machine.meeting.with_status("pending"))


def has_open(machine: FloorMachine) -> bool:
    return bool(machine.meeting.with_status("pending", "queued"))


class FloorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.meeting = Meeting(2)  # replaced by `start`
        self.pins: list[str] = []  # what the host pinned, the latest last

    @initialize(
        site_count=st.integers(min_value=2, max_value=5),
        first_speakers=st.lists(INDEX, max_size=8),
    )
    def start(self, site_count: int, first_speakers: list[int]) -> None:
        """A meeting whose sites may have registered a few speakers already, so that the host's
        rules find a queue worth reordering."""
        self.meeting = Meeting(site_count)
        for site in first_speakers:
            self.meeting.register(site)

    @property
    def live(self) -> MeetingState:
        return self.meeting.live

    def pick_queued(self, data: st.DataObject) -> str | None:
        queue = self.live.floor.queue
        return data.draw(st.sampled_from(queue), label="queued") if queue else None

    # --- sites and phones -------------------------------------------------------------------

    @rule(site=INDEX)
    def register(self, site: int) -> None:
        self.meeting.register(site)

    @rule(site=INDEX, device=st.integers(min_value=0, max_value=5))
    def ask(self, site: int, device: int) -> None:
        self.meeting.ask(site, device)

    @precondition(has_pending)
    @rule(pick=INDEX, confirm=st.booleans())
    def answer(self, pick: int, confirm: bool) -> None:
        self.meeting.answer(pick, confirm=confirm)

    @precondition(has_open)
    @rule(pick=INDEX, by_phone=st.booleans())
    def withdraw(self, pick: int, by_phone: bool) -> None:
        self.meeting.withdraw(pick, by_phone=by_phone)

    # --- the host -----------------------------------------------------------------------------

    @rule(data=st.data(), chosen=st.booleans(), stale=STALE)
    def call(self, data: st.DataObject, chosen: bool, stale: bool) -> None:
        floor, meeting = self.live.floor, self.meeting
        seen = floor.current
        if stale:
            finished = [r.request_id for r in meeting.with_status("finished")]
            seen = data.draw(st.sampled_from([None, GHOST, *finished]), label="stale current")
        request_id = self.pick_queued(data) if chosen else None
        command = CallSpeaker(request_id, expected_current=seen)
        if seen != floor.current:
            meeting.expect(command, HOST, "floor_changed")
        elif request_id is None and not floor.queue:
            meeting.expect(command, HOST, "queue_empty")
        else:
            called = request_id or floor.queue[0]
            seconds = self.live.speaking_seconds
            meeting.expect(
                command, HOST, [*meeting.ended_now(), SpeakerCalled(called, meeting.at, seconds)]
            )
            assert self.live.floor.current == called

    @precondition(has_speaker)
    @rule()
    def end(self) -> None:
        self.meeting.end()

    @precondition(has_queue)
    @rule(data=st.data())
    def skip(self, data: st.DataObject) -> None:
        request_id = self.pick_queued(data)
        if request_id is not None:
            self.meeting.expect(
                SkipSpeaker(request_id), HOST, [SpeakerSkipped(request_id, self.meeting.at)]
            )

    @precondition(has_speaker)
    @rule()
    def pause_or_resume(self) -> None:
        speaker = self.live.floor.speaker
        if speaker is None:
            return
        rid, at = speaker.request_id, self.meeting.at
        if speaker.paused_at is None:
            self.meeting.expect(PauseSpeech(rid), HOST, [SpeechPaused(rid, at)])
            assert self.live.floor.speaker is not None
            assert self.live.floor.speaker.deadline is None
        else:
            self.meeting.expect(ResumeSpeech(rid), HOST, [SpeechResumed(rid, at)])
            assert self.live.floor.speaker is not None
            assert self.live.floor.speaker.deadline is not None

    @precondition(has_queue)
    @rule(data=st.data(), stale=STALE)
    def move(self, data: st.DataObject, stale: bool) -> None:
        request_id = self.pick_queued(data)
        if request_id is None:
            return
        queue = list(self.live.floor.queue)
        position = data.draw(st.integers(min_value=-1, max_value=len(queue)), label="position")
        seen = queue
        if stale:
            seen = data.draw(
                st.sampled_from(
                    [[], queue[::-1], queue[:-1], [*queue, GHOST], [GHOST, *queue[1:]]]
                ),
                label="stale order",
            )
        order = [rid for rid in queue if rid != request_id]
        order.insert(max(0, min(position, len(order))), request_id)
        command = MoveInQueue(request_id, position, seen)
        if seen != queue:
            self.meeting.expect(command, HOST, "queue_changed")
        elif order == queue:
            self.meeting.expect(command, HOST, [])
        else:
            self.meeting.expect(command, HOST, [QueueReordered(tuple(order))])
            assert self.live.floor.manual
            assert list(self.live.floor.queue) == order
            self.pins = []  # the host's order now, pins and all

    def pin(self, request_id: str, command: PinToTop | GiveFloorToSite) -> None:
        """The host pins a queued entry (directly, or by giving the floor to its site): it is
        first now and stays first, above older pins, until it leaves the queue or the host
        reorders."""
        floor = self.live.floor
        first = floor.queue[0] == request_id
        events = self.meeting.accept(command, HOST)
        # already first: a fix may answer either way; otherwise the entry must be pinned
        allowed = ([], [SpeakerPinned(request_id)]) if first else ([SpeakerPinned(request_id)],)
        assert events in allowed, (command, events)
        assert self.live.floor.queue[0] == request_id
        # held on top from now on (both once-found bugs are regressions in test_floor.py)
        assert events or floor.manual or floor.pinned[:1] == (request_id,)
        self.pins = [p for p in self.pins if p != request_id] + [request_id]

    @precondition(has_queue)
    @rule(data=st.data())
    def pin_to_top(self, data: st.DataObject) -> None:
        request_id = self.pick_queued(data)
        if request_id is not None:
            self.pin(request_id, PinToTop(request_id))

    @rule(site=INDEX)
    def give_floor(self, site: int) -> None:
        site_id = self.meeting.site(site)
        first = next(
            (r for r in self.live.floor.queue if self.meeting.request(r).site_id == site_id), None
        )
        if first is None:
            self.meeting.expect(GiveFloorToSite(site_id), HOST, "site_queue_empty")
        else:
            self.pin(first, GiveFloorToSite(site_id))

    @rule()
    def restore(self) -> None:
        floor = self.live.floor
        changes = floor.manual or bool(floor.pinned)
        self.meeting.expect(RestoreFairOrder(), HOST, [FairOrderRestored()] if changes else [])
        assert not self.live.floor.manual
        assert self.live.floor.pinned == ()
        self.pins = []

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def the_floor_is_consistent(self) -> None:
        self.meeting.check()

    @invariant()
    def pins_stay_on_top_latest_first(self) -> None:
        queue = self.live.floor.queue
        self.pins = [p for p in self.pins if p in queue]  # called, skipped or withdrawn
        assert queue[: len(self.pins)] == tuple(reversed(self.pins)), (queue, self.pins)

    @invariant()
    def replay_of_the_log_is_the_live_state(self) -> None:
        self.meeting.check_log()

    @invariant()
    def every_console_shows_its_own_sites_floor(self) -> None:
        """All consoles drawn at once (one pass) show each site what its definition says."""
        state = self.live
        consoles = secretary_views(state)
        assert set(consoles) == {site.site_id for site in state.sites}
        rows = queue_rows(state)
        for site_id, console in consoles.items():
            requests = state.floor.requests
            assert console.pending == tuple(
                r for r in requests if r.site_id == site_id and r.status == "pending"
            )
            assert console.site_queue == tuple(r for r in rows if r.request.site_id == site_id)
            assert [t.request for t in console.turns] == [
                r
                for r in reversed(requests)
                if r.site_id == site_id and r.status in ("speaking", "finished")
            ]
            assert console.queue_length == len(state.floor.queue)
            assert console == secretary_view(state, site_id)

    @invariant()
    def the_hosts_site_rows_count_each_sites_own_requests(self) -> None:
        state = self.live
        for row in host_view(state, {}).sites:
            mine = [r for r in state.floor.requests if r.site_id == row.site.site_id]
            assert (row.pending, row.queued) == (
                sum(r.status == "pending" for r in mine),
                sum(r.status == "queued" for r in mine),
            )
            assert row.turns == sum(r.status in ("speaking", "finished") for r in mine)


FloorMachine.TestCase.settings = settings(NO_EXPLAIN, max_examples=150, stateful_step_count=50)
TestFloorMachine = FloorMachine.TestCase
