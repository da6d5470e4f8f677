"""The organiser in Chromium: sign in, create a meeting from the form, print every card."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.pages.conftest import PageErrors, screenshot
from tests.support.server import ORGANISER_SECRET, ServerProcess

pytestmark = pytest.mark.browser


def test_organiser_creates_a_meeting_and_prints_its_cards(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> None:
    page = page_errors.watch(browser.new_page(viewport={"width": 1280, "height": 900}))
    page.goto(f"{server.url}/organiser")  # no session: the sign-in page, saying how
    expect(page.locator("h1")).to_have_text("Ban tổ chức đăng nhập")
    expect(page.locator("#sign-in-help")).to_be_visible()
    page.fill("#secret", ORGANISER_SECRET)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#new-h")).to_have_text("Hội nghị mới")

    page.fill("#title", "Hội nghị đối thoại với phụ nữ quận Hoàn Kiếm")
    page.fill("#chair", "Chủ tịch Hội Liên hiệp Phụ nữ quận")
    page.select_option("#level", "district")
    page.fill("#main_hall", "Hội trường Quận ủy")
    page.fill("#sites", "Phường Hàng Bạc\nPhường Hàng Bồ\nPhường Lý Thái Tổ")
    screenshot(page, "organiser-new-meeting")
    page.get_by_role("button", name="Tạo hội nghị").click()

    expect(page.locator("h1")).to_have_text("Hội nghị đối thoại với phụ nữ quận Hoàn Kiếm")
    expect(page.locator(".secretary-link")).to_have_count(4)
    expect(page.locator("img.qr")).to_have_count(4)
    # the codes load (under load an image can take a moment: wait for it, with a deadline)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.qr')].every(i => i.complete && i.naturalWidth > 0)"
    )
    screenshot(page, "organiser-meeting")

    page.get_by_role("link", name="In tất cả thẻ").click()
    expect(page.locator(".join-card")).to_have_count(4)
    expect(page.locator(".join-card h2").nth(3)).to_have_text("Phường Lý Thái Tổ")
    # every card's QR code loads (a sheet of many images: wait for them, not a fixed moment)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.qr-big')].every(i => i.complete && i.naturalWidth > 0)"
    )
    screenshot(page, "organiser-cards")
    assert page_errors.messages == []
