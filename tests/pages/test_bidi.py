"""A direction override typed or pasted into a name or an answer cannot turn a projector's text
around: the server removes it, the answer box removes it before sending, names are isolated."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from server.core.events import AnswerEdited, SpeakRequested
from tests.pages.conftest import CONSOLE, PROJECTOR, PageErrors, open_page, screenshot
from tests.support.driver import Driver, events_of
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
OVERRIDE, POP, ZERO_WIDTH = "\u202e", "\u202c", "\u200b"


def test_an_override_in_a_speakers_name_never_reaches_the_projector(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    host = driver.client(server, meeting["links"]["host"])
    display = open_page(browser, page_errors, site["display"], PROJECTOR)
    driver.speaker_on_floor(server, host, site, f"Ông {OVERRIDE}Nguyễn Văn{POP} An{ZERO_WIDTH}")

    name = display.locator("#speaker-name")
    expect(name).to_have_text("Ông Nguyễn Văn An")
    shown = name.evaluate("(node) => node.textContent")
    assert not {OVERRIDE, POP, ZERO_WIDTH} & set(shown)
    assert name.evaluate("(node) => getComputedStyle(node).unicodeBidi") == "isolate"
    (request,) = events_of(server, meeting["meeting_id"], SpeakRequested)
    assert request.name == "Ông Nguyễn Văn An"  # stored clean, so every export is too
    screenshot(display, "bidi-speaker-display")


def test_an_override_pasted_into_the_answer_is_dropped_on_the_page_and_the_server(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    host = driver.client(server, meeting["links"]["host"])
    question_id = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Đèn đường tổ 3 hỏng"
    )
    desk = open_page(browser, page_errors, meeting["links"]["host"] + "/questions", CONSOLE)
    display = open_page(browser, page_errors, site["display"], PROJECTOR)
    refusals: list[str] = []
    desk.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived",
            lambda payload: (
                refusals.append(str(payload)) if "answer_changed" in str(payload) else None
            ),
        ),
    )
    area = desk.locator("textarea[data-live-answer]")
    area.click()
    desk.keyboard.insert_text(f"Phường {OVERRIDE}đã sửa{POP} xong{ZERO_WIDTH}.")
    expected = "Phường đã sửa xong."

    expect(display.locator("#answer-text")).to_have_text(expected)
    expect(area).to_have_value(expected)
    desk.keyboard.type(" Cảm ơn.")  # the caret stayed at the end of what was typed
    expect(display.locator("#answer-text")).to_have_text(expected + " Cảm ơn.")
    text = ""
    for edit in events_of(server, meeting["meeting_id"], AnswerEdited):
        if edit.question_id == question_id:
            text = text[: edit.keep] + edit.tail
    assert text == expected + " Cảm ơn."
    assert refusals == []  # the box and the server agreed every time: no resend loop
    screenshot(display, "bidi-answer-display")
