"""The door in Chromium: invitations printed with their QR codes, read back; a secretary's phone
checks delegates in through a (fake) camera showing those invitations, and by name; a code shown
again counts once; absences and walk-ins; the figures the door shows."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from server.core.events import DelegateCheckedIn, DelegateMarkedAbsent, DelegatesInvited
from tests.pages.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONSOLE,
    PHONE,
    PageErrors,
    screenshot,
)
from tests.support.driver import Driver, events_of
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
WIDTH, HEIGHT, FPS = 640, 480, 10
FRAMES_PER_CODE = 8


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the fake camera's film is written once the invitations exist (Chromium opens the
    file when a page starts the camera, not at launch)."""
    return tmp_path_factory.mktemp("camera") / "invitations.y4m"


@pytest.fixture(scope="module")
def camera_browser(browser: Browser, camera_video: Path) -> Iterator[Browser]:
    """A second Chromium whose camera plays `camera_video` (the same Playwright as `browser`)."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_video}",
        ],
        headless=True,
    )
    yield camera
    camera.close()


def write_film(path: Path, texts: list[str]) -> None:
    """A Y4M film (4:2:0) in which each text's QR code is held up for a moment, a blank frame
    between two, as invitations are shown to a phone at the door."""
    frames: list[Image.Image] = []
    blank = Image.new("L", (WIDTH, HEIGHT), 235)
    for text in texts:
        qr = segno.make(text, error="m")
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=8, border=4)
        code = Image.open(buffer).convert("L")
        side = min(HEIGHT - 40, code.width)
        frame = blank.copy()
        frame.paste(code.resize((side, side)), ((WIDTH - side) // 2, (HEIGHT - side) // 2))
        frames += [frame] * FRAMES_PER_CODE + [blank] * 2
    chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
    with path.open("wb") as film:
        film.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            film.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def invitation_codes(page: Page) -> dict[str, str]:
    """Each printed invitation's QR code read back from the page as a camera would, by the
    delegate the invitation names."""
    codes = {}
    for card in page.locator("article.invitation").all():
        image = Image.open(io.BytesIO(card.locator(".qr-inline svg").screenshot())).convert("L")
        (read,) = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        codes[card.get_attribute("id").removeprefix("invitation-")] = read  # type: ignore[union-attr]
    return codes


def at_the_door_by_hand(door: Page, by_name: dict[str, str]) -> None:
    """Two found by name, typed without accents as a hurried secretary does; one sent word she is
    ill; three came without an invitation."""
    for typed, name in (("duong thi ngoc", "Dương Thị Ngọc"), ("ngo van", "Ngô Văn Minh")):
        door.locator("#door-search").fill(typed)
        row = door.locator(f"#door-{by_name[name]}")
        expect(row).to_be_visible()
        expect(door.locator("#door-list li[data-search]:visible")).to_have_count(1)
        row.locator("button.door-check-in").click()
        expect(row).to_have_attribute("data-status", "present")
    door.locator("#door-search").fill("")
    absent = door.locator(f"#door-{by_name['Hồ Thị Lan']}")
    absent.locator("summary").click()
    absent.locator("input[name=reason]").fill("Ốm")
    absent.locator("button[type=submit]").click()
    expect(absent).to_have_attribute("data-status", "absent")
    door.locator("#walk-ins").fill("3")
    door.locator("#walk-ins-form button[type=submit]").click()


NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Giang",
    "Đặng Văn Hải",
    "Bùi Thị Hoa",
    "Đỗ Văn Khánh",
    "Hồ Thị Lan",
    "Ngô Văn Minh",
    "Dương Thị Ngọc",
]


def test_the_door_checks_in_by_the_invitations_qr_and_by_name(
    browser: Browser,
    camera_browser: Browser,
    camera_video: Path,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    site = meeting["links"]["sites"][1]
    host = driver.client(server, meeting["links"]["host"])
    drafts = [
        {
            "name": name,
            "site_id": site["site_id"],
            "group": f"Tổ {i % 3 + 1}",
            "gender": "female" if " Thị " in name else "male",
            "birth_year": 1960 + i * 3,
            "phone": f"0903 000 {i:03}",
        }
        for i, name in enumerate(NAMES)
    ]
    driver.command(host, {"type": "invite_delegates", "delegates": drafts})
    (invited,) = events_of(server, meeting["meeting_id"], DelegatesInvited)
    by_name = {d.name: d.delegate_id for d in invited.delegates}

    # a printed sheet, not a live page
    sheet = page_errors.watch(browser.new_page(viewport=CONSOLE))  # type: ignore[arg-type]
    sheet.goto(meeting["links"]["host"] + "/invitations")
    codes = invitation_codes(sheet)
    assert set(codes) == set(by_name.values())
    for delegate_id, text in codes.items():  # each QR names its own delegate, signed
        assert re.fullmatch(rf".*/m/{meeting['meeting_id']}/d/{delegate_id}~[\w-]{{16}}", text)
    screenshot(sheet, "invitations-sheet")

    scanned = NAMES[:8]
    shown = [codes[by_name[name]] for name in scanned]
    write_film(camera_video, [*shown, shown[0], "https://example.com/not-an-invitation"])
    door = camera_browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
    page_errors.watch(door)
    door.goto(site["secretary"] + "/door")
    door.locator("#scan-start").click()
    expect(door.locator("#scan-video")).to_be_visible()
    # every invitation shown is checked in, once, while the film plays (and loops)
    door.wait_for_function(
        "(n) => document.querySelectorAll('#door-list li[data-status=present]').length >= n",
        arg=len(scanned),
        timeout=60_000,
    )
    expect(door.locator("#scan-result")).not_to_be_empty()
    door.locator("#scan-stop").click()
    screenshot(door, "door-after-scanning")

    at_the_door_by_hand(door, by_name)
    expect(door.locator("#door-present")).to_have_text("10")
    expect(door.locator("#door-invited")).to_have_text("12")
    expect(door.locator("#door-breakdown")).to_contain_text("vắng 1")
    expect(door.locator("#door-breakdown")).to_contain_text("không có giấy mời 3")
    page = door.content()  # phone numbers stay off the door (each as stored: its digits)
    assert not [i for i in range(len(NAMES)) if f"0903000{i:03}" in page]
    door.evaluate("() => window.scrollTo(0, 0)")
    screenshot(door, "door-phone")

    checked = events_of(server, meeting["meeting_id"], DelegateCheckedIn)
    assert sorted(e.delegate_id for e in checked) == sorted(
        by_name[n] for n in [*scanned, "Dương Thị Ngọc", "Ngô Văn Minh"]
    )  # each once, though the film showed the first twice and looped
    assert {e.delegate_id: e.how for e in checked}[by_name[scanned[0]]] == "code"
    assert {e.delegate_id: e.how for e in checked}[by_name["Ngô Văn Minh"]] == "name"
    (away,) = events_of(server, meeting["meeting_id"], DelegateMarkedAbsent)
    assert (away.delegate_id, away.reason) == (by_name["Hồ Thị Lan"], "Ốm")
    assert page_errors.messages == []
