"""The desk records what became of a collected opinion before the meeting while other sockets
change the list: what was picked and typed is what the log gets; projectors say "before"."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from server.core.events import PriorOutcome, PriorOutcomeSet
from tests.pages.conftest import (
    CONSOLE,
    PROJECTOR,
    PageErrors,
    count_views,
    open_page,
    screenshot,
)
from tests.support.driver import Driver, events_of
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
VIEWS_ON_THE_FILLED_FORM = 3


def test_the_desk_records_an_answer_given_before_the_meeting_through_a_storm(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    host_link = meeting["links"]["host"]
    host = driver.client(server, host_link)
    question_id = driver.question_on_screen(server, host, host_link, "Cống tổ 5 tắc nhiều năm")
    desk = open_page(browser, page_errors, host_link + "/questions", CONSOLE)
    display = open_page(browser, page_errors, meeting["links"]["sites"][1]["display"], PROJECTOR)

    desk.locator(f"#prior-q-{question_id} summary").click()
    form = desk.locator(f"#prior-form-{question_id}")
    typed = {
        f"#prior-agency-{question_id}": "UBND phường Tân Định",
        f"#prior-ref-{question_id}": "Công văn số 45/UBND-QLĐT",
        f"#prior-on-{question_id}": "2026-11-10",
        f"#prior-text-{question_id}": "Đã nạo vét, thông cống tổ 5 ngày 08/11/2026.",
    }

    def change(i: int) -> dict[str, Any]:
        return {"type": "add_question", "question": {"text": f"Câu hỏi chen vào số {i}"}}

    with driver.storm(host, change, every=0.05):
        form.locator("input[name='prior.kind'][value=answered]").check()
        for selector, value in typed.items():
            desk.locator(selector).fill(value)
        count_views(desk)  # a few views land on the filled form
        desk.wait_for_function(
            "(views) => window.viewsLanded >= views", arg=VIEWS_ON_THE_FILLED_FORM
        )
    for selector, value in typed.items():
        expect(desk.locator(selector)).to_have_value(value)
    expect(form.locator("input[name='prior.kind'][value=answered]")).to_be_checked()
    form.locator("button[type=submit]").click()

    line = display.locator(f"#decision-line-{question_id}")
    expect(line).to_have_text(
        "Trước hội nghị: đã trả lời bằng văn bản — UBND phường Tân Định, "
        "Công văn số 45/UBND-QLĐT (10/11/2026)"
    )
    (settled,) = events_of(server, meeting["meeting_id"], PriorOutcomeSet)
    assert settled == PriorOutcomeSet(
        question_id,
        PriorOutcome(
            "answered",
            "UBND phường Tân Định",
            "Công văn số 45/UBND-QLĐT",
            "2026-11-10",
            "Đã nạo vét, thông cống tổ 5 ngày 08/11/2026.",
        ),
    )
    # the chair has not decided: the decision form offers every choice, none picked
    assert desk.locator("input[name=decision]:checked").count() == 0
    expect(desk.locator(f"#q-{question_id} .status")).to_have_text("Đã trả lời trước hội nghị")
    desk.locator(f"#prior-q-{question_id}").scroll_into_view_if_needed()
    screenshot(desk, "desk-settled-before")
    screenshot(display, "display-settled-before")
