"""How the papers word things: labels, clean text, dates and the heading of an administrative
paper (Decree 30/2020), shares, attendance and delegates as the papers print them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.core.delegates import DelegateTotals, SiteAttendance
from server.core.labels import NAMES
from server.core.report import (
    Attendance,
    Counts,
    Report,
    ReportQuestion,
    largest_remainder,
)
from server.core.state import MeetingInfo
from server.i18n import translate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "export"
FONTS = ROOT / "static" / "vendor" / "be-vietnam-pro-ttf"
DOCX_FONT = "Times New Roman"  # the font of Vietnamese administrative papers

# These papers are official Vietnamese documents: Vietnamese only, whatever the UI language.
PAPER_LANGUAGE = "vi"
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
    """The Vietnamese name of a code, from the catalogue; an unknown code is shown as it is
    rather than lost."""
    name = NAMES[kind].get(code)
    return translate(PAPER_LANGUAGE, name) if name else code


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


def date_cell(iso: str) -> dt.date | str:
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


def attendance_cell(attendance: Attendance) -> int | str:
    """A number only when it is the whole; otherwise the words, so no sheet sums a part."""
    return attendance.total if attendance.total is not None else attendance_text(attendance)


def attendance_sentence(report: Report) -> str:
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


def delegate_rows(report: Report) -> tuple[tuple[str, ...], ...]:
    listed = [site for site in report.sites if site.delegates is not None]
    return tuple(
        (str(i), clean(site.name), *map(str, delegate_cells(site.delegates)))
        for i, site in enumerate(listed, start=1)
        if site.delegates is not None
    )


def duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} giây"
    return f"{minutes} phút {rest} giây" if rest else f"{minutes} phút"


def choice_shares(counts: Counts) -> tuple[float | None, ...]:
    return tuple(t / TENTHS for t in counts.shares(TENTHS)) if counts.total else (None,) * 3


def counts_with_shares(counts: Counts) -> tuple[str, str, str]:
    """Satisfied, partly, not satisfied as "16 (72,7%)", the three shares adding up to 100 %."""
    values = (counts.satisfied, counts.partly, counts.not_satisfied)
    if not counts.total:
        return (str(values[0]), str(values[1]), str(values[2]))
    shown = zip(values, choice_shares(counts), strict=True)
    a, b, c = (f"{n} ({percent_text(share)})" for n, share in shown)
    return (a, b, c)


def satisfaction_text(counts: Counts) -> str:
    parts = (
        f"{label('choice', choice)} {text}"
        for choice, text in zip(
            ("satisfied", "partly", "not_satisfied"), counts_with_shares(counts), strict=True
        )
    )
    return "; ".join(parts) + f"; tổng số {counts.total} phiếu"


def decision_text(question: ReportQuestion) -> str:
    text = label("decision", question.decision)
    if question.decision == "forwarded" and question.forwarded_to:
        text += f" ({label('level', question.forwarded_to)})"
    return text
