"""Times each export of a meeting with many questions (not a test): `python -m bench.exports`."""

from __future__ import annotations

import argparse
import threading
import time

from server.core.events import PapersHeading
from server.core.report import Report
from server.core.state import MeetingInfo
from server.papers import MEETING_PAPERS
from server.papers.invitations import Invitation, invitations_pdf
from server.papers.pdf import minutes_pdf
from tests.test_exports import many_questions_events, report_of

FORMATS = ("minutes.docx", "conclusion.docx", "questions.xlsx", "questions.csv", "minutes.pdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--pdf-questions", type=int, default=10_000)
    parser.add_argument("--gil-questions", type=int, default=1_000)
    parser.add_argument("--invitations", type=int, default=600)
    args = parser.parse_args()
    for kind in FORMATS:
        make = MEETING_PAPERS[kind].make
        name = make.__name__
        count = args.pdf_questions if kind == "minutes.pdf" else args.questions
        report = report_of(many_questions_events(count))
        started = time.perf_counter()
        data = make(report)
        seconds = time.perf_counter() - started
        print(f"{name:24} {count:6} questions  {seconds:7.2f} s  {len(data) / 1e6:7.2f} MB")
    invited = invitations_of(args.invitations)
    started = time.perf_counter()
    data = invitations_pdf(invited[0], invited[1], "2026-12-02")
    seconds = time.perf_counter() - started
    print(
        f"{'invitations_pdf':24} {args.invitations:6} delegates  {seconds:7.2f} s"
        f"  {len(data) / 1e6:7.2f} MB"
    )
    longest, seconds = event_loop_gap(report_of(many_questions_events(args.gil_questions)))
    print(
        f"minutes_pdf of {args.gil_questions} questions on a thread ({seconds:.2f} s): the main"
        f" thread's longest wait for the GIL, ticking every 1 ms, was {longest:.1f} ms"
    )


def invitations_of(count: int) -> tuple[MeetingInfo, list[Invitation]]:
    """A meeting with a Party committee's heading and `count` delegates, each with a link."""
    info = MeetingInfo(
        "m1",
        "Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân phường năm 2026",
        "2026-12-12",
        "ward",
        "Bí thư Đảng ủy phường",
        0.0,
        PapersHeading("party", "ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH", "ĐẢNG BỘ QUẬN 1", "Tân Định"),
    )
    delegates = [
        Invitation(
            f"Nguyễn Thị Bích Ngọc {i}",
            "female" if i % 2 else "male",
            f"Tổ dân phố {i % 12 + 1}",
            f"Nhà văn hóa khu phố {i % 4 + 1}",
            f"https://diemcau.example/m/m1/d/{i:012x}~AbCdEfGhIjKlMnOp",
        )
        for i in range(count)
    ]
    return info, delegates


def event_loop_gap(report: Report) -> tuple[float, float]:
    """Builds the PDF on a thread, as the server does, while this thread ticks every millisecond:
    answers the longest gap between ticks (ms) and the build's seconds."""
    done = threading.Event()

    def build() -> None:
        minutes_pdf(report)
        done.set()

    worker = threading.Thread(target=build)
    began = last = time.perf_counter()
    worker.start()
    longest = 0.0
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest * 1000, time.perf_counter() - began


if __name__ == "__main__":
    main()
