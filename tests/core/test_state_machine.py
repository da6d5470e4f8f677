"""A random walk through one meeting: random commands from random actors go through decide();
what is accepted is logged (as bytes, with seqs 1..n) and folded into a live state.

Every rule checks decide's answer against a small model of the rules; the invariants check the
log against the live state after every step.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import NamedTuple

import msgspec
from hypothesis import HealthCheck, Phase, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from server.core.apply import apply, replay
from server.core.commands import (
    MAX_AGENDA_ITEMS,
    MAX_ATTENDANCE,
    MAX_TITLE,
    Actor,
    AddAgendaItem,
    Command,
    CreateMeeting,
    MoveAgendaItem,
    RemoveAgendaItem,
    RenameAgendaItem,
    Role,
    SetAttendance,
    SetCurrentAgendaItem,
    SetSiteReady,
)
from server.core.decide import STANDARD_AGENDA, Context, Decision, Rejected, decide
from server.core.events import (
    AgendaItemAdded,
    AgendaItemMoved,
    AgendaItemRemoved,
    AgendaItemRenamed,
    AttendanceSet,
    CurrentAgendaItemSet,
    Event,
    Level,
    MeetingCreated,
    SiteReadySet,
    decode_event,
    encode_event,
)
from server.core.state import MeetingState
from tests.core.support import HOST, ORGANISER, nfd

MEETING_ID = "hoi-nghi-may"
MAIN_HALL = "Hội trường UBND"
UNKNOWN_SITE = "site-that-never-was"
UNKNOWN_ITEM = "item-that-never-was"
CLOCK_STEP = 1.5  # every command is decided this much later than the one before


SITE_POOL = [
    "Phường Bến Nghé",
    nfd("Phường Đa Kao"),
    "Xã Tân Phú",
    "phường cầu kho",
    "Thị trấn Củ Chi",
    nfd("Đảo Cô Tô"),
    "Khu phố 3",
]

TEXTS = st.one_of(
    st.sampled_from(
        [
            "Khai mạc",
            "Tiếng Việt",
            nfd("Tiếng Việt"),
            nfd("Đại biểu phát biểu, nêu ý kiến"),
            "",
            "   ",
            "\x00\t\n\u200b",
            "  Bế\tmạc \r\n",
            "x" * MAX_TITLE,
            "x" * (MAX_TITLE + 1),
            nfd("ế" * MAX_TITLE),
        ]
    ),
    st.text(max_size=30),
    st.text(
        alphabet=st.sampled_from(list("aăâeêoôơuưyĐđ \n\t\x00\x07\x7f\u200b\u0301\u0323\u00a0")),
        max_size=30,
    ),
    st.text(alphabet="xyzđ", min_size=MAX_TITLE - 3, max_size=MAX_TITLE + 3),
)
ATTENDANCE = st.one_of(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=-10, max_value=-1),
    st.sampled_from([0, MAX_ATTENDANCE, MAX_ATTENDANCE + 1, -MAX_ATTENDANCE]),
    st.integers(min_value=-(10**15), max_value=10**15),
)
POSITIONS = st.integers(min_value=-3, max_value=MAX_AGENDA_ITEMS + 5)
ROLES: list[Role] = ["host", "secretary", "organiser", "display", "delegate"]


def reference_clean(raw: str) -> str:
    """The cleaning rule, written out again: NFC; control/format/unassigned characters and any
    whitespace become separators; words joined by single spaces."""
    text = unicodedata.normalize("NFC", raw)
    spaced = "".join(" " if unicodedata.category(c)[0] == "C" or c.isspace() else c for c in text)
    return " ".join(word for word in spaced.split(" ") if word)


@functools.cache
def is_clean(text: str) -> bool:
    return (
        unicodedata.is_normalized("NFC", text)
        and not any(unicodedata.category(c)[0] == "C" for c in text)
        and all(c == " " or not c.isspace() for c in text)
        and text == text.strip()
        and "  " not in text
    )


def text_code(text: str, limit: int) -> str | None:
    if not text:
        return "empty_text"
    if len(text) > limit:
        return "text_too_long"
    return None


class Logged(NamedTuple):
    seq: int
    data: bytes
    actor: Actor


Expected = str | list[Event]  # a rejection code, or exactly these events


class MeetingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.live = MeetingState()
        self.log: list[Logged] = []
        self.id_counter = 0
        self.clock = 1_700_000_000.0
        self.removed_ids: list[str] = []

    # --- plumbing ---------------------------------------------------------------------------

    def new_id(self) -> str:
        self.id_counter += 1
        return f"id-{self.id_counter}"

    def issue(self, command: Command, actor: Actor, expected: Expected) -> Decision:
        """Decide, log what is accepted, and check the answer is exactly the expected one."""
        self.clock += CLOCK_STEP
        before_state = self.live
        before_bytes = msgspec.json.encode(self.live)
        before_log = list(self.log)
        decision = decide(
            self.live, command, Context(actor, self.clock, self.new_id, meeting_id=MEETING_ID)
        )
        assert msgspec.json.encode(self.live) == before_bytes, "decide changed its input"
        if isinstance(decision, Rejected):
            note_outcome(f"{type(command).__name__}: {decision.code}")
            assert decision.code == expected, (command, actor, decision, expected)
            assert decision.message
            assert self.log == before_log, "a rejected command produced events"
            assert self.live is before_state
            return decision
        events = list(decision)
        note_outcome(f"{type(command).__name__}: {'accepted' if events else 'no-op'}")
        assert events == expected, (command, actor, events, expected)
        for event in events:
            self.log.append(Logged(len(self.log) + 1, encode_event(event), actor))
            self.live = apply(self.live, event)
        if not events:
            assert self.live == before_state
        return decision

    def draw_actor(self, data: st.DataObject, likely: Actor | None = None) -> Actor:
        """Any role at any (or no, or an unknown) site; `likely` is drawn half of the time, so
        that enough commands get past the permission checks to reach the other rules."""
        if likely is not None and data.draw(st.booleans(), label="likely actor"):
            return likely
        role = data.draw(st.sampled_from(ROLES), label="role")
        site_id = data.draw(st.sampled_from([*self.site_ids, UNKNOWN_SITE, None]), label="site")
        return Actor(role=role, site_id=site_id, device_id="dev")

    def draw_item(self, data: st.DataObject) -> str:
        choices = [*self.item_ids, *self.removed_ids, UNKNOWN_ITEM]
        return data.draw(st.sampled_from(choices), label="item_id")

    @property
    def site_ids(self) -> list[str]:
        return [site.site_id for site in self.live.sites]

    @property
    def item_ids(self) -> list[str]:
        return [entry.item_id for entry in self.live.agenda]

    def agenda_code(self, actor: Actor) -> str | None:
        return None if actor.role == "host" else "forbidden"

    def site_code(self, actor: Actor, site_id: str) -> str | None:
        if actor.role == "secretary":
            if actor.site_id != site_id:
                return "other_site"
        elif actor.role != "host":
            return "forbidden"
        return None if site_id in self.site_ids else "unknown_site"

    def decoded_log(self) -> list[Event]:
        return [decode_event(entry.data) for entry in self.log]

    # --- the meeting ------------------------------------------------------------------------

    @initialize(
        names=st.lists(
            st.sampled_from(SITE_POOL),
            min_size=2,
            max_size=5,
            unique_by=lambda n: unicodedata.normalize("NFC", n).casefold(),
        ),
        agenda=st.none()
        | st.lists(st.sampled_from(["Khai mạc", nfd("Thảo luận"), " Bế  mạc "]), max_size=8),
        intruder=st.sampled_from(["host", "secretary", "display", "delegate"]),
    )
    def create(self, names: list[str], agenda: list[str] | None, intruder: Role) -> None:
        command = CreateMeeting(
            title=nfd("Hội nghị đối thoại"),
            date="2025-06-01",
            level="ward",
            chair="Chủ tịch",
            main_hall=MAIN_HALL,
            sites=names,
            agenda=agenda,
        )
        # before the meeting exists: nobody but the organiser may create it, nothing else works
        self.issue(command, Actor(intruder), "forbidden")
        self.issue(SetCurrentAgendaItem(item_id=None), HOST, "no_meeting")
        dup = msgspec.structs.replace(command, sites=[*names, names[0].upper()])
        self.issue(dup, ORGANISER, "duplicate_site")
        assert self.log == []

        decision = decide(
            self.live, command, Context(ORGANISER, self.clock, self.new_id, MEETING_ID)
        )
        assert not isinstance(decision, Rejected), decision
        (created,) = decision
        assert isinstance(created, MeetingCreated)
        self.log.append(Logged(1, encode_event(created), ORGANISER))
        self.live = apply(self.live, created)

        assert [s.name for s in created.sites] == [MAIN_HALL, *map(reference_clean, names)]
        assert [s.is_main_hall for s in created.sites] == [True] + [False] * len(names)
        expected_agenda = STANDARD_AGENDA if agenda is None else map(reference_clean, agenda)
        assert [e.title for e in created.agenda] == list(expected_agenda)
        assert created.title == unicodedata.normalize("NFC", "Hội nghị đối thoại")

    # (Hypothesis tries rules with fewer arguments first; three keep this one from crowding out
    # the others.)
    @rule(data=st.data(), level=st.sampled_from(["ward", "district", "city"]), sites=st.booleans())
    def create_again(self, data: st.DataObject, level: Level, sites: bool) -> None:
        actor = self.draw_actor(data)
        command = CreateMeeting(
            title="Lần hai",
            date="2025-06-02",
            level=level,
            chair="X",
            main_hall="Y",
            sites=["Z"] if sites else [],
        )
        expected = "meeting_exists" if actor.role == "organiser" else "forbidden"
        self.issue(command, actor, expected)

    # --- the agenda -------------------------------------------------------------------------

    @rule(data=st.data(), title=TEXTS, position=st.none() | POSITIONS)
    def add_item(self, data: st.DataObject, title: str, position: int | None) -> None:
        actor = self.draw_actor(data, HOST)
        clean = reference_clean(title)
        size = len(self.live.agenda)
        code = self.agenda_code(actor) or text_code(clean, MAX_TITLE)
        if code is None and size >= MAX_AGENDA_ITEMS:
            code = "agenda_full"
        where = size if position is None else max(0, min(position, size))
        new_id = f"id-{self.id_counter + 1}"
        before = self.item_ids
        self.issue(
            AddAgendaItem(title=title, position=position),
            actor,
            code or [AgendaItemAdded(item_id=new_id, title=clean, position=where)],
        )
        if code is None:
            assert new_id not in before
            assert self.item_ids == [*before[:where], new_id, *before[where:]]
            assert self.live.agenda[where].title == clean
        else:
            assert self.item_ids == before

    @rule(data=st.data(), title=TEXTS)
    def rename_item(self, data: st.DataObject, title: str) -> None:
        actor, item_id = self.draw_actor(data, HOST), self.draw_item(data)
        clean = reference_clean(title)
        code = self.agenda_code(actor) or text_code(clean, MAX_TITLE)
        if code is None and item_id not in self.item_ids:
            code = "unknown_agenda_item"
        before = self.live.agenda
        self.issue(
            RenameAgendaItem(item_id=item_id, title=title),
            actor,
            code or [AgendaItemRenamed(item_id=item_id, title=clean)],
        )
        if code is None:
            assert self.live.agenda == tuple(
                msgspec.structs.replace(e, title=clean) if e.item_id == item_id else e
                for e in before
            )
        else:
            assert self.live.agenda == before

    @rule(data=st.data())
    def remove_item(self, data: st.DataObject) -> None:
        actor, item_id = self.draw_actor(data, HOST), self.draw_item(data)
        code = self.agenda_code(actor)
        if code is None and item_id not in self.item_ids:
            code = "unknown_agenda_item"
        if code is None and item_id == self.live.current_item_id:
            code = "item_on_screen"
        before = self.item_ids
        self.issue(RemoveAgendaItem(item_id=item_id), actor, code or [AgendaItemRemoved(item_id)])
        if code is None:
            assert self.item_ids == [i for i in before if i != item_id]
            self.removed_ids.append(item_id)
        else:
            assert self.item_ids == before

    @precondition(lambda self: self.live.current_item_id is not None)
    @rule(data=st.data())
    def remove_the_item_on_screen(self, data: st.DataObject) -> None:
        actor, item_id = self.draw_actor(data, HOST), self.live.current_item_id
        assert item_id is not None
        before = self.live
        self.issue(
            RemoveAgendaItem(item_id=item_id),
            actor,
            "item_on_screen" if actor.role == "host" else "forbidden",
        )
        assert self.live == before
        assert self.live.current_item_id == item_id

    @rule(data=st.data(), position=POSITIONS)
    def move_item(self, data: st.DataObject, position: int) -> None:
        actor, item_id = self.draw_actor(data, HOST), self.draw_item(data)
        code = self.agenda_code(actor)
        if code is None and item_id not in self.item_ids:
            code = "unknown_agenda_item"
        before = self.item_ids
        expected: Expected = code or []
        where = max(0, min(position, len(before) - 1))
        if code is None and before.index(item_id) != where:
            expected = [AgendaItemMoved(item_id=item_id, position=where)]
        self.issue(MoveAgendaItem(item_id=item_id, position=position), actor, expected)
        if code is None:
            assert self.item_ids.index(item_id) == where
            assert [i for i in self.item_ids if i != item_id] == [i for i in before if i != item_id]
        else:
            assert self.item_ids == before

    @rule(data=st.data(), clear=st.booleans())
    def set_current(self, data: st.DataObject, clear: bool) -> None:
        actor = self.draw_actor(data, HOST)
        item_id = None if clear else self.draw_item(data)
        code = self.agenda_code(actor)
        if code is None and item_id is not None and item_id not in self.item_ids:
            code = "unknown_agenda_item"
        before = self.live.current_item_id
        expected: Expected = code or []
        if code is None and item_id != before:
            expected = [CurrentAgendaItemSet(item_id=item_id, at=self.clock + CLOCK_STEP)]
        self.issue(SetCurrentAgendaItem(item_id=item_id), actor, expected)
        assert self.live.current_item_id == (before if code else item_id)

    # --- the sites --------------------------------------------------------------------------

    @rule(data=st.data(), ready=st.booleans())
    def set_ready(self, data: st.DataObject, ready: bool) -> None:
        site_id = data.draw(st.sampled_from([*self.site_ids, UNKNOWN_SITE]), label="target")
        actor = self.draw_actor(data, Actor("secretary", site_id))
        code = self.site_code(actor, site_id)
        before = self.live.sites
        site = self.live.site(site_id)
        expected: Expected = code or []
        if code is None and site is not None and site.ready != ready:
            expected = [SiteReadySet(site_id=site_id, ready=ready, at=self.clock + CLOCK_STEP)]
        self.issue(SetSiteReady(site_id=site_id, ready=ready), actor, expected)
        for old, new in zip(before, self.live.sites, strict=True):
            if code is None and old.site_id == site_id:
                assert new.ready is ready
            else:
                assert new == old

    @rule(data=st.data(), attendance=ATTENDANCE)
    def set_attendance(self, data: st.DataObject, attendance: int) -> None:
        site_id = data.draw(st.sampled_from([*self.site_ids, UNKNOWN_SITE]), label="target")
        actor = self.draw_actor(data, Actor("secretary", site_id))
        code = self.site_code(actor, site_id)
        if code is None and not 0 <= attendance <= MAX_ATTENDANCE:
            code = "bad_attendance"
        before = self.live.sites
        at = self.clock + CLOCK_STEP
        self.issue(
            SetAttendance(site_id=site_id, attendance=attendance),
            actor,
            code or [AttendanceSet(site_id=site_id, attendance=attendance, at=at)],
        )
        for old, new in zip(before, self.live.sites, strict=True):
            if code is None and old.site_id == site_id:
                assert new.attendance == attendance
            else:
                assert new == old

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def replay_of_the_log_is_the_live_state(self) -> None:
        assert replay(self.decoded_log()) == self.live

    @invariant()
    def seqs_are_gap_free(self) -> None:
        assert [entry.seq for entry in self.log] == list(range(1, len(self.log) + 1))

    @invariant()
    def the_meeting_is_created_once_and_first(self) -> None:
        created = [i for i, e in enumerate(self.decoded_log()) if isinstance(e, MeetingCreated)]
        assert created == ([0] if self.log else [])

    @invariant()
    def only_the_host_or_the_own_secretary_touched_a_site(self) -> None:
        last_attendance: dict[str, int] = {}
        for entry in self.log:
            event = decode_event(entry.data)
            if isinstance(event, AttendanceSet | SiteReadySet):
                actor = entry.actor
                assert actor.role == "host" or (
                    actor.role == "secretary" and actor.site_id == event.site_id
                ), (entry.seq, event, actor)
                if isinstance(event, AttendanceSet):
                    last_attendance[event.site_id] = event.attendance
        # and every attendance in the state came from such an event
        assert {s.site_id: s.attendance for s in self.live.sites if s.attendance is not None} == (
            last_attendance
        )

    @invariant()
    def agenda_item_ids_are_unique(self) -> None:
        ids = self.item_ids
        assert len(ids) == len(set(ids)), ids
        assert len(ids) <= MAX_AGENDA_ITEMS
        assert not set(ids) & set(self.removed_ids)

    @invariant()
    def the_current_item_is_in_the_agenda(self) -> None:
        current = self.live.current_item_id
        assert current is None or current in self.item_ids
        assert (self.live.current_item is None) == (current is None)

    @invariant()
    def every_text_is_clean(self) -> None:
        texts = [entry.title for entry in self.live.agenda] + [s.name for s in self.live.sites]
        if self.live.info is not None:
            texts += [self.live.info.title, self.live.info.chair]
        for text in texts:
            assert text, texts
            assert is_clean(text), ascii(text)

    @invariant()
    def attendance_is_in_range(self) -> None:
        for site in self.live.sites:
            assert site.attendance is None or 0 <= site.attendance <= MAX_ATTENDANCE


MeetingMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # no Phase.explain: on a failure it costs minutes here, against the 120 s pytest timeout
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
TestMeetingMachine = MeetingMachine.TestCase


def test_reference_clean_agrees_on_examples() -> None:
    """The model's cleaner, checked by hand, so the machine does not just trust itself."""
    assert reference_clean(nfd(" Tiếng\tViệt\x00 ")) == "Tiếng Việt"
    assert reference_clean("\u200b\x07") == ""
    assert is_clean("Tiếng Việt")
    assert not is_clean(nfd("Tiếng Việt"))
    assert not is_clean("a  b")
    assert not is_clean("a\u00a0b")
