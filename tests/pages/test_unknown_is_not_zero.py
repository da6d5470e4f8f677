"""In Chromium: the secretary is asked for the site's attendance once the meeting is under way
(a prompt, not a wall), the host sees which sites have not entered it, and the report and the
year's figures say "chưa ghi nhận" where nobody entered a count."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from server.cli import DEMO_SITES
from tests.pages.conftest import CONSOLE, PageErrors, open_page, screenshot
from tests.support.driver import Driver
from tests.support.server import ORGANISER_SECRET, ServerProcess, create_meeting
from tests.web.test_reports_pages import scenario, vote_on

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_like(server: ServerProcess) -> dict[str, Any]:
    """A meeting with the demo's sites."""
    return create_meeting(
        server,
        sites=DEMO_SITES,
        title="Hội nghị tiếp xúc, đối thoại giữa lãnh đạo phường với nhân dân",
    )


def test_the_secretary_is_asked_for_attendance_and_the_papers_say_what_is_missing(
    browser: Browser,
    server: ServerProcess,
    demo_like: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    links = demo_like["links"]
    site = links["sites"][1]
    secretary = open_page(browser, page_errors, site["secretary"], CONSOLE)
    host = open_page(browser, page_errors, links["host"], CONSOLE)
    expect(host.locator("#attendance-total")).to_have_text("chưa ghi nhận")
    expect(host.locator("#attendance-missing")).not_to_have_class("notice")  # only a note yet
    assert secretary.locator("#attendance-due").count() == 0  # nothing asked before the meeting

    host.locator("#next-item").click()  # the meeting opens
    prompt = secretary.locator("#attendance-due")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Chưa nhập số người dự")
    expect(prompt).to_contain_text(site["name"])
    expect(host.locator("#attendance-missing")).to_have_class("notice")
    expect(host.locator("#attendance-missing")).to_contain_text(", ".join(DEMO_SITES))
    box = prompt.bounding_box()
    assert box is not None
    assert box["y"] < 400, box  # at the top of the console, where it is seen
    assert box["x"] + box["width"] <= CONSOLE["width"], box
    screenshot(secretary, "secretary-attendance-prompt")
    screenshot(host, "host-attendance-missing")

    # not a wall: the rest of the console works while it is asked
    expect(secretary.locator("#ready-button")).to_be_enabled()
    secretary.get_by_role("link", name="Nhập số người dự").click()
    expect(secretary.locator("#attendance")).to_be_focused()
    secretary.locator("#attendance").fill("37")
    secretary.get_by_role("button", name="Lưu").click()
    expect(secretary.locator("#recorded-attendance")).to_have_text("37")
    expect(prompt).to_have_count(0)
    expect(host.locator("#attendance-total")).to_have_text("37")
    expect(host.locator("#attendance-partial")).to_have_text("(5 điểm cầu chưa ghi nhận)")
    expect(host.locator(f"#site-{site['site_id']} .attendance")).to_have_text("37")
    expect(host.locator(f"#site-{links['sites'][2]['site_id']} .attendance")).to_have_text(
        "chưa ghi nhận"
    )

    ids = driver.run(scenario(server, demo_like))
    driver.run(vote_on(server, demo_like, ids["written"]))
    report = page_errors.watch(browser.new_page(viewport=CONSOLE))  # type: ignore[arg-type]
    report.goto(links["host"] + "/report")
    expect(report.locator("#report-attendance")).to_have_text("37 (5 điểm cầu chưa ghi nhận)")
    assert report.evaluate("() => document.documentElement.scrollWidth") <= CONSOLE["width"]
    screenshot(report, "report-attendance")

    draft = create_meeting(server, title="Hội nghị quý II (bản nháp)", date="2026-06-01")
    report.goto(f"{server.url}/organiser/login?key={ORGANISER_SECRET}")
    report.goto(f"{server.url}/organiser/dashboard?year=2026")
    expect(report.locator("#y-meetings")).to_have_text("1")
    expect(report.locator("#y-attendance")).to_have_text("37 (5 điểm cầu chưa ghi nhận)")
    row = report.locator(f"#y-row-{demo_like['meeting_id']}")
    expect(row.locator(".satisfaction")).to_contain_text("(67% hài lòng)")
    expect(report.locator("#y-satisfaction")).to_contain_text("(67% hài lòng)")
    expect(report.locator(f"#y-not-held-{draft['meeting_id']}")).to_contain_text("chưa khai mạc")
    assert report.evaluate("() => document.documentElement.scrollWidth") <= CONSOLE["width"]
    screenshot(report, "year-dashboard-held")
    assert page_errors.messages == []
