"""What the minutes say, whatever the format: sections of statistics, satisfaction, the summary
sentences and the minutes' content model the DOCX and the PDF lay out alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.core.delegates import DelegateTotals
from server.core.labels import BODY_NAMES
from server.core.report import (
    Counts,
    Report,
    ReportQuestion,
)
from server.papers.text import (
    DELEGATE_HEADER,
    NO_FIELD,
    NO_SITE,
    NOT_RECORDED,
    Heading,
    attendance_cell,
    attendance_sentence,
    attendance_text,
    clean,
    counts_with_shares,
    decision_text,
    delegate_rows,
    delegates_text,
    duration,
    label,
    paper_heading,
    percent_text,
    satisfaction_text,
    shares,
    site_attendance_text,
    vn_date,
)

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
        return (*counts_with_shares(self.counts), str(self.counts.total))


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
    label("choice", "satisfied"),
    label("choice", "partly"),
    label("choice", "not_satisfied"),
    "Tổng số phiếu",
)
STAT_HEADER = ("Chỉ tiêu", "Số lượng", "Tỷ lệ")


def delegate_section(d: DelegateTotals | None) -> tuple[StatSection, ...]:
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
                StatRow("Số người dự", attendance_cell(s.attendance)),
                StatRow("Số lượt phát biểu", s.turns),
                StatRow("Số ý kiến nêu trong các lượt phát biểu", s.opinions_in_turns),
                StatRow("Tổng số ý kiến, kiến nghị", total),
            ),
        ),
        *delegate_section(s.delegates),
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
    bodies = {
        **{code: label("body", code) for code in BODY_NAMES},
        "other": "cơ quan khác",
    }  # "1 về Khác" reads badly in a sentence
    in_hall = _joined(((bodies[b], n) for b, n in s.raised_in_hall_by_body), "về ")
    forwarded = _joined(((label("level", v), n) for v, n in s.forwarded_by_level), "lên ")
    government = s.raised_in_hall_government  # "chính quyền": HĐND and UBND together
    sentences = [
        attendance_sentence(report),
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
        sentences.append(f"Biểu quyết về các câu trả lời: {satisfaction_text(q)}.")
    if s.satisfaction_meeting is not None and s.satisfaction_meeting.total:
        m = s.satisfaction_meeting
        sentences.append(f"Biểu quyết về hội nghị: {satisfaction_text(m)}.")
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
        ("Kết luận của chủ trì", decision_text(q)),
        ("Cơ quan thực hiện", q.agency),
        ("Thời hạn", vn_date(q.deadline)),
        ("Lý do", q.reason),
        ("Tình trạng", label("follow_up", q.follow_up) if q.follow_up else ""),
        ("Văn bản trả lời", q.written_answer),
        ("Ngày trả lời bằng văn bản", vn_date(q.answered_on)),
        ("Kết quả biểu quyết", satisfaction_text(q.satisfaction) if q.satisfaction else ""),
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
                        f"Thời gian phát biểu: {duration(t.spoken_seconds)}",
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
        delegates=delegate_rows(report),
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
