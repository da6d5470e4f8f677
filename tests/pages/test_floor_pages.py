"""The floor in Chromium, three pages at once: phone asks, site secretary confirms, host calls."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import PageErrors, count_views, screenshot, views_landed
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
# The countdown is shown in whole seconds, rounded, and ticks every 250 ms (live.js): one second
# off it takes at most 1.25 s; the rest of the deadline is for a busy machine.
COUNTDOWN_DEADLINE_MS = 5000
COUNTED_DOWN = r"""(first) => {
  const shown = /(\d+):(\d\d)/.exec(document.querySelector('#countdown .countdown').textContent);
  return shown !== null && Number(shown[1]) * 60 + Number(shown[2]) < first;
}"""


def open_page(browser: Browser, errors: PageErrors, url: str, width: int, height: int) -> Page:
    page = errors.watch(browser.new_page(viewport={"width": width, "height": height}))
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page


def countdown_seconds(text: str) -> int:
    match = re.search(r"(\d+):(\d\d)", text)
    assert match is not None, text
    return int(match.group(1)) * 60 + int(match.group(2))


def test_phone_asks_secretary_confirms_host_calls_display_counts_down(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = meeting["links"]["sites"][1]
    phone = open_page(browser, page_errors, site["join"], 360, 740)
    secretary = open_page(browser, page_errors, site["secretary"], 1366, 900)
    host = open_page(browser, page_errors, meeting["links"]["host"], 1366, 900)
    display = open_page(browser, page_errors, site["display"], 1280, 720)

    phone.fill("#ask-name", "Nguyễn Thị Hồng Nhung")
    phone.fill("#ask-group", "Tổ dân phố 1")
    phone.fill("#ask-topic", "Đèn đường hẻm 12 hỏng đã lâu")
    phone.get_by_role("button", name="Đăng ký phát biểu").click()
    expect(phone.locator("#my-request")).to_have_attribute("data-status", "pending")
    screenshot(phone, "phone-pending")

    pending = secretary.locator("#pending li", has_text="Nguyễn Thị Hồng Nhung")
    expect(pending).to_be_visible()
    pending.get_by_role("button", name="Xác nhận").click()
    expect(phone.locator("#you-are-next")).to_be_visible()
    expect(host.locator("#queue li").first).to_contain_text("Nguyễn Thị Hồng Nhung")
    expect(display.locator("#next-up")).to_contain_text("Nguyễn Thị Hồng Nhung")

    host.locator("#call-next").click()
    expect(display.locator("#speaker-name")).to_have_text("Nguyễn Thị Hồng Nhung")
    expect(display.locator("#speaker-where")).to_have_text("Tổ dân phố 1 · Tổ dân phố 1")
    expect(phone.locator("#my-request")).to_have_attribute("data-status", "speaking")
    countdown = display.locator("#countdown .countdown")
    count_views(display)
    first = countdown_seconds(countdown.inner_text())
    assert 170 <= first <= 180
    display.wait_for_function(COUNTED_DOWN, arg=first, timeout=COUNTDOWN_DEADLINE_MS)
    later = countdown_seconds(countdown.inner_text())
    assert first - later >= 1
    assert views_landed(display) == 0  # it runs in the browser, from the server's timestamps

    host.get_by_role("button", name="+1 phút").click()
    expect(display.locator("#countdown .countdown")).to_contain_text(re.compile(r"^3:|^4:"))
    host.get_by_role("button", name="Tạm dừng").click()
    expect(display.locator("#countdown .countdown")).to_contain_text("tạm dừng")

    screenshot(display, "display-speaker")
    screenshot(host, "host-floor")
    screenshot(phone, "phone-speaking")
    assert page_errors.messages == []


def test_secretary_registers_speakers_and_records_opinions(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    one, two = meeting["links"]["sites"][1], meeting["links"]["sites"][2]
    first = open_page(browser, page_errors, one["secretary"], 1366, 900)
    second = open_page(browser, page_errors, two["secretary"], 1366, 900)
    host = open_page(browser, page_errors, meeting["links"]["host"], 1366, 900)
    for page, names in ((first, ["Trần Văn An", "Lê Văn Bình"]), (second, ["Phạm Thị Cúc"])):
        for name in names:
            page.fill("#speaker-name", name)
            page.select_option("#speaker-field", "Đất đai, tài nguyên môi trường")
            page.get_by_role("button", name="Thêm vào hàng chờ").click()
            expect(host.locator("#queue")).to_contain_text(name)
    # fair order: one site, then the other, then the first again
    in_queue = host.locator("#queue li .queue-who strong")
    expect(in_queue).to_have_text(["Trần Văn An", "Phạm Thị Cúc", "Lê Văn Bình"])
    # the host drags the last one to the top, then moves the second down with the keyboard buttons
    host.locator("#queue li").nth(2).drag_to(host.locator("#queue li").nth(0))
    expect(in_queue).to_have_text(["Lê Văn Bình", "Trần Văn An", "Phạm Thị Cúc"])
    expect(host.locator(".notice")).to_contain_text("thủ công")
    host.locator("#queue li").nth(1).get_by_role("button", name="Chuyển xuống").click()
    expect(in_queue).to_have_text(["Lê Văn Bình", "Phạm Thị Cúc", "Trần Văn An"])
    host.get_by_role("button", name="Khôi phục thứ tự luân phiên").click()
    expect(in_queue).to_have_text(["Trần Văn An", "Phạm Thị Cúc", "Lê Văn Bình"])

    host.locator("#call-next").click()
    turn = first.locator(".turn", has_text="Trần Văn An")
    expect(turn).to_be_visible()
    turn.locator("textarea").fill("Đề nghị sớm cấp giấy chứng nhận quyền sử dụng đất cho 12 hộ")
    turn.get_by_role("button", name="Lưu ý kiến").click()
    expect(turn.locator(".opinions li")).to_have_count(1)
    turn.locator("textarea").fill("Đường ngập nước khi mưa lớn")
    turn.get_by_role("button", name="Lưu ý kiến").click()
    expect(turn.locator(".opinions li")).to_have_count(2)
    expect(host.locator("#opinions-total")).to_have_text("2")
    expect(host.locator("#turns-total")).to_have_text("1")
    screenshot(first, "secretary-floor")
    assert page_errors.messages == []
