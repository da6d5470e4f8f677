"""What the core's feature tests share: a clock, contexts with fresh ids, decide-and-apply."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable

import msgspec

from server.core.apply import apply, replay
from server.core.commands import Actor, Command
from server.core.decide import Decision, decide
from server.core.events import Event, decode_event, encode_event
from server.core.rules import Context, Rejected
from server.core.state import MeetingState

T0 = 1_700_000_000.0
NOW = T0 + 5_000.5


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


# The checks every feature's tables run, case by case.


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
