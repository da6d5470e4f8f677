"""The Front's "Kết quả giải quyết" cell read as what became of an opinion before the meeting:
answered (agency, document number, date) or forwarded (to which level), or left to the meeting."""

from __future__ import annotations

import re
from datetime import date

import msgspec

from server.core.commands import PriorOutcomeDraft
from server.core.events import Level
from server.core.textmatch import fold

# Folded phrases, longest first where one contains another.
_LEFT = ("chua giai quyet", "chua tra loi", "de hoi nghi", "tai hoi nghi", "chua co", "chua")
_FORWARDED = ("da chuyen", "chuyen", "kien nghi len", "de nghi cap tren")
_ANSWERED = (
    "da tra loi",
    "da giai quyet",
    "da co van ban",
    "da xu ly",
    "da thuc hien",
    "da khac phuc",
    "tra loi tai",
    "van ban so",
    "cong van",
)
_FLAGS = ("x", "co", "roi", "da", "yes", "ok")  # a tick in a "Đã trả lời" column
# How the agency forwarded to begins, after its kind of body ("UBND quận 1", "Sở Xây dựng",
# "Bộ Công an"), folded, from the top level down. Only the agency's first words are looked at:
# "so" and "bo" are also "số" and "bổ" elsewhere in a sentence.
_BODY_WORDS = ("uy ban nhan dan", "hoi dong nhan dan", "ubnd", "hdnd", "cong an", "toa an")
_LEVEL_STARTS: tuple[tuple[Level, tuple[str, ...]], ...] = (
    ("central", ("trung uong", "chinh phu", "quoc hoi", "bo")),
    ("city", ("thanh pho", "tp", "tinh", "so", "thanh uy", "tinh uy")),
    ("district", ("quan", "huyen", "thi xa", "quan uy", "huyen uy")),
)
_REFERENCE = re.compile(
    r"((?:công văn|văn bản|cv|báo cáo|thông báo|quyết định|tờ trình|kết luận)\s*"
    r"(?:số\s*)?\d[\w./-]*)",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_WORDED_DATE = re.compile(r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_BODY = r"(?:UBND|HĐND|Ủy ban|Uỷ ban|Đảng ủy|Đảng uỷ|Sở|Phòng|Công an|Ban|Bộ|Chi cục|Trung tâm)"
_AGENCY_OF = re.compile(rf"(?:của|tại)\s+({_BODY}[^,.;()]*)")
_AGENCY_LEADING = re.compile(rf"^\s*({_BODY}[^,.;()]*?)\s+(?:đã|trả lời)", re.IGNORECASE)
_FORWARDED_TO = re.compile(
    r"(?:chuyển|kiến nghị)\s+(?:đến\s+|cho\s+|tới\s+|lên\s+)?(.+?)"
    r"(?:\s+(?:giải quyết|xem xét|xử lý|trả lời|theo thẩm quyền|nghiên cứu)|[,.;(]|$)",
    re.IGNORECASE,
)


class OutcomeReading(msgspec.Struct, frozen=True):
    """`prior` None with `understood` True: left to the meeting. Not understood: the preview says
    so, and the opinion is left to the meeting."""

    prior: PriorOutcomeDraft | None
    understood: bool = True


def read_outcome(cell: str, prepared_answer: str = "") -> OutcomeReading:
    text = " ".join(cell.split())
    folded = fold(text)
    if not folded or _starts_with_any(folded, _LEFT):
        return OutcomeReading(None)
    if folded in _FLAGS:
        return _answered(text, prepared_answer, from_flag=True)
    if _has_any(folded, _FORWARDED) and not folded.startswith(("da tra loi", "da giai quyet")):
        return OutcomeReading(_forwarded(text))
    if _has_any(folded, _ANSWERED) or _REFERENCE.search(text):
        return _answered(text, prepared_answer, from_flag=False)
    return OutcomeReading(None, understood=False)


def _answered(text: str, prepared_answer: str, *, from_flag: bool) -> OutcomeReading:
    reference = _REFERENCE.search(text)
    written = prepared_answer if from_flag else text
    if not (written or reference):
        return OutcomeReading(None, understood=False)  # a tick with nothing to show for it
    return OutcomeReading(
        PriorOutcomeDraft(
            kind="answered",
            agency=_agency(text),
            reference=reference.group(1) if reference else "",
            on=_date_in(text),
            text=written,
        )
    )


def _forwarded(text: str) -> PriorOutcomeDraft:
    target = _FORWARDED_TO.search(text)
    agency = target.group(1).strip() if target else ""
    return PriorOutcomeDraft(
        kind="forwarded",
        agency=agency,
        on=_date_in(text),
        text=text,
        forwarded_to=_level_of(fold(agency)),
    )


def _agency(text: str) -> str:
    found = _AGENCY_OF.search(text) or _AGENCY_LEADING.search(text)
    return found.group(1).strip() if found else ""


def _level_of(agency: str) -> Level | None:
    rest = agency
    for body in _BODY_WORDS:
        if rest.startswith(body + " "):
            rest = rest[len(body) + 1 :]
            break
    for level, starts in _LEVEL_STARTS:
        if any(rest == start or rest.startswith(start + " ") for start in starts):
            return level
    return None  # not named: the next level up, as the desk's default


def _date_in(text: str) -> str:
    for pattern in (_NUMERIC_DATE, _WORDED_DATE):
        for day, month, year in pattern.findall(text):
            try:
                return date(int(year), int(month), int(day)).isoformat()
            except ValueError:
                continue  # 30/02: not a date; the next one may be
    return ""


def _starts_with_any(folded: str, phrases: tuple[str, ...]) -> bool:
    return any(folded == p or folded.startswith(p + " ") for p in phrases)


def _has_any(folded: str, phrases: tuple[str, ...]) -> bool:
    words = f" {folded} "
    return any(f" {p} " in words for p in phrases)
