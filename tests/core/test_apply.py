"""apply() and replay(): the state is the fold of the log; events survive the log; the views."""

from __future__ import annotations

import typing
import unicodedata

import msgspec
import pytest

from server.core import delegates, floor, questions, votes
from server.core.apply import apply, replay
from server.core.events import (
    AgendaEntry,
    AgendaItemAdded,
    AgendaItemMoved,
    AgendaItemRemoved,
    AgendaItemRenamed,
    AttendanceSet,
    CurrentAgendaItemSet,
    Event,
    JoinShownSet,
    MeetingArchived,
    MeetingRestored,
    OrganiserUnitSet,
    PapersHeading,
    PapersHeadingSet,
    SiteReadySet,
    decode_event,
    encode_event,
)
from server.core.report import Attendance
from server.core.state import MeetingInfo, MeetingState, Site
from server.core.views import (
    AgendaRow,
    SitePresence,
    delegate_view,
    display_view,
    host_view,
    secretary_view,
)
from tests.core.support import check_round_trip, created, sites_named

AT = 1_700_000_000.25

CREATED = created(
    level="district",
    chair="Chủ tịch UBND quận",
    sites=sites_named(a="Phường A", b="Phường B"),
    agenda=tuple(AgendaEntry(f"i{n}", f"Mục {n}") for n in range(1, 6)),
    at=AT,
)
BASE = apply(MeetingState(), CREATED)
IDS = ["i1", "i2", "i3", "i4", "i5"]


def ids(state: MeetingState) -> list[str]:
    return [entry.item_id for entry in state.agenda]


def titles(state: MeetingState) -> dict[str, str]:
    return {entry.item_id: entry.title for entry in state.agenda}


def fold(*events: Event) -> MeetingState:
    state = BASE
    for event in events:
        state = apply(state, event)
    return state


# --- MeetingCreated ---------------------------------------------------------------------------


def test_created_sets_info_sites_and_agenda() -> None:
    assert BASE.info == MeetingInfo(
        meeting_id="m-1",
        title="Hội nghị đối thoại",
        date="2025-06-01",
        level="district",
        chair="Chủ tịch UBND quận",
        created_at=AT,
    )
    assert BASE.sites == (
        Site("hall", "Hội trường", is_main_hall=True),
        Site("a", "Phường A", is_main_hall=False),
        Site("b", "Phường B", is_main_hall=False),
    )
    assert all(s.ready is False and s.attendance is None for s in BASE.sites)
    assert ids(BASE) == IDS
    assert BASE.current_item_id is None
    assert BASE.current_item is None


# --- the agenda -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        pytest.param(0, ["new", *IDS], id="at-start"),
        pytest.param(2, ["i1", "i2", "new", "i3", "i4", "i5"], id="in-middle"),
        pytest.param(4, ["i1", "i2", "i3", "i4", "new", "i5"], id="before-last"),
        pytest.param(5, [*IDS, "new"], id="at-end"),
    ],
)
def test_add_at_position_keeps_the_others_in_order(position: int, expected: list[str]) -> None:
    state = fold(AgendaItemAdded(item_id="new", title="Mục mới", position=position))
    assert ids(state) == expected
    assert titles(state)["new"] == "Mục mới"
    assert {k: v for k, v in titles(state).items() if k != "new"} == titles(BASE)


def test_add_to_an_empty_agenda() -> None:
    empty = apply(MeetingState(), msgspec.structs.replace(CREATED, agenda=()))
    state = apply(empty, AgendaItemAdded(item_id="x", title="Duy nhất", position=0))
    assert state.agenda == (AgendaEntry("x", "Duy nhất"),)


def test_rename_changes_only_that_title() -> None:
    state = fold(AgendaItemRenamed(item_id="i3", title="Tên mới"))
    assert ids(state) == IDS
    assert titles(state) == {**titles(BASE), "i3": "Tên mới"}


@pytest.mark.parametrize(
    ("item_id", "expected"),
    [
        pytest.param("i1", ["i2", "i3", "i4", "i5"], id="first"),
        pytest.param("i3", ["i1", "i2", "i4", "i5"], id="middle"),
        pytest.param("i5", ["i1", "i2", "i3", "i4"], id="last"),
    ],
)
def test_remove_keeps_the_others_in_order(item_id: str, expected: list[str]) -> None:
    state = fold(AgendaItemRemoved(item_id=item_id))
    assert ids(state) == expected
    assert all(titles(state)[i] == titles(BASE)[i] for i in expected)


@pytest.mark.parametrize(
    ("item_id", "position", "expected"),
    [
        pytest.param("i1", 4, ["i2", "i3", "i4", "i5", "i1"], id="first-to-last"),
        pytest.param("i5", 0, ["i5", "i1", "i2", "i3", "i4"], id="last-to-first"),
        pytest.param("i2", 3, ["i1", "i3", "i4", "i2", "i5"], id="forward"),
        pytest.param("i4", 1, ["i1", "i4", "i2", "i3", "i5"], id="backward"),
        pytest.param("i3", 2, IDS, id="same-place"),
        pytest.param("i1", 1, ["i2", "i1", "i3", "i4", "i5"], id="swap-with-next"),
    ],
)
def test_move_keeps_the_others_in_order(item_id: str, position: int, expected: list[str]) -> None:
    state = fold(AgendaItemMoved(item_id=item_id, position=position))
    assert ids(state) == expected
    assert ids(state).index(item_id) == position
    assert [i for i in ids(state) if i != item_id] == [i for i in IDS if i != item_id]
    assert titles(state) == titles(BASE)


# --- the current item ---------------------------------------------------------------------------


def test_current_item_pointer() -> None:
    first = fold(CurrentAgendaItemSet(item_id="i2", at=AT))
    assert first.current_item_id == "i2"
    assert first.current_item == AgendaEntry("i2", "Mục 2")
    second = apply(first, CurrentAgendaItemSet(item_id="i4", at=AT + 1))
    assert second.current_item_id == "i4"
    cleared = apply(second, CurrentAgendaItemSet(item_id=None, at=AT + 2))
    assert cleared.current_item_id is None
    assert cleared.current_item is None
    assert cleared.agenda == BASE.agenda


def test_current_item_follows_rename_move_and_other_removals() -> None:
    state = fold(
        CurrentAgendaItemSet(item_id="i3", at=AT),
        AgendaItemRenamed(item_id="i3", title="Thảo luận"),
        AgendaItemMoved(item_id="i3", position=0),
        AgendaItemRemoved(item_id="i5"),
        AgendaItemAdded(item_id="n", title="Mới", position=0),
    )
    assert state.current_item_id == "i3"
    assert state.current_item == AgendaEntry("i3", "Thảo luận")
    assert state.agenda_index("i3") == 1


# --- sites --------------------------------------------------------------------------------------


def test_ready_is_per_site_and_stamps_check_in() -> None:
    state = fold(SiteReadySet(site_id="a", ready=True, at=AT + 5))
    a, b, hall = state.site("a"), state.site("b"), state.site("hall")
    assert a is not None
    assert (a.ready, a.checked_in_at) == (True, AT + 5)
    assert b == BASE.site("b")
    assert hall == BASE.site("hall")
    later = apply(state, SiteReadySet(site_id="a", ready=False, at=AT + 9))
    a = later.site("a")
    assert a is not None
    assert (a.ready, a.checked_in_at) == (False, AT + 9)


def test_attendance_is_per_site_and_leaves_ready_alone() -> None:
    state = fold(
        SiteReadySet(site_id="b", ready=True, at=AT),
        AttendanceSet(site_id="a", attendance=30, at=AT),
        AttendanceSet(site_id="b", attendance=12, at=AT),
        AttendanceSet(site_id="a", attendance=31, at=AT),
    )
    attendance = {s.site_id: s.attendance for s in state.sites}
    assert attendance == {"hall": None, "a": 31, "b": 12}
    ready = {s.site_id: s.ready for s in state.sites}
    assert ready == {"hall": False, "a": False, "b": True}
    assert [s.site_id for s in state.sites] == ["hall", "a", "b"]


def test_unknown_site_event_changes_nothing() -> None:
    assert fold(AttendanceSet(site_id="zz", attendance=3, at=AT)) == BASE


# --- replay -------------------------------------------------------------------------------------

LOG: list[Event] = [
    CREATED,
    AgendaItemAdded(item_id="n1", title="Mục thêm", position=2),
    CurrentAgendaItemSet(item_id="i1", at=AT + 1),
    AgendaItemRenamed(item_id="n1", title="Mục thêm (sửa)"),
    SiteReadySet(site_id="a", ready=True, at=AT + 2),
    AttendanceSet(site_id="a", attendance=40, at=AT + 3),
    AgendaItemMoved(item_id="n1", position=0),
    AgendaItemRemoved(item_id="i4"),
    CurrentAgendaItemSet(item_id="n1", at=AT + 4),
    AttendanceSet(site_id="hall", attendance=200, at=AT + 5),
]


def test_replay_equals_folding_one_by_one() -> None:
    state = MeetingState()
    for event in LOG:
        state = apply(state, event)
    assert replay(LOG) == state
    assert ids(state) == ["n1", "i1", "i2", "i3", "i5"]
    assert state.current_item_id == "n1"


@pytest.mark.parametrize("split", range(len(LOG) + 1))
def test_replay_from_a_snapshot_equals_replay_from_scratch(split: int) -> None:
    snapshot = replay(LOG[:split])
    assert replay(LOG[split:], snapshot) == replay(LOG)


def test_replay_of_nothing_is_the_empty_state() -> None:
    assert replay([]) == MeetingState()
    assert replay([], BASE) == BASE


def test_apply_does_not_change_its_input() -> None:
    state = MeetingState()
    for event in LOG:
        before = msgspec.json.encode(state)
        after = apply(state, event)
        assert msgspec.json.encode(state) == before
        assert after is not state
        state = after


def test_created_again_starts_over() -> None:
    other = msgspec.structs.replace(CREATED, meeting_id="m-2", agenda=())
    assert replay([*LOG, other]) == replay([other])


# --- encoding -----------------------------------------------------------------------------------

NFC_TITLE = unicodedata.normalize("NFC", "Tiếng Việt: Đối thoại")
EVERY_EVENT: list[Event] = [
    CREATED,
    AgendaItemAdded(item_id="n1", title=NFC_TITLE, position=3),
    AgendaItemRenamed(item_id="i1", title="Khai mạc \"chính thức\" \\ 'x'"),
    AgendaItemRemoved(item_id="i2"),
    AgendaItemMoved(item_id="i3", position=0),
    CurrentAgendaItemSet(item_id="i4", at=AT),
    CurrentAgendaItemSet(item_id=None, at=0.1 + 0.2),
    JoinShownSet(shown=False),
    SiteReadySet(site_id="a", ready=True, at=AT),
    SiteReadySet(site_id="b", ready=False, at=AT),
    AttendanceSet(site_id="a", attendance=0, at=AT),
    AttendanceSet(site_id="hall", attendance=100_000, at=AT),
    PapersHeadingSet(
        PapersHeading("party", "ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH", "ĐẢNG BỘ QUẬN 1", "Tân Định")
    ),
    OrganiserUnitSet("phường Tân Định", "Quận 1"),
    OrganiserUnitSet("", ""),
    MeetingArchived(at=AT),
    MeetingRestored(at=AT),
]


def test_every_event_type_is_covered() -> None:
    floor_events = {  # covered in test_floor.py, test_questions.py, test_votes.py, test_delegates.py
        typing.get_type_hints(f)["event"]
        for f in (*floor.APPLIERS, *questions.APPLIERS, *votes.APPLIERS, *delegates.APPLIERS)
    }
    assert {type(e) for e in EVERY_EVENT} == set(typing.get_args(Event)) - floor_events


@pytest.mark.parametrize(
    "event",
    [pytest.param(e, id=f"{type(e).__name__}-{i}") for i, e in enumerate(EVERY_EVENT)],
)
def test_event_encodes_and_decodes_to_an_equal_value(event: Event) -> None:
    check_round_trip(event)


def test_decoding_rejects_an_unknown_event_type() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_event(b'{"type":"MeetingDeleted","meeting_id":"m-1"}')


def test_replay_of_a_decoded_log_equals_replay_of_the_log() -> None:
    assert replay(decode_event(encode_event(e)) for e in LOG) == replay(LOG)


# --- views --------------------------------------------------------------------------------------


def row(item_id: str, number: int, *, current: bool = False, done: bool = False) -> AgendaRow:
    return AgendaRow(
        item_id=item_id, number=number, title=f"Mục {number}", current=current, done=done
    )


ON_I3 = fold(CurrentAgendaItemSet(item_id="i3", at=AT))


def test_display_view() -> None:
    idle = display_view(BASE)
    assert idle.info == BASE.info
    assert idle.current is None
    assert idle.agenda_length == 5
    live = display_view(ON_I3)
    assert live.current == row("i3", 3, current=True)


def test_host_view_agenda_rows_mark_current_and_done() -> None:
    view = host_view(ON_I3, {})
    assert view.agenda == (
        row("i1", 1, done=True),
        row("i2", 2, done=True),
        row("i3", 3, current=True),
        row("i4", 4),
        row("i5", 5),
    )
    assert view.current == row("i3", 3, current=True)


@pytest.mark.parametrize(
    ("current", "expected_next", "expected_previous"),
    [
        pytest.param(None, "i1", None, id="no-current-next-is-first"),
        pytest.param("i1", "i2", None, id="first"),
        pytest.param("i3", "i4", "i2", id="middle"),
        pytest.param("i5", None, "i4", id="last"),
    ],
)
def test_host_view_next_and_previous(
    current: str | None, expected_next: str | None, expected_previous: str | None
) -> None:
    state = fold(CurrentAgendaItemSet(item_id=current, at=AT))
    view = host_view(state, {})
    assert (view.next_item.item_id if view.next_item else None) == expected_next
    assert (view.previous_item.item_id if view.previous_item else None) == expected_previous


def test_host_view_with_an_empty_agenda() -> None:
    state = apply(MeetingState(), msgspec.structs.replace(CREATED, agenda=()))
    view = host_view(state, {})
    assert (view.agenda, view.current, view.next_item, view.previous_item) == ((), None, None, None)


def test_host_view_sites_presence_and_totals() -> None:
    state = fold(
        SiteReadySet(site_id="a", ready=True, at=AT),
        SiteReadySet(site_id="hall", ready=True, at=AT),
        AttendanceSet(site_id="a", attendance=30, at=AT),
        AttendanceSet(site_id="hall", attendance=150, at=AT),
    )
    presence = {
        "hall": SitePresence(displays=1, consoles=1, last_seen=AT),
        "a": SitePresence(consoles=1),
        "b": SitePresence(delegates=7),  # delegates alone do not make a site online
        "elsewhere": SitePresence(displays=3),  # presence of an unknown site is ignored
    }
    view = host_view(state, presence)
    assert [r.site.site_id for r in view.sites] == ["hall", "a", "b"]
    assert {r.site.site_id: r.online for r in view.sites} == {"hall": True, "a": True, "b": False}
    assert view.sites[0].presence == presence["hall"]
    assert view.sites_online == 2
    assert view.sites_ready == 2
    # b has no attendance yet: unknown, not 0, so 180 is the sum of two sites, not the total
    assert (view.attendance.entered, view.attendance.total) == (180, None)
    assert view.attendance_missing == ("Phường B",)


def test_host_view_with_no_presence_at_all() -> None:
    view = host_view(BASE, {})
    assert view.sites_online == 0
    assert all(r.presence == SitePresence() and not r.online for r in view.sites)
    assert view.sites_ready == 0
    assert view.attendance == Attendance(0, 0, 3)  # nothing entered: not recorded, not 0


def test_secretary_and_delegate_views_show_their_site_and_the_current_item() -> None:
    state = apply(ON_I3, AttendanceSet(site_id="b", attendance=9, at=AT))
    secretary = secretary_view(state, "b")
    delegate = delegate_view(state)
    assert secretary.site == state.site("b")
    assert secretary.site.attendance == 9
    for view in (secretary, delegate):
        assert view.info == state.info
        assert view.current == row("i3", 3, current=True)
    assert secretary_view(BASE, "a").current is None


def test_the_secretary_view_refuses_an_unknown_site() -> None:
    with pytest.raises(LookupError):
        secretary_view(BASE, "zz")


def test_views_refuse_a_state_without_a_meeting() -> None:
    empty = MeetingState()
    with pytest.raises(LookupError):
        display_view(empty)
    with pytest.raises(LookupError):
        host_view(empty, {})
