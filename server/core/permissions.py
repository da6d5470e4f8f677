"""Who may send which command: one table, checked in one place before any rule of the meeting
is asked (P5). The rules (deciders) keep only what depends on the meeting's state."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from server.core import commands as c
from server.core.rules import FORBIDDEN, OTHER_SITE, Context, Rejected
from server.core.state import MeetingState

SitesOf = Callable[[Any, MeetingState], Iterable[str | None]]


@dataclass(frozen=True)
class May:
    """The roles that may send a command. With `sites`, a secretary acts only on their own site:
    `sites` names the sites the command touches (None: none named, or not known — the rule that
    looks it up answers "unknown" then)."""

    roles: frozenset[c.Role]
    sites: SitesOf | None = None


def _named_site(command: Any, _state: MeetingState) -> Iterable[str | None]:
    return (command.site_id,)


def _site_of_request(command: Any, state: MeetingState) -> Iterable[str | None]:
    request = state.floor.request(command.request_id)
    return (request.site_id if request else None,)


def _site_of_delegate(command: Any, state: MeetingState) -> Iterable[str | None]:
    delegate = state.delegate(command.delegate_id)
    return (delegate.record.site_id if delegate else None,)


def _site_of_draft(command: c.AddQuestion, _state: MeetingState) -> Iterable[str | None]:
    return (command.question.site_id,)  # None: the secretary's own (the rule fills it in)


def _sites_of_edit(command: c.EditQuestion, state: MeetingState) -> Iterable[str | None]:
    question = state.question(command.question_id)
    if question is None:
        return ()
    # A question of no site (the main hall's) is not any secretary's.
    return (question.site_id or "", command.question.site_id)


ORGANISER = frozenset[c.Role]({"organiser"})
HOST = frozenset[c.Role]({"host"})
HOST_AND_DESK = frozenset[c.Role]({"host", "desk"})
SITE_STAFF = frozenset[c.Role]({"host", "secretary"})
DELEGATE = frozenset[c.Role]({"delegate"})

PERMISSIONS: dict[type, May] = {
    # the meeting and its agenda
    c.CreateMeeting: May(ORGANISER),
    c.SetPapersHeading: May(HOST),
    c.SetOrganiserUnit: May(ORGANISER),
    c.ArchiveMeeting: May(ORGANISER),
    c.RestoreMeeting: May(ORGANISER),
    c.AddAgendaItem: May(HOST),
    c.RenameAgendaItem: May(HOST),
    c.RemoveAgendaItem: May(HOST),
    c.MoveAgendaItem: May(HOST),
    c.SetCurrentAgendaItem: May(HOST),
    c.SetJoinShown: May(HOST),
    c.SetSiteReady: May(SITE_STAFF, _named_site),
    c.SetAttendance: May(SITE_STAFF, _named_site),
    # the floor
    c.RegisterSpeaker: May(SITE_STAFF, _named_site),
    c.RequestToSpeak: May(DELEGATE),
    c.ConfirmRequest: May(SITE_STAFF, _site_of_request),
    c.DeclineRequest: May(SITE_STAFF, _site_of_request),
    c.WithdrawRequest: May(SITE_STAFF | DELEGATE, _site_of_request),  # a phone: its own only
    c.MoveInQueue: May(HOST),
    c.PinToTop: May(HOST),
    c.GiveFloorToSite: May(HOST),
    c.RestoreFairOrder: May(HOST),
    c.CallSpeaker: May(HOST),
    c.EndSpeech: May(HOST),
    c.SkipSpeaker: May(HOST),
    c.AddSpeakingTime: May(HOST),
    c.PauseSpeech: May(HOST),
    c.ResumeSpeech: May(HOST),
    c.SetSpeakingTime: May(HOST),
    c.RecordOpinion: May(SITE_STAFF, _site_of_request),
    # questions
    c.ImportQuestions: May(frozenset({"host", "organiser"})),
    c.AddQuestion: May(HOST_AND_DESK | {"secretary"}, _site_of_draft),
    c.EditQuestion: May(HOST_AND_DESK | {"secretary"}, _sites_of_edit),
    c.SubmitQuestion: May(DELEGATE),
    c.ModerateQuestion: May(HOST_AND_DESK),
    c.MergeQuestions: May(HOST_AND_DESK),
    c.SupportQuestion: May(DELEGATE),
    c.ShowQuestion: May(HOST_AND_DESK),
    c.SetAnswerer: May(HOST_AND_DESK),
    c.EditAnswer: May(HOST_AND_DESK),
    c.DecideQuestion: May(HOST_AND_DESK),
    c.SetPriorOutcome: May(HOST_AND_DESK),
    c.RecordWrittenAnswer: May(HOST),
    # delegates: the list is the organiser's and the host's; the door is each site's
    c.InviteDelegates: May(frozenset({"organiser", "host"})),
    c.EditDelegate: May(frozenset({"organiser", "host"})),
    c.UninviteDelegate: May(frozenset({"organiser", "host"})),
    c.SetComposition: May(frozenset({"organiser", "host"})),
    c.CheckInDelegate: May(SITE_STAFF, _site_of_delegate),
    c.MarkDelegateAbsent: May(SITE_STAFF, _site_of_delegate),
    c.ReleaseInvitation: May(SITE_STAFF, _site_of_delegate),
    c.SetWalkIns: May(SITE_STAFF, _named_site),
    # votes
    c.SetVotingRules: May(HOST),
    c.IssueBallotCards: May(HOST),
    c.OpenBallot: May(HOST),
    c.CloseBallot: May(HOST),
    c.CastVote: May(DELEGATE),
    c.SetPaperCount: May(SITE_STAFF, _named_site),
    c.ShowBallot: May(HOST),
}

# The questions desk runs the questions with the host's hand: its rows above are all it may do,
# and the rules then see the host. The video mixer's overlay is in no row: it may do nothing.
ACTS_AS: dict[c.Role, c.Role] = {"desk": "host"}


def permitted(command: object, state: MeetingState, ctx: Context) -> Context | Rejected:
    """The context the command's rule is asked in, or why this sender may not send it."""
    actor = ctx.actor
    may = PERMISSIONS.get(type(command))
    if may is None or actor.role not in may.roles:
        return FORBIDDEN
    if actor.role == "delegate" and (actor.device_id is None or actor.site_id is None):
        return FORBIDDEN  # a phone is always of a site and a device (the shell makes it so)
    if actor.role == "secretary" and may.sites is not None:
        touched = [site for site in may.sites(command, state) if site is not None]
        if any(site != actor.site_id for site in touched):
            return OTHER_SITE
    acting = ACTS_AS.get(actor.role)
    if acting is None:
        return ctx
    return msgspec.structs.replace(ctx, actor=c.Actor(role=acting))


def who_may(command: type) -> str:
    """The "who" of docs/protocol.md's permission table."""
    may = PERMISSIONS[command]
    names = {
        "organiser": "organiser",
        "host": "host",
        "desk": "questions desk",
        "secretary": "site secretary (own site)" if may.sites else "site secretary",
        "delegate": "delegate (phone)",
    }
    return ", ".join(names[role] for role in names if role in may.roles)
