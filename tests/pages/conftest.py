"""Debian's Chromium driven by Playwright (never a downloaded browser), one per module and worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

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
