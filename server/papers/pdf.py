"""The minutes as PDF, laid out by Typst in the vendored Be Vietnam Pro."""

from __future__ import annotations

from typing import Any

import msgspec
import typst

from server.core.report import (
    Report,
)
from server.papers.content import SAT_HEADER, STAT_HEADER, Minutes, minutes_content
from server.papers.text import FONTS, MOTTO, NATION, TEMPLATES

# --- PDF -----------------------------------------------------------------------------------------

# Be Vietnam Pro has no full-width forms (U+FF01-FF5E, typed from Chinese or Japanese input
# methods); in the PDF they show as their ASCII twins rather than as empty boxes.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def printable(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_FULL_WIDTH)
    if isinstance(value, list):
        return [printable(item) for item in value]
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    return value


def _pdf_inputs(minutes: Minutes) -> dict[str, str]:
    """What the Typst template reads: the minutes and the fixed labels, as JSON strings. Tables go
    as rows of cell texts, so the template has no numbers to format."""
    data = {
        **msgspec.to_builtins(minutes),
        "statistics": [
            {"title": s.title, "rows": [[r.label, str(r.count), r.share_text] for r in s.rows]}
            for s in minutes.statistics
        ],
        "satisfaction": [
            {"title": s.title, "rows": [[r.subject, *r.cells] for r in s.rows]}
            for s in minutes.satisfaction
        ],
    }
    labels = {
        "nation": NATION,
        "motto": MOTTO,
        "stat_header": STAT_HEADER,
        "sat_header": SAT_HEADER,
    }
    return {
        "minutes": msgspec.json.encode(printable(data)).decode(),
        "labels": msgspec.json.encode(labels).decode(),
    }


def minutes_pdf(report: Report) -> bytes:
    """The minutes as PDF, laid out by Typst in the vendored Be Vietnam Pro: no system library or
    font is needed, and 10,000 questions take seconds (docs/benchmarks.md)."""
    pdf: bytes = typst.compile(
        TEMPLATES / "minutes.typ",
        root=TEMPLATES,
        font_paths=[FONTS],
        ignore_system_fonts=True,
        sys_inputs=_pdf_inputs(minutes_content(report)),
    )
    return pdf
