"""Times drawing every secretary's console after a host command, in-process (not a test):
the sections with their cache, as the server does, against the same sections drawn fresh.
With `--screens`, every kind of screen of the meeting as the server draws and encodes it after a
host command: the host's console (600 sites online), the desk, the displays, the phones and the
600 consoles, each kind timed on its own.

Run: `.venv/bin/python -m bench.render --sites 600 --events 20 [--screens]`
(see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import statistics
import time

import msgspec

from server.core.apply import apply
from server.core.commands import Actor, Command, CreateMeeting, SetCurrentAgendaItem
from server.core.decide import Rejected, decide
from server.core.rules import Context
from server.core.state import MeetingState, Question
from server.core.views import SitePresence, secretary_view, secretary_views
from server.web.render import Renderer, Sections
from server.web.screens import SCREENS, SECRETARY_SECTIONS, Drawing
from server.web.services import ViewMessage, encode_view

LANG = "vi"


def run(state: MeetingState, command: Command, actor: Actor) -> MeetingState:
    ids = itertools.count()
    ctx = Context(actor, time.time(), lambda: f"id{next(ids)}", "m1")
    decision = decide(state, command, ctx)
    if isinstance(decision, Rejected):
        raise RuntimeError(decision.code)  # noqa: TRY004 - a refused command, not a type error
    for event in decision:
        state = apply(state, event)
    return state


def cached(renderer: Renderer, state: MeetingState, sites: list[str]) -> None:
    for site_id in sites:
        renderer.render_sections(LANG, SECRETARY_SECTIONS, secretary_view(state, site_id))


def fresh(renderer: Renderer, state: MeetingState, sites: list[str]) -> None:
    """What drawing each console whole costs: every section, every time."""
    sections: Sections = SECRETARY_SECTIONS
    for site_id in sites:
        console = secretary_view(state, site_id)
        "".join(
            renderer.render(LANG, template, view={name: getattr(console, name) for name in fields})
            for template, fields in sections
        )


def screens(
    renderer: Renderer, state: MeetingState, presence: dict[str, SitePresence]
) -> dict[str, tuple[float, int]]:
    """Milliseconds to draw and encode each kind of screen once, as a change makes the server,
    and the bytes of one such message (one console's, for the consoles)."""
    sites = [site.site_id for site in state.sites]
    spent: dict[str, tuple[float, int]] = {}
    for kind, per_site in (
        ("host", False),
        ("questions", False),
        ("display", False),
        ("delegate", False),
        ("secretary", True),
    ):
        began = time.perf_counter()
        consoles = functools.cache(lambda: secretary_views(state))  # once per change, as served
        screen = SCREENS[kind]
        for site_id in sites if per_site else sites[:1]:
            drawing = Drawing(renderer, LANG, state, site_id, None, lambda: presence, consoles)
            message = ViewMessage(view=kind, epoch="e", seq=1, rev=0, html="")
            if screen.draw_encoded is None:
                html = screen.draw(drawing)
                data = encode_view(msgspec.structs.replace(message, html=html))
            else:
                data = b"".join((encode_view(message)[:-2], screen.draw_encoded(drawing), b'"}'))
        spent[kind] = ((time.perf_counter() - began) * 1000, len(data))
    return spent


def with_questions(state: MeetingState, count: int) -> MeetingState:
    """`count` open questions, a site's each in turn, half raised in a turn and half by phone."""
    base = Question("q", "", (), None, "", "committee", "ward", "phone", "", time.time())
    sites = [site.site_id for site in state.sites]
    made = tuple(
        msgspec.structs.replace(
            base,
            question_id=f"q{i}",
            text=f"Ý kiến số {i}: đề nghị sửa đường ngõ và lắp đèn chiếu sáng",
            site_id=sites[i % len(sites)],
            source="turn" if i % 2 else "phone",
        )
        for i in range(count)
    )
    return msgspec.structs.replace(state, questions=made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=600, help="sites, the main hall included")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--screens", action="store_true", help="every kind of screen, drawn")
    parser.add_argument("--questions", type=int, default=0, help="opinions spread over the sites")
    args = parser.parse_args()
    organiser = Actor("organiser")
    state = run(
        MeetingState(),
        CreateMeeting(
            title="Hội nghị đối thoại",
            date="2026-11-22",
            level="city",
            chair="Chủ tọa",
            main_hall="Hội trường",
            sites=[f"Điểm cầu {i}" for i in range(1, args.sites)],
        ),
        organiser,
    )
    state = with_questions(state, args.questions)
    sites = [site.site_id for site in state.sites]
    items = [entry.item_id for entry in state.agenda]
    renderer = Renderer()
    if args.screens:
        time_screens(renderer, state, sites, items, args.events)
        return
    cached(renderer, state, sites)  # warm: the sections that do not change are drawn once
    timings: dict[str, list[float]] = {"sections, cached": [], "sections, drawn fresh": []}
    for i in range(args.events):
        state = run(state, SetCurrentAgendaItem(item_id=items[i % 2]), Actor("host"))
        for name, draw in (("sections, cached", cached), ("sections, drawn fresh", fresh)):
            began = time.perf_counter()
            draw(renderer, state, sites)
            timings[name].append((time.perf_counter() - began) * 1000)
    print(f"{len(sites)} secretary consoles, {args.events} host commands (set the current item)")
    for name, values in timings.items():
        print(
            f"{name:24} median {statistics.median(values):7.1f} ms per event"
            f"  (min {min(values):.1f}, max {max(values):.1f})"
        )


def time_screens(
    renderer: Renderer, state: MeetingState, sites: list[str], items: list[str], events: int
) -> None:
    # Every site online, last seen before the commands (a host command is no site's sighting).
    presence = {site_id: SitePresence(1, 1, 24, time.time()) for site_id in sites}
    screens(renderer, state, presence)  # warm, as a server that has drawn them once
    timings: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    for i in range(events):
        state = run(state, SetCurrentAgendaItem(item_id=items[i % 2]), Actor("host"))
        for kind, (ms, size) in screens(renderer, state, presence).items():
            timings.setdefault(kind, []).append(ms)
            sizes[kind] = size
    totals = [sum(by_kind) for by_kind in zip(*timings.values(), strict=True)]
    print(
        f"every screen of {len(sites)} sites, {len(state.questions)} questions,"
        f" {events} host commands (set the current item)"
    )
    for kind, values in (*timings.items(), ("all", totals)):
        bytes_shown = f"  {sizes[kind] / 1000:,.1f} KB a message" if kind in sizes else ""
        print(
            f"{kind:10} median {statistics.median(values):7.1f} ms per event"
            f"  (min {min(values):.1f}, max {max(values):.1f}){bytes_shown}"
        )


if __name__ == "__main__":
    main()
