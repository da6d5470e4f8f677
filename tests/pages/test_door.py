"""The door in Chromium: invitations printed with their QR codes, read back; a secretary's phone
checks delegates in through a (fake) camera showing those invitations, and by name; a code shown
again counts once; absences and walk-ins; the figures the door shows."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from server.core.events import (
    DelegateCheckedIn,
    DelegateMarkedAbsent,
    DelegatesInvited,
    InvitationReleased,
)
from tests.pages.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONSOLE,
    PHONE,
    SHOTS,
    PageErrors,
    screenshot,
)
from tests.pages.test_delegates_browser import HALL, SITES, the_list, write_workbook
from tests.support.driver import Driver, events_of, events_when_there
from tests.support.server import ServerProcess, create_meeting
from tests.test_exports import docx_text, pdf_text, poppler, sheet_rows
from tests.web.test_delegate_pages import confirm, invited, map_as_shown, upload
from tests.web.test_votes_live import open_ballot

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


# --- the whole hall: 600 invited over 4 sites, 500 by camera, 100 by name ----------------------

GRID = 2  # codes held up side by side: 2 by 2 invitations in one frame, as a stack is fanned out
CAMERA_SHARE = {0: 100, 1: 125, 2: 150, 3: 125}  # by site: 500 scanned, the rest found by name
ABSENT_AT_HALL = 2  # of the hall's delegates found by name: two sent word instead
WALK_INS = 3


def write_fanned_film(path: Path, texts: list[str]) -> None:
    """A Y4M film showing the invitations four at a time (each held half a second), looping."""
    cell_w, cell_h = WIDTH // GRID, HEIGHT // GRID
    blank = Image.new("L", (WIDTH, HEIGHT), 235)
    chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
    with path.open("wb") as film:
        film.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for first in range(0, len(texts), GRID * GRID):
            frame = blank.copy()
            for i, text in enumerate(texts[first : first + GRID * GRID]):
                buffer = io.BytesIO()
                segno.make(text, error="m").save(buffer, kind="png", scale=5, border=2)
                code = Image.open(buffer).convert("L")
                x = (i % GRID) * cell_w + (cell_w - code.width) // 2
                y = (i // GRID) * cell_h + (cell_h - code.height) // 2
                frame.paste(code, (x, y))
            for shown in [frame] * 4 + [blank]:
                film.write(b"FRAME\n" + shown.tobytes() + chroma + chroma)


def codes_in_pdf(data: bytes, tmp_path: Path) -> list[str]:
    """Each page's QR code read back from the printed PDF's image, page by page."""
    source = tmp_path / "giay-moi.pdf"
    source.write_bytes(data)
    subprocess.run(
        [poppler("pdftoppm"), "-r", "110", "-gray", "-png", str(source), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    SHOTS.mkdir(exist_ok=True)
    shutil.copyfile(pages[0], SHOTS / "invitation-pdf-page.png")  # one printed page, to look at
    codes = []
    for image in pages:
        # The reader may find the one code twice (two scales of the same symbol): one code.
        found = {barcode.text for barcode in zxingcpp.read_barcodes(Image.open(image))}
        assert len(found) == 1, (image.name, found)
        codes.append(found.pop())
    return codes


def typed_without_accents(name: str) -> str:
    """As a hurried secretary types a name: no accents, lower case."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def import_600(driver: Driver, server: ServerProcess, tmp_path: Path) -> dict[str, Any]:
    """The 600-delegate workbook through the import (preview, mapping, confirm), with targets."""
    meeting = create_meeting(server, sites=SITES, main_hall=HALL)
    workbook = tmp_path / "danh-sach-dai-bieu-600.xlsx"
    write_workbook(workbook, the_list())
    ids = {site["name"]: site["site_id"] for site in meeting["links"]["sites"]}
    preview = driver.run(upload(meeting, workbook.name, workbook.read_bytes()))
    mapped = driver.run(map_as_shown(meeting, preview.text, **{"NVH tổ 7": ids[SITES[1]]}))
    assert driver.run(confirm(meeting, mapped.text)).status_code in {200, 303}
    host = driver.client(server, meeting["links"]["host"])
    for site_id in ids.values():
        target = {"total": 150, "women": 50, "under_35": 30, "by_group": []}
        driver.command(host, {"type": "set_composition", "site_id": site_id, "target": target})
    return meeting


def printed_codes(meeting: dict[str, Any], records: list[Any], tmp_path: Path) -> list[str]:
    """The invitations as printed: every page's QR code names the delegate of its page, signed."""
    with httpx.Client(timeout=120) as http:
        printed = http.get(meeting["links"]["host"] + "/invitations.pdf")
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    codes = codes_in_pdf(printed.content, tmp_path)
    pages = pdf_text(printed.content, tmp_path).split("\f")
    by_id = {r.delegate_id: r for r in records}
    for page_text, code in zip(pages, codes, strict=False):
        found = re.fullmatch(rf".*/m/{meeting['meeting_id']}/d/(\w+)~[\w-]{{16}}", code)
        assert found is not None, code
        assert by_id[found.group(1)].name in " ".join(page_text.split())
    return codes


@dataclass
class Door:
    """One site's door: who the camera reads, who is found by name, who sent word."""

    link: dict[str, Any]
    invited: list[Any]
    scanned: list[Any]
    by_name: list[Any]
    absent: list[Any]
    walk_ins: int | None = None


def run_the_door(
    door: Door,
    codes: list[str],
    film: Path,
    camera_browser: Browser,
    browser: Browser,
    errors: PageErrors,
) -> None:
    """Two phones at one door: the camera reads the invitations held up while a second phone,
    on the same list, finds the others by name (its list changing under it as the camera
    checks people in)."""
    write_fanned_film(
        film,
        [c for c in codes if any(f"/d/{r.delegate_id}~" in c for r in door.scanned)],
    )
    camera = errors.watch(camera_browser.new_page(viewport=PHONE))  # type: ignore[arg-type]
    camera.goto(door.link["secretary"] + "/door")
    camera.locator("#scan-start").click()
    typing = errors.watch(browser.new_page(viewport=PHONE))  # type: ignore[arg-type]
    typing.goto(door.link["secretary"] + "/door")
    for record in door.by_name:
        typing.locator("#door-search").fill(typed_without_accents(record.name))
        row = typing.locator(f"#door-{record.delegate_id}")
        row.locator("button.door-check-in").click()
        expect(row).to_have_attribute("data-status", "present")
    for record in door.absent:
        typing.locator("#door-search").fill(typed_without_accents(record.name))
        row = typing.locator(f"#door-{record.delegate_id}")
        row.locator("summary").click()
        row.locator("input[name=reason]").fill("Đi công tác")
        row.locator("button[type=submit]").click()
        expect(row).to_have_attribute("data-status", "absent")
    typing.locator("#door-search").fill("")
    if door.walk_ins is not None:
        typing.locator("#walk-ins").fill(str(door.walk_ins))
        typing.locator("#walk-ins-form button[type=submit]").click()
    camera.wait_for_function(
        "(n) => document.querySelectorAll('#door-list li[data-status=present]').length >= n",
        arg=len(door.scanned) + len(door.by_name),
        timeout=150_000,
    )
    camera.locator("#scan-stop").click()
    if len(door.invited) == 150 and door.walk_ins:
        screenshot(camera, "door-150-checked-in")
    camera.close()
    typing.close()


def came(records: list[Any]) -> tuple[int, int, int]:
    """How many, women, under 35 in the meeting's year."""
    return (
        len(records),
        sum(r.gender == "female" for r in records),
        sum(r.birth_year is not None and 2026 - r.birth_year < 35 for r in records),
    )


def test_600_invited_500_at_the_door_by_camera_100_by_name_and_the_record_has_them(
    browser: Browser,
    camera_browser: Browser,
    camera_video: Path,
    server: ServerProcess,
    page_errors: PageErrors,
    driver: Driver,
    tmp_path: Path,
) -> None:
    meeting = import_600(driver, server, tmp_path)
    records = invited(server, meeting)
    assert len(records) == 600
    codes = printed_codes(meeting, records, tmp_path)
    assert len(codes) == 600
    doors = []
    for number, link in enumerate(meeting["links"]["sites"]):
        mine = [r for r in records if r.site_id == link["site_id"]]
        scanned, rest = mine[: CAMERA_SHARE[number]], mine[CAMERA_SHARE[number] :]
        away = rest[:ABSENT_AT_HALL] if number == 0 else []
        walk_ins = WALK_INS if number == 1 else None
        doors.append(Door(link, mine, scanned, rest[len(away) :], away, walk_ins))
    for door in doors:
        run_the_door(door, codes, camera_video, camera_browser, browser, page_errors)
    assert sum(len(d.scanned) for d in doors) == 500
    assert sum(len(d.by_name) + len(d.absent) for d in doors) == 100

    # a phone's outbox sends one check-in again after a dropped line: it counts once
    host = driver.client(server, meeting["links"]["host"])
    first = doors[0].scanned[0].delegate_id
    assert (
        driver.command(host, {"type": "check_in_delegate", "delegate_id": first})["type"] == "ack"
    )
    checked = events_of(server, meeting["meeting_id"], DelegateCheckedIn)
    assert len(checked) == len({e.delegate_id for e in checked}) == 598
    how = {e.delegate_id: e.how for e in checked}
    assert {how[r.delegate_id] for d in doors for r in d.scanned} == {"code"}
    assert {how[r.delegate_id] for d in doors for r in d.by_name} == {"name"}
    the_record_has_them(meeting, doors)
    report = page_errors.watch(browser.new_page(viewport=CONSOLE))  # type: ignore[arg-type]
    report.goto(meeting["links"]["host"] + "/report")
    expect(report.locator("#report-delegates")).to_contain_text("601 (được mời 600;")
    screenshot(report, "report-delegates")
    assert page_errors.messages == []


def the_record_has_them(meeting: dict[str, Any], doors: list[Door]) -> None:
    """The same figures in the report page, the minutes and the workbook."""
    absent = [r for d in doors for r in d.absent]
    _, women, young = came([r for d in doors for r in d.invited if r not in absent])
    expected = f"601 (được mời 600; nữ {women}; dưới 35 tuổi {young}; không có giấy mời 3; vắng 2)"
    with httpx.Client(timeout=120, headers={"accept": "text/html"}) as http:
        report = http.get(meeting["links"]["host"] + "/report").text
        minutes = http.get(meeting["links"]["host"] + "/export/minutes.docx").content
        sheet = http.get(meeting["links"]["host"] + "/export/questions.xlsx").content
    shown = re.sub(r"<[^>]+>", " ", report.split('id="report-delegates">')[1].split("</li>")[0])
    assert " ".join(shown.split()) == expected
    assert f"Tổng số đại biểu dự: {expected}." in docx_text(minutes)
    figures = {row[1]: row[2] for row in sheet_rows(sheet, "Thống kê") if row[1]}
    assert (figures["Được mời"], figures["Có mặt theo giấy mời"], figures["Vắng"]) == (600, 598, 2)
    assert (figures["Trong đó nữ"], figures["Trong đó dưới 35 tuổi"]) == (women, young)
    assert figures["Không có giấy mời"] == WALK_INS
    sites_sheet = {row[0]: row[3:9] for row in sheet_rows(sheet, "Điểm cầu")[1:]}
    for door in doors:
        present = [r for r in door.invited if r not in door.absent]
        assert sites_sheet[door.link["name"]] == (
            len(door.invited),
            *came(present),
            "chưa ghi nhận" if door.walk_ins is None else door.walk_ins,
            len(door.absent),
        ), door.link["name"]


def test_an_invitation_votes_from_one_phone_and_the_door_frees_it_for_a_new_one(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    """The delegate votes with their invitation; a photo of it on another phone is refused on
    that phone in words; the door frees the invitation when the first phone is lost."""
    site = meeting["links"]["sites"][1]
    host = driver.client(server, meeting["links"]["host"])
    drafts = [{"name": "Nguyễn Văn An", "site_id": site["site_id"]}]
    driver.command(host, {"type": "invite_delegates", "delegates": drafts})
    (invited,) = events_of(server, meeting["meeting_id"], DelegatesInvited)
    an = invited.delegates[0].delegate_id
    driver.command(host, {"type": "check_in_delegate", "delegate_id": an})
    rules = {"type": "set_voting_rules", "eligibility": "invitation", "allow_change": False}
    driver.command(host, rules)
    driver.run(open_ballot(host))
    sheet = browser.new_page(viewport=CONSOLE)  # type: ignore[arg-type]
    sheet.goto(meeting["links"]["host"] + "/invitations")
    link = invitation_codes(sheet)[an]
    sheet.close()

    phones = [browser.new_context(viewport=PHONE) for _ in range(2)]  # type: ignore[arg-type]
    first, photo = (page_errors.watch(context.new_page()) for context in phones)
    for phone in (first, photo):
        phone.goto(link)
        expect(phone.locator("#phone-ballot")).to_be_visible()
    first.locator("#phone-ballot button.vote-satisfied").click()
    expect(first.locator("#vote-counted")).to_be_visible()
    photo.locator("#phone-ballot button.vote-satisfied").click()
    expect(photo.locator(".toast.error, #toast.error")).to_contain_text("điện thoại khác")
    screenshot(photo, "phone-invitation-in-use")

    door = page_errors.watch(browser.new_page(viewport=PHONE))  # type: ignore[arg-type]
    door.goto(site["secretary"] + "/door")
    door.on("dialog", lambda dialog: dialog.accept())
    release = door.locator(f"#door-{an} button.door-release")
    release.scroll_into_view_if_needed()
    screenshot(door, "door-invitation-held")
    release.click()
    expect(release).to_have_count(0)
    assert events_when_there(server, meeting["meeting_id"], InvitationReleased)
    for context in phones:
        context.close()
    assert page_errors.messages == []


def test_the_door_keeps_its_check_ins_while_the_server_is_away_and_sends_them_once(
    browser: Browser,
    server: ServerProcess,
    meeting: dict[str, Any],
    page_errors: PageErrors,
    driver: Driver,
) -> None:
    """The hall's Wi-Fi drops at the door: a check-in and an absence wait on the phone, said
    so, and land once each when the server is back."""
    site = meeting["links"]["sites"][1]
    host = driver.client(server, meeting["links"]["host"])
    drafts = [{"name": n, "site_id": site["site_id"]} for n in ("Lê Văn Tám", "Đỗ Thị Hằng")]
    driver.command(host, {"type": "invite_delegates", "delegates": drafts})
    driver.run(host.close())  # before the server goes: its socket is not the door's
    (invited,) = events_of(server, meeting["meeting_id"], DelegatesInvited)
    tam, hang = (d.delegate_id for d in invited.delegates)
    door = page_errors.watch(browser.new_page(viewport=PHONE))  # type: ignore[arg-type]
    door.goto(site["secretary"] + "/door")
    expect(door.locator("body")).to_have_attribute("data-online", "true")
    server.stop()
    expect(door.locator("body")).to_have_attribute("data-online", "false")
    door.locator("#door-search").fill("le van tam")
    door.locator(f"#door-{tam} button.door-check-in").click()
    door.locator("#door-search").fill("do thi hang")
    away = door.locator(f"#door-{hang}")
    away.locator("summary").click()
    away.locator("input[name=reason]").fill("Đi viện")
    away.locator("button[type=submit]").click()
    expect(door.locator("#conn")).to_contain_text("2 thao tác đang chờ gửi")
    screenshot(door, "door-offline")
    server.start()
    expect(door.locator("body")).to_have_attribute("data-online", "true", timeout=30_000)
    door.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=15_000)
    expect(door.locator(f"#door-{tam}")).to_have_attribute("data-status", "present")
    expect(door.locator(f"#door-{hang}")).to_have_attribute("data-status", "absent")
    assert [e.delegate_id for e in events_of(server, meeting["meeting_id"], DelegateCheckedIn)] == [
        tam
    ]
    (absent,) = events_of(server, meeting["meeting_id"], DelegateMarkedAbsent)
    assert (absent.delegate_id, absent.reason) == (hang, "Đi viện")
    page_errors.messages.clear()  # the browser logs each refused reconnect
