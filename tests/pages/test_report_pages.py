"""The report, follow-up, public answers and year pages in Chromium, after a small meeting."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import SHOTS, PageErrors, screenshot
from tests.support.server import ORGANISER_SECRET, ServerProcess
from tests.web.test_reports_pages import scenario

pytestmark = pytest.mark.browser


def set_the_papers_heading(page: Page) -> None:
    """Refused without a name, kept as typed; saved, printed in capitals."""
    page.locator("#papers summary").click()
    page.locator("#heading-form select[name=kind]").select_option("committee")
    page.locator("#heading-form input[name=place]").fill("Bến Nghé")
    page.locator("#heading-form button[type=submit]").evaluate("(b) => b.form.noValidate = true")
    page.locator("#heading-form button[type=submit]").click()
    expect(page.locator("#heading-error")).to_contain_text("không được để trống")
    expect(page.locator("#heading-form input[name=place]")).to_have_value("Bến Nghé")
    expect(page.locator("#heading-form select[name=kind]")).to_have_value("committee")
    page.locator("#heading-form input[name=issuer]").fill("Ủy ban nhân dân phường Bến Nghé")
    page.locator("#heading-form input[name=superior]").fill("UBND Quận 1")
    page.locator("#heading-form button[type=submit]").click()
    expect(page.locator("#heading-now")).to_have_text("ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ · Bến Nghé")
    page.locator("#papers summary").click()
    page.locator("#papers").screenshot(path=SHOTS / "report-papers-heading.png")


def test_report_followup_answers_and_year_pages(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    ids: dict[str, str] = {}
    # Playwright's sync API holds this thread's event loop: the socket client runs in its own.
    worker = threading.Thread(target=lambda: ids.update(asyncio.run(scenario(server, meeting))))
    worker.start()
    worker.join(timeout=60)
    assert ids, "the scenario did not finish"

    page = page_errors.watch(browser.new_page(viewport={"width": 1366, "height": 900}))
    page.goto(meeting["links"]["host"] + "/report")
    expect(page.locator("#stat-before")).to_have_text("2")
    expect(page.locator("#stat-opinions")).to_have_text("2")
    screenshot(page, "report")

    set_the_papers_heading(page)

    page.goto(meeting["links"]["host"] + "/followup")
    overdue = page.locator(f"#q-{ids['written']}")
    expect(overdue).to_have_attribute("data-follow-up", "overdue")
    overdue.locator("textarea").fill("Đã khơi thông cống thoát nước tổ 5, hoàn thành ngày 20/11.")
    overdue.get_by_role("button", name="Ghi nhận văn bản trả lời").click()
    expect(page.locator(f"#q-{ids['written']}")).to_have_attribute("data-follow-up", "answered")
    screenshot(page, "followup")

    phone = page_errors.watch(browser.new_page(viewport={"width": 360, "height": 740}))
    phone.goto(f"{server.url}/m/{meeting['meeting_id']}/answers")
    expect(phone.locator("#public-answers")).to_contain_text("Đã khơi thông cống thoát nước tổ 5")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "public-answers")

    page.goto(f"{server.url}/organiser/login?key={ORGANISER_SECRET}")
    page.goto(f"{server.url}/organiser/dashboard?year=2026")
    expect(page.locator("#y-meetings")).to_have_text("1")
    expect(page.locator("#y-late")).to_have_text("1")  # answered on 20/11, after its 10/01 deadline
    page.locator("#period-from").fill("2026-11-01")
    page.locator("#period-to").fill("2026-11-30")
    page.locator("#period-form button[type=submit]").click()
    expect(page.locator("#y-period")).to_have_text("(từ 01/11/2026 đến 30/11/2026)")
    expect(page.locator("#y-meetings")).to_have_text("1")
    screenshot(page, "year-dashboard")
    page.locator("#y-government").click()  # every figure opens its opinions
    expect(page.locator("#figure-count")).to_have_text("2")
    expect(page.locator("#figure-opinions tbody tr")).to_have_count(2)
    screenshot(page, "year-figure-opinions")
    # the one refused heading form is answered 400, as it should be: nothing else went wrong
    refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert page_errors.messages == [refused]
