"""decide(): every command, every rejection code, the permission matrix, text cleaning, purity."""

from __future__ import annotations

import typing
import unicodedata
from collections.abc import Sequence

import msgspec
import pytest

from server.core import delegates, floor, questions, votes
from server.core.apply import apply, replay
from server.core.commands import (
    MAX_AGENDA_ITEMS,
    MAX_ATTENDANCE,
    MAX_NAME,
    MAX_SITES,
    MAX_TITLE,
    Actor,
    AddAgendaItem,
    ArchiveMeeting,
    Command,
    CreateMeeting,
    MoveAgendaItem,
    RemoveAgendaItem,
    RenameAgendaItem,
    RestoreMeeting,
    SetAttendance,
    SetCurrentAgendaItem,
    SetJoinShown,
    SetOrganiserUnit,
    SetPapersHeading,
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
    MeetingArchived,
    MeetingCreated,
    PapersHeading,
    PapersHeadingSet,
    SiteReadySet,
    decode_event,
    encode_event,
)
from server.core.state import MeetingState
from tests.core.support import (
    HOST,
    ORGANISER,
    UNKNOWN_SITE,
    cases,
    cells,
    check_rejected,
    code_of,
    events_of,
    fold,
    id_source,
)

NOW = 1_700_000_000.5
MEETING_ID = "hoi-nghi-1"


def ctx(actor: Actor, *, prefix: str = "new") -> Context:
    """A fresh context: ids new-1, new-2, ... for every decision."""
    return Context(actor=actor, now=NOW, new_id=id_source(prefix), meeting_id=MEETING_ID)


def run(state: MeetingState, command: Command, actor: Actor) -> Decision:
    return decide(state, command, ctx(actor))


def create_command(
    *,
    title: str = "Hội nghị đối thoại",
    chair: str = "Chủ tịch UBND",
    main_hall: str = "Hội trường chính",
    sites: Sequence[str] = ("Phường A", "Phường B"),
    agenda: Sequence[str] | None = None,
) -> CreateMeeting:
    return CreateMeeting(
        title=title,
        date="2025-06-01",
        level="ward",
        chair=chair,
        main_hall=main_hall,
        sites=list(sites),
        agenda=None if agenda is None else list(agenda),
    )


def _base() -> MeetingState:
    return replay(events_of(decide(MeetingState(), create_command(), ctx(ORGANISER, prefix="b"))))


EMPTY = MeetingState()
BASE = _base()
ARCHIVED = replay([MeetingArchived(at=0.0)], BASE)
HALL, SITE_A, SITE_B = (site.site_id for site in BASE.sites)
ITEMS = tuple(entry.item_id for entry in BASE.agenda)
FIRST, SECOND, LAST = ITEMS[0], ITEMS[1], ITEMS[-1]
UNKNOWN_ITEM = "no-such-item"

ON_SECOND = fold(BASE, CurrentAgendaItemSet(item_id=SECOND, at=NOW))
A_READY = fold(BASE, SiteReadySet(site_id=SITE_A, ready=True, at=NOW))
FULL_AGENDA = fold(
    BASE,
    *(
        AgendaItemAdded(item_id=f"extra-{i}", title=f"Mục {i}", position=len(BASE.agenda) + i)
        for i in range(MAX_AGENDA_ITEMS - len(BASE.agenda))
    ),
)

SECRETARY_A = Actor("secretary", SITE_A)


# --- the base meeting -------------------------------------------------------------------


def test_base_meeting_has_hall_first_then_sites_in_order() -> None:
    assert [(s.name, s.is_main_hall) for s in BASE.sites] == [
        ("Hội trường chính", True),
        ("Phường A", False),
        ("Phường B", False),
    ]
    assert len({HALL, SITE_A, SITE_B}) == 3
    assert BASE.current_item_id is None


# --- accepted commands --------------------------------------------------------------------

ACCEPTED: list[tuple[str, MeetingState, Command, Actor, list[Event]]] = [
    (
        "add-at-end",
        BASE,
        AddAgendaItem(title="Mục mới"),
        HOST,
        [AgendaItemAdded(item_id="new-1", title="Mục mới", position=7)],
    ),
    (
        "add-at-start",
        BASE,
        AddAgendaItem(title="Mục mới", position=0),
        HOST,
        [AgendaItemAdded(item_id="new-1", title="Mục mới", position=0)],
    ),
    (
        "add-in-middle",
        BASE,
        AddAgendaItem(title="Mục mới", position=3),
        HOST,
        [AgendaItemAdded(item_id="new-1", title="Mục mới", position=3)],
    ),
    (
        "add-negative-position-clamped",
        BASE,
        AddAgendaItem(title="Mục mới", position=-5),
        HOST,
        [AgendaItemAdded(item_id="new-1", title="Mục mới", position=0)],
    ),
    (
        "add-far-position-clamped",
        BASE,
        AddAgendaItem(title="Mục mới", position=99),
        HOST,
        [AgendaItemAdded(item_id="new-1", title="Mục mới", position=7)],
    ),
    (
        "rename",
        BASE,
        RenameAgendaItem(item_id=SECOND, title="Khai mạc"),
        HOST,
        [AgendaItemRenamed(item_id=SECOND, title="Khai mạc")],
    ),
    (
        "rename-current-item",
        ON_SECOND,
        RenameAgendaItem(item_id=SECOND, title="Khai mạc"),
        HOST,
        [AgendaItemRenamed(item_id=SECOND, title="Khai mạc")],
    ),
    (
        "remove",
        BASE,
        RemoveAgendaItem(item_id=SECOND),
        HOST,
        [AgendaItemRemoved(item_id=SECOND)],
    ),
    (
        "remove-other-than-current",
        ON_SECOND,
        RemoveAgendaItem(item_id=FIRST),
        HOST,
        [AgendaItemRemoved(item_id=FIRST)],
    ),
    (
        "move-forward",
        BASE,
        MoveAgendaItem(item_id=FIRST, position=3),
        HOST,
        [AgendaItemMoved(item_id=FIRST, position=3)],
    ),
    (
        "move-backward",
        BASE,
        MoveAgendaItem(item_id=LAST, position=0),
        HOST,
        [AgendaItemMoved(item_id=LAST, position=0)],
    ),
    (
        "move-far-clamped-to-last",
        BASE,
        MoveAgendaItem(item_id=FIRST, position=99),
        HOST,
        [AgendaItemMoved(item_id=FIRST, position=6)],
    ),
    (
        "move-negative-clamped-to-first",
        BASE,
        MoveAgendaItem(item_id=LAST, position=-3),
        HOST,
        [AgendaItemMoved(item_id=LAST, position=0)],
    ),
    (
        "set-current",
        BASE,
        SetCurrentAgendaItem(item_id=FIRST),
        HOST,
        [CurrentAgendaItemSet(item_id=FIRST, at=NOW)],
    ),
    (
        "set-current-to-another",
        ON_SECOND,
        SetCurrentAgendaItem(item_id=LAST),
        HOST,
        [CurrentAgendaItemSet(item_id=LAST, at=NOW)],
    ),
    (
        "clear-current",
        ON_SECOND,
        SetCurrentAgendaItem(item_id=None),
        HOST,
        [CurrentAgendaItemSet(item_id=None, at=NOW)],
    ),
    (
        "ready-by-host",
        BASE,
        SetSiteReady(site_id=SITE_B, ready=True),
        HOST,
        [SiteReadySet(site_id=SITE_B, ready=True, at=NOW)],
    ),
    (
        "ready-by-own-secretary",
        BASE,
        SetSiteReady(site_id=SITE_A, ready=True),
        SECRETARY_A,
        [SiteReadySet(site_id=SITE_A, ready=True, at=NOW)],
    ),
    (
        "unready-by-own-secretary",
        A_READY,
        SetSiteReady(site_id=SITE_A, ready=False),
        SECRETARY_A,
        [SiteReadySet(site_id=SITE_A, ready=False, at=NOW)],
    ),
    (
        "ready-main-hall-by-host",
        BASE,
        SetSiteReady(site_id=HALL, ready=True),
        HOST,
        [SiteReadySet(site_id=HALL, ready=True, at=NOW)],
    ),
    (
        "attendance-by-host",
        BASE,
        SetAttendance(site_id=SITE_B, attendance=42),
        HOST,
        [AttendanceSet(site_id=SITE_B, attendance=42, at=NOW)],
    ),
    (
        "attendance-by-own-secretary",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=17),
        SECRETARY_A,
        [AttendanceSet(site_id=SITE_A, attendance=17, at=NOW)],
    ),
    (
        "attendance-zero",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=0),
        HOST,
        [AttendanceSet(site_id=SITE_A, attendance=0, at=NOW)],
    ),
    (
        "attendance-max",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=MAX_ATTENDANCE),
        HOST,
        [AttendanceSet(site_id=SITE_A, attendance=100_000, at=NOW)],
    ),
    (
        "attendance-zero-by-own-secretary-after-host",
        fold(BASE, AttendanceSet(site_id=SITE_A, attendance=5, at=NOW)),
        SetAttendance(site_id=SITE_A, attendance=0),
        SECRETARY_A,
        [AttendanceSet(site_id=SITE_A, attendance=0, at=NOW)],
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "expected"), cases(ACCEPTED))
def test_accepted_command_gives_exactly_these_events(
    state: MeetingState, command: Command, actor: Actor, expected: list[Event]
) -> None:
    assert events_of(run(state, command, actor)) == expected


def test_accepted_add_then_apply_puts_the_item_where_asked() -> None:
    events = events_of(run(BASE, AddAgendaItem(title="Mục mới", position=2), HOST))
    after = replay(events, BASE)
    assert [e.item_id for e in after.agenda] == [*ITEMS[:2], "new-1", *ITEMS[2:]]


# --- no-ops -------------------------------------------------------------------------------

NO_OPS: list[tuple[str, MeetingState, Command, Actor]] = [
    ("move-to-same-place", BASE, MoveAgendaItem(item_id=SECOND, position=1), HOST),
    ("move-last-past-end", BASE, MoveAgendaItem(item_id=LAST, position=500), HOST),
    ("move-first-before-start", BASE, MoveAgendaItem(item_id=FIRST, position=-1), HOST),
    ("set-current-already-current", ON_SECOND, SetCurrentAgendaItem(item_id=SECOND), HOST),
    ("clear-current-when-none", BASE, SetCurrentAgendaItem(item_id=None), HOST),
    ("ready-false-when-not-ready", BASE, SetSiteReady(site_id=SITE_A, ready=False), HOST),
    ("ready-true-when-ready", A_READY, SetSiteReady(site_id=SITE_A, ready=True), SECRETARY_A),
]


@pytest.mark.parametrize(("state", "command", "actor"), cases(NO_OPS))
def test_no_op_gives_no_events(state: MeetingState, command: Command, actor: Actor) -> None:
    assert events_of(run(state, command, actor)) == []


# --- rejections -----------------------------------------------------------------------------

LONG_TITLE = "x" * (MAX_TITLE + 1)
LONG_NAME = "x" * (MAX_NAME + 1)

REJECTED: list[tuple[str, MeetingState, Command, Actor, str]] = [
    # no_meeting: every command except CreateMeeting, even from the host
    ("no-meeting-add", EMPTY, AddAgendaItem(title="Mục"), HOST, "no_meeting"),
    ("no-meeting-rename", EMPTY, RenameAgendaItem(item_id=FIRST, title="M"), HOST, "no_meeting"),
    ("no-meeting-remove", EMPTY, RemoveAgendaItem(item_id=FIRST), HOST, "no_meeting"),
    ("no-meeting-move", EMPTY, MoveAgendaItem(item_id=FIRST, position=1), HOST, "no_meeting"),
    ("no-meeting-current", EMPTY, SetCurrentAgendaItem(item_id=FIRST), HOST, "no_meeting"),
    ("no-meeting-clear-current", EMPTY, SetCurrentAgendaItem(item_id=None), HOST, "no_meeting"),
    ("no-meeting-ready", EMPTY, SetSiteReady(site_id=SITE_A, ready=True), HOST, "no_meeting"),
    (
        "no-meeting-attendance",
        EMPTY,
        SetAttendance(site_id=SITE_A, attendance=1),
        SECRETARY_A,
        "no_meeting",
    ),
    # meeting_exists
    ("create-twice", BASE, create_command(), ORGANISER, "meeting_exists"),
    # forbidden (the full matrix is below)
    ("create-by-host", EMPTY, create_command(), HOST, "forbidden"),
    ("add-by-organiser", BASE, AddAgendaItem(title="Mục"), ORGANISER, "forbidden"),
    (
        "attendance-by-delegate",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=3),
        Actor("delegate", SITE_A),
        "forbidden",
    ),
    # empty_text, in every text field
    ("create-empty-title", EMPTY, create_command(title=""), ORGANISER, "empty_text"),
    ("create-blank-chair", EMPTY, create_command(chair="   "), ORGANISER, "empty_text"),
    ("create-blank-hall", EMPTY, create_command(main_hall="\n\t"), ORGANISER, "empty_text"),
    ("create-empty-site", EMPTY, create_command(sites=["A", ""]), ORGANISER, "empty_text"),
    ("create-blank-item", EMPTY, create_command(agenda=["Mục 1", "\t"]), ORGANISER, "empty_text"),
    ("add-blank", BASE, AddAgendaItem(title="  \u00a0 "), HOST, "empty_text"),
    ("add-only-controls", BASE, AddAgendaItem(title="\x00\x07\u200b"), HOST, "empty_text"),
    ("rename-empty", BASE, RenameAgendaItem(item_id=FIRST, title=""), HOST, "empty_text"),
    # text_too_long, in every text field
    ("create-long-title", EMPTY, create_command(title=LONG_TITLE), ORGANISER, "text_too_long"),
    ("create-long-chair", EMPTY, create_command(chair=LONG_NAME), ORGANISER, "text_too_long"),
    ("create-long-hall", EMPTY, create_command(main_hall=LONG_NAME), ORGANISER, "text_too_long"),
    ("create-long-site", EMPTY, create_command(sites=[LONG_NAME]), ORGANISER, "text_too_long"),
    (
        "create-long-item",
        EMPTY,
        create_command(agenda=["Mục", LONG_TITLE]),
        ORGANISER,
        "text_too_long",
    ),
    ("add-long", BASE, AddAgendaItem(title=LONG_TITLE), HOST, "text_too_long"),
    ("rename-long", BASE, RenameAgendaItem(item_id=FIRST, title=LONG_TITLE), HOST, "text_too_long"),
    # bad_attendance
    (
        "attendance-negative",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=-1),
        HOST,
        "bad_attendance",
    ),
    (
        "attendance-over-max",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=MAX_ATTENDANCE + 1),
        SECRETARY_A,
        "bad_attendance",
    ),
    (
        "attendance-huge",
        BASE,
        SetAttendance(site_id=SITE_A, attendance=10**18),
        HOST,
        "bad_attendance",
    ),
    # unknown_agenda_item
    (
        "rename-unknown",
        BASE,
        RenameAgendaItem(item_id=UNKNOWN_ITEM, title="M"),
        HOST,
        "unknown_agenda_item",
    ),
    ("remove-unknown", BASE, RemoveAgendaItem(item_id=UNKNOWN_ITEM), HOST, "unknown_agenda_item"),
    (
        "move-unknown",
        BASE,
        MoveAgendaItem(item_id=UNKNOWN_ITEM, position=0),
        HOST,
        "unknown_agenda_item",
    ),
    (
        "current-unknown",
        BASE,
        SetCurrentAgendaItem(item_id=UNKNOWN_ITEM),
        HOST,
        "unknown_agenda_item",
    ),
    (
        "current-removed-item",
        fold(BASE, AgendaItemRemoved(item_id=SECOND)),
        SetCurrentAgendaItem(item_id=SECOND),
        HOST,
        "unknown_agenda_item",
    ),
    # unknown_site
    (
        "ready-unknown-site",
        BASE,
        SetSiteReady(site_id=UNKNOWN_SITE, ready=True),
        HOST,
        "unknown_site",
    ),
    (
        "attendance-unknown-site",
        BASE,
        SetAttendance(site_id=UNKNOWN_SITE, attendance=1),
        HOST,
        "unknown_site",
    ),
    (
        "secretary-of-unknown-site",
        BASE,
        SetAttendance(site_id=UNKNOWN_SITE, attendance=1),
        Actor("secretary", UNKNOWN_SITE),
        "unknown_site",
    ),
    # other_site
    (
        "ready-other-site",
        BASE,
        SetSiteReady(site_id=SITE_B, ready=True),
        SECRETARY_A,
        "other_site",
    ),
    (
        "attendance-other-site",
        BASE,
        SetAttendance(site_id=SITE_B, attendance=1),
        SECRETARY_A,
        "other_site",
    ),
    (
        "attendance-main-hall-by-site-secretary",
        BASE,
        SetAttendance(site_id=HALL, attendance=1),
        SECRETARY_A,
        "other_site",
    ),
    (
        "secretary-without-site",
        BASE,
        SetSiteReady(site_id=SITE_A, ready=True),
        Actor("secretary", None),
        "other_site",
    ),
    (
        "other-site-checked-before-unknown-site",
        BASE,
        SetAttendance(site_id=UNKNOWN_SITE, attendance=1),
        SECRETARY_A,
        "other_site",
    ),
    # item_on_screen
    ("remove-current", ON_SECOND, RemoveAgendaItem(item_id=SECOND), HOST, "item_on_screen"),
    # duplicate_site
    (
        "duplicate-site",
        EMPTY,
        create_command(sites=["Phường A", "Phường A"]),
        ORGANISER,
        "duplicate_site",
    ),
    (
        "duplicate-site-case-insensitive",
        EMPTY,
        create_command(sites=["phường a", "PHƯỜNG A"]),
        ORGANISER,
        "duplicate_site",
    ),
    (
        "site-named-like-main-hall",
        EMPTY,
        create_command(main_hall="Hội trường", sites=["hội TRƯỜNG"]),
        ORGANISER,
        "duplicate_site",
    ),
    (
        "duplicate-after-whitespace-cleaning",
        EMPTY,
        create_command(sites=["Phường  A", " Phường A\n"]),
        ORGANISER,
        "duplicate_site",
    ),
    (
        "duplicate-nfd-and-nfc",
        EMPTY,
        create_command(sites=[unicodedata.normalize("NFD", "Phường Ô"), "Phường Ô"]),
        ORGANISER,
        "duplicate_site",
    ),
    # the two size limits
    ("agenda-full", FULL_AGENDA, AddAgendaItem(title="Thêm"), HOST, "agenda_full"),
    (
        "too-many-sites",
        EMPTY,
        create_command(sites=[f"Điểm {i}" for i in range(MAX_SITES)]),
        ORGANISER,
        "too_many_sites",
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "code"), cases(REJECTED))
def test_rejected_command_gives_this_code_and_leaves_the_state_unchanged(
    state: MeetingState, command: Command, actor: Actor, code: str
) -> None:
    check_rejected(state, command, actor, code)


@pytest.mark.parametrize(
    ("command", "field", "limit"),
    [
        pytest.param(AddAgendaItem(title=LONG_TITLE), "Agenda item", MAX_TITLE, id="agenda-item"),
        pytest.param(create_command(title=LONG_TITLE), "Title", MAX_TITLE, id="title"),
        pytest.param(create_command(chair=LONG_NAME), "Chair", MAX_NAME, id="chair"),
        pytest.param(create_command(main_hall=LONG_NAME), "Main hall", MAX_NAME, id="hall"),
        pytest.param(create_command(sites=[LONG_NAME]), "Site name", MAX_NAME, id="site"),
    ],
)
def test_too_long_names_the_field_and_the_limit(command: Command, field: str, limit: int) -> None:
    state = EMPTY if isinstance(command, CreateMeeting) else BASE
    actor = ORGANISER if isinstance(command, CreateMeeting) else HOST
    decision = run(state, command, actor)
    assert isinstance(decision, Rejected)
    assert decision.params == {"field": field, "limit": limit}


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(AddAgendaItem(title="x" * MAX_TITLE), id="add-title-at-limit"),
        pytest.param(create_command(title="x" * MAX_TITLE), id="meeting-title-at-limit"),
        pytest.param(create_command(chair="x" * MAX_NAME), id="chair-at-limit"),
        pytest.param(create_command(main_hall="y" * MAX_NAME), id="hall-at-limit"),
        pytest.param(create_command(sites=["z" * MAX_NAME]), id="site-at-limit"),
        # the limit counts characters after cleaning, not before
        pytest.param(AddAgendaItem(title=f"  {'x' * MAX_TITLE}  \n"), id="padding-not-counted"),
        pytest.param(
            AddAgendaItem(title=unicodedata.normalize("NFD", "ế" * MAX_TITLE)),
            id="nfd-counted-after-nfc",
        ),
    ],
)
def test_text_at_the_limit_is_accepted(command: Command) -> None:
    state = EMPTY if isinstance(command, CreateMeeting) else BASE
    actor = ORGANISER if isinstance(command, CreateMeeting) else HOST
    assert len(events_of(run(state, command, actor))) == 1


def test_unknown_item_and_site_name_the_id() -> None:
    item = run(BASE, RemoveAgendaItem(item_id=UNKNOWN_ITEM), HOST)
    site = run(BASE, SetSiteReady(site_id=UNKNOWN_SITE, ready=True), HOST)
    assert isinstance(item, Rejected)
    assert isinstance(site, Rejected)
    assert item.params == {"item_id": UNKNOWN_ITEM}
    assert site.params == {"site_id": UNKNOWN_SITE}


# --- the permission matrix --------------------------------------------------------------------

ACTORS: dict[str, Actor] = {
    "organiser": Actor("organiser"),
    "host": Actor("host"),
    "desk": Actor("desk"),
    "secretary-own": Actor("secretary", SITE_A),
    "secretary-other": Actor("secretary", SITE_B),
    "display": Actor("display", SITE_A),
    "overlay": Actor("overlay"),
    "delegate": Actor("delegate", SITE_A),
}

# Each command would change BASE (or create a meeting on EMPTY) if the actor may send it.
KINDS: dict[str, tuple[MeetingState, Command]] = {
    "create_meeting": (EMPTY, create_command()),
    "add_agenda_item": (BASE, AddAgendaItem(title="Mục mới", position=1)),
    "rename_agenda_item": (BASE, RenameAgendaItem(item_id=SECOND, title="Tên mới")),
    "remove_agenda_item": (BASE, RemoveAgendaItem(item_id=SECOND)),
    "move_agenda_item": (BASE, MoveAgendaItem(item_id=SECOND, position=4)),
    "set_current_agenda_item": (BASE, SetCurrentAgendaItem(item_id=SECOND)),
    "set_site_ready": (BASE, SetSiteReady(site_id=SITE_A, ready=True)),
    "set_attendance": (BASE, SetAttendance(site_id=SITE_A, attendance=25)),
    "set_join_shown": (BASE, SetJoinShown(shown=False)),
    "set_papers_heading": (BASE, SetPapersHeading("committee", "UBND phường Tân Định")),
    "set_organiser_unit": (BASE, SetOrganiserUnit("phường Tân Định", "Quận 1")),
    "archive_meeting": (BASE, ArchiveMeeting()),
    "restore_meeting": (ARCHIVED, RestoreMeeting()),
}

OK = "allowed"
F = "forbidden"
# rows: actor; columns in the order of KINDS
MATRIX: dict[str, tuple[str, ...]] = {
    "organiser": (OK, F, F, F, F, F, F, F, F, F, OK, OK, OK),
    "host": (F, OK, OK, OK, OK, OK, OK, OK, OK, OK, F, F, F),
    "desk": (F, F, F, F, F, F, F, F, F, F, F, F, F),
    "secretary-own": (F, F, F, F, F, F, OK, OK, F, F, F, F, F),
    "secretary-other": (F, F, F, F, F, F, "other_site", "other_site", F, F, F, F, F),
    "display": (F, F, F, F, F, F, F, F, F, F, F, F, F),
    "overlay": (F, F, F, F, F, F, F, F, F, F, F, F, F),
    "delegate": (F, F, F, F, F, F, F, F, F, F, F, F, F),
}


def test_matrix_covers_every_role_and_every_command_kind() -> None:
    assert {a.role for a in ACTORS.values()} == {
        "organiser",
        "host",
        "desk",
        "secretary",
        "display",
        "overlay",
        "delegate",
    }
    tags = {type(cmd).__struct_config__.tag for _, cmd in KINDS.values()}
    assert tags == set(KINDS)
    floor_kinds = {  # covered in test_floor.py, test_questions.py, test_votes.py, test_delegates.py
        typing.get_type_hints(f)["command"]
        for f in (*floor.DECIDERS, *questions.DECIDERS, *votes.DECIDERS, *delegates.DECIDERS)
    }
    assert len(tags) == len(set(typing.get_args(Command)) - floor_kinds)
    assert all(len(row) == len(KINDS) for row in MATRIX.values())
    assert set(MATRIX) == set(ACTORS)


@pytest.mark.parametrize(("actor_name", "kind", "expected"), cells(MATRIX, KINDS))
def test_permission_matrix(actor_name: str, kind: str, expected: str) -> None:
    state, command = KINDS[kind]
    decision = run(state, command, ACTORS[actor_name])
    if expected == OK:
        events = events_of(decision)
        assert len(events) == 1
        assert replay(events, state) != state
    else:
        assert code_of(decision) == expected


def test_the_join_code_comes_off_the_displays_and_back_once_each() -> None:
    hidden = replay(events_of(run(BASE, SetJoinShown(shown=False), HOST)), BASE)
    assert (BASE.join_shown, hidden.join_shown) == (True, False)
    assert events_of(run(hidden, SetJoinShown(shown=False), HOST)) == []  # already hidden
    shown = replay(events_of(run(hidden, SetJoinShown(shown=True), HOST)), hidden)
    assert shown.join_shown


# --- creating a meeting ---------------------------------------------------------------------


def test_create_meeting_event_carries_every_field() -> None:
    event = events_of(decide(EMPTY, create_command(), ctx(ORGANISER, prefix="c")))
    assert len(event) == 1
    created = event[0]
    assert isinstance(created, MeetingCreated)
    assert created.meeting_id == MEETING_ID
    assert created.title == "Hội nghị đối thoại"
    assert created.date == "2025-06-01"
    assert created.level == "ward"
    assert created.chair == "Chủ tịch UBND"
    assert created.at == NOW
    assert [(s.name, s.is_main_hall) for s in created.sites] == [
        ("Hội trường chính", True),
        ("Phường A", False),
        ("Phường B", False),
    ]
    ids = [s.site_id for s in created.sites] + [e.item_id for e in created.agenda]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("c-") for i in ids)


def test_standard_agenda_when_none_is_given() -> None:
    created = events_of(run(EMPTY, create_command(agenda=None), ORGANISER))[0]
    assert isinstance(created, MeetingCreated)
    assert len(created.agenda) == 7
    assert tuple(e.title for e in created.agenda) == STANDARD_AGENDA
    assert len({e.item_id for e in created.agenda}) == 7
    assert all(unicodedata.is_normalized("NFC", e.title) for e in created.agenda)


def test_custom_agenda_when_given_in_order_and_cleaned() -> None:
    agenda = ["  Khai mạc ", unicodedata.normalize("NFD", "Thảo luận"), "Bế\tmạc"]
    created = events_of(run(EMPTY, create_command(agenda=agenda), ORGANISER))[0]
    assert isinstance(created, MeetingCreated)
    assert [e.title for e in created.agenda] == ["Khai mạc", "Thảo luận", "Bế mạc"]


def test_empty_agenda_given_means_no_items() -> None:
    created = events_of(run(EMPTY, create_command(agenda=[]), ORGANISER))[0]
    assert isinstance(created, MeetingCreated)
    assert created.agenda == ()


def test_meeting_with_only_a_main_hall() -> None:
    created = events_of(run(EMPTY, create_command(sites=[]), ORGANISER))[0]
    assert isinstance(created, MeetingCreated)
    assert [s.is_main_hall for s in created.sites] == [True]


# --- text: NFC, whitespace, control characters -------------------------------------------------

VIETNAMESE = "Tiếng Việt có dấu: Hội nghị đối thoại ở Phường Ô Chợ Dừa"
NFD = unicodedata.normalize("NFD", VIETNAMESE)


def _texts_of(event: Event) -> list[str]:
    if isinstance(event, MeetingCreated):
        return [
            event.title,
            event.chair,
            *(s.name for s in event.sites),
            *(e.title for e in event.agenda),
        ]
    assert isinstance(event, AgendaItemAdded | AgendaItemRenamed)
    return [event.title]


def _nfd_create() -> tuple[MeetingState, Command, Actor, list[str]]:
    raws = [NFD, NFD, NFD + " 0", NFD + " 1", NFD]
    command = create_command(
        title=raws[0], chair=raws[1], main_hall=raws[2], sites=[raws[3]], agenda=[raws[4]]
    )
    return EMPTY, command, ORGANISER, raws


@pytest.mark.parametrize(
    ("state", "command", "actor", "raws"),
    [
        pytest.param(*_nfd_create(), id="create-meeting-all-fields"),
        pytest.param(BASE, AddAgendaItem(title=NFD), HOST, [NFD], id="add-agenda-item"),
        pytest.param(
            BASE, RenameAgendaItem(item_id=FIRST, title=NFD), HOST, [NFD], id="rename-agenda-item"
        ),
    ],
)
def test_decomposed_vietnamese_becomes_nfc(
    state: MeetingState, command: Command, actor: Actor, raws: list[str]
) -> None:
    assert NFD != VIETNAMESE
    assert not unicodedata.is_normalized("NFC", NFD)
    (event,) = events_of(run(state, command, actor))
    texts = _texts_of(event)
    assert texts == [unicodedata.normalize("NFC", raw) for raw in raws]
    assert all(text.startswith(VIETNAMESE) for text in texts)
    # and the composed form survives the log
    assert _texts_of(decode_event(encode_event(event))) == texts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Tiếng Việt", "Tiếng Việt", id="nfc-unchanged"),
        pytest.param(unicodedata.normalize("NFD", "Tiếng Việt"), "Tiếng Việt", id="nfd-to-nfc"),
        pytest.param("  Khai   mạc  ", "Khai mạc", id="spaces-collapsed-and-trimmed"),
        pytest.param("Khai\nmạc\r\nhội\tnghị", "Khai mạc hội nghị", id="newlines-and-tabs"),
        pytest.param("Khai\u00a0\u2003mạc\u3000", "Khai mạc", id="unicode-spaces"),
        pytest.param("Khai\u2028mạc\u2029", "Khai mạc", id="line-and-paragraph-separators"),
        pytest.param("\x00Bế\x07 mạc\x1b[0m", "Bế mạc [0m", id="c0-controls"),
        pytest.param("Bế\x7f\x85\x9fmạc", "Bế mạc", id="del-and-c1-controls"),
        pytest.param("\ufeff\u200bBế mạc\u200e", "Bế mạc", id="format-characters"),
        pytest.param("Bế mạc\x00", "Bế mạc", id="trailing-control"),
    ],
)
def test_text_is_cleaned(raw: str, expected: str) -> None:
    (event,) = events_of(run(BASE, AddAgendaItem(title=raw), HOST))
    assert isinstance(event, AgendaItemAdded)
    assert event.title == expected
    assert not any(unicodedata.category(c)[0] == "C" for c in event.title)
    assert "  " not in event.title
    assert event.title == event.title.strip()


def test_every_text_field_of_create_is_cleaned() -> None:
    command = create_command(
        title=" Hội\tnghị ",
        chair="Chủ\x00tịch",
        main_hall="\nHội trường\n",
        sites=["Phường\u00a0A"],
        agenda=["  Mục  1 "],
    )
    created = events_of(run(EMPTY, command, ORGANISER))[0]
    assert isinstance(created, MeetingCreated)
    assert _texts_of(created) == ["Hội nghị", "Chủ tịch", "Hội trường", "Phường A", "Mục 1"]


# --- purity -----------------------------------------------------------------------------------

ALL_CASES: list[tuple[str, MeetingState, Command, Actor]] = [
    *((c[0], c[1], c[2], c[3]) for c in ACCEPTED),
    *((c[0], c[1], c[2], c[3]) for c in REJECTED),
    *NO_OPS,
]


@pytest.mark.parametrize(("state", "command", "actor"), cases(ALL_CASES))
def test_decide_is_pure(state: MeetingState, command: Command, actor: Actor) -> None:
    snapshot = msgspec.json.encode(state)
    command_snapshot = msgspec.json.encode(command)
    first = run(state, command, actor)
    assert msgspec.json.decode(snapshot, type=MeetingState) == state
    assert msgspec.json.encode(command) == command_snapshot
    # the same inputs (with a fresh id source) give the same answer
    again = run(state, command, actor)
    if isinstance(first, Rejected):
        assert again == first
    else:
        assert not isinstance(again, Rejected)
        assert list(again) == list(first)


# --- the papers' heading ------------------------------------------------------------------------


def test_the_papers_heading_is_cleaned_and_the_bodies_set_in_capitals() -> None:
    command = SetPapersHeading(
        "party",
        unicodedata.normalize("NFD", " Đảng ủy  phường Tân Định "),
        "Đảng bộ quận 1",
        "Tân Định",
    )
    (event,) = events_of(run(BASE, command, HOST))
    heading = PapersHeading("party", "ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH", "ĐẢNG BỘ QUẬN 1", "Tân Định")
    assert event == PapersHeadingSet(heading)
    state = apply(BASE, event)
    assert state.info is not None
    assert state.info.heading == heading
    assert events_of(run(state, command, HOST)) == []  # the same again changes nothing


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (SetPapersHeading("committee", " \n "), "empty_text", "The issuing body"),
        (SetPapersHeading("committee", "x" * (MAX_NAME + 1)), "text_too_long", "The issuing body"),
        (
            SetPapersHeading("committee", "UBND", "y" * (MAX_NAME + 1)),
            "text_too_long",
            "The superior body",
        ),
        (
            SetPapersHeading("committee", "UBND", "", "z" * (MAX_NAME + 1)),
            "text_too_long",
            "The place name",
        ),
    ],
)
def test_a_heading_without_an_issuer_or_too_long_is_refused(
    command: SetPapersHeading, code: str, field: str
) -> None:
    decision = run(BASE, command, HOST)
    assert isinstance(decision, Rejected)
    assert (decision.code, decision.params["field"]) == (code, field)
