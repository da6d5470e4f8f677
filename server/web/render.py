"""Jinja, one environment per language (autoescape on, i18n extension installed)."""

from __future__ import annotations

import functools
import io
from datetime import date
from typing import Any, NamedTuple

import jinja2
import msgspec
import segno
from markupsafe import Markup

from server.config import ROOT
from server.core.labels import (
    BODY_NAMES,
    CHOICE_NAMES,
    DECISION_NAMES,
    FOLLOW_UP_NAMES,
    LEVEL_NAMES,
    SOURCE_NAMES,
)
from server.i18n import LANGUAGES, translations

# Drawn sections remembered: eight per site's console and a row per question of the desk, for
# a meeting of 600 sites and 5,000 questions (each kept as its HTML and its encoded bytes).
SECTIONS_KEPT = 16384
# (template, the view fields it shows) for each section of a view, in page order.
Sections = tuple[tuple[str, tuple[str, ...]], ...]


class Drawn(NamedTuple):
    """A section drawn: its HTML, and the same as the inside of a JSON string. Escaping JSON is
    character by character, so sections encoded once join into the encoded whole: 600 consoles'
    messages are put together from pieces, not encoded 600 times."""

    html: str
    json: bytes


def json_inside(text: str) -> bytes:
    """`text` as it sits between the quotes of a JSON string, in UTF-8."""
    return msgspec.json.encode(text)[1:-1]


def _mmss(seconds: float | None) -> str:
    """180 -> 3:00; the countdown's text before the browser takes over."""
    whole = max(0, round(seconds or 0))
    return f"{whole // 60}:{whole % 60:02d}"


def _vn_date(value: str) -> str:
    """2026-11-22 -> 22/11/2026, the way dates are written on Vietnamese papers."""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def qr_svg(url: str) -> bytes:
    """A link as a QR code (SVG, scalable for print and projector), drawn here: nothing online."""
    out = io.BytesIO()
    # no width or height, a viewBox: the code scales to whatever box a page gives it, whole
    segno.make(url, error="m").save(
        out, kind="svg", border=2, xmldecl=False, svgns=True, svgclass="qr-code", omitsize=True
    )
    return out.getvalue()


def _qr(url: str) -> Markup:
    """The `qr` filter: a link's QR code inline in a page, e.g. every link on the cards sheet."""
    return Markup(qr_svg(url).decode())  # noqa: S704 - segno's own SVG; the URL is only data in it


class Renderer:
    def __init__(self) -> None:
        self._envs = {lang: self._environment(lang) for lang in LANGUAGES}
        self._section = functools.lru_cache(maxsize=SECTIONS_KEPT)(self._render_section)

    @staticmethod
    def _environment(lang: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(ROOT / "templates"),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
        env.filters["vn_date"] = _vn_date
        env.filters["mmss"] = _mmss
        env.filters["qr"] = _qr
        env.globals["body_names"] = BODY_NAMES
        env.globals["decision_names"] = DECISION_NAMES
        env.globals["source_names"] = SOURCE_NAMES
        env.globals["choice_names"] = CHOICE_NAMES
        env.globals["follow_up_names"] = FOLLOW_UP_NAMES
        env.globals["lang"] = lang
        env.globals["level_names"] = LEVEL_NAMES
        return env

    def render(self, lang: str, template: str, **context: Any) -> str:
        return self._envs[lang].get_template(template).render(**context)

    def render_sections(self, lang: str, sections: Sections, view: object) -> str:
        """A view drawn as sections, each from only the fields it names and drawn again only when
        they change: a host command redraws one section for 600 secretaries' consoles, not 600
        whole consoles. A section touching a field it did not name fails (strict undefined)."""
        return "".join(drawn.html for drawn in self._sections(lang, sections, view))

    def render_section(self, lang: str, template: str, **fields: Any) -> str:
        """One section from these fields, kept until they change: a row of a long list that
        is drawn again only when it moves (the desk's questions)."""
        return self._section(lang, template, tuple(fields.items())).html

    def encoded_sections(self, lang: str, sections: Sections, view: object) -> bytes:
        """The same, as the inside of a JSON string (see `Drawn`)."""
        return b"".join(drawn.json for drawn in self._sections(lang, sections, view))

    def _sections(self, lang: str, sections: Sections, view: object) -> list[Drawn]:
        return [
            self._section(lang, template, tuple([(name, getattr(view, name)) for name in fields]))
            for template, fields in sections
        ]

    def _render_section(
        self, lang: str, template: str, fields: tuple[tuple[str, Any], ...]
    ) -> Drawn:
        html = self.render(lang, template, view=dict(fields))
        return Drawn(html, json_inside(html))
