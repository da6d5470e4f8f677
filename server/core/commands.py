"""Commands: what somebody asks of a meeting, in the imperative; decoded and size-capped."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec

from server.core.events import Body, ChairDecision, Gender, IssuerKind, Level

MAX_TITLE = 200
MAX_NAME = 120
MAX_SITES = 1000
MAX_AGENDA_ITEMS = 60
MAX_ATTENDANCE = 100_000

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Decode-time caps are loose (decomposed Vietnamese can take three code points a letter); the
# real limits are checked by decide after NFC.
Title = Annotated[str, msgspec.Meta(max_length=MAX_TITLE * 4)]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME * 4)]


class _Command(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=True):
    """Base of every command; the tag is a snake_case verb phrase."""


class CreateMeeting(_Command, frozen=True, tag="create_meeting"):
    title: Title
    date: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    level: Level
    chair: Name
    main_hall: Name
    sites: Annotated[list[Name], msgspec.Meta(max_length=MAX_SITES)]
    agenda: Annotated[list[Title], msgspec.Meta(max_length=MAX_AGENDA_ITEMS)] | None = None
    unit: Name = ""  # the organising unit ("phường Tân Định"), as SetOrganiserUnit sets it
    superior: Name = ""

    def __post_init__(self) -> None:
        # The pattern lets 2017-02-30 through, and every date worked out from the meeting's (the
        # written answers' deadline) would then fail. The path tells the API which field it was.
        try:
            datetime.date.fromisoformat(self.date)
        except ValueError:
            raise ValueError(f"Invalid date {self.date!r}: no such day - at `$.date`") from None


class SetPapersHeading(_Command, frozen=True, tag="set_papers_heading"):
    """Who issues the meeting's papers (minutes, notice, invitations) and the place name of their
    date line."""

    kind: IssuerKind
    issuer: Name
    superior: Name = ""
    place: Name = ""


class SetOrganiserUnit(_Command, frozen=True, tag="set_organiser_unit"):
    """Which unit organises the meeting and the unit above it; both empty: not recorded."""

    unit: Name
    superior: Name = ""


class ArchiveMeeting(_Command, frozen=True, tag="archive_meeting"):
    """Put a draft (a meeting never opened) away; a meeting held stays where it is."""


class RestoreMeeting(_Command, frozen=True, tag="restore_meeting"):
    """Bring an archived draft back to the organiser's list."""


class AddAgendaItem(_Command, frozen=True, tag="add_agenda_item"):
    title: Title
    position: int | None = None


class RenameAgendaItem(_Command, frozen=True, tag="rename_agenda_item"):
    item_id: Id
    title: Title


class RemoveAgendaItem(_Command, frozen=True, tag="remove_agenda_item"):
    item_id: Id


class MoveAgendaItem(_Command, frozen=True, tag="move_agenda_item"):
    item_id: Id
    position: int


class SetCurrentAgendaItem(_Command, frozen=True, tag="set_current_agenda_item"):
    """Names the item to show, not a direction: a stale double click cannot skip an item."""

    item_id: Id | None


class SetJoinShown(_Command, frozen=True, tag="set_join_shown"):
    """Whether every display shows its site's join QR code (the host may take it off)."""

    shown: bool


class SetSiteReady(_Command, frozen=True, tag="set_site_ready"):
    site_id: Id
    ready: bool


class SetAttendance(_Command, frozen=True, tag="set_attendance"):
    site_id: Id
    attendance: int


MAX_TOPIC = 300
MAX_OPINION = 5000
MIN_SPEAKING_SECONDS = 30
MAX_SPEAKING_SECONDS = 30 * 60
Topic = Annotated[str, msgspec.Meta(max_length=MAX_TOPIC * 4)]
OpinionText = Annotated[str, msgspec.Meta(max_length=MAX_OPINION * 4)]


class RegisterSpeaker(_Command, frozen=True, tag="register_speaker"):
    """A site secretary (or the host) puts a speaker of a site straight into the queue."""

    site_id: Id
    name: Name
    group: Name = ""
    field: Name = ""
    topic: Topic = ""


class RequestToSpeak(_Command, frozen=True, tag="request_to_speak"):
    """A delegate asks from the phone; the request waits for the site secretary. The phone names
    the request, so it can follow it in the shared view without a per-phone rendering."""

    request_id: Id
    name: Name
    group: Name = ""
    topic: Topic = ""


class ConfirmRequest(_Command, frozen=True, tag="confirm_request"):
    request_id: Id


class DeclineRequest(_Command, frozen=True, tag="decline_request"):
    request_id: Id


class WithdrawRequest(_Command, frozen=True, tag="withdraw_request"):
    request_id: Id


class MoveInQueue(_Command, frozen=True, tag="move_in_queue"):
    """Names the whole order it was made against: a move on a stale order is refused."""

    request_id: Id
    position: int
    expected_order: Annotated[list[Id], msgspec.Meta(max_length=5000)]


class PinToTop(_Command, frozen=True, tag="pin_to_top"):
    request_id: Id


class GiveFloorToSite(_Command, frozen=True, tag="give_floor_to_site"):
    site_id: Id


class RestoreFairOrder(_Command, frozen=True, tag="restore_fair_order"):
    pass


class CallSpeaker(_Command, frozen=True, tag="call_speaker"):
    """Calls the named speaker, or the first in the queue; whoever speaks now is finished."""

    request_id: Id | None = None
    expected_current: Id | None = None


class EndSpeech(_Command, frozen=True, tag="end_speech"):
    request_id: Id


class SkipSpeaker(_Command, frozen=True, tag="skip_speaker"):
    request_id: Id


class AddSpeakingTime(_Command, frozen=True, tag="add_speaking_time"):
    request_id: Id
    seconds: int = 60


class PauseSpeech(_Command, frozen=True, tag="pause_speech"):
    request_id: Id


class ResumeSpeech(_Command, frozen=True, tag="resume_speech"):
    request_id: Id


class SetSpeakingTime(_Command, frozen=True, tag="set_speaking_time"):
    seconds: int


class RecordOpinion(_Command, frozen=True, tag="record_opinion"):
    """An opinion a speaker raised in their turn; one turn may hold several."""

    request_id: Id
    text: OpinionText
    field: Name = ""
    body: Body = "committee"


MAX_QUESTION = 5000
MAX_ANSWER = 20_000
MAX_IMPORT = 5000
QuestionText = Annotated[str, msgspec.Meta(max_length=MAX_QUESTION * 4)]
DateOrNone = Annotated[str, msgspec.Meta(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


class PriorOutcomeDraft(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What became of a collected opinion before the meeting, as the desk or the import gives it:
    answered (a text or a document's number), or forwarded to a higher level."""

    kind: Literal["answered", "forwarded"]
    agency: Name = ""
    reference: Name = ""
    on: DateOrNone = ""
    text: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER * 4)] = ""
    forwarded_to: Level | None = None
    deadline: DateOrNone = ""


class QuestionDraft(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question as entered or imported, before it has an id."""

    text: QuestionText
    asker: Name = ""
    group: Name = ""
    site_id: Id | None = None
    field: Name = ""
    body: Body = "committee"
    level: Level = "ward"
    prepared_answer: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER)] = ""
    prior: PriorOutcomeDraft | None = None


class ImportQuestions(_Command, frozen=True, tag="import_questions"):
    """Questions collected before the meeting, all or nothing."""

    questions: Annotated[list[QuestionDraft], msgspec.Meta(max_length=MAX_IMPORT)]


class AddQuestion(_Command, frozen=True, tag="add_question"):
    question: QuestionDraft


class EditQuestion(_Command, frozen=True, tag="edit_question"):
    question_id: Id
    question: QuestionDraft


class SubmitQuestion(_Command, frozen=True, tag="submit_question"):
    """A written question from a phone; it waits for moderation. The phone names it."""

    question_id: Id
    text: QuestionText
    asker: Name = ""
    group: Name = ""


class ModerateQuestion(_Command, frozen=True, tag="moderate_question"):
    question_id: Id
    approve: bool


class MergeQuestions(_Command, frozen=True, tag="merge_questions"):
    """Folds `merged_ids` into `into_id`; every asker is kept."""

    into_id: Id
    merged_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]


class SupportQuestion(_Command, frozen=True, tag="support_question"):
    question_id: Id


class ShowQuestion(_Command, frozen=True, tag="show_question"):
    question_id: Id | None


class SetAnswerer(_Command, frozen=True, tag="set_answerer"):
    question_id: Id
    name: Name
    role: Name = ""


class EditAnswer(_Command, frozen=True, tag="edit_answer"):
    """The live answer as it is typed: keep `keep` characters of the text the sender last saw
    (`base_length` long) and append `tail`. A stale base is refused, so two typists cannot
    silently garble each other."""

    question_id: Id
    base_length: int
    keep: int
    tail: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER)]


class DecideQuestion(_Command, frozen=True, tag="decide_question"):
    """The chair's decision: answered on the spot, written answer later (agency and deadline),
    forwarded to the competent level, or not taken up (with a reason)."""

    question_id: Id
    decision: ChairDecision
    agency: Name = ""
    deadline: Annotated[str, msgspec.Meta(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = ""
    forwarded_to: Level | None = None
    reason: Topic = ""


MAX_DELEGATES = 20_000  # a meeting's whole list (one real meeting: 579 sites, ~15,000 people)
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_ATTENDANCE)]


class DelegateDraft(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One delegate as the list or the organiser's page gives them, before they have an id."""

    name: Name
    site_id: Id
    group: Name = ""
    gender: Gender = ""
    birth_year: int | None = None
    position: Name = ""
    phone: Phone = ""


class CompositionDraft(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    total: Count | None = None
    women: Count | None = None
    under_35: Count | None = None
    by_group: Annotated[list[tuple[Name, Count]], msgspec.Meta(max_length=200)] = []


class InviteDelegates(_Command, frozen=True, tag="invite_delegates"):
    """Delegates added to the list (the import, or one from the organiser's page), all or none."""

    delegates: Annotated[list[DelegateDraft], msgspec.Meta(max_length=MAX_DELEGATES)]


class EditDelegate(_Command, frozen=True, tag="edit_delegate"):
    delegate_id: Id
    delegate: DelegateDraft


class UninviteDelegate(_Command, frozen=True, tag="uninvite_delegate"):
    delegate_id: Id


class SetComposition(_Command, frozen=True, tag="set_composition"):
    """A site's targets: how many delegates, how many women, under 35, from each group."""

    site_id: Id
    target: CompositionDraft


class CheckInDelegate(_Command, frozen=True, tag="check_in_delegate"):
    delegate_id: Id
    how: Literal["code", "name"] = "code"


class MarkDelegateAbsent(_Command, frozen=True, tag="mark_delegate_absent"):
    delegate_id: Id
    reason: Topic = ""


class ReleaseInvitation(_Command, frozen=True, tag="release_invitation"):
    """Frees an invitation from the phone that votes with it, for the delegate's new phone."""

    delegate_id: Id


class SetWalkIns(_Command, frozen=True, tag="set_walk_ins"):
    site_id: Id
    count: int


Scale = Literal["three", "two"]
Choice = Literal["satisfied", "partly", "not_satisfied"]
Eligibility = Literal["device", "card", "invitation"]
MAX_CARDS = 20_000


class SetVotingRules(_Command, frozen=True, tag="set_voting_rules"):
    """Who may vote (per joined phone, per printed seat card, or per invited delegate checked in
    at the door, by their invitation's QR) and whether a vote may change."""

    eligibility: Eligibility = "device"
    allow_change: bool = True


class IssueBallotCards(_Command, frozen=True, tag="issue_ballot_cards"):
    """Prints `count` more seat cards; their codes are derived by the server, never logged."""

    count: int


class OpenBallot(_Command, frozen=True, tag="open_ballot"):
    """A satisfaction ballot on an answered question, or on the meeting as a whole."""

    question_id: Id | None = None
    scale: Scale = "three"
    show_live: bool = True


class CloseBallot(_Command, frozen=True, tag="close_ballot"):
    ballot_id: Id


class CastVote(_Command, frozen=True, tag="cast_vote"):
    ballot_id: Id
    choice: Choice


class SetPaperCount(_Command, frozen=True, tag="set_paper_count"):
    """A site's paper ballots for one ballot; a new count replaces the site's previous one."""

    ballot_id: Id
    site_id: Id
    satisfied: int = 0
    partly: int = 0
    not_satisfied: int = 0


class ShowBallot(_Command, frozen=True, tag="show_ballot"):
    """Puts a ballot (its results, or its progress while hidden) on every display, or none."""

    ballot_id: Id | None


class SetPriorOutcome(_Command, frozen=True, tag="set_prior_outcome"):
    """The desk records what became of a collected opinion before the meeting (None: left to the
    meeting). A question the chair decided at the meeting keeps that decision."""

    question_id: Id
    prior: PriorOutcomeDraft | None


class RecordWrittenAnswer(_Command, frozen=True, tag="record_written_answer"):
    """The written answer promised at the meeting (or by the level it was forwarded to) is sent;
    recorded again, it corrects the earlier record (which is kept)."""

    question_id: Id
    text: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER * 4)]
    answered_on: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


Command = (
    CreateMeeting
    | AddAgendaItem
    | RenameAgendaItem
    | RemoveAgendaItem
    | MoveAgendaItem
    | SetCurrentAgendaItem
    | SetJoinShown
    | SetSiteReady
    | SetAttendance
    | RegisterSpeaker
    | RequestToSpeak
    | ConfirmRequest
    | DeclineRequest
    | WithdrawRequest
    | MoveInQueue
    | PinToTop
    | GiveFloorToSite
    | RestoreFairOrder
    | CallSpeaker
    | EndSpeech
    | SkipSpeaker
    | AddSpeakingTime
    | PauseSpeech
    | ResumeSpeech
    | SetSpeakingTime
    | RecordOpinion
    | ImportQuestions
    | AddQuestion
    | EditQuestion
    | SubmitQuestion
    | ModerateQuestion
    | MergeQuestions
    | SupportQuestion
    | ShowQuestion
    | SetAnswerer
    | EditAnswer
    | DecideQuestion
    | SetVotingRules
    | IssueBallotCards
    | OpenBallot
    | CloseBallot
    | CastVote
    | SetPaperCount
    | ShowBallot
    | RecordWrittenAnswer
    | SetPriorOutcome
    | InviteDelegates
    | EditDelegate
    | UninviteDelegate
    | SetComposition
    | CheckInDelegate
    | MarkDelegateAbsent
    | SetWalkIns
    | ReleaseInvitation
    | SetPapersHeading
    | SetOrganiserUnit
    | ArchiveMeeting
    | RestoreMeeting
)

Role = Literal["organiser", "host", "desk", "secretary", "display", "overlay", "delegate"]


class Actor(msgspec.Struct, frozen=True):
    """Who sends a command. Made by the shell from a checked secret, never from a message."""

    role: Role
    site_id: str | None = None
    device_id: str | None = None
    card: int | None = None  # a delegate holding a printed seat card: its number
    delegate_id: str | None = None  # a delegate whose invitation's QR this phone scanned
