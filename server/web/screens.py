"""Every kind of live screen in one table: who may open it, whether it is drawn per site or per
phone, the view builder and template that draw it, and the page around it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from server.core.commands import Role
from server.core.state import MeetingState
from server.core.views import (
    SecretaryView,
    SitePresence,
    delegate_view,
    display_view,
    door_view,
    host_view,
    questions_view,
)
from server.web.policy import DOOR_CSP
from server.web.render import Renderer, Sections


@dataclass(frozen=True)
class Drawing:
    """What drawing one view needs: the meeting's state, for the host the sites' presence, for
    a secretary every site's console (built in one pass, once for all sites of a change)."""

    renderer: Renderer
    lang: str
    state: MeetingState
    site_id: str
    device_id: str | None
    presence: Callable[[], Mapping[str, SitePresence]]
    consoles: Callable[[], Mapping[str, SecretaryView]]

    def render(self, template: str, **context: Any) -> str:
        return self.renderer.render(self.lang, template, **context)


@dataclass(frozen=True)
class Screen:
    kind: str
    opened_by: frozenset[Role]  # whose key opens it (a page asks with ?view= where one has two)
    default_for: frozenset[Role]  # whose screen it is when no other is asked for
    page: str  # the page template around the live part
    draw: Callable[[Drawing], str]
    # Drawn as sections: the view's HTML already as the inside of a JSON string (see `Drawn`).
    draw_encoded: Callable[[Drawing], bytes] | None = None
    per_site: bool = False  # each site has its own view (else one render serves every site)
    per_asking_phone: bool = False  # a phone that asked to speak has its own view
    shows_join: bool = False  # the page shows its site's join QR and code
    csp: str | None = None  # a page that needs more than the default policy


SECRETARY_SECTIONS: Sections = (
    ("live/secretary/attendance_due.html", ("attendance_due", "site")),
    ("live/secretary/now.html", ("current", "speaker")),
    ("live/secretary/register.html", ("site", "fields")),
    ("live/secretary/requests.html", ("pending", "site_queue", "queue_length")),
    ("live/secretary/turns.html", ("turns", "fields")),
    ("live/secretary/questions.html", ("questions", "fields")),
    ("live/secretary/paper.html", ("site", "paper")),
    ("live/secretary/checkin.html", ("site",)),
)


PAST_BALLOTS = (("live/_past_ballots.html", ("ballots", "ballot_on_screen")),)
# The host's 600-row sites table, kept while no site row or total moves: a host command redraws
# the console around it, not the table.
HOST_SITES: Sections = (
    (
        "live/host/sites.html",
        (
            "sites",
            "sites_ready",
            "sites_online",
            "attendance",
            "turns_total",
            "opinions_total",
            "attendance_missing",
            "under_way",
        ),
    ),
)


def _draw_host(d: Drawing) -> str:
    """The host's console, with what every display shows now as its preview (the same template
    and view, without the display's ids: the console has its own elements of those names)."""
    preview = d.render("live/display.html", view=display_view(d.state))
    view = host_view(d.state, d.presence())
    past = d.renderer.render_sections(d.lang, PAST_BALLOTS, view)
    sites = d.renderer.render_sections(d.lang, HOST_SITES, view)
    return d.render(
        "live/host.html",
        view=view,
        preview=Markup(without_ids(preview)),  # noqa: S704 - rendered just now, autoescaped
        past_ballots=Markup(past),  # noqa: S704 - rendered just now, autoescaped
        sites_card=Markup(sites),  # noqa: S704 - rendered just now, autoescaped
    )


def _console(d: Drawing) -> SecretaryView:
    console = d.consoles().get(d.site_id)
    if console is None:
        raise LookupError(d.site_id)
    return console


def _draw_secretary(d: Drawing) -> str:
    return d.renderer.render_sections(d.lang, SECRETARY_SECTIONS, _console(d))


def _draw_secretary_encoded(d: Drawing) -> bytes:
    return d.renderer.encoded_sections(d.lang, SECRETARY_SECTIONS, _console(d))


def _draw_questions(d: Drawing) -> str:
    """The desk, its list drawn a row at a time: a change redraws the rows it changed, not 500."""
    view = questions_view(d.state)
    shown = view.on_screen.question.question_id if view.on_screen else None
    rows = "".join(
        d.renderer.render_section(
            d.lang,
            "live/questions/row.html",
            row=row,
            index=index,
            on_screen=row.question.question_id == shown,
            fields=view.fields,
            info=view.info,
        )
        for index, row in enumerate(view.questions, 1)
    )
    return d.render(
        "live/questions.html",
        view=view,
        question_rows=Markup(rows),  # noqa: S704 - rendered just now, autoescaped
    )


def _drawn(template: str, build: Callable[[Drawing], object]) -> Callable[[Drawing], str]:
    return lambda d: d.render(template, view=build(d))


_ID_ATTRIBUTE = re.compile(r' id="[^"]*"')


def without_ids(html: str) -> str:
    return _ID_ATTRIBUTE.sub("", html)


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


SCREENS: dict[str, Screen] = {
    screen.kind: screen
    for screen in (
        Screen("host", _roles("host"), _roles("host"), "host.html", _draw_host),
        Screen(
            "questions",
            _roles("host", "desk"),
            _roles("desk"),
            "questions.html",
            _draw_questions,
        ),
        Screen(
            "secretary",
            _roles("secretary"),
            _roles("secretary"),
            "secretary.html",
            _draw_secretary,
            draw_encoded=_draw_secretary_encoded,
            per_site=True,
        ),
        Screen(
            "door",
            _roles("secretary"),
            _roles(),
            "door.html",
            _drawn("live/door.html", lambda d: door_view(d.state, d.site_id)),
            per_site=True,
            csp=DOOR_CSP,  # the QR decoder is WebAssembly: this page alone may compile it
        ),
        Screen(
            "display",
            _roles("display"),
            _roles("display"),
            "display.html",
            _drawn("live/display.html", lambda d: display_view(d.state)),
            shows_join=True,
        ),
        Screen(  # the video mixer's overlay draws the displays' view its own way
            "overlay",
            _roles("overlay"),
            _roles("overlay"),
            "overlay.html",
            _drawn("live/overlay.html", lambda d: display_view(d.state)),
        ),
        Screen(
            "delegate",
            _roles("delegate"),
            _roles("delegate"),
            "phone.html",
            _drawn("live/delegate.html", lambda d: delegate_view(d.state, d.device_id)),
            per_asking_phone=True,
        ),
    )
}


def screen_for(role: Role, asked: str | None) -> Screen:
    """The screen a key of `role` opens: the one asked for if the role may open it, else its own.
    The organiser has none (their pages are not live)."""
    wanted = SCREENS.get(asked or "")
    if wanted is not None and role in wanted.opened_by:
        return wanted
    for screen in SCREENS.values():
        if role in screen.default_for:
            return screen
    raise ValueError(f"{role} has no live screen")
