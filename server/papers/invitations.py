"""Invitations (GIẤY MỜI): one A5 page per delegate with their own QR code, as PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import segno
import typst

from server.core.state import MeetingInfo
from server.papers.pdf import printable
from server.papers.text import FONTS, TEMPLATES, clean, paper_heading, vn_date

# --- invitations ---------------------------------------------------------------------------------

HONORIFICS = {"male": "Ông", "female": "Bà"}


@dataclass(frozen=True)
class Invitation:
    """One delegate's invitation: who, from which group, at which site, and the link their QR
    code holds (their check-in at the door and, where the meeting votes so, their ballot)."""

    name: str
    gender: str
    group: str
    site: str
    link: str


def _qr_svg(link: str) -> str:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", border=2, xmldecl=False, omitsize=True)
    return out.getvalue().decode()


def invitations_pdf(info: MeetingInfo, invitations: Sequence[Invitation], today: str) -> bytes:
    """GIẤY MỜI, one A5 page per delegate (Decree 30/2020 lets invitations be A5), in the heading
    the meeting's papers carry, each with the delegate's own QR code."""
    heading = paper_heading(info, today, "GM")
    cards = [
        {
            "honorific": HONORIFICS.get(i.gender, "Ông/Bà"),
            "name": clean(i.name),
            "group": clean(i.group),
            "site": clean(i.site),
            "qr": _qr_svg(i.link),
        }
        for i in invitations
    ]
    data = {
        "heading": msgspec.to_builtins(heading),
        "title": clean(info.title),
        "date": vn_date(info.date),
        "issuer": "Ban Tổ chức hội nghị",
        "signer": f"TM. {heading.issuer}" if heading.issuer else "BAN TỔ CHỨC",
        "chair": clean(info.chair),
        "cards": cards,
    }
    pdf: bytes = typst.compile(
        TEMPLATES / "invitations.typ",
        root=TEMPLATES,
        font_paths=[FONTS],
        ignore_system_fonts=True,
        sys_inputs={"invitations": msgspec.json.encode(printable(data)).decode()},
    )
    return pdf
