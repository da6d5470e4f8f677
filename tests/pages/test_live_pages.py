"""Real pages in Chromium against a real server: what the host, the sites and the phones see."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import PageErrors, screenshot
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}


def open_page(browser: Browser, errors: PageErrors, url: str, viewport: dict[str, int]) -> Page:
    page = errors.watch(browser.new_page(viewport=viewport))  # type: ignore[arg-type]
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page


def test_host_moves_to_next_item_and_display_shows_it(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    display = open_page(browser, page_errors, meeting["links"]["sites"][1]["display"], PROJECTOR)
    host = open_page(browser, page_errors, meeting["links"]["host"], LAPTOP)
    expect(display.locator("#display-item")).to_have_text("Hội nghị sắp bắt đầu")

    host.locator("#next-item").click()
    expect(display.locator("#display-item")).to_have_text("Tuyên bố lý do, giới thiệu đại biểu")
    expect(host.locator("#current-item")).to_have_text("Tuyên bố lý do, giới thiệu đại biểu")
    host.locator("#next-item").click()
    expect(display.locator("#display-item")).to_have_text("Phát biểu khai mạc của chủ trì")
    expect(display.locator(".display-label")).to_have_text("Mục 2 trên 7")

    screenshot(display, "display-projector")
    screenshot(host, "host-console")
    assert page_errors.messages == []


def test_secretary_enters_attendance_and_host_sees_it(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = meeting["links"]["sites"][2]
    host = open_page(browser, page_errors, meeting["links"]["host"], LAPTOP)
    secretary = open_page(browser, page_errors, site["secretary"], LAPTOP)
    expect(host.locator("#attendance-total")).to_have_text("chưa ghi nhận")  # not entered is not 0

    secretary.fill("#attendance", "248")
    secretary.get_by_role("button", name="Lưu").click()
    expect(secretary.locator("#recorded-attendance")).to_have_text("248")
    secretary.locator("#ready-button").click()
    expect(secretary.locator("#ready-state")).to_have_text("Điểm cầu đã sẵn sàng.")

    row = host.locator(f"#site-{site['site_id']}")
    expect(row.locator(".attendance")).to_have_text("248")
    expect(row).to_contain_text("Sẵn sàng")
    expect(host.locator("#attendance-total")).to_have_text("248")

    screenshot(secretary, "secretary-console")
    assert page_errors.messages == []


def test_text_from_users_is_shown_as_text(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    host = open_page(browser, page_errors, meeting["links"]["host"], LAPTOP)
    display = open_page(browser, page_errors, meeting["links"]["sites"][0]["display"], PROJECTOR)
    nasty = '<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=1</script>'
    host.fill("#new-item", nasty)
    host.get_by_role("button", name="Thêm").click()
    last = host.locator(".agenda li").last
    expect(last.locator(".agenda-title")).to_have_text(nasty)
    last.get_by_role("button", name="Trình chiếu").click()
    expect(display.locator("#display-item")).to_have_text(nasty)
    assert display.locator("#display-item img").count() == 0
    assert display.evaluate("document.body.dataset.pwned") is None
    assert host.evaluate("document.body.dataset.pwned") is None


def test_a_delegate_joins_by_the_site_link_and_follows_the_meeting(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = meeting["links"]["sites"][1]
    phone = open_page(browser, page_errors, site["join"], PHONE)
    expect(phone.locator(".phone-site")).to_contain_text("Tổ dân phố 1")
    host = open_page(browser, page_errors, meeting["links"]["host"], LAPTOP)
    host.locator("#next-item").click()
    expect(phone.locator("#current-item")).to_have_text("Tuyên bố lý do, giới thiệu đại biểu")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(host.locator(f"#site-{site['site_id']} td").nth(5)).to_have_text("1")  # one phone there
    screenshot(phone, "delegate-phone")
    assert page_errors.messages == []


def test_the_page_says_when_it_is_offline_and_when_it_is_back(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    display = open_page(browser, page_errors, meeting["links"]["sites"][1]["display"], PROJECTOR)
    server.stop()
    expect(display.locator("#conn")).to_be_visible()
    expect(display.locator("#conn")).to_have_text("Mất kết nối. Đang kết nối lại…")
    server.start()
    expect(display.locator("#conn")).to_have_text("Đã kết nối lại.", timeout=20_000)
    expect(display.locator("body")).to_have_attribute("data-online", "true")


def test_language_switch_shows_english(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    host = open_page(browser, page_errors, meeting["links"]["host"], LAPTOP)
    host.get_by_role("link", name="English").click()
    expect(host.locator(".bar-title")).to_contain_text("Host console")
    expect(host.locator("body")).to_have_attribute("data-online", "true")
    expect(host.locator("#next-item")).to_contain_text("Next item")
    host.locator("#next-item").click()
    expect(host.locator("#current-item")).to_have_text("Tuyên bố lý do, giới thiệu đại biểu")
    screenshot(host, "host-console-en")
