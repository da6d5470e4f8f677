"""decide(state, command) -> events or a rejection. Every rule of the meeting lives here."""

from __future__ import annotations

from functools import singledispatch

from server.core import delegates, floor, questions, votes
from server.core.commands import (
    MAX_AGENDA_ITEMS,
    MAX_ATTENDANCE,
    MAX_NAME,
    MAX_SITES,
    MAX_TITLE,
    AddAgendaItem,
    ArchiveMeeting,
    Command,
    CreateMeeting,
    MoveAgendaItem,
    RemoveAgendaItem,
    RenameAgendaItem,
    RestoreMeeting,
    SetAttendance,
    SetCurrentAgendaItem,
    SetJoinShown,
    SetOrganiserUnit,
    SetPapersHeading,
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
    JoinShownSet,
    MeetingArchived,
    MeetingCreated,
    MeetingRestored,
    OrganiserUnitSet,
    PapersHeading,
    PapersHeadingSet,
    SiteInfo,
    SiteReadySet,
)
from server.core.permissions import permitted
from server.core.report import under_way
from server.core.rules import (
    N_,
    NO_MEETING,
    Context,
    Decision,
    Rejected,
    clean_text,
    text_problem,
    unknown_site,
)
from server.core.state import MeetingState

__all__ = ["N_", "STANDARD_AGENDA", "Context", "Decision", "Rejected", "clean_text", "decide"]


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


ARCHIVED = Rejected("archived", N_("This meeting is archived: restore it first."))


def decide(state: MeetingState, command: Command, ctx: Context) -> Decision:
    if not isinstance(command, CreateMeeting) and state.info is None:
        return NO_MEETING
    acting = permitted(command, state, ctx)
    if isinstance(acting, Rejected):
        return acting
    if (
        state.info is not None
        and state.info.archived
        and not isinstance(command, ArchiveMeeting | RestoreMeeting)
    ):
        return ARCHIVED  # an archived draft changes only by being restored
    return _decide(command, state, acting)


@singledispatch
def _decide(command: Command, state: MeetingState, ctx: Context) -> Decision:
    del state, ctx
    return Rejected(
        "unknown_command", N_("Unknown command {name}."), {"name": type(command).__name__}
    )


@_decide.register
def _create(command: CreateMeeting, state: MeetingState, ctx: Context) -> Decision:
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
        text_problem(title, MAX_TITLE, N_("Title"))
        or text_problem(chair, MAX_NAME, N_("Chair"))
        or text_problem(hall, MAX_NAME, N_("Main hall"))
        or next((p for n in site_names if (p := text_problem(n, MAX_NAME, N_("Site name")))), None)
        or next((p for t in agenda if (p := text_problem(t, MAX_TITLE, N_("Agenda item")))), None)
    )
    if problem:
        return problem
    unit = _organiser_unit(command.unit, command.superior)
    if isinstance(unit, Rejected):
        return unit
    if len(agenda) > MAX_AGENDA_ITEMS:
        return Rejected(
            "agenda_full", N_("At most {limit} agenda items."), {"limit": MAX_AGENDA_ITEMS}
        )
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
        ),
        *([unit] if unit.unit else []),
    ]


def _organiser_unit(unit_typed: str, superior_typed: str) -> OrganiserUnitSet | Rejected:
    """The organising unit and the one above it, cleaned and checked; both "": not recorded."""
    unit, superior = clean_text(unit_typed), clean_text(superior_typed)
    if superior and not unit:
        return Rejected(
            "unit_missing", N_("Name the organising unit as well as the unit above it.")
        )
    for text, field in ((unit, N_("The organising unit")), (superior, N_("The unit above it"))):
        if text and (problem := text_problem(text, MAX_NAME, field)):
            return problem
    if superior and unit.casefold() == superior.casefold():
        return Rejected("unit_is_superior", N_("A unit cannot be the unit above itself."))
    return OrganiserUnitSet(unit, superior)


@_decide.register
def _set_unit(command: SetOrganiserUnit, state: MeetingState, _ctx: Context) -> Decision:
    unit = _organiser_unit(command.unit, command.superior)
    if isinstance(unit, Rejected):
        return unit
    info = state.info
    unchanged = info is not None and (info.unit, info.superior) == (unit.unit, unit.superior)
    return [] if unchanged else [unit]


@_decide.register
def _archive(_command: ArchiveMeeting, state: MeetingState, ctx: Context) -> Decision:
    if state.info is not None and state.info.archived:
        return []
    if under_way(state):
        return Rejected(
            "meeting_held", N_("This meeting has been opened: a meeting held cannot be archived.")
        )
    return [MeetingArchived(at=ctx.now)]


@_decide.register
def _restore(_command: RestoreMeeting, state: MeetingState, ctx: Context) -> Decision:
    if state.info is None or not state.info.archived:
        return []
    return [MeetingRestored(at=ctx.now)]


def _unknown_item(item_id: str) -> Rejected:
    return Rejected("unknown_agenda_item", N_("No agenda item {item_id}."), {"item_id": item_id})


@_decide.register
def _add_item(command: AddAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    title = clean_text(command.title)
    problem = text_problem(title, MAX_TITLE, N_("Agenda item"))
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
def _rename_item(command: RenameAgendaItem, state: MeetingState, _ctx: Context) -> Decision:
    title = clean_text(command.title)
    problem = text_problem(title, MAX_TITLE, N_("Agenda item"))
    if problem:
        return problem
    if state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    return [AgendaItemRenamed(item_id=command.item_id, title=title)]


@_decide.register
def _remove_item(command: RemoveAgendaItem, state: MeetingState, _ctx: Context) -> Decision:
    if state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    if state.current_item_id == command.item_id:
        return Rejected("item_on_screen", N_("This item is on screen now; move on first."))
    return [AgendaItemRemoved(item_id=command.item_id)]


@_decide.register
def _move_item(command: MoveAgendaItem, state: MeetingState, _ctx: Context) -> Decision:
    index = state.agenda_index(command.item_id)
    if index is None:
        return _unknown_item(command.item_id)
    position = max(0, min(command.position, len(state.agenda) - 1))
    return (
        [] if position == index else [AgendaItemMoved(item_id=command.item_id, position=position)]
    )


@_decide.register
def _set_current(command: SetCurrentAgendaItem, state: MeetingState, ctx: Context) -> Decision:
    if command.item_id is not None and state.agenda_index(command.item_id) is None:
        return _unknown_item(command.item_id)
    if command.item_id == state.current_item_id:
        return []
    return [CurrentAgendaItemSet(item_id=command.item_id, at=ctx.now)]


@_decide.register
def _set_join_shown(command: SetJoinShown, state: MeetingState, _ctx: Context) -> Decision:
    return [] if command.shown == state.join_shown else [JoinShownSet(shown=command.shown)]


@_decide.register
def _set_ready(command: SetSiteReady, state: MeetingState, ctx: Context) -> Decision:
    if problem := unknown_site(command.site_id, state):
        return problem
    site = state.site(command.site_id)
    if site is not None and site.ready == command.ready:
        return []
    return [SiteReadySet(site_id=command.site_id, ready=command.ready, at=ctx.now)]


@_decide.register
def _set_attendance(command: SetAttendance, state: MeetingState, ctx: Context) -> Decision:
    if problem := unknown_site(command.site_id, state):
        return problem
    if not 0 <= command.attendance <= MAX_ATTENDANCE:
        return Rejected(
            "bad_attendance",
            N_("Attendance must be a whole number from 0 to {limit}."),
            {"limit": MAX_ATTENDANCE},
        )
    return [AttendanceSet(site_id=command.site_id, attendance=command.attendance, at=ctx.now)]


@_decide.register
def _set_heading(command: SetPapersHeading, state: MeetingState, _ctx: Context) -> Decision:
    issuer, superior, place = map(clean_text, (command.issuer, command.superior, command.place))
    if problem := text_problem(issuer, MAX_NAME, N_("The issuing body")):
        return problem
    for text, field in ((superior, N_("The superior body")), (place, N_("The place name"))):
        if text and (problem := text_problem(text, MAX_NAME, field)):
            return problem
    # an issuing body is printed in capitals, as the decree sets it; the place as typed
    heading = PapersHeading(command.kind, issuer.upper(), superior.upper(), place)
    info = state.info
    return [] if info is not None and info.heading == heading else [PapersHeadingSet(heading)]


for _decider in (*floor.DECIDERS, *questions.DECIDERS, *votes.DECIDERS, *delegates.DECIDERS):
    _decide.register(_decider)
