"""Vietnamese through an input method, characters beyond the BMP, an outage of the server or of
its log, and the host's keys: what a person types arrives exactly once, exactly as typed."""

from __future__ import annotations

import itertools
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from server.core.events import AnswerEdited, OpinionRecorded, SpeakerCalled, SpeakRequested
from tests.pages.conftest import (
    CONSOLE,
    PROJECTOR,
    PageErrors,
    count_frames,
    js_constant,
    open_page,
    screenshot,
    wait_until,
)
from tests.support.driver import Driver, events_of
from tests.support.redis_server import RedisProcess
from tests.support.server import ServerProcess, create_meeting, running_server

pytestmark = pytest.mark.browser
# The page reconnects 0.25-0.5 s after a close, then about twice as long each time (live.js): four
# failed attempts are an outage of 4-8 s that the page has backed off through.
FAILED_RECONNECTS = 4
# The resend timer's cap, as a page setting (outbox.js): with 2 s instead of 30 s, six retries
# (0.5, 1, 2, then 2, 2, 2 s at most, jittered down to half) show the doubling and the cap.
RETRY_CAP_MS = 2000
RETRIES = 6
FIRST_RETRY_MS = js_constant("outbox.js", "FIRST_RETRY_MS")  # the first retry's ceiling
LATE = 1.0  # seconds a retry may come after its ceiling: the refusal's way back, a busy machine


# Telex as a Vietnamese input method shows it: each syllable composes through its intermediate
# states and is then committed; a space or punctuation is typed as it is.
TELEX = {
    "Xin": ["X", "Xi", "Xin"],
    "chào": ["c", "ch", "cha", "chao", "chào"],
    "tiếng": ["t", "ti", "tie", "tiê", "tiế", "tiến", "tiếng"],
    "Việt": ["V", "Vi", "Vie", "Viê", "Việ", "Việt"],
    "phường": ["p", "ph", "phu", "phư", "phươ", "phươn", "phương", "phường"],
    "đã": ["d", "đ", "đa", "đã"],
    "kiểm": ["k", "ki", "kie", "kiê", "kiể", "kiểm"],
    "tra": ["t", "tr", "tra"],
}


def telex_states(word: str) -> list[str]:
    if word in TELEX:
        return TELEX[word]
    return [word[: i + 1] for i in range(len(word))]


def compose(cdp: CDPSession, page: Page, text: str) -> None:
    """Types `text` as an input method does: compositions per word, committed with insertText."""
    for i, word in enumerate(text.split(" ")):
        if i:
            cdp.send("Input.insertText", {"text": " "})
        for state in telex_states(word):
            cdp.send(
                "Input.imeSetComposition",
                {"text": state, "selectionStart": len(state), "selectionEnd": len(state)},
            )
            page.wait_for_timeout(35)
        cdp.send("Input.insertText", {"text": word})
        page.wait_for_timeout(35)


def answer_of(server: ServerProcess, meeting_id: str, question_id: str) -> str:
    """The answer as the log has it: the edits replayed, in code points."""
    text = ""
    for edit in events_of(server, meeting_id, AnswerEdited):
        if edit.question_id == question_id:
            text = text[: edit.keep] + edit.tail
    return text


def command_send_times(page: Page) -> dict[str, list[float]]:
    """When the browser sent each command (its own clock, in seconds), by command_id."""
    sent: dict[str, list[float]] = {}
    cdp = page.context.new_cdp_session(page)

    def frame(event: dict[str, Any]) -> None:
        message = json.loads(event["response"]["payloadData"])
        if message.get("type") == "command":
            sent.setdefault(message["command_id"], []).append(event["timestamp"])

    cdp.on("Network.webSocketFrameSent", frame)
    cdp.send("Network.enable")
    return sent


def test_vietnamese_composed_through_an_input_method_arrives_exactly(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    host = driver.client(server, meeting["links"]["host"])
    question = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Đường ngõ 12 ngập"
    )
    driver.speaker_on_floor(server, host, site, "Bà Lê Thị Mai")

    desk = open_page(browser, page_errors, meeting["links"]["host"] + "/questions", CONSOLE)
    secretary = open_page(browser, page_errors, site["secretary"], CONSOLE)
    displays = [
        open_page(browser, page_errors, s["display"], PROJECTOR) for s in meeting["links"]["sites"]
    ]
    text = "Xin chào tiếng Việt phường đã kiểm tra"
    # Updates every 100 ms that redraw both pages: the desk's list and the secretary's site.
    states = iter(range(10_000))

    def change(i: int) -> dict[str, Any]:
        if i % 2:
            return {"type": "add_question", "question": {"text": f"Câu hỏi chen vào {i}"}}
        return {
            "type": "set_site_ready",
            "site_id": site["site_id"],
            "ready": next(states) % 2 == 0,
        }

    with driver.storm(host, change, every=0.1):
        area = desk.locator("textarea[data-live-answer]")
        area.click()
        compose(desk.context.new_cdp_session(desk), desk, text)
        turn = secretary.locator("article.turn").first
        request_id = (turn.get_attribute("id") or "").removeprefix("turn-")
        secretary.locator(f"#opinion-text-{request_id}").click()
        compose(secretary.context.new_cdp_session(secretary), secretary, text)
        screenshot(desk, "ime-desk-composing")
        expect(area).to_have_value(text)
        expect(secretary.locator(f"#opinion-text-{request_id}")).to_have_value(text)
    for display in displays:
        expect(display.locator("#answer-text")).to_have_text(text, timeout=10_000)
    screenshot(displays[0], "ime-display")
    desk.wait_for_function("() => document.body.dataset.waiting === '0'")
    assert answer_of(server, meeting["meeting_id"], question) == text
    assert unicodedata.is_normalized("NFC", text)

    secretary.locator(f"#opinion-{request_id} button[type=submit]").click()
    secretary.wait_for_function("() => document.body.dataset.waiting === '0'")
    (opinion,) = events_of(server, meeting["meeting_id"], OpinionRecorded)
    assert opinion.text == text
    assert page_errors.messages == []


def test_emoji_han_nom_and_combining_marks_round_trip_without_a_refusal_loop(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    host = driver.client(server, meeting["links"]["host"])
    question = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Chữ Nôm trên bảng tên"
    )
    desk = open_page(browser, page_errors, meeting["links"]["host"] + "/questions", CONSOLE)
    display = open_page(browser, page_errors, meeting["links"]["sites"][1]["display"], PROJECTOR)
    refusals: list[str] = []
    desk.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived",
            lambda payload: refusals.append(str(payload)) if '"error"' in str(payload) else None,
        ),
    )
    desk.reload()
    expect(desk.locator("body")).to_have_attribute("data-online", "true")
    area = desk.locator("textarea[data-live-answer]")
    area.click()
    area.press_sequentially("Đã sửa 👍 bảng 𡨸 chữ Nôm", delay=20)
    expect(display.locator("#answer-text")).to_have_text("Đã sửa 👍 bảng 𡨸 chữ Nôm")
    # combining marks typed as they come from an old keyboard (e + combining acute)
    area.press("End")
    desk.keyboard.insert_text(" Le\u0301 Văn 🇻🇳")
    # in the middle, after the emoji, and at the start
    desk.evaluate(
        """() => { const a = document.querySelector('textarea[data-live-answer]');
        const at = a.value.indexOf('bảng'); a.setSelectionRange(at, at); }"""
    )
    desk.keyboard.insert_text("tên ")
    area.press("Control+Home")
    desk.keyboard.insert_text("✅ ")
    expected = "✅ Đã sửa 👍 tên bảng 𡨸 chữ Nôm Le\u0301 Văn 🇻🇳"
    expect(area).to_have_value(expected)
    expect(display.locator("#answer-text")).to_have_text(expected, timeout=10_000)
    # characters taken out at the end (inside the flag), in the middle and at the start:
    # whatever the browser deletes, the log and the displays hold what the box holds
    area.press("End")
    area.press("Backspace")
    desk.evaluate(
        """() => { const a = document.querySelector('textarea[data-live-answer]');
        const at = a.value.indexOf('𡨸') + 2; a.setSelectionRange(at, at); }"""
    )
    desk.keyboard.press("Backspace")
    area.press("Control+Home")
    area.press("Delete")
    final = area.input_value()
    assert final.startswith(" Đã sửa 👍 tên bảng ")
    assert "𡨸" not in final
    expect(display.locator("#answer-text")).to_have_text(final.strip(), timeout=10_000)
    desk.wait_for_function("() => document.body.dataset.waiting === '0'")
    assert answer_of(server, meeting["meeting_id"], question) == final
    assert "👍" in final
    assert refusals == []
    assert page_errors.messages == []


def test_a_split_surrogate_is_refused_with_its_command_id_and_leaves_the_outbox(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    desk = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    sockets = count_frames(desk)
    desk.reload()
    expect(desk.locator("body")).to_have_attribute("data-online", "true")
    # A page that builds a broken string (half an emoji) and sends it.
    desk.evaluate(
        """() => { const f = document.getElementById('add-item-form');
        f.querySelector('input[name=title]').value = 'Mục \\ud83d';
        f.requestSubmit(); }"""
    )
    expect(desk.locator("#toast")).to_be_visible()
    desk.wait_for_function("() => document.body.dataset.waiting === '0'")
    # Here the wait is what is measured: a command refused for now goes again within the first
    # retry's ceiling (outbox.js), so one refused for good must not within that and a late margin.
    desk.wait_for_timeout(FIRST_RETRY_MS + LATE * 1000)
    assert sum(len(sent) for sent in sockets) == 1  # sent once, answered, never resent
    page_errors.messages.clear()


def test_commands_made_while_the_server_is_down_wait_visibly_and_land_once(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    page = open_page(browser, page_errors, site["secretary"], CONSOLE)
    sockets = count_frames(page)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    server.stop()
    expect(page.locator("body")).to_have_attribute("data-online", "false")
    names = ["Ông Hồ Văn An", "Bà Vũ Thị Bích", "Ông Lý Văn Cảnh"]
    for name in names:
        page.fill("#speaker-name", name)
        page.locator("#register-form button[type=submit]").click()
    expect(page.locator("#conn")).to_contain_text("3 thao tác đang chờ gửi")
    waiting = page.locator("#site-queue .waiting-item")
    expect(waiting).to_have_count(3)
    for name in names:
        expect(waiting.filter(has_text=name)).to_contain_text("đang chờ gửi")
    screenshot(page, "outbox-offline-secretary")
    # The server stays down while the page knocks and backs off, its attempts refused.
    wait_until(
        page,
        lambda: len(sockets) >= 1 + FAILED_RECONNECTS,
        30,
        f"{FAILED_RECONNECTS} reconnects",
    )
    expect(waiting).to_have_count(3)
    server.start()
    expect(page.locator("body")).to_have_attribute("data-online", "true", timeout=30_000)
    page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=15_000)
    expect(page.locator("#site-queue .waiting-item")).to_have_count(0)
    for name in names:
        expect(page.locator("#site-queue")).to_contain_text(name)
    # each attempt carried each command at most once; the refused ones carried nothing
    assert all(len(sent) <= 3 for sent in sockets), [len(s) for s in sockets]
    assert len(sockets) >= 2 + FAILED_RECONNECTS
    assert sorted(
        e.name for e in events_of(server, meeting["meeting_id"], SpeakRequested)
    ) == sorted(names)
    page_errors.messages.clear()  # the browser logs each refused reconnect


def test_waiting_commands_survive_a_reload_in_another_language(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    site = meeting["links"]["sites"][1]
    context = browser.new_context(viewport=CONSOLE)  # type: ignore[arg-type]
    page = page_errors.watch(context.new_page())
    page.goto(site["secretary"])
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    server.stop()
    expect(page.locator("body")).to_have_attribute("data-online", "false")
    page.fill("#speaker-name", "Bà Mai Thị Hạnh")
    page.locator("#register-form button[type=submit]").click()
    expect(page.locator("#conn")).to_contain_text("1 thao tác đang chờ gửi")
    page.close()
    server.start()
    english = page_errors.watch(context.new_page())
    english.goto(site["secretary"] + "?lang=en")
    expect(english.locator("body")).to_have_attribute("data-online", "true")
    expect(english.locator("#site-queue")).to_contain_text("Bà Mai Thị Hạnh")
    english.wait_for_function("() => document.body.dataset.waiting === '0'")
    assert [e.name for e in events_of(server, meeting["meeting_id"], SpeakRequested)] == [
        "Bà Mai Thị Hạnh"
    ]
    context.close()
    page_errors.messages.clear()


def test_a_log_outage_is_retried_with_backoff_not_a_flood(
    browser: Browser, tmp_path: Path, redis_process: RedisProcess, page_errors: PageErrors
) -> None:
    args = ["--store", "redis", "--redis-url", redis_process.url]
    with running_server(tmp_path / "server", args) as server:
        meeting = create_meeting(server)
        site = meeting["links"]["sites"][0]
        page = open_page(browser, page_errors, site["secretary"], CONSOLE)
        page.evaluate(f"() => localStorage.setItem('dc-retry-cap-ms', '{RETRY_CAP_MS}')")
        sockets = count_frames(page)
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-online", "true")
        sent_at = command_send_times(page)
        redis_process.stop(kill=True)
        names = ["Ông Tạ Văn Đức", "Bà Đinh Thị Én", "Ông Mạc Văn Phúc"]
        for name in names:
            page.fill("#speaker-name", name)
            page.locator("#register-form button[type=submit]").click()
        expect(page.locator("#conn")).to_contain_text("3 thao tác đang chờ gửi")
        expect(page.locator("#site-queue .waiting-item")).to_have_count(3)
        # The log stays down until the first command has been sent and retried RETRIES times.
        wait_until(
            page,
            lambda: any(len(times) > RETRIES for times in sent_at.values()),
            30,
            f"{RETRIES} retries",
        )
        sent_during_outage = sum(len(sent) for sent in sockets)
        redis_process.start()
        page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=60_000)
        for name in names:
            expect(page.locator("#site-queue")).to_contain_text(name)
        # Each attempt waits at least half its ceiling (the jitter) and at most the ceiling, the
        # ceiling doubling from 0.5 s to the cap: the waits grow, then stop growing. Without the
        # backoff the third would come before 1 s; without the cap the fifth after 4 s.
        first = min(sent_at, key=lambda command_id: sent_at[command_id][0])
        attempts = itertools.pairwise(sent_at[first][: RETRIES + 1])
        schedule = [
            (later - earlier, min(RETRY_CAP_MS, FIRST_RETRY_MS * 2**retry) / 1000)
            for retry, (earlier, later) in enumerate(attempts)
        ]
        assert len(schedule) == RETRIES
        # (20 ms for the two clocks: the timer's and the network's timestamp)
        assert all(ceiling / 2 - 0.02 <= wait <= ceiling + LATE for wait, ceiling in schedule), [
            f"{wait:.2f} s, ceiling {ceiling} s" for wait, ceiling in schedule
        ]
        # Each attempt is at most one frame per waiting command (the old page sent 3 → 12 → 39
        # → … → 3,279 while the log was down).
        assert 3 <= sent_during_outage <= 3 * (RETRIES + 2), sent_during_outage
        ids = [m["command_id"] for sent in sockets for m in sent]
        per_command = {command_id: ids.count(command_id) for command_id in set(ids)}
        assert len(per_command) == 3
        assert max(per_command.values()) - min(per_command.values()) <= 1
        queue = page.locator("#site-queue").inner_text()
        assert all(queue.count(name) == 1 for name in names)
        page_errors.messages.clear()


def test_host_keys_act_only_when_nobody_is_typing(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    secretary = driver.client(server, site["secretary"])
    for name in ("Ông Một", "Bà Hai"):
        driver.command(
            secretary, {"type": "register_speaker", "site_id": site["site_id"], "name": name}
        )
    host = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    sockets = count_frames(host)
    host.reload()
    expect(host.locator("body")).to_have_attribute("data-online", "true")
    expect(host.locator("#shortcuts")).to_contain_text("N")
    host.fill("#new-item", "n")  # typing an "n" calls nobody
    host.locator("#new-item").press("n")
    host.locator("#new-item").blur()
    host.keyboard.press("n")
    expect(host.locator("#host-speaker-name")).to_have_text("Ông Một")
    # A key's command goes out as the key is handled, on the one socket, in order: the "n" outside
    # the field sent the page's first command, so the "n" typed in it sent none.
    assert [m["command"]["type"] for sent in sockets for m in sent] == ["call_speaker"]
    assert len(events_of(server, meeting["meeting_id"], SpeakerCalled)) == 1
    host.keyboard.press("p")
    expect(host.locator("#resume-speech")).to_be_visible()
    host.keyboard.press("p")
    expect(host.locator("#pause-speech")).to_be_visible()
    host.keyboard.press("+")
    host.keyboard.press("e")
    expect(host.locator("#on-floor")).to_have_count(0)
    called = events_of(server, meeting["meeting_id"], SpeakerCalled)
    assert len(called) == 1
    assert page_errors.messages == []


def test_focus_moves_to_the_natural_next_control(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    secretary = open_page(browser, page_errors, site["secretary"], CONSOLE)
    for name in ("Ông Một", "Bà Hai", "Ông Ba"):
        secretary.fill("#speaker-name", name)
        secretary.locator("#speaker-name").press("Enter")
        # after adding, the next speaker's name is typed straight away
        expect(secretary.locator("#speaker-name")).to_be_focused()
    expect(secretary.locator("#site-queue li")).to_have_count(3)
    host = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    first_call = host.locator("#queue li").first.get_by_role("button", name="Mời", exact=True)
    first_call.focus()
    first_call.press("Enter")
    expect(host.locator("#host-speaker-name")).to_have_text("Ông Một")
    # the called speaker left the queue: focus is on the call button of the next one
    focused = host.evaluate("document.activeElement.closest('li')?.textContent || ''")
    assert "Bà Hai" in focused
    assert host.evaluate("document.activeElement !== document.body")
    assert page_errors.messages == []


def accessibility_problems(context: BrowserContext, url: str) -> list[str]:
    axe = (Path(__file__).resolve().parent.parent / "support" / "vendor" / "axe.min.js").read_text()
    page = context.new_page()
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    page.add_script_tag(content=axe)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' '))"
    )
    page.close()
    return list(found)


def test_no_console_has_a_critical_accessibility_violation(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], driver: Driver
) -> None:
    site = meeting["links"]["sites"][0]
    host = driver.client(server, meeting["links"]["host"])
    driver.question_on_screen(server, host, meeting["links"]["host"], "Đèn đường")
    driver.speaker_on_floor(server, host, site, "Bà Hoa")
    driver.command(host, {"type": "open_ballot", "question_id": None, "scale": "three"})
    context = browser.new_context(bypass_csp=True, viewport=CONSOLE)  # type: ignore[arg-type]
    pages = {
        "host": meeting["links"]["host"],
        "desk": meeting["links"]["host"] + "/questions",
        "secretary": site["secretary"],
        "display": site["display"],
        "phone": site["join"],
    }
    problems = {name: accessibility_problems(context, url) for name, url in pages.items()}
    context.close()
    assert problems == {name: [] for name in pages}
