"""Questions in Chromium: import the Front's file, put one on screen, type the answer, decide."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pages.conftest import PageErrors, screenshot
from tests.support.client import LiveClient
from tests.support.server import ServerProcess, create_meeting

pytestmark = pytest.mark.browser
# Its fonts loaded and two frames drawn: the page is laid out as it will stay.
LAID_OUT = """async () => {
  await document.fonts.ready;
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""
DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_SITES = [
    "Nhà văn hóa tổ 3",
    "Nhà văn hóa tổ 6",
    "Nhà văn hóa tổ 10",
    "Nhà văn hóa tổ 12",
    "Nhà văn hóa tổ 14",
    "Trường THCS Thạch Bàn",
]


@pytest.fixture
def sample_meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server, sites=SAMPLE_SITES, main_hall="Hội trường UBND phường")


def open_live(browser: Browser, errors: PageErrors, url: str, width: int, height: int) -> Page:
    page = errors.watch(browser.new_page(viewport={"width": width, "height": height}))
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page


def test_import_show_answer_live_and_decide(
    browser: Browser, server: ServerProcess, sample_meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    host_link = sample_meeting["links"]["host"]
    intake = page_errors.watch(browser.new_page(viewport={"width": 1366, "height": 900}))
    intake.goto(host_link + "/intake")
    intake.set_input_files("#file", str(DATA / "y-kien-truoc-hoi-nghi.xlsx"))
    intake.get_by_role("button", name="Kiểm tra tệp").click()
    expect(intake.locator("#preview tbody tr")).to_have_count(20)
    screenshot(intake, "intake-preview")
    intake.locator("#confirm-import").click()
    expect(intake.locator("#imported")).to_contain_text("Đã nhập 20 câu hỏi")

    desk = open_live(browser, page_errors, host_link + "/questions", 1366, 900)
    display = open_live(
        browser, page_errors, sample_meeting["links"]["sites"][3]["display"], 1280, 720
    )
    items = desk.locator("#question-list li[data-search]")
    expect(items).to_have_count(20)
    desk.fill("#q-search", "dat dai")  # no accents: finds "đất đai"
    visible = desk.locator("#question-list li[data-search]:visible")
    expect(visible.first).to_contain_text("đất")
    count_without_accents = visible.count()
    assert 0 < count_without_accents < 20
    desk.fill("#q-search", "")
    desk.select_option("#q-body", "party")
    expect(desk.locator("#question-list li[data-search]:visible").first).to_contain_text("Đảng ủy")
    desk.select_option("#q-body", "")

    first = items.filter(has_text="Tình trạng xây dựng không phép")
    first.get_by_role("button", name="Trình chiếu").click()
    expect(display.locator("#question-text")).to_contain_text(
        "Tình trạng xây dựng không phép tại ngõ 12"
    )
    desk.fill("#answerer-name", "Ông Lê Văn Thành")
    desk.fill("#answerer-role", "Chủ tịch UBND phường")
    desk.get_by_role("button", name="Lưu").first.click()
    expect(display.locator("#display-answer")).to_contain_text(
        "Ông Lê Văn Thành, Chủ tịch UBND phường"
    )

    answer = desk.locator("textarea[data-live-answer]")
    answer.click()
    answer.press_sequentially("Phường đã lập đoàn kiểm tra, ", delay=15)
    expect(display.locator("#answer-text")).to_contain_text(
        "Phường đã lập đoàn kiểm tra"
    )  # while typing
    answer.press_sequentially("sẽ cưỡng chế trước ngày 30/6.", delay=15)
    expect(display.locator("#answer-text")).to_have_text(
        "Phường đã lập đoàn kiểm tra, sẽ cưỡng chế trước ngày 30/6."
    )
    screenshot(display, "display-question-answer")

    desk.locator("input[name=decision][value=written]").check()
    desk.fill("input[name=agency]", "UBND phường Thạch Bàn")
    desk.get_by_role("button", name="Ghi kết luận").click()
    expect(desk.locator("#decision-now")).to_have_text("Trả lời bằng văn bản")
    expect(first.locator(".status")).to_have_text("Trả lời bằng văn bản")
    screenshot(desk, "questions-desk")

    # reloading the desk keeps everything typed (it was saved as it was typed)
    desk.reload()
    expect(desk.locator("textarea[data-live-answer]")).to_have_value(
        "Phường đã lập đoàn kiểm tra, sẽ cưỡng chế trước ngày 30/6."
    )
    assert page_errors.messages == []


def test_phone_questions_are_moderated_supported_and_shown_as_text(
    browser: Browser, server: ServerProcess, sample_meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = sample_meeting["links"]["sites"][1]
    phone = open_live(browser, page_errors, site["join"], 360, 740)
    other = open_live(
        browser, page_errors, site["join"], 360, 740
    )  # its own context: another phone
    desk = open_live(
        browser, page_errors, sample_meeting["links"]["host"] + "/questions", 1366, 900
    )
    display = open_live(browser, page_errors, site["display"], 1280, 720)
    nasty = 'Vì sao <img src=x onerror="document.body.dataset.pwned=1"> đèn đường hỏng?'
    phone.fill("#q-text", nasty)
    phone.get_by_role("button", name="Gửi câu hỏi").click()
    moderation = desk.locator("#moderation li")
    expect(moderation).to_have_count(1)
    expect(moderation.locator(".q-text")).to_have_text(nasty)
    moderation.get_by_role("button", name="Duyệt", exact=True).click()
    expect(phone.locator("#phone-questions li")).to_have_count(1)

    other.get_by_role("button", name="Tôi cũng quan tâm").click()
    expect(desk.locator("#question-list .support")).to_have_text("▲ 1")
    other.get_by_role("button", name="Tôi cũng quan tâm").click()
    expect(other.locator("#toast")).to_contain_text("Bạn đã ủng hộ câu hỏi này rồi")
    expect(desk.locator("#question-list .support")).to_have_text("▲ 1")

    desk.locator("#question-list li").first.get_by_role("button", name="Trình chiếu").click()
    expect(display.locator("#question-text")).to_have_text(nasty)
    for page in (phone, desk, display):
        assert page.evaluate("document.body.dataset.pwned") is None
        assert page.locator("#live img").count() == 0
    screenshot(phone, "phone-questions")


def test_a_very_long_question_fits_the_projector_without_being_cut(
    browser: Browser, server: ServerProcess, sample_meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    long_text = " ".join(
        ["Đề nghị làm rõ trách nhiệm bồi thường giải phóng mặt bằng dự án vành đai"] * 40
    )

    async def put_on_screen() -> None:
        host = await LiveClient.open(server, sample_meeting["links"]["host"])
        added = await host.command({"type": "add_question", "question": {"text": long_text}})
        assert added["type"] == "ack"
        desk = await LiveClient.open(server, sample_meeting["links"]["host"], view="questions")
        question_id = (
            desk.views[-1]["html"]
            .split('data-command="show_question" data-args=\'{"question_id": "')[1]
            .split('"')[0]
        )
        shown = await host.command({"type": "show_question", "question_id": question_id})
        assert shown["type"] == "ack"
        await host.close()
        await desk.close()

    display = open_live(
        browser, page_errors, sample_meeting["links"]["sites"][0]["display"], 1280, 720
    )
    # Playwright's sync API holds this thread's event loop: the socket client runs in its own.
    worker = threading.Thread(target=lambda: asyncio.run(put_on_screen()))
    worker.start()
    worker.join(timeout=30)
    expect(display.locator("#question-text")).to_contain_text("vành đai")
    display.evaluate(LAID_OUT)
    assert display.evaluate("document.documentElement.scrollHeight") <= 720
    assert display.evaluate("document.documentElement.scrollWidth") <= 1280
    text = display.locator("#question-text").inner_text()
    assert text.count("vành đai") == 40  # all of it, not cut
    screenshot(display, "display-long-question")


def test_the_host_edits_a_question_from_the_desk(
    browser: Browser, server: ServerProcess, sample_meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = sample_meeting["links"]["sites"][2]
    phone = open_live(browser, page_errors, site["join"], 360, 740)
    desk = open_live(
        browser, page_errors, sample_meeting["links"]["host"] + "/questions", 1366, 900
    )
    phone.fill("#q-text", "den duong hem 12 hong")  # typed without accents on a cheap phone
    phone.get_by_role("button", name="Gửi câu hỏi").click()
    pending = desk.locator("#moderation li")
    expect(pending).to_have_count(1)
    pending.locator("summary", has_text="Sửa").click()
    pending.locator("textarea").fill("Đèn đường hẻm 12 hỏng đã lâu, đề nghị sửa")
    pending.locator("select[name='question.field']").select_option(
        "Trật tự xây dựng, trật tự đô thị"
    )
    pending.get_by_role("button", name="Lưu").click()
    expect(pending.locator(".q-text")).to_have_text("Đèn đường hẻm 12 hỏng đã lâu, đề nghị sửa")
    pending.get_by_role("button", name="Duyệt", exact=True).click()
    listed = desk.locator("#question-list li[data-search]")
    expect(listed).to_have_count(1)
    expect(listed.locator(".q-meta")).to_contain_text("Trật tự xây dựng, trật tự đô thị")
    expect(listed.locator(".q-state")).to_contain_text(site["name"])  # it came from that site
    assert page_errors.messages == []


def test_a_questions_site_is_picked_from_every_site_while_the_desk_updates(
    browser: Browser, server: ServerProcess, sample_meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    sites = sample_meeting["links"]["sites"]
    phone = open_live(browser, page_errors, sites[2]["join"], 360, 740)
    desk = open_live(
        browser, page_errors, sample_meeting["links"]["host"] + "/questions", 1366, 900
    )
    phone.fill("#q-text", "Đèn đường hẻm 12 hỏng")
    phone.get_by_role("button", name="Gửi câu hỏi").click()
    pending = desk.locator("#moderation li")
    expect(pending).to_have_count(1)
    mine = desk.locator(f"#{pending.get_attribute('id')}")
    mine.locator("summary", has_text="Sửa").click()
    site = mine.locator("select[name='question.site_id']")
    # Sent with its own site only: every site is on the page once, not in every question's form.
    expect(site.locator("option")).to_have_count(2)
    expect(desk.locator("#site-choices option")).to_have_count(len(SAMPLE_SITES) + 1)
    site.focus()
    expect(site.locator("option")).to_have_count(len(SAMPLE_SITES) + 2)  # and "—"
    expect(site).to_have_value(sites[2]["site_id"])
    # Another question arrives and the desk redraws while the list is open.
    phone.fill("#q-text", "Rác thải tồn đọng ở chợ")
    phone.get_by_role("button", name="Gửi câu hỏi").click()
    expect(pending).to_have_count(2)
    expect(site.locator("option")).to_have_count(len(SAMPLE_SITES) + 2)
    site.select_option(sites[4]["site_id"])
    mine.get_by_role("button", name="Lưu").click()
    expect(site).to_have_value(sites[4]["site_id"])
    mine.get_by_role("button", name="Duyệt", exact=True).click()
    listed = desk.locator("#question-list li[data-search]")
    expect(listed).to_have_count(1)
    expect(listed.locator(".q-state")).to_contain_text(sites[4]["name"])
    screenshot(desk, "desk-site-choices")
    assert page_errors.messages == []
