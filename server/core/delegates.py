"""Delegates invited by composition, checked in at the door, absent with a reason, and the
attendance that follows from them (unknown until a site takes it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

import msgspec

from server.core.commands import (
    MAX_ATTENDANCE,
    MAX_DELEGATES,
    MAX_NAME,
    MAX_TOPIC,
    CheckInDelegate,
    CompositionDraft,
    DelegateDraft,
    EditDelegate,
    InviteDelegates,
    MarkDelegateAbsent,
    ReleaseInvitation,
    SetComposition,
    SetWalkIns,
    UninviteDelegate,
)
from server.core.events import (
    CompositionSet,
    CompositionTarget,
    DelegateCheckedIn,
    DelegateEdited,
    DelegateMarkedAbsent,
    DelegateRecord,
    DelegatesInvited,
    DelegateUninvited,
    InvitationReleased,
    WalkInsSet,
)
from server.core.rules import N_, Context, Decision, Rejected, clean_text, unknown_site
from server.core.state import Delegate, MeetingState

T = TypeVar("T")
YOUNG_BELOW = 35  # the composition's "under 35", as the Front counts it (age in the meeting's year)
OLDEST_BIRTH_YEAR = 1900


def _draft_problem(draft: DelegateDraft, state: MeetingState) -> Rejected | None:
    name = clean_text(draft.name)
    if not name:
        return Rejected("empty_text", N_("{field} must not be empty."), {"field": N_("Name")})
    longest = max(len(clean_text(t)) for t in (draft.name, draft.group, draft.position))
    if longest > MAX_NAME:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Name"), "limit": MAX_NAME},
        )
    year = draft.birth_year
    if year is not None and not OLDEST_BIRTH_YEAR <= year <= _meeting_year(state):
        return Rejected(
            "bad_birth_year", N_("{value} is not a year of birth."), {"value": str(year)}
        )
    return unknown_site(draft.site_id, state)


def _record(draft: DelegateDraft, delegate_id: str) -> DelegateRecord:
    return DelegateRecord(
        delegate_id=delegate_id,
        name=clean_text(draft.name),
        group=clean_text(draft.group),
        site_id=draft.site_id,
        gender=draft.gender,
        birth_year=draft.birth_year,
        position=clean_text(draft.position),
        phone="".join(c for c in draft.phone if c.isdigit() or c == "+"),
    )


def _meeting_year(state: MeetingState) -> int:
    try:
        return date.fromisoformat(state.info.date).year if state.info else date.max.year
    except ValueError:
        return date.max.year


def decide_invite(command: InviteDelegates, state: MeetingState, ctx: Context) -> Decision:
    if len(state.delegates) + len(command.delegates) > MAX_DELEGATES:
        return Rejected(
            "too_many_delegates", N_("At most {limit} delegates."), {"limit": MAX_DELEGATES}
        )
    records = []
    for number, draft in enumerate(command.delegates, start=1):
        problem = _draft_problem(draft, state)
        if problem:  # all or nothing: say which one
            return Rejected(
                problem.code,
                N_("Delegate {number}: {problem}"),
                {**problem.params, "number": number, "problem": problem.message},
            )
        records.append(_record(draft, ctx.new_id()))
    return [DelegatesInvited(tuple(records), ctx.now)] if records else []


def _known(delegate_id: str, state: MeetingState) -> Delegate | Rejected:
    delegate = state.delegate(delegate_id)
    if delegate is None:
        return Rejected(
            "unknown_delegate", N_("No delegate {delegate_id}."), {"delegate_id": delegate_id}
        )
    return delegate


def decide_edit(command: EditDelegate, state: MeetingState, _ctx: Context) -> Decision:
    delegate = _known(command.delegate_id, state)
    if isinstance(delegate, Rejected):
        return delegate
    problem = _draft_problem(command.delegate, state)
    if problem:
        return problem
    record = _record(command.delegate, delegate.delegate_id)
    return [] if record == delegate.record else [DelegateEdited(record)]


def decide_uninvite(command: UninviteDelegate, state: MeetingState, _ctx: Context) -> Decision:
    delegate = _known(command.delegate_id, state)
    if isinstance(delegate, Rejected):
        return delegate
    if delegate.status == "present":
        return Rejected(
            "delegate_present", N_("This delegate has checked in; they stay on the list.")
        )
    return [DelegateUninvited(delegate.delegate_id)]


def decide_composition(command: SetComposition, state: MeetingState, _ctx: Context) -> Decision:
    problem = unknown_site(command.site_id, state)
    if problem:
        return problem
    target = _target(command.target)
    return (
        []
        if dict(state.composition).get(command.site_id) == target
        else [CompositionSet(command.site_id, target)]
    )


def _target(draft: CompositionDraft) -> CompositionTarget:
    groups: dict[str, int] = {}
    for group, count in draft.by_group:
        if clean_text(group):
            groups[clean_text(group)] = count  # the last one given for a group counts
    return CompositionTarget(
        total=draft.total,
        women=draft.women,
        under_35=draft.under_35,
        by_group=tuple(sorted(groups.items())),
    )


def decide_check_in(command: CheckInDelegate, state: MeetingState, ctx: Context) -> Decision:
    delegate = _known(command.delegate_id, state)
    if isinstance(delegate, Rejected):
        return delegate
    if delegate.status == "present":
        return []  # checked in twice (two doors, a double scan): counted once
    return [DelegateCheckedIn(delegate.delegate_id, command.how, ctx.now)]


def decide_absent(command: MarkDelegateAbsent, state: MeetingState, ctx: Context) -> Decision:
    delegate = _known(command.delegate_id, state)
    if isinstance(delegate, Rejected):
        return delegate
    reason = clean_text(command.reason)
    if len(reason) > MAX_TOPIC:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Reason"), "limit": MAX_TOPIC},
        )
    if delegate.status == "present":
        return Rejected("delegate_present", N_("This delegate has checked in already."))
    if (delegate.status, delegate.reason) == ("absent", reason):
        return []
    return [DelegateMarkedAbsent(delegate.delegate_id, reason, ctx.now)]


def decide_release(command: ReleaseInvitation, state: MeetingState, _ctx: Context) -> Decision:
    delegate = _known(command.delegate_id, state)
    if isinstance(delegate, Rejected):
        return delegate
    if state.invitation_phones.get(delegate.delegate_id) is None:
        return []  # no phone holds it: nothing to free
    return [InvitationReleased(delegate.delegate_id)]


def apply_released(event: InvitationReleased, state: MeetingState) -> MeetingState:
    phones = state.invitation_phones.with_phone(event.delegate_id, None)
    return msgspec.structs.replace(state, invitation_phones=phones)


def decide_walk_ins(command: SetWalkIns, state: MeetingState, _ctx: Context) -> Decision:
    problem = unknown_site(command.site_id, state)
    if problem:
        return problem
    if not 0 <= command.count <= MAX_ATTENDANCE:
        return Rejected(
            "bad_attendance",
            N_("Attendance must be a whole number from 0 to {limit}."),
            {"limit": MAX_ATTENDANCE},
        )
    if dict(state.walk_ins).get(command.site_id) == command.count:
        return []
    return [WalkInsSet(command.site_id, command.count)]


# --- apply --------------------------------------------------------------------------------------


def _change(
    state: MeetingState, delegate_id: str, change: Callable[[Delegate], Delegate]
) -> MeetingState:
    delegates = tuple(change(d) if d.delegate_id == delegate_id else d for d in state.delegates)
    return msgspec.structs.replace(state, delegates=delegates)


def _per_site(
    pairs: tuple[tuple[str, T], ...], site_id: str, value: T
) -> tuple[tuple[str, T], ...]:
    """A per-site setting replaced, kept in site-id order so equal states compare equal."""
    return tuple(sorted({**dict(pairs), site_id: value}.items()))


def apply_invited(event: DelegatesInvited, state: MeetingState) -> MeetingState:
    added = tuple(Delegate(record) for record in event.delegates)
    return msgspec.structs.replace(state, delegates=(*state.delegates, *added))


def apply_edited(event: DelegateEdited, state: MeetingState) -> MeetingState:
    record = event.delegate
    return _change(state, record.delegate_id, lambda d: msgspec.structs.replace(d, record=record))


def apply_uninvited(event: DelegateUninvited, state: MeetingState) -> MeetingState:
    delegates = tuple(d for d in state.delegates if d.delegate_id != event.delegate_id)
    return msgspec.structs.replace(state, delegates=delegates)


def apply_composition(event: CompositionSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(
        state, composition=_per_site(state.composition, event.site_id, event.target)
    )


def apply_checked_in(event: DelegateCheckedIn, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.delegate_id,
        lambda d: msgspec.structs.replace(
            d, status="present", how=event.how, reason="", at=event.at
        ),
    )


def apply_absent(event: DelegateMarkedAbsent, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.delegate_id,
        lambda d: msgspec.structs.replace(d, status="absent", reason=event.reason, at=event.at),
    )


def apply_walk_ins(event: WalkInsSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(
        state, walk_ins=_per_site(state.walk_ins, event.site_id, event.count)
    )


# --- attendance ---------------------------------------------------------------------------------


class Composition(msgspec.Struct, frozen=True):
    """A count of delegates by what the composition asks: all, women, under 35, by group."""

    total: int = 0
    women: int = 0
    under_35: int = 0
    by_group: tuple[tuple[str, int], ...] = ()

    def __add__(self, other: Composition) -> Composition:
        groups = dict(self.by_group)
        for group, n in other.by_group:
            groups[group] = groups.get(group, 0) + n
        return Composition(
            self.total + other.total,
            self.women + other.women,
            self.under_35 + other.under_35,
            tuple(sorted(groups.items())),
        )


class SiteAttendance(msgspec.Struct, frozen=True):
    """One site's attendance. `taken` False: nobody checked anyone in or out there, so "present"
    is not known (shown as "chưa ghi nhận", never 0)."""

    site_id: str
    invited: Composition
    present: Composition
    absent: int
    walk_ins: int | None
    taken: bool
    target: CompositionTarget | None

    @property
    def attending(self) -> int | None:
        """Present delegates and walk-ins, or None while attendance is not taken."""
        return self.present.total + (self.walk_ins or 0) if self.taken else None

    @property
    def listed(self) -> bool:
        """The site invited delegates or counted walk-ins: it has a line in the papers."""
        return bool(self.invited.total) or self.walk_ins is not None


class DelegateTotals(msgspec.Struct, frozen=True):
    """The delegates over the sites that invited any: invited and present by composition,
    walk-ins, absent. Unknown is not zero: `attending` is None while a listed site has not taken
    its attendance, so no part is passed off as the whole."""

    invited: Composition = Composition()
    present: Composition = Composition()
    walk_ins: int = 0
    absent: int = 0
    sites_taken: int = 0
    sites_missing: int = 0  # listed sites whose attendance nobody took

    @property
    def attending(self) -> int | None:
        if not self.sites_taken or self.sites_missing:
            return None
        return self.present.total + self.walk_ins

    def __add__(self, other: DelegateTotals) -> DelegateTotals:
        return DelegateTotals(
            self.invited + other.invited,
            self.present + other.present,
            self.walk_ins + other.walk_ins,
            self.absent + other.absent,
            self.sites_taken + other.sites_taken,
            self.sites_missing + other.sites_missing,
        )


def delegate_totals(sites: Iterable[SiteAttendance]) -> DelegateTotals | None:
    """The listed sites' attendance added up; None where no site invited anyone."""
    listed = [site for site in sites if site.listed]
    if not listed:
        return None
    return DelegateTotals(
        invited=sum((s.invited for s in listed), Composition()),
        present=sum((s.present for s in listed if s.taken), Composition()),
        walk_ins=sum(s.walk_ins or 0 for s in listed),
        absent=sum(s.absent for s in listed),
        sites_taken=sum(s.taken for s in listed),
        sites_missing=sum(not s.taken for s in listed),
    )


def _composition(delegates: list[Delegate], year: int) -> Composition:
    groups: dict[str, int] = {}
    for d in delegates:
        groups[d.record.group] = groups.get(d.record.group, 0) + 1
    return Composition(
        total=len(delegates),
        women=sum(d.record.gender == "female" for d in delegates),
        under_35=sum(
            d.record.birth_year is not None and year - d.record.birth_year < YOUNG_BELOW
            for d in delegates
        ),
        by_group=tuple(sorted(groups.items())),
    )


_by_site_cache: list[tuple[tuple[Delegate, ...], dict[str, list[Delegate]]]] = []


def delegates_by_site(state: MeetingState) -> dict[str, list[Delegate]]:
    """The delegates of each site. Every site's door draws from the same state after a change, so
    the grouping of the last state is kept (one pass, not one per site)."""
    if _by_site_cache and _by_site_cache[0][0] is state.delegates:
        return _by_site_cache[0][1]
    grouped: dict[str, list[Delegate]] = {}
    for d in state.delegates:
        grouped.setdefault(d.record.site_id, []).append(d)
    _by_site_cache[:] = [(state.delegates, grouped)]
    return grouped


def attendance_of(state: MeetingState, site_id: str) -> SiteAttendance:
    invited = delegates_by_site(state).get(site_id, [])
    present = [d for d in invited if d.status == "present"]
    absent = sum(d.status == "absent" for d in invited)
    walk_ins = dict(state.walk_ins)
    year = _meeting_year(state)
    return SiteAttendance(
        site_id=site_id,
        invited=_composition(invited, year),
        present=_composition(present, year),
        absent=absent,
        walk_ins=walk_ins.get(site_id),
        taken=bool(present or absent or site_id in walk_ins),
        target=dict(state.composition).get(site_id),
    )


def attending_by_site(state: MeetingState) -> dict[str, int | None]:
    """`attendance_of(state, site).attending` of every site, in one pass: the host's console asks
    after every change, and each site's own answer reads the whole list of walk-ins."""
    grouped = delegates_by_site(state)
    walk_ins = dict(state.walk_ins)
    attending: dict[str, int | None] = {}
    for site in state.sites:
        invited = grouped.get(site.site_id, [])
        present = sum(d.status == "present" for d in invited)
        absent = sum(d.status == "absent" for d in invited)
        taken = bool(present or absent or site.site_id in walk_ins)
        attending[site.site_id] = present + (walk_ins.get(site.site_id) or 0) if taken else None
    return attending


def site_attendance(state: MeetingState) -> tuple[SiteAttendance, ...]:
    return tuple(attendance_of(state, site.site_id) for site in state.sites)


DECIDERS: tuple[Callable[..., Decision], ...] = (
    decide_invite,
    decide_edit,
    decide_uninvite,
    decide_composition,
    decide_check_in,
    decide_absent,
    decide_walk_ins,
    decide_release,
)
APPLIERS: tuple[Callable[..., MeetingState], ...] = (
    apply_invited,
    apply_edited,
    apply_uninvited,
    apply_composition,
    apply_checked_in,
    apply_absent,
    apply_walk_ins,
    apply_released,
)
