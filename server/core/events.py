"""Events: what happened to a meeting, in the past tense. The log stores exactly these."""

from __future__ import annotations

from typing import Literal

import msgspec

Level = Literal["ward", "district", "city"]


class SiteInfo(msgspec.Struct, frozen=True):
    site_id: str
    name: str
    is_main_hall: bool = False


class AgendaEntry(msgspec.Struct, frozen=True):
    item_id: str
    title: str


class _Event(msgspec.Struct, frozen=True, tag_field="type"):
    """Base of every event; the tag is the class name."""


class MeetingCreated(_Event, frozen=True, tag=True):
    meeting_id: str
    title: str
    date: str
    level: Level
    chair: str
    sites: tuple[SiteInfo, ...]
    agenda: tuple[AgendaEntry, ...]
    at: float


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


Event = (
    MeetingCreated
    | AgendaItemAdded
    | AgendaItemRenamed
    | AgendaItemRemoved
    | AgendaItemMoved
    | CurrentAgendaItemSet
    | SiteReadySet
    | AttendanceSet
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> Event:
    event: Event = _decoder.decode(data)
    return event
