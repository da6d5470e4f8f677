"""Times each export of a meeting with many questions (not a test): `python -m bench.exports`."""

from __future__ import annotations

import argparse
import time

from server import exports
from tests.test_exports import many_questions_events, report_of

FORMATS = (
    "minutes_docx",
    "conclusion_notice_docx",
    "questions_xlsx",
    "questions_csv",
    "minutes_pdf",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--pdf-questions", type=int, default=10_000)
    args = parser.parse_args()
    for name in FORMATS:
        count = args.pdf_questions if name == "minutes_pdf" else args.questions
        report = report_of(many_questions_events(count))
        started = time.perf_counter()
        data = getattr(exports, name)(report)
        seconds = time.perf_counter() - started
        print(f"{name:24} {count:6} questions  {seconds:7.2f} s  {len(data) / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
