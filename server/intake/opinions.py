"""Reads the lists the Fatherland Front hands over (CSV, Excel "Unicode Text" or XLSX) into rows:
the opinions here (`OPINIONS`), the invited delegates in server/intake/delegates.py.

Pure: it parses the bytes it is given and never raises on a bad file; problems are data. The server
runs it only in a child process with time and memory limits (server/intake/worker.py).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import string
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import Generic, Literal, Never, Protocol, TypeVar

import msgspec
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.core.commands import MAX_ANSWER, MAX_IMPORT, MAX_NAME, MAX_QUESTION
from server.core.events import Body, Level
from server.core.rules import N_
from server.core.textmatch import fold, tokens

MAX_FILE_BYTES = 5 * 1024 * 1024
# A 5 MiB workbook may still unpack into far more; opinions never need this much.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Title lines ("DANH SÁCH Ý KIẾN ...") may sit above the header; it is looked for this far down.
HEADER_SCAN = 10
SNIFF_CHARS = 64 * 1024  # the header is near the top; a file of blank lines must not be read 3x
MAX_SHOWN_VALUE = 60
# Checked before reading (a workbook's declared size) and while reading, so that neither a claimed
# 16,384-column sheet nor a million blank rows costs more than a template with room to spare does.
MAX_COLUMNS = 200
MAX_ROWS = 10 * MAX_IMPORT
MAX_CELLS = 1_000_000

Field = Literal[
    "text", "asker", "group", "site", "field", "body", "level", "prepared_answer", "outcome"
]
# Only the opinion itself: every other column has the desk's default (server/web/intake.py).
REQUIRED: tuple[Field, ...] = ("text",)
# Named as the Front's own template names them, so a person recognises a missing one.
COLUMN_NAMES: dict[Field, str] = {
    "text": "Nội dung ý kiến",
    "asker": "Người nêu",
    "group": "Tổ dân phố",
    "site": "Điểm cầu",
    "field": "Lĩnh vực",
    "body": "Cơ quan trả lời",
    "level": "Thẩm quyền",
    "prepared_answer": "Nội dung trả lời chuẩn bị",
    "outcome": "Kết quả giải quyết",
}
LIMITS: dict[Field, int] = {
    "text": MAX_QUESTION,
    "asker": MAX_NAME,
    "group": MAX_NAME,
    "site": MAX_NAME,
    "field": MAX_NAME,
    "prepared_answer": MAX_ANSWER,
    "outcome": MAX_ANSWER,
}

T = TypeVar("T")
F = TypeVar("F", bound=str)  # a kind of list's column names: `Field` for the opinions
R = TypeVar("R")  # one good row of that list
R_co = TypeVar("R_co", covariant=True)


def alias_table(table: Iterable[tuple[T, tuple[str, ...]]]) -> dict[str, T]:
    return {alias: value for value, aliases in table for alias in aliases}


# Keys are folded (textmatch.fold); the longest alias that starts a folded header wins, so
# "Nội dung trả lời chuẩn bị" is the prepared answer even though it starts with "Nội dung".
HEADER_ALIASES: dict[str, Field] = alias_table(
    [
        ("text", ("noi dung y kien", "noi dung kien nghi", "noi dung", "y kien", "kien nghi")),
        ("text", ("text", "opinion", "content", "question")),
        ("asker", ("nguoi neu", "nguoi kien nghi", "ho ten", "ho va ten", "cu tri")),
        ("asker", ("asker", "name", "raised by", "citizen")),
        ("group", ("to dan pho", "to dp", "tdp", "thon", "khu pho", "khu dan cu")),
        ("group", ("residential group", "group", "village", "neighbourhood", "neighborhood")),
        ("site", ("diem cau", "dia diem", "site", "location")),
        ("field", ("linh vuc", "chu de", "field", "topic", "category")),
        ("body", ("co quan tra loi", "co quan giai quyet", "co quan", "don vi tra loi")),
        ("body", ("answering body", "responsible body", "body")),
        ("level", ("tham quyen", "cap giai quyet", "cap tham quyen", "cap")),
        ("level", ("level", "authority")),
        ("prepared_answer", ("noi dung tra loi", "tra loi", "y kien tra loi", "du kien tra loi")),
        ("prepared_answer", ("prepared answer", "draft answer", "answer", "response")),
        # What became of the opinion before the meeting, as the Front writes it: read as text
        # here and carried to the preview as `outcome_text` (server/intake/outcome.py reads it).
        ("outcome", ("ket qua giai quyet", "ket qua tra loi", "ket qua xu ly", "ket qua")),
        ("outcome", ("da tra loi", "da giai quyet", "tinh hinh giai quyet")),
        ("outcome", ("outcome", "result", "answered", "resolution")),
    ]
)
# Columns every template has and nobody means as data: not reported as unused.
IGNORED_HEADERS = frozenset({"stt", "tt", "so tt", "so thu tu", "no", "number"})
BODY_ALIASES: dict[str, Body] = alias_table(
    [
        ("party", ("dang uy", "dang", "du", "cap uy", "party committee", "party")),
        ("council", ("hdnd", "hoi dong nhan dan", "thuong truc hdnd", "thuong truc hoi dong")),
        ("council", ("people s council", "peoples council", "council")),
        ("committee", ("ubnd", "uy ban nhan dan", "people s committee", "peoples committee")),
        ("committee", ("committee",)),
        ("other", ("khac", "other", "mttq", "mat tran", "uy ban mttq", "uy ban mat tran")),
        ("other", ("cong an", "toa an", "vien kiem sat", "doan the")),
    ]
)
LEVEL_ALIASES: dict[str, Level] = alias_table(
    [
        ("ward", ("phuong", "xa", "thi tran", "ward", "commune", "township")),
        ("district", ("quan", "huyen", "thi xa", "district", "town")),
        ("city", ("thanh pho", "tp", "tinh", "city", "province")),
    ]
)


class IntakeRow(msgspec.Struct, frozen=True):
    """One good opinion.

    `line` is the row number the person sees in their spreadsheet, the header being line 1 in
    the usual layout. In a CSV a quoted cell spanning several text lines is still one row, as
    Excel shows it; a text editor would show a later line number for the rows below it.
    """

    line: int
    text: str
    asker: str
    group: str
    site: str  # as written; the caller matches it to the meeting's sites
    field: str
    body: Body | None  # None: not given, the desk's default applies
    level: Level | None
    prepared_answer: str
    outcome_text: str = ""  # the "Kết quả giải quyết" cell as written, not yet understood


class IntakeProblem(msgspec.Struct, frozen=True):
    """`line` 0 is the whole file; `message` is an English msgid, `params` fill it."""

    line: int
    message: str
    params: dict[str, str | int] = {}


class UnusedColumn(msgspec.Struct, frozen=True):
    """A column that holds something but is not read: `name` as headed, "" when it has none;
    `index` counts from 0 (column A)."""

    index: int
    name: str

    @property
    def letter(self) -> str:
        """The column's letter as a spreadsheet names it: A … Z, AA …"""
        letters, number = "", self.index + 1
        while number:
            number, rest = divmod(number - 1, 26)
            letters = string.ascii_uppercase[rest] + letters
        return letters


class IntakeResult(msgspec.Struct, frozen=True):
    """`file_format` is "csv", "tsv" or "xlsx"; `encoding` is "" for a workbook."""

    rows: list[IntakeRow]
    problems: list[IntakeProblem]
    file_format: str
    encoding: str
    unused_columns: list[UnusedColumn] = []


@dataclasses.dataclass(frozen=True)
class TableSchema(Generic[F, R]):
    """One kind of list the Front hands over: its columns, how a row of it is checked, and how
    its rows are named in a message. The opinions are `OPINIONS`; server/intake/delegates.py
    reads the delegates with the same reader."""

    aliases: Mapping[str, F]  # folded header → column, as HEADER_ALIASES
    required: tuple[F, ...]
    column_names: Mapping[F, str]  # as the Front's template heads them
    check: Callable[[int, Mapping[F, str], Mapping[F, str]], R | list[IntakeProblem]]
    sheet_title: str  # folded: the sheet read when a workbook has several, else the first
    row_limit: int
    no_rows: str  # messages: a header but no rows; more rows than `row_limit`
    too_many_rows: str
    # A second header row under the first (a merged "Năm sinh" over "Nam" | "Nữ") is read.
    sub_headers: bool = False


@dataclasses.dataclass(frozen=True)
class Table(Generic[R_co]):
    """What `read_table` found: `columns` is each column read and its header as written."""

    rows: Sequence[R_co]
    problems: list[IntakeProblem]
    file_format: str
    encoding: str
    unused_columns: list[UnusedColumn] = dataclasses.field(default_factory=list)
    columns: dict[str, str] = dataclasses.field(default_factory=dict)


TOO_BIG = N_("The file is larger than {limit} MiB.")
UNREADABLE = N_("{filename} is neither a text table (CSV) nor an Excel workbook (.xlsx).")
OLD_EXCEL = N_("{filename} is an old Excel file (.xls): save it as .xlsx or CSV first.")
UNPACKED_TOO_BIG = N_("The workbook unpacks to more than {limit} MiB.")
BAD_WORKBOOK = N_("{filename} is a damaged or unsupported Excel workbook.")
BAD_CSV = N_("{filename} cannot be read as CSV from row {row} on.")
EMPTY_FILE = N_("The file is empty.")
NO_ROWS = N_("The file has a header but no opinions below it.")
NO_HEADER = N_("No header was found in the first {rows} rows; it needs the columns {columns}.")
MISSING_COLUMN = N_("The column {column} is missing.")
TOO_MANY_ROWS = N_("The file has more than {limit} opinions; only the first {limit} were read.")
EMPTY_CELL = N_("Column {column} is empty.")
TOO_LONG = N_("Column {column} is too long: at most {limit} characters.")
UNKNOWN_BODY = N_('Column {column}: "{value}" is not a known answering body.')
UNKNOWN_LEVEL = N_('Column {column}: "{value}" is not a known level.')
TOO_MANY_COLUMNS = N_(
    "The table has more than {limit} columns; delete the columns to the right of it and try again."
)
TOO_MANY_TABLE_ROWS = N_(
    "The table has more than {limit} rows, empty ones included; delete the rows below it and"
    " try again."
)
TOO_MANY_CELLS = N_(
    "The sheet has more than {limit} cells; delete the rows and columns it does not need and"
    " try again."
)
XML_ENTITIES = N_(
    "{filename} declares XML entities, which an Excel workbook never does; it was not read."
)

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other pre-2007 Office files
# BOMs the Front's tools write; the codec names are what `IntakeResult.encoding` reports.
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = (",", ";", "\t")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Row = tuple[int, list[str]]


class _Unreadable(Exception):
    """The reader gave up part-way; `line` is the row it could not read."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _OverLimit(Exception):
    """The table is larger than any real list of opinions; reading it stops at once."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit


def parse_intake(data: bytes, filename: str) -> IntakeResult:
    """Every good row and every problem; a bad file yields problems, never an exception."""
    table = read_table(data, filename, OPINIONS)
    return IntakeResult(
        list(table.rows), table.problems, table.file_format, table.encoding, table.unused_columns
    )


def read_table(data: bytes, filename: str, schema: TableSchema[F, R]) -> Table[R]:
    """A list of `schema`'s kind: every good row and every problem, never an exception."""
    is_workbook = data[:4] in ZIP_SIGNATURES or data.startswith(OLE_SIGNATURE)
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _failed(TOO_BIG, {"limit": limit}, "xlsx" if is_workbook else "csv", "")
    if data.startswith(OLE_SIGNATURE):
        return _failed(OLD_EXCEL, {"filename": filename}, "xlsx", "")
    if is_workbook:
        return _from_xlsx(data, filename, schema)
    return _from_text(data, filename, schema)


def guessed_format(data: bytes) -> str:
    """What a file that was not read is taken for: a workbook by its zip signature, else CSV."""
    return "xlsx" if data[:4] in ZIP_SIGNATURES else "csv"


def _failed(
    message: str, params: dict[str, str | int], file_format: str, encoding: str
) -> Table[Never]:
    return Table((), [IntakeProblem(0, message, params)], file_format, encoding)


# -- text ---------------------------------------------------------------------------------------


def _from_text(data: bytes, filename: str, schema: TableSchema[F, R]) -> Table[R]:
    decoded = _decode(data)
    if decoded is None or _looks_binary(decoded[0]):
        return _failed(UNREADABLE, {"filename": filename}, "csv", "")
    text, encoding = decoded
    text, delimiter = _sep_line(text)
    delimiter = delimiter or _sniff(text, schema.aliases)
    file_format = "tsv" if delimiter == "\t" else "csv"
    try:
        return _from_rows(_capped(_csv_rows(text, delimiter)), file_format, encoding, schema)
    except _Unreadable as exc:
        return _failed(BAD_CSV, {"filename": filename, "row": exc.line}, file_format, encoding)
    except _OverLimit as exc:
        return _failed(exc.message, {"limit": exc.limit}, file_format, encoding)


def _decode(data: bytes) -> tuple[str, str] | None:
    """BOM first, then strict UTF-8, then Windows-1258, the Vietnamese Windows code page."""
    candidates = [name for bom, name in BOMS if data.startswith(bom)] or ["utf-8", "cp1258"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _looks_binary(text: str) -> bool:
    """Random bytes often decode as cp1258; real tables hold few controls besides tab and newline.

    One stray control (a DOS end-of-file mark) per thousand characters is tolerated.
    """
    return len(CONTROLS.findall(text)) > 1 + len(text) // 1000


def _sep_line(text: str) -> tuple[str, str | None]:
    """Excel honours a first line "sep=;" and hides it, so the rows below keep their numbers."""
    first, newline, rest = text.partition("\n")
    hint = first.rstrip("\r")
    if newline and len(hint) == 5 and hint.lower().startswith("sep=") and hint[4] in DELIMITERS:
        return rest, hint[4]
    return text, None


def _sniff(text: str, aliases: Mapping[str, F]) -> str:
    """The delimiter under which a header names the most known columns; if none does, the one
    the first line holds most of (",,,,," is an empty row, not one cell)."""
    text = text[:SNIFF_CHARS]
    first_line = next((line for line in text.splitlines() if line.strip()), "")

    def quality(delimiter: str) -> tuple[int, int]:
        try:
            head = list(islice(_non_empty(_csv_rows(text, delimiter)), HEADER_SCAN))
        except _Unreadable:
            return (-1, 0)
        # Only the columns that would be read; a line of 200,000 commas must not be looked at 3x.
        known = max((len(_columns(cells[:MAX_COLUMNS], aliases)) for _, cells in head), default=0)
        return (known, first_line.count(delimiter))

    return max(DELIMITERS, key=quality)


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    """Records numbered as a spreadsheet numbers rows: one per record, blank ones included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            yield line, _trimmed([_clean(cell) for cell in cells])
    except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
        raise _Unreadable(line + 1) from exc


# -- xlsx ---------------------------------------------------------------------------------------


class _Sheet(Protocol):
    title: str
    max_row: int | None  # as the sheet declares them; None if it does not
    max_column: int | None

    def reset_dimensions(self) -> None: ...

    def iter_rows(self, *, values_only: bool) -> Iterator[tuple[object, ...]]: ...


class _Workbook(Protocol):
    worksheets: list[_Sheet]

    def close(self) -> None: ...


def _open_workbook(data: bytes) -> _Workbook:
    """openpyxl is untyped; this is the one place its answers become typed."""
    workbook: _Workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    return workbook


def _from_xlsx(data: bytes, filename: str, schema: TableSchema[F, R]) -> Table[R]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            limit = MAX_UNPACKED_BYTES // (1024 * 1024)
            return _failed(UNPACKED_TOO_BIG, {"limit": limit}, "xlsx", "")
        workbook = _open_workbook(data)
    except MemoryError:
        raise  # the worker's memory limit: it says so itself
    # openpyxl raises whatever its zip and XML layers meet in a damaged file; none may escape.
    except Exception as exc:  # noqa: BLE001
        return _unreadable_workbook(exc, filename)
    rows = _sheet_rows(workbook, schema.sheet_title)
    try:
        return _from_rows(_capped(rows), "xlsx", "", schema)
    except _OverLimit as exc:
        return _failed(exc.message, {"limit": exc.limit}, "xlsx", "")
    except _Unreadable as exc:
        return _unreadable_workbook(exc, filename)
    finally:
        rows.close()  # before the workbook, whose archive a suspended reader still holds
        workbook.close()


def _unreadable_workbook(error: BaseException, filename: str) -> Table[Never]:
    """Entity declarations (billion laughs, expat's deep-chain crash) are named as such; defusedxml
    refuses them and openpyxl wraps its refusal. Anything else is a damaged file."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return _failed(XML_ENTITIES, {"filename": filename}, "xlsx", "")
        cause = cause.__cause__
    return _failed(BAD_WORKBOOK, {"filename": filename}, "xlsx", "")


def _sheet_rows(workbook: _Workbook, title: str) -> Generator[Row]:
    line = 0
    try:
        sheets = workbook.worksheets
        sheet = next((s for s in sheets if fold(s.title) == title), sheets[0])
        _check_declared_size(sheet)
        # Some exporters write a wrong used range; read-only mode would trust it and cut rows.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, _trimmed([_clean(_cell_text(value)) for value in values])
    except (_OverLimit, MemoryError):
        raise
    except Exception as exc:  # as in _from_xlsx: a damaged sheet raises anything
        raise _Unreadable(line + 1) from exc


def _check_declared_size(sheet: _Sheet) -> None:
    """A sheet says how large it is before any cell is read; believe it when it says too large."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if columns > MAX_COLUMNS:
        raise _OverLimit(TOO_MANY_COLUMNS, MAX_COLUMNS)
    if rows > MAX_ROWS:
        raise _OverLimit(TOO_MANY_TABLE_ROWS, MAX_ROWS)
    if rows * columns > MAX_CELLS:
        raise _OverLimit(TOO_MANY_CELLS, MAX_CELLS)


def _cell_text(value: object) -> str:
    """Numbers as a person typed them: STT 3 is stored as 3.0 by some tools."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- rows ---------------------------------------------------------------------------------------


def _trimmed(cells: list[str]) -> list[str]:
    """Without the empty cells at the end: Excel pads every record to the widest one."""
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _capped(rows: Iterator[Row]) -> Iterator[Row]:
    """Reading stops at the first row past a limit that no real list of opinions comes near."""
    for line, cells in rows:
        if line > MAX_ROWS:
            raise _OverLimit(TOO_MANY_TABLE_ROWS, MAX_ROWS)
        if len(cells) > MAX_COLUMNS:
            raise _OverLimit(TOO_MANY_COLUMNS, MAX_COLUMNS)
        yield line, cells


def _non_empty(rows: Iterator[Row]) -> Iterator[Row]:
    return (row for row in rows if any(row[1]))


def _from_rows(
    rows: Iterator[Row], file_format: str, encoding: str, schema: TableSchema[F, R]
) -> Table[R]:
    """Finds the header, then checks each data row; stops reading past the row limit."""
    rows = _non_empty(rows)
    head = list(islice(rows, HEADER_SCAN))
    if not head:
        return _failed(EMPTY_FILE, {}, file_format, encoding)
    index = _header_index(head, schema.aliases)
    header = shown = head[index][1]
    start = index + 1
    if schema.sub_headers and start < len(head):
        below = head[start][1]
        if _is_sub_header(header, below, schema.aliases):
            header, shown = _with_sub_header(header, below)
            start += 1
    columns = _columns(header, schema.aliases)
    missing = [field for field in schema.required if field not in columns]
    if not columns:
        required = ", ".join(schema.column_names[field] for field in schema.required)
        return _failed(NO_HEADER, {"columns": required, "rows": HEADER_SCAN}, file_format, encoding)
    if missing:
        problems = [
            IntakeProblem(0, MISSING_COLUMN, {"column": schema.column_names[f]}) for f in missing
        ]
        return Table((), problems, file_format, encoding)
    names = {field: shown[i] for field, i in columns.items()}
    checked = _RowChecker(schema, columns, names, _unheaded(header))
    checked.read(chain(head[start:], rows))
    if not checked.good and not checked.problems:
        checked.problems.append(IntakeProblem(0, schema.no_rows))
    unused = _unused_columns(header, shown, columns) + [
        UnusedColumn(i, "") for i in sorted(checked.unheaded_with_data)
    ]
    return Table(
        checked.good,
        checked.problems,
        file_format,
        encoding,
        sorted(unused, key=lambda column: column.index),
        dict(names.items()),
    )


def _is_sub_header(header: list[str], below: list[str], aliases: Mapping[str, F]) -> bool:
    """The row under the header names columns too, some under a header cell left empty (the
    rest of a merged cell): "Năm sinh" over "Nam" and "Nữ". A data row has a name in it."""
    cells = [(i, cell) for i, cell in enumerate(below) if cell]
    return (
        bool(cells)
        and all(_match(fold(cell), aliases) is not None for _, cell in cells)
        and any(i >= len(header) or not header[i] for i, _ in cells)
    )


def _with_sub_header(header: list[str], below: list[str]) -> tuple[list[str], list[str]]:
    """The header read (the lower cell where there is one) and as shown: "Năm sinh (Nữ)"."""
    read, shown, parent = [], [], ""
    for i in range(max(len(header), len(below))):
        top = header[i] if i < len(header) else ""
        sub = below[i] if i < len(below) else ""
        parent = top or parent
        read.append(sub or top)
        shown.append(f"{parent} ({sub})" if sub and parent and sub != parent else sub or top)
    return read, shown


def _unheaded(header: list[str]) -> Callable[[int], bool]:
    """Whether column `i` has no header: data there would be read by nobody."""
    return lambda i: i >= len(header) or not header[i]


def _unused_columns(
    header: list[str], shown: list[str], columns: Mapping[F, int]
) -> list[UnusedColumn]:
    """Headed columns nothing reads: unknown ones, and the second of two look-alikes."""
    read = set(columns.values())
    return [
        UnusedColumn(i, shown[i])
        for i, name in enumerate(header)
        if name and i not in read and fold(name) not in IGNORED_HEADERS
    ]


class _RowChecker(Generic[F, R]):
    """Checks each data row; remembers the header-less columns some row wrote in."""

    def __init__(
        self,
        schema: TableSchema[F, R],
        columns: Mapping[F, int],
        names: Mapping[F, str],
        unheaded: Callable[[int], bool],
    ) -> None:
        self.schema = schema
        self.columns, self.names, self.unheaded = columns, names, unheaded
        self.good: list[R] = []
        self.problems: list[IntakeProblem] = []
        self.unheaded_with_data: set[int] = set()

    def read(self, rows: Iterator[Row]) -> None:
        count = 0
        for line, cells in rows:
            values = {f: cells[i] if i < len(cells) else "" for f, i in self.columns.items()}
            # A template numbered down to row 100 has STT-only rows: nothing a person wrote.
            if not any(values.values()):
                continue
            count += 1
            if count > self.schema.row_limit:
                limit = self.schema.row_limit
                self.problems.append(IntakeProblem(0, self.schema.too_many_rows, {"limit": limit}))
                break
            self.unheaded_with_data.update(
                i for i, cell in enumerate(cells) if cell and self.unheaded(i)
            )
            checked = self.schema.check(line, values, self.names)
            if isinstance(checked, list):
                self.problems.extend(checked)
            else:
                self.good.append(checked)


def _check_row(
    line: int, values: Mapping[Field, str], names: Mapping[Field, str]
) -> IntakeRow | list[IntakeProblem]:
    def problem(field: Field, message: str, **params: str | int) -> IntakeProblem:
        return IntakeProblem(line, message, {"column": names[field], **params})

    def value(field: Field) -> str:
        return values.get(field, "")

    problems = [
        problem(field, TOO_LONG, limit=limit)
        for field, limit in LIMITS.items()
        if len(value(field)) > limit
    ]
    problems += [problem(field, EMPTY_CELL) for field in REQUIRED if not values[field]]
    # An empty cell takes the desk's default, as a missing column does; a wrong one is an error.
    body = _match(fold(value("body")), BODY_ALIASES)
    level = _match(fold(value("level")).removeprefix("cap "), LEVEL_ALIASES)
    if value("body") and body is None:
        problems.append(problem("body", UNKNOWN_BODY, value=shown_value(value("body"))))
    if value("level") and level is None:
        problems.append(problem("level", UNKNOWN_LEVEL, value=shown_value(value("level"))))
    if problems:
        return problems
    return IntakeRow(
        line=line,
        text=values["text"],
        asker=value("asker"),
        group=value("group"),
        site=value("site"),
        field=value("field"),
        body=body,
        level=level,
        prepared_answer=value("prepared_answer"),
        outcome_text=value("outcome"),
    )


OPINIONS: TableSchema[Field, IntakeRow] = TableSchema(
    aliases=HEADER_ALIASES,
    required=REQUIRED,
    column_names=COLUMN_NAMES,
    check=_check_row,
    sheet_title="y kien",
    row_limit=MAX_IMPORT,
    no_rows=NO_ROWS,
    too_many_rows=TOO_MANY_ROWS,
)


def shown_value(value: str) -> str:
    """Enough of a wrong value to find it, not a paragraph pasted into the wrong column."""
    return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 1] + "…"


# -- matching -----------------------------------------------------------------------------------


def _header_index(head: list[Row], aliases: Mapping[str, F]) -> int:
    """The first row naming the most known columns; rows above it are titles."""
    return max(range(len(head)), key=lambda i: len(_columns(head[i][1], aliases)))


def _columns(header: list[str], aliases: Mapping[str, F]) -> dict[F, int]:
    """Which cell holds which field; the first of two look-alike columns wins."""
    columns: dict[F, int] = {}
    for index, name in enumerate(header):
        field = _match(fold(name), aliases)
        if field is not None and field not in columns:
            columns[field] = index
    return columns


def _match(key: str, aliases: Mapping[str, T]) -> T | None:
    """The value of the longest alias that is `key` or starts it as whole words."""
    found = [alias for alias in aliases if key == alias or key.startswith(alias + " ")]
    return aliases[max(found, key=len)] if found else None


def _clean(raw: str) -> str:
    """NFC, one line, trimmed. Line breaks and tabs become spaces; invisible marks (zero-width
    space, stray BOM, soft hyphen) go, so they cannot split a word or hide in a name."""
    text = raw
    if not raw.isprintable():
        text = "".join(_visible(c) for c in raw)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _visible(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cc":
        return " "
    return "" if category in ("Cf", "Cs", "Co") else char


# -- sites --------------------------------------------------------------------------------------

# How the Front writes a site and how the organiser named it differ in words like these, folded:
# "Điểm cầu Tổ dân phố số 05" is the site "TDP 5".
SITE_PREFIX = ("diem", "cau")
SITE_ABBREVIATIONS: dict[tuple[str, ...], str] = {
    ("to", "dan", "pho"): "tdp",
    ("to", "dp"): "tdp",
    ("khu", "pho"): "kp",
    ("khu", "dan", "cu"): "kdc",
}
# "tổ 5" is a residential group only when numbered; "tổ công tác" is not one.
NUMBERED_GROUP = "to"
NUMBER_WORD = "so"  # "số 5" is "5"
GLUED_NUMBER = re.compile(r"(so|to|tdp|kp|kdc)(\d+)")  # "TDP5", "số5"


def site_key(name: str) -> str:
    """A site's name, spelling aside: case, diacritics, spacing, a leading "Điểm cầu",
    "Tổ dân phố"/"TDP", "Khu phố"/"KP", "số 5"/"5"/"05" do not tell two names apart."""
    words = [piece for word in tokens(name) for piece in _unglued(word)]
    while words[:2] == list(SITE_PREFIX) and len(words) > 2:
        words = words[2:]
    key: list[str] = []
    at = 0
    while at < len(words):
        phrase = next((p for p in SITE_ABBREVIATIONS if tuple(words[at : at + len(p)]) == p), None)
        if phrase is not None:
            key.append(SITE_ABBREVIATIONS[phrase])
            at += len(phrase)
            continue
        word, numbered = words[at], at + 1 < len(words) and words[at + 1].isdecimal()
        at += 1
        if word == NUMBER_WORD and numbered:
            continue
        if word == NUMBERED_GROUP and numbered:
            word = "tdp"
        key.append(str(int(word)) if word.isdecimal() else word)
    return " ".join(key)


def _unglued(word: str) -> list[str]:
    glued = GLUED_NUMBER.fullmatch(word)
    return [glued[1], glued[2]] if glued else [word]


def suggest_site(written: str, sites: Mapping[str, str]) -> str | None:
    """The one site (id, from ids to names) whose name is `written`'s with words left out or
    added, numbers alike: "Nhà văn hóa tổ 3" suggests "Tổ dân phố 3", not "Tổ dân phố 13"."""
    words = set(site_key(written).split())
    numbers = {w for w in words if w.isdecimal()}
    found = []
    for site_id, name in sites.items():
        other = set(site_key(name).split())
        alike = other and (other <= words or words <= other)
        if alike and {w for w in other if w.isdecimal()} == numbers:
            found.append(site_id)
    return found[0] if len(found) == 1 else None
