"""Word documents in the administrative layout: the minutes and the draft conclusion notice, and
the helpers every DOCX of the papers uses."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any, cast

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from server.core.report import (
    BODIES,
    DECISIONS,
    Report,
)
from server.papers.content import (
    SAT_HEADER,
    STAT_HEADER,
    Minutes,
    StatRow,
    minutes_content,
    share_rows,
)
from server.papers.text import (
    DOCX_FONT,
    Heading,
    attendance_cell,
    clean,
    decision_text,
    label,
    paper_heading,
    vn_date,
)

# --- DOCX ----------------------------------------------------------------------------------------


def new_docx() -> DocxDocument:
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


def write_paragraph(
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


def write_heading(document: DocxDocument, heading: Heading) -> None:
    """The paper's heading as Decree 30/2020 lays it out: two columns without borders, the
    issuer's block left and the national (or the Party's) title right, then the place and date."""
    if not heading.issuer:
        for i, title in enumerate(heading.titles):
            paragraph = write_paragraph(document, center=True)
            run = paragraph.add_run(title)
            run.bold = True
            run.underline = i == len(heading.titles) - 1
            paragraph.paragraph_format.space_after = Pt(0)
        write_paragraph(document, heading.date_line, italic=True, right=True)
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
    write_paragraph(document)


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


def write_table(
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
        write_paragraph(document, sentence)
    for number, section in enumerate(minutes.statistics, start=1):
        document.add_heading(f"{number}. {section.title}", level=2)
        write_table(
            document,
            STAT_HEADER,
            ((row.label, str(row.count), row.share_text) for row in section.rows),
            (10, 3, 3),
        )
    document.add_heading("Mức độ hài lòng (điện thoại và phiếu giấy)", level=2)
    for satisfaction in minutes.satisfaction:
        write_paragraph(document, satisfaction.title, bold=True)
        if not satisfaction.rows:
            write_paragraph(document, "Không có biểu quyết.", italic=True)
            continue
        write_table(
            document,
            SAT_HEADER,
            ((row.subject, *row.cells) for row in satisfaction.rows),
            (4.4, 3.2, 3.2, 3.2, 2),
        )


def write_signatures(
    document: DocxDocument, left: Sequence[str], right: str, right_name: str
) -> None:
    """The closing block: on the left `left` (a title, or "Nơi nhận:" and its lines), on the
    right the signer's title, room to sign, and the name."""
    write_paragraph(document)
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


def docx_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def minutes_docx(report: Report) -> bytes:
    """BIÊN BẢN HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI as a Word document."""
    minutes = minutes_content(report)
    document = new_docx()
    document.core_properties.title = f"Biên bản — {minutes.title}"[:255]
    document.core_properties.language = "vi-VN"
    write_heading(document, minutes.heading)
    document.add_heading("BIÊN BẢN", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    write_paragraph(document, "HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI", bold=True, center=True)
    write_paragraph(document, minutes.title, bold=True, center=True)

    document.add_heading("I. THÔNG TIN CHUNG", level=1)
    for name, value in minutes.facts:
        _field_line(document, name, value)
    write_paragraph(document, "Các điểm cầu:", bold=True)
    write_table(document, minutes.site_header, minutes.sites, (1.4, 6.0, 2.4, 2.2, 2, 2))
    if minutes.delegates:
        write_paragraph(document, "Đại biểu theo giấy mời:", bold=True)
        widths = (1.2, 4.4, 1.8, 1.8, 1.6, 1.8, 2.2, 1.2)
        write_table(document, minutes.delegate_header, minutes.delegates, widths)

    document.add_heading("II. CHƯƠNG TRÌNH HỘI NGHỊ", level=1)
    for i, title in enumerate(minutes.agenda, start=1):
        write_paragraph(document, f"{i}. {title}")
    if not minutes.agenda:
        write_paragraph(document, "Không có chương trình.", italic=True)

    document.add_heading("III. Ý KIẾN PHÁT BIỂU", level=1)
    for turn in minutes.turns:
        # a heading line never stays alone at the foot of a page
        write_paragraph(document, turn.heading, bold=True).paragraph_format.keep_with_next = True
        write_paragraph(document, turn.details, italic=True)
        for i, opinion in enumerate(turn.opinions, start=1):
            write_paragraph(document, f"{i}. {opinion}").paragraph_format.left_indent = Cm(0.75)
    if not minutes.turns:
        write_paragraph(document, "Không có lượt phát biểu.", italic=True)

    document.add_heading("IV. Ý KIẾN, KIẾN NGHỊ VÀ TRẢ LỜI", level=1)
    for question in minutes.questions:
        paragraph = _new_paragraph(document)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run(f"{question.heading}. ").bold = True
        paragraph.add_run(question.text)
        for name, value in question.fields:
            _field_line(document, name, value)
    if not minutes.questions:
        write_paragraph(document, "Không có ý kiến, kiến nghị.", italic=True)

    document.add_heading("V. THỐNG KÊ", level=1)
    _docx_statistics(document, minutes)
    write_signatures(document, ["THƯ KÝ HỘI NGHỊ"], "CHỦ TRÌ HỘI NGHỊ", minutes.chair)
    return docx_bytes(document)


NOTICE_HEADER = ("Câu", "Nội dung ý kiến, kiến nghị", "Hình thức", "Cơ quan thực hiện", "Thời hạn")


def notice_figures(report: Report) -> tuple[StatRow, ...]:
    """The key figures a conclusion notice repeats."""
    s = report.statistics
    total = len(report.questions)
    decided = dict(s.by_decision)
    figures = [
        StatRow("Số điểm cầu", len(report.sites)),
        StatRow("Số người dự", attendance_cell(s.attendance)),
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
    document = new_docx()
    document.core_properties.title = f"Thông báo kết luận — {title}"[:255]
    document.core_properties.language = "vi-VN"
    write_heading(document, paper_heading(info, report.today, "TB"))
    document.add_heading("THÔNG BÁO", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    write_paragraph(
        document,
        "KẾT LUẬN CỦA CHỦ TRÌ HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI",
        bold=True,
        center=True,
    )
    write_paragraph(document, title, bold=True, center=True)
    write_paragraph(document, "(Dự thảo)", italic=True, center=True)
    write_paragraph(
        document,
        f"Ngày {vn_date(info.date)}, tại {len(report.sites)} điểm cầu, {clean(info.chair)} chủ trì"
        f" {title} (cấp {label('level', info.level).lower()}). Chủ trì hội nghị kết luận như sau:",
    )

    document.add_heading("I. KẾT QUẢ HỘI NGHỊ", level=1)
    write_table(
        document,
        STAT_HEADER,
        ((row.label, str(row.count), row.share_text) for row in notice_figures(report)),
        (10, 3, 3),
    )

    document.add_heading("II. CÁC NỘI DUNG HẸN TRẢ LỜI SAU HỘI NGHỊ", level=1)
    promised = [q for q in report.questions if q.decision in ("written", "forwarded")]
    if not promised:
        write_paragraph(document, "Không có nội dung hẹn trả lời sau hội nghị.", italic=True)
    for number, body in enumerate((b for b in BODIES if any(q.body == b for q in promised)), 1):
        document.add_heading(f"{number}. {label('body', body)}", level=2)
        write_table(
            document,
            NOTICE_HEADER,
            (
                (
                    str(q.number),
                    clean(q.text),
                    decision_text(q),
                    clean(q.agency),
                    vn_date(q.deadline),
                )
                for q in promised
                if q.body == body
            ),
            (1.2, 6.0, 3.3, 3, 2.5),
        )

    document.add_heading("III. TỔ CHỨC THỰC HIỆN", level=1)
    write_paragraph(
        document,
        "Các cơ quan, đơn vị được giao trả lời bằng văn bản hoặc được chuyển ý kiến có trách"
        " nhiệm trả lời người nêu ý kiến đúng thời hạn nêu trên.",
    )
    write_signatures(
        document,
        ["Nơi nhận:", "- Các cơ quan, đơn vị nêu tại mục II;", "- Lưu."],
        "CHỦ TRÌ HỘI NGHỊ",
        clean(info.chair),
    )
    return docx_bytes(document)
