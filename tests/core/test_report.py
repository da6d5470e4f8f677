"""The report's arithmetic: shares that add up to 100 %, attendance that is unknown until entered,
and which meetings count as held."""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.apply import apply, replay
from server.core.events import (
    AgendaEntry,
    AttendanceSet,
    BallotClosed,
    BallotOpened,
    Choice,
    CurrentAgendaItemSet,
    Event,
    PriorOutcome,
    QuestionAdded,
    QuestionDecided,
    QuestionRecord,
    QuestionShown,
    QuestionsImported,
    SiteReadySet,
    SpeakerCalled,
    SpeakerQueued,
    SpeakRequested,
    VoteCast,
    decode_event,
)
from server.core.report import (
    YEAR_FIGURES,
    Attendance,
    Counts,
    Report,
    largest_remainder,
    meeting_report,
    under_way,
    year_count,
    year_figures,
    year_opinions,
)
from server.core.state import MeetingState, Question
from server.core.views import (
    PHONE_QUESTIONS_SHOWN,
    Tally,
    delegate_view,
    host_view,
    question_row,
    secretary_view,
)
from tests.core.support import T0, created, sites_named

# --- shares ------------------------------------------------------------------------------------

COUNTS = st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=12)
WHOLES = st.sampled_from([100, 1000])


@given(COUNTS, WHOLES)
def test_shares_add_up_to_exactly_the_whole(counts: list[int], whole: int) -> None:
    shares = largest_remainder(counts, whole)
    assert len(shares) == len(counts)
    assert sum(shares) == (whole if sum(counts) else 0)


@given(COUNTS, WHOLES)
def test_each_share_is_its_exact_value_rounded_down_or_up(counts: list[int], whole: int) -> None:
    total = sum(counts)
    for n, share in zip(counts, largest_remainder(counts, whole), strict=True):
        exact = Fraction(n * whole, total) if total else Fraction(0)
        assert exact - 1 < share < exact + 1
        if exact.denominator == 1:
            assert share == exact  # an exact share is never moved


@given(COUNTS, WHOLES)
def test_a_larger_count_never_gets_a_smaller_share(counts: list[int], whole: int) -> None:
    shares = largest_remainder(counts, whole)
    for i, a in enumerate(counts):
        for j, b in enumerate(counts):
            if a > b:
                assert shares[i] >= shares[j]


@given(st.tuples(*(st.integers(min_value=0, max_value=20_000),) * 3))
def test_a_tally_on_screen_adds_up_to_100_percent(counts: tuple[int, int, int]) -> None:
    tally = Tally(counts)
    shown = [tally.share(i) for i in range(3)]
    assert sum(shown) == (100 if tally.total else 0)
    assert list(Counts(*counts).shares()) == shown  # the report says what the screens said


@pytest.mark.parametrize(
    ("counts", "shares"),
    [
        ((1, 1, 1), (34, 33, 33)),  # rounded alone 33 + 33 + 33 = 99; a tie goes to the first
        ((3, 3, 2), (38, 37, 25)),  # 37,5 + 37,5 + 25: rounded alone 38 + 38 + 25 = 101
        ((2, 1, 0), (67, 33, 0)),
        ((16, 4, 2), (73, 18, 9)),
        ((5, 5, 1), (46, 45, 9)),
        ((1, 0, 2), (33, 0, 67)),
        ((0, 0, 0), (0, 0, 0)),  # no votes: no shares, not a made-up 100
        ((7, 0, 0), (100, 0, 0)),
        ((1, 1, 1, 1, 1, 1), (17, 17, 17, 17, 16, 16)),
    ],
)
def test_shares_worked_out_by_hand(counts: tuple[int, ...], shares: tuple[int, ...]) -> None:
    assert largest_remainder(counts) == shares


def test_a_tie_in_remainders_goes_to_the_larger_count() -> None:
    # 27, 6, 9 of 42 in tenths: 642,857 and 142,857 have the same remainder
    assert largest_remainder((27, 6, 9), 1000) == (643, 143, 214)


# --- attendance: unknown until entered -----------------------------------------------------------

AT = T0
SITES = sites_named(a="Tổ dân phố 1", b="Tổ dân phố 2")
AGENDA = (AgendaEntry("i1", "Khai mạc"), AgendaEntry("i2", "Đối thoại"))
TODAY = "2026-12-02"


def state_of(*events: Event, date: str = "2026-11-22") -> MeetingState:
    """The meeting of `date` with sites hall, a and b, then these events."""
    return replay([created(date=date, sites=SITES, agenda=AGENDA), *events])


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ({}, Attendance(0, 0, 3)),
        ({"a": 0}, Attendance(0, 1, 2)),  # 0 people entered is a count, unlike nothing entered
        ({"hall": 120, "b": 35}, Attendance(155, 2, 1)),
        ({"hall": 120, "a": 0, "b": 35}, Attendance(155, 3, 0)),
    ],
)
def test_attendance_is_a_total_only_when_every_site_entered_it(
    entered: dict[str, int], expected: Attendance
) -> None:
    state = state_of(*(AttendanceSet(site, n, AT) for site, n in entered.items()))
    attendance = meeting_report(state, TODAY).statistics.attendance
    assert attendance == expected
    assert attendance.total == (expected.entered if len(entered) == 3 else None)
    assert attendance.recorded == bool(entered)
    sites = {s.name: s.attendance for s in meeting_report(state, TODAY).sites}
    assert list(sites.values()) == [entered.get(site) for site in ("hall", "a", "b")]
    host = host_view(state, {})
    assert host.attendance == expected
    names = {"hall": "Hội trường", "a": "Tổ dân phố 1", "b": "Tổ dân phố 2"}
    assert host.attendance_missing == tuple(n for s, n in names.items() if s not in entered)


def test_an_old_log_with_attendance_reads_as_it_did() -> None:
    """AttendanceSet has always carried a count, and a site without one is None: old logs need no
    change to tell "not entered" from 0."""
    old = b'{"type":"AttendanceSet","site_id":"a","attendance":0,"at":1700000000.0}'
    state = state_of(decode_event(old))
    assert [s.attendance for s in state.sites] == [None, 0, None]


# --- under way, and held -------------------------------------------------------------------------

QUESTION = QuestionRecord(
    "q1", "Đèn đường tổ 3 hỏng", "", "", None, "", "committee", "ward", "", "intake"
)
PREPARED = (
    AttendanceSet("a", 40, AT),
    SiteReadySet("a", True, AT),
    QuestionsImported(
        (
            QUESTION,
            msgspec.structs.replace(
                QUESTION, question_id="q2", prior=PriorOutcome("answered", "UBND phường", "12/UBND")
            ),
            msgspec.structs.replace(
                QUESTION,
                question_id="q3",
                prior=PriorOutcome("forwarded", "UBND quận", forwarded_to="district"),
            ),
        ),
        AT,
    ),
)
OPENINGS: dict[str, tuple[Event, ...]] = {
    "an agenda item made current": (CurrentAgendaItemSet("i1", AT),),
    "a ballot opened": (BallotOpened("b1", None, "three", False, AT),),
    "a speaker called": (
        SpeakRequested("r1", "a", "Trần Văn An", "", "", "", "secretary", None, AT),
        SpeakerQueued("r1", AT),
        SpeakerCalled("r1", AT, 180),
    ),
    "a question on screen": (QuestionShown("q1", AT),),
    "a question decided at the meeting": (
        QuestionDecided("q1", "on_the_spot", "", "", None, "", AT),
    ),
}


def test_preparing_a_meeting_is_not_holding_it() -> None:
    state = state_of(*PREPARED)
    assert not under_way(state)
    assert not meeting_report(state, TODAY).held
    assert not secretary_view(state, "b").attendance_due  # no prompt before the meeting
    assert not host_view(state, {}).under_way


@pytest.mark.parametrize("opening", list(OPENINGS))
def test_a_meeting_is_under_way_once_opened(opening: str) -> None:
    state = state_of(*PREPARED, *OPENINGS[opening])
    assert under_way(state)
    assert meeting_report(state, TODAY).held
    assert meeting_report(state, "2026-11-21").held is False  # its day has not come: a rehearsal
    assert secretary_view(state, "b").attendance_due  # under way, and b never entered it
    assert not secretary_view(state, "a").attendance_due  # a entered 40
    assert host_view(state, {}).under_way


def test_the_prompt_goes_once_the_site_enters_its_attendance_even_0() -> None:
    state = state_of(*OPENINGS["an agenda item made current"])
    assert secretary_view(state, "b").attendance_due
    state = apply(state, AttendanceSet("b", 0, AT))
    assert not secretary_view(state, "b").attendance_due


# --- the year --------------------------------------------------------------------------------------


def _ballot(ballot_id: str, question_id: str | None, *choices: Choice) -> tuple[Event, ...]:
    return (
        BallotOpened(ballot_id, question_id, "three", True, AT),
        *(VoteCast(ballot_id, f"{ballot_id}-{i}", "a", c) for i, c in enumerate(choices)),
        BallotClosed(ballot_id, AT),
    )


def _meeting(date: str, *events: Event) -> Report:
    return meeting_report(state_of(*events, date=date), TODAY)


def test_the_year_counts_only_meetings_held_and_says_why_the_others_are_not() -> None:
    opened = OPENINGS["an agenda item made current"]
    reports = [
        ("held", _meeting("2026-03-01", *opened, AttendanceSet("hall", 100, AT))),
        ("also-held", _meeting("2026-11-22", *PREPARED, *opened)),
        ("draft", _meeting("2026-06-01", *PREPARED)),  # opinions imported, never opened
        ("rehearsal", _meeting("2026-12-20", *opened)),  # tried out before its day
        ("demo", _meeting("2026-10-01", *opened)),  # the demo meeting, tried out
        ("last-year", _meeting("2025-05-05", *opened)),
    ]
    figures = year_figures(reports, 2026, samples={"demo"})
    assert figures.meetings == 2
    assert [row.meeting_id for row in figures.rows] == ["also-held", "held"]  # latest first
    assert [(row.meeting_id, row.not_held) for row in figures.not_held] == [
        ("rehearsal", "future"),
        ("demo", "sample"),
        ("draft", "not_opened"),
    ]
    assert (figures.opinions, figures.collected_before) == (3, 3)  # not the draft's 3 more
    # the held meetings' sites: 1 of 3 and 1 of 3 entered, so the sum is a part, and says so
    assert figures.attendance == Attendance(140, 2, 4)
    assert figures.attendance.total is None


def test_the_year_headline_satisfaction_is_the_sum_of_the_rows() -> None:
    opened = OPENINGS["an agenda item made current"]
    with_meeting_ballot = _meeting(
        "2026-03-01",
        *opened,
        *_ballot("m", None, "satisfied", "satisfied", "partly"),
        *_ballot("x", "q1", "not_satisfied"),  # the meeting's own ballot is the figure
        QuestionsImported((QUESTION,), AT),
    )
    answers_only = _meeting(
        "2026-04-01",
        *opened,
        QuestionsImported((QUESTION,), AT),
        *_ballot("y", "q1", "satisfied", "not_satisfied", "not_satisfied"),
    )
    nobody_voted = _meeting("2026-05-01", *opened)
    figures = year_figures(
        [("with", with_meeting_ballot), ("answers", answers_only), ("none", nobody_voted)], 2026
    )
    rows = {row.meeting_id: row.report.statistics for row in figures.rows}
    assert rows["with"].satisfaction == Counts(2, 1, 0)
    assert not rows["with"].satisfaction_of_answers
    # no ballot on the meeting: its answers' ballots, marked as such (it showed "—" beside 62 %)
    assert rows["answers"].satisfaction == Counts(1, 0, 2)
    assert rows["answers"].satisfaction_of_answers
    assert rows["none"].satisfaction is None
    assert figures.satisfaction == Counts(3, 1, 2)
    total = Counts()
    for stats in rows.values():
        total = total + (stats.satisfaction or Counts())
    assert figures.satisfaction == total


def published_year() -> list[tuple[str, Report]]:
    """Two meetings of 2026 with what a district's report leads with: answered before the
    meeting, raised in the halls with the Party and with the government (HĐND + UBND), answered
    on the spot, forwarded by level."""
    opened = OPENINGS["an agenda item made current"]

    def record(qid: str, body: str, source: str = "turn", **more: object) -> QuestionRecord:
        return msgspec.structs.replace(QUESTION, question_id=qid, body=body, source=source, **more)

    before = PriorOutcome("answered", "UBND phường", "12/UBND", "2026-02-20")
    first = _meeting(
        "2026-03-01",
        *opened,
        QuestionsImported(
            (record("c1", "committee", "intake", prior=before), record("c2", "council", "intake")),
            AT,
        ),
        QuestionAdded(record("p1", "party"), AT),
        QuestionAdded(record("g1", "council"), AT),
        QuestionAdded(record("g2", "committee"), AT),
        QuestionDecided("g1", "on_the_spot", "", "", None, "", AT),
        QuestionDecided("g2", "forwarded", "", "2026-03-16", "district", "", AT),
    )
    second = _meeting(
        "2026-09-01",
        *opened,
        QuestionAdded(record("o1", "other"), AT),
        QuestionAdded(record("g3", "committee"), AT),
        QuestionDecided("g3", "forwarded", "", "2026-09-16", "city", "", AT),
    )
    return [("m1", first), ("m2", second)]


def test_the_year_gives_the_published_paragraphs_figures() -> None:
    figures = year_figures(published_year(), 2026)
    assert (figures.collected_before, figures.answered_before) == (2, 1)
    assert (figures.raised_in_hall, figures.raised_with_party) == (5, 1)
    assert figures.raised_with_government == 3  # HĐND and UBND together, never "other"
    assert figures.answered_on_the_spot == 1
    assert dict(figures.forwarded_by_level) == {"ward": 0, "district": 1, "city": 1}


@pytest.mark.parametrize("figure", list(YEAR_FIGURES))
def test_every_figure_of_the_year_lists_exactly_the_opinions_it_counts(figure: str) -> None:
    figures = year_figures(published_year(), 2026)
    assert len(year_opinions(figures, figure)) == year_count(figures, figure)
    assert year_count(figures, "opinions") == 7  # a figure that can be checked by hand
    assert {q.question_id for _, q in year_opinions(figures, "government")} == {"g1", "g2", "g3"}


def test_a_period_within_the_year_counts_only_its_meetings() -> None:
    spring = year_figures(published_year(), 2026, period=("2026-01-01", "2026-06-30"))
    autumn = year_figures(published_year(), 2026, period=("2026-07-01", ""))
    assert (spring.meetings, spring.opinions, autumn.meetings, autumn.opinions) == (1, 5, 1, 2)
    assert spring.period == ("2026-01-01", "2026-06-30")
    assert year_figures(published_year(), 2026, period=("", "2026-02-28")).meetings == 0


# --- the phones' view ---------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), max_size=80))
def test_the_phones_see_the_most_supported_open_questions_as_a_full_sort_would(
    questions: list[tuple[int, bool]],
) -> None:
    """Chosen before the rows are built, the phones' questions are those sorting every row by
    support (ties in their order) would give, and no others."""
    base = Question("q", "Câu hỏi", (), None, "", "committee", "ward", "phone", "", AT)
    state = msgspec.structs.replace(
        state_of(),
        questions=tuple(
            msgspec.structs.replace(
                base,
                question_id=f"q{i}",
                supporters=tuple(f"d{j}" for j in range(support)),
                decision="on_the_spot" if decided else None,
            )
            for i, (support, decided) in enumerate(questions)
        ),
    )
    every_row = sorted(
        (question_row(state, q) for q in state.questions if q.open and q.decision is None),
        key=lambda row: -row.support,
    )[:PHONE_QUESTIONS_SHOWN]
    assert [row.question.question_id for row in delegate_view(state).questions] == [
        row.question.question_id for row in every_row
    ]
