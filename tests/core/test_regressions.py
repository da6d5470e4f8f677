"""Edges found by reading the core against its tests; each once failed."""

from __future__ import annotations

import itertools
import unicodedata

import msgspec

from server.core.apply import apply, replay
from server.core.commands import (
    MAX_AGENDA_ITEMS,
    MAX_TITLE,
    Actor,
    AddAgendaItem,
    Command,
    CreateMeeting,
)
from server.core.decide import Context, Rejected, decide
from server.core.events import AgendaItemMoved
from server.core.state import MeetingState


def organiser() -> Context:
    counter = itertools.count()
    return Context(Actor("organiser"), 1.0, lambda: f"i{next(counter)}", meeting_id="m")


def create(**fields: object) -> CreateMeeting:
    base: dict[str, object] = {
        "title": "T",
        "date": "2026-11-22",
        "level": "ward",
        "chair": "C",
        "main_hall": "H",
        "sites": [],
    }
    return msgspec.convert({**base, **fields}, CreateMeeting)


def test_a_meeting_cannot_be_created_with_more_agenda_items_than_may_be_added() -> None:
    # Built in-process, past the decoder's cap: decide itself must hold the limit.
    too_long = CreateMeeting(
        title="T",
        date="2026-11-22",
        level="ward",
        chair="C",
        main_hall="H",
        sites=[],
        agenda=[f"Mục {i}" for i in range(MAX_AGENDA_ITEMS + 1)],
    )
    decision = decide(
        MeetingState(),
        too_long,
        organiser(),
    )
    assert isinstance(decision, Rejected)
    assert decision.code == "agenda_full"


def test_a_decomposed_title_within_the_limit_decodes() -> None:
    title = unicodedata.normalize("NFD", "ế" * 150)  # 150 letters after NFC, 450 code points before
    assert len(unicodedata.normalize("NFC", title)) <= MAX_TITLE
    command = msgspec.json.decode(
        msgspec.json.encode({"type": "add_agenda_item", "title": title}), type=Command
    )
    assert isinstance(command, AddAgendaItem)
    assert command.title == title


def test_moving_an_unknown_item_is_a_no_op_like_rename_and_remove() -> None:
    created = decide(MeetingState(), create(), organiser())
    assert not isinstance(created, Rejected)
    state = replay(created)
    assert apply(state, AgendaItemMoved(item_id="ghost", position=0)) == state
