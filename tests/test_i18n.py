"""Every text has its Vietnamese; catalogs compile; parameters are translated too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from server.config import ROOT
from server.i18n import LOCALE_DIR, pick_language, translate


def test_every_message_in_the_code_has_a_vietnamese_translation(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(str(m) for m in wanted if not translated.get(m))
    assert missing == [], f"add Vietnamese for: {missing}"
    assert len(wanted) > 50


def test_messages_and_their_parameters_are_translated() -> None:
    assert (
        translate("vi", "{field} must not be empty.", {"field": "Title"})
        == "Tên hội nghị không được để trống."
    )
    assert (
        translate("en", "{field} must not be empty.", {"field": "Title"})
        == "Title must not be empty."
    )
    assert translate("vi", "At most {limit} sites.", {"limit": 1000}) == "Tối đa 1000 điểm cầu."


def test_language_choice_falls_back_to_vietnamese() -> None:
    assert pick_language(None, "fr", "en") == "en"
    assert pick_language(None, "xx") == "vi"
