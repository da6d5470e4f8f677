"""Hidden means hidden: while a ballot is open with its results hidden, no view and no report
can tell how anyone voted; the number of votes received is all they carry. Then the desk role."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.core.commands import (
    Actor,
    Command,
    IssueBallotCards,
    OpenBallot,
    SetSpeakingTime,
    ShowQuestion,
)
from server.core.events import (
    BallotClosed,
    BallotOpened,
    Choice,
    Event,
    PaperCountSet,
    QuestionRecord,
    QuestionsImported,
    VoteCast,
    VotingRulesSet,
)
from server.core.report import meeting_report
from server.core.state import MeetingState
from server.core.views import (
    delegate_view,
    display_view,
    host_view,
    questions_view,
    secretary_view,
)
from tests.core.support import HALL, HOST, SITE_A, T0, code_of, events_of, meeting, run

TODAY = "2025-06-02"
Q1 = QuestionRecord("q1", "Đường ngập", "", "", SITE_A, "", "committee", "ward", "", "intake")


def with_q1(*ballot: Event) -> MeetingState:
    """The meeting with q1, of site A, imported; then the ballot's events."""
    return meeting(QuestionsImported((Q1,), T0), *ballot)


def voted(
    choice: Choice, paper: tuple[int, int, int], *, show_live: bool, closed: bool
) -> MeetingState:
    """A ballot on q1, on screen, with three phone votes of `choice` and a paper count."""
    return with_q1(
        BallotOpened("b1", "q1", "three", show_live, T0 + 1),
        *(VoteCast("b1", f"device:dev-{i}", SITE_A, choice) for i in range(3)),
        PaperCountSet("b1", SITE_A, *paper),
        *((BallotClosed("b1", T0 + 9),) if closed else ()),
    )


SCREENS: dict[str, Callable[[MeetingState], object]] = {
    "host": lambda s: host_view(s, {}),
    "display": display_view,
    "delegate": delegate_view,
    "report": lambda s: meeting_report(s, TODAY),
}


@pytest.mark.parametrize("screen", SCREENS)
def test_while_hidden_no_screen_or_report_tells_two_different_votes_apart(screen: str) -> None:
    show = SCREENS[screen]
    happy = voted("satisfied", (5, 0, 0), show_live=False, closed=False)
    unhappy = voted("not_satisfied", (0, 0, 5), show_live=False, closed=False)
    assert show(happy) == show(unhappy)
    # (secretaries' consoles and the question desk never carried a tally; they stay the same)
    for other in (lambda s: secretary_view(s, HALL), questions_view):
        assert other(happy) == other(unhappy)
    # shown live, or once closed, the counts are there
    for show_live, closed in ((True, False), (False, True)):
        happy = voted("satisfied", (5, 0, 0), show_live=show_live, closed=closed)
        unhappy = voted("not_satisfied", (0, 0, 5), show_live=show_live, closed=closed)
        assert show(happy) != show(unhappy), (show_live, closed)


def test_a_hidden_ballot_carries_the_votes_received_and_no_counts() -> None:
    state = voted("partly", (1, 2, 3), show_live=False, closed=False)
    for result in (host_view(state, {}).open_ballot, display_view(state).ballot):
        assert result is not None
        assert result.received == 3 + 6
        assert (result.phones, result.paper, result.total, result.by_site) == (None, None, None, ())
        assert not result.show_numbers
        assert result.by_device


def test_the_report_leaves_a_hidden_ballot_out_of_every_figure_and_says_so() -> None:
    report = meeting_report(voted("satisfied", (4, 0, 0), show_live=False, closed=False), TODAY)
    (question,) = report.questions
    assert question.satisfaction is None
    assert question.vote_hidden
    assert report.statistics.satisfaction_questions.total == 0
    assert report.statistics.satisfaction_by_body == ()
    assert all(site.satisfaction.total == 0 for site in report.sites)
    assert report.statistics.ballots_hidden == 1
    closed = meeting_report(voted("satisfied", (4, 0, 0), show_live=False, closed=True), TODAY)
    assert closed.questions[0].satisfaction is not None
    assert closed.questions[0].satisfaction.satisfied == 7
    assert closed.statistics.ballots_hidden == 0


def test_device_voting_is_named_as_such_and_seat_cards_are_not() -> None:
    by_device = voted("satisfied", (0, 0, 0), show_live=True, closed=True)
    assert meeting_report(by_device, TODAY).statistics.ballots_by_device == 1
    by_card = with_q1(
        VotingRulesSet("card", allow_change=True),
        BallotOpened("b1", "q1", "three", True, T0 + 1),
    )
    assert meeting_report(by_card, TODAY).statistics.ballots_by_device == 0
    result = host_view(by_card, {}).open_ballot
    assert result is not None
    assert not result.by_device


# --- the questions desk: the host's hand on the questions, nothing else -------------------------


HOSTS_OWN: list[Command] = [
    SetSpeakingTime(seconds=240),
    IssueBallotCards(count=5),
    OpenBallot("q1"),
]


def test_the_desk_runs_the_questions_as_the_host_would_and_nothing_else() -> None:
    state = with_q1()
    assert events_of(run(state, ShowQuestion("q1"), Actor("desk"))) == events_of(
        run(state, ShowQuestion("q1"), HOST)
    )
    for command in HOSTS_OWN:
        assert code_of(run(state, command, Actor("desk"))) == "forbidden", command
        events_of(run(state, command, HOST))
