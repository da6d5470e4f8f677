"""The questions, turns, statistics and sites as XLSX, the questions as CSV, and the sheet
helpers every workbook of the papers uses."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from server.core.report import (
    Counts,
    Report,
    ReportQuestion,
    ReportSite,
)
from server.papers.content import SatSection, satisfaction_sections, statistics_sections
from server.papers.text import (
    DELEGATE_HEADER,
    NOT_RECORDED,
    choice_shares,
    clean,
    date_cell,
    delegate_cells,
    fit_excel,
    label,
    looks_like_formula,
    percent_text,
)

# --- XLSX and CSV --------------------------------------------------------------------------------

# The columns of the "Câu hỏi" sheet and the CSV, with their widths in the sheet.
QUESTION_COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 6),
    ("Mã câu hỏi", 14),
    ("Nội dung ý kiến", 60),
    ("Người nêu", 24),
    ("Điểm cầu", 20),
    ("Lĩnh vực", 20),
    ("Cơ quan trả lời", 12),
    ("Thẩm quyền", 12),
    ("Nguồn", 18),
    ("Người trả lời", 22),
    ("Nội dung trả lời", 60),
    ("Kết luận của chủ trì", 22),
    ("Cơ quan thực hiện", 22),
    ("Thời hạn", 12),
    ("Chuyển đến cấp", 12),
    ("Lý do", 24),
    ("Tình trạng", 12),
    ("Văn bản trả lời", 40),
    ("Ngày trả lời bằng văn bản", 14),
    (label("choice", "satisfied"), 10),
    (label("choice", "partly"), 10),
    (label("choice", "not_satisfied"), 10),
    ("Tổng số phiếu", 10),
    ("Tỷ lệ hài lòng", 10),
)
Cell = str | int | float | dt.date | None


def _question_row(q: ReportQuestion) -> tuple[Cell, ...]:
    c = q.satisfaction
    return (
        q.number,
        q.question_id,
        q.text,
        q.askers,
        q.site,
        q.field,
        label("body", q.body),
        label("level", q.level),
        label("source", q.source),
        q.answered_by,
        q.answer,
        label("decision", q.decision),
        q.agency,
        date_cell(q.deadline) if q.deadline else "",
        label("level", q.forwarded_to) if q.forwarded_to else "",
        q.reason,
        label("follow_up", q.follow_up) if q.follow_up else "",
        q.written_answer,
        date_cell(q.answered_on) if q.answered_on else "",
        c.satisfied if c else None,
        c.partly if c else None,
        c.not_satisfied if c else None,
        c.total if c else None,
        c.satisfied_share if c else None,
    )


TURN_COLUMNS = (
    "Lượt",
    "Người phát biểu",
    "Tổ dân phố",
    "Điểm cầu",
    "Chủ đề",
    "Thời gian phát biểu (giây)",
    "Số ý kiến",
    "Nội dung ý kiến",
)
SITE_COLUMNS = (
    "Điểm cầu",
    "Điểm cầu chính",
    "Số người dự",
    "Lượt phát biểu",
    "Ý kiến trong phát biểu",
    "Câu hỏi",
    label("choice", "satisfied"),
    label("choice", "partly"),
    label("choice", "not_satisfied"),
    "Tổng số phiếu",
    "Tỷ lệ hài lòng",
)
STAT_COLUMNS = ("Nhóm", "Chỉ tiêu", "Số lượng", "Tỷ lệ")
SAT_COLUMNS = (
    "Mức độ hài lòng",
    "Đối tượng",
    label("choice", "satisfied"),
    "Tỷ lệ",
    label("choice", "partly"),
    "Tỷ lệ",
    label("choice", "not_satisfied"),
    "Tỷ lệ",
    "Tổng số phiếu",
)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _excel_text(text: str) -> str:
    return fit_excel(clean(text))


def put_cell(sheet: Any, row: int, column: int, value: Cell, *, wrap: bool = True) -> None:
    """One cell: text always stored as text, shares as percentages, dates as dates."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = _excel_text(value)
        cell.value = text
        # A string cell even when it looks like a formula (openpyxl would make it one), and
        # quotePrefix so Excel keeps it text when someone edits the cell.
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
        if wrap:
            cell.alignment = _WRAP
        return
    cell.value = value
    if isinstance(value, float):
        cell.number_format = "0.0%"
    elif isinstance(value, dt.date):
        cell.number_format = "dd/mm/yyyy"


def _put_rows(sheet: Any, first_row: int, rows: Iterable[Sequence[Cell]]) -> int:
    """Writes rows from `first_row`; returns the row after the last. (Counted here: openpyxl's
    max_row looks at every cell, which made 10,000 rows quadratic.)"""
    row = first_row
    for values in rows:
        for column, value in enumerate(values, start=1):
            put_cell(sheet, row, column, value)
        row += 1
    return row


def new_sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    widths: Sequence[float],
) -> tuple[Any, int]:
    """A sheet with a bold, frozen header row; returns it and the first row after the data."""
    sheet = workbook.create_sheet(title)
    for column, name in enumerate(header, start=1):
        put_cell(sheet, 1, column, name)
        sheet.cell(row=1, column=column).font = _BOLD
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    return sheet, _put_rows(sheet, 2, rows)


def questions_xlsx(report: Report) -> bytes:
    """Four sheets: the questions, the turns, every statistic, and the sites."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    new_sheet(
        workbook,
        "Câu hỏi",
        [name for name, _ in QUESTION_COLUMNS],
        (_question_row(q) for q in report.questions),
        [width for _, width in QUESTION_COLUMNS],
    )
    new_sheet(
        workbook,
        "Lượt phát biểu",
        TURN_COLUMNS,
        (
            (
                t.number,
                t.name,
                t.group,
                t.site,
                t.topic,
                t.spoken_seconds,
                len(t.opinions),
                "\n".join(f"{i}. {text}" for i, text in enumerate(t.opinions, start=1)),
            )
            for t in report.turns
        ),
        (6, 24, 20, 24, 30, 14, 10, 80),
    )
    stats, end = new_sheet(
        workbook,
        "Thống kê",
        STAT_COLUMNS,
        (
            (section.title, row.label, row.count, row.share)
            for section in statistics_sections(report)
            for row in section.rows
        ),
        (34, 40, 14, 14, 14, 10, 14, 10, 14),
    )
    _satisfaction_block(stats, end + 1, satisfaction_sections(report))  # after a blank row
    _sites_sheet(workbook, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# With delegates invited by name, the sites sheet gets their columns after "Số người dự".
DELEGATE_COLUMNS = tuple(f"Đại biểu: {name.lower()}" for name in DELEGATE_HEADER[2:])


def _sites_sheet(workbook: Any, report: Report) -> None:
    listed = report.statistics.delegates is not None
    columns = list(SITE_COLUMNS)
    columns[3:3] = DELEGATE_COLUMNS if listed else ()
    widths = [30, 12, 12, 12, 14, 10, 10, 10, 10, 10, 12]
    widths[3:3] = [10, 10, 8, 10, 12, 8] if listed else []

    def row(site: ReportSite) -> tuple[Cell, ...]:
        cells: list[Cell] = [
            site.name,
            "Có" if site.is_main_hall else "",
            NOT_RECORDED if site.attendance is None else site.attendance,
            site.turns,
            site.opinions,
            site.questions,
            site.satisfaction.satisfied,
            site.satisfaction.partly,
            site.satisfaction.not_satisfied,
            site.satisfaction.total,
            site.satisfaction.satisfied_share,
        ]
        if listed:
            cells[3:3] = delegate_cells(site.delegates) if site.delegates else [None] * 6
        return tuple(cells)

    new_sheet(workbook, "Điểm cầu", columns, map(row, report.sites), widths)


def _satisfaction_block(sheet: Any, first_row: int, sections: Sequence[SatSection]) -> None:
    """Below the counts, a table of its own: satisfaction has three counts and shares per line."""
    for column, name in enumerate(SAT_COLUMNS, start=1):
        put_cell(sheet, first_row, column, name)
        sheet.cell(row=first_row, column=column).font = _BOLD
    _put_rows(
        sheet,
        first_row + 1,
        (
            (
                section.title,
                row.subject,
                *_with_shares(row.counts),
                row.counts.total,
            )
            for section in sections
            for row in section.rows
        ),
    )


def _with_shares(counts: Counts) -> tuple[Cell, ...]:
    """Satisfied, its share, partly, its share, not satisfied, its share (adding up to 100 %)."""
    values = (counts.satisfied, counts.partly, counts.not_satisfied)
    return tuple(
        cell for n, share in zip(values, choice_shares(counts), strict=True) for cell in (n, share)
    )


def _csv_value(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, float):
        return percent_text(value)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int):
        return value
    text = clean(value)
    # A CSV has no cell types: the apostrophe is the only way to keep Excel from evaluating it.
    return fit_excel("'" + text if looks_like_formula(text) else text)


def questions_csv(report: Report) -> bytes:
    """The "Câu hỏi" sheet as CSV: UTF-8 with a BOM so Excel reads Vietnamese, CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in QUESTION_COLUMNS])
    for q in report.questions:
        writer.writerow([_csv_value(v) for v in _question_row(q)])
    return buffer.getvalue().encode("utf-8-sig")
