"""Delegates: the invited list, composition targets, check-in at the door, absence, walk-ins, and
the attendance that follows (unknown until a site takes it)."""

from __future__ import annotations

import typing

import msgspec
import pytest

from server.core import delegates
from server.core.apply import replay
from server.core.commands import (
    MAX_DELEGATES,
    Actor,
    CheckInDelegate,
    Command,
    CompositionDraft,
    DelegateDraft,
    EditDelegate,
    InviteDelegates,
    MarkDelegateAbsent,
    ReleaseInvitation,
    SetAttendance,
    SetComposition,
    SetWalkIns,
    UninviteDelegate,
)
from server.core.delegates import site_attendance
from server.core.events import (
    CompositionSet,
    CompositionTarget,
    CurrentAgendaItemSet,
    DelegateCheckedIn,
    DelegateEdited,
    DelegateMarkedAbsent,
    DelegateRecord,
    DelegatesInvited,
    DelegateUninvited,
    InvitationClaimed,
    InvitationReleased,
    WalkInsSet,
)
from server.core.report import meeting_report, year_figures
from server.core.state import MeetingState
from tests.core.support import (
    HALL,
    HOST,
    NOW,
    ORGANISER,
    SEC_A,
    SEC_B,
    SITE_A,
    SITE_B,
    T0,
    cases,
    check_accepted,
    check_permission,
    check_rejected,
    check_round_trip,
    command_kinds,
    created,
    do,
    fold,
    nfd,
)

BASE = replay([created(date="2026-12-02")])  # the report's day and year, the birth years' bound
AN = DelegateRecord("d1", "Nguyễn Văn An", "Tổ 1", SITE_A, "male", 1950, "Cựu chiến binh", "0903")
MAI = DelegateRecord("d2", "Lê Thị Mai", "Tổ 1", SITE_A, "female", 1995)
HOA = DelegateRecord("d3", "Trần Thị Hoa", "Tổ 2", SITE_B, "female")
LISTED = fold(BASE, DelegatesInvited((AN, MAI, HOA), T0))
AT_THE_DOOR = fold(
    LISTED, DelegateCheckedIn("d1", "code", T0), DelegateMarkedAbsent("d3", "Ốm", T0)
)


def draft(name: str = "Phạm Văn Bình", site_id: str = SITE_A, **more: typing.Any) -> DelegateDraft:
    return DelegateDraft(name=name, site_id=site_id, **more)


ACCEPTED: list[tuple[str, MeetingState, Command, Actor, list[typing.Any]]] = [
    (
        "invite-cleans-names-and-keeps-only-the-phones-digits",
        BASE,
        InviteDelegates(
            [
                draft(
                    nfd(" Nguyễn  Văn An "),
                    group=" Tổ 1 ",
                    gender="male",
                    birth_year=1950,
                    position="Cựu chiến binh",
                    phone="090 3",
                )
            ]
        ),
        ORGANISER,
        [DelegatesInvited((msgspec.structs.replace(AN, delegate_id="new-1"),), NOW)],
    ),
    ("invite-nobody-is-nothing", BASE, InviteDelegates([]), HOST, []),
    (
        "edit",
        LISTED,
        EditDelegate("d2", draft("Lê Thị Mai", group="Tổ 3", gender="female", birth_year=1995)),
        HOST,
        [DelegateEdited(DelegateRecord("d2", "Lê Thị Mai", "Tổ 3", SITE_A, "female", 1995))],
    ),
    ("uninvite", LISTED, UninviteDelegate("d2"), HOST, [DelegateUninvited("d2")]),
    (
        "composition-the-last-count-of-a-group-counts",
        BASE,
        SetComposition(SITE_A, CompositionDraft(40, 18, 8, [("Tổ 1", 10), ("Tổ 1", 12)])),
        HOST,
        [CompositionSet(SITE_A, CompositionTarget(40, 18, 8, (("Tổ 1", 12),)))],
    ),
    (
        "check-in-by-name",
        LISTED,
        CheckInDelegate("d2", "name"),
        SEC_A,
        [DelegateCheckedIn("d2", "name", NOW)],
    ),
    ("checked-in-twice-counts-once", AT_THE_DOOR, CheckInDelegate("d1"), SEC_A, []),
    (
        "absent-checks-in-after-all",
        AT_THE_DOOR,
        CheckInDelegate("d3"),
        SEC_B,
        [DelegateCheckedIn("d3", "code", NOW)],
    ),
    (
        "absent-with-a-reason",
        LISTED,
        MarkDelegateAbsent("d2", " Đi công tác "),
        SEC_A,
        [DelegateMarkedAbsent("d2", "Đi công tác", NOW)],
    ),
    ("absent-again-the-same-is-nothing", AT_THE_DOOR, MarkDelegateAbsent("d3", "Ốm"), HOST, []),
    ("walk-ins", BASE, SetWalkIns(SITE_B, 7), SEC_B, [WalkInsSet(SITE_B, 7)]),
    ("walk-ins-none-is-taken-too", BASE, SetWalkIns(SITE_B, 0), SEC_B, [WalkInsSet(SITE_B, 0)]),
    (
        "release-a-held-invitation",
        fold(AT_THE_DOOR, InvitationClaimed("d1", "dev-lost")),
        ReleaseInvitation("d1"),
        SEC_A,
        [InvitationReleased("d1")],
    ),
    ("release-one-no-phone-holds-is-nothing", AT_THE_DOOR, ReleaseInvitation("d1"), SEC_A, []),
]


@pytest.mark.parametrize(("state", "command", "actor", "expected"), cases(ACCEPTED))
def test_accepted_command_gives_exactly_these_events(
    state: MeetingState, command: Command, actor: Actor, expected: list[typing.Any]
) -> None:
    check_accepted(state, command, actor, expected)


REJECTED: list[tuple[str, MeetingState, Command, Actor, str]] = [
    ("invite-by-a-secretary", BASE, InviteDelegates([draft()]), SEC_A, "forbidden"),
    ("invite-no-name", BASE, InviteDelegates([draft(), draft(" \u200b ")]), HOST, "empty_text"),
    ("invite-long-name", BASE, InviteDelegates([draft("x" * 121)]), HOST, "text_too_long"),
    (
        "invite-unknown-site",
        BASE,
        InviteDelegates([draft(site_id="nowhere")]),
        HOST,
        "unknown_site",
    ),
    ("invite-born-later", BASE, InviteDelegates([draft(birth_year=2027)]), HOST, "bad_birth_year"),
    (
        "invite-born-long-ago",
        BASE,
        InviteDelegates([draft(birth_year=1899)]),
        HOST,
        "bad_birth_year",
    ),
    (
        "invite-too-many",
        LISTED,
        InviteDelegates([draft()] * (MAX_DELEGATES - 2)),
        HOST,
        "too_many_delegates",
    ),
    ("edit-unknown", LISTED, EditDelegate("nobody", draft()), HOST, "unknown_delegate"),
    ("edit-bad", LISTED, EditDelegate("d1", draft("")), HOST, "empty_text"),
    ("uninvite-one-who-came", AT_THE_DOOR, UninviteDelegate("d1"), HOST, "delegate_present"),
    ("uninvite-unknown", LISTED, UninviteDelegate("nobody"), ORGANISER, "unknown_delegate"),
    (
        "composition-by-a-secretary",
        BASE,
        SetComposition(SITE_A, CompositionDraft(3)),
        SEC_A,
        "forbidden",
    ),
    (
        "composition-unknown-site",
        BASE,
        SetComposition("nowhere", CompositionDraft(3)),
        HOST,
        "unknown_site",
    ),
    ("check-in-at-another-site", LISTED, CheckInDelegate("d3"), SEC_A, "other_site"),
    ("check-in-unknown", LISTED, CheckInDelegate("nobody"), SEC_A, "unknown_delegate"),
    ("check-in-by-a-display", LISTED, CheckInDelegate("d1"), Actor("display", SITE_A), "forbidden"),
    (
        "check-in-by-a-phone",
        LISTED,
        CheckInDelegate("d1"),
        Actor("delegate", SITE_A, "dev"),
        "forbidden",
    ),
    (
        "absent-one-who-came",
        AT_THE_DOOR,
        MarkDelegateAbsent("d1", "Về sớm"),
        SEC_A,
        "delegate_present",
    ),
    ("absent-at-another-site", LISTED, MarkDelegateAbsent("d1"), SEC_B, "other_site"),
    ("absent-reason-too-long", LISTED, MarkDelegateAbsent("d1", "x" * 301), HOST, "text_too_long"),
    ("absent-unknown", LISTED, MarkDelegateAbsent("nobody"), HOST, "unknown_delegate"),
    ("walk-ins-negative", BASE, SetWalkIns(SITE_A, -1), SEC_A, "bad_attendance"),
    ("walk-ins-at-another-site", BASE, SetWalkIns(SITE_A, 3), SEC_B, "other_site"),
    ("walk-ins-unknown-site", BASE, SetWalkIns("nowhere", 3), HOST, "unknown_site"),
    ("release-unknown", LISTED, ReleaseInvitation("nobody"), HOST, "unknown_delegate"),
    ("release-at-another-site", LISTED, ReleaseInvitation("d1"), SEC_B, "other_site"),
]


@pytest.mark.parametrize(("state", "command", "actor", "code"), cases(REJECTED))
def test_rejected_command_gives_this_code_and_leaves_the_state_equal(
    state: MeetingState, command: Command, actor: Actor, code: str
) -> None:
    check_rejected(state, command, actor, code)


def test_every_delegate_command_has_an_accepted_and_a_rejected_case() -> None:
    kinds = command_kinds(delegates)
    assert {type(command) for _, _, command, _, _ in ACCEPTED} == kinds
    assert {type(command) for _, _, command, _, _ in REJECTED} == kinds


@pytest.mark.parametrize(
    ("command", "actor", "expected"),
    [
        (CheckInDelegate("d1"), HOST, "accepted"),
        (CheckInDelegate("d1"), SEC_A, "accepted"),
        (CheckInDelegate("d1"), SEC_B, "other_site"),
        (CheckInDelegate("d1"), Actor("desk"), "forbidden"),
        (CheckInDelegate("d1"), Actor("overlay", SITE_A), "forbidden"),
        (CheckInDelegate("d1"), ORGANISER, "forbidden"),
        (InviteDelegates([draft()]), ORGANISER, "accepted"),
        (InviteDelegates([draft()]), Actor("desk"), "forbidden"),
        (SetWalkIns(SITE_A, 2), SEC_A, "accepted"),
        (SetWalkIns(SITE_A, 2), ORGANISER, "forbidden"),
    ],
)
def test_who_may_act_on_the_list_and_at_the_door(
    command: Command, actor: Actor, expected: str
) -> None:
    check_permission(LISTED, command, actor, expected)


@pytest.mark.parametrize(
    "event",
    [
        DelegatesInvited((AN, MAI, HOA), T0),
        DelegateEdited(MAI),
        DelegateUninvited("d2"),
        CompositionSet(SITE_A, CompositionTarget(40, None, 8, (("Tổ 1", 12),))),
        DelegateCheckedIn("d1", "name", T0),
        DelegateMarkedAbsent("d3", "Ốm", T0),
        WalkInsSet(SITE_B, 7),
    ],
)
def test_delegate_events_round_trip(event: typing.Any) -> None:
    check_round_trip(event)


def test_a_site_whose_attendance_nobody_took_is_unknown_not_zero() -> None:
    hall, a, b = site_attendance(LISTED)
    assert [row.site_id for row in (hall, a, b)] == [HALL, SITE_A, SITE_B]
    assert (a.invited.total, a.taken, a.attending) == (2, False, None)
    assert (hall.invited.total, hall.taken, hall.attending) == (0, False, None)
    walked_in = site_attendance(do(LISTED, SetWalkIns(HALL, 0), HOST))[0]
    assert (walked_in.taken, walked_in.attending) == (True, 0)  # taken: nobody came
    assert delegates.attending_by_site(LISTED) == {HALL: None, SITE_A: None, SITE_B: None}


def test_attendance_counts_the_composition_of_who_came() -> None:
    state = do(AT_THE_DOOR, CheckInDelegate("d2", "name"), SEC_A)
    state = do(state, SetWalkIns(SITE_A, 3), SEC_A)
    state = do(state, SetComposition(SITE_A, CompositionDraft(4, 2, 1, [("Tổ 1", 4)])), HOST)
    _, a, b = site_attendance(state)
    assert a.invited == delegates.Composition(2, 1, 1, (("Tổ 1", 2),))  # Mai, born 1995, is 31
    assert a.present == a.invited
    assert (a.walk_ins, a.attending, a.absent) == (3, 5, 0)
    assert a.target == CompositionTarget(4, 2, 1, (("Tổ 1", 4),))
    assert (b.present.total, b.absent, b.taken, b.attending, b.target) == (0, 1, True, 0, None)
    # All sites at once (the host's console) say what each site's own figures say.
    assert delegates.attending_by_site(state) == {HALL: None, SITE_A: 5, SITE_B: 0}


def test_five_hundred_check_ins_with_repeats_count_each_delegate_once() -> None:
    many = [draft(f"Đại biểu {i}", SITE_A if i % 2 else SITE_B) for i in range(600)]
    state = do(BASE, InviteDelegates(many), ORGANISER)
    ids = [d.delegate_id for d in state.delegates]
    for delegate_id in [*ids[:500], *ids[:50]]:  # 50 scanned twice
        state = do(state, CheckInDelegate(delegate_id), HOST)
    rows = site_attendance(state)
    assert sum(row.present.total for row in rows) == 500
    assert sum(row.invited.total for row in rows) == 600


# --- attendance in the record ------------------------------------------------------------------


def test_the_report_counts_delegates_by_site_and_in_total() -> None:
    state = do(AT_THE_DOOR, CheckInDelegate("d2", "name"), SEC_A)
    state = do(state, SetWalkIns(SITE_A, 3), SEC_A)
    statistics = meeting_report(state, "2026-12-02").statistics
    assert statistics.delegates == delegates.DelegateTotals(
        invited=delegates.Composition(3, 2, 1, (("Tổ 1", 2), ("Tổ 2", 1))),
        present=delegates.Composition(2, 1, 1, (("Tổ 1", 2),)),
        walk_ins=3,
        absent=1,
        sites_taken=2,
        sites_missing=0,
    )
    assert statistics.delegates.attending == 5
    hall, a, b = meeting_report(state, "2026-12-02").sites
    assert hall.delegates is None  # the main hall invited nobody: no line for it
    assert (a.attendance, b.attendance) == (5, 0)  # nobody typed a count: the door's figure
    assert statistics.attendance.total is None  # the hall's count is still unknown


def test_a_count_the_secretary_typed_is_the_sites_headcount() -> None:
    state = do(AT_THE_DOOR, SetAttendance(SITE_A, 40), SEC_A)
    _, a, _ = meeting_report(state, "2026-12-02").sites
    assert a.attendance == 40  # everyone in the room, not only the invited
    assert a.delegates is not None
    assert a.delegates.present.total == 1


def test_delegates_present_are_unknown_while_a_listed_site_took_nothing() -> None:
    partly = meeting_report(fold(LISTED, DelegateCheckedIn("d1", "code", T0)), "2026-12-02")
    assert partly.statistics.delegates is not None
    assert (partly.statistics.delegates.sites_taken, partly.statistics.delegates.sites_missing) == (
        1,
        1,
    )
    assert partly.statistics.delegates.attending is None
    assert meeting_report(BASE, "2026-12-02").statistics.delegates is None  # nobody invited


def test_the_year_adds_up_the_delegates_of_the_meetings_held() -> None:
    held = do(AT_THE_DOOR, SetWalkIns(SITE_B, 2), SEC_B)
    held = fold(held, CurrentAgendaItemSet("i-1", T0))
    report = meeting_report(held, "2026-12-02")
    year = year_figures([("m-1", report), ("m-2", report)], 2026)
    assert year.delegates is not None
    assert (year.delegates.invited.total, year.delegates.attending) == (6, 6)
    assert year_figures([("m-1", meeting_report(BASE, "2026-12-02"))], 2026).delegates is None
