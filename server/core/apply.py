"""apply(state, event) -> state, and replay: the state is the fold of the log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import singledispatch

import msgspec

from server.core import delegates, floor, questions, votes
from server.core.events import (
    AgendaEntry,
    AgendaItemAdded,
    AgendaItemMoved,
    AgendaItemRemoved,
    AgendaItemRenamed,
    AttendanceSet,
    CurrentAgendaItemSet,
    Event,
    JoinShownSet,
    MeetingArchived,
    MeetingCreated,
    MeetingRestored,
    OrganiserUnitSet,
    PapersHeadingSet,
    SiteReadySet,
)
from server.core.state import MeetingInfo, MeetingState, Site


def apply(state: MeetingState, event: Event) -> MeetingState:
    return _apply(event, state)


def replay(events: Iterable[Event], state: MeetingState | None = None) -> MeetingState:
    for event in events:
        state = apply(state or MeetingState(), event)
    return state or MeetingState()


@singledispatch
def _apply(event: Event, _state: MeetingState) -> MeetingState:
    raise TypeError(f"no apply for {type(event).__name__}")  # a new event without its fold


@_apply.register
def _created(event: MeetingCreated, _state: MeetingState) -> MeetingState:
    info = MeetingInfo(
        meeting_id=event.meeting_id,
        title=event.title,
        date=event.date,
        level=event.level,
        chair=event.chair,
        created_at=event.at,
    )
    sites = tuple(Site(s.site_id, s.name, s.is_main_hall) for s in event.sites)
    return MeetingState(
        info=info,
        sites=sites,
        agenda=event.agenda,
        fields=event.fields,
        speaking_seconds=event.speaking_seconds,
    )


def _with_agenda(state: MeetingState, agenda: list[AgendaEntry]) -> MeetingState:
    return msgspec.structs.replace(state, agenda=tuple(agenda))


@_apply.register
def _item_added(event: AgendaItemAdded, state: MeetingState) -> MeetingState:
    agenda = list(state.agenda)
    agenda.insert(event.position, AgendaEntry(event.item_id, event.title))
    return _with_agenda(state, agenda)


@_apply.register
def _item_renamed(event: AgendaItemRenamed, state: MeetingState) -> MeetingState:
    agenda = [
        AgendaEntry(e.item_id, event.title) if e.item_id == event.item_id else e
        for e in state.agenda
    ]
    return _with_agenda(state, agenda)


@_apply.register
def _item_removed(event: AgendaItemRemoved, state: MeetingState) -> MeetingState:
    return _with_agenda(state, [e for e in state.agenda if e.item_id != event.item_id])


@_apply.register
def _item_moved(event: AgendaItemMoved, state: MeetingState) -> MeetingState:
    agenda = list(state.agenda)
    moved = next((e for e in agenda if e.item_id == event.item_id), None)
    if moved is None:
        return state  # like every other event naming an unknown id: nothing to change
    agenda.remove(moved)
    agenda.insert(event.position, moved)
    return _with_agenda(state, agenda)


@_apply.register
def _current_set(event: CurrentAgendaItemSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, current_item_id=event.item_id)


@_apply.register
def _join_shown(event: JoinShownSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, join_shown=event.shown)


def _with_site(state: MeetingState, site_id: str, change: Callable[[Site], Site]) -> MeetingState:
    sites = tuple(change(s) if s.site_id == site_id else s for s in state.sites)
    return msgspec.structs.replace(state, sites=sites)


@_apply.register
def _ready_set(event: SiteReadySet, state: MeetingState) -> MeetingState:
    return _with_site(
        state,
        event.site_id,
        lambda s: msgspec.structs.replace(s, ready=event.ready, checked_in_at=event.at),
    )


@_apply.register
def _attendance_set(event: AttendanceSet, state: MeetingState) -> MeetingState:
    return _with_site(
        state, event.site_id, lambda s: msgspec.structs.replace(s, attendance=event.attendance)
    )


@_apply.register
def _heading_set(event: PapersHeadingSet, state: MeetingState) -> MeetingState:
    if state.info is None:
        return state
    info = msgspec.structs.replace(state.info, heading=event.heading)
    return msgspec.structs.replace(state, info=info)


def _with_info(state: MeetingState, **changes: object) -> MeetingState:
    if state.info is None:
        return state
    return msgspec.structs.replace(state, info=msgspec.structs.replace(state.info, **changes))


@_apply.register
def _unit_set(event: OrganiserUnitSet, state: MeetingState) -> MeetingState:
    return _with_info(state, unit=event.unit, superior=event.superior)


@_apply.register
def _archived(_event: MeetingArchived, state: MeetingState) -> MeetingState:
    return _with_info(state, archived=True)


@_apply.register
def _restored(_event: MeetingRestored, state: MeetingState) -> MeetingState:
    return _with_info(state, archived=False)


for _applier in (*floor.APPLIERS, *questions.APPLIERS, *votes.APPLIERS, *delegates.APPLIERS):
    _apply.register(_applier)
