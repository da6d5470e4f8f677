"""The screens' table: what each live screen is, checked against the code's one table, and which
screen a key opens."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from server.core.apply import replay
from server.core.commands import Role
from server.core.events import MeetingCreated, SiteInfo
from server.core.state import Question
from server.web.render import Renderer
from server.web.screens import SCREENS, Drawing, Screen, screen_for

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| `([\w.]+)` \|$", re.MULTILINE)


def drawn(screen: Screen) -> str:
    if screen.per_site:
        return "per site"
    if screen.per_asking_phone:
        return "once for the meeting; per phone while it asks to speak"
    return "once for the meeting"


def test_docs_architecture_lists_the_screens_as_the_table_has_them() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = {
        kind: (frozenset(who.strip() for who in roles.split(",")), how.strip(), page)
        for kind, roles, how, page in ROW.findall(text)
    }
    order = ("host", "desk", "secretary", "display", "overlay", "delegate")
    assert documented == {
        s.kind: (frozenset(r for r in order if r in s.opened_by), drawn(s), s.page)
        for s in SCREENS.values()
    }


@pytest.mark.parametrize("screen", list(SCREENS.values()), ids=list(SCREENS))
def test_every_screen_has_its_page_and_a_role_that_opens_it(screen: Screen) -> None:
    assert (ROOT / "templates" / screen.page).is_file()
    assert screen.default_for <= screen.opened_by
    assert screen.opened_by


@pytest.mark.parametrize(
    ("role", "asked", "opened"),
    [
        ("host", None, "host"),
        ("host", "questions", "questions"),
        ("host", "door", "host"),  # the host's key does not open a site's door
        ("desk", None, "questions"),
        ("desk", "host", "questions"),  # the desk's key opens only the questions
        ("secretary", None, "secretary"),
        ("secretary", "door", "door"),
        ("secretary", "questions", "secretary"),
        ("display", "host", "display"),
        ("overlay", None, "overlay"),
        ("delegate", "secretary", "delegate"),
    ],
)
def test_a_key_opens_its_own_screen_or_one_its_role_may_open(
    role: Role, asked: str | None, opened: str
) -> None:
    assert screen_for(role, asked).kind == opened


def test_the_organiser_has_no_live_screen() -> None:
    with pytest.raises(ValueError, match="no live screen"):
        screen_for("organiser", "host")


def test_each_role_has_one_screen_of_its_own() -> None:
    for role in ("host", "desk", "secretary", "display", "overlay", "delegate"):
        assert sum(role in s.default_for for s in SCREENS.values()) == 1, role


def test_the_desk_holds_the_sites_once_not_in_every_questions_form() -> None:
    """With 40 sites and 30 questions each question's form names its own site only; the page
    fills the others from one list (600 sites in 100 questions were 3 MB a redraw)."""
    sites = [SiteInfo("hall", "Hội trường", is_main_hall=True)]
    sites += [SiteInfo(f"s{i}", f"Tổ dân phố số {i}") for i in range(1, 40)]
    created = MeetingCreated(
        "m", "Hội nghị", "2026-12-07", "ward", "Chủ tọa", tuple(sites), (), 1_700_000_000.0
    )
    asked = Question("q", "", (), "s1", "", "committee", "ward", "intake", "", 1_700_000_000.0)
    state = msgspec.structs.replace(
        replay([created]),
        questions=tuple(
            msgspec.structs.replace(asked, question_id=f"q{i}", text=f"Ý kiến {i}")
            for i in range(30)
        ),
    )
    drawing = Drawing(Renderer(), "vi", state, "", None, dict, dict)
    html = SCREENS["questions"].draw(drawing)
    assert html.count(">Tổ dân phố số 1<") == 2 + 30  # the filter, the list, each question's own
    for site in sites[2:]:
        assert html.count(f'value="{site.site_id}"') == 2, site  # the filter and the list
