"""The minutes and statistics of a meeting, made from its state (and the date, for overdue)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import partial
from typing import Literal

import msgspec

from server.core.delegates import (
    DelegateTotals,
    SiteAttendance,
    attendance_of,
    attending_by_site,
    delegate_totals,
    site_attendance,
)
from server.core.state import CHOICES, Ballot, MeetingInfo, MeetingState, Question, Site
from server.core.textmatch import fold

IN_HALL_SOURCES = ("turn", "phone", "manual")
# "Chính quyền" in the published reports: the People's Council and the People's Committee.
GOVERNMENT = ("council", "committee")
# What became of each opinion; the published reports lead with those answered before the meeting.
DECISIONS = ("answered_before", "on_the_spot", "written", "forwarded", "not_taken_up", "undecided")
BODIES = ("party", "council", "committee", "other")
LEVELS = ("ward", "district", "city", "central")


def largest_remainder(counts: Sequence[int], whole: int = 100) -> tuple[int, ...]:
    """Each count's share of `whole` units (100: whole percents, 1000: tenths of one), adding up
    to exactly `whole` when any count is not 0; rounding each on its own can make 101 % or 99 %.
    Every share is its exact value rounded down or up; the units left after rounding down go to
    the largest remainders, a tie to the larger count, then to the one listed first."""
    total = sum(counts)
    if total <= 0:
        return tuple(0 for _ in counts)
    floors = [n * whole // total for n in counts]
    remainders = [n * whole % total for n in counts]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-remainders[i], -counts[i], i))
    for i in by_remainder[: whole - sum(floors)]:
        floors[i] += 1
    return tuple(floors)


class Counts(msgspec.Struct, frozen=True):
    """Satisfied, partly, not satisfied: phones and paper together."""

    satisfied: int = 0
    partly: int = 0
    not_satisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.partly + self.not_satisfied

    def shares(self, whole: int = 100) -> tuple[int, ...]:
        """Satisfied, partly, not satisfied as shares of `whole` that add up to it."""
        return largest_remainder((self.satisfied, self.partly, self.not_satisfied), whole)

    @property
    def satisfied_share(self) -> float | None:
        """As a fraction to a tenth of a percent, the same as the three shares printed beside it."""
        return self.shares(1000)[0] / 1000 if self.total else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.satisfied + other.satisfied,
            self.partly + other.partly,
            self.not_satisfied + other.not_satisfied,
        )


class Attendance(msgspec.Struct, frozen=True):
    """People present over some sites: the sum of the counts entered and how many sites have
    entered none. Unknown is not zero: `total` is None until every site has entered its count, so
    no sum of some sites is ever passed off as the whole."""

    entered: int = 0  # the sum of the counts the sites entered
    sites_entered: int = 0
    sites_missing: int = 0  # sites whose count nobody entered

    @property
    def total(self) -> int | None:
        return self.entered if self.sites_entered and not self.sites_missing else None

    @property
    def recorded(self) -> bool:
        """Some site entered a count (so `entered` means something, whole or in part)."""
        return self.sites_entered > 0

    def __add__(self, other: Attendance) -> Attendance:
        return Attendance(
            self.entered + other.entered,
            self.sites_entered + other.sites_entered,
            self.sites_missing + other.sites_missing,
        )


def headcount(state: MeetingState, site: Site) -> int | None:
    """People at a site: the count its secretary entered (everyone in the room), else what its
    door took (delegates present and walk-ins), else unknown."""
    if site.attendance is not None:
        return site.attendance
    return attendance_of(state, site.site_id).attending


def attendance_over(state: MeetingState) -> Attendance:
    door = attending_by_site(state)  # one pass, for the sites whose secretary entered nothing
    counts = [
        site.attendance if site.attendance is not None else door[site.site_id]
        for site in state.sites
    ]
    return Attendance(
        entered=sum(n for n in counts if n is not None),
        sites_entered=sum(n is not None for n in counts),
        sites_missing=sum(n is None for n in counts),
    )


class ReportSite(msgspec.Struct, frozen=True):
    name: str
    is_main_hall: bool
    attendance: int | None  # None: never entered (shown as "chưa ghi nhận", never as 0)
    turns: int
    opinions: int
    questions: int
    satisfaction: Counts
    delegates: SiteAttendance | None = None  # None: the site invited nobody, counted no walk-in


class ReportTurn(msgspec.Struct, frozen=True):
    number: int
    name: str
    site: str
    group: str
    topic: str
    spoken_seconds: int
    opinions: tuple[str, ...]


class ReportQuestion(msgspec.Struct, frozen=True):
    number: int
    question_id: str
    text: str
    askers: str
    site: str
    field: str
    body: str
    level: str
    source: str
    answer: str
    answered_by: str
    decision: str
    agency: str
    deadline: str
    forwarded_to: str
    reason: str
    follow_up: str  # "", "pending", "answered", "overdue"
    written_answer: str
    answered_on: str
    satisfaction: Counts | None  # None while its ballot is open with the results hidden
    vote_hidden: bool = False  # a ballot is open on it, results hidden until it closes
    # Settled before the meeting: "answered" or "forwarded", with the answer's document and text.
    settled_before: str = ""
    reference: str = ""
    settled_on: str = ""
    prior_text: str = ""
    earlier_answers: tuple[tuple[str, str], ...] = ()  # (text, sent on) of corrected records


class Statistics(msgspec.Struct, frozen=True):
    collected_before: int
    raised_in_hall: int
    raised_in_hall_by_body: tuple[tuple[str, int], ...]
    turns: int
    opinions_in_turns: int
    by_field: tuple[tuple[str, int], ...]
    by_body: tuple[tuple[str, int], ...]
    by_level: tuple[tuple[str, int], ...]
    by_site: tuple[tuple[str, int], ...]
    by_decision: tuple[tuple[str, int], ...]
    forwarded_by_level: tuple[tuple[str, int], ...]  # before the meeting and by the chair
    promised: int
    promised_answered: int
    promised_overdue: int
    satisfaction_meeting: Counts | None
    satisfaction_questions: Counts
    satisfaction_by_body: tuple[tuple[str, Counts], ...]
    attendance: Attendance
    ballots_hidden: int = 0  # open with results hidden: not in any figure until they close
    ballots_by_device: int = 0  # counted one vote per joined phone, not per person
    forwarded_before: int = 0  # of those forwarded, settled before the meeting
    raised_in_hall_government: int = 0  # with HĐND or UBND
    delegates: DelegateTotals | None = None  # None: the meeting invited nobody by name

    @property
    def satisfaction(self) -> Counts | None:
        """The one satisfaction figure of the meeting, wherever a single one is quoted (a year's
        headline, each meeting's row): the ballot on the meeting as a whole, or where none was
        held, every answer's ballot together; None when nobody voted."""
        chosen = self.satisfaction_meeting or self.satisfaction_questions
        return chosen if chosen.total else None

    @property
    def satisfaction_of_answers(self) -> bool:
        """`satisfaction` is the answers' ballots, for want of one on the meeting."""
        return self.satisfaction is not None and self.satisfaction_meeting is None


class Report(msgspec.Struct, frozen=True):
    info: MeetingInfo
    today: str
    sites: tuple[ReportSite, ...]
    agenda: tuple[str, ...]
    turns: tuple[ReportTurn, ...]
    questions: tuple[ReportQuestion, ...]
    statistics: Statistics
    opened: bool = False  # see under_way()

    @property
    def held(self) -> bool:
        """Counted as a meeting held (a year's figures): opened, on or before its own day. One
        dated later is a rehearsal until that day; one never opened (a draft, the demo left as
        it was made, opinions imported and nothing else) was not held."""
        return self.opened and self.info.date <= self.today


def under_way(state: MeetingState) -> bool:
    """The meeting has begun: the host made an agenda item current, a speaker was called, a
    question was put on screen or decided at the meeting, or a ballot opened. Preparing it
    (sites, opinions imported, answers given before it, attendance) is not holding it."""
    return (  # the cheap tests first: every site's console asks after every change
        state.current_item_id is not None
        or bool(state.ballots)
        or any(r.called_at is not None for r in state.floor.requests)
        or any(q.shown_at is not None or (q.decision and not q.prior) for q in state.questions)
    )


def _public(ballots: Iterable[Ballot]) -> list[Ballot]:
    """The ballots whose counts may be told: a hidden one is in no figure until it closes."""
    return [b for b in ballots if b.results_public]


def _counts(ballot: Ballot | None) -> Counts:
    if ballot is None:
        return Counts()
    total = [p + q for p, q in zip(ballot.phone_counts, ballot.paper_counts, strict=True)]
    return Counts(*total)


def _site_counts(ballot: Ballot, site_id: str) -> Counts:
    phones = [0, 0, 0]
    for choice, voter_site in ballot.votes.choices():
        if voter_site == site_id:
            phones[CHOICES.index(choice)] += 1
    paper = dict(ballot.paper).get(site_id, (0, 0, 0))
    return Counts(phones[0] + paper[0], phones[1] + paper[1], phones[2] + paper[2])


# Shown only when something is there: a ward's papers need no "Trung ương: 0" line.
RARE = frozenset({"central"})


def _ordered(counter: Counter[str], order: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple((key, counter[key]) for key in order if key not in RARE or counter[key])


def _by_count(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def meeting_report(state: MeetingState, today: str) -> Report:
    """Everything the minutes and the conclusion notice need. `today` decides what is overdue."""
    if state.info is None:
        raise LookupError("no meeting in this state")
    site_names = {s.site_id: s.name for s in state.sites}
    questions = [q for q in state.questions if q.open]
    ballots = {b.question_id: b for b in state.ballots}
    report_questions = tuple(
        _question(i, q, site_names, ballots.get(q.question_id), today)
        for i, q in enumerate(questions, start=1)
    )
    turns = [r for r in state.floor.requests if r.status in ("speaking", "finished")]
    report_turns = tuple(
        ReportTurn(
            number=i,
            name=r.name,
            site=site_names.get(r.site_id, ""),
            group=r.group,
            topic=r.topic,
            spoken_seconds=round(r.spoken_seconds()),
            opinions=tuple(q.text for q in questions if q.request_id == r.request_id),
        )
        for i, r in enumerate(sorted(turns, key=lambda r: r.called_at or 0), start=1)
    )
    return Report(
        info=state.info,
        today=today,
        sites=tuple(_site(s, state, questions) for s in state.sites),
        agenda=tuple(entry.title for entry in state.agenda),
        turns=report_turns,
        questions=report_questions,
        statistics=_statistics(state, questions, report_questions, site_names),
        opened=under_way(state),
    )


def _question(
    number: int, q: Question, site_names: dict[str, str], ballot: Ballot | None, today: str
) -> ReportQuestion:
    askers = "; ".join(
        " · ".join(p for p in (a.name, a.group) if p) for a in q.askers if a.name or a.group
    )
    answered_by = ", ".join(p for p in (q.answerer_name, q.answerer_role) if p)
    return ReportQuestion(
        number=number,
        question_id=q.question_id,
        text=q.text,
        askers=askers,
        site=site_names.get(q.site_id or "", ""),
        field=q.field,
        body=q.body,
        level=q.level,
        source=q.source,
        answer=q.answer,
        answered_by=answered_by,
        decision=q.decision or "undecided",
        agency=q.agency,
        deadline=q.deadline,
        forwarded_to=q.forwarded_to or "",
        reason=q.reason,
        follow_up=q.follow_up(today) or "",
        written_answer=q.written_answer,
        answered_on=q.answered_on,
        satisfaction=_counts(ballot) if ballot is not None and ballot.results_public else None,
        vote_hidden=ballot is not None and not ballot.results_public,
        settled_before=q.prior.kind if q.prior else "",
        reference=q.prior.reference if q.prior else "",
        settled_on=q.prior.on if q.prior else "",
        prior_text=q.prior.text if q.prior else "",
        earlier_answers=q.earlier_answers,
    )


def _site(site: Site, state: MeetingState, questions: list[Question]) -> ReportSite:
    turns = sum(
        r.site_id == site.site_id and r.status in ("speaking", "finished")
        for r in state.floor.requests
    )
    satisfaction = Counts()
    for ballot in _public(state.ballots):
        satisfaction = satisfaction + _site_counts(ballot, site.site_id)
    delegates = attendance_of(state, site.site_id)
    return ReportSite(
        name=site.name,
        is_main_hall=site.is_main_hall,
        attendance=headcount(state, site),
        turns=turns,
        opinions=sum(q.source == "turn" and q.site_id == site.site_id for q in questions),
        questions=sum(q.site_id == site.site_id for q in questions),
        satisfaction=satisfaction,
        delegates=delegates if delegates.listed else None,
    )


def _statistics(
    state: MeetingState,
    questions: list[Question],
    rows: tuple[ReportQuestion, ...],
    site_names: dict[str, str],
) -> Statistics:
    in_hall = [q for q in questions if q.source in IN_HALL_SOURCES]
    promised = [r for r in rows if r.follow_up]
    by_body: dict[str, Counts] = {}
    question_ballots = Counts()
    meeting_ballot = None
    for ballot in _public(state.ballots):
        counts = _counts(ballot)
        if ballot.question_id is None:
            meeting_ballot = counts
            continue
        question_ballots = question_ballots + counts
        question = state.question(ballot.question_id)
        if question is not None:
            by_body[question.body] = by_body.get(question.body, Counts()) + counts
    return Statistics(
        collected_before=sum(q.source == "intake" for q in questions),
        raised_in_hall=len(in_hall),
        raised_in_hall_by_body=_ordered(Counter(q.body for q in in_hall), BODIES),
        turns=sum(r.status in ("speaking", "finished") for r in state.floor.requests),
        opinions_in_turns=sum(q.source == "turn" for q in questions),
        by_field=_by_count(Counter(q.field or "—" for q in questions)),
        by_body=_ordered(Counter(q.body for q in questions), BODIES),
        by_level=_ordered(Counter(q.level for q in questions), LEVELS),
        by_site=_by_count(Counter(site_names.get(q.site_id or "", "—") for q in questions)),
        by_decision=_ordered(Counter(q.decision or "undecided" for q in questions), DECISIONS),
        forwarded_by_level=_ordered(
            Counter(
                q.forwarded_to for q in questions if q.decision == "forwarded" and q.forwarded_to
            ),
            LEVELS,
        ),
        forwarded_before=sum(q.decision == "forwarded" and q.decided_before for q in questions),
        raised_in_hall_government=sum(q.body in GOVERNMENT for q in in_hall),
        promised=len(promised),
        promised_answered=sum(r.follow_up == "answered" for r in promised),
        promised_overdue=sum(r.follow_up == "overdue" for r in promised),
        satisfaction_meeting=meeting_ballot,
        satisfaction_questions=question_ballots,
        satisfaction_by_body=tuple((body, by_body[body]) for body in BODIES if body in by_body),
        attendance=attendance_over(state),
        delegates=delegate_totals(site_attendance(state)),
        ballots_hidden=sum(not b.results_public for b in state.ballots),
        ballots_by_device=sum(b.eligibility == "device" for b in state.ballots),
    )


# --- a year of meetings --------------------------------------------------------------------------

NotHeld = Literal["", "sample", "future", "not_opened"]


class YearRow(msgspec.Struct, frozen=True):
    meeting_id: str
    report: Report
    not_held: NotHeld = ""  # why it is not counted: the demo, its day has not come, never opened


# --- whose meetings: the organiser's scope -----------------------------------------------------

ScopeKind = Literal["all", "unit", "over", "none"]
# The words a unit's name begins with; the units under a district are named by theirs
# ("Quận 1 và các phường").
UNIT_WORDS = ("phường", "xã", "thị trấn", "thị xã", "quận", "huyện", "thành phố", "tỉnh")


def _same(name: str) -> str:
    return name.casefold()


class Scope(msgspec.Struct, frozen=True):
    """Whose meetings a year's figures count: every meeting ("all"); one unit's own ("unit":
    `name` under `superior` as its meetings record it, for two wards "Phường 1" of two districts
    are two wards); a unit's own and those of every unit under it ("over": a district over its
    wards, a city over its districts and theirs); or the meetings with no unit ("none")."""

    kind: ScopeKind = "all"
    name: str = ""
    superior: str = ""  # unit: the unit above it
    below: tuple[str, ...] = ()  # over: what the units directly under it are ("phường",)
    members: tuple[tuple[str, str], ...] = ()  # over: (unit, superior) of each unit under it

    @property
    def key(self) -> str:
        """What a link carries (?scope=): all, none, or the kind and a digest of the names."""
        if self.kind in ("all", "none"):
            return self.kind
        named = _same(self.name)
        if self.kind == "unit":
            named = f"{_same(self.superior)}\n{named}"
        return f"{self.kind}-{hashlib.blake2s(named.encode(), digest_size=5).hexdigest()}"

    def covers(self, info: MeetingInfo) -> bool:
        unit = (_same(info.unit), _same(info.superior))
        if self.kind == "all":
            return True
        if self.kind == "none":
            return not info.unit
        if self.kind == "unit":
            return unit == (_same(self.name), _same(self.superior))
        return bool(info.unit) and (unit[0] == _same(self.name) or unit in self.members)


ALL = Scope()


def _unit_words(names: Iterable[str]) -> tuple[str, ...]:
    """The words the names begin with, in UNIT_WORDS' order; () if some name begins otherwise."""
    found = set()
    for name in names:
        word = next((w for w in UNIT_WORDS if _same(name).startswith(f"{w} ")), None)
        if word is None:
            return ()
        found.add(word)
    return tuple(w for w in UNIT_WORDS if w in found)


def _by_name(scope: Scope) -> tuple[str, str, str]:
    return (fold(scope.name), fold(scope.superior), scope.name)


def _over(name: str, units: Collection[Scope]) -> Scope:
    """`name` over the units directly under it and theirs, down to the last recorded."""
    members: list[tuple[str, str]] = []
    above, seen = [_same(name)], {_same(name)}
    while above:
        under = [u for u in units if _same(u.superior) in above]
        members += [(_same(u.name), _same(u.superior)) for u in under]
        above = [_same(u.name) for u in under if _same(u.name) not in seen]
        seen.update(above)
    direct = [u.name for u in units if _same(u.superior) == _same(name)]
    deeper = len(members) > len(direct)
    below = () if deeper else _unit_words(direct)
    return Scope("over", name, below=below, members=tuple(sorted(set(members))))


def scope_options(infos: Iterable[MeetingInfo]) -> tuple[Scope, ...]:
    """Every scope the recorded units make, as a list offers them: all; each unit above others,
    then its own meetings' and those of the units directly under it; the other units; "none"
    when some meeting recorded no unit. An archived meeting makes none."""
    units: dict[tuple[str, str], Scope] = {}
    above: dict[str, str] = {}
    unrecorded = False
    for info in infos:
        if info.archived:
            continue
        if not info.unit:
            unrecorded = True
            continue
        pair = (_same(info.unit), _same(info.superior))
        units.setdefault(pair, Scope("unit", info.unit, info.superior))
        if info.superior:
            above.setdefault(_same(info.superior), info.superior)
    options = [ALL]
    rest = sorted(units.values(), key=_by_name)
    for over in sorted((_over(name, units.values()) for name in above.values()), key=_by_name):
        key = _same(over.name)
        listed = [u for u in rest if _same(u.name) == key] + [
            u for u in rest if _same(u.superior) == key
        ]
        options += [over, *listed]
        rest = [u for u in rest if u not in listed]
    options += rest
    if unrecorded:
        options.append(Scope("none"))
    return tuple(options)


def find_scope(infos: Iterable[MeetingInfo], key: str) -> Scope | None:
    """The scope a link names, or None: no unit recorded makes that one."""
    return next((s for s in scope_options(infos) if s.key == key), None)


class YearFigures(msgspec.Struct, frozen=True):
    """What a year's report quotes, over the meetings held (Report.held) and only those."""

    year: int
    meetings: int
    opinions: int
    collected_before: int
    raised_in_hall: int
    answered_on_the_spot: int
    answered_before: int
    raised_with_party: int
    raised_with_government: int
    turns: int
    written: int  # promised an answer in writing at the meeting
    forwarded_by_level: tuple[tuple[str, int], ...]
    promised: int
    answered_on_time: int
    answered_late: int
    overdue: int
    pending: int
    satisfaction: Counts  # the sum of every row's Statistics.satisfaction
    attendance: Attendance
    delegates: DelegateTotals | None  # None: no meeting held invited delegates by name
    rows: tuple[YearRow, ...]  # the meetings held, latest first
    by_field: tuple[tuple[str, int], ...] = ()  # opinions, most first ("—": no field given)
    by_site: tuple[tuple[str, int], ...] = ()  # opinions by the site (ward) they came from
    not_held: tuple[YearRow, ...] = ()  # dated in the year, not counted, and why
    period: tuple[str, str] = ("", "")  # from and to within the year, where narrowed
    scope: Scope = ALL  # whose meetings
    scopes: tuple[tuple[Scope, int], ...] = ()  # every scope offered, with its meetings held
    # unit, its superior ("", "": not recorded), meetings held, opinions
    by_unit: tuple[tuple[str, str, int, int], ...] = ()
    archived: int = 0  # drafts of the year put away: in no figure


def _not_held(meeting_id: str, report: Report, samples: Collection[str]) -> NotHeld:
    if meeting_id in samples:
        return "sample"
    if report.held:
        return ""
    return "future" if report.info.date > report.today else "not_opened"


def _summed(counts: Iterable[tuple[tuple[str, int], ...]]) -> tuple[tuple[str, int], ...]:
    total: Counter[str] = Counter()
    for pairs in counts:
        total.update(dict(pairs))
    return _by_count(total)


def _by_unit(
    held: Iterable[Report], options: Iterable[Scope]
) -> tuple[tuple[str, str, int, int], ...]:
    """Meetings and opinions of each unit (as the scope list spells it), the list's order; the
    meetings with no unit ("", "") last."""
    meetings: Counter[tuple[str, str]] = Counter()
    opinions: Counter[tuple[str, str]] = Counter()
    for report in held:
        pair = (_same(report.info.unit), _same(report.info.superior))
        meetings[pair] += 1
        opinions[pair] += len(report.questions)
    units = [s for s in options if s.kind == "unit"]
    spelt = [(s.name, s.superior, (_same(s.name), _same(s.superior))) for s in units]
    return tuple(
        (name, superior, meetings[pair], opinions[pair])
        for name, superior, pair in [*spelt, ("", "", ("", ""))]
        if meetings[pair]
    )


def year_figures(
    reports: Iterable[tuple[str, Report]],
    year: int,
    samples: Collection[str] = (),
    period: tuple[str, str] = ("", ""),
    scope: Scope = ALL,
) -> YearFigures:
    """Meetings, opinions, answered on the spot, promises kept, satisfaction and attendance of
    the meetings held in `year`; `period` (ISO dates from and to, either may be "") narrows it,
    `scope` to one unit's (find_scope). `samples` (the demo meeting) are never counted as held;
    archived drafts are in no figure and no list."""
    start, end = period
    every = list(reports)
    alive = [(mid, r) for mid, r in every if not r.info.archived]
    in_period = [
        YearRow(mid, r, _not_held(mid, r, samples))
        for mid, r in alive
        if r.info.date.startswith(f"{year:04d}-")
        and (not start or r.info.date >= start)
        and (not end or r.info.date <= end)
    ]
    in_period.sort(key=lambda row: (row.report.info.date, row.meeting_id), reverse=True)
    dated = [row for row in in_period if scope.covers(row.report.info)]
    held = [row.report for row in dated if not row.not_held]
    options = scope_options(r.info for _, r in alive)
    held_in_period = [row.report.info for row in in_period if not row.not_held]
    promises = [q for r in held for q in r.questions if q.follow_up]
    answered = [q for q in promises if q.follow_up == "answered"]
    late = sum(bool(q.deadline) and q.answered_on > q.deadline for q in answered)
    satisfaction, attendance = Counts(), Attendance()
    delegates: DelegateTotals | None = None
    for report in held:
        satisfaction = satisfaction + (report.statistics.satisfaction or Counts())
        attendance = attendance + report.statistics.attendance
        if report.statistics.delegates is not None:
            delegates = (delegates or DelegateTotals()) + report.statistics.delegates
    return YearFigures(
        year=year,
        meetings=len(held),
        opinions=sum(len(r.questions) for r in held),
        collected_before=sum(r.statistics.collected_before for r in held),
        raised_in_hall=sum(r.statistics.raised_in_hall for r in held),
        answered_on_the_spot=sum(dict(r.statistics.by_decision)["on_the_spot"] for r in held),
        answered_before=sum(dict(r.statistics.by_decision)["answered_before"] for r in held),
        raised_with_party=sum(
            dict(r.statistics.raised_in_hall_by_body).get("party", 0) for r in held
        ),
        raised_with_government=sum(r.statistics.raised_in_hall_government for r in held),
        turns=sum(r.statistics.turns for r in held),
        written=sum(dict(r.statistics.by_decision)["written"] for r in held),
        forwarded_by_level=tuple(
            (level, n)
            for level in LEVELS
            if (n := sum(dict(r.statistics.forwarded_by_level).get(level, 0) for r in held))
            or level not in RARE
        ),
        promised=sum(r.statistics.promised for r in held),
        answered_on_time=len(answered) - late,
        answered_late=late,
        overdue=sum(q.follow_up == "overdue" for q in promises),
        pending=sum(q.follow_up == "pending" for q in promises),
        satisfaction=satisfaction,
        attendance=attendance,
        delegates=delegates,
        by_field=_summed(r.statistics.by_field for r in held),
        by_site=_summed(r.statistics.by_site for r in held),
        rows=tuple(row for row in dated if not row.not_held),
        not_held=tuple(row for row in dated if row.not_held),
        period=period,
        scope=scope,
        scopes=tuple((s, sum(s.covers(info) for info in held_in_period)) for s in options),
        by_unit=_by_unit(held, options),
        archived=sum(
            r.info.archived and r.info.date.startswith(f"{year:04d}-") and scope.covers(r.info)
            for _, r in every
        ),
    )


# --- a year's figures down to their opinions ---------------------------------------------------


def _late(q: ReportQuestion) -> bool:
    return q.follow_up == "answered" and bool(q.deadline) and q.answered_on > q.deadline


def _raised(q: ReportQuestion) -> bool:
    return q.source in IN_HALL_SOURCES


def _forwarded_to(level: str, q: ReportQuestion) -> bool:
    return q.decision == "forwarded" and q.forwarded_to == level


# Each figure of the year (its name on the dashboard) and which opinions make it: the dashboard
# links every figure to the list of exactly these.
YEAR_FIGURES: dict[str, Callable[[ReportQuestion], bool]] = {
    "opinions": lambda _q: True,
    "collected-before": lambda q: q.source == "intake",
    "answered-before": lambda q: q.decision == "answered_before",
    "raised": _raised,
    "party": lambda q: _raised(q) and q.body == "party",
    "government": lambda q: _raised(q) and q.body in GOVERNMENT,
    "on-the-spot": lambda q: q.decision == "on_the_spot",
    "written": lambda q: q.decision == "written",
    **{f"forwarded-{level}": partial(_forwarded_to, level) for level in LEVELS},
    "promised": lambda q: bool(q.follow_up),
    "on-time": lambda q: q.follow_up == "answered" and not _late(q),
    "late": _late,
    "overdue": lambda q: q.follow_up == "overdue",
    "pending": lambda q: q.follow_up == "pending",
}


def year_opinions(figures: YearFigures, figure: str) -> list[tuple[YearRow, ReportQuestion]]:
    """The opinions behind one of the year's figures, meeting by meeting (latest first)."""
    keep = YEAR_FIGURES[figure]
    return [(row, q) for row in figures.rows for q in row.report.questions if keep(q)]


_COUNTED_AS = {
    "opinions": "opinions",
    "collected-before": "collected_before",
    "answered-before": "answered_before",
    "raised": "raised_in_hall",
    "party": "raised_with_party",
    "government": "raised_with_government",
    "on-the-spot": "answered_on_the_spot",
    "written": "written",
    "promised": "promised",
    "on-time": "answered_on_time",
    "late": "answered_late",
    "overdue": "overdue",
    "pending": "pending",
}


def year_count(figures: YearFigures, figure: str) -> int:
    """The figure as the dashboard prints it (what `year_opinions` lists must add up to it)."""
    if figure.startswith("forwarded-"):
        return dict(figures.forwarded_by_level).get(figure.removeprefix("forwarded-"), 0)
    count: int = getattr(figures, _COUNTED_AS[figure])
    return count
