"""The import in Chromium: the shipped sample as it is, through the mapping step, into the demo
meeting and a new one; the same file a second time is caught."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from server.cli import DEMO_SITES
from tests.pages.conftest import CONSOLE, SHOTS, PageErrors, screenshot
from tests.support.server import ServerProcess, create_meeting
from tests.web.test_intake_pages import NEW_HALL, NEW_SITES, SHIPPED, exported, site_ids

pytestmark = pytest.mark.browser


def intake_page(browser: Browser, errors: PageErrors, meeting: dict[str, Any]) -> Page:
    page = errors.watch(browser.new_page(viewport=CONSOLE))  # type: ignore[arg-type]
    page.goto(meeting["links"]["host"] + "/intake")
    return page


def check_file(page: Page) -> None:
    page.set_input_files("#file", str(SHIPPED))
    page.get_by_role("button", name="Kiểm tra tệp").click()


def laptop_shot(page: Page, name: str) -> None:
    """What a laptop shows without scrolling, and the whole page."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-laptop.png")
    screenshot(page, name)


def test_the_shipped_sample_into_the_demo_meeting_then_again(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> None:
    meeting = create_meeting(server, sites=DEMO_SITES, main_hall="Hội trường UBND phường")
    ids = site_ids(meeting)
    page = intake_page(browser, page_errors, meeting)
    check_file(page)

    mapping = page.locator("#site-mapping")
    expect(mapping.locator("tbody tr")).to_have_count(6)
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("#confirm-import")).to_have_count(0)
    expect(page.locator("#matched-sites")).to_contain_text(
        "“Hội trường UBND phường” → Hội trường UBND phường"
    )
    expect(page.get_by_label("Điểm cầu Nhà văn hóa tổ 3")).to_have_value(ids["Tổ dân phố 3"])
    laptop_shot(page, "intake-mapping")
    # a value nobody chose cannot be sent: the browser holds the form back
    page.get_by_role("button", name="Tiếp tục").click()
    assert page.evaluate("() => document.querySelector('#site-mapping').checkValidity()") is False
    expect(mapping).to_be_visible()

    page.get_by_label("Điểm cầu Nhà văn hóa tổ 12").select_option(label="Nhà văn hóa khu phố Đông")
    page.get_by_label("Điểm cầu Trường THCS Thạch Bàn").select_option(
        label="Trường Tiểu học Nguyễn Trãi"
    )
    for left in ("Nhà văn hóa tổ 14", "Nhà văn hóa tổ 6", "Nhà văn hóa tổ 10"):
        page.get_by_label(f"Điểm cầu {left}").select_option(label="Không gán điểm cầu")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.locator("#confirm-import")).to_have_text("Nhập 20 câu hỏi")
    expect(page.locator("#site-summary")).to_contain_text(
        "“Điểm cầu Nhà văn hóa tổ 12” → Nhà văn hóa khu phố Đông"
    )
    rows = page.locator("#preview tbody tr")
    expect(rows).to_have_count(20)
    expect(rows.nth(1)).to_contain_text("Nhà văn hóa khu phố Đông (Điểm cầu Nhà văn hóa tổ 12)")
    expect(rows.nth(6)).to_contain_text("không gán điểm cầu (Điểm cầu Nhà văn hóa tổ 14)")
    laptop_shot(page, "intake-preview")
    page.locator("#confirm-import").click()
    expect(page.locator("#imported")).to_have_text("Đã nhập 20 câu hỏi.")

    # the same file again: told at once, every row marked, the last mapping proposed
    check_file(page)
    expect(page.locator("#file-already")).to_contain_text("Tệp này đã được nhập vào hội nghị")
    expect(page.get_by_label("Điểm cầu Nhà văn hóa tổ 12")).to_have_value(
        ids["Nhà văn hóa khu phố Đông"]
    )
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator("#preview tbody tr.already")).to_have_count(20)
    expect(page.locator("#already-choice input[value=skip]")).to_be_checked()
    laptop_shot(page, "intake-already")
    page.locator("#confirm-import").click()
    expect(page.locator("#problems")).to_contain_text(
        "Mọi ý kiến trong tệp này đã có trong hội nghị; không có gì được nhập."
    )
    assert len(exported(meeting)) == 20
    refused = "the server responded with a status of 409 (Conflict)"  # that answer, as meant
    assert [m for m in page_errors.messages if refused not in m] == []


def test_the_shipped_sample_into_a_new_meeting(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> None:
    meeting = create_meeting(server, sites=NEW_SITES, main_hall=NEW_HALL)
    page = intake_page(browser, page_errors, meeting)
    check_file(page)
    expect(page.locator("#site-mapping tbody tr")).to_have_count(4)  # the rest matched loosely
    expect(page.locator("#site-mapping .tag")).to_have_count(4)  # each one suggested
    expect(page.get_by_label("Hội trường UBND phường")).to_have_value(site_ids(meeting)[NEW_HALL])
    page.get_by_role("button", name="Tiếp tục").click()
    page.locator("#confirm-import").click()
    expect(page.locator("#imported")).to_have_text("Đã nhập 20 câu hỏi.")
    assert {row["Điểm cầu"] for row in exported(meeting)} == set(site_ids(meeting))
    assert page_errors.messages == []
