"""Which unit organised a meeting and the unit above it (SetOrganiserUnit), the scopes the year's
figures are read by (one ward; a district over its wards; the meetings with no unit), and drafts
put away (ArchiveMeeting, RestoreMeeting)."""

from __future__ import annotations

import msgspec
import pytest

from server.core.apply import replay
from server.core.commands import (
    Actor,
    AddAgendaItem,
    ArchiveMeeting,
    Command,
    CreateMeeting,
    RestoreMeeting,
    SetOrganiserUnit,
)
from server.core.events import (
    CurrentAgendaItemSet,
    Event,
    MeetingArchived,
    MeetingCreated,
    MeetingRestored,
    OrganiserUnitSet,
    QuestionDecided,
)
from server.core.report import (
    ALL,
    Report,
    Scope,
    find_scope,
    meeting_report,
    scope_options,
    year_figures,
)
from server.core.state import MeetingState
from tests.core.support import (
    HOST,
    NOW,
    ORGANISER,
    check_accepted,
    check_permission,
    check_rejected,
    check_round_trip,
    do,
    events_of,
    nfd,
    run,
)
from tests.core.test_report import AT, PREPARED, TODAY, state_of

DRAFT = state_of(*PREPARED)  # opinions imported, attendance entered: never opened
OPENED = state_of(*PREPARED, CurrentAgendaItemSet("i1", AT))

CREATE = CreateMeeting(
    title="Hội nghị đối thoại phường Tân Định",
    date="2026-05-04",
    level="ward",
    chair="Bí thư Đảng ủy phường",
    main_hall="Hội trường UBND phường",
    sites=["Tổ dân phố 1"],
)


def test_the_unit_can_be_given_when_the_meeting_is_made() -> None:
    command = msgspec.structs.replace(CREATE, unit=nfd(" phường  Tân Định "), superior="Quận 1")
    events = events_of(run(MeetingState(), command, ORGANISER))
    assert isinstance(events[0], MeetingCreated)
    assert events[1:] == [OrganiserUnitSet("phường Tân Định", "Quận 1")]  # cleaned: NFC, spaces
    info = replay(events).info
    assert info is not None
    assert (info.unit, info.superior) == ("phường Tân Định", "Quận 1")


def test_a_meeting_made_without_a_unit_records_none() -> None:
    events = events_of(run(MeetingState(), CREATE, ORGANISER))
    assert len(events) == 1
    info = replay(events).info
    assert info is not None
    assert (info.unit, info.superior) == ("", "")


def test_the_organiser_sets_and_changes_the_unit_later() -> None:
    check_accepted(
        DRAFT,
        SetOrganiserUnit(unit="phường Đa Kao", superior="Quận 1"),
        ORGANISER,
        [OrganiserUnitSet("phường Đa Kao", "Quận 1")],
    )
    state = do(DRAFT, SetOrganiserUnit(unit="phường Đa Kao", superior="Quận 1"), ORGANISER)
    check_accepted(state, SetOrganiserUnit(unit="phường Đa Kao", superior="Quận 1"), ORGANISER, [])
    check_accepted(state, SetOrganiserUnit(unit=""), ORGANISER, [OrganiserUnitSet("", "")])


@pytest.mark.parametrize(
    ("unit", "superior", "code"),
    [
        ("", "Quận 1", "unit_missing"),  # a unit above nothing
        ("Quận 1", "quận 1", "unit_is_superior"),
        ("x" * 121, "", "text_too_long"),
        ("phường Tân Định", "y" * 121, "text_too_long"),
    ],
)
def test_a_bad_unit_is_refused_and_changes_nothing(unit: str, superior: str, code: str) -> None:
    check_rejected(DRAFT, SetOrganiserUnit(unit=unit, superior=superior), ORGANISER, code)
    made = msgspec.structs.replace(CREATE, unit=unit, superior=superior)
    check_rejected(MeetingState(), made, ORGANISER, code)


@pytest.mark.parametrize(
    ("command", "role", "expected"),
    [
        (SetOrganiserUnit(unit="phường Tân Định"), "organiser", "accepted"),
        (SetOrganiserUnit(unit="phường Tân Định"), "host", "forbidden"),
        (SetOrganiserUnit(unit="phường Tân Định"), "secretary", "forbidden"),
        (ArchiveMeeting(), "organiser", "accepted"),
        (ArchiveMeeting(), "host", "forbidden"),
        (ArchiveMeeting(), "desk", "forbidden"),
        (ArchiveMeeting(), "delegate", "forbidden"),
    ],
)
def test_who_may(command: Command, role: str, expected: str) -> None:
    actor = msgspec.convert({"role": role, "site_id": "a", "device_id": "d"}, Actor)
    check_permission(DRAFT, command, actor, expected)


# --- archived drafts -----------------------------------------------------------------------------


def test_a_draft_is_archived_and_restored() -> None:
    check_accepted(DRAFT, ArchiveMeeting(), ORGANISER, [MeetingArchived(NOW)])
    archived = do(DRAFT, ArchiveMeeting(), ORGANISER)
    assert archived.info is not None
    assert archived.info.archived
    check_accepted(archived, ArchiveMeeting(), ORGANISER, [])  # twice: nothing more
    check_accepted(archived, RestoreMeeting(), ORGANISER, [MeetingRestored(NOW)])
    restored = do(archived, RestoreMeeting(), ORGANISER)
    assert restored == DRAFT  # all as it was, its opinions and attendance with it
    check_accepted(restored, RestoreMeeting(), ORGANISER, [])


@pytest.mark.parametrize(
    "opening",
    [
        (CurrentAgendaItemSet("i1", AT),),
        (QuestionDecided("q1", "on_the_spot", "", "", None, "", AT),),
    ],
)
def test_a_meeting_opened_cannot_be_archived(opening: tuple[Event, ...]) -> None:
    check_rejected(state_of(*PREPARED, *opening), ArchiveMeeting(), ORGANISER, "meeting_held")


def test_an_archived_draft_takes_no_command_but_restore() -> None:
    archived = do(DRAFT, ArchiveMeeting(), ORGANISER)
    check_rejected(archived, AddAgendaItem(title="Thêm mục"), HOST, "archived")
    check_rejected(archived, SetOrganiserUnit(unit="phường Tân Định"), ORGANISER, "archived")
    check_rejected(archived, ArchiveMeeting(), HOST, "forbidden")  # still asked who first


@pytest.mark.parametrize(
    "event",
    [OrganiserUnitSet("phường Tân Định", "Quận 1"), MeetingArchived(AT), MeetingRestored(AT)],
)
def test_the_new_events_round_trip(event: Event) -> None:
    check_round_trip(event)


def test_an_old_log_reads_as_no_unit_and_not_archived() -> None:
    info = state_of().info
    assert info is not None
    assert (info.unit, info.superior, info.archived) == ("", "", False)


# --- the scopes of a year ------------------------------------------------------------------------

OPENED_EVENTS = (*PREPARED, CurrentAgendaItemSet("i1", AT))


def _report(
    day: str, unit: str = "", superior: str = "", *, opened: bool = True, archived: bool = False
) -> Report:
    events: list[Event] = list(OPENED_EVENTS if opened else PREPARED)
    if unit:
        events.append(OrganiserUnitSet(unit, superior))
    if archived:
        events.append(MeetingArchived(AT))
    state = state_of(*events, date=day)
    return meeting_report(state, TODAY)


def district_year() -> list[tuple[str, Report]]:
    """A district's own meeting, two wards under it (one with two meetings), a ward of another
    district with the same name as one of them, one meeting with no unit, and archived drafts."""
    return [
        ("district", _report("2026-03-01", "Quận 1", "Thành phố Hồ Chí Minh")),
        ("tan-dinh", _report("2026-04-01", "phường Tân Định", "Quận 1")),
        ("tan-dinh-2", _report("2026-09-01", "Phường Tân Định", "quận 1")),  # as typed elsewhere
        ("da-kao", _report("2026-05-01", "phường Đa Kao", "Quận 1")),
        ("other", _report("2026-06-01", "phường Tân Định", "Quận 3")),
        ("no-unit", _report("2026-07-01")),
        ("draft", _report("2026-08-01", "phường Đa Kao", "Quận 1", opened=False)),
        ("archived", _report("2026-08-02", "phường Cầu Kho", "Quận 1", archived=True)),
        ("archived-none", _report("2026-08-03", opened=False, archived=True)),
    ]


def _scope(label: str) -> Scope:
    reports = district_year()
    chosen = {
        "all": ALL,
        "Quận 1 và các phường": Scope("over", "Quận 1"),
        "phường Tân Định (Quận 1)": Scope("unit", "phường Tân Định", "Quận 1"),
        "phường Đa Kao": Scope("unit", "phường Đa Kao", "Quận 1"),
        "Quận 1": Scope("unit", "Quận 1", "Thành phố Hồ Chí Minh"),
        "none": Scope("none"),
        "Thành phố Hồ Chí Minh": Scope("over", "Thành phố Hồ Chí Minh"),
    }[label]
    found = find_scope((r.info for _, r in reports), chosen.key)
    assert found is not None, label
    return found


@pytest.mark.parametrize(
    ("label", "rows", "not_held"),
    [
        ("all", {"district", "tan-dinh", "tan-dinh-2", "da-kao", "other", "no-unit"}, {"draft"}),
        ("Quận 1 và các phường", {"district", "tan-dinh", "tan-dinh-2", "da-kao"}, {"draft"}),
        ("phường Tân Định (Quận 1)", {"tan-dinh", "tan-dinh-2"}, set()),  # not Quận 3's
        ("phường Đa Kao", {"da-kao"}, {"draft"}),
        ("Quận 1", {"district"}, set()),  # the district's own meetings only
        ("none", {"no-unit"}, set()),
        # a city over its district and the district's wards, not Quận 3's
        ("Thành phố Hồ Chí Minh", {"district", "tan-dinh", "tan-dinh-2", "da-kao"}, {"draft"}),
    ],
)
def test_each_scope_counts_exactly_its_meetings(
    label: str, rows: set[str], not_held: set[str]
) -> None:
    scope = _scope(label)
    figures = year_figures(district_year(), 2026, scope=scope)
    assert {row.meeting_id for row in figures.rows} == rows
    assert {row.meeting_id for row in figures.not_held} == not_held
    assert figures.meetings == len(rows)
    assert figures.opinions == 3 * len(rows)  # PREPARED imports three
    assert figures.scope == scope


def test_the_scope_list_has_every_unit_the_meetings_recorded_and_those_with_none() -> None:
    options = scope_options(r.info for _, r in district_year())
    shown = [(s.kind, s.name, s.superior) for s in options]
    assert shown == [
        ("all", "", ""),
        ("over", "Quận 1", ""),
        ("unit", "Quận 1", "Thành phố Hồ Chí Minh"),
        ("unit", "phường Đa Kao", "Quận 1"),
        ("unit", "phường Tân Định", "Quận 1"),  # "Phường Tân Định" of "quận 1" is the same ward
        ("over", "Quận 3", ""),
        ("unit", "phường Tân Định", "Quận 3"),
        ("over", "Thành phố Hồ Chí Minh", ""),
        ("none", "", ""),
    ]  # the archived draft's "phường Cầu Kho" makes none
    assert options[1].below == ("phường",)
    assert options[7].below == ()  # districts and their wards: "the units under it"
    assert len({s.key for s in options}) == len(options)
    figures = year_figures(district_year(), 2026)
    assert [(s.name, n) for s, n in figures.scopes][:3] == [("", 6), ("Quận 1", 4), ("Quận 1", 1)]
    assert figures.scopes[-1] == (Scope("none"), 1)  # never dropped: counted, and said so


def test_a_scope_no_meeting_recorded_is_not_found() -> None:
    infos = [r.info for _, r in district_year()]
    assert find_scope(infos, "unit-0000000000") is None
    assert find_scope(infos, "bogus") is None
    assert find_scope(infos, Scope("unit", "phường Cầu Kho", "Quận 1").key) is None  # archived
    assert find_scope(infos, "all") == ALL
    assert find_scope([r.info for _, r in district_year()[:5]], "none") is None


def test_the_units_under_a_scope_are_named_by_what_they_are() -> None:
    mixed = [
        _report("2026-03-01", "phường Tân Định", "Quận 1").info,
        _report("2026-03-02", "xã Bình Lợi", "Quận 1").info,
        _report("2026-03-03", "Khu phố 3", "Quận 2").info,  # begins with no unit's word
    ]
    over = {s.name: s.below for s in scope_options(mixed) if s.kind == "over"}
    assert over == {"Quận 1": ("phường", "xã"), "Quận 2": ()}


def test_archived_drafts_are_in_no_figure_and_counted_apart() -> None:
    figures = year_figures(district_year(), 2026)
    listed = {row.meeting_id for row in (*figures.rows, *figures.not_held)}
    assert not {"archived", "archived-none"} & listed
    assert figures.archived == 2
    assert year_figures(district_year(), 2026, scope=_scope("none")).archived == 1


def test_opinions_by_unit_name_the_meetings_with_none() -> None:
    figures = year_figures(district_year(), 2026, scope=_scope("Quận 1 và các phường"))
    assert figures.by_unit == (
        ("Quận 1", "Thành phố Hồ Chí Minh", 1, 3),
        ("phường Đa Kao", "Quận 1", 1, 3),
        ("phường Tân Định", "Quận 1", 2, 6),  # both its meetings, however the name was typed
    )
    everything = year_figures(district_year(), 2026)
    assert everything.by_unit[-2:] == (
        ("phường Tân Định", "Quận 3", 1, 3),  # another district's ward of the same name
        ("", "", 1, 3),  # the meeting with no unit, last
    )
