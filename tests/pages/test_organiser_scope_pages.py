"""The organiser in Chromium: a meeting's unit on its page, a draft archived from the list and
seen among the archived, and the year's dashboard narrowed to a district over its wards."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.pages.conftest import PageErrors, screenshot
from tests.support.driver import Driver
from tests.support.server import ORGANISER_SECRET, ServerProcess, create_meeting
from tests.web.test_reports_pages import open_the_meeting, scenario

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}


def test_units_archived_drafts_and_the_dashboard_by_scope(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    driver: Driver,
    page_errors: PageErrors,
) -> None:
    driver.run(scenario(server, meeting))  # held on 22/11/2026, no unit recorded yet
    da_kao = create_meeting(
        server,
        title="Hội nghị đối thoại với Nhân dân phường Đa Kao",
        date="2026-10-15",
        unit="phường Đa Kao",
        superior="Quận 1",
    )
    older = create_meeting(
        server, title="Hội nghị đối thoại với hộ kinh doanh chợ Tân Định", date="2026-06-10"
    )
    draft = create_meeting(
        server,
        title="Hội nghị đối thoại với thanh niên phường Tân Định (dự kiến)",
        date="2026-12-15",
        unit="phường Tân Định",
        superior="Quận 1",
    )
    for held in (da_kao, older):
        driver.run(open_the_meeting(server, held["links"]["host"]))

    page = page_errors.watch(browser.new_page(viewport=WIDE))  # type: ignore[arg-type]
    page.goto(f"{server.url}/organiser/login?key={ORGANISER_SECRET}")
    page.goto(f"{server.url}/organiser/meetings/{meeting['meeting_id']}")
    page.fill("#unit-name", "phường Tân Định")
    page.fill("#unit-superior", "Quận 1")
    page.locator("#unit-form button[type=submit]").click()
    expect(page.locator("#unit-name")).to_have_value("phường Tân Định")

    page.goto(f"{server.url}/organiser")
    row = page.locator(f"#m-{draft['meeting_id']}")
    expect(row.locator(".tag")).to_have_text("Bản nháp")
    expect(page.locator(f"#m-{meeting['meeting_id']} button")).to_have_count(0)  # held: no archive
    row.get_by_role("button", name="Lưu trữ bản nháp này").click()
    expect(page.locator(f"#m-{draft['meeting_id']}")).to_have_count(0)
    expect(page.locator("#show-archived")).to_have_text("Hội nghị nháp đã lưu trữ (1)")
    screenshot(page, "organiser-list-after-archiving")
    page.locator("#show-archived").click()
    expect(page.locator("#list-h")).to_contain_text("Hội nghị nháp đã lưu trữ")
    archived = page.locator(f"#m-{draft['meeting_id']}")
    expect(archived).to_contain_text("Đã lưu trữ")
    expect(archived.get_by_role("button", name="Khôi phục")).to_be_visible()
    screenshot(page, "organiser-archived")

    page.goto(f"{server.url}/organiser/dashboard?year=2026")
    expect(page.locator("#y-meetings")).to_have_text("3")
    page.locator("#scope").select_option(label="Quận 1 và các phường (đã tổ chức 2)")
    page.locator("#period-form button[type=submit]").click()
    expect(page.locator("#y-scope")).to_have_text("Quận 1 và các phường")
    expect(page.locator("#y-meetings")).to_have_text("2")
    expect(page.locator("#y-rows tbody tr")).to_have_count(2)
    expect(page.locator("#y-not-held")).to_have_count(0)  # the draft is archived: nowhere
    assert "scope=over-" in (page.locator("#export-docx").get_attribute("href") or "")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDE["width"]
    screenshot(page, "year-dashboard-scope")
    opinions = page.locator("#y-opinions").inner_text()
    page.locator("#y-opinions").click()
    expect(page.locator("#figure-count")).to_have_text(opinions)
    expect(page.locator("#back-to-year")).to_contain_text("Quận 1 và các phường")
    page.locator("#back-to-year").click()
    expect(page.locator("#y-scope")).to_have_text("Quận 1 và các phường")

    page.locator("#scope").select_option(label="chưa ghi nhận đơn vị (đã tổ chức 1)")
    page.locator("#period-form button[type=submit]").click()
    expect(page.locator("#y-meetings")).to_have_text("1")
    expect(page.locator("#y-rows tbody td.unit")).to_have_text("chưa ghi nhận đơn vị")
    assert page_errors.messages == []
