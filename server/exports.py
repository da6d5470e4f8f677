"""The meeting's papers, made from its Report: the minutes (DOCX, PDF), a draft conclusion notice
(DOCX), the questions as XLSX and CSV. Each function returns a file's bytes and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import msgspec
import segno
import typst
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from server.core.delegates import DelegateTotals, SiteAttendance
from server.core.report import (
    BODIES,
    DECISIONS,
    Attendance,
    Counts,
    Report,
    ReportQuestion,
    ReportSite,
    YearFigures,
    largest_remainder,
)
from server.core.state import Delegate, MeetingInfo

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates" / "export"
FONTS = ROOT / "static" / "vendor" / "be-vietnam-pro-ttf"
DOCX_FONT = "Times New Roman"  # the font of Vietnamese administrative papers

# These papers are official Vietnamese documents: Vietnamese only, whatever the UI language.
LABELS: dict[str, dict[str, str]] = {
    "body": {"party": "Đảng ủy", "council": "HĐND", "committee": "UBND", "other": "Khác"},
    "level": {
        "ward": "Phường/xã",
        "district": "Quận/huyện",
        "city": "Thành phố",
        "central": "Trung ương",
    },
    "decision": {
        "answered_before": "Đã trả lời trước hội nghị",
        "on_the_spot": "Trả lời tại hội nghị",
        "written": "Trả lời bằng văn bản",
        "forwarded": "Chuyển cấp có thẩm quyền",
        "not_taken_up": "Không tiếp thu",
        "undecided": "Chưa quyết định",
    },
    "source": {
        "intake": "Thu thập trước hội nghị",
        "turn": "Nêu khi phát biểu",
        "phone": "Từ điện thoại",
        "manual": "Thư ký nhập",
    },
    "follow_up": {"pending": "Đang chờ", "answered": "Đã trả lời", "overdue": "Quá hạn"},
    "choice": {
        "satisfied": "Hài lòng",
        "partly": "Tương đối hài lòng",
        "not_satisfied": "Chưa hài lòng",
    },
}
NOT_RECORDED = "chưa ghi nhận"  # a count nobody entered: never printed as 0
NO_FIELD = "Chưa xác định lĩnh vực"
NO_SITE = "Chưa xác định điểm cầu"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) Excel keeps in one cell
CUT_MARK = "…"
# XML 1.0 has no place for these: openpyxl raises IllegalCharacterError and lxml refuses them.
# Tab, newline and carriage return are allowed and kept; lone surrogates cannot even be encoded.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Spreadsheets evaluate a cell that starts with these; the full-width forms count in some locales.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def label(kind: str, code: str) -> str:
    """The Vietnamese name of a code; an unknown code is shown as it is rather than lost."""
    return LABELS[kind].get(code, code)


def clean(text: str) -> str:
    """Text every format can hold: no characters XML forbids, composed (NFC) Vietnamese."""
    return unicodedata.normalize("NFC", _XML_ILLEGAL.sub("", text))


def looks_like_formula(text: str) -> bool:
    # Excel skips leading blanks before deciding, and a leading tab or CR starts an injection too.
    return text[:1] in ("\t", "\r") or text.lstrip()[:1] in _FORMULA_STARTS


def fit_excel(text: str) -> str:
    """Cut what Excel cannot hold, with a visible mark; counts UTF-16 units as Excel does."""
    if 2 * len(text) <= EXCEL_CELL_LIMIT:
        return text
    units = text.encode("utf-16-le")
    if len(units) // 2 <= EXCEL_CELL_LIMIT:
        return text
    # errors="ignore" drops half a surrogate pair left at the cut
    return units[: 2 * (EXCEL_CELL_LIMIT - len(CUT_MARK))].decode("utf-16-le", "ignore") + CUT_MARK


def vn_date(iso: str) -> str:
    """2025-06-01 -> 01/06/2025; anything else is shown as it is."""
    try:
        return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return clean(iso)


def _date_cell(iso: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(iso)
    except ValueError:
        return iso


def long_date(iso: str, place: str = "") -> str:
    """The date line, e.g. "Tân Định, ngày 02 tháng 12 năm 2026": Decree 30/2020 writes a 0 before
    a day under 10 and before the months 1 and 2 only ("ngày 15 tháng 3")."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return clean(iso)
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    words = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{clean(place)}, {words}" if place else words.capitalize()


PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"
# The issuing body's short name in a paper's number: "Số:      /TB-UBND", "Số     -TB/ĐU".
ISSUER_SYMBOLS = {"party": "ĐU", "council": "HĐND", "committee": "UBND", "front": "MTTQ"}


@dataclass(frozen=True)
class Heading:
    """The top of an administrative paper. Left: the body above the issuer, the issuer, and the
    number left blank for the clerk; right: the national title and motto (a Party committee's
    papers carry the Party's title instead, Hướng dẫn 36-HD/VPTW) over the place and date."""

    superior: str
    issuer: str
    number: str
    titles: tuple[str, ...]  # the last one is underlined
    date_line: str
    party: bool


def paper_heading(info: MeetingInfo, iso_date: str, paper: str) -> Heading:
    """`paper` is the kind's symbol: BB (biên bản), TB (thông báo), GM (giấy mời)."""
    heading = info.heading
    if heading is None:  # nobody chose the issuing body yet: the national heading alone
        return Heading("", "", "", (NATION, MOTTO), long_date(iso_date), party=False)
    symbol = ISSUER_SYMBOLS[heading.kind]
    party = heading.kind == "party"
    blank = "\u00a0" * 6  # room for the clerk's hand-written number
    return Heading(
        superior=clean(heading.superior),
        issuer=clean(heading.issuer),
        number=f"Số{blank}-{paper}/{symbol}" if party else f"Số:{blank}/{paper}-{symbol}",
        titles=(PARTY_TITLE,) if party else (NATION, MOTTO),
        date_line=long_date(iso_date, heading.place),
        party=party,
    )


TENTHS = 1000  # shares are printed to a tenth of a percent


def shares(counts: Sequence[int], whole: int) -> tuple[float | None, ...]:
    """Each count's share of `whole`, as a fraction to a tenth of a percent. Counts that make up
    the whole share it by largest remainder, so the printed shares add up to exactly 100 %
    (rounding each on its own printed 100,1 %); None when the whole is 0."""
    if whole <= 0:
        return tuple(None for _ in counts)
    if sum(counts) == whole:
        return tuple(t / TENTHS for t in largest_remainder(counts, TENTHS))
    return tuple(largest_remainder((n, max(whole - n, 0)), TENTHS)[0] / TENTHS for n in counts)


def percent_text(share: float | None) -> str:
    """62,5% (Vietnamese decimal comma), 50% without a trailing ,0; "—" when there is no whole."""
    if share is None:
        return "—"
    return f"{share * 100:.1f}".removesuffix(".0").replace(".", ",") + "%"


def site_attendance_text(count: int | None) -> str:
    return NOT_RECORDED if count is None else str(count)


def attendance_text(attendance: Attendance) -> str:
    """350; 200 (2 điểm cầu chưa ghi nhận) when some sites entered none; chưa ghi nhận."""
    if attendance.total is not None:
        return str(attendance.total)
    if attendance.recorded:
        return f"{attendance.entered} ({attendance.sites_missing} điểm cầu {NOT_RECORDED})"
    return NOT_RECORDED


def _attendance_cell(attendance: Attendance) -> int | str:
    """A number only when it is the whole; otherwise the words, so no sheet sums a part."""
    return attendance.total if attendance.total is not None else attendance_text(attendance)


def _attendance_sentence(report: Report) -> str:
    attendance, sites = report.statistics.attendance, len(report.sites)
    if attendance.total is not None:
        return f"Hội nghị có {attendance.total} người dự tại {sites} điểm cầu."
    if attendance.recorded:
        return (
            f"Hội nghị được tổ chức tại {sites} điểm cầu; số người dự đã ghi nhận tại"
            f" {attendance.sites_entered} điểm cầu là {attendance.entered} người,"
            f" {attendance.sites_missing} điểm cầu chưa ghi nhận số người dự."
        )
    return f"Hội nghị được tổ chức tại {sites} điểm cầu; số người dự {NOT_RECORDED}."


def number_text(n: int) -> str:
    """1.732: thousands set apart with a dot, as Vietnamese papers print them."""
    return f"{n:,}".replace(",", ".")


def delegates_text(d: DelegateTotals) -> str:
    """1.732 (được mời 1.800; nữ 812; dưới 35 tuổi 240; không có giấy mời 12; vắng 60); where
    some site took no attendance, what was taken and where it was not."""
    taken = d.present.total + d.walk_ins
    if d.attending is not None:
        head = number_text(d.attending)
    elif d.sites_taken:
        head = f"{number_text(taken)} ({d.sites_missing} điểm cầu {NOT_RECORDED})"
    else:
        head = NOT_RECORDED
    parts = [f"được mời {number_text(d.invited.total)}"]
    if d.sites_taken:
        parts += [f"nữ {number_text(d.present.women)}", f"dưới 35 tuổi {d.present.under_35}"]
        parts += [f"không có giấy mời {d.walk_ins}"] if d.walk_ins else []
        parts.append(f"vắng {d.absent}")
    return f"{head} ({'; '.join(parts)})"


DELEGATE_HEADER = (
    "STT",
    "Điểm cầu",
    "Được mời",
    "Có mặt",
    "Nữ",
    "Dưới 35 tuổi",
    "Không có giấy mời",
    "Vắng",
)


def delegate_cells(a: SiteAttendance) -> tuple[int | str, ...]:
    """Invited, present, women and under 35 among them, walk-ins, absent: a site whose door
    took nothing reads "chưa ghi nhận" from "present" on, never 0; so do walk-ins nobody
    counted."""
    if not a.taken:
        return (a.invited.total, *[NOT_RECORDED] * 5)
    p = a.present
    walk_ins = NOT_RECORDED if a.walk_ins is None else a.walk_ins  # as the door reads it
    return (a.invited.total, p.total, p.women, p.under_35, walk_ins, a.absent)


def _delegate_rows(report: Report) -> tuple[tuple[str, ...], ...]:
    listed = [site for site in report.sites if site.delegates is not None]
    return tuple(
        (str(i), clean(site.name), *map(str, delegate_cells(site.delegates)))
        for i, site in enumerate(listed, start=1)
        if site.delegates is not None
    )


def _delegate_section(d: DelegateTotals | None) -> tuple[StatSection, ...]:
    if d is None:
        return ()

    def taken(n: int) -> int | str:  # a number only where it is the whole, as for attendance
        if not d.sites_taken:
            return NOT_RECORDED
        return f"{n} ({d.sites_missing} điểm cầu {NOT_RECORDED})" if d.sites_missing else n

    return (
        StatSection(
            "Đại biểu theo giấy mời",
            (
                StatRow("Được mời", d.invited.total),
                StatRow("Có mặt theo giấy mời", taken(d.present.total)),
                StatRow("Trong đó nữ", taken(d.present.women)),
                StatRow("Trong đó dưới 35 tuổi", taken(d.present.under_35)),
                StatRow("Không có giấy mời", taken(d.walk_ins)),
                StatRow("Vắng", taken(d.absent)),
            ),
        ),
    )


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} giây"
    return f"{minutes} phút {rest} giây" if rest else f"{minutes} phút"


def _choice_shares(counts: Counts) -> tuple[float | None, ...]:
    return tuple(t / TENTHS for t in counts.shares(TENTHS)) if counts.total else (None,) * 3


def _counts_with_shares(counts: Counts) -> tuple[str, str, str]:
    """Satisfied, partly, not satisfied as "16 (72,7%)", the three shares adding up to 100 %."""
    values = (counts.satisfied, counts.partly, counts.not_satisfied)
    if not counts.total:
        return (str(values[0]), str(values[1]), str(values[2]))
    shown = zip(values, _choice_shares(counts), strict=True)
    a, b, c = (f"{n} ({percent_text(share)})" for n, share in shown)
    return (a, b, c)


def _satisfaction_text(counts: Counts) -> str:
    parts = (
        f"{label('choice', choice)} {text}"
        for choice, text in zip(
            ("satisfied", "partly", "not_satisfied"), _counts_with_shares(counts), strict=True
        )
    )
    return "; ".join(parts) + f"; tổng số {counts.total} phiếu"


def _decision_text(question: ReportQuestion) -> str:
    text = label("decision", question.decision)
    if question.decision == "forwarded" and question.forwarded_to:
        text += f" ({label('level', question.forwarded_to)})"
    return text


# --- what the minutes say, whatever the format -------------------------------------------------


@dataclass(frozen=True)
class StatRow:
    label: str
    count: int | str  # a text where the figure is not a plain count ("chưa ghi nhận")
    whole: int | None = None  # what the share is of, when a share means something
    share: float | None = None  # of `whole`, worked out with the rows it adds up with

    @property
    def share_text(self) -> str:
        return "" if self.whole is None else percent_text(self.share)


def share_rows(pairs: Iterable[tuple[str, int]], whole: int) -> tuple[StatRow, ...]:
    """Rows with their shares of `whole`: those that make it up add up to 100 %."""
    listed = [(clean(name), n) for name, n in pairs]
    return tuple(
        StatRow(name, n, whole, share)
        for (name, n), share in zip(listed, shares([n for _, n in listed], whole), strict=True)
    )


@dataclass(frozen=True)
class StatSection:
    title: str
    rows: tuple[StatRow, ...]


@dataclass(frozen=True)
class SatRow:
    subject: str
    counts: Counts

    @property
    def cells(self) -> tuple[str, str, str, str]:
        return (*_counts_with_shares(self.counts), str(self.counts.total))


@dataclass(frozen=True)
class SatSection:
    title: str
    rows: tuple[SatRow, ...]


@dataclass(frozen=True)
class TurnBlock:
    heading: str
    details: str
    opinions: tuple[str, ...]


@dataclass(frozen=True)
class QuestionBlock:
    heading: str
    text: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Minutes:
    title: str
    heading: Heading
    facts: tuple[tuple[str, str], ...]
    site_header: tuple[str, ...]
    sites: tuple[tuple[str, ...], ...]
    delegate_header: tuple[str, ...]
    delegates: tuple[tuple[str, ...], ...]  # a row per site that invited delegates, if any did
    agenda: tuple[str, ...]
    turns: tuple[TurnBlock, ...]
    questions: tuple[QuestionBlock, ...]
    summary: tuple[str, ...]
    statistics: tuple[StatSection, ...]
    satisfaction: tuple[SatSection, ...]
    chair: str


SAT_HEADER = (
    "Đối tượng",
    LABELS["choice"]["satisfied"],
    LABELS["choice"]["partly"],
    LABELS["choice"]["not_satisfied"],
    "Tổng số phiếu",
)
STAT_HEADER = ("Chỉ tiêu", "Số lượng", "Tỷ lệ")


def statistics_sections(report: Report) -> tuple[StatSection, ...]:
    """Every count of the statistics, each with its share of the section's whole."""
    s = report.statistics
    total = len(report.questions)
    forwarded = sum(n for _, n in s.forwarded_by_level)

    rows = share_rows
    pending = s.promised - s.promised_answered - s.promised_overdue
    return (
        StatSection(
            "Tổng quan",
            (
                StatRow("Số điểm cầu", len(report.sites)),
                StatRow("Số người dự", _attendance_cell(s.attendance)),
                StatRow("Số lượt phát biểu", s.turns),
                StatRow("Số ý kiến nêu trong các lượt phát biểu", s.opinions_in_turns),
                StatRow("Tổng số ý kiến, kiến nghị", total),
            ),
        ),
        *_delegate_section(s.delegates),
        StatSection(
            "Nguồn ý kiến, kiến nghị",
            rows(
                [
                    ("Thu thập trước hội nghị", s.collected_before),
                    ("Nêu tại hội nghị", s.raised_in_hall),
                ],
                total,
            ),
        ),
        StatSection(
            "Nêu tại hội nghị, theo cơ quan trả lời",
            rows(((label("body", b), n) for b, n in s.raised_in_hall_by_body), s.raised_in_hall),
        ),
        StatSection(
            "Theo lĩnh vực",
            rows(((NO_FIELD if f == "—" else f, n) for f, n in s.by_field), total),
        ),
        StatSection(
            "Theo cơ quan trả lời", rows(((label("body", b), n) for b, n in s.by_body), total)
        ),
        StatSection(
            "Theo thẩm quyền", rows(((label("level", v), n) for v, n in s.by_level), total)
        ),
        StatSection(
            "Theo điểm cầu",
            rows(((NO_SITE if name == "—" else name, n) for name, n in s.by_site), total),
        ),
        StatSection(
            "Kết quả xử lý", rows(((label("decision", d), n) for d, n in s.by_decision), total)
        ),
        StatSection(
            "Chuyển cấp có thẩm quyền, theo cấp nhận",
            rows(((label("level", v), n) for v, n in s.forwarded_by_level), forwarded),
        ),
        StatSection(
            "Theo dõi nội dung hẹn trả lời sau",
            (
                StatRow("Hẹn trả lời sau (bằng văn bản, chuyển cấp)", s.promised),
                *rows(
                    [
                        (label("follow_up", "answered"), s.promised_answered),
                        (label("follow_up", "overdue"), s.promised_overdue),
                        (label("follow_up", "pending"), pending),
                    ],
                    s.promised,
                ),
            ),
        ),
    )


def satisfaction_sections(report: Report) -> tuple[SatSection, ...]:
    """Satisfaction per question, per answering body, per site and overall (phones and paper)."""
    s = report.statistics
    overall = [SatRow("Các câu hỏi", s.satisfaction_questions)]
    if s.satisfaction_meeting is not None:
        overall.append(SatRow("Hội nghị (biểu quyết chung)", s.satisfaction_meeting))
    return (
        SatSection(
            "Theo câu hỏi",
            tuple(
                SatRow(f"Câu {q.number}", q.satisfaction)
                for q in report.questions
                if q.satisfaction is not None
            ),
        ),
        SatSection(
            "Theo cơ quan trả lời",
            tuple(SatRow(label("body", b), c) for b, c in s.satisfaction_by_body),
        ),
        SatSection(
            # the report counts every ballot at a site, the meeting's own included
            "Theo điểm cầu (gồm cả biểu quyết chung về hội nghị)",
            tuple(SatRow(clean(site.name), site.satisfaction) for site in report.sites),
        ),
        SatSection("Tổng hợp", tuple(overall)),
    )


def _joined(pairs: Iterable[tuple[str, int]], unit: str) -> str:
    return ", ".join(f"{n} {unit}{name}" for name, n in pairs if n)


def summary_sentences(report: Report) -> tuple[str, ...]:
    """The statistics in the words of the minutes."""
    s = report.statistics
    total = len(report.questions)
    by_decision = dict(s.by_decision)
    bodies = {**LABELS["body"], "other": "cơ quan khác"}  # "1 về Khác" reads badly in a sentence
    in_hall = _joined(((bodies[b], n) for b, n in s.raised_in_hall_by_body), "về ")
    forwarded = _joined(((label("level", v), n) for v, n in s.forwarded_by_level), "lên ")
    government = s.raised_in_hall_government  # "chính quyền": HĐND and UBND together
    sentences = [
        _attendance_sentence(report),
        *([f"Tổng số đại biểu dự: {delegates_text(s.delegates)}."] if s.delegates else []),
        f"Tổng số {total} ý kiến, kiến nghị: {s.collected_before} ý kiến thu thập trước hội nghị"
        f" và {s.raised_in_hall} ý kiến nêu tại hội nghị"
        + (f" ({in_hall}; {government} ý kiến về chính quyền)." if in_hall else "."),
        f"Có {s.turns} lượt phát biểu với {s.opinions_in_turns} ý kiến.",
        f"{by_decision['answered_before']} ý kiến đã được trả lời trước hội nghị,"
        f" {by_decision['on_the_spot']} ý kiến được trả lời tại hội nghị,"
        f" {by_decision['written']} ý kiến hẹn trả lời bằng văn bản,"
        f" {by_decision['forwarded']} ý kiến chuyển cấp có thẩm quyền"
        + (f" ({forwarded})" if forwarded else "")
        + f", {by_decision['not_taken_up']} ý kiến không tiếp thu,"
        f" {by_decision['undecided']} ý kiến chưa quyết định.",
    ]
    q = s.satisfaction_questions
    if q.total:
        sentences.append(f"Biểu quyết về các câu trả lời: {_satisfaction_text(q)}.")
    if s.satisfaction_meeting is not None and s.satisfaction_meeting.total:
        m = s.satisfaction_meeting
        sentences.append(f"Biểu quyết về hội nghị: {_satisfaction_text(m)}.")
    return tuple(sentences)


def _question_fields(q: ReportQuestion) -> tuple[tuple[str, str], ...]:
    fields = [
        ("Người nêu", q.askers),
        ("Điểm cầu", q.site),
        ("Lĩnh vực", q.field),
        ("Cơ quan trả lời", label("body", q.body)),
        ("Thẩm quyền", label("level", q.level)),
        ("Nguồn", label("source", q.source)),
        ("Người trả lời", q.answered_by),
        ("Nội dung trả lời", q.answer),
        ("Kết luận của chủ trì", _decision_text(q)),
        ("Cơ quan thực hiện", q.agency),
        ("Thời hạn", vn_date(q.deadline)),
        ("Lý do", q.reason),
        ("Tình trạng", label("follow_up", q.follow_up) if q.follow_up else ""),
        ("Văn bản trả lời", q.written_answer),
        ("Ngày trả lời bằng văn bản", vn_date(q.answered_on)),
        ("Kết quả biểu quyết", _satisfaction_text(q.satisfaction) if q.satisfaction else ""),
    ]
    return tuple((name, clean(value)) for name, value in fields if value)


def minutes_content(report: Report) -> Minutes:
    """What the minutes say; the DOCX and the PDF lay out the same content."""
    info = report.info
    site_rows = tuple(
        (
            str(i),
            clean(site.name) + (" (điểm cầu chính)" if site.is_main_hall else ""),
            site_attendance_text(site.attendance),
            str(site.turns),
            str(site.opinions),
            str(site.questions),
        )
        for i, site in enumerate(report.sites, start=1)
    )
    turns = tuple(
        TurnBlock(
            heading=clean(
                f"Lượt {t.number}: {t.name}"
                + (f" ({t.group})" if t.group else "")
                + (f" — {t.site}" if t.site else "")
            ),
            details=clean(
                "; ".join(
                    part
                    for part in (
                        f"Chủ đề: {t.topic}" if t.topic else "",
                        f"Thời gian phát biểu: {_duration(t.spoken_seconds)}",
                    )
                    if part
                )
            ),
            opinions=tuple(clean(text) for text in t.opinions),
        )
        for t in report.turns
    )
    return Minutes(
        title=clean(info.title),
        heading=paper_heading(info, info.date, "BB"),
        facts=(
            ("Tên hội nghị", clean(info.title)),
            ("Ngày", vn_date(info.date)),
            ("Cấp", label("level", info.level)),
            ("Chủ trì", clean(info.chair)),
            ("Số điểm cầu", str(len(report.sites))),
            ("Tổng số người dự", attendance_text(report.statistics.attendance)),
            *(
                [("Tổng số đại biểu dự", delegates_text(report.statistics.delegates))]
                if report.statistics.delegates
                else []
            ),
        ),
        site_header=("STT", "Điểm cầu", "Số người dự", "Lượt phát biểu", "Ý kiến", "Câu hỏi"),
        sites=site_rows,
        delegate_header=DELEGATE_HEADER,
        delegates=_delegate_rows(report),
        agenda=tuple(clean(title) for title in report.agenda),
        turns=turns,
        questions=tuple(
            QuestionBlock(f"Câu {q.number}", clean(q.text), _question_fields(q))
            for q in report.questions
        ),
        summary=summary_sentences(report),
        statistics=statistics_sections(report),
        satisfaction=satisfaction_sections(report),
        chair=clean(info.chair),
    )


# --- DOCX ----------------------------------------------------------------------------------------


def _new_docx() -> DocxDocument:
    document = Document()
    section = document.sections[0]
    # A4 and the margins of Decree 30/2020 on administrative documents.
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    styles_element = document.styles.element
    # Theme fonts (Calibri, Cambria) win over a named font, so they go, on every script.
    for fonts in styles_element.iter(qn("w:rFonts")):
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), DOCX_FONT)
    for lang in styles_element.iter(qn("w:lang")):
        lang.set(qn("w:val"), "vi-VN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(13)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 15), ("Heading 1", 13), ("Heading 2", 13)):
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
    _page_numbers_from_page_two(document)
    return document


_SECTION_PROPERTIES = qn("w:sectPr")


def _new_paragraph(document: DocxDocument) -> Paragraph:
    """An empty paragraph at the end of the body. python-docx's add_paragraph looks for the
    section properties by scanning the whole body each time: quadratic, 11 minutes for the
    minutes of 10,000 questions. The section properties close the body, so insert before them."""
    element = cast(CT_P, OxmlElement("w:p"))
    body = document.element.body
    last = next(body.iterchildren(reversed=True), None)  # body.sectPr would scan the body too
    if last is not None and last.tag == _SECTION_PROPERTIES:
        last.addprevious(element)
    else:
        body.append(element)
    return Paragraph(element, document)


def _paragraph(
    document: DocxDocument,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    center: bool = False,
    right: bool = False,
) -> Paragraph:
    paragraph = _new_paragraph(document)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def _field_line(document: DocxDocument, name: str, value: str) -> None:
    paragraph = _new_paragraph(document)
    paragraph.add_run(f"{name}: ").bold = True
    paragraph.add_run(value)


def _heading(document: DocxDocument, heading: Heading) -> None:
    """The paper's heading as Decree 30/2020 lays it out: two columns without borders, the
    issuer's block left and the national (or the Party's) title right, then the place and date."""
    if not heading.issuer:
        for i, title in enumerate(heading.titles):
            paragraph = _paragraph(document, center=True)
            run = paragraph.add_run(title)
            run.bold = True
            run.underline = i == len(heading.titles) - 1
            paragraph.paragraph_format.space_after = Pt(0)
        _paragraph(document, heading.date_line, italic=True, right=True)
        return
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    lines = [(heading.superior, False, False), (heading.issuer, True, not heading.party)]
    lines += [("*", False, False)] if heading.party else []
    lines.append((heading.number, False, False))
    first = True
    for text, bold, underline in lines:
        if not text:
            continue
        paragraph = left.paragraphs[0] if first else left.add_paragraph()
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold = bold or None
        run.underline = underline or None
        run.font.size = Pt(12 if text != heading.number else 13)
    for i, title in enumerate(heading.titles):
        paragraph = right.paragraphs[0] if i == 0 else right.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(title)
        run.bold = True
        run.underline = i == len(heading.titles) - 1
        run.font.size = Pt(12 if i == 0 and not heading.party else 13)
    date = right.add_paragraph()
    date.alignment = WD_ALIGN_PARAGRAPH.CENTER
    date.paragraph_format.space_before = Pt(6)
    date.add_run(heading.date_line).italic = True
    _paragraph(document)


def _page_numbers_from_page_two(document: DocxDocument) -> None:
    """Decree 30/2020: the page number centred in the top margin, from the second page on."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _table(
    document: DocxDocument,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    widths_cm: Sequence[float],
) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Widths on the grid: every row added later takes them from there.
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    head = table.rows[0]
    for cell, text, width in zip(head.cells, header, widths_cm, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        cell.width = Cm(width)
    # the header row repeats on every page a long table runs onto
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(repeat)
    for values in rows:
        row = table.add_row()
        _keep_whole(row._tr)
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text


def _keep_whole(row: Any) -> None:
    """A table row never splits across two pages (a question cut after its first line, a
    signature away from its name)."""
    row.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _docx_statistics(document: DocxDocument, minutes: Minutes) -> None:
    for sentence in minutes.summary:
        _paragraph(document, sentence)
    for number, section in enumerate(minutes.statistics, start=1):
        document.add_heading(f"{number}. {section.title}", level=2)
        _table(
            document,
            STAT_HEADER,
            ((row.label, str(row.count), row.share_text) for row in section.rows),
            (10, 3, 3),
        )
    document.add_heading("Mức độ hài lòng (điện thoại và phiếu giấy)", level=2)
    for satisfaction in minutes.satisfaction:
        _paragraph(document, satisfaction.title, bold=True)
        if not satisfaction.rows:
            _paragraph(document, "Không có biểu quyết.", italic=True)
            continue
        _table(
            document,
            SAT_HEADER,
            ((row.subject, *row.cells) for row in satisfaction.rows),
            (4.4, 3.2, 3.2, 3.2, 2),
        )


def _signatures(document: DocxDocument, left: Sequence[str], right: str, right_name: str) -> None:
    """The closing block: on the left `left` (a title, or "Nơi nhận:" and its lines), on the
    right the signer's title, room to sign, and the name."""
    _paragraph(document)
    table = document.add_table(rows=1, cols=2)
    _keep_whole(table.rows[0]._tr)
    left_cell, right_cell = table.rows[0].cells
    for i, line in enumerate(left):
        paragraph = left_cell.paragraphs[0] if i == 0 else left_cell.add_paragraph()
        run = paragraph.add_run(line)
        if i == 0:
            run.bold = True
            if len(left) > 1:  # "Nơi nhận:" is set small and italic, its lines small
                run.italic = True
        if len(left) > 1:
            run.font.size = Pt(11 if i == 0 else 10)
        else:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = right_cell.paragraphs[0]
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(right).bold = True
    for _ in range(3):
        right_cell.add_paragraph()
    name = right_cell.add_paragraph()
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name.add_run(right_name).bold = True


def _docx_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def minutes_docx(report: Report) -> bytes:
    """BIÊN BẢN HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI as a Word document."""
    minutes = minutes_content(report)
    document = _new_docx()
    document.core_properties.title = f"Biên bản — {minutes.title}"[:255]
    document.core_properties.language = "vi-VN"
    _heading(document, minutes.heading)
    document.add_heading("BIÊN BẢN", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, "HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI", bold=True, center=True)
    _paragraph(document, minutes.title, bold=True, center=True)

    document.add_heading("I. THÔNG TIN CHUNG", level=1)
    for name, value in minutes.facts:
        _field_line(document, name, value)
    _paragraph(document, "Các điểm cầu:", bold=True)
    _table(document, minutes.site_header, minutes.sites, (1.4, 6.0, 2.4, 2.2, 2, 2))
    if minutes.delegates:
        _paragraph(document, "Đại biểu theo giấy mời:", bold=True)
        widths = (1.2, 4.4, 1.8, 1.8, 1.6, 1.8, 2.2, 1.2)
        _table(document, minutes.delegate_header, minutes.delegates, widths)

    document.add_heading("II. CHƯƠNG TRÌNH HỘI NGHỊ", level=1)
    for i, title in enumerate(minutes.agenda, start=1):
        _paragraph(document, f"{i}. {title}")
    if not minutes.agenda:
        _paragraph(document, "Không có chương trình.", italic=True)

    document.add_heading("III. Ý KIẾN PHÁT BIỂU", level=1)
    for turn in minutes.turns:
        # a heading line never stays alone at the foot of a page
        _paragraph(document, turn.heading, bold=True).paragraph_format.keep_with_next = True
        _paragraph(document, turn.details, italic=True)
        for i, opinion in enumerate(turn.opinions, start=1):
            _paragraph(document, f"{i}. {opinion}").paragraph_format.left_indent = Cm(0.75)
    if not minutes.turns:
        _paragraph(document, "Không có lượt phát biểu.", italic=True)

    document.add_heading("IV. Ý KIẾN, KIẾN NGHỊ VÀ TRẢ LỜI", level=1)
    for question in minutes.questions:
        paragraph = _new_paragraph(document)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run(f"{question.heading}. ").bold = True
        paragraph.add_run(question.text)
        for name, value in question.fields:
            _field_line(document, name, value)
    if not minutes.questions:
        _paragraph(document, "Không có ý kiến, kiến nghị.", italic=True)

    document.add_heading("V. THỐNG KÊ", level=1)
    _docx_statistics(document, minutes)
    _signatures(document, ["THƯ KÝ HỘI NGHỊ"], "CHỦ TRÌ HỘI NGHỊ", minutes.chair)
    return _docx_bytes(document)


NOTICE_HEADER = ("Câu", "Nội dung ý kiến, kiến nghị", "Hình thức", "Cơ quan thực hiện", "Thời hạn")


def notice_figures(report: Report) -> tuple[StatRow, ...]:
    """The key figures a conclusion notice repeats."""
    s = report.statistics
    total = len(report.questions)
    decided = dict(s.by_decision)
    figures = [
        StatRow("Số điểm cầu", len(report.sites)),
        StatRow("Số người dự", _attendance_cell(s.attendance)),
        StatRow("Số lượt phát biểu", s.turns),
        StatRow("Tổng số ý kiến, kiến nghị", total),
        *share_rows(
            [
                ("Thu thập trước hội nghị", s.collected_before),
                ("Nêu tại hội nghị", s.raised_in_hall),
            ],
            total,
        ),
        *share_rows(((label("decision", d), decided[d]) for d in DECISIONS), total),
    ]
    q, m = s.satisfaction_questions, s.satisfaction_meeting
    if q.total:
        figures.append(
            StatRow("Phiếu hài lòng về các câu trả lời", q.satisfied, q.total, q.satisfied_share)
        )
    if m is not None and m.total:
        figures.append(
            StatRow("Phiếu hài lòng về hội nghị", m.satisfied, m.total, m.satisfied_share)
        )
    return tuple(figures)


def conclusion_notice_docx(report: Report) -> bytes:
    """A draft THÔNG BÁO KẾT LUẬN: every promised answer by answering body, and the key figures."""
    info = report.info
    title = clean(info.title)
    document = _new_docx()
    document.core_properties.title = f"Thông báo kết luận — {title}"[:255]
    document.core_properties.language = "vi-VN"
    _heading(document, paper_heading(info, report.today, "TB"))
    document.add_heading("THÔNG BÁO", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(
        document,
        "KẾT LUẬN CỦA CHỦ TRÌ HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI",
        bold=True,
        center=True,
    )
    _paragraph(document, title, bold=True, center=True)
    _paragraph(document, "(Dự thảo)", italic=True, center=True)
    _paragraph(
        document,
        f"Ngày {vn_date(info.date)}, tại {len(report.sites)} điểm cầu, {clean(info.chair)} chủ trì"
        f" {title} (cấp {label('level', info.level).lower()}). Chủ trì hội nghị kết luận như sau:",
    )

    document.add_heading("I. KẾT QUẢ HỘI NGHỊ", level=1)
    _table(
        document,
        STAT_HEADER,
        ((row.label, str(row.count), row.share_text) for row in notice_figures(report)),
        (10, 3, 3),
    )

    document.add_heading("II. CÁC NỘI DUNG HẸN TRẢ LỜI SAU HỘI NGHỊ", level=1)
    promised = [q for q in report.questions if q.decision in ("written", "forwarded")]
    if not promised:
        _paragraph(document, "Không có nội dung hẹn trả lời sau hội nghị.", italic=True)
    for number, body in enumerate((b for b in BODIES if any(q.body == b for q in promised)), 1):
        document.add_heading(f"{number}. {label('body', body)}", level=2)
        _table(
            document,
            NOTICE_HEADER,
            (
                (
                    str(q.number),
                    clean(q.text),
                    _decision_text(q),
                    clean(q.agency),
                    vn_date(q.deadline),
                )
                for q in promised
                if q.body == body
            ),
            (1.2, 6.0, 3.3, 3, 2.5),
        )

    document.add_heading("III. TỔ CHỨC THỰC HIỆN", level=1)
    _paragraph(
        document,
        "Các cơ quan, đơn vị được giao trả lời bằng văn bản hoặc được chuyển ý kiến có trách"
        " nhiệm trả lời người nêu ý kiến đúng thời hạn nêu trên.",
    )
    _signatures(
        document,
        ["Nơi nhận:", "- Các cơ quan, đơn vị nêu tại mục II;", "- Lưu."],
        "CHỦ TRÌ HỘI NGHỊ",
        clean(info.chair),
    )
    return _docx_bytes(document)


# --- PDF -----------------------------------------------------------------------------------------

# Be Vietnam Pro has no full-width forms (U+FF01-FF5E, typed from Chinese or Japanese input
# methods); in the PDF they show as their ASCII twins rather than as empty boxes.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_FULL_WIDTH)
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    return value


def _pdf_inputs(minutes: Minutes) -> dict[str, str]:
    """What the Typst template reads: the minutes and the fixed labels, as JSON strings. Tables go
    as rows of cell texts, so the template has no numbers to format."""
    data = {
        **msgspec.to_builtins(minutes),
        "statistics": [
            {"title": s.title, "rows": [[r.label, str(r.count), r.share_text] for r in s.rows]}
            for s in minutes.statistics
        ],
        "satisfaction": [
            {"title": s.title, "rows": [[r.subject, *r.cells] for r in s.rows]}
            for s in minutes.satisfaction
        ],
    }
    labels = {
        "nation": NATION,
        "motto": MOTTO,
        "stat_header": STAT_HEADER,
        "sat_header": SAT_HEADER,
    }
    return {
        "minutes": msgspec.json.encode(_printable(data)).decode(),
        "labels": msgspec.json.encode(labels).decode(),
    }


def minutes_pdf(report: Report) -> bytes:
    """The minutes as PDF, laid out by Typst in the vendored Be Vietnam Pro: no system library or
    font is needed, and 10,000 questions take seconds (docs/benchmarks.md)."""
    pdf: bytes = typst.compile(
        TEMPLATES / "minutes.typ",
        root=TEMPLATES,
        font_paths=[FONTS],
        ignore_system_fonts=True,
        sys_inputs=_pdf_inputs(minutes_content(report)),
    )
    return pdf


# --- a year of meetings --------------------------------------------------------------------------


def _period_words(y: YearFigures) -> str:
    """The year ("Năm 2026"), or the period within it ("Từ ngày 01/03/2026 đến ngày 30/06/2026")."""
    start, end = y.period
    if not start and not end:
        return f"Năm {y.year}"
    since = f"Từ ngày {vn_date(start)}" if start else f"Từ đầu năm {y.year}"
    return since + (f" đến ngày {vn_date(end)}" if end else f" đến cuối năm {y.year}")


def year_sentences(y: YearFigures) -> tuple[str, ...]:
    """The paragraph a year's report is quoted by ("Năm 2026, đã tổ chức 14 hội nghị…")."""
    other = y.raised_in_hall - y.raised_with_party - y.raised_with_government
    forwarded = [
        f"{n} ý kiến thuộc thẩm quyền cấp {label('level', lv).lower()}"
        for lv, n in y.forwarded_by_level
        if n and lv != "ward"
    ]
    sentences = [
        f"{_period_words(y)}, đã tổ chức {y.meetings} hội nghị tiếp xúc, đối thoại.",
        (
            f"Trước các hội nghị, đã tổng hợp {y.collected_before} ý kiến, kiến nghị của cử tri;"
            f" trong đó {y.answered_before} ý kiến đã được trả lời trước hội nghị."
        ),
        f"Tại các hội nghị, có {y.turns} lượt phát biểu, nêu trực tiếp {y.raised_in_hall} ý kiến,"
        f" kiến nghị: {y.raised_with_party} ý kiến về công tác xây dựng Đảng,"
        f" {y.raised_with_government} ý kiến về chính quyền"
        + (f", {other} ý kiến khác." if other else "."),
        f"Đã trả lời trực tiếp tại hội nghị {y.answered_on_the_spot} ý kiến; hẹn trả lời bằng văn"
        f" bản {y.written} ý kiến"
        + (f"; chuyển cấp có thẩm quyền {', '.join(forwarded)}." if forwarded else "."),
        (
            f"Theo dõi {y.promised} nội dung hẹn trả lời sau hội nghị: {y.answered_on_time} đã trả"
            f" lời đúng hạn, {y.answered_late} trả lời trễ hạn, {y.overdue} quá hạn chưa trả lời,"
            f" {y.pending} đang trong thời hạn."
        ),
    ]
    if y.satisfaction.total:
        sentences.append(f"Mức độ hài lòng: {_satisfaction_text(y.satisfaction)}.")
    sentences.append(f"Tổng số người dự: {attendance_text(y.attendance)}.")
    if y.delegates is not None:
        sentences.append(f"Tổng số đại biểu dự: {delegates_text(y.delegates)}.")
    return tuple(sentences)


def year_rows(y: YearFigures) -> tuple[StatRow, ...]:
    """Every figure of the year, each on its line, as the XLSX and the DOCX list them."""
    forwarded = [
        StatRow(f"Chuyển cấp {label('level', level).lower()}", n)
        for level, n in y.forwarded_by_level
        if level != "ward"
    ]
    return (
        StatRow("Số hội nghị đã tổ chức", y.meetings),
        StatRow("Tổng số ý kiến, kiến nghị", y.opinions),
        StatRow("Thu thập trước hội nghị", y.collected_before),
        StatRow("Đã trả lời trước hội nghị", y.answered_before),
        StatRow("Lượt phát biểu", y.turns),
        StatRow("Nêu trực tiếp tại hội nghị", y.raised_in_hall),
        StatRow("Về công tác xây dựng Đảng", y.raised_with_party),
        StatRow("Về chính quyền (HĐND, UBND)", y.raised_with_government),
        StatRow("Trả lời tại hội nghị", y.answered_on_the_spot),
        StatRow("Hẹn trả lời bằng văn bản", y.written),
        *forwarded,
        StatRow("Hẹn trả lời sau hội nghị", y.promised),
        StatRow("Đã trả lời đúng hạn", y.answered_on_time),
        StatRow("Trả lời trễ hạn", y.answered_late),
        StatRow("Quá hạn chưa trả lời", y.overdue),
        StatRow("Đang trong thời hạn", y.pending),
        StatRow("Số người dự", _attendance_cell(y.attendance)),
    )


YEAR_MEETING_COLUMNS = (
    "Ngày",
    "Hội nghị",
    "Số điểm cầu",
    "Số người dự",
    "Ý kiến, kiến nghị",
    "Thu thập trước",
    "Đã trả lời trước",
    "Nêu tại hội nghị",
    "Về xây dựng Đảng",
    "Về chính quyền",
    "Lượt phát biểu",
    "Trả lời tại hội nghị",
    "Hẹn trả lời bằng văn bản",
    "Chuyển cấp",
    "Tỷ lệ hài lòng",
)


def _year_meeting_row(report: Report) -> tuple[Cell, ...]:
    s = report.statistics
    decided = dict(s.by_decision)
    satisfaction = s.satisfaction
    return (
        _date_cell(report.info.date),
        clean(report.info.title),
        len(report.sites),
        _attendance_cell(s.attendance),
        len(report.questions),
        s.collected_before,
        decided["answered_before"],
        s.raised_in_hall,
        dict(s.raised_in_hall_by_body).get("party", 0),
        s.raised_in_hall_government,
        s.turns,
        decided["on_the_spot"],
        decided["written"],
        decided["forwarded"],
        satisfaction.satisfied_share if satisfaction else None,
    )


def year_xlsx(y: YearFigures) -> bytes:
    """Two sheets: the year's figures, and one row per meeting held."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet, end = _sheet(
        workbook,
        "Tổng hợp",
        ("Chỉ tiêu", "Số lượng"),
        ((r.label, r.count) for r in year_rows(y)),
        (44, 14),
    )
    for offset, sentence in enumerate(year_sentences(y), start=end + 1):
        _put(sheet, offset, 1, sentence, wrap=False)
    _sheet(
        workbook,
        "Hội nghị",
        YEAR_MEETING_COLUMNS,
        (_year_meeting_row(row.report) for row in y.rows),
        (12, 50, 10, 12, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def year_docx(y: YearFigures, today: str) -> bytes:
    """BÁO CÁO KẾT QUẢ TỔ CHỨC HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI for a year, in the heading of the
    latest meeting held that has one."""
    document = _new_docx()
    document.core_properties.title = f"Báo cáo kết quả đối thoại năm {y.year}"
    document.core_properties.language = "vi-VN"
    headed = [row.report.info for row in y.rows if row.report.info.heading is not None]
    if headed:
        _heading(document, paper_heading(headed[0], today, "BC"))
    else:
        _heading(document, Heading("", "", "", (NATION, MOTTO), long_date(today), party=False))
    document.add_heading("BÁO CÁO", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(
        document,
        f"KẾT QUẢ TỔ CHỨC HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI {_period_words(y).upper()}",
        bold=True,
        center=True,
    )
    document.add_heading("I. KẾT QUẢ CHUNG", level=1)
    for sentence in year_sentences(y):
        _paragraph(document, sentence)
    document.add_heading("II. SỐ LIỆU", level=1)
    _table(
        document, ("Chỉ tiêu", "Số lượng"), ((r.label, str(r.count)) for r in year_rows(y)), (12, 4)
    )
    document.add_heading("III. CÁC HỘI NGHỊ ĐÃ TỔ CHỨC", level=1)
    if not y.rows:
        _paragraph(document, "Không có hội nghị nào được tổ chức trong năm.", italic=True)
    else:
        _table(
            document,
            ("STT", "Ngày", "Hội nghị", "Ý kiến", "Trả lời trước", "Tại chỗ", "Chuyển cấp"),
            (
                (
                    str(i),
                    vn_date(row.report.info.date),
                    clean(row.report.info.title),
                    str(len(row.report.questions)),
                    str(dict(row.report.statistics.by_decision)["answered_before"]),
                    str(dict(row.report.statistics.by_decision)["on_the_spot"]),
                    str(dict(row.report.statistics.by_decision)["forwarded"]),
                )
                for i, row in enumerate(y.rows, start=1)
            ),
            (1.1, 2.3, 6.6, 1.5, 1.9, 1.6, 1.8),
        )
    signer = headed[0].heading.issuer if headed and headed[0].heading else "BAN TỔ CHỨC"
    _signatures(
        document, ["Nơi nhận:", "- Cấp ủy, chính quyền cấp trên;", "- Lưu."], f"TM. {signer}", ""
    )
    return _docx_bytes(document)


# --- the delegate list ---------------------------------------------------------------------------

DELEGATE_LIST_COLUMNS = (
    ("STT", 6),
    ("Họ và tên", 28),
    ("Giới tính", 10),
    ("Năm sinh", 10),
    ("Tổ dân phố", 20),
    ("Chức vụ / Thành phần", 24),
    ("Điểm cầu", 28),
    ("Số điện thoại", 16),
    ("Điểm danh", 14),
    ("Cách điểm danh", 16),
    ("Lý do vắng", 24),
)
GENDERS = {"male": "Nam", "female": "Nữ"}
ATTENDED = {"invited": "Chưa đến", "present": "Có mặt", "absent": "Vắng"}
CHECKED_BY = {"code": "Mã QR giấy mời", "name": "Tìm theo tên"}


def delegates_xlsx(delegates: Sequence[Delegate], site_names: dict[str, str]) -> bytes:
    """The list as invited and as the doors found it, phone numbers included: for the
    organiser's office only (the route checks the host's key)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        "Đại biểu",
        [name for name, _ in DELEGATE_LIST_COLUMNS],
        (
            (
                number,
                d.record.name,
                GENDERS.get(d.record.gender, ""),
                d.record.birth_year,
                d.record.group,
                d.record.position,
                site_names.get(d.record.site_id, ""),
                d.record.phone,
                ATTENDED[d.status],
                CHECKED_BY.get(d.how, ""),
                d.reason,
            )
            for number, d in enumerate(delegates, start=1)
        ),
        [width for _, width in DELEGATE_LIST_COLUMNS],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- invitations ---------------------------------------------------------------------------------

HONORIFICS = {"male": "Ông", "female": "Bà"}


@dataclass(frozen=True)
class Invitation:
    """One delegate's invitation: who, from which group, at which site, and the link their QR
    code holds (their check-in at the door and, where the meeting votes so, their ballot)."""

    name: str
    gender: str
    group: str
    site: str
    link: str


def _qr_svg(link: str) -> str:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", border=2, xmldecl=False, omitsize=True)
    return out.getvalue().decode()


def invitations_pdf(info: MeetingInfo, invitations: Sequence[Invitation], today: str) -> bytes:
    """GIẤY MỜI, one A5 page per delegate (Decree 30/2020 lets invitations be A5), in the heading
    the meeting's papers carry, each with the delegate's own QR code."""
    heading = paper_heading(info, today, "GM")
    cards = [
        {
            "honorific": HONORIFICS.get(i.gender, "Ông/Bà"),
            "name": clean(i.name),
            "group": clean(i.group),
            "site": clean(i.site),
            "qr": _qr_svg(i.link),
        }
        for i in invitations
    ]
    data = {
        "heading": msgspec.to_builtins(heading),
        "title": clean(info.title),
        "date": vn_date(info.date),
        "issuer": "Ban Tổ chức hội nghị",
        "signer": f"TM. {heading.issuer}" if heading.issuer else "BAN TỔ CHỨC",
        "chair": clean(info.chair),
        "cards": cards,
    }
    pdf: bytes = typst.compile(
        TEMPLATES / "invitations.typ",
        root=TEMPLATES,
        font_paths=[FONTS],
        ignore_system_fonts=True,
        sys_inputs={"invitations": msgspec.json.encode(_printable(data)).decode()},
    )
    return pdf


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
    (LABELS["choice"]["satisfied"], 10),
    (LABELS["choice"]["partly"], 10),
    (LABELS["choice"]["not_satisfied"], 10),
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
        _date_cell(q.deadline) if q.deadline else "",
        label("level", q.forwarded_to) if q.forwarded_to else "",
        q.reason,
        label("follow_up", q.follow_up) if q.follow_up else "",
        q.written_answer,
        _date_cell(q.answered_on) if q.answered_on else "",
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
    LABELS["choice"]["satisfied"],
    LABELS["choice"]["partly"],
    LABELS["choice"]["not_satisfied"],
    "Tổng số phiếu",
    "Tỷ lệ hài lòng",
)
STAT_COLUMNS = ("Nhóm", "Chỉ tiêu", "Số lượng", "Tỷ lệ")
SAT_COLUMNS = (
    "Mức độ hài lòng",
    "Đối tượng",
    LABELS["choice"]["satisfied"],
    "Tỷ lệ",
    LABELS["choice"]["partly"],
    "Tỷ lệ",
    LABELS["choice"]["not_satisfied"],
    "Tỷ lệ",
    "Tổng số phiếu",
)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _excel_text(text: str) -> str:
    return fit_excel(clean(text))


def _put(sheet: Any, row: int, column: int, value: Cell, *, wrap: bool = True) -> None:
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
            _put(sheet, row, column, value)
        row += 1
    return row


def _sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    widths: Sequence[float],
) -> tuple[Any, int]:
    """A sheet with a bold, frozen header row; returns it and the first row after the data."""
    sheet = workbook.create_sheet(title)
    for column, name in enumerate(header, start=1):
        _put(sheet, 1, column, name)
        sheet.cell(row=1, column=column).font = _BOLD
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    return sheet, _put_rows(sheet, 2, rows)


def questions_xlsx(report: Report) -> bytes:
    """Four sheets: the questions, the turns, every statistic, and the sites."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        "Câu hỏi",
        [name for name, _ in QUESTION_COLUMNS],
        (_question_row(q) for q in report.questions),
        [width for _, width in QUESTION_COLUMNS],
    )
    _sheet(
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
    stats, end = _sheet(
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

    _sheet(workbook, "Điểm cầu", columns, map(row, report.sites), widths)


def _satisfaction_block(sheet: Any, first_row: int, sections: Sequence[SatSection]) -> None:
    """Below the counts, a table of its own: satisfaction has three counts and shares per line."""
    for column, name in enumerate(SAT_COLUMNS, start=1):
        _put(sheet, first_row, column, name)
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
        cell for n, share in zip(values, _choice_shares(counts), strict=True) for cell in (n, share)
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
