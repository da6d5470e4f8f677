"""The phones' shared view with thousands of questions waiting, in-process (not a test): the
questions chosen before their rows are built, against a row built for every question and sorted
(as it was), in the same run, interleaved.

Run: `.venv/bin/python -m bench.phone_view --questions 5000` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import msgspec

from server.core.apply import replay
from server.core.events import AgendaEntry, MeetingCreated, SiteInfo
from server.core.state import MeetingState, Question
from server.core.views import PHONE_QUESTIONS_SHOWN, QuestionRow, delegate_view, question_row

T0 = 1_700_000_000.0


def waiting(questions: int, seed: int = 5) -> MeetingState:
    """A meeting with `questions` open questions, each supported by up to 40 phones."""
    chance = random.Random(seed)
    sites = tuple(SiteInfo(f"s{i}", f"Tổ dân phố {i}", is_main_hall=i == 0) for i in range(20))
    created = MeetingCreated(
        "m", "Hội nghị", "2026-12-02", "ward", "Chủ tọa", sites, (AgendaEntry("i", "Mở"),), T0
    )
    state = replay([created])
    base = Question("q", "", (), None, "", "committee", "ward", "phone", "", T0)
    made = tuple(
        msgspec.structs.replace(
            base,
            question_id=f"q{i}",
            text=f"Câu hỏi số {i}: đề nghị sửa đường ngõ và lắp đèn chiếu sáng",
            site_id=f"s{i % 20}",
            supporters=tuple(f"d{j}" for j in range(chance.randrange(40))),
        )
        for i in range(questions)
    )
    return msgspec.structs.replace(state, questions=made)


def every_row_sorted(state: MeetingState) -> list[QuestionRow]:
    """The baseline: what the phones' view did before, a row for every open question, sorted."""
    rows = (question_row(state, q) for q in state.questions if q.open and q.decision is None)
    return sorted(rows, key=lambda row: -row.support)[:PHONE_QUESTIONS_SHOWN]


def _timed(work: Callable[[MeetingState], object], state: MeetingState) -> float:
    start = time.perf_counter()
    work(state)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    print(f"{'questions':>9} {'cut first ms':>13} {'every row ms':>13} {'ratio':>7}")
    for n in args.questions:
        state = waiting(n)
        chosen = [r.question.question_id for r in delegate_view(state).questions]
        if chosen != [r.question.question_id for r in every_row_sorted(state)]:
            raise SystemExit("the two ways chose different questions: the figures would lie")
        now, before = [], []
        for _ in range(args.runs):  # interleaved: the machine's noise falls on both alike
            now.append(_timed(delegate_view, state))
            before.append(_timed(every_row_sorted, state))
        a, b = statistics.median(now), statistics.median(before)
        print(f"{n:>9} {a:>13.2f} {b:>13.2f} {b / a:>6.1f}x")


if __name__ == "__main__":
    main()
