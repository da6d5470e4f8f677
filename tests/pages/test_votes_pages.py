"""Votes in Chromium: three phones vote, a secretary enters paper, the display shows the sum."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import SHOTS, PageErrors, screenshot
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser


def open_live(browser: Browser, errors: PageErrors, url: str, width: int, height: int) -> Page:
    page = errors.watch(browser.new_page(viewport={"width": width, "height": height}))
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page


def test_three_phones_and_paper_make_the_result_on_the_display(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    sites = meeting["links"]["sites"]
    host = open_live(browser, page_errors, meeting["links"]["host"], 1366, 900)
    display = open_live(browser, page_errors, sites[0]["display"], 1280, 720)
    secretary = open_live(browser, page_errors, sites[2]["secretary"], 1366, 900)
    phones = [open_live(browser, page_errors, sites[i]["join"], 360, 740) for i in (0, 1, 1)]

    host.locator("#open-ballot-button").click()
    expect(display.locator("#display-ballot")).to_be_visible()
    for phone, choice in zip(phones, ("Hài lòng", "Hài lòng", "Chưa hài lòng"), strict=True):
        expect(phone.locator("#phone-ballot")).to_be_visible()
        expect(phone.locator("#vote-counted")).to_be_hidden()
        phone.get_by_role("button", name=choice, exact=True).click()
        expect(phone.locator("#vote-counted")).to_be_visible()  # only after the server's ack
    screenshot(phones[0], "phone-voted")
    expect(display.locator(".votes-total")).to_have_text("3")

    paper = secretary.locator(".paper-form").first
    paper.locator("input[name=satisfied]").fill("20")
    paper.locator("input[name=partly]").fill("4")
    paper.locator("input[name=not_satisfied]").fill("1")
    paper.get_by_role("button", name="Lưu số phiếu giấy").click()
    expect(display.locator(".votes-total")).to_have_text("28")

    host.locator("#close-ballot").click()
    expect(display.locator(".display-label").first).to_contain_text("kết quả")
    rows = display.locator(".tally-row")
    expect(rows.nth(0)).to_contain_text("22 (79%)")  # 2 phones + 20 paper of 28
    expect(rows.nth(1)).to_contain_text("4 (14%)")
    expect(rows.nth(2)).to_contain_text("2 (7%)")
    screenshot(display, "display-ballot-result")
    past = host.locator(".past-ballot").first  # drawn as a cached section of the host's console
    expect(past.locator("summary")).to_contain_text("79%")
    past.locator("summary").click()
    expect(past.locator("table.sites tbody tr")).not_to_have_count(0)
    expect(past.locator("table.sites tbody tr").first).to_contain_text("%")
    past.screenshot(path=SHOTS / "host-past-ballot.png")
    for phone in phones:
        expect(phone.locator(".phone-ballot")).to_contain_text("Kết quả")
    assert page_errors.messages == []
