"""The organiser's pages on a real server: a meeting's organising unit (set at creation or on its
page), drafts archived from the list and restored, and the year's dashboard by scope: every link
keeps the scope, a scope no meeting makes is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.support.client import LiveClient
from tests.support.server import ORGANISER_SECRET, ServerProcess, create_meeting, organiser_headers
from tests.web.test_reports_pages import open_the_meeting, text_of

HTML = {"accept": "text/html"}
FOREIGN = "http://hall-wifi.example:8000"
DAY = "2026-03-10"  # before any day the tests run on: a meeting opened on it is held


@asynccontextmanager
async def organiser(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    """An organiser's browser, signed in; its forms say they come from this site."""
    async with httpx.AsyncClient(
        base_url=server.url, headers={**HTML, "origin": server.url}, timeout=30
    ) as browser:
        signed_in = await browser.post("/organiser/login", data={"secret": ORGANISER_SECRET})
        assert signed_in.status_code == 303
        yield browser


def listed(page: str) -> list[str]:
    """The meetings of the organiser's list, by id."""
    return re.findall(r'<li id="m-([\w-]+)"', page)


def api_row(server: ServerProcess, meeting_id: str) -> dict[str, Any]:
    rows = httpx.get(f"{server.url}/api/meetings", headers=organiser_headers(), timeout=10).json()
    row: dict[str, Any] = next(r for r in rows if r["meeting_id"] == meeting_id)
    return row


async def test_a_draft_is_archived_from_the_list_hidden_everywhere_and_restored(
    server: ServerProcess,
) -> None:
    draft = create_meeting(server, title="Hội nghị nháp phường Đa Kao", date=DAY)
    held = create_meeting(server, title="Hội nghị phường Tân Định", date=DAY)
    await open_the_meeting(server, held["links"]["host"])
    draft_id, held_id = draft["meeting_id"], held["meeting_id"]
    async with organiser(server) as browser:
        home = (await browser.get("/organiser")).text
        assert sorted(listed(home)) == sorted([draft_id, held_id])
        assert f"/organiser/meetings/{draft_id}/archive" in home  # offered for the draft only
        assert f"/organiser/meetings/{held_id}/archive" not in home
        assert 'id="show-archived"' not in home  # nothing archived yet
        dashboard = (await browser.get("/organiser/dashboard", params={"year": 2026})).text
        assert f'id="y-not-held-{draft_id}"' in dashboard

        archived = await browser.post(f"/organiser/meetings/{draft_id}/archive")
        assert (archived.status_code, archived.headers["location"]) == (303, "/organiser")

        home = (await browser.get("/organiser")).text
        assert listed(home) == [held_id]
        assert text_of(home, "show-archived") == "Hội nghị nháp đã lưu trữ (1)"
        shelf = (await browser.get("/organiser", params={"show": "archived"})).text
        assert listed(shelf) == [draft_id]
        assert f"/organiser/meetings/{draft_id}/restore" in shelf
        assert f'href="/organiser/meetings/{draft_id}"' not in shelf  # no way in but restore
        assert (await browser.get("/organiser", params={"show": "bogus"})).status_code == 400
        # its links stop being offered: not on its page, not on a sheet of cards, not to the API
        page = (await browser.get(f"/organiser/meetings/{draft_id}")).text
        assert "đã được lưu trữ" in text_of(page, "archived-note")
        assert 'id="host-link"' not in page
        assert "secretary-link" not in page
        assert (await browser.get(f"/organiser/meetings/{draft_id}/cards")).status_code == 410
        links = await browser.get(
            f"/api/meetings/{draft_id}/links", headers={**organiser_headers(), "accept": "*/*"}
        )
        assert links.status_code == 410
        assert api_row(server, draft_id)["archived"] is True
        # counted nowhere: not even as a meeting not held
        dashboard = (await browser.get("/organiser/dashboard", params={"year": 2026})).text
        assert f"y-not-held-{draft_id}" not in dashboard
        assert f"y-row-{draft_id}" not in dashboard
        assert text_of(dashboard, "y-archived").startswith("1 hội nghị nháp")
        # the host's console, if still open somewhere, changes nothing
        host = await LiveClient.open(server, draft["links"]["host"])
        refused = await host.command({"type": "add_agenda_item", "title": "Thêm mục"})
        await host.close()
        assert (refused["type"], refused["code"]) == ("error", "archived")

        restored = await browser.post(f"/organiser/meetings/{draft_id}/restore")
        assert (restored.status_code, restored.headers["location"]) == (
            303,
            f"/organiser/meetings/{draft_id}",
        )
        assert sorted(listed((await browser.get("/organiser")).text)) == sorted([draft_id, held_id])
        page = (await browser.get(f"/organiser/meetings/{draft_id}")).text
        assert 'id="host-link"' in page
        assert api_row(server, draft_id)["archived"] is False


async def test_a_held_meeting_is_not_archived_and_the_organiser_is_told_why(
    server: ServerProcess,
) -> None:
    held = create_meeting(server, title="Hội nghị phường Tân Định", date=DAY)
    await open_the_meeting(server, held["links"]["host"])
    held_id = held["meeting_id"]
    async with organiser(server) as browser:
        refused = await browser.post(f"/organiser/meetings/{held_id}/archive")
        unknown = await browser.post("/organiser/meetings/no-such-meeting/archive")
        home = (await browser.get("/organiser")).text
    assert refused.status_code == 409
    assert "Hội nghị này đã khai mạc: không thể lưu trữ hội nghị đã tổ chức." in refused.text
    assert listed(home) == [held_id]
    assert api_row(server, held_id)["archived"] is False
    assert unknown.status_code == 404


async def test_archiving_from_another_site_or_without_signing_in_changes_nothing(
    server: ServerProcess,
) -> None:
    draft = create_meeting(server, date=DAY)
    path = f"/organiser/meetings/{draft['meeting_id']}/archive"
    async with organiser(server) as browser:
        foreign = await browser.post(path, headers={"origin": FOREIGN})
    async with httpx.AsyncClient(base_url=server.url, headers=HTML, timeout=10) as stranger:
        anonymous = await stranger.post(path, headers={"origin": server.url})
    assert foreign.status_code == 403
    assert "gửi từ một trang web khác" in foreign.text
    assert anonymous.status_code in (302, 303, 401, 403)
    assert api_row(server, draft["meeting_id"])["archived"] is False


async def test_the_unit_is_chosen_at_creation_changed_on_its_page_and_checked(
    server: ServerProcess,
) -> None:
    async with organiser(server) as browser:
        made = await browser.post(
            "/organiser/meetings",
            data={
                "title": "Hội nghị đối thoại phường Tân Định",
                "date": DAY,
                "level": "ward",
                "chair": "Bí thư Đảng ủy phường",
                "main_hall": "Hội trường UBND phường",
                "sites": "Tổ dân phố 1",
                "unit": "phường Tân Định",
                "superior": "Quận 1",
            },
        )
        assert made.status_code == 303
        meeting_id = made.headers["location"].rsplit("/", 1)[1]
        assert (api_row(server, meeting_id)["unit"], api_row(server, meeting_id)["superior"]) == (
            "phường Tân Định",
            "Quận 1",
        )
        unit_path = f"/organiser/meetings/{meeting_id}/unit"
        bad = await browser.post(unit_path, data={"unit": "", "superior": "Quận 3"})
        same = await browser.post(unit_path, data={"unit": "Quận 1", "superior": "quận 1"})
        long = await browser.post(unit_path, data={"unit": "x" * 600, "superior": ""})
        # nothing changed by any of them
        assert (api_row(server, meeting_id)["unit"], api_row(server, meeting_id)["superior"]) == (
            "phường Tân Định",
            "Quận 1",
        )
        good = await browser.post(unit_path, data={"unit": "phường Đa Kao", "superior": "Quận 1"})
        page = (await browser.get(f"/organiser/meetings/{meeting_id}")).text
    assert bad.status_code == 400
    assert "Đã ghi đơn vị cấp trên thì phải ghi cả đơn vị tổ chức." in text_of(
        bad.text, "unit-error"
    )
    assert 'value="Quận 3"' in bad.text  # what was typed, shown again
    assert same.status_code == 400
    assert "không thể là đơn vị cấp trên của chính nó" in text_of(same.text, "unit-error")
    assert long.status_code == 400
    assert "quá dài" in text_of(long.text, "unit-error")
    assert good.status_code == 303
    assert 'value="phường Đa Kao"' in page
    assert api_row(server, meeting_id)["unit"] == "phường Đa Kao"


async def test_the_scope_is_kept_in_every_link_of_the_dashboard_and_a_bad_one_is_refused(
    server: ServerProcess,
) -> None:
    ward = create_meeting(server, date=DAY, unit="phường Tân Định", superior="Quận 1")
    create_meeting(server, date=DAY)  # no unit recorded
    await open_the_meeting(server, ward["links"]["host"])
    async with organiser(server) as browser:
        every = (await browser.get("/organiser/dashboard", params={"year": 2026})).text
        options = dict(
            re.findall(r'<option value="([\w-]+)"(?: selected)?>\s*([^<]+?)\s*</option>', every)
        )
        by_name = {name.rsplit(" (", 1)[0]: key for key, name in options.items()}
        assert list(by_name) == [
            "Tất cả hội nghị",
            "Quận 1 và các phường",
            "phường Tân Định (Quận 1)",
            "chưa ghi nhận đơn vị",
        ]
        assert options[by_name["chưa ghi nhận đơn vị"]] == "chưa ghi nhận đơn vị (đã tổ chức 0)"
        key = by_name["Quận 1 và các phường"]
        period = {"year": 2026, "from": "2026-03-01", "to": "2026-03-31", "scope": key}
        scoped = (await browser.get("/organiser/dashboard", params=period)).text
        # the form sends its date fields empty when none was chosen: the whole year
        unfiltered = await browser.get(
            "/organiser/dashboard", params={"year": 2026, "from": "", "to": "", "scope": key}
        )
        bad_day = await browser.get("/organiser/dashboard", params={"to": "2026-02-30"})
        unknown = await browser.get("/organiser/dashboard", params={"scope": "over-0000000000"})
        too_long = await browser.get("/organiser/dashboard", params={"scope": "x" * 65})
        export = await browser.get("/organiser/dashboard/export/year.xlsx", params={"scope": "x"})
        drilled = await browser.get(
            "/organiser/dashboard/opinions", params={**period, "figure": "opinions"}
        )
    assert text_of(scoped, "y-scope") == "Quận 1 và các phường"
    assert unfiltered.status_code == 200
    assert text_of(unfiltered.text, "y-meetings") == "1"
    assert bad_day.status_code == 400
    assert "Đến ngày: 2026-02-30 không phải là một ngày có thật." in bad_day.text
    assert f'<option value="{key}" selected>' in scoped
    hrefs = re.findall(r'href="(/organiser/dashboard[^"]*|\?[^"]*)"', scoped)
    kept = f"from=2026-03-01&amp;to=2026-03-31&amp;scope={key}"
    figure_links = [h for h in hrefs if "figure=" in h]
    assert len(figure_links) >= 15
    assert all(h.endswith(kept) for h in figure_links), figure_links
    downloads = [h for h in hrefs if "/export/" in h]
    assert downloads == [
        f"/organiser/dashboard/export/year.docx?year=2026&amp;{kept}",
        f"/organiser/dashboard/export/year.xlsx?year=2026&amp;{kept}",
    ]
    # another year: the scope, not the period; the whole year: the scope too
    assert f"?year=2025&amp;scope={key}" in hrefs
    assert f"/organiser/dashboard?year=2026&amp;scope={key}" in hrefs
    assert text_of(drilled.text, "back-to-year").endswith("Quận 1 và các phường")
    assert f'href="/organiser/dashboard?year=2026&amp;{kept}"' in drilled.text
    for refused in (unknown, export):
        assert refused.status_code == 400
        assert "hãy chọn một phạm vi trong danh sách" in refused.text
    assert too_long.status_code == 400
