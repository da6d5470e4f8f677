"""What the core's feature tests share: a clock, the meeting they start from and its actors,
contexts with fresh ids, decide-and-apply, and the checks their tables run."""

from __future__ import annotations

import itertools
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from server.core.apply import apply, replay
from server.core.commands import Actor, Command
from server.core.decide import Decision, decide
from server.core.events import (
    AgendaEntry,
    Event,
    Level,
    MeetingCreated,
    SiteInfo,
    decode_event,
    encode_event,
)
from server.core.rules import Context, Rejected
from server.core.state import MeetingState

T0 = 1_700_000_000.0
NOW = T0 + 5_000.5


# --- the meeting: the main hall and two sites, one agenda item ---------------------------------

HALL, SITE_A, SITE_B = "hall", "site-a", "site-b"
UNKNOWN_SITE = "no-such-site"
MAIN_HALL = SiteInfo(HALL, "Hội trường", is_main_hall=True)
SITES = (MAIN_HALL, SiteInfo(SITE_A, "Phường A"), SiteInfo(SITE_B, "Phường B"))
OPENING = (AgendaEntry("i-1", "Khai mạc"),)

HOST, ORGANISER = Actor("host"), Actor("organiser")
DISPLAY = Actor("display", SITE_A)
SEC_A, SEC_B = Actor("secretary", SITE_A), Actor("secretary", SITE_B)


def delegate(device: str, site_id: str = SITE_A, card: int | None = None) -> Actor:
    """A phone at a site (site A unless said), or a seat card's holder when `card` is given."""
    return Actor("delegate", site_id, device, card)


def other_site(site_id: str) -> str:
    return SITE_B if site_id == SITE_A else SITE_A


# The rows of the floor's and the questions' permission matrices: each actor as it stands to an
# entry of `site` owned by the phone `device`.
ACTORS: dict[str, Callable[[str, str], Actor]] = {
    "organiser": lambda _site, _device: ORGANISER,
    "host": lambda _site, _device: HOST,
    "desk": lambda _site, _device: Actor("desk"),
    "secretary-own": lambda site, _device: Actor("secretary", site),
    "secretary-other": lambda site, _device: Actor("secretary", other_site(site)),
    "display": lambda site, _device: Actor("display", site),
    "delegate-owner": lambda site, device: Actor("delegate", site, device),
    "delegate-other": lambda site, _device: Actor("delegate", site, "dev-stranger"),
}


def sites_named(**names: str) -> tuple[SiteInfo, ...]:
    """The main hall, then these sites by id: sites_named(a="Tổ dân phố 1")."""
    return (MAIN_HALL, *(SiteInfo(site_id, name) for site_id, name in names.items()))


def created(
    *,
    title: str = "Hội nghị đối thoại",
    date: str = "2025-06-01",
    level: Level = "ward",
    chair: str = "Chủ tịch UBND",
    sites: tuple[SiteInfo, ...] = SITES,
    agenda: tuple[AgendaEntry, ...] = OPENING,
    at: float = T0,
) -> MeetingCreated:
    """The meeting m-1; a test names what its assertions depend on."""
    return MeetingCreated("m-1", title, date, level, chair, sites, agenda, at)


def meeting(*events: Event) -> MeetingState:
    """The default meeting, then these events."""
    return replay([created(), *events])


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def id_source(prefix: str) -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


def ctx(actor: Actor, *, now: float = NOW) -> Context:
    """A fresh context: ids new-1, new-2, ... for every decision."""
    return Context(actor=actor, now=now, new_id=id_source("new"), meeting_id="m-1")


def run(state: MeetingState, command: Command, actor: Actor, *, now: float = NOW) -> Decision:
    return decide(state, command, ctx(actor, now=now))


def events_of(decision: Decision) -> list[Event]:
    assert not isinstance(decision, Rejected), decision
    return list(decision)


def code_of(decision: Decision) -> str:
    assert isinstance(decision, Rejected), decision
    return decision.code


def fold(state: MeetingState, *events: Event) -> MeetingState:
    for event in events:
        state = apply(state, event)
    return state


def do(state: MeetingState, command: Command, actor: Actor, *, now: float = NOW) -> MeetingState:
    """Decide and apply: the command must be accepted."""
    return fold(state, *events_of(decide(state, command, ctx(actor, now=now))))


# --- the tables: rows named by their first column; permission matrices --------------------------


def cases(table: Iterable[tuple[typing.Any, ...]]) -> list[typing.Any]:
    """A table's rows as pytest params, each with its first column as its id."""
    return [pytest.param(*row[1:], id=row[0]) for row in table]


def cells(matrix: Mapping[str, Sequence[str]], kinds: Iterable[str]) -> list[typing.Any]:
    """A permission matrix (rows: actors; columns: the kinds, in order) as (actor, kind, expected)
    params."""
    columns = list(kinds)
    return [
        pytest.param(actor, kind, row[i], id=f"{actor}-{kind}")
        for actor, row in matrix.items()
        for i, kind in enumerate(columns)
    ]


def command_kinds(*modules: ModuleType) -> set[type]:
    """The command types the features' DECIDERS take."""
    return {typing.get_type_hints(f)["command"] for module in modules for f in module.DECIDERS}


def codes_in_source(module: ModuleType) -> set[str]:
    """The rejection codes a feature's module writes out."""
    source = Path(str(module.__file__)).read_text(encoding="utf-8")
    return set(re.findall(r'Rejected\(\s*"([a-z_]+)"', source))


# --- the checks every feature's tables run, case by case ---------------------------------------


def check_accepted(
    state: MeetingState, command: Command, actor: Actor, expected: list[Event]
) -> None:
    """Exactly these events, decide leaves its input alone, and applying them changes the state
    unless there are none."""
    before = msgspec.json.encode(state)
    assert events_of(run(state, command, actor)) == expected
    assert msgspec.json.encode(state) == before, "decide changed its input"
    after = replay(expected, state)
    assert (after == state) == (not expected)


def check_rejected(state: MeetingState, command: Command, actor: Actor, code: str) -> None:
    """Exactly this code, with a message, not retryable, and the state as it was."""
    before_bytes = msgspec.json.encode(state)
    before = msgspec.json.decode(before_bytes, type=MeetingState)
    decision = run(state, command, actor)
    assert code_of(decision) == code
    assert isinstance(decision, Rejected)
    assert decision.message
    assert decision.message.format(**decision.params)  # every placeholder is filled
    assert not decision.retryable
    assert state == before
    assert msgspec.json.encode(state) == before_bytes


def check_round_trip(event: Event) -> None:
    """An event encodes, decodes to an equal value of the same type, and encodes the same."""
    data = encode_event(event)
    decoded = decode_event(data)
    assert decoded == event
    assert type(decoded) is type(event)
    assert encode_event(decoded) == data
    assert msgspec.json.decode(data)["type"] == type(event).__name__


def check_permission(state: MeetingState, command: Command, actor: Actor, expected: str) -> None:
    """One cell of a feature's permission matrix: `accepted` (events that change the state) or
    the code it is refused with."""
    decision = run(state, command, actor)
    if expected == "accepted":
        events = events_of(decision)
        assert events
        assert replay(events, state) != state
    else:
        assert code_of(decision) == expected
