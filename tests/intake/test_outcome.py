"""The "Kết quả giải quyết" cell as the Front's offices write it, read as an outcome."""

from __future__ import annotations

import pytest

from server.core.commands import PriorOutcomeDraft
from server.intake.outcome import OutcomeReading, read_outcome

PREPARED = "Đoàn kiểm tra liên ngành đã kiểm tra 9/9 trường."


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", OutcomeReading(None)),
        ("Chưa giải quyết", OutcomeReading(None)),
        ("chua tra loi", OutcomeReading(None)),
        ("Để hội nghị trả lời", OutcomeReading(None)),
        (
            "Đã trả lời tại Công văn số 123/UBND-QLĐT ngày 15/11/2026 của UBND phường Tân Định",
            OutcomeReading(
                PriorOutcomeDraft(
                    "answered",
                    "UBND phường Tân Định",
                    "Công văn số 123/UBND-QLĐT",
                    "2026-11-15",
                    "Đã trả lời tại Công văn số 123/UBND-QLĐT ngày 15/11/2026 của UBND phường Tân Định",
                )
            ),
        ),
        (
            "UBND phường đã trả lời bằng văn bản số 45/UBND ngày 3 tháng 11 năm 2026",
            OutcomeReading(
                PriorOutcomeDraft(
                    "answered",
                    "UBND phường",
                    "văn bản số 45/UBND",
                    "2026-11-03",
                    "UBND phường đã trả lời bằng văn bản số 45/UBND ngày 3 tháng 11 năm 2026",
                )
            ),
        ),
        (
            "Đã giải quyết xong",
            OutcomeReading(PriorOutcomeDraft("answered", text="Đã giải quyết xong")),
        ),
        ("x", OutcomeReading(PriorOutcomeDraft("answered", text=PREPARED))),
        (
            "Đã chuyển UBND quận giải quyết",
            OutcomeReading(
                PriorOutcomeDraft(
                    "forwarded",
                    "UBND quận",
                    text="Đã chuyển UBND quận giải quyết",
                    forwarded_to="district",
                )
            ),
        ),
        (
            "Chuyển Sở Xây dựng xem xét, ngày 10/11/2026",
            OutcomeReading(
                PriorOutcomeDraft(
                    "forwarded",
                    "Sở Xây dựng",
                    on="2026-11-10",
                    text="Chuyển Sở Xây dựng xem xét, ngày 10/11/2026",
                    forwarded_to="city",
                )
            ),
        ),
        (
            "Kiến nghị lên Bộ Công an",
            OutcomeReading(
                PriorOutcomeDraft(
                    "forwarded",
                    "Bộ Công an",
                    text="Kiến nghị lên Bộ Công an",
                    forwarded_to="central",
                )
            ),
        ),
        ("Đang xem xét", OutcomeReading(None, understood=False)),
    ],
)
def test_a_cell_reads_as_its_outcome(cell: str, expected: OutcomeReading) -> None:
    assert read_outcome(cell, PREPARED) == expected


def test_a_tick_with_nothing_to_show_is_not_understood() -> None:
    assert read_outcome("x") == OutcomeReading(None, understood=False)


def test_an_impossible_date_is_no_date() -> None:
    reading = read_outcome("Đã trả lời tại Công văn số 7/UBND ngày 30/02/2026")
    assert reading.prior is not None
    assert reading.prior.on == ""
