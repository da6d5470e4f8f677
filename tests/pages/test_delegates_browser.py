"""The delegate list in Chromium, through the real pages: composition targets for 4 sites, 600
delegates imported from a workbook in the administrative layout ("Năm sinh" merged over "Nam" |
"Nữ") through the mapping step, and the composition table checked against the list."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Locator, Page, expect

from server.core.events import DelegatesInvited
from tests.pages.conftest import CONSOLE, SHOTS, PageErrors, screenshot
from tests.support.driver import events_of
from tests.support.server import ServerProcess, create_meeting

pytestmark = pytest.mark.browser

HALL = "Hội trường UBND phường Thạch Bàn"
SITES = ["Nhà văn hóa tổ 3", "Nhà văn hóa tổ 7", "Trường THCS Thạch Bàn"]
# Each site as the list writes it, and the residential groups it seats.
WRITTEN = {
    HALL: ("Hội trường phường", ["Tổ dân phố số 1", "Tổ dân phố số 2"]),
    SITES[0]: ("Điểm cầu Nhà văn hóa tổ dân phố số 3", ["Tổ dân phố số 3", "Tổ dân phố số 4"]),
    SITES[1]: ("NVH tổ 7", ["Tổ dân phố số 5", "Tổ dân phố số 6", "Tổ dân phố số 7"]),
    SITES[2]: ("Trường THCS Thạch Bàn", ["Tổ dân phố số 8", "Tổ dân phố số 9"]),
}
PER_SITE = {HALL: 120, SITES[0]: 150, SITES[1]: 180, SITES[2]: 150}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = {"male": ["Văn", "Đức", "Minh", "Quang", "Hữu"], "female": ["Thị", "Thu", "Ngọc", "Thanh"]}
GIVEN = {
    "male": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Phúc", "Sơn", "Tâm"],
    "female": ["Anh", "Châu", "Dung", "Giang", "Hà", "Hoa", "Lan", "Mai", "Nga", "Oanh", "Yến"],
}
POSITIONS = ["Cử tri", "Tổ trưởng tổ dân phố", "Cựu chiến binh", "Đoàn viên thanh niên", ""]
MEETING_YEAR = 2026  # tests/support/server.py's meeting, on 2026-11-22


@dataclass(frozen=True)
class Delegate:
    name: str
    gender: str
    born: int | None  # None: an age band written instead
    group: str
    site: str


def the_list() -> list[Delegate]:
    """600 delegates, the same every run: a third of them women, some young, six with an age
    band in place of a year."""
    chance = random.Random(17)
    delegates = []
    names: set[str] = set()
    for site, count in PER_SITE.items():
        groups = WRITTEN[site][1]
        for number in range(count):
            gender = "female" if chance.random() < 0.36 else "male"
            name = ""
            while not name or name in names:  # two of one name would be marked "twice"
                given = chance.sample(GIVEN[gender], 2 if chance.random() < 0.5 else 1)
                name = " ".join([chance.choice(FAMILY), chance.choice(MIDDLE[gender]), *given])
            names.add(name)
            born = chance.choice(range(1950, 2006))
            age_band = site == SITES[1] and number % 30 == 0
            delegates.append(
                Delegate(
                    name, gender, None if age_band else born, groups[number % len(groups)], site
                )
            )
    return delegates


def write_workbook(path: Path, delegates: list[Delegate]) -> None:
    """The administrative layout: a title, then "Năm sinh" merged over "Nam" and "Nữ"."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Đại biểu"
    sheet.append(["DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ TIẾP XÚC, ĐỐI THOẠI"])
    sheet.append(["STT", "Họ và tên", "Năm sinh", None, "Tổ dân phố", "Chức vụ", "Điểm cầu", "SĐT"])
    sheet.append([None, None, "Nam", "Nữ", None, None, None, None])
    sheet.merge_cells("C2:D2")
    for number, d in enumerate(delegates, start=1):
        year: int | str = d.born if d.born is not None else "Trên 60"
        male, female = (year, None) if d.gender == "male" else (None, year)
        phone = f"0900 {number:06}"
        position = POSITIONS[number % len(POSITIONS)]
        sheet.append([number, d.name, male, female, d.group, position, WRITTEN[d.site][0], phone])
    book.save(path)


def measure(invited: int, target: int | None, floor: bool = False) -> str:
    """A cell of the composition table as the host reads it; a floor (women, under 35) is met
    by more, a count (delegates, a group's) is not."""
    if target is None:
        return f"{invited} / chưa đặt"
    if invited < target:
        return f"{invited} / {target} thiếu {target - invited}"
    if invited > target and not floor:
        return f"{invited} / {target} thừa {invited - target}"
    return f"{invited} / {target} ✓"


def young(d: Delegate) -> bool:
    return d.born is not None and MEETING_YEAR - d.born < 35


@dataclass(frozen=True)
class Targets:
    total: int
    women: int
    under_35: int | None
    by_group: dict[str, int]


def targets_for(delegates: list[Delegate]) -> dict[str, Targets]:
    """What each site was asked for: the hall's list is complete, the others fall short of
    something (the hall's and the school's under-35 target is not set)."""
    mine = {site: [d for d in delegates if d.site == site] for site in PER_SITE}

    def count(site: str, keep: Any) -> int:
        return sum(1 for d in mine[site] if keep(d))

    def groups(site: str, extra: int = 0) -> dict[str, int]:
        return {g: count(site, lambda d, g=g: d.group == g) + extra for g in WRITTEN[site][1]}

    return {
        HALL: Targets(120, count(HALL, lambda d: d.gender == "female"), None, groups(HALL)),
        SITES[0]: Targets(160, 60, 30, groups(SITES[0], extra=5)),
        SITES[1]: Targets(180, 70, 40, groups(SITES[1])),
        SITES[2]: Targets(150, 50, None, {}),
    }


def open_page(browser: Browser, errors: PageErrors, meeting: dict[str, Any]) -> Page:
    page = errors.watch(browser.new_page(viewport=CONSOLE))  # type: ignore[arg-type]
    page.goto(meeting["links"]["host"] + "/delegates")
    return page


def set_targets(page: Page, site: str, targets: Targets, shot: str = "") -> None:
    """Through the site's "Chỉ tiêu" link; the groups named on the form's lines."""
    page.locator("#composition-table tbody tr", has_text=site).get_by_role(
        "link", name="Chỉ tiêu"
    ).click()
    form = page.locator("#targets-form")
    expect(page.locator("#targets-h")).to_have_text(f"Chỉ tiêu cơ cấu: {site}")
    form.get_by_label("Số đại biểu", exact=True).fill(str(targets.total))
    form.get_by_label("Trong đó nữ", exact=True).fill(str(targets.women))
    form.get_by_label("Trong đó dưới 35 tuổi", exact=True).fill(
        "" if targets.under_35 is None else str(targets.under_35)
    )
    for line, (group, number) in enumerate(targets.by_group.items()):
        name = form.locator(f"input[name=group-{line}]")
        if name.input_value() != group:
            name.fill(group)
        form.locator(f"input[name=count-{line}]").fill(str(number))
    if shot:
        page.locator("#composition-form").screenshot(path=SHOTS / f"{shot}.png")
    form.get_by_role("button", name="Lưu chỉ tiêu").click()
    expect(page.locator("#saved")).to_have_text(f"Đã lưu chỉ tiêu cơ cấu của {site}.")


def check_row(row: Locator, mine: list[Delegate], wanted: Targets) -> None:
    """A site's row of the composition table, against its list and its targets."""
    women = sum(d.gender == "female" for d in mine)
    under_35 = sum(young(d) for d in mine)
    in_group = {group: sum(d.group == group for d in mine) for group in {d.group for d in mine}}
    expect(row.locator("td.total")).to_have_text(measure(len(mine), wanted.total))
    expect(row.locator("td.women")).to_have_text(measure(women, wanted.women, floor=True))
    unknown = sum(d.born is None for d in mine)
    young_cell = measure(under_35, wanted.under_35, floor=True)
    expect(row.locator("td.under-35")).to_have_text(
        f"{young_cell} chưa rõ năm sinh: {unknown}" if unknown else young_cell
    )
    expect(row.locator("td.groups li")).to_have_text(
        [f"{g}: {measure(in_group[g], wanted.by_group.get(g))}" for g in sorted(in_group)]
    )
    short = [
        f"{target - have} {label}"
        for target, have, label in (
            (wanted.total, len(mine), "đại biểu"),
            (wanted.women, women, "nữ"),
            (wanted.under_35, under_35, "người dưới 35 tuổi"),
        )
        if target is not None and target > have
    ]
    short += [f"{g}: {n - in_group[g]}" for g, n in wanted.by_group.items() if n > in_group[g]]
    if short:
        expect(row.locator("td.missing li")).to_have_text(short)
    else:
        expect(row.locator("td.missing")).to_have_text("Đủ")


def laptop_shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-laptop.png")
    screenshot(page, name)


def correct_a_name_by_hand(page: Page) -> None:
    """A name misspelt on the list, corrected on its row of the host's page."""
    first_row = page.locator("#delegate-list tbody tr").first
    first_row.locator("details.delegate-edit > summary").click()
    first_row.locator("input[name=name]").fill("Nguyễn Văn Thành Long")
    first_row.locator("details.delegate-edit").screenshot(path=SHOTS / "delegates-edit-row.png")
    first_row.get_by_role("button", name="Lưu").click()
    expect(page.locator("#delegate-list tbody")).to_contain_text("Nguyễn Văn Thành Long")


def test_600_delegates_over_4_sites_against_their_composition_targets(
    browser: Browser, server: ServerProcess, page_errors: PageErrors, tmp_path: Path
) -> None:
    meeting = create_meeting(server, sites=SITES, main_hall=HALL)
    delegates = the_list()
    assert len(delegates) == 600
    workbook = tmp_path / "danh-sach-dai-bieu-600.xlsx"
    write_workbook(workbook, delegates)
    targets = targets_for(delegates)
    page = open_page(browser, page_errors, meeting)
    expect(page.locator("#composition-table tbody tr")).to_have_count(4)
    expect(page.locator("#composition-table tbody tr").first.locator("td.total")).to_have_text(
        "0 / chưa đặt"
    )

    # two sites' targets before the list comes (no groups known yet: written on blank lines)
    set_targets(page, SITES[2], targets[SITES[2]])
    set_targets(page, SITES[0], targets[SITES[0]])

    page.set_input_files("#file", str(workbook))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.locator("#preview-h")).to_contain_text("600 đại biểu")
    expect(page.locator("#problems")).to_have_count(0)
    mapping = page.locator("#site-mapping")
    expect(mapping.locator("tbody tr")).to_have_count(2)
    hall = page.get_by_label("Hội trường phường", exact=True)
    expect(hall).to_have_value(
        next(s["site_id"] for s in meeting["links"]["sites"] if s["name"] == HALL)
    )
    expect(mapping.locator("tbody tr", has_text="Hội trường phường")).to_contain_text(
        "gợi ý theo tên"
    )
    expect(page.locator(".file-note")).to_contain_text("6 đại biểu được ghi tuổi hoặc nhóm tuổi")
    laptop_shot(page, "delegates-mapping")
    page.get_by_label("NVH tổ 7").select_option(label=SITES[1])
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.locator("#confirm-import")).to_have_text("Nhập 600 đại biểu")
    rows = page.locator("#preview tbody tr")
    expect(rows).to_have_count(600)
    first = delegates[0]
    expect(rows.first).to_contain_text(first.name)
    expect(rows.first).to_contain_text("0900 000001".replace(" ", ""))
    page.locator("#confirm-import").click()
    expect(page.locator("#imported")).to_have_text("Đã mời 600 đại biểu.")

    # the other two sites' targets, their groups now on the form's lines
    set_targets(page, HALL, targets[HALL])
    set_targets(page, SITES[1], targets[SITES[1]], shot="delegates-targets-form")

    (event,) = events_of(server, meeting["meeting_id"], DelegatesInvited)
    assert len(event.delegates) == 600
    table = page.locator("#composition-table")
    for site, wanted in targets.items():
        check_row(
            table.locator("tbody tr", has_text=site),
            [d for d in delegates if d.site == site],
            wanted,
        )
    expect(table.locator("tbody tr", has_text=HALL).locator("td.missing")).to_have_text("Đủ")
    expect(table.locator("#composition-totals td").first).to_have_text("600 / 610 thiếu 10")
    table.scroll_into_view_if_needed()
    table.screenshot(path=SHOTS / "delegates-composition-table.png")
    laptop_shot(page, "delegates-composition")

    # one site's list: the host's page, phones on it
    table.locator("tbody tr", has_text=SITES[2]).get_by_role("link", name="Danh sách (150)").click()
    expect(page.locator("#delegate-list tbody tr")).to_have_count(150)
    screenshot(page, "delegates-list")
    correct_a_name_by_hand(page)
    assert page_errors.messages == []
