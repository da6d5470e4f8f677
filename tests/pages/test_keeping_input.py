"""What a person picks and types survives live updates: every console's forms are filled, 50
changes from other sockets arrive, then the form is sent; the log records exactly what was picked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from server.core.events import (
    AgendaItemAdded,
    AnswererSet,
    AttendanceSet,
    BallotCardsIssued,
    BallotOpened,
    OpinionRecorded,
    PaperCountSet,
    QuestionAdded,
    QuestionDecided,
    QuestionSubmitted,
    SpeakingTimeSet,
    SpeakRequested,
    VotingRulesSet,
)
from tests.pages.conftest import (
    CONSOLE,
    PHONE,
    PROJECTOR,
    PageErrors,
    count_frames,
    open_page,
    screenshot,
)
from tests.support.driver import Driver, Storm, events_of, events_when_there
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
STORM = 50
FIELD = "Đất đai, tài nguyên môi trường"


def seen(page: Page, storm: Storm) -> None:
    """Waits until the page shows a view at least as new as the storm's last change."""
    storm.wait()
    page.wait_for_function("(seq) => Number(document.body.dataset.seq) >= seq", arg=storm.last_seq)


def fill_all(page: Page, values: dict[str, str]) -> None:
    """Types into each field or picks in each select, as a person does."""
    for selector, value in values.items():
        field = page.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def expect_values(page: Page, values: dict[str, str]) -> None:
    for selector, value in values.items():
        expect(page.locator(selector)).to_have_value(value)


def added_question(i: int, site_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "add_question",
        "question": {"text": f"Câu hỏi số {i} về đèn đường hẻm {i}", "site_id": site_id},
    }


def test_the_desk_keeps_the_decision_answerer_and_filters_through_a_storm(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    host = driver.client(server, meeting["links"]["host"])
    # one question the filters below find (a field, the Party committee), one on screen
    land = {"text": "Cấp giấy chứng nhận quyền sử dụng đất chậm", "field": FIELD, "body": "party"}
    driver.command(host, {"type": "add_question", "question": land})
    first = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Đường ngõ 12 ngập khi mưa"
    )

    desk = open_page(browser, page_errors, meeting["links"]["host"] + "/questions", CONSOLE)
    display = open_page(browser, page_errors, meeting["links"]["sites"][1]["display"], PROJECTOR)
    console = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    # Not the default in any control: a written answer, its agency and deadline; the answerer.
    desk.locator("input[name=decision][value=written]").check()
    picked = {
        f"#agency-{first}": "Sở Y tế thành phố",
        f"#deadline-{first}": "2026-12-20",
        f"#forward-{first}": "city",
        f"#reason-{first}": "—",
        "#answerer-name": "Ông Lê Văn Thành",
        "#answerer-role": "Chủ tịch UBND phường",
        # the desk's own filters: a search without accents, a body, a status
        "#q-search": "dat",
        "#q-body": "party",
        "#q-status": "undecided",
    }
    fill_all(desk, picked)
    desk.check("#q-by-support")
    expect(desk.locator("#question-list li[data-search]:visible")).to_have_count(1)

    with driver.storm(host, added_question, count=STORM) as storm:
        pass
    seen(desk, storm)
    expect(desk.locator("#question-list li[data-search]")).to_have_count(2 + STORM)
    screenshot(desk, "keep-desk-during-storm")

    assert desk.locator("input[name=decision][value=written]").is_checked()
    expect_values(desk, picked)
    assert desk.locator("#q-by-support").is_checked()
    # the filters still apply to the list as it is now: 50 new questions, none of them matching
    expect(desk.locator("#question-list li[data-search]:visible")).to_have_count(1)
    expect(desk.locator("#question-count")).to_have_text("1")

    desk.locator(f"#answerer-{first} button[type=submit]").click()
    desk.locator("#record-decision").click()
    expect(desk.locator(f"#decision-line-{first}")).to_contain_text("Sở Y tế thành phố")
    expect(desk.locator(f"#decision-line-{first}")).to_contain_text("20/12/2026")
    # the chair's decision, as one line, on the host console and on every display
    for page in (console, display):
        expect(page.locator(f"#decision-line-{first}")).to_have_text(
            "Chủ tọa: trả lời bằng văn bản — Sở Y tế thành phố, hạn 20/12/2026"
        )
    screenshot(display, "display-decision-line")
    screenshot(console, "host-decision-line")
    (answerer,) = events_of(server, meeting["meeting_id"], AnswererSet)
    assert (answerer.name, answerer.role) == ("Ông Lê Văn Thành", "Chủ tịch UBND phường")
    (decided,) = events_of(server, meeting["meeting_id"], QuestionDecided)
    assert (decided.question_id, decided.decision, decided.agency, decided.deadline) == (
        first,
        "written",
        "Sở Y tế thành phố",
        "2026-12-20",
    )

    assert page_errors.messages == []


def test_a_decision_needs_a_choice_and_keeps_it_when_an_update_comes_before_the_click(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    host = driver.client(server, meeting["links"]["host"])
    only = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Rác thải chợ Bến Thành"
    )
    desk = open_page(browser, page_errors, meeting["links"]["host"] + "/questions", CONSOLE)
    sockets = count_frames(desk)
    desk.reload()
    expect(desk.locator("body")).to_have_attribute("data-online", "true")
    # undecided: nothing is chosen for the chair, and recording needs a choice
    assert desk.locator(f"#decision-{only} input[name=decision]:checked").count() == 0
    desk.locator("#record-decision").click()
    assert desk.evaluate(
        "() => document.querySelector('input[name=decision]').validity.valueMissing"
    )
    assert desk.locator(f"#decision-line-{only}").count() == 0

    # An update that arrives between the click on a radio and the press on "record".
    desk.locator(f"#decision-{only} input[name=decision][value=not_taken_up]").check()
    desk.fill(f"#reason-{only}", "Vụ việc đang được tòa án thụ lý")
    with driver.storm(host, added_question, count=1) as storm:
        pass
    seen(desk, storm)
    desk.locator("#record-decision").click()
    expect(desk.locator(f"#decision-line-{only}")).to_contain_text(
        "Vụ việc đang được tòa án thụ lý"
    )
    decisions = events_of(server, meeting["meeting_id"], QuestionDecided)
    assert [(d.question_id, d.decision, d.reason) for d in decisions] == [
        (only, "not_taken_up", "Vụ việc đang được tòa án thụ lý")
    ]
    # A submit goes out as it is handled, on the desk's one socket, in order: this decision was
    # the desk's first command, so the click without a choice sent nothing.
    assert [m["command"]["type"] for sent in sockets for m in sent] == ["decide_question"]
    assert page_errors.messages == []


def test_the_host_console_keeps_every_form_through_a_storm(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    host_client = driver.client(server, meeting["links"]["host"])
    driver.question_on_screen(server, host_client, meeting["links"]["host"], "Nước sạch tổ 5")
    secretary = driver.client(server, site["secretary"])

    host = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    host.locator("#voting-rules summary").click()
    host.locator("#voting-rules-form input[value=card]").check()
    host.locator("#voting-rules-form input[name=allow_change]").check()
    host.fill("#card-count", "120")
    host.fill("#speaking-seconds", "240")
    host.fill("#new-item", "Giải đáp thắc mắc về quy hoạch")
    host.locator("#open-ballot-form input[name=question_id][value='']").check()  # the meeting
    host.select_option("#ballot-scale", "two")
    host.locator("#open-ballot-form input[name=show_live]").uncheck()
    # where the form being filled is on the screen: a storm of updates must not move it
    form_top = (
        "() => Math.round(document.getElementById('open-ballot-form').getBoundingClientRect().top)"
    )
    where = host.evaluate(form_top)

    with driver.storm(
        secretary,
        lambda i: {"type": "set_attendance", "site_id": site["site_id"], "attendance": 100 + i},
        count=STORM,
    ) as storm:
        pass
    seen(host, storm)
    expect(host.locator(f"#site-{site['site_id']} .attendance")).to_have_text(str(100 + STORM - 1))
    assert host.evaluate(form_top) == where  # (before the full-page screenshot, which scrolls)
    screenshot(host, "keep-host-during-storm")

    assert host.locator("#voting-rules").evaluate("d => d.open")
    assert host.locator("#voting-rules-form input[value=card]").is_checked()
    assert host.locator("#voting-rules-form input[name=allow_change]").is_checked()
    expect(host.locator("#card-count")).to_have_value("120")
    expect(host.locator("#speaking-seconds")).to_have_value("240")
    expect(host.locator("#new-item")).to_have_value("Giải đáp thắc mắc về quy hoạch")
    assert host.locator("#open-ballot-form input[name=question_id][value='']").is_checked()
    expect(host.locator("#ballot-scale")).to_have_value("two")
    assert not host.locator("#open-ballot-form input[name=show_live]").is_checked()

    host.locator("#voting-rules-form button[type=submit]").click()
    host.locator("#cards-form button[type=submit]").click()
    host.locator("#speaking-time-form button[type=submit]").click()
    host.locator("#add-item-form button[type=submit]").click()
    expect(host.locator("#agenda")).to_contain_text("Giải đáp thắc mắc về quy hoạch")
    host.locator("#open-ballot-button").click()
    expect(host.locator("#open-ballot")).to_be_visible()

    mid = meeting["meeting_id"]
    (rules,) = events_of(server, mid, VotingRulesSet)
    assert (rules.eligibility, rules.allow_change) == ("card", True)
    assert [e.count for e in events_of(server, mid, BallotCardsIssued)] == [120]
    assert [e.seconds for e in events_of(server, mid, SpeakingTimeSet)] == [240]
    assert [e.title for e in events_of(server, mid, AgendaItemAdded)][-1:] == [
        "Giải đáp thắc mắc về quy hoạch"
    ]
    (opened,) = events_of(server, mid, BallotOpened)
    assert (opened.question_id, opened.scale, opened.show_live) == (None, "two", False)
    assert page_errors.messages == []


def test_the_secretary_console_keeps_every_form_through_a_storm(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][1]
    site_id = site["site_id"]
    host = driver.client(server, meeting["links"]["host"])
    other = driver.client(server, site["secretary"])  # a second console of the same site
    driver.command(
        other, {"type": "register_speaker", "site_id": site_id, "name": "Bà Trần Thị Hoa"}
    )
    driver.command(host, {"type": "call_speaker", "request_id": None, "expected_current": None})
    driver.command(host, {"type": "open_ballot", "question_id": None, "scale": "three"})
    page = open_page(browser, page_errors, site["secretary"], CONSOLE)
    turn = page.locator("article.turn").first
    request_id = (turn.get_attribute("id") or "").removeprefix("turn-")
    ballot_form = page.locator("form.paper-form").first
    ballot_id = (ballot_form.get_attribute("id") or "").removeprefix("paper-")

    picked = {
        "#speaker-name": "Ông Nguyễn Văn Bình",
        "#speaker-group": "Tổ dân phố 7",
        "#speaker-field": FIELD,
        "#speaker-topic": "Lấn chiếm vỉa hè",
        "#new-q-text": "Đề nghị lắp đèn đường hẻm 45",
        "#new-q-asker": "Ông Phạm Văn Cường",
        "#new-q-group": "Tổ dân phố 3",
        "#new-q-field": FIELD,
        "#new-q-body": "council",
        "#new-q-level": "district",
        f"#opinion-text-{request_id}": "Cần làm rõ tiến độ bồi thường",
        f"#opinion-field-{request_id}": FIELD,
        f"#opinion-body-{request_id}": "party",
        "#attendance": "87",
        f"#paper-s-{ballot_id}": "31",
        f"#paper-p-{ballot_id}": "4",
        f"#paper-n-{ballot_id}": "2",
    }
    fill_all(page, picked)

    def change(i: int) -> dict[str, Any]:
        """Changes that redraw every section of this console: the site, its turns, its questions."""
        kind = i % 3
        if kind == 0:
            return {"type": "set_site_ready", "site_id": site_id, "ready": i % 2 == 0}
        if kind == 1:
            return {
                "type": "record_opinion",
                "request_id": request_id,
                "text": f"Ý kiến {i}",
                "field": "",
                "body": "committee",
            }
        return added_question(i, site_id)

    with driver.storm(host, change, count=STORM) as storm:
        pass
    seen(page, storm)
    expect(page.locator(f"#opinions-{request_id} li")).to_have_count(17)
    screenshot(page, "keep-secretary-during-storm")

    expect_values(page, picked)

    page.locator("#register-form button[type=submit]").click()
    page.locator("#add-question-form button[type=submit]").click()
    page.locator(f"#opinion-{request_id} button[type=submit]").click()
    page.locator("#attendance-form button[type=submit]").click()
    ballot_form.locator("button[type=submit]").click()
    expect(page.locator("#recorded-attendance")).to_have_text("87")

    mid = meeting["meeting_id"]
    requested = events_of(server, mid, SpeakRequested)[-1]
    assert (requested.name, requested.group, requested.field, requested.topic) == (
        "Ông Nguyễn Văn Bình",
        "Tổ dân phố 7",
        FIELD,
        "Lấn chiếm vỉa hè",
    )
    added = events_of(server, mid, QuestionAdded)[-1].question
    assert (added.text, added.field, added.body, added.level, added.site_id) == (
        "Đề nghị lắp đèn đường hẻm 45",
        FIELD,
        "council",
        "district",
        site_id,
    )
    assert (added.asker, added.group) == ("Ông Phạm Văn Cường", "Tổ dân phố 3")
    opinion = [o for o in events_of(server, mid, OpinionRecorded) if o.site_id == site_id][-1]
    assert (opinion.text, opinion.field, opinion.body) == (
        "Cần làm rõ tiến độ bồi thường",
        FIELD,
        "party",
    )
    assert [e.attendance for e in events_of(server, mid, AttendanceSet)] == [87]
    (paper,) = events_when_there(server, mid, PaperCountSet)  # the last one clicked
    assert (paper.satisfied, paper.partly, paper.not_satisfied) == (31, 4, 2)
    assert page_errors.messages == []


def test_a_phone_keeps_what_is_typed_through_a_storm(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    host = driver.client(server, meeting["links"]["host"])
    phone = open_page(browser, page_errors, site["join"], PHONE)
    phone.fill("#ask-name", "Cụ Đỗ Văn Lâm")
    phone.fill("#ask-group", "Thôn Đông")
    phone.fill("#ask-topic", "Đường làng xuống cấp")
    phone.fill("#q-text", "Khi nào sửa cầu 𡨸 Nôm qua kênh?")
    phone.fill("#q-asker", "Lâm")

    def change(i: int) -> dict[str, Any]:
        return {"type": "add_agenda_item", "title": f"Mục bổ sung {i}"}

    with driver.storm(host, change, count=20) as storm:
        pass
    # the phone's view changes on the agenda item too: put items on and off the screen
    items = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])
    with driver.storm(
        host,
        lambda i: {"type": "set_current_agenda_item", "item_id": items[i % len(items)]},
        count=30,
    ) as storm:
        pass
    seen(phone, storm)
    screenshot(phone, "keep-phone-during-storm")
    expect(phone.locator("#ask-name")).to_have_value("Cụ Đỗ Văn Lâm")
    expect(phone.locator("#q-text")).to_have_value("Khi nào sửa cầu 𡨸 Nôm qua kênh?")
    phone.locator("#request-form button[type=submit]").click()
    expect(phone.locator("#my-request")).to_be_visible()
    phone.locator("#phone-question-form button[type=submit]").click()
    expect(phone.locator("#ask-name")).to_have_count(0)
    mid = meeting["meeting_id"]
    phone.wait_for_function("() => document.body.dataset.waiting === '0'")
    (asked,) = events_of(server, mid, SpeakRequested)
    assert (asked.name, asked.group, asked.topic) == (
        "Cụ Đỗ Văn Lâm",
        "Thôn Đông",
        "Đường làng xuống cấp",
    )
    (sent,) = events_of(server, mid, QuestionSubmitted)
    assert sent.question.text == "Khi nào sửa cầu 𡨸 Nôm qua kênh?"
    assert sent.question.asker == "Lâm"
    assert page_errors.messages == []
