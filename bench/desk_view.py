"""Bytes of the questions desk's view while phones' questions wait for moderation, in-process (not a
test): the page of them the desk now gets, against every one of them, as it was.

Run: `.venv/bin/python -m bench.desk_view --waiting 450` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse

import msgspec

from server.core.apply import replay
from server.core.events import (
    AgendaEntry,
    MeetingCreated,
    QuestionRecord,
    QuestionSubmitted,
    SiteInfo,
)
from server.core.state import MeetingState
from server.core.views import MODERATION_PAGE, question_row, questions_view
from server.web.render import Renderer

T0 = 1_700_000_000.0


def flooded(waiting: int) -> MeetingState:
    """A meeting whose phones (minted from one join link) sent `waiting` questions, unchecked."""
    created = MeetingCreated(
        meeting_id="m",
        title="Hội nghị đối thoại",
        date="2026-12-02",
        level="ward",
        chair="Chủ tịch UBND",
        sites=(SiteInfo("hall", "Hội trường", is_main_hall=True), SiteInfo("a", "Tổ dân phố 1")),
        agenda=(AgendaEntry("i", "Khai mạc"),),
        at=T0,
    )
    questions = (
        QuestionSubmitted(
            QuestionRecord(
                f"w{i}",
                f"Câu hỏi số {i} về đèn đường",
                "",
                "",
                "a",
                "",
                "committee",
                "ward",
                "",
                "phone",
            ),
            f"dev-{i}",
            T0 + i,
        )
        for i in range(waiting)
    )
    return replay([created, *questions])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiting", type=int, default=450)
    args = parser.parse_args()
    state, renderer = flooded(args.waiting), Renderer()
    paged = questions_view(state)
    every = msgspec.structs.replace(
        paged,
        moderation=tuple(
            question_row(state, q) for q in state.questions if q.moderation == "pending"
        ),
    )
    sizes = {
        name: len(renderer.render("vi", "live/questions.html", view=view).encode())
        for name, view in (("paged", paged), ("every one", every))
    }
    print(f"{args.waiting} questions waiting; the desk's view (HTML bytes, one change):")
    print(f"  a page of {MODERATION_PAGE} (now): {sizes['paged']:>10,}")
    print(f"  every one (before):  {sizes['every one']:>10,}")
    print(f"  ratio: {sizes['every one'] / sizes['paged']:.1f}x")


if __name__ == "__main__":
    main()
