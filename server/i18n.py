"""Babel catalogs, compiled in memory at start: Vietnamese first, English beside it."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def pick_language(*candidates: str | None) -> str:
    return next((c for c in candidates if c in LANGUAGES), DEFAULT_LANGUAGE)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translate(lang: str, message: str, params: dict[str, str | int] | None = None) -> str:
    """Translates a message and its word-like parameters (field names are msgids too)."""
    catalog = translations(lang)
    text = catalog.gettext(message)
    if not params:
        return text
    words = {k: catalog.gettext(v) if isinstance(v, str) else v for k, v in params.items()}
    problem = words.get(NESTED)
    if isinstance(problem, str):
        # An import's message carries a row's own message, whose placeholders are in `params`
        # too. Only this key is filled twice: user text never goes through format().
        words[NESTED] = problem.format_map(_Missing(params))
    return text.format(**words)


NESTED = "problem"


class _Missing(dict[str, str | int]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
