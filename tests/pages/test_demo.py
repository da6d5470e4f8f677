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
    role_links = [link for link in links if re.search(r"/(host|secretary|display)/", link)]
    join_links = [link for link in links if "/join/" in link]
    assert len(role_links) == 1 + 2 * 6  # host, and a secretary and a display for 6 sites
    assert len(join_links) == 6
    for link in [*role_links, join_links[0]]:
        page = page_errors.watch(browser.new_page())
        page.goto(link)
        expect(page.locator("body")).to_have_attribute("data-online", "true")
        expect(page.locator("#live")).not_to_be_empty()
        page.close()
    organiser = next(link for link in links if "/organiser/login?key=" in link)
    page = browser.new_page()
    page.goto(organiser)
    expect(page.locator(".meetings li")).to_have_count(1)
    screenshot(page, "demo-organiser")
    assert page_errors.messages == []
