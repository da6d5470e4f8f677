"""The hall's screens in Chromium: the join QR a phone can scan off the projector, a projector that
stays legible with a long answer, and a display reloaded while the server is down."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from websockets.asyncio.client import connect

from tests.pages.conftest import (
    CONSOLE,
    FULL_HD,
    PHONE,
    PROJECTOR,
    SHOTS,
    PageErrors,
    js_constant,
    open_page,
    screenshot,
    wait_until,
)
from tests.support.client import RECEIVE_TIMEOUT, LiveClient, ws_url
from tests.support.driver import Driver
from tests.support.server import ORGANISER_SECRET, ServerProcess

pytestmark = pytest.mark.browser
LEGIBLE_PX = 28  # the smallest text a back row reads at 720p
SMALLEST_TEXT = """() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || !element.checkVisibility()) continue;
    sizes.push([parseFloat(getComputedStyle(element).fontSize), node.textContent.trim().slice(0, 40)]);
  }
  return sizes.sort((a, b) => a[0] - b[0])[0];
}"""


# The answer being typed follows its newest lines for FOLLOW_MS after a change (projector.js), then
# pages: the box is at its end within that time, or it never followed.
FOLLOW_MS = js_constant("projector.js", "FOLLOW_MS")
AT_ITS_END = """() => { const box = document.getElementById('answer-text');
  return box.scrollTop + box.clientHeight >= box.scrollHeight - 2; }"""
# What a reload with the server down needs (live.js, sw.js): the view on screen kept in
# localStorage (a moment after it arrives), and the page and its images in the worker's cache.
KEPT_FOR_A_RELOAD = """async (name) => {
  const views = Object.keys(localStorage).filter((key) => key.startsWith('dc-view:'))
    .map((key) => JSON.parse(localStorage.getItem(key)));
  const viewKept = views.some(
    (view) => String(view.seq) === document.body.dataset.seq && view.html.includes(name));
  const urls = [location.href, ...Array.from(document.querySelectorAll("img[src^='/m/']"), (img) => img.src)];
  const copies = await Promise.all(urls.map((url) => caches.match(url)));
  return viewKept && copies.every(Boolean);
}"""


def qr_texts(page: Page) -> list[str]:
    """Reads every QR code on the screen, as a phone's camera would."""
    image = Image.open(io.BytesIO(page.screenshot())).convert("L")
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("viewport", [PROJECTOR, FULL_HD], ids=["720p", "1080p"])
def test_an_idle_display_shows_its_join_qr_and_code_and_a_phone_joins_that_site(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    viewport: dict[str, int],
) -> None:
    site = meeting["links"]["sites"][1]
    display = open_page(browser, page_errors, site["display"], viewport)
    expect(display.locator("#join-panel")).to_be_visible()
    expect(display.locator("#join-panel")).to_contain_text("Tham gia bằng điện thoại")
    screenshot(display, f"display-idle-join-{viewport['height']}")
    assert qr_texts(display) == [site["join"]]
    assert display.evaluate(SMALLEST_TEXT)[0] >= LEGIBLE_PX
    code = display.locator("#join-code").inner_text()
    assert len(code) == 6
    assert display.locator("#join-url").inner_text().endswith(f"/j/{code}")

    for how in (site["join"], f"{server.url}/j/{code.lower()}"):
        phone = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
        page = page_errors.watch(phone.new_page())
        page.goto(how)
        expect(page.locator("body")).to_have_attribute("data-online", "true")
        expect(page.locator(".bar-title")).to_contain_text(site["name"])
        phone.close()
    assert page_errors.messages == []


def test_the_projector_stays_legible_while_a_long_answer_is_typed(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][1]
    host = driver.client(server, meeting["links"]["host"])
    driver.speaker_on_floor(server, host, site, "Bà Nguyễn Thị Thu Hương")
    displays = {
        "720": open_page(browser, page_errors, site["display"], PROJECTOR),
        "1080": open_page(browser, page_errors, site["display"], FULL_HD),
    }
    expect(displays["720"].locator("#countdown")).to_be_visible()
    screenshot(displays["720"], "display-speaker-720")
    assert displays["720"].evaluate(SMALLEST_TEXT)[0] >= LEGIBLE_PX

    question_text = (
        "Đề nghị UBND phường cho biết tiến độ giải phóng mặt bằng và thời gian hoàn thành dự án"
        " mở rộng đường Nguyễn Văn Cừ đoạn qua tổ dân phố 5?"
    )
    question = driver.question_on_screen(server, host, meeting["links"]["host"], question_text)
    driver.command(
        host,
        {
            "type": "set_answerer",
            "question_id": question,
            "name": "Ông Lê Văn Thành",
            "role": "Chủ tịch UBND phường",
        },
    )
    sentence = (
        "Phường đã phối hợp với Ban quản lý dự án quận rà soát từng hộ dân, lập phương án bồi"
        " thường, hỗ trợ và tái định cư theo đúng quy định. "
    )
    answer = (sentence * 12)[:1500] + " HẾT Ý MỘT."
    typed = ""
    for start in range(0, len(answer), 50):  # typed as the desk sends it: small edits
        tail = answer[start : start + 50]
        driver.command(
            host,
            {
                "type": "edit_answer",
                "question_id": question,
                "base_length": len(typed),
                "keep": len(typed),
                "tail": tail,
            },
        )
        typed += tail
        time.sleep(0.03)
    assert len(answer) >= 1500
    for name, display in displays.items():
        expect(display.locator("#answer-text")).to_contain_text("HẾT Ý MỘT.")
        display.wait_for_function(AT_ITS_END, timeout=FOLLOW_MS)  # it followed the typing
        screenshot(display, f"display-long-answer-{name}")
        expect(display.locator("#question-countdown")).to_be_in_viewport()
        size = display.evaluate(
            "() => parseFloat(getComputedStyle(document.getElementById('answer-text')).fontSize)"
        )
        assert size >= LEGIBLE_PX
        assert display.evaluate(SMALLEST_TEXT)[0] >= LEGIBLE_PX
        assert display.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 2")
        # the last words typed are on screen, inside the answer's box
        last_words = display.evaluate(
            """() => { const box = document.getElementById('answer-text');
            const text = box.lastChild, range = document.createRange();
            range.setStart(text, text.length - 3); range.setEnd(text, text.length);
            const end = range.getBoundingClientRect(), frame = box.getBoundingClientRect();
            return end.height > 0 && end.top >= frame.top - 1 && end.bottom <= Math.min(innerHeight, frame.bottom) + 1; }"""
        )
        assert last_words, name
    driver.command(
        host,
        {
            "type": "decide_question",
            "question_id": question,
            "decision": "forwarded",
            "forwarded_to": "district",
        },
    )
    for name, display in displays.items():
        expect(display.locator(f"#decision-line-{question}")).to_have_text(
            "Chủ tọa: chuyển cấp có thẩm quyền — Quận/huyện"
        )
        screenshot(display, f"display-decision-{name}")
    assert page_errors.messages == []


def test_a_display_reloaded_while_the_server_is_down_shows_its_last_view_and_catches_up(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][0]
    display = open_page(browser, page_errors, site["display"], PROJECTOR)
    display.wait_for_function("() => !!navigator.serviceWorker.controller")
    host = driver.client(server, meeting["links"]["host"])
    driver.speaker_on_floor(server, host, site, "Ông Trịnh Văn Quang")
    expect(display.locator("#speaker-name")).to_have_text("Ông Trịnh Văn Quang")
    wait_until(
        display,
        lambda: bool(display.evaluate(KEPT_FOR_A_RELOAD, "Ông Trịnh Văn Quang")),
        10,
        "the view and the page kept for a reload",
    )
    driver.run(host.close())
    server.stop()
    display.reload()
    expect(display.locator("#speaker-name")).to_have_text("Ông Trịnh Văn Quang")
    expect(display.locator("#conn")).to_contain_text("Mất kết nối")
    expect(display.locator("#join-qr")).to_be_visible()
    assert display.evaluate("() => document.getElementById('join-qr').naturalWidth") > 0
    screenshot(display, "display-reloaded-offline")
    server.start()
    expect(display.locator("body")).to_have_attribute("data-online", "true", timeout=30_000)
    host = driver.client(server, meeting["links"]["host"])
    driver.command(host, {"type": "end_speech", "request_id": host_speaker(host.views[-1]["html"])})
    expect(display.locator("#speaker-name")).to_have_count(0)
    page_errors.messages.clear()  # the browser logs the refused connections while it was down


def host_speaker(html: str) -> str:
    marker = 'data-command="end_speech" data-args=\'{"request_id": "'
    return html.split(marker)[1].split('"', maxsplit=1)[0]


def alpha(image: Image.Image, point: tuple[int, int]) -> int:
    pixel = image.getpixel(point)
    assert isinstance(pixel, tuple)
    return int(pixel[3])


def checkerboard_under(png: bytes, name: str) -> Image.Image:
    """The overlay as the mixer composites it: over a checkerboard, saved to look at."""
    overlay = Image.open(io.BytesIO(png)).convert("RGBA")
    board = Image.new("RGBA", overlay.size, (200, 200, 200, 255))
    tile = Image.new("RGBA", (40, 40), (120, 120, 120, 255))
    for x in range(0, overlay.size[0], 80):
        for y in range(0, overlay.size[1], 80):
            board.paste(tile, (x, y))
            board.paste(tile, (x + 40, y + 40))
    SHOTS.mkdir(exist_ok=True)
    Image.alpha_composite(board, overlay).save(SHOTS / f"{name}.png")
    return overlay


def test_the_overlay_is_transparent_around_a_lower_third_and_the_question(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][2]
    host = driver.client(server, meeting["links"]["host"])
    driver.speaker_on_floor(server, host, site, "Ông Phan Văn Khải")
    question = driver.question_on_screen(
        server, host, meeting["links"]["host"], "Khi nào hoàn thành tuyến đường liên thôn?"
    )
    driver.command(
        host,
        {
            "type": "set_answerer",
            "question_id": question,
            "name": "Bà Hà Thị Lan",
            "role": "Phó Chủ tịch UBND",
        },
    )
    overlay = open_page(browser, page_errors, meeting["links"]["overlay"], FULL_HD)
    expect(overlay.locator("#ov-name")).to_have_text("Ông Phan Văn Khải")
    expect(overlay.locator("#ov-countdown")).to_contain_text(":")
    expect(overlay.locator("#ov-question-text")).to_have_text(
        "Khi nào hoàn thành tuyến đường liên thôn?"
    )
    expect(overlay.locator("#ov-answerer")).to_contain_text("Bà Hà Thị Lan, Phó Chủ tịch UBND")
    image = checkerboard_under(overlay.screenshot(omit_background=True), "overlay-full")
    width, height = image.size
    assert (width, height) == (1920, 1080)
    # clear where there is nothing to show: corners and the middle of the picture
    for point in ((5, 5), (width - 5, 5), (5, height - 5), (width // 2, height // 2)):
        assert alpha(image, point) == 0, point
    # solid behind the name (the lower third) and the question
    name_box = overlay.locator("#ov-lower-third").bounding_box()
    assert name_box is not None
    assert alpha(image, (int(name_box["x"]) + 30, int(name_box["y"]) + 8)) > 200

    lower_third = open_page(
        browser, page_errors, meeting["links"]["overlay"] + "?layout=lower-third&bg=green", FULL_HD
    )
    expect(lower_third.locator("#ov-name")).to_be_visible()
    expect(lower_third.locator("#ov-question")).to_be_hidden()
    green = Image.open(io.BytesIO(lower_third.screenshot())).convert("RGB")
    assert green.getpixel((5, 5)) == (0, 177, 64)
    checkerboard_under(lower_third.screenshot(), "overlay-lower-third-green")
    assert page_errors.messages == []


async def _frames_after_a_change(server: ServerProcess, meeting: dict[str, Any]) -> list[bytes]:
    url = ws_url(server, meeting["links"]["overlay"])
    sockets = [await connect(url, origin=None, compression=None, max_size=None) for _ in range(3)]
    for socket in sockets:
        await socket.send(json.dumps({"type": "hello"}))
        await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT)  # its first view
    host = await LiveClient.open(server, meeting["links"]["host"])
    items = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])
    ack = await host.command({"type": "set_current_agenda_item", "item_id": items[0]})
    assert ack["type"] == "ack", ack
    frames = []
    for socket in sockets:
        raw = await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT)
        frames.append(raw if isinstance(raw, bytes) else raw.encode())
        await socket.close()
    await host.close()
    return frames


def test_every_overlay_socket_gets_the_same_bytes(
    server: ServerProcess, meeting: dict[str, Any], driver: Driver
) -> None:
    frames = driver.run(_frames_after_a_change(server, meeting))
    assert len(set(frames)) == 1
    assert json.loads(frames[0])["view"] == "overlay"


def test_the_overlay_link_is_read_only(
    server: ServerProcess, meeting: dict[str, Any], driver: Driver
) -> None:
    overlay = driver.client(server, meeting["links"]["overlay"])
    answer = driver.run(overlay.command({"type": "add_agenda_item", "title": "Không được"}))
    assert (answer["type"], answer["code"]) == ("error", "forbidden")
    wrong = meeting["links"]["overlay"][:-4] + "AAAA"
    assert httpx.get(wrong, headers={"accept": "text/html"}, timeout=10).status_code == 403


def test_the_host_sees_the_displays_and_show_on_screen_leads_to_the_answer_box(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][1]
    host_client = driver.client(server, meeting["links"]["host"])
    host = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    expect(host.locator(".preview-screen")).to_contain_text("Hội nghị sắp bắt đầu")
    driver.speaker_on_floor(server, host_client, site, "Bà Đoàn Thị Ngọc")
    expect(host.locator(".preview-screen .speaker-name")).to_have_text("Bà Đoàn Thị Ngọc")
    screenshot(host, "host-preview")
    assert host.locator("#host-speaker-name").count() == 1  # the preview brings no second copy

    for i in range(12):  # a long list: the question is far below the answer box
        driver.command(host_client, {"type": "add_question", "question": {"text": f"Câu hỏi {i}"}})
    desk = open_page(browser, page_errors, meeting["links"]["desk"], CONSOLE)
    last = desk.locator("#question-list li[data-search]").last
    last.scroll_into_view_if_needed()
    last.get_by_role("button", name="Trình chiếu").click()
    answer = desk.locator("textarea[data-live-answer]")
    expect(answer).to_be_focused()
    expect(answer).to_be_in_viewport()
    assert page_errors.messages == []


def test_every_link_on_the_organiser_page_has_a_qr_code_that_reads_back(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    links = meeting["links"]
    context = browser.new_context(viewport=CONSOLE, device_scale_factor=2)  # type: ignore[arg-type]
    page = page_errors.watch(context.new_page())
    page.goto(
        f"{server.url}/organiser/login?key={ORGANISER_SECRET}"
        f"&next=/organiser/meetings/{meeting['meeting_id']}"
    )
    expect(page.locator("#host-link")).to_be_visible()
    wanted = {links["host"], links["desk"], links["overlay"]}
    for site in links["sites"]:
        wanted |= {site["secretary"], site["display"], site["join"]}
    found: set[str] = set()
    for code in page.locator(".link-qr svg, img.qr").all():  # each read as a camera would
        image = Image.open(io.BytesIO(code.screenshot())).convert("L")
        found |= {barcode.text for barcode in zxingcpp.read_barcodes(image)}
    assert found == wanted
    screenshot(page, "organiser-meeting-qr")
    page.goto(f"{server.url}/organiser/meetings/{meeting['meeting_id']}/cards")
    expect(page.locator(".card-qr svg")).to_have_count(3 + 2 * len(links["sites"]))
    context.close()
    assert page_errors.messages == []


def test_the_host_takes_the_join_code_off_the_displays_and_puts_it_back(
    browser: Browser, server: ServerProcess, meeting: dict[str, Any], page_errors: PageErrors
) -> None:
    display = open_page(browser, page_errors, meeting["links"]["sites"][0]["display"], PROJECTOR)
    host = open_page(browser, page_errors, meeting["links"]["host"], CONSOLE)
    expect(display.locator("#join-panel")).to_be_visible()
    expect(host.locator("#join-shown")).to_have_text("đang hiện")
    host.locator("#join-toggle").click()
    expect(display.locator("#join-panel")).to_be_hidden()
    expect(host.locator("#join-shown")).to_have_text("đang ẩn")
    screenshot(display, "display-idle-no-join")
    host.locator("#join-toggle").click()
    expect(display.locator("#join-panel")).to_be_visible()
    assert page_errors.messages == []
