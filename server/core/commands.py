"""Commands: what somebody asks of a meeting, in the imperative; decoded and size-capped."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.core.events import Level

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


class SetSiteReady(_Command, frozen=True, tag="set_site_ready"):
    site_id: Id
    ready: bool


class SetAttendance(_Command, frozen=True, tag="set_attendance"):
    site_id: Id
    attendance: int


Command = (
    CreateMeeting
    | AddAgendaItem
    | RenameAgendaItem
    | RemoveAgendaItem
    | MoveAgendaItem
    | SetCurrentAgendaItem
    | SetSiteReady
    | SetAttendance
)

Role = Literal["organiser", "host", "secretary", "display", "delegate"]


class Actor(msgspec.Struct, frozen=True):
    """Who sends a command. Made by the shell from a checked secret, never from a message."""

    role: Role
    site_id: str | None = None
    device_id: str | None = None
