"""Events: what happened to a meeting, in the past tense. The log stores exactly these."""

from __future__ import annotations

from typing import Literal

import msgspec

Level = Literal["ward", "district", "city", "central"]
Body = Literal["party", "council", "committee", "other"]
RequestSource = Literal["secretary", "delegate"]

# Common fields of a dialogue conference (domain.md); a meeting may bring its own list.
DEFAULT_FIELDS = (
    "Kinh tế - xã hội",
    "Đất đai, tài nguyên môi trường",
    "Trật tự xây dựng, trật tự đô thị",
    "An toàn thực phẩm",
    "Văn minh đô thị",
    "Cải cách hành chính",
    "Giáo dục",
    "Y tế",
    "An sinh xã hội",
    "Xây dựng Đảng",
    "Công tác cán bộ",
)
DEFAULT_SPEAKING_SECONDS = 180


class SiteInfo(msgspec.Struct, frozen=True):
    site_id: str
    name: str
    is_main_hall: bool = False


class AgendaEntry(msgspec.Struct, frozen=True):
    item_id: str
    title: str


class _Event(msgspec.Struct, frozen=True, tag_field="type"):
    """Base of every event; the tag is the class name."""


# Who issues a meeting's papers: a Party committee (the Party's own heading, Hướng dẫn
# 36-HD/VPTW), the People's Council or Committee, or the Fatherland Front (Decree 30/2020).
IssuerKind = Literal["party", "council", "committee", "front"]


class PapersHeading(msgspec.Struct, frozen=True):
    """The heading of the meeting's papers: the issuing body over its superior, and the place
    name before the date ("Tân Định, ngày 02 tháng 12 năm 2026")."""

    kind: IssuerKind
    issuer: str  # "ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH"
    superior: str = ""  # "ĐẢNG BỘ QUẬN 1", "UBND QUẬN 1"; "" where the layout has none
    place: str = ""


class PapersHeadingSet(_Event, frozen=True, tag=True):
    heading: PapersHeading


class OrganiserUnitSet(_Event, frozen=True, tag=True):
    """Which unit organised the meeting, as its name is written ("phường Tân Định", "Quận 1"),
    and the unit directly above it ("Quận 1", "Thành phố Hồ Chí Minh"); "" where not recorded.
    The year's figures are read by these: one ward, or a district over its wards."""

    unit: str
    superior: str = ""


class MeetingArchived(_Event, frozen=True, tag=True):
    """A draft put away by the organiser: off the organiser's list, in no figure, no links."""

    at: float


class MeetingRestored(_Event, frozen=True, tag=True):
    at: float


class MeetingCreated(_Event, frozen=True, tag=True):
    meeting_id: str
    title: str
    date: str
    level: Level
    chair: str
    sites: tuple[SiteInfo, ...]
    agenda: tuple[AgendaEntry, ...]
    at: float
    fields: tuple[str, ...] = DEFAULT_FIELDS
    speaking_seconds: int = DEFAULT_SPEAKING_SECONDS


class AgendaItemAdded(_Event, frozen=True, tag=True):
    item_id: str
    title: str
    position: int


class AgendaItemRenamed(_Event, frozen=True, tag=True):
    item_id: str
    title: str


class AgendaItemRemoved(_Event, frozen=True, tag=True):
    item_id: str


class AgendaItemMoved(_Event, frozen=True, tag=True):
    item_id: str
    position: int


class JoinShownSet(_Event, frozen=True, tag=True):
    shown: bool


class CurrentAgendaItemSet(_Event, frozen=True, tag=True):
    item_id: str | None
    at: float


class SiteReadySet(_Event, frozen=True, tag=True):
    site_id: str
    ready: bool
    at: float


class AttendanceSet(_Event, frozen=True, tag=True):
    site_id: str
    attendance: int
    at: float


class SpeakRequested(_Event, frozen=True, tag=True):
    request_id: str
    site_id: str
    name: str
    group: str
    field: str
    topic: str
    source: RequestSource
    device_id: str | None
    at: float


class SpeakerQueued(_Event, frozen=True, tag=True):
    """Confirmed: the request joins the merged queue, at its fair place unless the host ordered."""

    request_id: str
    at: float


class SpeakRequestDeclined(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class SpeakRequestWithdrawn(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class QueueReordered(_Event, frozen=True, tag=True):
    """The host took the order in hand: from now on it is exactly this, new entries at the end."""

    order: tuple[str, ...]


class SpeakerPinned(_Event, frozen=True, tag=True):
    request_id: str


class FairOrderRestored(_Event, frozen=True, tag=True):
    pass


class SpeakerCalled(_Event, frozen=True, tag=True):
    request_id: str
    at: float
    seconds: int


class SpeechEnded(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class SpeakerSkipped(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class SpeakingTimeAdded(_Event, frozen=True, tag=True):
    request_id: str
    seconds: int


class SpeechPaused(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class SpeechResumed(_Event, frozen=True, tag=True):
    request_id: str
    at: float


class SpeakingTimeSet(_Event, frozen=True, tag=True):
    seconds: int


class OpinionRecorded(_Event, frozen=True, tag=True):
    opinion_id: str
    request_id: str
    site_id: str
    text: str
    field: str
    body: Body
    at: float


QuestionSource = Literal["intake", "manual", "phone", "turn"]
ChairDecision = Literal["on_the_spot", "written", "forwarded", "not_taken_up"]
# What became of a question: the chair's decision, or the written answer the competent body gave
# before the meeting (the Front collects opinions beforehand and most are answered so).
Outcome = Literal["on_the_spot", "written", "forwarded", "not_taken_up", "answered_before"]


class PriorOutcome(msgspec.Struct, frozen=True):
    """An opinion collected beforehand, settled before the meeting: answered in writing (agency,
    the document's number, its date, its text), or forwarded to a higher level to answer by a
    deadline (then followed up like a written answer promised at the meeting)."""

    kind: Literal["answered", "forwarded"]
    agency: str = ""
    reference: str = ""  # e.g. "Công văn số 123/UBND-QLĐT"
    on: str = ""  # ISO date of the answer, or of the forwarding
    text: str = ""
    forwarded_to: Level | None = None
    deadline: str = ""


class QuestionRecord(msgspec.Struct, frozen=True):
    question_id: str
    text: str
    asker: str
    group: str
    site_id: str | None
    field: str
    body: Body
    level: Level
    prepared_answer: str
    source: QuestionSource
    prior: PriorOutcome | None = None  # settled before the meeting (logs before it: None)


class QuestionsImported(_Event, frozen=True, tag=True):
    questions: tuple[QuestionRecord, ...]
    at: float


class QuestionAdded(_Event, frozen=True, tag=True):
    question: QuestionRecord
    at: float


class QuestionEdited(_Event, frozen=True, tag=True):
    question: QuestionRecord


class QuestionSubmitted(_Event, frozen=True, tag=True):
    """From a phone: waits for moderation. The device is kept for the rate limit, never shown."""

    question: QuestionRecord
    device_id: str
    at: float


class QuestionModerated(_Event, frozen=True, tag=True):
    question_id: str
    approved: bool


class QuestionsMerged(_Event, frozen=True, tag=True):
    into_id: str
    merged_ids: tuple[str, ...]


class QuestionSupported(_Event, frozen=True, tag=True):
    question_id: str
    device_id: str
    site_id: str = ""  # where the phone joined, and when: each site's supports are budgeted
    at: float = 0.0  # (logs written before these were kept read as long ago, nowhere)


class QuestionShown(_Event, frozen=True, tag=True):
    question_id: str | None
    at: float


class AnswererSet(_Event, frozen=True, tag=True):
    question_id: str
    name: str
    role: str


class AnswerEdited(_Event, frozen=True, tag=True):
    question_id: str
    keep: int
    tail: str


class PriorOutcomeSet(_Event, frozen=True, tag=True):
    """On the desk: what became of a collected opinion before the meeting; None leaves it to the
    meeting again."""

    question_id: str
    prior: PriorOutcome | None


class QuestionDecided(_Event, frozen=True, tag=True):
    question_id: str
    decision: ChairDecision
    agency: str
    deadline: str
    forwarded_to: Level | None
    reason: str
    at: float


Scale = Literal["three", "two"]
Choice = Literal["satisfied", "partly", "not_satisfied"]


class VotingRulesSet(_Event, frozen=True, tag=True):
    eligibility: Literal["device", "card", "invitation"]
    allow_change: bool


class BallotCardsIssued(_Event, frozen=True, tag=True):
    count: int


class BallotOpened(_Event, frozen=True, tag=True):
    ballot_id: str
    question_id: str | None
    scale: Scale
    show_live: bool
    at: float


class BallotClosed(_Event, frozen=True, tag=True):
    ballot_id: str
    at: float


class VoteCast(_Event, frozen=True, tag=True):
    """`voter` is a random device id or a card number: never a name, never shown anywhere."""

    ballot_id: str
    voter: str
    site_id: str
    choice: Choice


class InvitationClaimed(_Event, frozen=True, tag=True):
    """The first phone to vote with an invitation holds it: another phone showing the same
    invitation (a photo of it) is refused. `device_id` is the phone's random id, never a name."""

    delegate_id: str
    device_id: str


class InvitationReleased(_Event, frozen=True, tag=True):
    """The site's secretary frees an invitation from its phone (that phone was lost)."""

    delegate_id: str


class PaperCountSet(_Event, frozen=True, tag=True):
    ballot_id: str
    site_id: str
    satisfied: int
    partly: int
    not_satisfied: int


class BallotShown(_Event, frozen=True, tag=True):
    ballot_id: str | None


class WrittenAnswerRecorded(_Event, frozen=True, tag=True):
    question_id: str
    text: str
    answered_on: str


Gender = Literal["female", "male", ""]


class DelegateRecord(msgspec.Struct, frozen=True):
    """One invited delegate, as the list has them. The phone number never leaves the organiser's
    and secretaries' pages."""

    delegate_id: str
    name: str
    group: str  # the residential group that chose them
    site_id: str
    gender: Gender = ""
    birth_year: int | None = None
    position: str = ""
    phone: str = ""


class CompositionTarget(msgspec.Struct, frozen=True):
    """How many a site invites, and of whom: None is "no target set", never 0."""

    total: int | None = None
    women: int | None = None
    under_35: int | None = None
    by_group: tuple[tuple[str, int], ...] = ()


class DelegatesInvited(_Event, frozen=True, tag=True):
    delegates: tuple[DelegateRecord, ...]
    at: float


class DelegateEdited(_Event, frozen=True, tag=True):
    delegate: DelegateRecord


class DelegateUninvited(_Event, frozen=True, tag=True):
    delegate_id: str


class CompositionSet(_Event, frozen=True, tag=True):
    site_id: str
    target: CompositionTarget


class DelegateCheckedIn(_Event, frozen=True, tag=True):
    """At the door: by their invitation's code, or found by name."""

    delegate_id: str
    how: Literal["code", "name"]
    at: float


class DelegateMarkedAbsent(_Event, frozen=True, tag=True):
    delegate_id: str
    reason: str
    at: float


class WalkInsSet(_Event, frozen=True, tag=True):
    """People who came without an invitation, counted apart."""

    site_id: str
    count: int


class WrittenAnswerCorrected(_Event, frozen=True, tag=True):
    """A written answer recorded wrongly (its date, its text) is corrected; the state keeps the
    earlier record, so the follow-up shows the history."""

    question_id: str
    text: str
    answered_on: str
    at: float


Event = (
    MeetingCreated
    | AgendaItemAdded
    | AgendaItemRenamed
    | AgendaItemRemoved
    | AgendaItemMoved
    | CurrentAgendaItemSet
    | JoinShownSet
    | SiteReadySet
    | AttendanceSet
    | SpeakRequested
    | SpeakerQueued
    | SpeakRequestDeclined
    | SpeakRequestWithdrawn
    | QueueReordered
    | SpeakerPinned
    | FairOrderRestored
    | SpeakerCalled
    | SpeechEnded
    | SpeakerSkipped
    | SpeakingTimeAdded
    | SpeechPaused
    | SpeechResumed
    | SpeakingTimeSet
    | OpinionRecorded
    | QuestionsImported
    | QuestionAdded
    | QuestionEdited
    | QuestionSubmitted
    | QuestionModerated
    | QuestionsMerged
    | QuestionSupported
    | QuestionShown
    | AnswererSet
    | AnswerEdited
    | QuestionDecided
    | VotingRulesSet
    | BallotCardsIssued
    | BallotOpened
    | BallotClosed
    | VoteCast
    | InvitationClaimed
    | InvitationReleased
    | PaperCountSet
    | BallotShown
    | WrittenAnswerRecorded
    | WrittenAnswerCorrected
    | PriorOutcomeSet
    | DelegatesInvited
    | DelegateEdited
    | DelegateUninvited
    | CompositionSet
    | DelegateCheckedIn
    | DelegateMarkedAbsent
    | WalkInsSet
    | PapersHeadingSet
    | OrganiserUnitSet
    | MeetingArchived
    | MeetingRestored
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> Event:
    event: Event = _decoder.decode(data)
    return event
