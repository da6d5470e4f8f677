"""The state of one meeting: the fold of its log. Frozen Structs and tuples only."""

from __future__ import annotations

import msgspec

from server.core.events import AgendaEntry, Level


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


class MeetingState(msgspec.Struct, frozen=True):
    info: MeetingInfo | None = None
    sites: tuple[Site, ...] = ()
    agenda: tuple[AgendaEntry, ...] = ()
    current_item_id: str | None = None

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.site_id == site_id), None)

    def agenda_index(self, item_id: str) -> int | None:
        return next((i for i, e in enumerate(self.agenda) if e.item_id == item_id), None)

    @property
    def current_item(self) -> AgendaEntry | None:
        index = self.agenda_index(self.current_item_id) if self.current_item_id else None
        return None if index is None else self.agenda[index]
