"""Reads the list of invited delegates (CSV, Excel "Unicode Text" or XLSX) with the opinions' reader
(server/intake/opinions.py): name, residential group, site, gender, year of birth, position, phone.

Pure, like that reader: a bad file yields problems, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, Protocol

import msgspec

from server.core.commands import MAX_DELEGATES, MAX_NAME
from server.core.events import Gender
from server.core.rules import N_
from server.core.textmatch import fold
from server.intake.opinions import (
    EMPTY_CELL,
    TOO_LONG,
    IntakeProblem,
    TableSchema,
    UnusedColumn,
    alias_table,
    read_table,
    shown_value,
)

DelegateField = Literal[
    "name", "group", "site", "gender", "female", "male", "birth_year", "age", "position", "phone"
]
REQUIRED: tuple[DelegateField, ...] = ("name",)
COLUMN_NAMES: dict[DelegateField, str] = {
    "name": "Họ và tên",
    "group": "Tổ dân phố",
    "site": "Điểm cầu",
    "gender": "Giới tính",
    "female": "Nữ",
    "male": "Nam",
    "birth_year": "Năm sinh",
    "age": "Độ tuổi",
    "position": "Chức vụ",
    "phone": "Số điện thoại",
}
LIMITS: dict[DelegateField, int] = {
    "name": MAX_NAME,
    "group": MAX_NAME,
    "site": MAX_NAME,
    "position": MAX_NAME,
}
# Folded; the longest alias that starts a header wins ("Năm sinh" is not the "Nam" column).
HEADER_ALIASES: dict[str, DelegateField] = alias_table(
    [
        ("name", ("ho va ten", "ho ten", "ten dai bieu", "dai bieu", "nguoi duoc moi")),
        ("name", ("full name", "name", "delegate")),
        ("group", ("to dan pho", "to dp", "tdp", "to", "thon", "khu pho", "kp", "khu dan cu")),
        ("group", ("residential group", "group", "village", "neighbourhood", "neighborhood")),
        ("site", ("diem cau", "dia diem", "noi du", "diem hop", "site", "location")),
        ("gender", ("gioi tinh", "gioi", "nam nu", "nam hay nu", "phai", "gender", "sex")),
        ("female", ("nu", "female", "women")),
        ("male", ("nam", "male", "men")),
        ("birth_year", ("nam sinh", "ngay sinh", "ngay thang nam sinh", "sinh nam", "sinh ngay")),
        ("birth_year", ("year of birth", "birth year", "date of birth", "born", "dob")),
        ("age", ("tuoi", "do tuoi", "nhom tuoi", "age", "age band", "age group")),
        ("position", ("chuc vu", "chuc danh", "thanh phan", "nghe nghiep")),
        ("position", ("position", "role", "occupation")),
        ("phone", ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "dtdd", "di dong")),
        ("phone", ("phone", "phone number", "mobile", "telephone", "tel")),
    ]
)
FEMALE = frozenset({"nu", "nu gioi", "f", "female", "woman", "w"})
MALE = frozenset({"nam", "nam gioi", "m", "male", "man"})
# A tick in a "Nữ" or "Nam" column, as people make one; what is not a year, a band or a tick is
# a problem.
TICKS = frozenset({"x", "v", "✓", "✔", "√", "☑", "*", "+"})
TICK_WORDS = frozenset({"1", "co", "yes", "y", "true", *FEMALE, *MALE})
NO_TICK = frozenset({"0", "khong", "no", "false"})
UNKNOWN = frozenset({"khong ro", "chua ro", "khong biet", "unknown", "n a"})
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
DATE_LIKE = re.compile(r"[\d\s./:-]+")  # "1975", "12/05/1975", "1975-05-12 00:00:00", "05/1975"
AGE_WORDS = frozenset({"tuoi", "duoi", "tren", "tu", "den", "hon", "ngoai", "under", "over"})
AGE_RANGE = re.compile(r"\d{1,3}\s*[-\u2013]\s*\d{1,3}")  # "35-60", or with an en dash
OLDEST_YEAR, LATEST_YEAR = 1900, 2100  # the meeting's own year is checked against its date
MAX_AGE = 130
PHONE_MARKS = re.compile(r"[\s.()-]")
PHONE = re.compile(r"\+?\d{8,15}")
SHOWN_LINES = 8

NO_DELEGATES = N_("The file has a header but no delegates below it.")
TOO_MANY_DELEGATES = N_(
    "The file has more than {limit} delegates; only the first {limit} were read."
)
NOT_A_GENDER = N_('Column {column}: "{value}" is neither Nam nor Nữ.')
NOT_A_TICK = N_('Column {column}: "{value}" is neither a tick (x) nor a year of birth.')
BOTH_TICKED = N_("Both the Nam and the Nữ columns are ticked.")
NOT_A_YEAR = N_('Column {column}: "{value}" is not a year of birth.')
SHORT_YEAR = N_('Column {column}: "{value}" is not a year of birth; write the year in full (1975).')
NOT_A_PHONE = N_('Column {column}: "{value}" is not one phone number.')
AGES_ONLY = N_(
    "{count} delegates have an age or an age band instead of a year of birth (such as"
    " “{example}”, lines {lines}): their year of birth is left empty, so they are not counted"
    " under 35."
)
UNTICKED_ARE = N_(
    "Only the column {column} tells the gender: the delegates not ticked there are taken as"
    " {other}."
)

MEN, WOMEN = N_("men"), N_("women")


class DelegateRow(msgspec.Struct, frozen=True):
    """One good delegate. `age` is the age or band written where no year of birth is known."""

    line: int
    name: str
    group: str
    site: str  # as written; the caller matches it to the meeting's sites
    gender: Gender
    birth_year: int | None
    age: str
    position: str
    phone: str  # digits (and a leading +) only


class DelegateIntakeResult(msgspec.Struct, frozen=True):
    """As `IntakeResult`; `notes` are worth knowing but block nothing."""

    rows: list[DelegateRow]
    problems: list[IntakeProblem]
    file_format: str
    encoding: str
    unused_columns: list[UnusedColumn] = []
    notes: list[IntakeProblem] = []


def parse_delegates(data: bytes, filename: str) -> DelegateIntakeResult:
    """Every good delegate and every problem; a bad file yields problems, never an exception."""
    table = read_table(data, filename, DELEGATES)
    rows = list(table.rows)
    return DelegateIntakeResult(
        rows,
        table.problems,
        table.file_format,
        table.encoding,
        table.unused_columns,
        _notes(rows, table.columns) if not table.problems else [],
    )


def _notes(rows: list[DelegateRow], columns: Mapping[str, str]) -> list[IntakeProblem]:
    notes = []
    ages = [row for row in rows if row.age]
    if ages:
        lines = ", ".join(str(row.line) for row in ages[:SHOWN_LINES])
        more = "…" if len(ages) > SHOWN_LINES else ""
        params: dict[str, str | int] = {
            "count": len(ages),
            "example": ages[0].age,
            "lines": lines + more,
        }
        notes.append(IntakeProblem(0, AGES_ONLY, params))
    if "gender" not in columns and ("female" in columns) != ("male" in columns):
        column, other = ("female", MEN) if "female" in columns else ("male", WOMEN)
        notes.append(IntakeProblem(0, UNTICKED_ARE, {"column": columns[column], "other": other}))
    return notes


# -- one row ------------------------------------------------------------------------------------


class _Birth(msgspec.Struct, frozen=True):
    year: int | None = None
    age: str = ""  # an age or an age band, as written
    problem: str = ""  # the message, when the cell is neither


def _birth(cell: str, ages: bool) -> _Birth:
    """A year of birth, from a year or a date; an age band is kept as written. `ages`: a bare
    number is an age (the "Tuổi" column), not a year written short."""
    folded = fold(cell)
    if not folded or folded in UNKNOWN:
        return _Birth()
    years = YEAR.findall(cell)
    if DATE_LIKE.fullmatch(cell) and len(years) == 1:
        year = int(years[0])
        return _Birth(year) if OLDEST_YEAR <= year <= LATEST_YEAR else _Birth(problem=NOT_A_YEAR)
    words = set(folded.split())
    if words & AGE_WORDS or AGE_RANGE.fullmatch(cell.strip()):
        return _Birth(age=cell)
    if folded.isdecimal() and int(folded) < MAX_AGE:
        return _Birth(age=cell) if ages else _Birth(problem=SHORT_YEAR)
    return _Birth(problem=NOT_A_YEAR)


class _Tick(msgspec.Struct, frozen=True):
    ticked: bool = False
    birth: _Birth = _Birth()
    problem: str = ""


def _tick(cell: str) -> _Tick:
    """A "Nữ" or "Nam" column's cell: a tick, or the year of birth written in that column."""
    folded = fold(cell)
    if cell.strip().lower() in TICKS or folded in TICK_WORDS:
        return _Tick(ticked=True)
    if not folded or folded in NO_TICK:
        return _Tick()
    birth = _birth(cell, ages=False)
    if birth.problem:  # "75" is a year written short; anything else is no tick at all
        return _Tick(problem=SHORT_YEAR if birth.problem == SHORT_YEAR else NOT_A_TICK)
    return _Tick(ticked=True, birth=birth)


def _phone(cell: str) -> str | None:
    """One number: digits and a leading +; Excel keeps a number without its leading 0."""
    number = PHONE_MARKS.sub("", cell)
    if not PHONE.fullmatch(number):
        return None
    if len(number) == 9 and number[0] != "0":
        return "0" + number
    return number


def _check_delegate(
    line: int, values: Mapping[DelegateField, str], names: Mapping[DelegateField, str]
) -> DelegateRow | list[IntakeProblem]:
    problems: list[IntakeProblem] = []

    def problem(field: DelegateField, message: str, **params: str | int) -> None:
        problems.append(IntakeProblem(line, message, {"column": names[field], **params}))

    def value(field: DelegateField) -> str:
        return values.get(field, "")

    for field, limit in LIMITS.items():
        if len(value(field)) > limit:
            problem(field, TOO_LONG, limit=limit)
    if not values["name"]:
        problem("name", EMPTY_CELL)
    gender = _gender(values, problem)
    birth = _birth(value("birth_year"), ages=False)
    if birth.problem:
        problem("birth_year", birth.problem, value=shown_value(value("birth_year")))
    for field in ("female", "male"):  # the year written in the "Nam" or "Nữ" column
        ticked = _tick(value(field))
        if birth.year is None and not birth.age and (ticked.birth.year or ticked.birth.age):
            birth = ticked.birth
    if birth.year is None and not birth.age and value("age"):
        birth = _birth(value("age"), ages=True)
        if birth.problem:
            problem("age", birth.problem, value=shown_value(value("age")))
    phone = _phone(value("phone")) if value("phone") else ""
    if phone is None:
        problem("phone", NOT_A_PHONE, value=shown_value(value("phone")))
    if problems:
        return problems
    return DelegateRow(
        line=line,
        name=values["name"],
        group=value("group"),
        site=value("site"),
        gender=gender,
        birth_year=birth.year,
        age=birth.age,
        position=value("position"),
        phone=phone or "",
    )


class _Problem(Protocol):
    """How `_check_delegate` records a problem: `(field, message, **params)`."""

    def __call__(self, field: DelegateField, message: str, **params: str | int) -> None: ...


def _gender(values: Mapping[DelegateField, str], problem: _Problem) -> Gender:
    """From a "Giới tính" column, else from a tick in a "Nữ" or "Nam" column; with only one of
    those, the others are of the other gender (a list with a "Nữ" column ticks the women)."""
    given = values.get("gender", "")
    if given:
        folded = fold(given)
        if folded in FEMALE:
            return "female"
        if folded in MALE:
            return "male"
        problem("gender", NOT_A_GENDER, value=shown_value(given))
        return ""
    sides: tuple[DelegateField, ...] = ("female", "male")
    ticks = {field: _tick(values[field]) for field in sides if field in values}
    for field, tick in ticks.items():
        if tick.problem:
            problem(field, tick.problem, value=shown_value(values[field]))
    female, male = (field in ticks and ticks[field].ticked for field in sides)
    if female and male:
        problem("female", BOTH_TICKED)
        return ""
    if female or male:
        return "female" if female else "male"
    if "gender" not in values and len(ticks) == 1:
        return "male" if "female" in ticks else "female"
    return ""


DELEGATES: TableSchema[DelegateField, DelegateRow] = TableSchema(
    aliases=HEADER_ALIASES,
    required=REQUIRED,
    column_names=COLUMN_NAMES,
    check=_check_delegate,
    sheet_title="dai bieu",
    row_limit=MAX_DELEGATES,
    no_rows=NO_DELEGATES,
    too_many_rows=TOO_MANY_DELEGATES,
    sub_headers=True,
)
