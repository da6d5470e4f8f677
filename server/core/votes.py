"""Satisfaction ballots: phones and paper counted together, exactly; one vote per voter."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from server.core.commands import (
    MAX_ATTENDANCE,
    MAX_CARDS,
    CastVote,
    CloseBallot,
    IssueBallotCards,
    OpenBallot,
    SetPaperCount,
    SetVotingRules,
    ShowBallot,
)
from server.core.events import (
    BallotCardsIssued,
    BallotClosed,
    BallotOpened,
    BallotShown,
    InvitationClaimed,
    PaperCountSet,
    VoteCast,
    VotingRulesSet,
)
from server.core.rules import N_, Context, Decision, Rejected, phone_of, unknown_site
from server.core.state import CHOICES, Ballot, MeetingState, VotingRules

MAX_BALLOTS = 1000


def _unknown_ballot(ballot_id: str) -> Rejected:
    return Rejected("unknown_ballot", N_("No ballot {ballot_id}."), {"ballot_id": ballot_id})


def decide_rules(command: SetVotingRules, state: MeetingState, _ctx: Context) -> Decision:
    if state.open_ballot is not None:
        return Rejected("ballot_open", N_("Close the open ballot first."))
    rules = VotingRules(command.eligibility, command.allow_change)
    return (
        [] if rules == state.voting else [VotingRulesSet(command.eligibility, command.allow_change)]
    )


def decide_cards(command: IssueBallotCards, state: MeetingState, _ctx: Context) -> Decision:
    if not 1 <= command.count <= MAX_CARDS - state.cards_issued:
        return Rejected(
            "bad_card_count", N_("At most {limit} seat cards in all."), {"limit": MAX_CARDS}
        )
    return [BallotCardsIssued(command.count)]


def decide_open(command: OpenBallot, state: MeetingState, ctx: Context) -> Decision:
    if state.open_ballot is not None:
        return Rejected("ballot_open", N_("Close the open ballot first."))
    if len(state.ballots) >= MAX_BALLOTS:
        return Rejected("too_many_ballots", N_("At most {limit} ballots."), {"limit": MAX_BALLOTS})
    if command.question_id is not None:
        question = state.question(command.question_id)
        if question is None or not question.open:
            return Rejected(
                "unknown_question",
                N_("No question {question_id}."),
                {"question_id": command.question_id},
            )
    if any(b.question_id == command.question_id for b in state.ballots):
        return Rejected("already_balloted", N_("This was put to the vote already."))
    return [
        BallotOpened(ctx.new_id(), command.question_id, command.scale, command.show_live, ctx.now)
    ]


def decide_close(command: CloseBallot, state: MeetingState, ctx: Context) -> Decision:
    ballot = state.ballot(command.ballot_id)
    if ballot is None:
        return _unknown_ballot(command.ballot_id)
    return (
        [BallotClosed(ballot.ballot_id, ctx.now)] if ballot.open else []
    )  # closing twice: nothing


def _invited_voter(state: MeetingState, delegate_id: str | None, device_id: str) -> str | Rejected:
    """One vote per invited delegate, only once they are checked in at the door, and from the
    phone that first voted with the invitation (a photo of it on another phone is refused)."""
    if delegate_id is None:
        return Rejected(
            "invitation_required",
            N_("This meeting votes by invitation: scan the QR code on your invitation first."),
        )
    delegate = state.delegate(delegate_id)
    if delegate is None:
        return Rejected("unknown_invitation", N_("This invitation is not one of this meeting's."))
    if delegate.status != "present":
        return Rejected(
            "not_checked_in", N_("Only delegates checked in at the door vote: check in first.")
        )
    held_by = state.invitation_phones.get(delegate_id)
    if held_by is not None and held_by != device_id:
        return Rejected(
            "invitation_in_use",
            N_(
                "This invitation already votes from another phone. If that phone is lost, ask"
                " the site's secretary to free the invitation."
            ),
        )
    return f"delegate:{delegate_id}"


def voter_of(state: MeetingState, ctx: Context) -> str | Rejected:
    """Who is voting: a joined phone, or (when the meeting votes by seat card) a card."""
    actor = ctx.actor
    _, device_id = phone_of(ctx)
    if state.voting.eligibility == "card":
        if actor.card is None:
            return Rejected(
                "card_required", N_("This meeting votes by seat card: scan your card first.")
            )
        if not 0 <= actor.card < state.cards_issued:
            return Rejected("unknown_card", N_("This card is not one of this meeting's."))
        return f"card:{actor.card}"
    if state.voting.eligibility == "invitation":
        return _invited_voter(state, actor.delegate_id, device_id)
    return f"device:{device_id}"


def decide_vote(command: CastVote, state: MeetingState, ctx: Context) -> Decision:
    voter = voter_of(state, ctx)
    if isinstance(voter, Rejected):
        return voter
    ballot = state.ballot(command.ballot_id)
    if ballot is None:
        return _unknown_ballot(command.ballot_id)
    if not ballot.open:
        return Rejected("ballot_closed", N_("This ballot is closed; the vote was not counted."))
    if ballot.scale == "two" and command.choice == "partly":
        return Rejected("not_on_scale", N_("This ballot asks only: satisfied or not satisfied."))
    earlier = ballot.votes.get(voter)
    if earlier is not None:
        if earlier[0] == command.choice:
            return []  # the same vote again (a resend): counted once
        if not state.voting.allow_change:
            return Rejected("already_voted", N_("You have voted in this ballot already."))
    site_id = ctx.actor.site_id or ""
    cast = VoteCast(ballot.ballot_id, voter, site_id, command.choice)
    delegate_id = ctx.actor.delegate_id
    first_with_it = delegate_id is not None and state.invitation_phones.get(delegate_id) is None
    if voter.startswith("delegate:") and delegate_id and first_with_it:
        return [InvitationClaimed(delegate_id, phone_of(ctx)[1]), cast]  # this phone holds it
    return [cast]


def decide_paper(command: SetPaperCount, state: MeetingState, _ctx: Context) -> Decision:
    problem = unknown_site(command.site_id, state)
    if problem:
        return problem
    ballot = state.ballot(command.ballot_id)
    if ballot is None:
        return _unknown_ballot(command.ballot_id)
    counts = (command.satisfied, command.partly, command.not_satisfied)
    if not all(0 <= n <= MAX_ATTENDANCE for n in counts):
        return Rejected(
            "bad_count",
            N_("A count must be a whole number from 0 to {limit}."),
            {"limit": MAX_ATTENDANCE},
        )
    if ballot.scale == "two" and command.partly:
        return Rejected("not_on_scale", N_("This ballot asks only: satisfied or not satisfied."))
    if dict(ballot.paper).get(command.site_id) == counts:
        return []
    return [PaperCountSet(ballot.ballot_id, command.site_id, *counts)]


def decide_show(command: ShowBallot, state: MeetingState, _ctx: Context) -> Decision:
    if command.ballot_id is not None and state.ballot(command.ballot_id) is None:
        return _unknown_ballot(command.ballot_id)
    return [] if command.ballot_id == state.ballot_on_screen else [BallotShown(command.ballot_id)]


# --- apply --------------------------------------------------------------------------------------


def _change(
    state: MeetingState, ballot_id: str, change: Callable[[Ballot], Ballot]
) -> MeetingState:
    ballots = tuple(change(b) if b.ballot_id == ballot_id else b for b in state.ballots)
    return msgspec.structs.replace(state, ballots=ballots)


def apply_rules(event: VotingRulesSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, voting=VotingRules(event.eligibility, event.allow_change))


def apply_cards(event: BallotCardsIssued, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, cards_issued=state.cards_issued + event.count)


def apply_opened(event: BallotOpened, state: MeetingState) -> MeetingState:
    ballot = Ballot(
        event.ballot_id,
        event.question_id,
        event.scale,
        event.show_live,
        event.at,
        eligibility=state.voting.eligibility,
    )
    return msgspec.structs.replace(
        state, ballots=(*state.ballots, ballot), ballot_on_screen=event.ballot_id
    )


def apply_closed(event: BallotClosed, state: MeetingState) -> MeetingState:
    return _change(state, event.ballot_id, lambda b: msgspec.structs.replace(b, closed_at=event.at))


def apply_vote(event: VoteCast, state: MeetingState) -> MeetingState:
    def count(ballot: Ballot) -> Ballot:
        counts = list(ballot.phone_counts)
        earlier = ballot.votes.get(event.voter)
        if earlier is not None:
            counts[CHOICES.index(earlier[0])] -= 1  # a changed vote moves, it is not added
        counts[CHOICES.index(event.choice)] += 1
        return msgspec.structs.replace(
            ballot,
            votes=ballot.votes.with_vote(event.voter, event.choice, event.site_id),
            phone_counts=(counts[0], counts[1], counts[2]),
        )

    return _change(state, event.ballot_id, count)


def apply_paper(event: PaperCountSet, state: MeetingState) -> MeetingState:
    counts = (event.satisfied, event.partly, event.not_satisfied)

    def enter(ballot: Ballot) -> Ballot:
        paper = (
            *tuple((s, c) for s, c in ballot.paper if s != event.site_id),
            (event.site_id, counts),
        )
        return msgspec.structs.replace(ballot, paper=paper)

    return _change(state, event.ballot_id, enter)


def apply_claimed(event: InvitationClaimed, state: MeetingState) -> MeetingState:
    phones = state.invitation_phones.with_phone(event.delegate_id, event.device_id)
    return msgspec.structs.replace(state, invitation_phones=phones)


def apply_shown(event: BallotShown, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, ballot_on_screen=event.ballot_id)


DECIDERS: tuple[Callable[..., Decision], ...] = (
    decide_rules,
    decide_cards,
    decide_open,
    decide_close,
    decide_vote,
    decide_paper,
    decide_show,
)
APPLIERS: tuple[Callable[..., MeetingState], ...] = (
    apply_rules,
    apply_cards,
    apply_opened,
    apply_closed,
    apply_vote,
    apply_claimed,
    apply_paper,
    apply_shown,
)
