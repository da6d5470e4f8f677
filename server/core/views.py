"""What each kind of screen shows: plain data made from the state, rendered by the shell."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from server.core.events import AgendaEntry
from server.core.state import MeetingInfo, MeetingState, Site


class SitePresence(msgspec.Struct, frozen=True):
    """Who is connected at a site now; kept by the shell, never logged."""

    displays: int = 0
    consoles: int = 0
    delegates: int = 0
    last_seen: float | None = None


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


class DisplayView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    current: AgendaRow | None
    agenda_length: int


class HostView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    agenda: tuple[AgendaRow, ...]
    current: AgendaRow | None
    next_item: AgendaRow | None
    previous_item: AgendaRow | None
    sites: tuple[SiteRow, ...]
    sites_ready: int
    sites_online: int
    attendance_total: int


class SecretaryView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    site: Site
    current: AgendaRow | None


class DelegateView(msgspec.Struct, frozen=True):
    info: MeetingInfo
    site: Site
    current: AgendaRow | None


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


def display_view(state: MeetingState) -> DisplayView:
    return DisplayView(
        info=_require_info(state), current=_current_row(state), agenda_length=len(state.agenda)
    )


def host_view(state: MeetingState, presence: Mapping[str, SitePresence]) -> HostView:
    rows = agenda_rows(state)
    index = next((i for i, row in enumerate(rows) if row.current), None)
    sites = tuple(
        _site_row(site, presence.get(site.site_id, SitePresence())) for site in state.sites
    )
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
        attendance_total=sum(site.attendance or 0 for site in state.sites),
    )


def _site_row(site: Site, presence: SitePresence) -> SiteRow:
    return SiteRow(site=site, presence=presence, online=presence.displays + presence.consoles > 0)


def _require_site(state: MeetingState, site_id: str) -> Site:
    site = state.site(site_id)
    if site is None:
        raise LookupError(site_id)
    return site


def secretary_view(state: MeetingState, site_id: str) -> SecretaryView:
    return SecretaryView(
        info=_require_info(state), site=_require_site(state, site_id), current=_current_row(state)
    )


def delegate_view(state: MeetingState, site_id: str) -> DelegateView:
    return DelegateView(
        info=_require_info(state), site=_require_site(state, site_id), current=_current_row(state)
    )
