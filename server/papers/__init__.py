"""The meeting's papers, made from its Report (minutes, notice, sheets, invitations, the year):
each function returns a file's bytes and changes nothing. The web layer reads MEETING_PAPERS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.core.report import Report
from server.papers.pdf import minutes_pdf
from server.papers.sheets import questions_csv, questions_xlsx
from server.papers.word import conclusion_notice_docx, minutes_docx

# --- the table the web layer reads -------------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Paper:
    """One paper a meeting's report makes: how, what it is, and its file's name before the date."""

    make: Callable[[Report], bytes]
    media_type: str
    stem: str


MEETING_PAPERS: dict[str, Paper] = {
    "minutes.docx": Paper(minutes_docx, DOCX_TYPE, "bien-ban"),
    "minutes.pdf": Paper(minutes_pdf, "application/pdf", "bien-ban"),
    "conclusion.docx": Paper(conclusion_notice_docx, DOCX_TYPE, "thong-bao-ket-luan"),
    "questions.xlsx": Paper(questions_xlsx, XLSX_TYPE, "y-kien-va-so-lieu"),
    "questions.csv": Paper(questions_csv, "text/csv; charset=utf-8", "y-kien"),
}
