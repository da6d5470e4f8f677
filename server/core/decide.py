"""decide(state, command) -> events or a rejection. Every rule of the meeting lives here."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import singledispatch

import msgspec

from server.core.commands import (
    MAX_AGENDA_ITEMS,
    MAX_ATTENDANCE,
    MAX_NAME,
    MAX_SITES,
    MAX_TITLE,
    Actor,
    AddAgendaItem,
    Command,
    CreateMeeting,
    MoveAgendaItem,
    RemoveAgendaItem,
    RenameAgendaItem,
    SetAttendance,
    SetCurrentAgendaItem,
    SetSiteReady,
)
from server.core.events import (
    AgendaEntry,
    AgendaItemAdded,
    AgendaItemMoved,
    AgendaItemRemoved,
    AgendaItemRenamed,
    AttendanceSet,
    CurrentAgendaItemSet,
    Event,
    MeetingCreated,
    SiteInfo,
    SiteReadySet,
)
from server.core.state import MeetingState


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Marks a message for translation; the shell translates it when it answers."""
    return message


# The standard programme of a dialogue conference (domain.md), in the meeting's language.
STANDARD_AGENDA = (
    "Tuyên bố lý do, giới thiệu đại biểu",
    "Phát biểu khai mạc của chủ trì",
    "Báo cáo tình hình kinh tế - xã hội, quốc phòng - an ninh",
    "Báo cáo tổng hợp ý kiến, kiến nghị trước hội nghị và kết quả giải quyết",
    "Đại biểu phát biểu, nêu ý kiến, kiến nghị",
    "Lãnh đạo trả lời, giải trình",
    "Phát biểu kết luận hội nghị",
)


class Rejected(msgspec.Struct, frozen=True):
    """A refused command. `message` is an English msgid; `params` fill its placeholders."""

    code: str
    message: str
    params: dict[str, str | int] = {}
    retryable: bool = False


class Context(msgspec.Struct, frozen=True):
    actor: Actor
    now: float
    new_id: Callable[[], str]
    meeting_id: str = ""


Decision = Sequence[Event] | Rejected


def clean_text(raw: str) -> str:
    """NFC, single-line, no control characters, trimmed: what users mean by their text."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(text.split())


def _text_problem(text: str, limit: int, field: str) -> Rejected | None:
    if not text:
        return Rejected("empty_text", N_("{field} must not be empty."), {"field": field})
    if len(text) > limit:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": field, "limit": limit},
        )
    return None


FORBIDDEN = Rejected("forbidden", N_("Your role may not do this."))
NO_MEETING = Rejected("no_meeting", N_("This meeting does not exist yet."))


def decide(state: MeetingState, command: Command, ctx: Context) -> Decision:
    if not isinstance(command, CreateMeeting) and state.info is None:
        return NO_MEETING
    return _decide(command, state, ctx)


@singledispatch
def _decide(command: Command, state: MeetingState, ctx: Context) -> Decision:
    del state, ctx
    return Rejected(
        "unknown_command", N_("Unknown command {name}."), {"name": type(command).__name__}
    )


@_decide.register
def _create(command: CreateMeeting, state: MeetingState, ctx: Context) -> Decision:
    if ctx.actor.role != "organiser":
        return FORBIDDEN
    if state.info is not None:
        return Rejected("meeting_exists", N_("This meeting exists already."))
    title, chair, hall = (
        clean_text(command.title),
        clean_text(command.chair),
        clean_text(command.main_hall),
    )
    site_names = [clean_text(name) for name in command.sites]
    agenda = [
        clean_text(t) for t in (command.agenda if command.agenda is not None else STANDARD_AGENDA)
    ]
    problem = (
        _text_problem(title, MAX_TITLE, N_("Title"))
        or _text_problem(chair, MAX_NAME, N_("Chair"))
        or _text_problem(hall, MAX_NAME, N_("Main hall"))
        or next((p for n in site_names if (p := _text_problem(n, MAX_NAME, N_("Site name")))), None)
        or next((p for t in agenda if (p := _text_problem(t, MAX_TITLE, N_("Agenda item")))), None)
    )
    if problem:
        return problem
    if len(agenda) > MAX_AGENDA_ITEMS:
        return Rejected("agenda_full", N_("At most {limit} agenda items."), {"limit": MAX_AGENDA_ITEMS})
    if len(site_names) + 1 > MAX_SITES:
        return Rejected("too_many_sites", N_("At most {limit} sites."), {"limit": MAX_SITES})
    all_names = [hall, *site_names]
    folded = [n.casefold() for n in all_names]
    if len(set(folded)) != len(folded):
        return Rejected("duplicate_site", N_("Two sites have the same name."))
    sites = tuple(
        SiteInfo(site_id=ctx.new_id(), name=name, is_main_hall=(i == 0))
        for i, name in enumerate(all_names)
    )
    entries = tuple(AgendaEntry(item_id=ctx.new_id(), title=t) for t in agenda)
    return [
        MeetingCreated(
            meeting_id=ctx.meeting_id,
            title=title,
            date=command.date,
            level=command.level,
            chair=chair,
            sites=sites,
            agenda=entries,
            at=ctx.now,
        )
    ]


def _host_only(ctx: Context) -> Rejected | None:
    return None if ctx.actor.role == "host" else FORBIDDEN


def _unknown_item(item_id: str) -> Rejected:
    return Rejected("unknown_agenda_item", N_("No agenda item {item_id}."), {"item_id": item_id})


@_decide.register
def _add_item(command: AddAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    title = clean_text(command.title)
    problem = _host_only(ctx) or _text_problem(title, MAX_TITLE, N_("Agenda item"))
    if problem:
        return problem
    if len(state.agenda) >= MAX_AGENDA_ITEMS:
        return Rejected(
            "agenda_full", N_("At most {limit} agenda items."), {"limit": MAX_AGENDA_ITEMS}
        )
    position = len(state.agenda) if command.position is None else command.position
    position = max(0, min(position, len(state.agenda)))
    return [AgendaItemAdded(item_id=ctx.new_id(), title=title, position=position)]


@_decide.register
def _rename_item(command: RenameAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    title = clean_text(command.title)
    problem = _host_only(ctx) or _text_problem(title, MAX_TITLE, N_("Agenda item"))
    if problem:
        return problem
    if state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    return [AgendaItemRenamed(item_id=command.item_id, title=title)]


@_decide.register
def _remove_item(command: RemoveAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    if problem := _host_only(ctx):
        return problem
    if state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    if state.current_item_id == command.item_id:
        return Rejected("item_on_screen", N_("This item is on screen now; move on first."))
    return [AgendaItemRemoved(item_id=command.item_id)]


@_decide.register
def _move_item(command: MoveAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    if problem := _host_only(ctx):
        return problem
    index = state.agenda_index(command.item_id)
    if index is None:
        return _unknown_item(command.item_id)
    position = max(0, min(command.position, len(state.agenda) - 1))
    return (
        [] if position == index else [AgendaItemMoved(item_id=command.item_id, position=position)]
    )


@_decide.register
def _set_current(command: SetCurrentAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    if problem := _host_only(ctx):
        return problem
    if command.item_id is not None and state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    if command.item_id == state.current_item_id:
        return []
    return [CurrentAgendaItemSet(item_id=command.item_id, at=ctx.now)]


OTHER_SITE = Rejected("other_site", N_("You may change only your own site."))


def _site_problem(site_id: str, state: MeetingState, ctx: Context) -> Rejected | None:
    """The host may touch any site; a site secretary only their own (P5)."""
    role = ctx.actor.role
    if role == "secretary" and ctx.actor.site_id != site_id:
        return OTHER_SITE
    if role not in ("host", "secretary"):
        return FORBIDDEN
    if state.site(site_id) is None:
        return Rejected("unknown_site", N_("No site {site_id}."), {"site_id": site_id})
    return None


@_decide.register
def _set_ready(command: SetSiteReady, state: MeetingState, ctx: Context) -> Decision:
    if problem := _site_problem(command.site_id, state, ctx):
        return problem
    site = state.site(command.site_id)
    if site is not None and site.ready == command.ready:
        return []
    return [SiteReadySet(site_id=command.site_id, ready=command.ready, at=ctx.now)]


@_decide.register
def _set_attendance(command: SetAttendance, state: MeetingState, ctx: Context) -> Decision:
    if problem := _site_problem(command.site_id, state, ctx):
        return problem
    if not 0 <= command.attendance <= MAX_ATTENDANCE:
        return Rejected(
            "bad_attendance",
            N_("Attendance must be a whole number from 0 to {limit}."),
            {"limit": MAX_ATTENDANCE},
        )
    return [AttendanceSet(site_id=command.site_id, attendance=command.attendance, at=ctx.now)]
