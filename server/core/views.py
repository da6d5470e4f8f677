"""What each kind of screen shows: plain data made from the state, rendered by the shell."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

import msgspec

from server.core.delegates import SiteAttendance, attendance_of, delegates_by_site
from server.core.events import AgendaEntry
from server.core.questions import written_deadline
from server.core.report import Attendance, attendance_over, largest_remainder, under_way
from server.core.state import (
    ACTIVE_STATUSES,
    CHOICES,
    Ballot,
    MeetingInfo,
    MeetingState,
    Question,
    Site,
    SpeakerRequest,
    VotingRules,
)
from server.core.textmatch import DUPLICATE_THRESHOLD, duplicate_pairs, fold

NEXT_UP_ON_DISPLAY = 3
PHONE_QUESTIONS_SHOWN = 30
MAX_DUPLICATES = 20
# Phones' questions waiting to be checked, oldest first, a page at a time: a flood of them
# costs the desk a page, not the flood; the next come up as these are approved or rejected.
MODERATION_PAGE = 20


class SitePresence(msgspec.Struct, frozen=True):
    """Who is connected at a site now, and how many phones its join link made since the server
    started (a link minting far more phones than the site has people is being abused); kept by
    the shell, never logged."""

    displays: int = 0
    consoles: int = 0
    delegates: int = 0
    last_seen: float | None = None
    joined: int = 0

    def __add__(self, other: SitePresence) -> SitePresence:
        """Two workers' sockets at one site: counts add up, the latest sighting wins."""
        seen = [t for t in (self.last_seen, other.last_seen) if t is not None]
        return SitePresence(
            self.displays + other.displays,
            self.consoles + other.consoles,
            self.delegates + other.delegates,
            max(seen) if seen else None,
            self.joined + other.joined,
        )


class AgendaRow(msgspec.Struct, frozen=True):
    item_id: str
    number: int
    title: str
    current: bool
    done: bool


class SiteRow(msgspec.Struct, frozen=True):
    site: Site
    presence: SitePresence
    online: bool
    turns: int = 0
    spoken_seconds: int = 0
    opinions: int = 0
    pending: int = 0
    queued: int = 0


class QueueRow(msgspec.Struct, frozen=True):
    position: int
    request: SpeakerRequest
    site_name: str
    pinned: bool = False


class SpeakerOnFloor(msgspec.Struct, frozen=True):
    request: SpeakerRequest
    site_name: str
    deadline: float | None
    paused_remaining: float | None


class Turn(msgspec.Struct, frozen=True):
    request: SpeakerRequest
    opinions: tuple[Question, ...]


class QuestionRow(msgspec.Struct, frozen=True):
    question: Question
    site_name: str
    askers: str
    support: int
    search: str  # the folded text the page filters on


class Tally(msgspec.Struct, frozen=True):
    """Counts only: satisfied, partly, not satisfied. Nothing here says who voted what."""

    counts: tuple[int, int, int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def share(self, index: int) -> int:
        """Whole percents that add up to 100 (largest remainder), so a screen never shows 101 %."""
        return largest_remainder(self.counts)[index]


class SiteTally(msgspec.Struct, frozen=True):
    site_name: str
    phones: Tally
    paper: Tally
    total: Tally


class BallotResult(msgspec.Struct, frozen=True):
    """A ballot as screens show it. While it is open with its results hidden it carries how many
    votes came in and no counts at all, so no template can show what it does not have."""

    ballot_id: str
    question_text: str | None
    body: str | None
    scale: str
    open: bool
    received: int
    by_device: bool  # one vote per joined phone, not per person (seat cards are that)
    phones: Tally | None = None
    paper: Tally | None = None
    total: Tally | None = None
    by_site: tuple[SiteTally, ...] = ()

    @property
    def show_numbers(self) -> bool:
        return self.total is not None


class DisplayView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    current: AgendaRow | None
    agenda_length: int
    speaker: SpeakerOnFloor | None = None
    next_up: tuple[QueueRow, ...] = ()
    question: QuestionRow | None = None
    ballot: BallotResult | None = None
    join_shown: bool = True


class HostView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    agenda: tuple[AgendaRow, ...]
    current: AgendaRow | None
    next_item: AgendaRow | None
    previous_item: AgendaRow | None
    sites: tuple[SiteRow, ...]
    sites_ready: int
    sites_online: int
    attendance: Attendance  # a part is never shown as the whole: see Attendance.total
    queue: tuple[QueueRow, ...] = ()
    queue_order: tuple[str, ...] = ()
    speaker: SpeakerOnFloor | None = None
    manual_order: bool = False
    speaking_seconds: int = 180
    pending_total: int = 0
    turns_total: int = 0
    opinions_total: int = 0
    open_ballot: BallotResult | None = None
    ballots: tuple[BallotResult, ...] = ()
    ballot_on_screen: str | None = None
    question_on_screen: str | None = None
    question: QuestionRow | None = None  # the one on screen, with the chair's decision
    join_shown: bool = True
    question_balloted: bool = False
    meeting_balloted: bool = False
    voting: VotingRules = VotingRules()
    cards_issued: int = 0
    devices_joined: int = 0  # phones made from every join link (each row has its site's)
    attendance_missing: tuple[str, ...] = ()  # the sites that have not entered it, by name
    under_way: bool = False  # the meeting has begun (report.under_way): now it is missed


class QuestionsView(msgspec.Struct, frozen=True):
    """The host's question desk: moderation, duplicates, the list, the one on screen."""

    info: MeetingInfo
    on_screen: QuestionRow | None
    moderation: tuple[QuestionRow, ...]  # the first MODERATION_PAGE of those waiting
    questions: tuple[QuestionRow, ...]
    duplicates: tuple[tuple[QuestionRow, QuestionRow, int], ...]
    fields: tuple[str, ...]
    sites: tuple[Site, ...]
    written_deadline: str
    moderation_waiting: int = 0  # all of those waiting


class PaperBallot(msgspec.Struct, frozen=True):
    """A ballot as a site's paper-count form shows it: no live tally, so votes don't redraw it."""

    ballot_id: str
    question_text: str | None
    scale: str
    open: bool
    counts: tuple[int, int, int]  # this site's paper ballots: satisfied, partly, not satisfied


class SecretaryView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    site: Site
    current: AgendaRow | None
    speaker: SpeakerOnFloor | None = None
    pending: tuple[SpeakerRequest, ...] = ()
    site_queue: tuple[QueueRow, ...] = ()
    queue_length: int = 0
    turns: tuple[Turn, ...] = ()
    fields: tuple[str, ...] = ()
    questions: tuple[QuestionRow, ...] = ()
    paper: tuple[PaperBallot, ...] = ()  # the latest ballots first
    attendance_due: bool = False  # under way and this site has not entered its attendance


class DoorRow(msgspec.Struct, frozen=True):
    delegate_id: str
    name: str
    group: str
    position: str
    status: str  # "invited", "present", "absent"
    reason: str
    search: str  # the folded text the page filters on
    phone_held: bool = False  # a phone votes with this invitation (the secretary may free it)


class DoorView(msgspec.Struct, frozen=True):
    """A site's door: its invited delegates (no phone numbers) and its attendance so far."""

    info: MeetingInfo
    site: Site
    rows: tuple[DoorRow, ...]
    attendance: SiteAttendance


class DelegateView(msgspec.Struct, frozen=True):
    """The same for every phone of the meeting, whatever its site, unless it asked to speak: the
    page around it names the site, so 15,000 phones cost one render."""

    info: MeetingInfo
    current: AgendaRow | None
    speaker: SpeakerOnFloor | None = None
    mine: SpeakerRequest | None = None
    my_position: int | None = None
    question: QuestionRow | None = None
    questions: tuple[QuestionRow, ...] = ()
    open_ballot: BallotResult | None = None
    ballot: BallotResult | None = None
    card_mode: bool = False
    invitation_mode: bool = False

    @property
    def can_request(self) -> bool:
        return self.mine is None or self.mine.status not in ACTIVE_STATUSES


def agenda_rows(state: MeetingState) -> tuple[AgendaRow, ...]:
    current = state.agenda_index(state.current_item_id) if state.current_item_id else None
    return tuple(_row(i, entry, current) for i, entry in enumerate(state.agenda))


def _row(index: int, entry: AgendaEntry, current: int | None) -> AgendaRow:
    return AgendaRow(
        item_id=entry.item_id,
        number=index + 1,
        title=entry.title,
        current=index == current,
        done=current is not None and index < current,
    )


def _current_row(state: MeetingState) -> AgendaRow | None:
    return next((row for row in agenda_rows(state) if row.current), None)


def _require_info(state: MeetingState) -> MeetingInfo:
    if state.info is None:
        raise LookupError("no meeting in this state")
    return state.info


def _site_name(state: MeetingState, site_id: str) -> str:
    site = state.site(site_id)
    return site.name if site else site_id


def _speaker(state: MeetingState) -> SpeakerOnFloor | None:
    request = state.floor.speaker
    if request is None:
        return None
    return SpeakerOnFloor(
        request, _site_name(state, request.site_id), request.deadline, request.paused_remaining
    )


def queue_rows(state: MeetingState) -> tuple[QueueRow, ...]:
    floor = state.floor
    requests = {r.request_id: r for r in floor.requests}
    pinned = set(floor.pinned)
    return tuple(
        QueueRow(i + 1, requests[rid], _site_name(state, requests[rid].site_id), rid in pinned)
        for i, rid in enumerate(floor.queue)
    )


def question_row(state: MeetingState, question: Question) -> QuestionRow:
    askers = ", ".join(
        " · ".join(
            part
            for part in (a.name, a.group, _site_name(state, a.site_id) if a.site_id else "")
            if part
        )
        for a in question.askers
    )
    site_name = _site_name(state, question.site_id) if question.site_id else ""
    return QuestionRow(
        question=question,
        site_name=site_name,
        askers=askers,
        support=len(question.supporters),
        search=fold(f"{question.text} {askers} {question.field}"),
    )


def _on_screen(state: MeetingState) -> QuestionRow | None:
    question = state.question(state.on_screen) if state.on_screen else None
    return question_row(state, question) if question else None


def _add(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def ballot_result(state: MeetingState, ballot: Ballot, *, by_site: bool = True) -> BallotResult:
    question = state.question(ballot.question_id) if ballot.question_id else None
    result = BallotResult(
        ballot_id=ballot.ballot_id,
        question_text=question.text if question else None,
        body=question.body if question else None,
        scale=ballot.scale,
        open=ballot.open,
        received=ballot.received,
        by_device=ballot.eligibility == "device",
    )
    if not ballot.results_public:
        return result
    return msgspec.structs.replace(
        result,
        phones=Tally(ballot.phone_counts),
        paper=Tally(ballot.paper_counts),
        total=Tally(_add(ballot.phone_counts, ballot.paper_counts)),
        by_site=_site_tallies(state, ballot) if by_site else (),
    )


# A closed ballot never changes (a paper count entered later makes a new Ballot), so its result
# is worked out once, not at every redraw of the host's console during the next 15,000 votes.
# Kept with what it was made from, compared by identity: the state's parts are never changed.
_CLOSED_RESULTS: dict[int, tuple[Ballot, object, tuple[Site, ...], BallotResult]] = {}
CLOSED_RESULTS_KEPT = 256


def _closed_result(state: MeetingState, ballot: Ballot) -> BallotResult:
    question = state.question(ballot.question_id) if ballot.question_id else None
    kept = _CLOSED_RESULTS.get(id(ballot))
    if kept is not None and kept[0] is ballot and kept[1] is question and kept[2] is state.sites:
        return kept[3]
    result = ballot_result(state, ballot)
    if len(_CLOSED_RESULTS) >= CLOSED_RESULTS_KEPT:
        _CLOSED_RESULTS.clear()
    _CLOSED_RESULTS[id(ballot)] = (ballot, question, state.sites, result)
    return result


def _site_tallies(state: MeetingState, ballot: Ballot) -> tuple[SiteTally, ...]:
    phones: dict[str, list[int]] = {}
    for choice, site_id in ballot.votes.choices():
        phones.setdefault(site_id, [0, 0, 0])[CHOICES.index(choice)] += 1
    paper = dict(ballot.paper)
    tallies = []
    for site in state.sites:
        if site.site_id not in phones and site.site_id not in paper:
            continue
        counted = phones.get(site.site_id, [0, 0, 0])
        on_phones = (counted[0], counted[1], counted[2])
        on_paper = paper.get(site.site_id, (0, 0, 0))
        tallies.append(
            SiteTally(
                site.name, Tally(on_phones), Tally(on_paper), Tally(_add(on_phones, on_paper))
            )
        )
    return tuple(tallies)


def _ballot_on_screen(state: MeetingState) -> BallotResult | None:
    ballot = state.ballot(state.ballot_on_screen) if state.ballot_on_screen else None
    return ballot_result(state, ballot, by_site=False) if ballot else None


def display_view(state: MeetingState) -> DisplayView:
    return DisplayView(
        info=_require_info(state),
        current=_current_row(state),
        agenda_length=len(state.agenda),
        speaker=_speaker(state),
        next_up=queue_rows(state)[:NEXT_UP_ON_DISPLAY],
        question=_on_screen(state),
        ballot=_ballot_on_screen(state),
        join_shown=state.join_shown,
    )


def questions_view(state: MeetingState) -> QuestionsView:
    open_rows = tuple(question_row(state, q) for q in state.questions if q.open)
    waiting = [q for q in state.questions if q.moderation == "pending"]
    by_id = {r.question.question_id: r for r in open_rows}
    undecided = tuple(
        (r.question.question_id, r.question.text) for r in open_rows if r.question.decision is None
    )
    duplicates = tuple(
        (by_id[a], by_id[b], round(score * 100))
        for a, b, score in _duplicates(undecided)[:MAX_DUPLICATES]
    )
    return QuestionsView(
        info=_require_info(state),
        on_screen=_on_screen(state),
        moderation=tuple(question_row(state, q) for q in waiting[:MODERATION_PAGE]),
        moderation_waiting=len(waiting),
        questions=open_rows,
        duplicates=duplicates,
        fields=state.fields,
        sites=state.sites,
        written_deadline=written_deadline(state),
    )


@lru_cache(maxsize=8)
def _duplicates(items: tuple[tuple[str, str], ...]) -> list[tuple[str, str, float]]:
    """Cached: the texts change far less often than the views are drawn."""
    return duplicate_pairs(items, DUPLICATE_THRESHOLD)


def host_view(state: MeetingState, presence: Mapping[str, SitePresence]) -> HostView:
    rows = agenda_rows(state)
    index = next((i for i, row in enumerate(rows) if row.current), None)
    sites = _site_rows(state, presence)
    floor = state.floor
    return HostView(
        info=_require_info(state),
        agenda=rows,
        current=rows[index] if index is not None else None,
        next_item=rows[index + 1]
        if index is not None and index + 1 < len(rows)
        else (rows[0] if index is None and rows else None),
        previous_item=rows[index - 1] if index else None,
        sites=sites,
        sites_ready=sum(site.ready for site in state.sites),
        sites_online=sum(row.online for row in sites),
        attendance=attendance_over(state),
        queue=queue_rows(state),
        queue_order=floor.queue,
        speaker=_speaker(state),
        manual_order=floor.manual,
        speaking_seconds=state.speaking_seconds,
        pending_total=sum(r.status == "pending" for r in floor.requests),
        turns_total=sum(row.turns for row in sites),
        opinions_total=sum(q.source == "turn" for q in state.questions),
        open_ballot=ballot_result(state, state.open_ballot) if state.open_ballot else None,
        ballots=tuple(_closed_result(state, b) for b in reversed(state.ballots) if not b.open),
        ballot_on_screen=state.ballot_on_screen,
        question_on_screen=state.on_screen,
        question=_on_screen(state),
        join_shown=state.join_shown,
        question_balloted=any(b.question_id == state.on_screen for b in state.ballots)
        if state.on_screen
        else False,
        meeting_balloted=any(b.question_id is None for b in state.ballots),
        voting=state.voting,
        cards_issued=state.cards_issued,
        devices_joined=sum(row.presence.joined for row in sites),
        attendance_missing=tuple(s.name for s in state.sites if s.attendance is None),
        under_way=under_way(state),
    )


def _site_rows(state: MeetingState, presence: Mapping[str, SitePresence]) -> tuple[SiteRow, ...]:
    """A row for each site, from one pass over the floor and the questions (600 sites and 5,000
    questions were 3 million comparisons a host render when each row went through them all)."""
    requests: dict[str, list[SpeakerRequest]] = {site.site_id: [] for site in state.sites}
    for r in state.floor.requests:
        if r.site_id in requests:
            requests[r.site_id].append(r)
    opinions = Counter(q.site_id for q in state.questions if q.source == "turn")
    return tuple(
        _site_row(
            site,
            presence.get(site.site_id, SitePresence()),
            requests[site.site_id],
            opinions[site.site_id],
        )
        for site in state.sites
    )


def _site_row(
    site: Site, presence: SitePresence, requests: list[SpeakerRequest], opinions: int
) -> SiteRow:
    turns = [r for r in requests if r.status in ("speaking", "finished")]
    return SiteRow(
        site=site,
        presence=presence,
        online=presence.displays + presence.consoles > 0,
        turns=len(turns),
        spoken_seconds=round(sum(r.spoken_seconds() for r in turns if r.status == "finished")),
        opinions=opinions,
        pending=sum(r.status == "pending" for r in requests),
        queued=sum(r.status == "queued" for r in requests),
    )


def _require_site(state: MeetingState, site_id: str) -> Site:
    site = state.site(site_id)
    if site is None:
        raise LookupError(site_id)
    return site


def secretary_view(state: MeetingState, site_id: str) -> SecretaryView:
    return _secretary_views(state, (_require_site(state, site_id),))[site_id]


def secretary_views(state: MeetingState) -> dict[str, SecretaryView]:
    """Every site's console, by site id, from one pass over the floor, the questions and the
    ballots: what all consoles show (the item, the speaker, the queue) is built once, not once for
    each of 600 sites."""
    return _secretary_views(state, state.sites)


def _secretary_views(state: MeetingState, sites: tuple[Site, ...]) -> dict[str, SecretaryView]:
    wanted = {site.site_id for site in sites}
    rows = queue_rows(state)
    asked: dict[str, list[Question]] = {}  # the questions of each turn, by request id
    questions: dict[str, list[QuestionRow]] = {site_id: [] for site_id in wanted}
    for q in state.questions:
        if q.request_id:
            asked.setdefault(q.request_id, []).append(q)
        if q.open and q.site_id in wanted:
            questions[q.site_id].append(question_row(state, q))
    turns: dict[str, list[Turn]] = {site_id: [] for site_id in wanted}
    pending: dict[str, list[SpeakerRequest]] = {site_id: [] for site_id in wanted}
    for r in reversed(state.floor.requests):  # the latest turn first
        if r.site_id not in wanted:
            continue
        if r.status in ("speaking", "finished"):
            turns[r.site_id].append(Turn(r, tuple(asked.get(r.request_id, ()))))
        elif r.status == "pending":
            pending[r.site_id].append(r)
    queued: dict[str, list[QueueRow]] = {site_id: [] for site_id in wanted}
    for row in rows:
        if row.request.site_id in wanted:
            queued[row.request.site_id].append(row)
    ballots = [(b, dict(b.paper), _ballot_question(state, b)) for b in reversed(state.ballots)]
    info, current, speaker = _require_info(state), _current_row(state), _speaker(state)
    begun = under_way(state)
    return {
        site.site_id: SecretaryView(
            info=info,
            site=site,
            current=current,
            speaker=speaker,
            pending=tuple(reversed(pending[site.site_id])),  # in the order they were made
            site_queue=tuple(queued[site.site_id]),
            queue_length=len(rows),
            turns=tuple(turns[site.site_id]),
            fields=state.fields,
            questions=tuple(questions[site.site_id]),
            paper=tuple(
                PaperBallot(
                    ballot_id=b.ballot_id,
                    question_text=text,
                    scale=b.scale,
                    open=b.open,
                    counts=paper.get(site.site_id, (0, 0, 0)),
                )
                for b, paper, text in ballots
            ),
            attendance_due=site.attendance is None and begun,
        )
        for site in sites
    }


def _ballot_question(state: MeetingState, ballot: Ballot) -> str | None:
    question = state.question(ballot.question_id) if ballot.question_id else None
    return question.text if question else None


def door_view(state: MeetingState, site_id: str) -> DoorView:
    site = _require_site(state, site_id)
    rows = tuple(
        DoorRow(
            delegate_id=d.delegate_id,
            name=d.record.name,
            group=d.record.group,
            position=d.record.position,
            status=d.status,
            reason=d.reason,
            search=fold(f"{d.record.name} {d.record.group} {d.record.position}"),
            phone_held=state.invitation_phones.get(d.delegate_id) is not None,
        )
        # by given name, then the whole name, as a Vietnamese list is read
        for d in sorted(
            delegates_by_site(state).get(site_id, []),
            key=lambda d: (fold(d.record.name.rsplit(" ", 1)[-1]), fold(d.record.name)),
        )
    )
    return DoorView(_require_info(state), site, rows, attendance_of(state, site_id))


def delegate_view(state: MeetingState, device_id: str | None = None) -> DelegateView:
    """The phones' shared view, or (with a device) one phone's own: its request and place."""
    mine = None
    if device_id is not None:
        mine = next((r for r in reversed(state.floor.requests) if r.device_id == device_id), None)
    position = None
    if mine is not None and mine.request_id in state.floor.queue:
        position = state.floor.queue.index(mine.request_id) + 1
    return DelegateView(
        info=_require_info(state),
        current=_current_row(state),
        speaker=_speaker(state),
        mine=mine,
        my_position=position,
        question=_on_screen(state),
        questions=tuple(question_row(state, q) for q in most_supported(state)),
        open_ballot=ballot_result(state, state.open_ballot, by_site=False)
        if state.open_ballot
        else None,
        ballot=_ballot_on_screen(state),
        card_mode=state.voting.eligibility == "card",
        invitation_mode=state.voting.eligibility == "invitation",
    )


def most_supported(state: MeetingState) -> list[Question]:
    """The open questions the phones show: the most supported first (ties in their order),
    chosen before any row is built (15,000 phones share this view, 5,000 questions may wait)."""
    waiting = [q for q in state.questions if q.open and q.decision is None]
    return heapq.nsmallest(PHONE_QUESTIONS_SHOWN, waiting, key=lambda q: -len(q.supporters))


def devices_with_requests(state: MeetingState) -> frozenset[str]:
    return frozenset(r.device_id for r in state.floor.requests if r.device_id is not None)
