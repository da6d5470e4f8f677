"""Times drawing every secretary's console after a host command, in-process (not a test):
the sections with their cache, as the server does, against the same sections drawn fresh.

Run: `.venv/bin/python -m bench.render --sites 600 --events 20` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from server.core.apply import apply
from server.core.commands import Actor, Command, CreateMeeting, SetCurrentAgendaItem
from server.core.decide import Rejected, decide
from server.core.rules import Context
from server.core.state import MeetingState
from server.core.views import secretary_view
from server.web.render import Renderer, Sections
from server.web.screens import SECRETARY_SECTIONS

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=600, help="sites, the main hall included")
    parser.add_argument("--events", type=int, default=20)
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
    sites = [site.site_id for site in state.sites]
    items = [entry.item_id for entry in state.agenda]
    renderer = Renderer()
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


if __name__ == "__main__":
    main()
