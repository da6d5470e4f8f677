"""The README's demo command: it prints a link for every role, and every one works in Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from server.config import ROOT
from tests.pages.conftest import PageErrors, screenshot
from tests.support.redis_server import free_port

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://127\.0\.0\.1:\d+/\S+")


@pytest.fixture
def demo_output(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "demo.log"
    command = [
        sys.executable,
        "-m",
        "server",
        "--data-dir",
        str(tmp_path / "data"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--public-url",
        f"http://127.0.0.1:{port}",
        "demo",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_every_link_the_demo_prints_opens_a_working_page(
    browser: Browser, demo_output: str, page_errors: PageErrors
) -> None:
    links = LINK.findall(demo_output)
    role_links = [
        link for link in links if re.search(r"/(host|desk|secretary|display)/[\w-]+$", link)
    ]
    join_links = [link for link in links if "/join/" in link]
    assert len(role_links) == 2 + 2 * 6  # host and desk, and a secretary and a display for 6 sites
    assert len(join_links) == 6
    for link in [*role_links, join_links[0]]:
        page = page_errors.watch(browser.new_page())
        page.goto(link)
        expect(page.locator("body")).to_have_attribute("data-online", "true")
        expect(page.locator("#live")).not_to_be_empty()
        page.close()
    # the other printed links open a page too: report, follow-up, intake, cards, answers,
    # the delegate list, the invitations and each site's door
    doors = [link for link in links if link.endswith("/door")]
    assert len(doors) == 6
    for link in links:
        if re.search(r"/(intake|report|followup|cards|answers|delegates|invitations|door)$", link):
            assert httpx.get(link, timeout=10).status_code == 200, link
    organiser = next(link for link in links if "/organiser/login?key=" in link)
    page = browser.new_page()
    page.goto(organiser)  # the one link to open first: signed in, on the meeting's own page
    expect(page.locator("h1")).to_contain_text("Hội nghị tiếp xúc")
    expect(page.locator("img.qr").first).to_be_visible()
    screenshot(page, "demo-organiser")
    assert page_errors.messages == []


def test_the_demo_says_which_link_to_open_first_in_vietnamese_and_english(demo_output: str) -> None:
    first = demo_output.index("Mở đường dẫn này trước · Open this first")
    assert demo_output.index("/organiser/login?key=") > first
    assert demo_output.index("/organiser/login?key=") < demo_output.index("/host/")
    for words in (
        "Thư ký hội nghị · Host console",
        "Bàn câu hỏi · Questions desk",
        "Biên bản, thống kê · Report",
        "Theo dõi trả lời · Follow-up",
        "Trả lời công khai · Public answers",
        "Tổng hợp năm · Year dashboard",
        "Màn hình trình chiếu · Display",
        "Mã tham gia · Join code",
        "Danh sách đại biểu · Delegate list",
        "Giấy mời · Invitations",
        "Điểm danh tại cửa · Door check-in",
    ):
        assert words in demo_output, words
    assert "(host)" not in demo_output
    assert "(organiser)" not in demo_output


def test_organiser_pages_without_a_session_explain_how_to_sign_in(
    browser: Browser, demo_output: str, page_errors: PageErrors
) -> None:
    base = LINK.findall(demo_output)[0].split("/organiser/")[0].split("/m/")[0]
    meeting = re.search(r"/organiser/meetings/([\w-]+)", demo_output)
    assert meeting is not None
    for path in ("/organiser", f"/organiser/meetings/{meeting.group(1)}/cards"):
        page = page_errors.watch(browser.new_page())  # a fresh browser: no session
        page.goto(base + path)
        expect(page.locator("h1")).to_have_text("Ban tổ chức đăng nhập")
        expect(page.locator("#sign-in-needed")).to_be_visible()
        expect(page.locator("#sign-in-help")).to_contain_text("data/organiser-secret")
        screenshot(page, "organiser-sign-in-help")
        secret = re.search(r"login\?key=([\w-]+)", demo_output)
        assert secret is not None
        page.fill("#secret", secret.group(1))
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).to_have_url(base + path)  # back where it was going
        page.close()
    assert page_errors.messages == []
