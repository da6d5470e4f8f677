"""The papers (server/papers/): a meeting with known numbers goes out as minutes (DOCX, PDF), a
conclusion notice, XLSX and CSV; each file is opened again and its text read back. Then bad input:
no questions, 10,000 questions, formula-like texts, control characters, a 3,000-letter word.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import docx
import msgspec
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.core.apply import replay
from server.core.events import (
    AgendaEntry,
    AnswerEdited,
    AnswererSet,
    AttendanceSet,
    BallotClosed,
    BallotOpened,
    Body,
    ChairDecision,
    Choice,
    DelegateCheckedIn,
    DelegateMarkedAbsent,
    DelegateRecord,
    DelegatesInvited,
    Event,
    Level,
    MeetingCreated,
    OpinionRecorded,
    PaperCountSet,
    PapersHeading,
    PapersHeadingSet,
    QuestionAdded,
    QuestionDecided,
    QuestionModerated,
    QuestionRecord,
    QuestionsImported,
    QuestionsMerged,
    QuestionSource,
    QuestionSubmitted,
    SiteInfo,
    SpeakerCalled,
    SpeakerQueued,
    SpeakRequestDeclined,
    SpeakRequested,
    SpeechEnded,
    VoteCast,
    WalkInsSet,
    WrittenAnswerRecorded,
)
from server.core.labels import NAMES
from server.core.report import Report, meeting_report, year_figures
from server.i18n import translations
from server.papers.pdf import minutes_pdf
from server.papers.sheets import questions_csv, questions_xlsx
from server.papers.text import EXCEL_CELL_LIMIT, percent_text, shares
from server.papers.text import label as paper_label
from server.papers.word import conclusion_notice_docx, minutes_docx
from server.papers.year import year_docx, year_xlsx
from tests.core.test_report import published_year

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
T0 = 1_700_000_000.0
TODAY = "2025-07-01"
HALL, SITE_A, SITE_B = "hall", "site-a", "site-b"
HALL_NAME = "Hội trường UBND phường Thạch Bàn"
A_NAME = "Nhà văn hóa tổ dân phố số 12"
B_NAME = "Trường THCS Thạch Bàn"
TITLE = "Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân phường năm 2025"
CHAIR = "Nguyễn Thị Hồng Nhung, Bí thư Đảng ủy phường"
AGENDA = ("Khai mạc, giới thiệu đại biểu", "Đối thoại với Nhân dân", "Kết luận hội nghị")
LAND = "Đất đai, tài nguyên môi trường"
BUILDING = "Trật tự xây dựng, trật tự đô thị"
PARTY = "Xây dựng Đảng"
SCHOOL = "Giáo dục"

TEXT = {
    "i1": "Đề nghị công khai tiến độ cấp giấy chứng nhận quyền sử dụng đất cho các hộ dân tổ 5.",
    "i2": "Tình trạng xây dựng không phép tại ngõ 12 phố Thạch Bàn kéo dài.",
    "i3": "Đề nghị Đảng ủy tăng cường kiểm tra việc giữ gìn phẩm chất đạo đức của đảng viên.",
    "i4": "Cần công khai tiến độ cấp sổ đỏ tổ 5.",
    "o1": "Hồ sơ cấp giấy chứng nhận của gia đình tôi nộp từ năm 2021 chưa được giải quyết.",
    "o2": "Đề nghị xây thêm phòng học cho trường tiểu học Thạch Bàn.",
    "o3": "Đề nghị thay đổi cách bầu cử trong chi bộ.",
    "o4": "Trạm y tế phường thiếu thuốc điều trị tăng huyết áp.",
    "o5": "Chế độ cho người cao tuổi chậm chi trả.",
    "o6": "Vật liệu xây dựng lấn chiếm vỉa hè ở ngõ 8.",
    "p1": "Học phí năm học mới có tăng không?",
    "p2": "Nội dung không phù hợp.",
    "m1": "Đề nghị sửa <đèn> & cống ngõ 5",
}
ANSWER = {
    "i1": "UBND phường đã rà soát 46 hồ sơ tồn đọng, dự kiến hoàn thành thẩm định trong quý III.",
    "i3": "Đảng ủy sẽ đưa nội dung này vào chương trình kiểm tra năm 2025.",
    "o5": "Phường đã chi trả đủ trong tháng 5, các tháng sau đúng hạn.",
}
ANSWERED_BY = {
    "i1": ("Phạm Minh Tuấn", "Chủ tịch UBND phường"),
    "i3": ("Nguyễn Thị Hồng Nhung", "Bí thư Đảng ủy phường"),
    "o5": ("Lê Thu Hà", "Phó Chủ tịch UBND phường"),
}
# question id -> (decision, agency, deadline, forwarded to, reason)
DECIDED: dict[str, tuple[ChairDecision, str, str, Level | None, str]] = {
    "i1": ("on_the_spot", "", "", None, ""),
    "i2": ("forwarded", "UBND quận Long Biên", "2025-06-16", "district", ""),
    "i3": ("on_the_spot", "", "", None, ""),
    "o1": ("written", "Phòng Tài nguyên và Môi trường", "2025-06-16", None, ""),
    "o2": ("forwarded", "HĐND thành phố", "2025-06-20", "city", ""),
    "o3": ("not_taken_up", "", "", None, "Không thuộc nội dung hội nghị"),
    "o4": ("written", "Trạm Y tế phường", "2025-06-16", None, ""),
    "o5": ("on_the_spot", "", "", None, ""),
    "p1": ("written", "Phòng Giáo dục và Đào tạo", "2025-07-15", None, ""),
    "m1": ("forwarded", "Ban Quản lý dự án quận", "2025-06-25", "district", ""),
}
WRITTEN_ANSWER = "Phòng Tài nguyên đã cấp giấy chứng nhận ngày 09/06/2025."
# The number each question gets in the report: open questions in the order they came.
NUMBER = {q: i for i, q in enumerate(("i1", "i2", "i3", "o1", "o2", "o3", "o4", "o5", "o6"), 1)}
NUMBER |= {"p1": 10, "m1": 11}


def rec(
    question_id: str,
    text: str,
    *,
    asker: str = "",
    group: str = "",
    site: str | None = None,
    field: str = "",
    body: Body = "committee",
    level: Level = "ward",
    prepared: str = "",
    source: QuestionSource = "intake",
) -> QuestionRecord:
    return QuestionRecord(
        question_id, text, asker, group, site, field, body, level, prepared, source
    )


def created(
    sites: Sequence[SiteInfo] | None = None, agenda: Sequence[str] = AGENDA, title: str = TITLE
) -> MeetingCreated:
    return MeetingCreated(
        meeting_id="m-1",
        title=title,
        date="2025-06-01",
        level="ward",
        chair=CHAIR,
        sites=tuple(
            sites
            or (
                SiteInfo(HALL, HALL_NAME, is_main_hall=True),
                SiteInfo(SITE_A, A_NAME),
                SiteInfo(SITE_B, B_NAME),
            )
        ),
        agenda=tuple(AgendaEntry(f"a-{i}", t) for i, t in enumerate(agenda)),
        at=T0,
    )


def turn(
    request_id: str,
    site_id: str,
    name: str,
    group: str,
    topic: str,
    start: float,
    seconds: int,
    opinions: Iterable[tuple[str, str, Body]],
) -> list[Event]:
    """A turn from request to end, with the opinions the secretary wrote down during it."""
    events: list[Event] = [
        SpeakRequested(request_id, site_id, name, group, "", topic, "secretary", None, start - 50),
        SpeakerQueued(request_id, start - 40),
        SpeakerCalled(request_id, start, 180),
    ]
    for i, (opinion_id, field, body) in enumerate(opinions):
        events.append(
            OpinionRecorded(
                opinion_id, request_id, site_id, TEXT[opinion_id], field, body, start + i
            )
        )
    return [*events, SpeechEnded(request_id, start + seconds)]


def votes(ballot_id: str, *cast: tuple[str, str, Choice]) -> list[Event]:
    return [VoteCast(ballot_id, voter, site, choice) for voter, site, choice in cast]


def scenario_events() -> list[Event]:
    """Three sites, three turns with six opinions, three questions collected before (one more
    merged into the first), a phone question (and a rejected one), a secretary's; every decision;
    phones and paper on three question ballots and on the meeting's own."""
    events: list[Event] = [
        created(),
        AttendanceSet(HALL, 120, T0 + 1),
        AttendanceSet(SITE_A, 45, T0 + 1),
        AttendanceSet(SITE_B, 35, T0 + 1),
        QuestionsImported(
            (
                rec("i1", TEXT["i1"], asker="Ông An", group="Tổ 5", site=SITE_A, field=LAND),
                rec(
                    "i2", TEXT["i2"], asker="Bà Bình", site=SITE_B, field=BUILDING, level="district"
                ),
                rec("i3", TEXT["i3"], site=HALL, field=PARTY, body="party"),
                rec("i4", TEXT["i4"], asker="Bà Lan", group="Tổ 7", site=SITE_A, field=LAND),
            ),
            T0 + 2,
        ),
        QuestionsMerged("i1", ("i4",)),
        *turn(
            "r1",
            HALL,
            "Nguyễn Văn Hùng",
            "Tổ dân phố số 5",
            "Cấp giấy chứng nhận",
            T0 + 100,
            200,
            [("o1", LAND, "committee"), ("o2", SCHOOL, "council")],
        ),
        *turn(
            "r2",
            SITE_A,
            "Trần Thị Mai",
            "Tổ dân phố số 12",
            "",
            T0 + 400,
            120,
            [
                ("o3", PARTY, "party"),
                ("o4", "Y tế", "committee"),
                ("o5", "An sinh xã hội", "committee"),
            ],
        ),
        *turn(
            "r3",
            SITE_B,
            "Lê Văn Cường",
            "",
            "Vỉa hè",
            T0 + 600,
            90,
            [("o6", BUILDING, "committee")],
        ),
        SpeakRequested("r4", SITE_B, "Hoàng Văn Dũng", "", "", "", "secretary", None, T0 + 650),
        SpeakRequestDeclined("r4", T0 + 660),
        QuestionSubmitted(
            rec(
                "p1",
                TEXT["p1"],
                site=SITE_B,
                field=SCHOOL,
                body="council",
                level="city",
                source="phone",
            ),
            "dev-1",
            T0 + 700,
        ),
        QuestionModerated("p1", True),
        QuestionSubmitted(rec("p2", TEXT["p2"], site=SITE_B, source="phone"), "dev-2", T0 + 701),
        QuestionModerated("p2", False),
        QuestionAdded(rec("m1", TEXT["m1"], site=HALL, body="other", source="manual"), T0 + 710),
    ]
    for question_id, (name, role) in ANSWERED_BY.items():
        events += [
            AnswererSet(question_id, name, role),
            AnswerEdited(question_id, 0, ANSWER[question_id]),
        ]
    for question_id, (decision, agency, deadline, level, reason) in DECIDED.items():
        events.append(
            QuestionDecided(question_id, decision, agency, deadline, level, reason, T0 + 800)
        )
    events.append(WrittenAnswerRecorded("o1", WRITTEN_ANSWER, "2025-06-10"))
    events += [
        BallotOpened("b1", "i1", "three", True, T0 + 900),
        *votes(
            "b1",
            ("v1", HALL, "satisfied"),
            ("v2", HALL, "satisfied"),
            ("v3", HALL, "partly"),
            ("v4", SITE_A, "not_satisfied"),
        ),
        PaperCountSet("b1", SITE_B, 4, 1, 0),
        PaperCountSet("b1", HALL, 10, 2, 1),
        BallotClosed("b1", T0 + 950),
        BallotOpened("b2", "o1", "three", True, T0 + 960),
        *votes(
            "b2",
            ("v5", SITE_A, "satisfied"),
            ("v6", SITE_A, "partly"),
            ("v6", SITE_A, "not_satisfied"),  # changed: counted once, as the last choice
        ),
        PaperCountSet("b2", SITE_A, 1, 1, 1),
        PaperCountSet("b2", SITE_A, 3, 2, 5),  # corrected: the latest count stands
        BallotClosed("b2", T0 + 990),
        BallotOpened("b3", "i3", "three", False, T0 + 1000),
        PaperCountSet("b3", HALL, 7, 0, 1),
        BallotClosed("b3", T0 + 1010),
        BallotOpened("bm", None, "three", True, T0 + 2000),
        *votes(
            "bm", ("v1", HALL, "satisfied"), ("v2", HALL, "satisfied"), ("v9", SITE_B, "partly")
        ),
        PaperCountSet("bm", HALL, 50, 10, 5),
        PaperCountSet("bm", SITE_A, 20, 5, 0),
        PaperCountSet("bm", SITE_B, 15, 3, 2),
        BallotClosed("bm", T0 + 2100),
    ]
    return events


def report_of(events: Iterable[Event], today: str = TODAY) -> Report:
    return meeting_report(replay(events), today)


@pytest.fixture(scope="module")
def report() -> Report:
    return report_of(scenario_events())


# --- the known numbers ---------------------------------------------------------------------------

# (section, label, count, share as the documents print it). The shares of a section add up to
# 100 % (largest remainder, in tenths): four of 2/11 and three of 1/11 of the fields were 18,2 % and
# 9,1 % each, 100,1 % in all; now the largest remainders (1/11: ,909; 2/11: ,818) take the tenths.
STATISTICS: list[tuple[str, str, int, str]] = [
    ("Tổng quan", "Số điểm cầu", 3, ""),
    ("Tổng quan", "Số người dự", 200, ""),
    ("Tổng quan", "Số lượt phát biểu", 3, ""),
    ("Tổng quan", "Số ý kiến nêu trong các lượt phát biểu", 6, ""),
    ("Tổng quan", "Tổng số ý kiến, kiến nghị", 11, ""),
    ("Nguồn ý kiến, kiến nghị", "Thu thập trước hội nghị", 3, "27,3%"),
    ("Nguồn ý kiến, kiến nghị", "Nêu tại hội nghị", 8, "72,7%"),
    ("Nêu tại hội nghị, theo cơ quan trả lời", "Đảng ủy", 1, "12,5%"),
    ("Nêu tại hội nghị, theo cơ quan trả lời", "HĐND", 2, "25%"),
    ("Nêu tại hội nghị, theo cơ quan trả lời", "UBND", 4, "50%"),
    ("Nêu tại hội nghị, theo cơ quan trả lời", "Khác", 1, "12,5%"),
    # most first, then by code point as the report orders them
    ("Theo lĩnh vực", SCHOOL, 2, "18,2%"),
    ("Theo lĩnh vực", BUILDING, 2, "18,2%"),
    ("Theo lĩnh vực", PARTY, 2, "18,2%"),
    ("Theo lĩnh vực", LAND, 2, "18,1%"),
    ("Theo lĩnh vực", "An sinh xã hội", 1, "9,1%"),
    ("Theo lĩnh vực", "Y tế", 1, "9,1%"),
    ("Theo lĩnh vực", "Chưa xác định lĩnh vực", 1, "9,1%"),
    ("Theo cơ quan trả lời", "Đảng ủy", 2, "18,2%"),
    ("Theo cơ quan trả lời", "HĐND", 2, "18,2%"),
    ("Theo cơ quan trả lời", "UBND", 6, "54,5%"),
    ("Theo cơ quan trả lời", "Khác", 1, "9,1%"),
    ("Theo thẩm quyền", "Phường/xã", 9, "81,8%"),
    ("Theo thẩm quyền", "Quận/huyện", 1, "9,1%"),
    ("Theo thẩm quyền", "Thành phố", 1, "9,1%"),
    ("Theo điểm cầu", HALL_NAME, 4, "36,4%"),
    ("Theo điểm cầu", A_NAME, 4, "36,3%"),
    ("Theo điểm cầu", B_NAME, 3, "27,3%"),
    ("Kết quả xử lý", "Đã trả lời trước hội nghị", 0, "0%"),
    ("Kết quả xử lý", "Trả lời tại hội nghị", 3, "27,3%"),
    ("Kết quả xử lý", "Trả lời bằng văn bản", 3, "27,3%"),
    ("Kết quả xử lý", "Chuyển cấp có thẩm quyền", 3, "27,2%"),
    ("Kết quả xử lý", "Không tiếp thu", 1, "9,1%"),
    ("Kết quả xử lý", "Chưa quyết định", 1, "9,1%"),
    ("Chuyển cấp có thẩm quyền, theo cấp nhận", "Phường/xã", 0, "0%"),
    ("Chuyển cấp có thẩm quyền, theo cấp nhận", "Quận/huyện", 2, "66,7%"),
    ("Chuyển cấp có thẩm quyền, theo cấp nhận", "Thành phố", 1, "33,3%"),
    ("Theo dõi nội dung hẹn trả lời sau", "Hẹn trả lời sau (bằng văn bản, chuyển cấp)", 6, ""),
    ("Theo dõi nội dung hẹn trả lời sau", "Đã trả lời", 1, "16,7%"),
    ("Theo dõi nội dung hẹn trả lời sau", "Quá hạn", 4, "66,7%"),
    ("Theo dõi nội dung hẹn trả lời sau", "Đang chờ", 1, "16,6%"),
]
# (section, subject, satisfied, partly, not satisfied): phones and paper together
SATISFACTION: list[tuple[str, str, int, int, int]] = [
    ("Theo câu hỏi", "Câu 1", 16, 4, 2),
    ("Theo câu hỏi", "Câu 3", 7, 0, 1),
    ("Theo câu hỏi", "Câu 4", 4, 2, 6),
    ("Theo cơ quan trả lời", "Đảng ủy", 7, 0, 1),
    ("Theo cơ quan trả lời", "UBND", 20, 6, 8),
    ("Theo điểm cầu (gồm cả biểu quyết chung về hội nghị)", HALL_NAME, 71, 13, 7),
    ("Theo điểm cầu (gồm cả biểu quyết chung về hội nghị)", A_NAME, 24, 7, 7),
    ("Theo điểm cầu (gồm cả biểu quyết chung về hội nghị)", B_NAME, 19, 5, 2),
    ("Tổng hợp", "Các câu hỏi", 27, 6, 9),
    ("Tổng hợp", "Hội nghị (biểu quyết chung)", 87, 19, 7),
]
# the same shares, worked out by hand
SATISFACTION_TEXT: dict[str, tuple[str, str, str, str]] = {
    "Câu 1": ("16 (72,7%)", "4 (18,2%)", "2 (9,1%)", "22"),
    "Câu 3": ("7 (87,5%)", "0 (0%)", "1 (12,5%)", "8"),
    "Câu 4": ("4 (33,3%)", "2 (16,7%)", "6 (50%)", "12"),
    "Đảng ủy": ("7 (87,5%)", "0 (0%)", "1 (12,5%)", "8"),
    "UBND": ("20 (58,8%)", "6 (17,7%)", "8 (23,5%)", "34"),  # 17,6 + … made 99,9 %
    HALL_NAME: ("71 (78%)", "13 (14,3%)", "7 (7,7%)", "91"),
    A_NAME: ("24 (63,2%)", "7 (18,4%)", "7 (18,4%)", "38"),
    B_NAME: ("19 (73,1%)", "5 (19,2%)", "2 (7,7%)", "26"),
    "Các câu hỏi": ("27 (64,3%)", "6 (14,3%)", "9 (21,4%)", "42"),
    "Hội nghị (biểu quyết chung)": ("87 (77%)", "19 (16,8%)", "7 (6,2%)", "113"),
}
SITES = [
    ("1", f"{HALL_NAME} (điểm cầu chính)", "120", "1", "2", "4"),
    ("2", A_NAME, "45", "1", "3", "4"),
    ("3", B_NAME, "35", "1", "1", "3"),
]
SUMMARY = [
    "Hội nghị có 200 người dự tại 3 điểm cầu.",
    "Tổng số 11 ý kiến, kiến nghị: 3 ý kiến thu thập trước hội nghị và 8 ý kiến nêu tại hội nghị"
    " (1 về Đảng ủy, 2 về HĐND, 4 về UBND, 1 về cơ quan khác; 6 ý kiến về chính quyền).",
    "Có 3 lượt phát biểu với 6 ý kiến.",
    "0 ý kiến đã được trả lời trước hội nghị, 3 ý kiến được trả lời tại hội nghị,"
    " 3 ý kiến hẹn trả lời bằng văn bản, 3 ý kiến chuyển cấp"
    " có thẩm quyền (2 lên Quận/huyện, 1 lên Thành phố), 1 ý kiến không tiếp thu,"
    " 1 ý kiến chưa quyết định.",
]
DECISION_TEXT = {
    "on_the_spot": "Trả lời tại hội nghị",
    "written": "Trả lời bằng văn bản",
    "not_taken_up": "Không tiếp thu",
    "undecided": "Chưa quyết định",
}


def decision_text(question_id: str) -> str:
    decision, _, _, level, _ = DECIDED.get(question_id, ("undecided", "", "", None, ""))
    if decision == "forwarded":
        return {"district": "Chuyển cấp có thẩm quyền (Quận/huyện)"}.get(
            level or "", "Chuyển cấp có thẩm quyền (Thành phố)"
        )
    return DECISION_TEXT[decision]


# --- reading the files back ----------------------------------------------------------------------


def docx_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def docx_tables(data: bytes) -> list[list[tuple[str, ...]]]:
    return [
        [tuple(cell.text for cell in row.cells) for row in table.rows]
        for table in docx.Document(io.BytesIO(data)).tables
    ]


def docx_text(data: bytes) -> str:
    rows = [" | ".join(row) for table in docx_tables(data) for row in table]
    return "\n".join([*docx_paragraphs(data), *rows])


def poppler(tool: str) -> str:
    """pdftotext and friends never skip: ./diemcau test installs poppler-utils."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: run ./diemcau test, which installs poppler-utils")
    return path


def pdf_text(data: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    source = tmp_path / "read.pdf"
    source.write_bytes(data)
    flags = ["-layout"] if layout else []
    done = subprocess.run(
        [poppler("pdftotext"), *flags, "-enc", "UTF-8", str(source), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def pdf_fonts(data: bytes, tmp_path: Path) -> list[str]:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(data)
    done = subprocess.run(
        [poppler("pdffonts"), str(source)], capture_output=True, check=True, text=True
    )
    return [line.split()[0] for line in done.stdout.splitlines()[2:]]


def flat(text: str) -> str:
    """PDF text with every run of blanks and line breaks as one space: lines wrap anywhere."""
    return re.sub(r"\s+", " ", text)


def layout_row(lines: Iterable[str], before: str, wrapped: str, after: str) -> bool:
    """A table row in `pdftotext -layout`: its line starts with `before` and the first line of the
    `wrapped` cell, and ends with `after`."""
    for line in lines:
        if line.startswith(before) and line.endswith(after):
            middle = line[len(before) : len(line) - len(after)].strip()
            if middle and wrapped.startswith(middle):
                return True
    return False


def sheet_rows(data: bytes, title: str) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in workbook[title].iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def every_export(report: Report) -> dict[str, bytes]:
    return {
        "minutes.docx": minutes_docx(report),
        "notice.docx": conclusion_notice_docx(report),
        "minutes.pdf": minutes_pdf(report),
        "questions.xlsx": questions_xlsx(report),
        "questions.csv": questions_csv(report),
    }


def texts_of(files: dict[str, bytes], tmp_path: Path) -> dict[str, str]:
    """Every file's text as a reader sees it."""
    workbook = load_workbook(io.BytesIO(files["questions.xlsx"]))
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    return {
        "minutes.docx": docx_text(files["minutes.docx"]),
        "notice.docx": docx_text(files["notice.docx"]),
        "minutes.pdf": pdf_text(files["minutes.pdf"], tmp_path, layout=False),
        "questions.xlsx": "\n".join(cells),
        "questions.csv": files["questions.csv"].decode("utf-8-sig"),
    }


# --- the minutes as DOCX -------------------------------------------------------------------------


def test_minutes_docx_has_the_heading_facts_agenda_and_sites(report: Report) -> None:
    data = minutes_docx(report)
    paragraphs = docx_paragraphs(data)
    assert paragraphs[:3] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Ngày 01 tháng 6 năm 2025",
    ]
    assert paragraphs[3:6] == ["BIÊN BẢN", "HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI", TITLE]
    for line in (
        f"Tên hội nghị: {TITLE}",
        "Ngày: 01/06/2025",
        "Cấp: Phường/xã",
        f"Chủ trì: {CHAIR}",
        "Số điểm cầu: 3",
        "Tổng số người dự: 200",
        "1. Khai mạc, giới thiệu đại biểu",
        "2. Đối thoại với Nhân dân",
        "3. Kết luận hội nghị",
    ):
        assert line in paragraphs
    sites = docx_tables(data)[0]
    assert sites == [
        ("STT", "Điểm cầu", "Số người dự", "Lượt phát biểu", "Ý kiến", "Câu hỏi"),
        *SITES,
    ]


def test_minutes_docx_has_every_turn_with_its_opinions(report: Report) -> None:
    paragraphs = docx_paragraphs(minutes_docx(report))
    start = paragraphs.index("Lượt 1: Nguyễn Văn Hùng (Tổ dân phố số 5) — " + HALL_NAME)
    assert paragraphs[start : start + 4] == [
        "Lượt 1: Nguyễn Văn Hùng (Tổ dân phố số 5) — " + HALL_NAME,
        "Chủ đề: Cấp giấy chứng nhận; Thời gian phát biểu: 3 phút 20 giây",
        f"1. {TEXT['o1']}",
        f"2. {TEXT['o2']}",
    ]
    start = paragraphs.index(f"Lượt 2: Trần Thị Mai (Tổ dân phố số 12) — {A_NAME}")
    assert paragraphs[start + 1 : start + 5] == [
        "Thời gian phát biểu: 2 phút",
        f"1. {TEXT['o3']}",
        f"2. {TEXT['o4']}",
        f"3. {TEXT['o5']}",
    ]
    start = paragraphs.index(f"Lượt 3: Lê Văn Cường — {B_NAME}")
    assert paragraphs[start + 1 : start + 3] == [
        "Chủ đề: Vỉa hè; Thời gian phát biểu: 1 phút 30 giây",
        f"1. {TEXT['o6']}",
    ]
    assert not any("Hoàng Văn Dũng" in p for p in paragraphs)  # declined: never spoke


def test_minutes_docx_has_every_question_with_answer_answerer_and_decision(report: Report) -> None:
    paragraphs = docx_paragraphs(minutes_docx(report))
    for question_id, number in NUMBER.items():
        start = paragraphs.index(f"Câu {number}. {TEXT[question_id]}")
        end = next(
            (i for i in range(start + 1, len(paragraphs)) if paragraphs[i].startswith("Câu ")),
            len(paragraphs),
        )
        block = paragraphs[start:end]
        assert f"Kết luận của chủ trì: {decision_text(question_id)}" in block
        if question_id in ANSWER:
            name, role = ANSWERED_BY[question_id]
            assert f"Người trả lời: {name}, {role}" in block
            assert f"Nội dung trả lời: {ANSWER[question_id]}" in block
        decision, agency, deadline, _, reason = DECIDED.get(question_id, ("", "", "", None, ""))
        if agency:
            assert f"Cơ quan thực hiện: {agency}" in block
            assert f"Thời hạn: {dt.date.fromisoformat(deadline):%d/%m/%Y}" in block
        if reason:
            assert f"Lý do: {reason}" in block
    i1 = paragraphs.index(f"Câu 1. {TEXT['i1']}")
    assert paragraphs[i1 + 1 : i1 + 7] == [
        "Người nêu: Ông An · Tổ 5; Bà Lan · Tổ 7",  # i4 was merged into it
        f"Điểm cầu: {A_NAME}",
        f"Lĩnh vực: {LAND}",
        "Cơ quan trả lời: UBND",
        "Thẩm quyền: Phường/xã",
        "Nguồn: Thu thập trước hội nghị",
    ]
    assert (
        "Kết quả biểu quyết: Hài lòng 16 (72,7%); Tương đối hài lòng 4 (18,2%); Chưa hài lòng 2 (9,1%); tổng số 22 phiếu"
        in paragraphs
    )
    assert f"Văn bản trả lời: {WRITTEN_ANSWER}" in paragraphs
    assert "Ngày trả lời bằng văn bản: 10/06/2025" in paragraphs
    assert "Tình trạng: Quá hạn" in paragraphs
    assert "Nguồn: Từ điện thoại" in paragraphs
    assert "Nguồn: Thư ký nhập" in paragraphs
    assert "Nguồn: Nêu khi phát biểu" in paragraphs
    for gone in ("i4", "p2"):  # merged, rejected: not questions of the meeting any more
        assert not any(TEXT[gone] in p for p in paragraphs)


def test_minutes_docx_has_every_statistic(report: Report) -> None:
    data = minutes_docx(report)
    paragraphs = docx_paragraphs(data)
    for sentence in SUMMARY:
        assert sentence in paragraphs
    assert (
        "Biểu quyết về các câu trả lời: Hài lòng 27 (64,3%); Tương đối hài lòng 6 (14,3%);"
        " Chưa hài lòng 9 (21,4%); tổng số 42 phiếu." in paragraphs
    )
    assert (
        "Biểu quyết về hội nghị: Hài lòng 87 (77%); Tương đối hài lòng 19 (16,8%);"
        " Chưa hài lòng 7 (6,2%); tổng số 113 phiếu." in paragraphs
    )
    tables = docx_tables(data)
    statistics = [
        row
        for table in tables
        if table[0] == ("Chỉ tiêu", "Số lượng", "Tỷ lệ")
        for row in table[1:]
    ]
    assert statistics == [(label, str(count), share) for _, label, count, share in STATISTICS]
    satisfaction = [row for table in tables if table[0][0] == "Đối tượng" for row in table[1:]]
    assert satisfaction == [
        (subject, *SATISFACTION_TEXT[subject]) for _, subject, *_ in SATISFACTION
    ]


def _printed_share(text: str) -> int:
    """ "18,2%" or "16 (72,7%)" as tenths of a percent."""
    match = re.search(r"([\d,]+)%", text)
    assert match is not None, text
    return round(10 * float(match.group(1).replace(",", ".")))


def test_every_printed_set_of_shares_adds_up_to_100_percent(report: Report) -> None:
    """The shares of a section are of one whole (the follow-up's first line is that whole, with no
    share); printed, they add up to exactly 100,0 %, and so do the three of every ballot."""
    sections: dict[str, list[int]] = {}
    for section, _, count, share in STATISTICS:
        if share and count:
            sections.setdefault(section, []).append(_printed_share(share))
    assert sorted(sections) == sorted({s for s, *_ in STATISTICS} - {"Tổng quan"})
    for section, printed in sections.items():
        assert sum(printed) == 1000, (section, printed)
    tables = docx_tables(minutes_docx(report))
    for row in (row for table in tables if table[0][0] == "Đối tượng" for row in table[1:]):
        assert sum(_printed_share(cell) for cell in row[1:4]) == 1000, row


@pytest.mark.parametrize(
    "counts",
    [(1, 1, 1), (2, 2, 2, 2, 1, 1, 1), (1, 1, 1, 1, 1, 1, 1), (3, 3, 2), (1, 2, 4), (997, 2, 1)],
)
def test_shares_of_a_whole_print_as_100_percent(counts: tuple[int, ...]) -> None:
    printed = [percent_text(share) for share in shares(counts, sum(counts))]
    assert sum(_printed_share(text) for text in printed) == 1000, printed


def test_docx_styles_name_times_new_roman_for_every_script(report: Report) -> None:
    for data in (minutes_docx(report), conclusion_notice_docx(report)):
        document = docx.Document(io.BytesIO(data))
        styles = document.styles.element
        fonts = list(
            styles.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        )
        assert fonts
        for element in fonts:
            values = {key.rsplit("}", 1)[1]: value for key, value in element.attrib.items()}
            assert values == {
                "ascii": "Times New Roman",
                "hAnsi": "Times New Roman",
                "eastAsia": "Times New Roman",
                "cs": "Times New Roman",
            }
        section = document.sections[0]
        assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # type: ignore[union-attr]


def test_no_table_row_of_the_docx_splits_across_pages(report: Report) -> None:
    """A question cut after its first line, or the chair's title on one page and the name on
    the next (seen when the notice was opened in LibreOffice), must not happen."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for data in (minutes_docx(report), conclusion_notice_docx(report)):
        body = docx.Document(io.BytesIO(data)).element.body
        rows = [row for table in body.iter(f"{w}tbl") for row in table.iter(f"{w}tr")]
        headers = [row for row in rows if row.find(f"{w}trPr/{w}tblHeader") is not None]
        kept = [row for row in rows if row.find(f"{w}trPr/{w}cantSplit") is not None]
        assert len(rows) > 10
        assert len(kept) == len(rows) - len(headers)  # every row but the repeated headers


# --- the conclusion notice -----------------------------------------------------------------------


def test_conclusion_notice_lists_every_promised_answer_by_answering_body(report: Report) -> None:
    data = conclusion_notice_docx(report)
    paragraphs = docx_paragraphs(data)
    assert paragraphs[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert "THÔNG BÁO" in paragraphs
    assert "KẾT LUẬN CỦA CHỦ TRÌ HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI" in paragraphs
    assert "(Dự thảo)" in paragraphs
    assert (
        paragraphs[2] == "Ngày 01 tháng 7 năm 2025"
    )  # drafted today (Decree 30: no 0 before months from 3)
    assert (
        f"Ngày 01/06/2025, tại 3 điểm cầu, {CHAIR} chủ trì {TITLE} (cấp phường/xã)."
        " Chủ trì hội nghị kết luận như sau:" in paragraphs
    )
    # grouped by answering body, in the fixed order; the party has no promised answer here
    headings = [p for p in paragraphs if re.fullmatch(r"\d\. (Đảng ủy|HĐND|UBND|Khác)", p)]
    assert headings == ["1. HĐND", "2. UBND", "3. Khác"]
    tables = docx_tables(data)
    header = ("Câu", "Nội dung ý kiến, kiến nghị", "Hình thức", "Cơ quan thực hiện", "Thời hạn")
    promised = [table for table in tables if table[0] == header]
    assert [table[1:] for table in promised] == [
        [
            (
                "5",
                TEXT["o2"],
                "Chuyển cấp có thẩm quyền (Thành phố)",
                "HĐND thành phố",
                "20/06/2025",
            ),
            ("10", TEXT["p1"], "Trả lời bằng văn bản", "Phòng Giáo dục và Đào tạo", "15/07/2025"),
        ],
        [
            (
                "2",
                TEXT["i2"],
                "Chuyển cấp có thẩm quyền (Quận/huyện)",
                "UBND quận Long Biên",
                "16/06/2025",
            ),
            (
                "4",
                TEXT["o1"],
                "Trả lời bằng văn bản",
                "Phòng Tài nguyên và Môi trường",
                "16/06/2025",
            ),
            ("7", TEXT["o4"], "Trả lời bằng văn bản", "Trạm Y tế phường", "16/06/2025"),
        ],
        [
            (
                "11",
                TEXT["m1"],
                "Chuyển cấp có thẩm quyền (Quận/huyện)",
                "Ban Quản lý dự án quận",
                "25/06/2025",
            ),
        ],
    ]
    figures = next(table for table in tables if table[0] == ("Chỉ tiêu", "Số lượng", "Tỷ lệ"))
    assert figures[1:] == [
        ("Số điểm cầu", "3", ""),
        ("Số người dự", "200", ""),
        ("Số lượt phát biểu", "3", ""),
        ("Tổng số ý kiến, kiến nghị", "11", ""),
        ("Thu thập trước hội nghị", "3", "27,3%"),
        ("Nêu tại hội nghị", "8", "72,7%"),
        ("Đã trả lời trước hội nghị", "0", "0%"),
        ("Trả lời tại hội nghị", "3", "27,3%"),
        ("Trả lời bằng văn bản", "3", "27,3%"),
        ("Chuyển cấp có thẩm quyền", "3", "27,2%"),  # the decisions' shares add up to 100 %
        ("Không tiếp thu", "1", "9,1%"),
        ("Chưa quyết định", "1", "9,1%"),
        ("Phiếu hài lòng về các câu trả lời", "27", "64,3%"),
        ("Phiếu hài lòng về hội nghị", "87", "77%"),
    ]
    text = docx_text(data)
    for question_id in ("i1", "i3", "o3", "o5", "o6"):  # not promised: not in the notice
        assert TEXT[question_id] not in text


# --- the minutes as PDF --------------------------------------------------------------------------


def test_minutes_pdf_says_what_the_docx_says(report: Report, tmp_path: Path) -> None:
    data = minutes_pdf(report)
    assert data.startswith(b"%PDF-")
    text = flat(pdf_text(data, tmp_path, layout=False))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Ngày 01 tháng 6 năm 2025",
        "BIÊN BẢN",
        TITLE,
        "Ngày: 01/06/2025",
        "Cấp: Phường/xã",
        f"Chủ trì: {CHAIR}",
        *(f"{i}. {title}" for i, title in enumerate(AGENDA, start=1)),
        "Lượt 1: Nguyễn Văn Hùng (Tổ dân phố số 5) — " + HALL_NAME,
        "Chủ đề: Cấp giấy chứng nhận; Thời gian phát biểu: 3 phút 20 giây",
        *(TEXT[q] for q in NUMBER),
        *(f"Câu {n}." for n in NUMBER.values()),
        *(f"Nội dung trả lời: {answer}" for answer in ANSWER.values()),
        *(f"Người trả lời: {name}, {role}" for name, role in ANSWERED_BY.values()),
        *(f"Kết luận của chủ trì: {decision_text(q)}" for q in NUMBER),
        *SUMMARY,
        "Theo điểm cầu (gồm cả biểu quyết chung về hội nghị)",
    ):
        assert flat(expected) in text, expected
    # the tables: one line per row in the layout, a long first text cell wrapped in its column
    lines = [flat(line).strip() for line in pdf_text(data, tmp_path).splitlines()]
    for _, label, count, share in STATISTICS:
        assert layout_row(lines, "", label, f"{count} {share}".strip()), label
    for _, subject, *_ in SATISFACTION:
        assert layout_row(lines, "", subject, " ".join(SATISFACTION_TEXT[subject])), subject
    for number, name, *counts in SITES:
        assert layout_row(lines, number, name, " ".join(counts)), name
    # autoescaped: a question's markup is text
    assert "Đề nghị sửa <đèn> & cống ngõ 5" in text


def test_minutes_pdf_embeds_only_the_vendored_font_and_renders_the_first_page(
    report: Report, tmp_path: Path
) -> None:
    data = minutes_pdf(report)
    fonts = pdf_fonts(data, tmp_path)
    # subset prefix + the vendored font: no system font stood in for any Vietnamese letter
    assert {re.sub(r"^[A-Z]{6}\+", "", f) for f in fonts} == {
        "BeVietnamPro-Regular",
        "BeVietnamPro-Bold",
        "BeVietnamPro-Italic",
    }, fonts
    ARTIFACTS.mkdir(exist_ok=True)
    source = tmp_path / "minutes.pdf"
    source.write_bytes(data)
    target = ARTIFACTS / "export-minutes-page1"
    subprocess.run(
        [
            poppler("pdftoppm"),
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(target),
        ],
        check=True,
    )
    assert (ARTIFACTS / "export-minutes-page1.png").stat().st_size > 10_000


# --- the questions as XLSX and CSV ---------------------------------------------------------------

QUESTION_HEADER = (
    "STT",
    "Mã câu hỏi",
    "Nội dung ý kiến",
    "Người nêu",
    "Điểm cầu",
    "Lĩnh vực",
    "Cơ quan trả lời",
    "Thẩm quyền",
    "Nguồn",
    "Người trả lời",
    "Nội dung trả lời",
    "Kết luận của chủ trì",
    "Cơ quan thực hiện",
    "Thời hạn",
    "Chuyển đến cấp",
    "Lý do",
    "Tình trạng",
    "Văn bản trả lời",
    "Ngày trả lời bằng văn bản",
    "Hài lòng",
    "Tương đối hài lòng",
    "Chưa hài lòng",
    "Tổng số phiếu",
    "Tỷ lệ hài lòng",
)


def test_xlsx_has_the_four_sheets(report: Report) -> None:
    workbook = load_workbook(io.BytesIO(questions_xlsx(report)))
    assert workbook.sheetnames == ["Câu hỏi", "Lượt phát biểu", "Thống kê", "Điểm cầu"]


def test_xlsx_questions_sheet_has_every_field(report: Report) -> None:
    rows = sheet_rows(questions_xlsx(report), "Câu hỏi")
    assert rows[0] == QUESTION_HEADER
    assert [row[1] for row in rows[1:]] == list(NUMBER)
    assert rows[1] == (
        1,
        "i1",
        TEXT["i1"],
        "Ông An · Tổ 5; Bà Lan · Tổ 7",
        A_NAME,
        LAND,
        "UBND",
        "Phường/xã",
        "Thu thập trước hội nghị",
        "Phạm Minh Tuấn, Chủ tịch UBND phường",
        ANSWER["i1"],
        "Trả lời tại hội nghị",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        16,
        4,
        2,
        22,
        0.727,  # to a tenth of a percent, as the shares printed beside it (adding up to 100 %)
    )
    o1 = rows[NUMBER["o1"]]
    assert o1[8:19] == (
        "Nêu khi phát biểu",
        None,
        None,
        "Trả lời bằng văn bản",
        "Phòng Tài nguyên và Môi trường",
        dt.datetime(2025, 6, 16),
        None,
        None,
        "Đã trả lời",
        WRITTEN_ANSWER,
        dt.datetime(2025, 6, 10),
    )
    assert o1[3] == "Nguyễn Văn Hùng · Tổ dân phố số 5"
    assert o1[19:23] == (4, 2, 6, 12)
    assert rows[NUMBER["o2"]][11:17] == (
        "Chuyển cấp có thẩm quyền",
        "HĐND thành phố",
        dt.datetime(2025, 6, 20),
        "Thành phố",
        None,
        "Quá hạn",
    )
    assert rows[NUMBER["o3"]][11] == "Không tiếp thu"
    assert rows[NUMBER["o3"]][15] == "Không thuộc nội dung hội nghị"
    assert rows[NUMBER["o6"]][11] == "Chưa quyết định"
    assert rows[NUMBER["p1"]][6:9] == ("HĐND", "Thành phố", "Từ điện thoại")
    assert rows[NUMBER["p1"]][16] == "Đang chờ"
    assert rows[NUMBER["m1"]][2] == TEXT["m1"]
    assert rows[NUMBER["m1"]][8] == "Thư ký nhập"


def test_xlsx_turns_sites_and_statistics_sheets(report: Report) -> None:
    data = questions_xlsx(report)
    turns = sheet_rows(data, "Lượt phát biểu")
    assert turns[1:] == [
        (
            1,
            "Nguyễn Văn Hùng",
            "Tổ dân phố số 5",
            HALL_NAME,
            "Cấp giấy chứng nhận",
            200,
            2,
            f"1. {TEXT['o1']}\n2. {TEXT['o2']}",
        ),
        (
            2,
            "Trần Thị Mai",
            "Tổ dân phố số 12",
            A_NAME,
            None,
            120,
            3,
            f"1. {TEXT['o3']}\n2. {TEXT['o4']}\n3. {TEXT['o5']}",
        ),
        (3, "Lê Văn Cường", None, B_NAME, "Vỉa hè", 90, 1, f"1. {TEXT['o6']}"),
    ]
    sites = sheet_rows(data, "Điểm cầu")
    assert sites[1:] == [
        (HALL_NAME, "Có", 120, 1, 2, 4, 71, 13, 7, 91, 0.78),
        (A_NAME, None, 45, 1, 3, 4, 24, 7, 7, 38, 0.632),
        (B_NAME, None, 35, 1, 1, 3, 19, 5, 2, 26, 0.731),
    ]
    rows = sheet_rows(data, "Thống kê")
    assert rows[0] == ("Nhóm", "Chỉ tiêu", "Số lượng", "Tỷ lệ", None, None, None, None, None)
    counts = rows[1 : 1 + len(STATISTICS)]
    assert [row[:3] for row in counts] == [(s, label, n) for s, label, n, _ in STATISTICS]
    for row, (*_, share) in zip(counts, STATISTICS, strict=True):
        shown = (
            ""
            if row[3] is None
            else f"{row[3] * 100:.1f}".removesuffix(".0").replace(".", ",") + "%"
        )
        assert shown == share, row
    header = 2 + len(STATISTICS)
    assert rows[header - 1] == (None,) * 9
    assert rows[header][:3] == ("Mức độ hài lòng", "Đối tượng", "Hài lòng")
    block = rows[header + 1 :]
    assert [(r[0], r[1], r[2], r[4], r[6], r[8]) for r in block] == [
        (section, subject, s, p, n, s + p + n) for section, subject, s, p, n in SATISFACTION
    ]
    meeting = block[-1]
    # stored as printed, to a tenth of a percent, so Excel's column adds up to 100 % too
    assert (meeting[3], meeting[5], meeting[7]) == (0.77, 0.168, 0.062)
    for row in block:
        assert round(1000 * (row[3] + row[5] + row[7])) == 1000, row


def test_csv_is_the_questions_sheet_with_a_bom_and_crlf(report: Report) -> None:
    data = questions_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].split(b"\r\n")
    assert lines[-1] == b""
    assert b"\n" not in b"".join(lines)  # no bare LF anywhere: the texts here have no line breaks
    rows = csv_rows(data)
    assert tuple(rows[0]) == QUESTION_HEADER
    assert len(rows) == 1 + len(NUMBER)
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id["i1"] == [
        "1",
        "i1",
        TEXT["i1"],
        "Ông An · Tổ 5; Bà Lan · Tổ 7",
        A_NAME,
        LAND,
        "UBND",
        "Phường/xã",
        "Thu thập trước hội nghị",
        "Phạm Minh Tuấn, Chủ tịch UBND phường",
        ANSWER["i1"],
        "Trả lời tại hội nghị",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "16",
        "4",
        "2",
        "22",
        "72,7%",
    ]
    assert by_id["o2"][11:17] == [
        "Chuyển cấp có thẩm quyền",
        "HĐND thành phố",
        "20/06/2025",
        "Thành phố",
        "",
        "Quá hạn",
    ]
    assert by_id["o1"][17:24] == [WRITTEN_ANSWER, "10/06/2025", "4", "2", "6", "12", "33,3%"]
    assert by_id["m1"][2] == TEXT["m1"]
    # the same columns and values as the sheet, written as text
    sheet = sheet_rows(questions_xlsx(report), "Câu hỏi")
    assert [len(row) for row in rows] == [len(row) for row in sheet]
    for row, cells in zip(rows[1:], sheet[1:], strict=True):
        for text, value in zip(row, cells, strict=True):
            if isinstance(value, str | int) and not isinstance(value, bool):
                assert text == str(value)


# --- Vietnamese, whatever the format -------------------------------------------------------------

VIETNAMESE = "Ưu tiên xử lý ổ gà đường Nguyễn Văn Cừ; Bà Đặng Thị Ỷ, tổ 9, phường Ngọc Thụy"


def test_vietnamese_round_trips_composed_in_every_format(tmp_path: Path) -> None:
    composed = unicodedata.normalize("NFC", VIETNAMESE)
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert composed != decomposed
    events: list[Event] = [
        created(title=decomposed),
        QuestionsImported(
            (
                rec("n1", composed, asker="Bà Đặng Thị Ỷ", site=HALL),
                rec("n2", decomposed + " (NFD)", site=SITE_A),  # text as some keyboards send it
            ),
            T0 + 1,
        ),
        QuestionDecided("n1", "written", "Ủy ban nhân dân phường", "2025-06-30", None, "", T0 + 2),
        QuestionDecided("n2", "written", "Ủy ban nhân dân phường", "2025-06-30", None, "", T0 + 2),
    ]
    files = every_export(report_of(events))
    for name, text in texts_of(files, tmp_path).items():
        text = flat(text)
        assert composed in text, name
        assert composed + " (NFD)" in text, name  # composed on the way out
        assert decomposed not in text, name
        assert unicodedata.is_normalized("NFC", text), name
        assert "Ủy ban nhân dân phường" in text, name


# --- bad input -----------------------------------------------------------------------------------


def test_a_meeting_without_questions_turns_or_votes_still_exports(tmp_path: Path) -> None:
    events: list[Event] = [created(agenda=())]
    report = report_of(events)
    files = every_export(report)
    texts = texts_of(files, tmp_path)
    assert "Không có ý kiến, kiến nghị." in texts["minutes.docx"]
    assert "Không có lượt phát biểu." in texts["minutes.docx"]
    assert "Không có chương trình." in texts["minutes.docx"]
    assert "Không có biểu quyết." in texts["minutes.docx"]
    assert "Không có ý kiến, kiến nghị." in texts["minutes.pdf"]
    assert "Không có nội dung hẹn trả lời sau hội nghị." in texts["notice.docx"]
    assert (
        "Tổng số 0 ý kiến, kiến nghị: 0 ý kiến thu thập trước hội nghị và 0 ý kiến nêu tại hội nghị."
        in texts["minutes.docx"]
    )
    # no attendance entered: "chưa ghi nhận", never 0
    assert ("1", f"{HALL_NAME} (điểm cầu chính)", "chưa ghi nhận", "0", "0", "0") in docx_tables(
        files["minutes.docx"]
    )[0]
    rows = sheet_rows(files["questions.xlsx"], "Câu hỏi")
    assert rows == [QUESTION_HEADER]
    assert sheet_rows(files["questions.xlsx"], "Lượt phát biểu")[1:] == []
    statistics = sheet_rows(files["questions.xlsx"], "Thống kê")
    assert statistics[6][:4] == ("Nguồn ý kiến, kiến nghị", "Thu thập trước hội nghị", 0, None)
    assert csv_rows(files["questions.csv"]) == [list(QUESTION_HEADER)]


ATTENDANCE_CASES = {
    # sites that entered a count -> (the total as the papers print it, the summary sentence)
    "none": (
        (),
        "chưa ghi nhận",
        "Hội nghị được tổ chức tại 3 điểm cầu; số người dự chưa ghi nhận.",
    ),
    "some": (
        (AttendanceSet(HALL, 120, T0), AttendanceSet(SITE_B, 0, T0)),  # 0 entered is a count
        "120 (1 điểm cầu chưa ghi nhận)",
        "Hội nghị được tổ chức tại 3 điểm cầu; số người dự đã ghi nhận tại 2 điểm cầu là"
        " 120 người, 1 điểm cầu chưa ghi nhận số người dự.",
    ),
    "all": (
        (AttendanceSet(HALL, 120, T0), AttendanceSet(SITE_A, 45, T0), AttendanceSet(SITE_B, 0, T0)),
        "165",
        "Hội nghị có 165 người dự tại 3 điểm cầu.",
    ),
}


@pytest.mark.parametrize("case", list(ATTENDANCE_CASES))
def test_attendance_nobody_entered_is_printed_as_not_recorded_never_0(
    case: str, tmp_path: Path
) -> None:
    entered, total, sentence = ATTENDANCE_CASES[case]
    report = report_of([created(), *entered])
    files = every_export(report)
    texts = {name: flat(text) for name, text in texts_of(files, tmp_path).items()}
    minutes = docx_paragraphs(files["minutes.docx"])
    assert f"Tổng số người dự: {total}" in minutes
    assert sentence in minutes
    assert sentence in texts["minutes.pdf"]
    counts = {a.site_id: a.attendance for a in entered if isinstance(a, AttendanceSet)}
    sites = [row[2] for row in docx_tables(files["minutes.docx"])[0][1:]]
    assert sites == [
        str(counts[s]) if s in counts else "chưa ghi nhận" for s in (HALL, SITE_A, SITE_B)
    ]
    for paper in ("minutes.docx", "notice.docx"):
        figures = [row for table in docx_tables(files[paper]) for row in table]
        assert ("Số người dự", total, "") in figures, paper
    assert f"Tổng số người dự: {total}" in texts["minutes.pdf"]
    statistics = sheet_rows(files["questions.xlsx"], "Thống kê")
    # a number only when it is the whole; the words otherwise, so no sheet adds up a part
    assert statistics[2][1:3] == ("Số người dự", int(total) if case == "all" else total)
    by_site = [row[2] for row in sheet_rows(files["questions.xlsx"], "Điểm cầu")[1:]]
    assert by_site == [counts.get(s, "chưa ghi nhận") for s in (HALL, SITE_A, SITE_B)]
    for text in texts.values():
        assert "Hội nghị có 0 người dự" not in text
        assert "Tổng số người dự: 0" not in text


FORMULAS = [
    '=HYPERLINK("http://example.com/?x="&A1,"Bấm vào đây")',
    "+84 912 345 678",
    "-1+2",
    "@SUM(A1:A2)",
    "  =1+1",
    "\t=1+1",
    "＝1+1",
]


def test_formula_like_texts_stay_text(tmp_path: Path) -> None:
    records = tuple(
        rec(f"f{i}", text, asker=text, site=HALL, field=text) for i, text in enumerate(FORMULAS)
    )
    events: list[Event] = [
        created(sites=(SiteInfo(HALL, "=cmd|' /C calc'!A0", is_main_hall=True),)),
        QuestionsImported(records, T0 + 1),
        *(AnswererSet(f"f{i}", text, "") for i, text in enumerate(FORMULAS)),
        *(AnswerEdited(f"f{i}", 0, text) for i, text in enumerate(FORMULAS)),
    ]
    report = report_of(events)
    data = questions_xlsx(report)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name  # no formula anywhere
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Câu hỏi"]
    for i, text in enumerate(FORMULAS, start=2):
        for column in (3, 4, 6, 10, 11):  # text, asker, field, answered by, answer
            cell = sheet.cell(i, column)
            assert cell.data_type == "s"
            assert cell.value == text  # exactly the text: no apostrophe added
            assert cell.quotePrefix  # and Excel keeps it text when someone edits it
    assert workbook["Điểm cầu"].cell(2, 1).value == "=cmd|' /C calc'!A0"
    assert workbook["Điểm cầu"].cell(2, 1).data_type == "s"
    rows = csv_rows(questions_csv(report))
    for row, text in zip(rows[1:], FORMULAS, strict=True):
        assert row[2] == row[3] == row[5] == row[9] == row[10] == "'" + text
    # the documents show them as they are
    docx_all = docx_text(minutes_docx(report))
    pdf_all = pdf_text(minutes_pdf(report), tmp_path, layout=False)
    for text in FORMULAS:
        assert text in docx_all
        # the PDF font has no full-width forms: U+FF1D shows as "=" (server/papers/pdf.py)
        assert text.strip().replace("\uff1d", "=") in pdf_all


CONTROL = "Đèn\x00 hỏng\x07\x1b ở ngõ\x0b 5\x0c\ufffe\ud800 tổ\x7f 3"
CONTROL_CLEAN = "Đèn hỏng ở ngõ 5 tổ\x7f 3"


def test_control_characters_xml_forbids_are_removed(tmp_path: Path) -> None:
    events: list[Event] = [
        created(
            sites=(SiteInfo(HALL, "Hội\x01 trường", is_main_hall=True),), agenda=("Khai\x02 mạc",)
        ),
        QuestionsImported((rec("c1", CONTROL, asker="Ông\x08 Ba", site=HALL),), T0 + 1),
        AnswerEdited("c1", 0, "Dòng một\nDòng\ttwo\x03"),
        QuestionDecided("c1", "not_taken_up", "", "", None, "Lý do\x1f", T0 + 2),
    ]
    files = every_export(report_of(events))
    rows = sheet_rows(files["questions.xlsx"], "Câu hỏi")
    assert rows[1][2:5] == (CONTROL_CLEAN, "Ông Ba", "Hội trường")
    assert rows[1][10] == "Dòng một\nDòng\ttwo"  # newline and tab are text, kept
    assert rows[1][15] == "Lý do"
    assert csv_rows(files["questions.csv"])[1][2] == CONTROL_CLEAN
    assert csv_rows(files["questions.csv"])[1][10] == "Dòng một\nDòng\ttwo"
    paragraphs = docx_paragraphs(files["minutes.docx"])
    assert f"Câu 1. {CONTROL_CLEAN}" in paragraphs
    assert "1. Khai mạc" in paragraphs
    assert "Đèn hỏng ở ngõ 5 tổ" in pdf_text(files["minutes.pdf"], tmp_path, layout=False)


TYPST_MARKUP = (
    '#set page(width: 1cm) #panic("x") $x^2$ *đậm* _nghiêng_ `mã` [liên kết](http://x) <nhãn>'
    ' @tham_chiếu \\ // chú thích /* khối */ ~ -- --- ... "ngoặc" #{1 + 1}'
)


def test_text_that_looks_like_typst_markup_is_printed_as_it_is(tmp_path: Path) -> None:
    lines = ("= Tiêu đề giả", "- gạch đầu dòng", "+ đánh số", "/ Thuật ngữ: giả")
    events: list[Event] = [
        created(sites=(SiteInfo(HALL, "#set text(size: 1pt)", is_main_hall=True),)),
        QuestionsImported(
            (rec("t1", TYPST_MARKUP, asker="#pagebreak()", site=HALL, field="$ $"),), T0 + 1
        ),
        AnswererSet("t1", "*Ông* _Ba_", ""),
        AnswerEdited("t1", 0, "\n".join(lines)),
    ]
    pdf = pdf_text(minutes_pdf(report_of(events)), tmp_path, layout=False)
    bare = re.sub(r"\s+", "", pdf)  # lines wrap anywhere in a long text
    for text in (TYPST_MARKUP, "#pagebreak()", "$ $", "*Ông* _Ba_", "#set text(size: 1pt)"):
        assert re.sub(r"\s+", "", text) in bare, text
    # the answer's lines stay lines, each one printed as typed
    pdf_lines = [line.strip() for line in pdf.splitlines()]
    assert f"Nội dung trả lời: {lines[0]}" in pdf_lines
    for line in lines[1:]:
        assert line in pdf_lines, line


def test_a_3000_letter_word_breaks_nothing(tmp_path: Path) -> None:
    word = ("Nghiêngđườngngõhẻm" * 170)[:3000]
    assert len(word) == 3000
    events = [
        created(
            sites=(SiteInfo(HALL, word, is_main_hall=True), SiteInfo(SITE_A, "Phường A")),
            agenda=(word,),
        ),
        QuestionsImported((rec("w1", word, asker=word, site=HALL, field=word),), T0 + 1),
        *turn("r1", SITE_A, word, word, word, T0 + 100, 60, []),
        OpinionRecorded("w2", "r1", SITE_A, word, word, "committee", T0 + 120),
        AnswererSet("w1", word, word),
        AnswerEdited("w1", 0, word),
        QuestionDecided("w1", "written", word, "2025-06-30", None, word, T0 + 200),
    ]
    report = report_of(events)
    files = every_export(report)
    assert ("1", f"{word} (điểm cầu chính)", "chưa ghi nhận", "0", "0", "1") in docx_tables(
        files["minutes.docx"]
    )[0]
    assert f"Câu 1. {word}" in docx_paragraphs(files["minutes.docx"])
    assert sheet_rows(files["questions.xlsx"], "Câu hỏi")[1][2] == word
    assert csv_rows(files["questions.csv"])[1][2] == word
    pdf = pdf_text(files["minutes.pdf"], tmp_path, layout=False)
    assert word in re.sub(r"\s+", "", pdf)  # wrapped across lines, every letter there
    # it wrapped inside the page: each PDF line is far shorter than the word
    assert max(len(line) for line in pdf.splitlines()) < 200


def test_cells_over_excels_limit_are_cut_with_a_mark() -> None:
    answer = "Trả lời dài. " * 4000  # 52,000 characters
    astral = "𝕍" * 20_000  # 40,000 UTF-16 units, as Excel counts
    events: list[Event] = [
        created(),
        QuestionsImported((rec("x1", "Câu hỏi", site=HALL), rec("x2", astral, site=HALL)), T0 + 1),
        AnswerEdited("x1", 0, answer),
    ]
    report = report_of(events)
    rows = sheet_rows(questions_xlsx(report), "Câu hỏi")
    cut = rows[1][10]
    assert len(cut) == EXCEL_CELL_LIMIT
    assert cut == answer[: EXCEL_CELL_LIMIT - 1] + "…"
    cut_astral = rows[2][2]
    assert len(cut_astral.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    assert cut_astral.endswith("𝕍…")
    assert csv_rows(questions_csv(report))[1][10] == cut
    # the minutes keep the whole answer
    assert f"Nội dung trả lời: {answer}" in docx_paragraphs(minutes_docx(report))


def many_questions_events(count: int) -> list[Event]:
    """A meeting of `count` questions from intake, every fifth decided, a ballot on the first."""
    bodies: tuple[Body, ...] = ("party", "council", "committee", "other")
    levels: tuple[Level, ...] = ("ward", "district", "city")
    records = tuple(
        rec(
            f"q{i}",
            f"Ý kiến số {i}: đề nghị sửa chữa đường ngõ {i % 97}, lắp đèn chiếu sáng và nạo vét cống.",
            asker=f"Người dân {i}",
            group=f"Tổ {i % 40}",
            site=(HALL, SITE_A, SITE_B)[i % 3],
            field=("Giao thông", "Môi trường", "Y tế", "Giáo dục")[i % 4],
            body=bodies[i % 4],
            level=levels[i % 3],
            prepared="Phường đã có kế hoạch sửa chữa trong quý III năm 2025.",
        )
        for i in range(1, count + 1)
    )
    decisions: tuple[ChairDecision, ...] = ("on_the_spot", "written", "forwarded", "not_taken_up")
    events: list[Event] = [
        created(),
        QuestionsImported(records, T0 + 1),
        BallotOpened("b1", "q1", "three", True, T0 + 2),
        PaperCountSet("b1", HALL, 30, 5, 1),
    ]
    for i in range(1, count + 1, 5):
        decision = decisions[i % 4]
        events.append(
            QuestionDecided(
                f"q{i}",
                decision,
                "UBND phường" if decision in ("written", "forwarded") else "",
                "2025-06-20" if decision in ("written", "forwarded") else "",
                "district" if decision == "forwarded" else None,
                "",
                T0 + 3,
            )
        )
    return events


def test_ten_thousand_questions_in_the_tables_and_the_pdf(tmp_path: Path) -> None:
    """10,000 questions in XLSX, CSV and the PDF minutes (1,800 pages); they are timed outside
    the suite (bench/exports.py), the DOCX at 1,000 below."""
    report = report_of(many_questions_events(10_000))
    assert len(report.questions) == 10_000
    rows = sheet_rows(questions_xlsx(report), "Câu hỏi")
    assert len(rows) == 10_001
    assert rows[-1][:3] == (10_000, "q10000", report.questions[-1].text)
    assert len(csv_rows(questions_csv(report))) == 10_001
    pdf = flat(pdf_text(minutes_pdf(report), tmp_path))
    assert f"Câu 10000. {report.questions[-1].text}" in pdf
    assert re.search(r"Tổng số ý kiến, kiến nghị +10000\b", pdf)


def test_a_thousand_questions_in_the_documents(tmp_path: Path) -> None:
    report = report_of(many_questions_events(1_000))
    files = every_export(report)
    assert f"Câu 1000. {report.questions[-1].text}" in docx_paragraphs(files["minutes.docx"])
    assert "Tổng số ý kiến, kiến nghị | 1000 | " in docx_text(files["notice.docx"])
    pdf = flat(pdf_text(files["minutes.pdf"], tmp_path, layout=False))
    assert f"Câu 1000. {report.questions[-1].text}" in pdf


def _with_hidden_ballot(choice: Choice, paper: tuple[int, int, int]) -> Report:
    """The scenario with one more ballot, on m1, open with its results hidden."""
    return report_of(
        [
            *scenario_events(),
            BallotOpened("bh", "m1", "three", False, T0 + 3000),
            *votes("bh", ("v1", HALL, choice), ("v2", SITE_A, choice), ("v3", SITE_B, choice)),
            PaperCountSet("bh", SITE_A, *paper),
        ]
    )


def test_an_open_ballot_with_hidden_results_is_in_no_export(tmp_path: Path) -> None:
    happy = texts_of(every_export(_with_hidden_ballot("satisfied", (9, 0, 0))), tmp_path)
    unhappy = texts_of(every_export(_with_hidden_ballot("not_satisfied", (0, 0, 9))), tmp_path)
    before = texts_of(every_export(report_of(scenario_events())), tmp_path)
    for name, text in happy.items():
        assert text == unhappy[name], name  # nothing in the file tells the two apart
        assert text == before[name], name  # nor the open ballot from no ballot at all


# --- delegates invited by name -------------------------------------------------------------------


def delegate(delegate_id: str, site_id: str, gender: str, born: int | None) -> DelegateRecord:
    return DelegateRecord(delegate_id, f"Đại biểu {delegate_id}", "Tổ 1", site_id, gender, born)  # type: ignore[arg-type]


def test_delegates_present_by_composition_are_in_every_paper(tmp_path: Path) -> None:
    """Site A took its door (3 of 4 came, one sent word, one walked in); site B invited two and
    took nothing: it reads "chưa ghi nhận", never 0, and the total says which part is known."""
    invited = (
        delegate("d1", SITE_A, "female", 1995),
        delegate("d2", SITE_A, "female", 1960),
        delegate("d3", SITE_A, "male", 1970),
        delegate("d4", SITE_A, "male", 1950),
        delegate("d5", SITE_B, "female", 1990),
        delegate("d6", SITE_B, "male", None),
    )
    door = (
        DelegateCheckedIn("d1", "code", T0),
        DelegateCheckedIn("d2", "name", T0),
        DelegateCheckedIn("d3", "code", T0),
        DelegateMarkedAbsent("d4", "Ốm", T0),
        WalkInsSet(SITE_A, 1),
    )
    partly = report_of([created(), DelegatesInvited(invited, T0), *door])
    files = every_export(partly)
    texts = texts_of(files, tmp_path)
    sentence = (
        "Tổng số đại biểu dự: 4 (1 điểm cầu chưa ghi nhận) (được mời 6; nữ 2; dưới 35 tuổi 1;"
        " không có giấy mời 1; vắng 1)"
    )
    for paper in ("minutes.docx", "minutes.pdf"):
        assert sentence in flat(texts[paper]), paper
    (table,) = [t for t in docx_tables(files["minutes.docx"]) if t[0][2:3] == ("Được mời",)]
    assert table[1:] == [
        ("1", A_NAME, "4", "3", "2", "1", "1", "1"),
        ("2", B_NAME, "2", *["chưa ghi nhận"] * 5),
    ]
    sites = sheet_rows(files["questions.xlsx"], "Điểm cầu")
    assert sites[0][2:9] == (
        "Số người dự",
        "Đại biểu: được mời",
        "Đại biểu: có mặt",
        "Đại biểu: nữ",
        "Đại biểu: dưới 35 tuổi",
        "Đại biểu: không có giấy mời",
        "Đại biểu: vắng",
    )
    assert [row[2:9] for row in sites[1:]] == [
        ("chưa ghi nhận", None, None, None, None, None, None),  # the hall invited nobody
        (4, 4, 3, 2, 1, 1, 1),  # nobody typed a count: the door's 3 present and 1 walk-in
        ("chưa ghi nhận", 2, *["chưa ghi nhận"] * 5),
    ]
    figures = {row[1]: row[2] for row in sheet_rows(files["questions.xlsx"], "Thống kê")}
    assert figures["Được mời"] == 6
    assert figures["Có mặt theo giấy mời"] == "3 (1 điểm cầu chưa ghi nhận)"

    everyone = report_of(
        [created(), DelegatesInvited(invited, T0), *door, DelegateCheckedIn("d5", "code", T0)]
    )
    whole = minutes_docx(everyone)
    assert "Tổng số đại biểu dự: 5 (được mời 6; nữ 3; dưới 35 tuổi 1;" in docx_text(whole)
    figures = {row[1]: row[2] for row in sheet_rows(questions_xlsx(everyone), "Thống kê") if row[1]}
    assert (figures["Có mặt theo giấy mời"], figures["Trong đó nữ"]) == (4, 3)


def test_a_meeting_without_delegates_has_no_delegate_lines(report: Report) -> None:
    assert "đại biểu dự" not in docx_text(minutes_docx(report)).lower()
    assert "Đại biểu: được mời" not in sheet_rows(questions_xlsx(report), "Điểm cầu")[0]


# --- the heading of an administrative paper (Decree 30/2020; Hướng dẫn 36-HD/VPTW) -------------

COMMITTEE_HEADING = PapersHeading(
    "committee", "ỦY BAN NHÂN DÂN PHƯỜNG THẠCH BÀN", "UBND QUẬN LONG BIÊN", "Thạch Bàn"
)
PARTY_HEADING = PapersHeading(
    "party", "ĐẢNG ỦY PHƯỜNG THẠCH BÀN", "ĐẢNG BỘ QUẬN LONG BIÊN", "Thạch Bàn"
)


def with_heading(heading: PapersHeading) -> Report:
    return report_of([*scenario_events(), PapersHeadingSet(heading)])


def heading_cells(data: bytes) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The heading table's two cells as (line, bold) pairs, read back from the DOCX."""
    table = docx.Document(io.BytesIO(data)).tables[0]
    left, right = table.rows[0].cells
    return (
        [(p.text, bool(p.runs and p.runs[0].bold)) for p in left.paragraphs],
        [(p.text, bool(p.runs and p.runs[0].bold)) for p in right.paragraphs],
    )


def test_a_committees_papers_carry_the_issuer_the_number_and_the_place_before_the_date() -> None:
    report = with_heading(COMMITTEE_HEADING)
    blank = "\u00a0" * 6
    for paper, symbol, date in (
        (minutes_docx(report), "BB", "Thạch Bàn, ngày 01 tháng 6 năm 2025"),
        (conclusion_notice_docx(report), "TB", "Thạch Bàn, ngày 01 tháng 7 năm 2025"),
    ):
        left, right = heading_cells(paper)
        assert left == [
            ("UBND QUẬN LONG BIÊN", False),
            ("ỦY BAN NHÂN DÂN PHƯỜNG THẠCH BÀN", True),
            (f"Số:{blank}/{symbol}-UBND", False),
        ]
        assert right == [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
            ("Độc lập - Tự do - Hạnh phúc", True),
            (date, False),
        ]
        section = docx.Document(io.BytesIO(paper)).sections[0]
        # the page number from page 2 on: a PAGE field in the header, none on the first page
        assert section.different_first_page_header_footer
        assert "PAGE" in section.header._element.xml
        assert "PAGE" not in section.first_page_header._element.xml


def test_a_party_committees_papers_carry_the_partys_own_heading(tmp_path: Path) -> None:
    report = with_heading(PARTY_HEADING)
    left, right = heading_cells(minutes_docx(report))
    assert left == [
        ("ĐẢNG BỘ QUẬN LONG BIÊN", False),
        ("ĐẢNG ỦY PHƯỜNG THẠCH BÀN", True),
        ("*", False),
        ("Số\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-BB/ĐU", False),
    ]
    assert right == [
        ("ĐẢNG CỘNG SẢN VIỆT NAM", True),
        ("Thạch Bàn, ngày 01 tháng 6 năm 2025", False),
    ]
    pages = pdf_text(minutes_pdf(report), tmp_path).split("\f")
    first = flat(pages[0])
    for line in (
        "ĐẢNG BỘ QUẬN LONG BIÊN",
        "ĐẢNG ỦY PHƯỜNG THẠCH BÀN",
        "-BB/ĐU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
    ):
        assert line in first, line
    assert "Thạch Bàn, ngày 01 tháng 6 năm 2025" in first
    assert "CỘNG HÒA XÃ HỘI" not in first
    # the page number stands alone on the first line of every page from the second
    assert pages[1].strip().splitlines()[0].strip() == "2"
    assert not re.fullmatch(r"\s*1\s*", pages[0].strip().splitlines()[0])


# --- a year of meetings ------------------------------------------------------------------------


def test_the_year_report_and_workbook_give_the_published_paragraph() -> None:
    figures = year_figures(published_year(), 2026)
    paragraphs = docx_paragraphs(year_docx(figures, "2026-12-02"))
    for sentence in (
        "Năm 2026, đã tổ chức 2 hội nghị tiếp xúc, đối thoại.",
        "Trước các hội nghị, đã tổng hợp 2 ý kiến, kiến nghị của cử tri; trong đó 1 ý kiến đã"
        " được trả lời trước hội nghị.",
        "Tại các hội nghị, có 0 lượt phát biểu, nêu trực tiếp 5 ý kiến, kiến nghị: 1 ý kiến về"
        " công tác xây dựng Đảng, 3 ý kiến về chính quyền, 1 ý kiến khác.",
        "Đã trả lời trực tiếp tại hội nghị 1 ý kiến; hẹn trả lời bằng văn bản 0 ý kiến; chuyển"
        " cấp có thẩm quyền 1 ý kiến thuộc thẩm quyền cấp quận/huyện, 1 ý kiến thuộc thẩm quyền"
        " cấp thành phố.",
        "Tổng số người dự: chưa ghi nhận.",
    ):
        assert sentence in paragraphs, sentence
    assert "BÁO CÁO" in paragraphs
    tables = docx_tables(year_docx(figures, "2026-12-02"))
    meetings = [t for t in tables if t[0][:3] == ("STT", "Ngày", "Hội nghị")]
    assert [row[1] for row in meetings[0][1:]] == ["01/09/2026", "01/03/2026"]  # latest first

    workbook = year_xlsx(figures)
    summary = {row[0]: row[1] for row in sheet_rows(workbook, "Tổng hợp") if row[1] is not None}
    assert summary["Số hội nghị đã tổ chức"] == 2
    assert summary["Đã trả lời trước hội nghị"] == 1
    assert (summary["Về công tác xây dựng Đảng"], summary["Về chính quyền (HĐND, UBND)"]) == (1, 3)
    assert (summary["Chuyển cấp quận/huyện"], summary["Chuyển cấp thành phố"]) == (1, 1)
    assert summary["Số người dự"] == "chưa ghi nhận"  # unknown is not zero
    rows = sheet_rows(workbook, "Hội nghị")
    assert rows[0][:3] == ("Ngày", "Hội nghị", "Số điểm cầu")
    assert [(r[0].date(), r[4], r[6], r[13]) for r in rows[1:]] == [
        (dt.date(2026, 9, 1), 2, 0, 1),
        (dt.date(2026, 3, 1), 5, 1, 1),
    ]


def test_the_year_report_takes_the_heading_of_the_latest_meeting_that_has_one() -> None:
    (first, report), second = published_year()
    headed = msgspec.structs.replace(
        report, info=msgspec.structs.replace(report.info, heading=COMMITTEE_HEADING)
    )
    figures = year_figures([(first, headed), second], 2026)
    left, right = heading_cells(year_docx(figures, "2026-12-02"))
    assert left[2] == ("Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND", False)
    assert right[-1] == ("Thạch Bàn, ngày 02 tháng 12 năm 2026", False)


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_a_paper_names_every_code_in_the_catalogues_vietnamese(kind: str) -> None:
    """The papers have no word list of their own: a code's name is its catalogue entry's."""
    catalogue = translations("vi")
    for code, msgid in NAMES[kind].items():
        assert paper_label(kind, code) == catalogue.gettext(msgid) != msgid, (kind, code)
    assert paper_label(kind, "no-such-code") == "no-such-code"  # shown as it is, never lost
