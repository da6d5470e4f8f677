"""The state of one meeting: the fold of its log. Frozen Structs and tuples only."""

from __future__ import annotations

import zlib
from typing import Literal

import msgspec

from server.core.events import (
    DEFAULT_FIELDS,
    DEFAULT_SPEAKING_SECONDS,
    AgendaEntry,
    Body,
    CompositionTarget,
    DelegateRecord,
    Level,
    Outcome,
    PapersHeading,
    PriorOutcome,
    QuestionSource,
)

RequestStatus = Literal[
    "pending", "queued", "speaking", "finished", "skipped", "withdrawn", "declined"
]
ACTIVE_STATUSES = ("pending", "queued", "speaking")


class Site(msgspec.Struct, frozen=True):
    site_id: str
    name: str
    is_main_hall: bool
    ready: bool = False
    attendance: int | None = None
    checked_in_at: float | None = None


class MeetingInfo(msgspec.Struct, frozen=True):
    meeting_id: str
    title: str
    date: str
    level: Level
    chair: str
    created_at: float
    heading: PapersHeading | None = None  # None: the papers carry the national heading only
    unit: str = ""  # the organising unit ("phường Tân Định"); "": not recorded
    superior: str = ""  # the unit above it ("Quận 1")
    archived: bool = False  # a draft put away: on no list, in no figure


class SpeakerRequest(msgspec.Struct, frozen=True):
    """One request to speak, from registration to its end; it stays in the record when it leaves."""

    request_id: str
    site_id: str
    name: str
    group: str
    field: str
    topic: str
    source: Literal["secretary", "delegate"]
    device_id: str | None
    requested_at: float
    status: RequestStatus = "pending"
    queued_order: int = 0
    called_at: float | None = None
    ended_at: float | None = None
    seconds: int = 0
    paused_at: float | None = None
    paused_total: float = 0.0

    @property
    def deadline(self) -> float | None:
        """When the allotted time runs out (server clock) while it runs; None if paused or off."""
        if self.called_at is None or self.paused_at is not None or self.status != "speaking":
            return None
        return self.called_at + self.seconds + self.paused_total

    @property
    def paused_remaining(self) -> float | None:
        if self.called_at is None or self.paused_at is None:
            return None
        return self.called_at + self.seconds + self.paused_total - self.paused_at

    def spoken_seconds(self, now: float | None = None) -> float:
        if self.called_at is None:
            return 0.0
        end = self.ended_at or self.paused_at or now or self.called_at
        return max(0.0, end - self.called_at - self.paused_total)


class Asker(msgspec.Struct, frozen=True):
    name: str
    group: str
    site_id: str | None


class Question(msgspec.Struct, frozen=True):
    """A question (opinion, recommendation) from intake, a turn, a phone or a secretary, carried to
    its end: on screen, answered, and the chair's decision. Merged questions keep every asker."""

    question_id: str
    text: str
    askers: tuple[Asker, ...]  # its own asker first (if `own_asker`), then those merged into it
    site_id: str | None
    field: str
    body: Body
    level: Level
    source: QuestionSource
    prepared_answer: str
    at: float
    request_id: str | None = None
    device_id: str | None = None
    own_asker: bool = False
    moderation: Literal["pending", "approved", "rejected"] = "approved"
    merged_into: str | None = None
    supporters: tuple[str, ...] = ()
    supported_at: tuple[tuple[str, float], ...] = ()  # (site_id, at) of every support
    answerer_name: str = ""
    answerer_role: str = ""
    answer: str = ""
    decision: Outcome | None = None
    prior: PriorOutcome | None = None  # settled before the meeting, not by the chair
    agency: str = ""
    deadline: str = ""
    forwarded_to: Level | None = None
    reason: str = ""
    shown_at: float | None = None
    written_answer: str = ""
    answered_on: str = ""
    earlier_answers: tuple[tuple[str, str], ...] = ()  # (text, answered_on) before corrections

    def follow_up(self, today: str) -> str | None:
        """For a promised answer: "answered", "overdue" (past its deadline) or "pending"."""
        if self.decision not in ("written", "forwarded") or not self.open:
            return None
        if self.answered_on:
            return "answered"
        return "overdue" if self.deadline and self.deadline < today else "pending"

    @property
    def decided_before(self) -> bool:
        return self.prior is not None

    @property
    def open(self) -> bool:
        """Approved, not merged away: a question the meeting still deals with."""
        return self.moderation == "approved" and self.merged_into is None

    @property
    def status(self) -> str:
        if self.moderation != "approved":
            return self.moderation
        if self.merged_into is not None:
            return "merged"
        if self.decision == "forwarded" and self.decided_before:
            return "forwarded_before"
        return self.decision or "undecided"


class Floor(msgspec.Struct, frozen=True):
    """Who asked, who speaks, and the merged queue. `queue` is derived in fair mode (the round-robin
    over sites) and kept as the host set it in manual mode; pinned entries always come first."""

    requests: tuple[SpeakerRequest, ...] = ()
    queue: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    manual: bool = False
    rotation: tuple[str, ...] = ()
    last_called_site: str | None = None
    current: str | None = None
    queued_count: int = 0

    def request(self, request_id: str) -> SpeakerRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)

    @property
    def speaker(self) -> SpeakerRequest | None:
        return self.request(self.current) if self.current else None


CHOICES = ("satisfied", "partly", "not_satisfied")
VOTE_SHARDS = 64
Counts = tuple[int, int, int]


def _shard(voter: str) -> int:
    # A stable hash: replaying the log in another process must build the same shards.
    return zlib.crc32(voter.encode()) % VOTE_SHARDS


class VoteBook(msgspec.Struct, frozen=True):
    """Who voted what, never shown to anyone: only counts leave it. Kept in shards so a vote
    copies one small dict instead of all 15,000 votes (each shard is replaced, never changed)."""

    shards: tuple[dict[str, tuple[str, str]], ...] = ()  # voter -> (choice, site_id)

    def get(self, voter: str) -> tuple[str, str] | None:
        return self.shards[_shard(voter)].get(voter) if self.shards else None

    def with_vote(self, voter: str, choice: str, site_id: str) -> VoteBook:
        shards = list(self.shards or ({} for _ in range(VOTE_SHARDS)))
        index = _shard(voter)
        shards[index] = {**shards[index], voter: (choice, site_id)}
        return VoteBook(tuple(shards))

    def __len__(self) -> int:
        return sum(len(shard) for shard in self.shards)

    def choices(self) -> list[tuple[str, str]]:
        """(choice, site_id) of every vote, in no particular order: enough for any count."""
        return [vote for shard in self.shards for vote in shard.values()]


class PhoneBook(msgspec.Struct, frozen=True):
    """Which phone votes with each invitation, sharded as the VoteBook is: in a burst of first
    votes each copies one small dict, not the whole book."""

    shards: tuple[dict[str, str], ...] = ()  # delegate_id -> device_id

    def get(self, delegate_id: str) -> str | None:
        return self.shards[_shard(delegate_id)].get(delegate_id) if self.shards else None

    def with_phone(self, delegate_id: str, device_id: str | None) -> PhoneBook:
        """The book with `delegate_id` held by `device_id`, or freed when that is None."""
        shards = list(self.shards or ({} for _ in range(VOTE_SHARDS)))
        index = _shard(delegate_id)
        shard = {**shards[index], delegate_id: device_id or ""}
        if device_id is None:
            del shard[delegate_id]
        shards[index] = shard
        return PhoneBook(tuple(shards))


class Ballot(msgspec.Struct, frozen=True):
    ballot_id: str
    question_id: str | None
    scale: Literal["three", "two"]
    show_live: bool
    opened_at: float
    closed_at: float | None = None
    votes: VoteBook = VoteBook()
    phone_counts: Counts = (0, 0, 0)
    paper: tuple[tuple[str, Counts], ...] = ()  # per site, the latest count entered
    eligibility: Literal["device", "card", "invitation"] = "device"  # the rules it opened under

    @property
    def open(self) -> bool:
        return self.closed_at is None

    @property
    def results_public(self) -> bool:
        """Its counts may be shown anywhere: live by the host's choice, or once it closed."""
        return self.show_live or not self.open

    @property
    def received(self) -> int:
        """Votes in so far, phones and paper: all that is told of a ballot whose results wait."""
        return sum(self.phone_counts) + sum(self.paper_counts)

    @property
    def paper_counts(self) -> Counts:
        totals = [0, 0, 0]
        for _, counts in self.paper:
            for i, n in enumerate(counts):
                totals[i] += n
        return (totals[0], totals[1], totals[2])


class VotingRules(msgspec.Struct, frozen=True):
    eligibility: Literal["device", "card", "invitation"] = "device"
    allow_change: bool = True


class Delegate(msgspec.Struct, frozen=True):
    """An invited delegate and whether they came: checked in once (a second time changes
    nothing), or absent with a reason; "invited" until either."""

    record: DelegateRecord
    status: Literal["invited", "present", "absent"] = "invited"
    how: str = ""  # checked in by "code" (the invitation's QR) or "name"
    reason: str = ""  # why absent
    at: float | None = None

    @property
    def delegate_id(self) -> str:
        return self.record.delegate_id


class MeetingState(msgspec.Struct, frozen=True):
    info: MeetingInfo | None = None
    sites: tuple[Site, ...] = ()
    agenda: tuple[AgendaEntry, ...] = ()
    current_item_id: str | None = None
    fields: tuple[str, ...] = DEFAULT_FIELDS
    speaking_seconds: int = DEFAULT_SPEAKING_SECONDS
    floor: Floor = Floor()
    questions: tuple[Question, ...] = ()
    on_screen: str | None = None
    join_shown: bool = True  # every display shows its join QR code
    ballots: tuple[Ballot, ...] = ()
    ballot_on_screen: str | None = None
    voting: VotingRules = VotingRules()
    cards_issued: int = 0
    delegates: tuple[Delegate, ...] = ()
    composition: tuple[tuple[str, CompositionTarget], ...] = ()  # per site, the targets set
    walk_ins: tuple[tuple[str, int], ...] = ()  # per site, those who came uninvited
    invitation_phones: PhoneBook = PhoneBook()  # the phone each invitation votes from

    def delegate(self, delegate_id: str) -> Delegate | None:
        return next((d for d in self.delegates if d.delegate_id == delegate_id), None)

    def ballot(self, ballot_id: str) -> Ballot | None:
        return next((b for b in self.ballots if b.ballot_id == ballot_id), None)

    @property
    def open_ballot(self) -> Ballot | None:
        return next((b for b in reversed(self.ballots) if b.open), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.question_id == question_id), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.site_id == site_id), None)

    def agenda_index(self, item_id: str) -> int | None:
        return next((i for i, e in enumerate(self.agenda) if e.item_id == item_id), None)

    @property
    def current_item(self) -> AgendaEntry | None:
        index = self.agenda_index(self.current_item_id) if self.current_item_id else None
        return None if index is None else self.agenda[index]
