"""Debian's Chromium driven by Playwright (never a downloaded browser), one per module and worker."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    WebSocket,
    expect,
    sync_playwright,
)

from server.config import ROOT
from tests.support.driver import Driver

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SHOTS = ROOT / "test-artifacts"
CONSOLE = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
FULL_HD = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run ./diemcau test, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class PageErrors:
    """Console errors and CSP violations a page produced; a clean page has none."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Page) -> Page:
        def record(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.messages.append(message.text)

        page.on("console", record)
        page.on("pageerror", lambda error: self.messages.append(str(error)))
        return page


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


def screenshot(page: Page, name: str) -> Path:
    """The whole page in test-artifacts/, written whole: workers writing one name never tear it."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    partial = SHOTS / f".{name}.{os.getpid()}.png"
    partial.write_bytes(page.screenshot(full_page=True))
    partial.replace(path)
    return path


@pytest.fixture
def driver() -> Iterator[Driver]:
    """Other sockets (the host, secretaries) acting while a page is used."""
    running = Driver()
    yield running
    running.close()


def open_page(browser: Browser, errors: PageErrors, url: str, viewport: dict[str, int]) -> Page:
    """A live page in its own browser context, once its socket is open."""
    page = errors.watch(browser.new_page(viewport=viewport))  # type: ignore[arg-type]
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page


def js_constant(script: str, name: str) -> int:
    """A number a page script names at its top (`const FOLLOW_MS = 5000;` in static/js/projector.js),
    so a wait measured against it follows the code."""
    source = (ROOT / "static" / "js" / script).read_text(encoding="utf-8")
    match = re.search(rf"^const {name} = (\d+);", source, re.MULTILINE)
    assert match is not None, f"{name} in {script}"
    return int(match.group(1))


def wait_until(page: Page, done: Callable[[], bool], seconds: float, what: str) -> None:
    """Lets the page run until `done()` holds (it reads what the page's events recorded, or asks
    the page something `wait_for_function` cannot: it takes a promise for a true answer)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        page.wait_for_timeout(100)


COUNT_VIEWS = """() => {
  window.viewsLanded = 0;
  new MutationObserver((records) => { window.viewsLanded += records.length; })
    .observe(document.body, { attributes: true, attributeFilter: ["data-seq"] });
}"""


def count_views(page: Page) -> None:
    """From now on the page counts the views it puts on screen, in `window.viewsLanded`: live.js
    writes body's data-seq for each view it shows (even at the same seq), in the task that morphs
    it in, so a view is counted once it is on the page."""
    page.evaluate(COUNT_VIEWS)


def views_landed(page: Page) -> int:
    landed: int = page.evaluate("() => window.viewsLanded")
    return landed


def count_frames(page: Page) -> list[list[dict[str, Any]]]:
    """The commands a page sends, one list per socket it opened (one per connection attempt);
    only sockets opened after this call (a page already open is reloaded to be watched)."""
    sockets: list[list[dict[str, Any]]] = []

    def opened(socket: WebSocket) -> None:
        sent: list[dict[str, Any]] = []
        sockets.append(sent)

        def frame(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "command":
                sent.append(message)

        socket.on("framesent", frame)

    page.on("websocket", opened)
    return sockets
