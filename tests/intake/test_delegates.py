"""parse_delegates: the sample's four forms agree; headers, genders, years, ages and phones as the
Front writes them; a merged "Năm sinh" over "Nam" | "Nữ"; bad cells and files become problems."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from server.intake import delegates, opinions, worker
from server.intake.delegates import DelegateIntakeResult, DelegateRow, parse_delegates
from server.intake.opinions import IntakeProblem, UnusedColumn
from server.intake.worker import UploadParser
from tests.intake.test_opinions import xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SAMPLES = {
    "danh-sach-dai-bieu.csv": ("csv", "utf-8"),
    "danh-sach-dai-bieu.cp1258.csv": ("csv", "cp1258"),
    "danh-sach-dai-bieu.utf16.txt": ("tsv", "utf-16"),
    "danh-sach-dai-bieu.xlsx": ("xlsx", ""),
}
SHIPPED = ROOT / "docs" / "mau-danh-sach-dai-bieu.csv"
OPINIONS = DATA / "y-kien-truoc-hoi-nghi.csv"


def table(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def parse_rows(rows: list[list[str]]) -> DelegateIntakeResult:
    return parse_delegates(table(rows), "dai-bieu.csv")


def only_file_problem(result: DelegateIntakeResult) -> IntakeProblem:
    assert result.rows == []
    assert len(result.problems) == 1
    assert result.problems[0].line == 0
    return result.problems[0]


def problems(result: DelegateIntakeResult) -> list[tuple[int, str, dict[str, str | int]]]:
    return [(p.line, p.message, p.params) for p in result.problems]


def row(line: int, name: str, **fields: object) -> DelegateRow:
    given: dict[str, object] = {
        "group": "",
        "site": "",
        "gender": "",
        "birth_year": None,
        "age": "",
        "position": "",
        "phone": "",
        **fields,
    }
    return DelegateRow(line=line, name=name, **given)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def reference() -> DelegateIntakeResult:
    return parse_delegates(SHIPPED.read_bytes(), SHIPPED.name)


# -- the sample ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_form_reads_the_same_sixty_delegates(
    name: str, reference: DelegateIntakeResult
) -> None:
    result = parse_delegates((DATA / name).read_bytes(), name)
    assert (result.file_format, result.encoding) == SAMPLES[name]
    assert result.problems == []
    assert result.unused_columns == []
    assert result.notes == []
    assert result.rows == reference.rows
    assert len(result.rows) == 60


def test_the_shipped_sample_is_the_tests_and_the_download(reference: DelegateIntakeResult) -> None:
    assert SHIPPED.read_bytes() == (DATA / "danh-sach-dai-bieu.csv").read_bytes()
    assert SHIPPED.read_bytes() == (ROOT / "static/samples/danh-sach-dai-bieu.csv").read_bytes()
    first = reference.rows[0]
    assert first == row(
        2,
        "Nguyễn Văn Thắng",
        group="Tổ dân phố số 1",
        site="Hội trường UBND phường",
        gender="male",
        birth_year=1962,
        position="Bí thư Chi bộ",
        phone="0900001101",
    )
    women = [r for r in reference.rows if r.gender == "female"]
    assert len(women) == 30
    assert all(unicodedata.is_normalized("NFC", r.name) for r in reference.rows)
    assert {r.site for r in reference.rows} == {
        "Hội trường UBND phường",
        "Điểm cầu Tổ dân phố số 1",
        "Điểm cầu Tổ dân phố số 2",
        "Điểm cầu Tổ dân phố số 3",
        "Nhà văn hoá KP Đông",
        "Trường TH Nguyễn Trãi",
    }


def test_cp1258_tone_marks_written_apart_are_composed(reference: DelegateIntakeResult) -> None:
    raw = (DATA / "danh-sach-dai-bieu.cp1258.csv").read_bytes()
    assert "ắ".encode("cp1258", errors="replace") == b"?"  # no such letter in the code page
    assert "Thắng" not in raw.decode("cp1258")  # written as ă and a separate acute
    assert parse_delegates(raw, "x.csv").rows[0].name == "Nguyễn Văn Thắng"


# -- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        [
            "Họ và tên",
            "Giới tính",
            "Năm sinh",
            "Tổ dân phố",
            "Chức vụ",
            "Điểm cầu",
            "Số điện thoại",
        ],
        ["HO VA TEN", "GIOI TINH", "NAM SINH", "TO DAN PHO", "CHUC VU", "DIEM CAU", "SDT"],
        ["Họ tên", "Nam/Nữ", "Ngày sinh", "Tổ", "Thành phần", "Địa điểm", "Điện thoại"],
        ["Họ và tên đại biểu", "Giới  tính", "Năm sinh", "TDP", "Chức danh", "Điểm cầu dự", "SĐT"],
        ["Full name", "Gender", "Year of birth", "Residential group", "Position", "Site", "Phone"],
    ],
    ids=["vietnamese", "no-diacritics", "variants", "longer", "english"],
)
def test_headers_as_people_write_them(header: list[str]) -> None:
    result = parse_rows(
        [header, ["Lê Thị Hoa", "Nữ", "1990", "Tổ 3", "Cử tri", "Nhà văn hóa tổ 3", "0903123456"]]
    )
    assert problems(result) == []
    assert result.unused_columns == []
    assert result.rows == [
        row(
            2,
            "Lê Thị Hoa",
            group="Tổ 3",
            site="Nhà văn hóa tổ 3",
            gender="female",
            birth_year=1990,
            position="Cử tri",
            phone="0903123456",
        )
    ]


def test_a_title_above_the_header_is_skipped_and_lines_stay_the_sheets() -> None:
    result = parse_rows(
        [
            ["DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ ĐỐI THOẠI"],
            [],
            ["STT", "Họ và tên", "Tổ dân phố"],
            ["1", "Trần Văn Nam", "Tổ 1"],
        ]
    )
    assert result.rows == [row(4, "Trần Văn Nam", group="Tổ 1")]


def test_only_the_name_is_required() -> None:
    result = parse_rows([["Họ và tên"], ["Trần Văn Nam"], ["Đỗ Thị Lan"]])
    assert problems(result) == []
    assert [r.name for r in result.rows] == ["Trần Văn Nam", "Đỗ Thị Lan"]


def test_a_missing_name_column_is_named() -> None:
    result = parse_rows([["Giới tính", "Năm sinh"], ["Nam", "1980"]])
    assert problems(result) == [(0, opinions.MISSING_COLUMN, {"column": "Họ và tên"})]
    assert result.rows == []


def test_the_opinions_file_given_as_delegates_says_which_column_it_needs() -> None:
    result = parse_delegates(OPINIONS.read_bytes(), OPINIONS.name)
    assert problems(result) == [(0, opinions.MISSING_COLUMN, {"column": "Họ và tên"})]


def test_unknown_columns_and_a_second_look_alike_are_reported_not_dropped() -> None:
    result = parse_rows(
        [
            ["STT", "Họ và tên", "Chức vụ", "Thành phần", "Dân tộc", "Ghi chú", ""],
            ["1", "Trần Văn Nam", "Tổ trưởng", "Cựu chiến binh", "Kinh", "", "lạc cột"],
        ]
    )
    assert problems(result) == []
    assert result.rows[0].position == "Tổ trưởng"  # the first of the two
    assert result.unused_columns == [
        UnusedColumn(3, "Thành phần"),
        UnusedColumn(4, "Dân tộc"),
        UnusedColumn(5, "Ghi chú"),
        UnusedColumn(6, ""),
    ]


# -- gender -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "gender"),
    [
        ("Nữ", "female"),
        ("nu", "female"),
        ("NỮ", "female"),
        ("F", "female"),
        ("female", "female"),
        ("Nam", "male"),
        ("nam giới", "male"),
        ("M", "male"),
        ("Male", "male"),
        ("", ""),
    ],
)
def test_a_gender_column(written: str, gender: str) -> None:
    result = parse_rows([["Họ và tên", "Giới tính"], ["Lê Thị Hoa", written]])
    assert [r.gender for r in result.rows] == [gender]


def test_a_gender_that_is_neither_is_a_problem_on_its_line() -> None:
    result = parse_rows([["Họ và tên", "Giới tính"], ["Lê Thị Hoa", "Nữ"], ["Trần Văn Nam", "x"]])
    assert problems(result) == [(3, delegates.NOT_A_GENDER, {"column": "Giới tính", "value": "x"})]
    assert [r.name for r in result.rows] == ["Lê Thị Hoa"]


def test_a_tick_in_a_womens_column_and_the_others_taken_as_men() -> None:
    result = parse_rows(
        [
            ["Họ và tên", "Nữ"],
            ["Lê Thị Hoa", "x"],
            ["Trần Văn Nam", ""],
            ["Đỗ Thị Lan", "✓"],
            ["Phạm Văn Bình", "0"],
        ]
    )
    assert problems(result) == []
    assert [r.gender for r in result.rows] == ["female", "male", "female", "male"]
    assert result.notes == [
        IntakeProblem(0, delegates.UNTICKED_ARE, {"column": "Nữ", "other": "men"})
    ]


def test_nam_and_nu_columns_both_ticked_or_badly_ticked_are_problems() -> None:
    result = parse_rows(
        [
            ["Họ và tên", "Nam", "Nữ"],
            ["Lê Thị Hoa", "", "x"],
            ["Trần Văn Nam", "x", ""],
            ["Không Rõ", "", ""],
            ["Hai Dấu", "x", "x"],
            ["Sai Dấu", "có lẽ", ""],
        ]
    )
    assert [(r.name, r.gender) for r in result.rows] == [
        ("Lê Thị Hoa", "female"),
        ("Trần Văn Nam", "male"),
        ("Không Rõ", ""),  # two columns, neither ticked: not known
    ]
    assert problems(result) == [
        (5, delegates.BOTH_TICKED, {"column": "Nữ"}),
        (6, delegates.NOT_A_TICK, {"column": "Nam", "value": "có lẽ"}),
    ]
    assert result.notes == []


def test_a_merged_year_of_birth_over_nam_and_nu_gives_both() -> None:
    """The administrative layout: "Năm sinh" merged over two columns headed "Nam" and "Nữ"."""
    result = parse_rows(
        [
            ["DANH SÁCH ĐẠI BIỂU"],
            ["STT", "Họ và tên", "Năm sinh", "", "Tổ dân phố", "Ghi chú"],
            ["", "", "Nam", "Nữ", "", ""],
            ["1", "Trần Văn Nam", "1958", "", "Tổ 1", ""],
            ["2", "Lê Thị Hoa", "", "1996", "Tổ 2", ""],
            ["3", "Đỗ Thị Lan", "", "Dưới 35", "Tổ 2", ""],
            ["4", "Phạm Văn Bình", "58", "", "Tổ 2", ""],
        ]
    )
    assert result.rows == [
        row(4, "Trần Văn Nam", group="Tổ 1", gender="male", birth_year=1958),
        row(5, "Lê Thị Hoa", group="Tổ 2", gender="female", birth_year=1996),
        row(6, "Đỗ Thị Lan", group="Tổ 2", gender="female", age="Dưới 35"),
    ]
    assert problems(result) == [
        (7, delegates.SHORT_YEAR, {"column": "Năm sinh (Nam)", "value": "58"})
    ]
    assert result.unused_columns == [UnusedColumn(5, "Ghi chú")]


def test_a_data_row_under_the_header_is_not_taken_for_a_second_header() -> None:
    result = parse_rows([["Họ và tên", "Giới tính", ""], ["Nam", "Nam", ""], ["Lê Thị Hoa", "Nữ"]])
    assert [r.name for r in result.rows] == ["Nam", "Lê Thị Hoa"]


# -- year of birth and age ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "year"),
    [
        ("1975", 1975),
        ("12/05/1975", 1975),
        ("5/12/1975", 1975),
        ("1975-05-12", 1975),
        ("05/1975", 1975),
        ("12.05.1975", 1975),
        ("1975-05-12 00:00:00", 1975),
        ("", None),
        ("không rõ", None),
        ("-", None),
    ],
)
def test_a_year_of_birth_from_a_year_or_a_date(written: str, year: int | None) -> None:
    result = parse_rows([["Họ và tên", "Năm sinh"], ["Lê Thị Hoa", written]])
    assert problems(result) == []
    assert [(r.birth_year, r.age) for r in result.rows] == [(year, "")]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("75", delegates.SHORT_YEAR),
        ("năm bảy lăm", delegates.NOT_A_YEAR),
        ("1850", delegates.NOT_A_YEAR),
        ("19755", delegates.NOT_A_YEAR),
        ("1975 hoặc 1976", delegates.NOT_A_YEAR),
    ],
)
def test_a_year_of_birth_that_is_not_one_is_a_problem(written: str, message: str) -> None:
    result = parse_rows([["Họ và tên", "Năm sinh"], ["Lê Thị Hoa", written]])
    assert problems(result) == [(2, message, {"column": "Năm sinh", "value": written})]


def test_an_age_band_instead_of_a_year_leaves_the_year_empty_and_says_so() -> None:
    result = parse_rows(
        [
            ["Họ và tên", "Năm sinh"],
            ["Lê Thị Hoa", "Dưới 35"],
            ["Trần Văn Nam", "1960"],
            ["Đỗ Thị Lan", "35 - 60"],
            ["Phạm Văn Bình", "trên 60 tuổi"],
        ]
    )
    assert problems(result) == []
    assert [(r.birth_year, r.age) for r in result.rows] == [
        (None, "Dưới 35"),
        (1960, ""),
        (None, "35 - 60"),
        (None, "trên 60 tuổi"),
    ]
    assert result.notes == [
        IntakeProblem(
            0, delegates.AGES_ONLY, {"count": 3, "example": "Dưới 35", "lines": "2, 4, 5"}
        )
    ]


def test_an_age_column_is_reported_and_gives_no_year() -> None:
    rows = [["Họ và tên", "Tuổi"], *[[f"Đại biểu {i}", str(30 + i)] for i in range(10)]]
    result = parse_rows(rows)
    assert problems(result) == []
    assert {r.birth_year for r in result.rows} == {None}
    assert result.rows[0].age == "30"
    (note,) = result.notes
    assert note.params == {"count": 10, "example": "30", "lines": "2, 3, 4, 5, 6, 7, 8, 9…"}


def test_a_year_column_wins_over_an_age_column() -> None:
    result = parse_rows([["Họ và tên", "Năm sinh", "Độ tuổi"], ["Lê Thị Hoa", "1990", "Dưới 35"]])
    assert [(r.birth_year, r.age) for r in result.rows] == [(1990, "")]
    assert result.notes == []


# -- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "phone"),
    [
        ("0903 123 456", "0903123456"),
        ("0903.123.456", "0903123456"),
        ("0903-123-456", "0903123456"),
        ("(+84) 903 123 456", "+84903123456"),
        ("903123456", "0903123456"),  # Excel dropped the leading zero
        ("024 3826 1234", "02438261234"),
        ("", ""),
    ],
)
def test_a_phone_number(written: str, phone: str) -> None:
    result = parse_rows([["Họ và tên", "Số điện thoại"], ["Lê Thị Hoa", written]])
    assert problems(result) == []
    assert [r.phone for r in result.rows] == [phone]


@pytest.mark.parametrize("written", ["12", "0903 123 456 / 0912 345 678", "gọi sau"])
def test_a_phone_that_is_not_one_number_is_a_problem(written: str) -> None:
    result = parse_rows([["Họ và tên", "SĐT"], ["Lê Thị Hoa", written]])
    assert problems(result) == [(2, delegates.NOT_A_PHONE, {"column": "SĐT", "value": written})]


# -- cells and files ----------------------------------------------------------------------------


def test_a_row_without_a_name_and_a_name_too_long_are_problems_the_rest_is_read() -> None:
    result = parse_rows(
        [
            ["STT", "Họ và tên", "Tổ dân phố"],
            ["1", "Lê Thị Hoa", "Tổ 1"],
            ["2", "", "Tổ 1"],
            ["3", "Ng" * 61, "Tổ 1"],
            ["4", "", ""],  # a numbered template row: nothing written
        ]
    )
    assert problems(result) == [
        (3, opinions.EMPTY_CELL, {"column": "Họ và tên"}),
        (4, opinions.TOO_LONG, {"column": "Họ và tên", "limit": 120}),
    ]
    assert [r.name for r in result.rows] == ["Lê Thị Hoa"]


def test_xlsx_numbers_and_dates_as_excel_stores_them(tmp_path: Path) -> None:
    data = xlsx_bytes(
        tmp_path / "book.xlsx",
        {
            "Hướng dẫn": [["Điền danh sách vào trang Đại biểu"]],
            "Đại biểu": [
                ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Điện thoại"],
                [1, "Lê Thị Hoa", datetime(1990, 5, 12), "Nữ", 903123456],
                [2.0, "Trần Văn Nam", 1961, "Nam", None],
                [3, "Đỗ Thị Lan", 1975.0, None, 84912345678],
            ],
        },
    )
    result = parse_delegates(data, "book.xlsx")
    assert problems(result) == []
    assert [(r.name, r.birth_year, r.gender, r.phone) for r in result.rows] == [
        ("Lê Thị Hoa", 1990, "female", "0903123456"),
        ("Trần Văn Nam", 1961, "male", ""),
        ("Đỗ Thị Lan", 1975, "", "84912345678"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", opinions.EMPTY_FILE),
        (bytes(range(256)) * 40, opinions.UNREADABLE),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, opinions.OLD_EXCEL),
        ("Họ và tên,Giới tính\r\n".encode(), delegates.NO_DELEGATES),
        ("Tên hàng,Giá\r\nGạo,20000\r\n".encode(), opinions.NO_HEADER),
    ],
    ids=["empty", "random-bytes", "old-xls", "header-only", "someone-elses-table"],
)
def test_a_bad_file_is_one_file_problem(content: bytes, message: str) -> None:
    assert only_file_problem(parse_delegates(content, "x.csv")).message == message


def test_more_than_20000_delegates_is_refused_with_the_limit() -> None:
    rows = [["Họ và tên"], *[[f"Đại biểu {i}"] for i in range(20_001)]]
    result = parse_rows(rows)
    assert (0, delegates.TOO_MANY_DELEGATES, {"limit": 20_000}) in problems(result)


# -- the worker process -------------------------------------------------------------------------


async def test_the_worker_reads_every_sample_as_the_parser_does() -> None:
    parser = UploadParser()
    for name in SAMPLES:
        data = (DATA / name).read_bytes()
        assert await parser.parse_delegates(data, name) == parse_delegates(data, name)
    # and the opinions as before, through the same worker
    assert (await parser.parse(OPINIONS.read_bytes(), OPINIONS.name)).rows != []


async def test_a_delegate_reader_over_its_time_is_killed_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "PARSE_SECONDS", 0.05)  # less than Python takes to start
    data = (DATA / "danh-sach-dai-bieu.xlsx").read_bytes()
    result = await UploadParser().parse_delegates(data, "dai-bieu.xlsx")
    (problem,) = result.problems
    assert (problem.message, problem.params) == (
        worker.DELEGATES_TOO_SLOW,
        {"seconds": 0.05},
    )
    assert (result.rows, result.file_format) == ([], "xlsx")
