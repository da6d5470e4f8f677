"""parse_intake: the four real forms agree, variants are understood, bad files become problems."""

from __future__ import annotations

import codecs
import csv
import io
import random
import time
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from server.intake import opinions, worker
from server.intake.opinions import (
    IntakeProblem,
    IntakeResult,
    IntakeRow,
    UnusedColumn,
    parse_intake,
    site_key,
    suggest_site,
)
from server.intake.worker import UploadParser

DATA = Path(__file__).parents[1] / "data"
SAMPLES = {
    "y-kien-truoc-hoi-nghi.csv": ("csv", "utf-8"),
    "y-kien-truoc-hoi-nghi.cp1258.csv": ("csv", "cp1258"),
    "y-kien-truoc-hoi-nghi.utf16.txt": ("tsv", "utf-16"),
    "y-kien-truoc-hoi-nghi.xlsx": ("xlsx", ""),
}
HEADER = [
    "STT",
    "Nội dung ý kiến",
    "Người nêu",
    "Tổ dân phố",
    "Điểm cầu",
    "Lĩnh vực",
    "Cơ quan trả lời",
    "Thẩm quyền",
    "Nội dung trả lời chuẩn bị",
]
GOOD = [
    "1",
    "Đề nghị sửa đèn đường.",
    "Lê Văn A",
    "Tổ 1",
    "Hội trường",
    "Y tế",
    "UBND",
    "Phường",
    "",
]


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def without_lines(result: IntakeResult) -> list[IntakeRow]:
    return [msgspec.structs.replace(row, line=0) for row in result.rows]


def table(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def parse_csv(rows: list[list[str]], delimiter: str = ",") -> IntakeResult:
    return parse_intake(table(rows, delimiter).encode(), "y-kien.csv")


def xlsx_bytes(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path.read_bytes()


def only_file_problem(result: IntakeResult) -> IntakeProblem:
    assert result.rows == []
    assert len(result.problems) == 1
    assert result.problems[0].line == 0
    return result.problems[0]


@pytest.fixture(scope="module")
def reference() -> IntakeResult:
    return parse_intake(sample("y-kien-truoc-hoi-nghi.csv"), "y-kien-truoc-hoi-nghi.csv")


# -- the four real forms ------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_form_reads_the_same_twenty_rows(name: str, reference: IntakeResult) -> None:
    result = parse_intake(sample(name), name)
    assert (result.file_format, result.encoding) == SAMPLES[name]
    assert result.problems == []
    assert len(result.rows) == 20
    assert without_lines(result) == without_lines(reference)
    assert [row.line for row in result.rows] == list(range(2, 22))


def test_sample_values_are_exact_nfc_vietnamese(reference: IntakeResult) -> None:
    first, eighth, twelfth = reference.rows[0], reference.rows[7], reference.rows[11]
    assert first.line == 2
    assert first.asker == unicodedata.normalize("NFC", "Nguyễn Văn Hùng")
    assert first.text.startswith("Đề nghị phường công khai tiến độ cấp giấy chứng nhận")
    assert first.group == "Tổ dân phố số 5"
    assert first.site == "Hội trường UBND phường"
    assert first.field == "Đất đai, tài nguyên môi trường"
    assert (first.body, first.level) == ("committee", "ward")
    assert first.prepared_answer == (
        "UBND phường đã rà soát 46 hồ sơ tồn đọng, dự kiến hoàn thành thẩm định trong quý III."
    )
    assert reference.rows[1].prepared_answer == ""
    assert (eighth.body, eighth.level) == ("party", "ward")
    assert (twelfth.body, twelfth.level) == ("council", "ward")
    assert reference.rows[6].level == "city"
    assert reference.rows[2].level == "district"
    for row in reference.rows:
        for value in (row.text, row.asker, row.group, row.site, row.field, row.prepared_answer):
            assert unicodedata.is_normalized("NFC", value)


def test_cp1258_combining_tone_marks_are_composed(reference: IntakeResult) -> None:
    raw = sample("y-kien-truoc-hoi-nghi.cp1258.csv")
    assert "\u0301" in raw.decode("cp1258")  # the file really stores a combining acute accent
    result = parse_intake(raw, "y-kien.csv")
    assert result.rows[0].asker == "Nguyễn Văn Hùng" == reference.rows[0].asker
    assert "\u0301" not in result.rows[0].text


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (lambda text: codecs.BOM_UTF8 + text.encode(), "utf-8-sig"),
        (lambda text: text.encode("utf-16"), "utf-16"),
        (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16"),
    ],
)
def test_byte_order_marks_are_honoured(
    encoded: Callable[[str], bytes], encoding: str, reference: IntakeResult
) -> None:
    text = sample("y-kien-truoc-hoi-nghi.csv").decode()
    result = parse_intake(encoded(text), "y-kien.csv")
    assert result.encoding == encoding
    assert result.problems == []
    assert without_lines(result) == without_lines(reference)
    assert not result.rows[0].text.startswith("\ufeff")


def test_semicolon_csv_as_excel_writes_it_in_some_locales(reference: IntakeResult) -> None:
    with (DATA / "y-kien-truoc-hoi-nghi.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    result = parse_csv(rows, delimiter=";")
    assert result.file_format == "csv"
    assert result.problems == []
    assert without_lines(result) == without_lines(reference)


def test_a_sep_line_names_the_delimiter_and_excel_hides_it() -> None:
    text = "sep=;\r\n" + table([HEADER, GOOD], delimiter=";")
    result = parse_intake(text.encode(), "y-kien.csv")
    assert result.problems == []
    assert [row.line for row in result.rows] == [2]
    assert result.rows[0].text == "Đề nghị sửa đèn đường."


# -- headers ------------------------------------------------------------------------------------


def test_english_headers() -> None:
    header = ["No", "Opinion", "Name", "Group", "Site", "Field", "Body", "Authority", "Answer"]
    values = ["1", "Fix the lights", "An", "Group 1", "Hall", "Health", "UBND", "Ward", "Done"]
    result = parse_csv([header, values])
    assert result.problems == []
    assert result.rows == [
        IntakeRow(
            2, "Fix the lights", "An", "Group 1", "Hall", "Health", "committee", "ward", "Done"
        )
    ]
    other = ["Text", "Asker", "Residential group", "Answering body", "Level", "Prepared answer"]
    result = parse_csv([other, ["Fix it", "Binh", "G2", "People's Council", "city", "Soon"]])
    assert result.rows == [IntakeRow(2, "Fix it", "Binh", "G2", "", "", "council", "city", "Soon")]


def test_headers_ignore_case_spacing_diacritics_and_small_variants() -> None:
    header = [
        "stt",
        "  NOI DUNG   Y KIEN ",
        "Người nêu ý kiến",
        "Tổ dân phố / Thôn",
        "diem cau",
        "LĨNH VỰC",
        "Cơ quan  trả lời",
        "Thẩm quyền giải quyết",
        "Noi dung tra loi chuan bi",
    ]
    result = parse_csv([header, [*GOOD[:-1], "Đã sửa."]])
    assert result.problems == []
    row = result.rows[0]
    assert (row.text, row.asker, row.group, row.site, row.field) == (
        "Đề nghị sửa đèn đường.",
        "Lê Văn A",
        "Tổ 1",
        "Hội trường",
        "Y tế",
    )
    assert (row.body, row.level, row.prepared_answer) == ("committee", "ward", "Đã sửa.")


def test_a_title_above_the_header_is_skipped_and_lines_stay_the_sheets() -> None:
    rows = [["DANH SÁCH Ý KIẾN CỬ TRI"], [], HEADER, GOOD]
    result = parse_csv(rows)
    assert result.problems == []
    assert [row.line for row in result.rows] == [4]


def test_a_missing_opinion_column_is_named_and_no_rows_come_back() -> None:
    text = HEADER.index("Nội dung ý kiến")
    rows = [[cell for i, cell in enumerate(row) if i != text] for row in (HEADER, GOOD, GOOD)]
    result = parse_csv(rows)
    problem = only_file_problem(result)
    assert problem.params == {"column": "Nội dung ý kiến"}
    assert "{column}" in problem.message


def test_without_body_and_level_columns_the_rows_leave_them_to_the_desk() -> None:
    dropped = {HEADER.index("Cơ quan trả lời"), HEADER.index("Thẩm quyền")}
    rows = [[cell for i, cell in enumerate(row) if i not in dropped] for row in (HEADER, GOOD)]
    result = parse_csv(rows)
    assert result.problems == []
    assert result.unused_columns == []
    assert [(row.text, row.body, row.level) for row in result.rows] == [
        ("Đề nghị sửa đèn đường.", None, None)
    ]


def test_optional_columns_may_be_absent() -> None:
    result = parse_csv(
        [["Nội dung ý kiến", "Cơ quan trả lời", "Thẩm quyền"], ["Ý kiến", "HĐND", "Quận"]]
    )
    assert result.problems == []
    assert result.rows == [IntakeRow(2, "Ý kiến", "", "", "", "", "council", "district", "")]


def test_unknown_columns_are_reported_not_dropped() -> None:
    header = [*HEADER, "Ghi chú", "Nội dung", "", "Số điện thoại"]
    row = [*GOOD, "gọi lại", "bản sao của ý kiến", "", ""]
    lost = [*GOOD, "", "", "ô không tiêu đề", "0903 000 000"]
    result = parse_csv([header, row, lost])
    assert result.problems == []
    assert len(result.rows) == 2
    # STT is every template's numbering: not reported; the second "Nội dung" is a look-alike
    assert result.unused_columns == [
        UnusedColumn(9, "Ghi chú"),
        UnusedColumn(10, "Nội dung"),
        UnusedColumn(11, ""),
        UnusedColumn(12, "Số điện thoại"),
    ]
    assert [c.letter for c in result.unused_columns] == ["J", "K", "L", "M"]
    assert UnusedColumn(26, "").letter == "AA"


def test_a_headerless_column_nobody_wrote_in_is_not_reported() -> None:
    result = parse_csv([[*HEADER, "", "Ghi chú"], [*GOOD, "", ""]])
    assert result.unused_columns == [UnusedColumn(10, "Ghi chú")]


@pytest.mark.parametrize(
    "header",
    ["Kết quả giải quyết", "Kết quả", "Đã trả lời", "KẾT QUẢ TRẢ LỜI", "Outcome", "Result"],
)
def test_an_outcome_column_is_carried_as_text(header: str) -> None:
    result = parse_csv([[*HEADER, header], [*GOOD, "Đã trả lời tại Công văn số 12/UBND"], GOOD])
    assert result.problems == []
    assert result.unused_columns == []
    assert [row.outcome_text for row in result.rows] == ["Đã trả lời tại Công văn số 12/UBND", ""]
    assert result.rows[0].prepared_answer == ""  # "Đã trả lời" is not "Trả lời"


def test_the_sample_has_no_unused_column(reference: IntakeResult) -> None:
    assert reference.unused_columns == []
    assert {row.outcome_text for row in reference.rows} == {""}


# -- sites --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("Điểm cầu Nhà văn hóa tổ 12", "Nhà văn hóa tổ 12"),
        ("Nhà văn hoá tổ 12", "NHÀ VĂN HÓA TỔ 12"),  # tone on the other vowel, capitals
        ("  Nhà   văn hóa  tổ 12 ", "Nhà văn hóa tổ 12"),
        ("Tổ dân phố số 5", "TDP 5"),
        ("Tổ dân phố 05", "tổ dân phố số 5"),
        ("TDP5", "Tổ dân phố 5"),
        ("Điểm cầu TDP số 5", "Tổ DP 5"),
        ("Khu phố 3", "KP 3"),
        ("Nhà văn hóa khu phố Đông", "Nhà văn hóa KP Đông"),
        ("Khu dân cư số 2", "KDC 2"),
        ("Điểm cầu số 7", "7"),
    ],
)
def test_site_names_alike_but_for_spelling_share_a_key(written: str, named: str) -> None:
    assert site_key(written) == site_key(named)


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("Tổ dân phố 5", "Tổ dân phố 15"),
        ("Tổ dân phố 5", "Khu phố 5"),
        ("Nhà văn hóa tổ 3", "Tổ dân phố 3"),  # the same place perhaps: suggested, not matched
        ("Hội trường", "Hội trường UBND phường"),
        ("Tổ công tác", "Tổ dân phố"),
        ("Điểm cầu", "Cầu"),
    ],
)
def test_different_site_names_do_not_share_a_key(written: str, named: str) -> None:
    assert site_key(written) != site_key(named)


def test_a_site_is_suggested_when_one_name_holds_the_other_with_the_same_numbers() -> None:
    sites = {
        "hall": "Hội trường UBND phường",
        "t3": "Tổ dân phố 3",
        "t13": "Tổ dân phố 13",
        "east": "Nhà văn hóa khu phố Đông",
        "school": "Trường Tiểu học Nguyễn Trãi",
    }
    assert suggest_site("Điểm cầu Nhà văn hóa tổ 3", sites) == "t3"
    assert suggest_site("Hội trường", sites) == "hall"
    assert suggest_site("Nhà văn hóa tổ 14", sites) is None
    assert suggest_site("Trường THCS Thạch Bàn", sites) is None
    two = {"a": "Tổ dân phố 3", "b": "Nhà văn hóa tổ 3 cũ"}
    assert suggest_site("Nhà văn hóa tổ 3", two) is None  # two candidates: the person says


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "body"),
    [
        ("Đảng ủy", "party"),
        ("Đảng uỷ", "party"),
        ("DU", "party"),
        ("Party committee", "party"),
        ("HĐND", "council"),
        ("Hội đồng nhân dân phường", "council"),
        ("People's Council", "council"),
        ("UBND", "committee"),
        ("Ủy ban nhân dân", "committee"),
        ("people's committee", "committee"),
        ("Khác", "other"),
        ("Other", "other"),
        ("MTTQ", "other"),
        ("Ủy ban MTTQ phường", "other"),
    ],
)
def test_answering_bodies(written: str, body: str) -> None:
    row = [*GOOD[:6], written, "Phường", ""]
    result = parse_csv([HEADER, row])
    assert result.problems == []
    assert result.rows[0].body == body


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("Phường", "ward"),
        ("Xã", "ward"),
        ("Thị trấn", "ward"),
        ("ward", "ward"),
        ("Cấp phường", "ward"),
        ("Quận", "district"),
        ("Huyện", "district"),
        ("Thị xã", "district"),
        ("District", "district"),
        ("Thành phố", "city"),
        ("Thanh pho", "city"),
        ("Tỉnh", "city"),
        ("TP. Hà Nội", "city"),
        ("city", "city"),
    ],
)
def test_levels(written: str, level: str) -> None:
    row = [*GOOD[:7], written, ""]
    result = parse_csv([HEADER, row])
    assert result.problems == []
    assert result.rows[0].level == level


def test_a_bad_body_or_level_is_reported_on_its_line_and_nothing_else_is_lost() -> None:
    bad_body = [*GOOD[:6], "Sở Xây dựng", "Phường", ""]
    bad_level = [*GOOD[:7], "Ấp", ""]
    no_level = [*GOOD[:7], "", ""]
    result = parse_csv([HEADER, GOOD, bad_body, GOOD, bad_level, no_level])
    assert [row.line for row in result.rows] == [2, 4, 6]
    assert result.rows[2].level is None  # an empty cell takes the desk's default
    assert result.problems == [
        IntakeProblem(
            3,
            'Column {column}: "{value}" is not a known answering body.',
            {"column": "Cơ quan trả lời", "value": "Sở Xây dựng"},
        ),
        IntakeProblem(
            5,
            'Column {column}: "{value}" is not a known level.',
            {"column": "Thẩm quyền", "value": "Ấp"},
        ),
    ]


def test_a_row_may_have_several_problems_all_reported() -> None:
    result = parse_csv([HEADER, ["1", "", "", "", "", "", "UB", "Ấp", ""]])
    assert result.rows == []
    assert {(p.line, p.params["column"]) for p in result.problems} == {
        (2, "Nội dung ý kiến"),
        (2, "Cơ quan trả lời"),
        (2, "Thẩm quyền"),
    }


def test_over_long_text_is_a_problem_not_truncated() -> None:
    just_right = [GOOD[0], "a" * 5000, *GOOD[2:]]
    too_long = [GOOD[0], "b" * 5001, *GOOD[2:]]
    result = parse_csv([HEADER, just_right, too_long])
    assert [len(row.text) for row in result.rows] == [5000]
    assert result.problems == [
        IntakeProblem(
            3,
            "Column {column} is too long: at most {limit} characters.",
            {"column": "Nội dung ý kiến", "limit": 5000},
        )
    ]


def test_a_name_longer_than_the_meeting_accepts_is_a_problem() -> None:
    row = [GOOD[0], GOOD[1], "N" * 121, *GOOD[3:]]
    result = parse_csv([HEADER, row])
    assert result.rows == []
    assert result.problems[0].params == {"column": "Người nêu", "limit": 120}


def test_whitespace_and_control_characters_are_cleaned() -> None:
    messy = [
        GOOD[0],
        "  Đường\tngõ\u00a05 \x07hỏng\u200b đèn  ",
        "Lê\u200b Văn\r\nA",
        *GOOD[3:],
    ]
    result = parse_csv([HEADER, messy])
    assert result.rows[0].text == "Đường ngõ 5 hỏng đèn"
    assert result.rows[0].asker == "Lê Văn A"


def test_empty_rows_and_numbered_template_rows_are_skipped_silently() -> None:
    rows = [HEADER, GOOD, [], [""] * 9, [" "] * 9, ["2", "", "", "", "", "", "", "", ""], GOOD]
    result = parse_csv(rows)
    assert result.problems == []
    assert [row.line for row in result.rows] == [2, 7]


def test_formulas_and_markup_stay_verbatim_text(tmp_path: Path) -> None:
    texts = ['=HYPERLINK("http://evil.example","bấm")', "<script>alert(1)</script>", "+1-2"]
    rows = [[GOOD[0], text, *GOOD[2:]] for text in texts]
    result = parse_csv([HEADER, *rows])
    assert [row.text for row in result.rows] == texts
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([1, "<script>alert(1)</script>", *GOOD[2:]])
    cell = sheet.cell(row=3, column=2, value=texts[0])
    cell.data_type = "s"  # a string that looks like a formula, as a careful exporter stores it
    for column, value in enumerate(GOOD[2:], start=3):
        sheet.cell(row=3, column=column, value=value)
    workbook.save(tmp_path / "f.xlsx")
    result = parse_intake((tmp_path / "f.xlsx").read_bytes(), "f.xlsx")
    assert [row.text for row in result.rows] == ["<script>alert(1)</script>", texts[0]]


# -- multi-line cells ---------------------------------------------------------------------------


def test_a_multi_line_cell_is_one_row_as_the_spreadsheet_numbers_it() -> None:
    """A quoted cell spanning three text lines is row 2; the next record is row 3, as in Excel."""
    multi = [GOOD[0], "Dòng một\r\nDòng hai\nDòng ba", *GOOD[2:]]
    text = table([HEADER, multi, GOOD])
    assert text.count("\n") == 5  # so a text editor would put the last record on line 5
    result = parse_intake(text.encode(), "y-kien.csv")
    assert result.problems == []
    assert [row.line for row in result.rows] == [2, 3]
    assert result.rows[0].text == "Dòng một Dòng hai Dòng ba"


def test_a_problem_after_a_multi_line_cell_names_the_spreadsheet_row() -> None:
    multi = [GOOD[0], "Một\nHai", *GOOD[2:]]
    bad = [*GOOD[:6], "Sở Y tế", "Phường", ""]
    result = parse_csv([HEADER, multi, bad])
    assert [row.line for row in result.rows] == [2]
    assert [problem.line for problem in result.problems] == [3]


# -- xlsx ---------------------------------------------------------------------------------------


def test_xlsx_prefers_the_y_kien_sheet_and_reads_numbers_and_blanks(tmp_path: Path) -> None:
    data = xlsx_bytes(
        tmp_path / "book.xlsx",
        {
            "Hướng dẫn": [["Điền ý kiến vào trang Ý kiến"]],
            "Ý kiến": [
                HEADER,
                [1.0, "Ý kiến một", None, 5, None, None, "UBND", "Phường", None],
                [None, None, None, None, None, None, None, None, None],
                [2, "  Ý kiến  hai ", "Bà B", 7.0, "Hội trường", "Y tế", "Đảng ủy", "Quận", 3.5],
            ],
        },
    )
    result = parse_intake(data, "book.xlsx")
    assert (result.file_format, result.encoding, result.problems) == ("xlsx", "", [])
    assert result.rows == [
        IntakeRow(2, "Ý kiến một", "", "5", "", "", "committee", "ward", ""),
        IntakeRow(4, "Ý kiến hai", "Bà B", "7", "Hội trường", "Y tế", "party", "district", "3.5"),
    ]


def test_xlsx_without_a_y_kien_sheet_uses_the_first(tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path / "b.xlsx", {"Sheet1": [HEADER, GOOD], "Sheet2": [["x"]]})
    result = parse_intake(data, "b.xlsx")
    assert [row.text for row in result.rows] == [GOOD[1]]


def test_an_xlsx_is_known_by_its_content_not_its_name(tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path / "b.xlsx", {"Ý kiến": [HEADER, GOOD]})
    assert parse_intake(data, "y-kien.csv").file_format == "xlsx"
    as_text = parse_intake(table([HEADER, GOOD]).encode(), "y-kien.xlsx")
    assert (as_text.file_format, len(as_text.rows)) == ("csv", 1)


def test_a_truncated_xlsx_is_a_file_problem() -> None:
    data = sample("y-kien-truoc-hoi-nghi.xlsx")
    for cut in (len(data) // 2, len(data) - 30, 10):
        result = parse_intake(data[:cut], "y-kien.xlsx")
        problem = only_file_problem(result)
        assert result.file_format == "xlsx"
        assert problem.params == {"filename": "y-kien.xlsx"}


def test_a_docx_is_a_file_problem() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document/>")
    problem = only_file_problem(parse_intake(buffer.getvalue(), "y-kien.docx"))
    assert problem.message == "{filename} is a damaged or unsupported Excel workbook."


def test_a_workbook_that_unpacks_too_far_is_refused_before_openpyxl_reads_it() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", bytes(65 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    problem = only_file_problem(parse_intake(buffer.getvalue(), "bomb.xlsx"))
    assert problem.params == {"limit": 64}


def test_an_old_xls_is_told_to_be_saved_as_xlsx() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    problem = only_file_problem(parse_intake(data, "y-kien.xls"))
    assert ".xls" in problem.message
    assert problem.params == {"filename": "y-kien.xls"}


# -- bad and oversized files --------------------------------------------------------------------


def test_an_empty_file_is_a_file_problem() -> None:
    for data in (b"", b"\r\n\r\n", codecs.BOM_UTF8, b" ,, \n", b";;;\r\n;;;\r\n"):
        problem = only_file_problem(parse_intake(data, "y-kien.csv"))
        assert problem.message == "The file is empty."


def test_a_table_of_someone_elses_is_told_which_columns_it_needs() -> None:
    result = parse_csv([["Col A", "Col B"], ["1", "2"]])
    problem = only_file_problem(result)
    assert problem.params == {
        "columns": "Nội dung ý kiến",
        "rows": 10,
    }


def test_a_header_without_rows_is_a_file_problem() -> None:
    problem = only_file_problem(parse_csv([HEADER]))
    assert problem.message == "The file has a header but no opinions below it."


def test_random_bytes_are_a_file_problem_never_an_exception() -> None:
    generator = random.Random(1258)
    for size in (1, 7, 300, 5000, 100_000):
        data = generator.randbytes(size)
        problem = only_file_problem(parse_intake(data, "rac.csv"))
        # A byte or two may decode as a one-cell "table"; longer noise is not taken for text.
        expected = (
            (opinions.UNREADABLE, opinions.NO_HEADER) if size < 10 else (opinions.UNREADABLE,)
        )
        assert problem.message in expected


def test_binary_that_decodes_as_cp1258_is_not_taken_for_text() -> None:
    data = bytes(range(32)) * 40
    problem = only_file_problem(parse_intake(data, "x.csv"))
    assert (
        problem.message == "{filename} is neither a text table (CSV) nor an Excel workbook (.xlsx)."
    )


def test_a_file_over_5_mib_is_refused_whole() -> None:
    line = ",".join(GOOD).encode() + b"\r\n"
    data = ",".join(HEADER).encode() + b"\r\n" + line * (6 * 1024 * 1024 // len(line))
    assert len(data) > 6_000_000
    problem = only_file_problem(parse_intake(data, "big.csv"))
    assert problem.params == {"limit": 5}


def test_more_than_5000_rows_keeps_the_first_5000_and_says_so() -> None:
    rows = [HEADER] + [[str(n), f"Ý kiến {n}", *GOOD[2:]] for n in range(1, 5_101)]
    result = parse_csv(rows)
    assert len(result.rows) == 5000
    assert result.rows[-1].text == "Ý kiến 5000"
    assert result.rows[-1].line == 5001
    assert result.problems == [
        IntakeProblem(
            0,
            "The file has more than {limit} opinions; only the first {limit} were read.",
            {"limit": 5000},
        )
    ]


def test_more_than_5000_rows_in_a_workbook_stops_reading_there(tmp_path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Ý kiến")
    sheet.append(HEADER)
    for n in range(1, 5_011):
        sheet.append([n, f"Ý kiến {n}", *GOOD[2:]])
    workbook.save(tmp_path / "many.xlsx")
    result = parse_intake((tmp_path / "many.xlsx").read_bytes(), "many.xlsx")
    assert (len(result.rows), result.rows[-1].line) == (5000, 5001)
    assert [problem.params for problem in result.problems] == [{"limit": 5000}]


def test_exactly_5000_rows_is_fine() -> None:
    rows = [HEADER] + [[str(n), f"Ý kiến {n}", *GOOD[2:]] for n in range(1, 5_001)]
    result = parse_csv(rows)
    assert (len(result.rows), result.problems) == (5000, [])


def test_a_cell_beyond_the_csv_field_limit_is_a_file_problem_not_a_crash() -> None:
    text = table([HEADER, GOOD]) + '1,"' + "x" * 200_000 + '",A,B,C,D,UBND,Phường,\r\n'
    result = parse_intake(text.encode(), "y-kien.csv")
    assert result.rows == []
    assert result.problems == [
        IntakeProblem(
            0,
            "{filename} cannot be read as CSV from row {row} on.",
            {"filename": "y-kien.csv", "row": 3},
        )
    ]


# -- hostile tables (issue 16) ------------------------------------------------------------------


def rewrite_sheet(data: bytes, change: Callable[[str], str]) -> bytes:
    """The workbook openpyxl wrote, its first sheet's XML changed as no spreadsheet program would."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("dimension", "message", "limit"),
    [
        ("A1:XFD2000", opinions.TOO_MANY_COLUMNS, 200),
        ("A1:I1048576", opinions.TOO_MANY_TABLE_ROWS, 50_000),
        ("A1:CV20000", opinions.TOO_MANY_CELLS, 1_000_000),  # 100 columns x 20,000 rows
    ],
)
def test_a_sheet_declaring_a_huge_size_is_refused_before_a_cell_is_read(
    tmp_path: Path, dimension: str, message: str, limit: int
) -> None:
    data = xlsx_bytes(tmp_path / "a.xlsx", {"Ý kiến": [HEADER, GOOD]})
    data = rewrite_sheet(
        data, lambda xml: xml.replace('<dimension ref="A1:I2"/>', f'<dimension ref="{dimension}"/>')
    )
    assert f'ref="{dimension}"'.encode() not in data  # compressed: the change is in the XML
    problem = only_file_problem(parse_intake(data, "y-kien.xlsx"))
    assert (problem.message, problem.params) == (message, {"limit": limit})


def test_a_sheet_hiding_its_size_is_stopped_at_the_first_row_past_a_limit(tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path / "a.xlsx", {"Ý kiến": [HEADER, GOOD]})
    far = '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
    wide = rewrite_sheet(
        data,
        lambda xml: xml.replace('<dimension ref="A1:I2"/>', "").replace(
            "</row></sheetData>", far + "</sheetData>"
        ),
    )
    problem = only_file_problem(parse_intake(wide, "y-kien.xlsx"))
    assert problem.message == opinions.TOO_MANY_COLUMNS
    low = '<row r="60000"><c r="A60000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    deep = rewrite_sheet(
        data, lambda xml: xml.replace('<dimension ref="A1:I2"/>', "").replace("</sheetData>", low)
    )
    problem = only_file_problem(parse_intake(deep, "y-kien.xlsx"))
    assert problem.message == opinions.TOO_MANY_TABLE_ROWS


def test_a_workbook_declaring_xml_entities_is_refused_by_name(tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path / "a.xlsx", {"Ý kiến": [HEADER, GOOD]})
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;">]>'
    hostile = rewrite_sheet(data, lambda xml: xml.replace("<worksheet", doctype + "<worksheet", 1))
    problem = only_file_problem(parse_intake(hostile, "y-kien.xlsx"))
    assert problem.message == opinions.XML_ENTITIES
    assert problem.params == {"filename": "y-kien.xlsx"}


def test_a_csv_wider_than_any_list_of_opinions_is_refused() -> None:
    header = ",".join(HEADER) + "," + ",".join(f"c{n}" for n in range(200_000))
    problem = only_file_problem(parse_intake(header.encode(), "y-kien.csv"))
    assert (problem.message, problem.params) == (opinions.TOO_MANY_COLUMNS, {"limit": 200})


def test_empty_cells_excel_pads_a_csv_with_are_not_columns() -> None:
    padded = table([[*HEADER, *[""] * 300], [*GOOD, *[""] * 300]])
    result = parse_intake(padded.encode(), "y-kien.csv")
    assert (len(result.rows), result.problems) == (1, [])


def test_commas_in_a_semicolon_csv_are_not_taken_for_columns() -> None:
    text = "Đề nghị sửa đèn đường" + ", và" * 300
    result = parse_csv([HEADER, [GOOD[0], text, *GOOD[2:]]], delimiter=";")
    assert result.problems == []
    assert result.rows[0].text == text


def test_a_csv_of_a_million_blank_records_stops_at_the_row_limit() -> None:
    data = (",".join(HEADER) + "\r\n" + "\r\n" * 1_000_000).encode()
    problem = only_file_problem(parse_intake(data, "y-kien.csv"))
    assert (problem.message, problem.params) == (opinions.TOO_MANY_TABLE_ROWS, {"limit": 50_000})


# -- the worker process -------------------------------------------------------------------------


async def test_the_worker_reads_every_sample_as_the_parser_does() -> None:
    parser = UploadParser()
    for name in SAMPLES:
        assert await parser.parse(sample(name), name) == parse_intake(sample(name), name)


async def test_a_reader_over_its_time_is_killed_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "PARSE_SECONDS", 0.05)  # less than Python takes to start
    started = time.monotonic()
    result = await UploadParser().parse(sample("y-kien-truoc-hoi-nghi.xlsx"), "y-kien.xlsx")
    assert time.monotonic() - started < 2
    problem = only_file_problem(result)
    assert (problem.message, problem.params) == (worker.TOO_SLOW, {"seconds": 0.05})
    assert result.file_format == "xlsx"


async def test_a_reader_over_its_memory_is_stopped_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Less than the interpreter holds already: the first block a 4 MB file needs is refused.
    monkeypatch.setattr(worker, "MEMORY_BYTES", 16 * 1024 * 1024)
    data = table([HEADER] + [GOOD] * 50_000).encode()
    assert len(data) > 4_000_000
    result = await UploadParser().parse(data, "y-kien.csv")
    problem = only_file_problem(result)
    assert (problem.message, problem.params) == (worker.TOO_MUCH_MEMORY, {"limit": 16})
