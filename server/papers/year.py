"""A year of meetings as the organiser's office reports it: the paragraph, the figures, an XLSX
and a DOCX report."""

from __future__ import annotations

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook  # type: ignore[import-untyped]

from server.core.report import (
    Report,
    Scope,
    YearFigures,
)
from server.papers.content import StatRow
from server.papers.sheets import Cell, new_sheet, put_cell
from server.papers.text import (
    MOTTO,
    NATION,
    NO_FIELD,
    NO_SITE,
    Heading,
    attendance_cell,
    attendance_text,
    clean,
    date_cell,
    delegates_text,
    label,
    long_date,
    paper_heading,
    satisfaction_text,
    vn_date,
)
from server.papers.word import (
    docx_bytes,
    new_docx,
    write_heading,
    write_paragraph,
    write_signatures,
    write_table,
)

# --- a year of meetings --------------------------------------------------------------------------


def _period_words(y: YearFigures) -> str:
    """The year ("Năm 2026"), or the period within it ("Từ ngày 01/03/2026 đến ngày 30/06/2026")."""
    start, end = y.period
    if not start and not end:
        return f"Năm {y.year}"
    since = f"Từ ngày {vn_date(start)}" if start else f"Từ đầu năm {y.year}"
    return since + (f" đến ngày {vn_date(end)}" if end else f" đến cuối năm {y.year}")


NO_UNIT = "Chưa ghi nhận đơn vị"


def scope_words(scope: Scope) -> str:
    """Whose meetings, as a sentence names them ("phường Tân Định", "Quận 1 và các phường");
    "" for all of them, and for those with no unit recorded (said apart)."""
    if scope.kind == "unit":
        return scope.name
    if scope.kind == "over":
        under = f"các {', '.join(scope.below)}" if scope.below else "các đơn vị trực thuộc"
        return f"{scope.name} và {under}"
    return ""


def _held_sentence(y: YearFigures) -> str:
    held = f"đã tổ chức {y.meetings} hội nghị tiếp xúc, đối thoại"
    if y.scope.kind == "none":
        return f"{_period_words(y)}, {held} chưa ghi nhận đơn vị tổ chức."
    who = scope_words(y.scope)
    return f"{_period_words(y)}, {who + ' ' if who else ''}{held}."


def year_sentences(y: YearFigures) -> tuple[str, ...]:
    """The paragraph a year's report is quoted by ("Năm 2026, đã tổ chức 14 hội nghị…")."""
    other = y.raised_in_hall - y.raised_with_party - y.raised_with_government
    forwarded = [
        f"{n} ý kiến thuộc thẩm quyền cấp {label('level', lv).lower()}"
        for lv, n in y.forwarded_by_level
        if n and lv != "ward"
    ]
    sentences = [
        _held_sentence(y),
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
        sentences.append(f"Mức độ hài lòng: {satisfaction_text(y.satisfaction)}.")
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
        StatRow("Số người dự", attendance_cell(y.attendance)),
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
    "Đơn vị tổ chức",
)


def _year_meeting_row(report: Report) -> tuple[Cell, ...]:
    s = report.statistics
    decided = dict(s.by_decision)
    satisfaction = s.satisfaction
    return (
        date_cell(report.info.date),
        clean(report.info.title),
        len(report.sites),
        attendance_cell(s.attendance),
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
        clean(report.info.unit) or NO_UNIT,
    )


def _unit_name(name: str, superior: str) -> str:
    if not name:
        return NO_UNIT
    return clean(f"{name} ({superior})" if superior else name)


def _scope_title(y: YearFigures) -> str:
    """The report's title line: the period, and whose meetings where not all of them."""
    title = f"KẾT QUẢ TỔ CHỨC HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI {_period_words(y).upper()}"
    if y.scope.kind == "none":
        return f"{title} (CÁC HỘI NGHỊ CHƯA GHI NHẬN ĐƠN VỊ TỔ CHỨC)"
    who = scope_words(y.scope)
    return f"{title} CỦA {clean(who).upper()}" if who else title


def year_xlsx(y: YearFigures) -> bytes:
    """Two sheets: the year's figures, and one row per meeting held."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet, end = new_sheet(
        workbook,
        "Tổng hợp",
        ("Chỉ tiêu", "Số lượng"),
        ((r.label, r.count) for r in year_rows(y)),
        (44, 14),
    )
    for offset, sentence in enumerate(year_sentences(y), start=end + 1):
        put_cell(sheet, offset, 1, sentence, wrap=False)
    new_sheet(
        workbook,
        "Theo lĩnh vực, điểm cầu",
        ("Nhóm", "Tên", "Số ý kiến"),
        [
            *(("Lĩnh vực", NO_FIELD if f == "—" else f, n) for f, n in y.by_field),
            *(("Điểm cầu", NO_SITE if name == "—" else name, n) for name, n in y.by_site),
            *(("Đơn vị", _unit_name(name, superior), n) for name, superior, _, n in y.by_unit),
        ],
        (14, 50, 12),
    )
    new_sheet(
        workbook,
        "Hội nghị",
        YEAR_MEETING_COLUMNS,
        (_year_meeting_row(row.report) for row in y.rows),
        (12, 50, 10, 12, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 30),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def year_docx(y: YearFigures, today: str) -> bytes:
    """BÁO CÁO KẾT QUẢ TỔ CHỨC HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI for a year, in the heading of the
    latest meeting held that has one."""
    document = new_docx()
    document.core_properties.title = f"Báo cáo kết quả đối thoại năm {y.year}"
    document.core_properties.language = "vi-VN"
    headed = [row.report.info for row in y.rows if row.report.info.heading is not None]
    # a district over its wards reports in the district's own heading where it has one
    own = [
        i for i in headed if y.scope.kind == "over" and i.unit.casefold() == y.scope.name.casefold()
    ]
    headed = own + [i for i in headed if i not in own]
    if headed:
        write_heading(document, paper_heading(headed[0], today, "BC"))
    else:
        write_heading(document, Heading("", "", "", (NATION, MOTTO), long_date(today), party=False))
    document.add_heading("BÁO CÁO", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    write_paragraph(document, _scope_title(y), bold=True, center=True)
    document.add_heading("I. KẾT QUẢ CHUNG", level=1)
    for sentence in year_sentences(y):
        write_paragraph(document, sentence)
    document.add_heading("II. SỐ LIỆU", level=1)
    write_table(
        document, ("Chỉ tiêu", "Số lượng"), ((r.label, str(r.count)) for r in year_rows(y)), (12, 4)
    )
    if len(y.by_unit) > 1 or y.scope.kind == "over":
        write_table(
            document,
            ("Đơn vị tổ chức", "Số hội nghị", "Số ý kiến"),
            ((_unit_name(name, sup), str(held), str(n)) for name, sup, held, n in y.by_unit),
            (10, 3, 3),
        )
    document.add_heading("III. CÁC HỘI NGHỊ ĐÃ TỔ CHỨC", level=1)
    if not y.rows:
        write_paragraph(document, "Không có hội nghị nào được tổ chức trong năm.", italic=True)
    else:
        write_table(
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
    write_signatures(
        document, ["Nơi nhận:", "- Cấp ủy, chính quyền cấp trên;", "- Lưu."], f"TM. {signer}", ""
    )
    return docx_bytes(document)
