"""The delegate list as the doors found it, for the organiser's office (phone numbers kept)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook  # type: ignore[import-untyped]

from server.core.state import Delegate
from server.papers.sheets import new_sheet

# --- the delegate list ---------------------------------------------------------------------------

DELEGATE_LIST_COLUMNS = (
    ("STT", 6),
    ("Họ và tên", 28),
    ("Giới tính", 10),
    ("Năm sinh", 10),
    ("Tổ dân phố", 20),
    ("Chức vụ / Thành phần", 24),
    ("Điểm cầu", 28),
    ("Số điện thoại", 16),
    ("Điểm danh", 14),
    ("Cách điểm danh", 16),
    ("Lý do vắng", 24),
)
GENDERS = {"male": "Nam", "female": "Nữ"}
ATTENDED = {"invited": "Chưa đến", "present": "Có mặt", "absent": "Vắng"}
CHECKED_BY = {"code": "Mã QR giấy mời", "name": "Tìm theo tên"}


def delegates_xlsx(delegates: Sequence[Delegate], site_names: dict[str, str]) -> bytes:
    """The list as invited and as the doors found it, phone numbers included: for the
    organiser's office only (the route checks the host's key)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    new_sheet(
        workbook,
        "Đại biểu",
        [name for name, _ in DELEGATE_LIST_COLUMNS],
        (
            (
                number,
                d.record.name,
                GENDERS.get(d.record.gender, ""),
                d.record.birth_year,
                d.record.group,
                d.record.position,
                site_names.get(d.record.site_id, ""),
                d.record.phone,
                ATTENDED[d.status],
                CHECKED_BY.get(d.how, ""),
                d.reason,
            )
            for number, d in enumerate(delegates, start=1)
        ),
        [width for _, width in DELEGATE_LIST_COLUMNS],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
