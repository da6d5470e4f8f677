"""The delegate list over HTTP: the sample's four forms through the mapping step, a residential
group standing in for a site not written, the same file or the same people caught, composition
targets and what is missing, every bad input answered in Vietnamese and changing nothing, and
the phone numbers kept on the host's page."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.cli import DEMO_SITES
from server.core.events import (
    CompositionSet,
    DelegateEdited,
    DelegateRecord,
    DelegatesInvited,
    DelegateUninvited,
)
from tests.support.client import LiveClient
from tests.support.driver import events_of
from tests.support.server import ServerProcess, create_meeting
from tests.test_exports import sheet_rows
from tests.web.test_intake_pages import confirm_token, mapping, mapping_token, problems
from tests.web.test_security import FOREIGN, assert_refused

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
SHIPPED = ROOT / "docs" / "mau-danh-sach-dai-bieu.csv"
SCHOOL_WRITTEN = "Trường TH Nguyễn Trãi"  # how the sample writes the site "Trường Tiểu học …"
HTML = {"accept": "text/html"}
PHONE = re.compile(r"0900\s?00\d\s?\d{3}|09000\d{5}")


@pytest.fixture
def demo_meeting(server: ServerProcess) -> dict[str, Any]:
    """The sites `./diemcau demo` makes."""
    return create_meeting(server, sites=DEMO_SITES, main_hall="Hội trường UBND phường")


def page_url(meeting: dict[str, Any]) -> str:
    host: str = meeting["links"]["host"]
    return host + "/delegates"


def site_ids(meeting: dict[str, Any]) -> dict[str, str]:
    return {site["name"]: site["site_id"] for site in meeting["links"]["sites"]}


async def upload(meeting: dict[str, Any], name: str, content: bytes) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(page_url(meeting), files={"file": (name, content)})


async def post(meeting: dict[str, Any], path: str, form: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(page_url(meeting) + path, data=form)


async def get(meeting: dict[str, Any], **params: str) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.get(page_url(meeting), params=params)


async def map_as_shown(meeting: dict[str, Any], page: str, **chosen: str) -> httpx.Response:
    """The mapping step sent back with what it shows chosen, `chosen` replacing some; answers
    the preview it leads to."""
    form = {"token": mapping_token(page)}
    for written, (name, selected) in mapping(page).items():
        form[name] = chosen.get(written, selected)
    async with httpx.AsyncClient(headers=HTML, timeout=30, follow_redirects=True) as http:
        return await http.post(page_url(meeting) + "/sites", data=form)


async def confirm(meeting: dict[str, Any], page: str, already: str | None = None) -> httpx.Response:
    form = {"token": confirm_token(page)}
    if already is not None:
        form["already"] = already
    return await post(meeting, "/confirm", form)


def invited(server: ServerProcess, meeting: dict[str, Any]) -> list[DelegateRecord]:
    events = events_of(server, meeting["meeting_id"], DelegatesInvited)
    return [record for event in events for record in event.delegates]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(row) for row in rows).encode()


def composition_row(page: str, site_id: str) -> str:
    """One site's row of the composition table, as text."""
    found = re.search(rf'<tr id="composition-{site_id}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert found is not None, f"no composition row for {site_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


async def import_sample(meeting: dict[str, Any], name: str = SHIPPED.name) -> httpx.Response:
    """The sample through the mapping step, its school answered as the demo's primary school."""
    content = SHIPPED.read_bytes() if name == SHIPPED.name else (DATA / name).read_bytes()
    preview = await upload(meeting, name, content)
    school = site_ids(meeting)["Trường Tiểu học Nguyễn Trãi"]
    mapped = await map_as_shown(meeting, preview.text, **{SCHOOL_WRITTEN: school})
    return await confirm(meeting, mapped.text)


# -- the sample's four forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "danh-sach-dai-bieu.csv",
        "danh-sach-dai-bieu.cp1258.csv",
        "danh-sach-dai-bieu.utf16.txt",
        "danh-sach-dai-bieu.xlsx",
    ],
)
async def test_every_form_of_the_sample_maps_one_site_and_invites_sixty_once(
    server: ServerProcess, demo_meeting: dict[str, Any], name: str
) -> None:
    ids = site_ids(demo_meeting)
    preview = await upload(demo_meeting, name, (DATA / name).read_bytes())
    assert preview.status_code == 200
    assert problems(preview.text) == []
    assert 'id="unused-columns"' not in preview.text
    assert "60 đại biểu" in preview.text
    # every site as the Front writes it is recognised but the school, which is asked about
    assert mapping(preview.text) == {SCHOOL_WRITTEN: ("site-5", "")}
    assert "“Nhà văn hoá KP Đông” → Nhà văn hóa khu phố Đông" in html.unescape(preview.text)
    assert 'id="confirm-import"' not in preview.text  # the sites first
    refused = await post(demo_meeting, "/confirm", {"token": mapping_token(preview.text)})
    assert refused.status_code == 400
    assert "chưa được ghép" in html.unescape(refused.text)

    mapped = await map_as_shown(
        demo_meeting, preview.text, **{SCHOOL_WRITTEN: ids["Trường Tiểu học Nguyễn Trãi"]}
    )
    assert "Nhập 60 đại biểu" in mapped.text
    for _ in range(2):  # a double click invites once
        done = await confirm(demo_meeting, mapped.text)
        assert done.status_code == 303
        assert done.headers["location"].endswith("imported=60&skipped=0&left_out=0#composition")
    records = invited(server, demo_meeting)
    assert len(records) == 60
    by_site = {name: sum(r.site_id == site_id for r in records) for name, site_id in ids.items()}
    assert by_site == {
        "Hội trường UBND phường": 11,
        "Tổ dân phố 1": 9,
        "Tổ dân phố 2": 9,
        "Tổ dân phố 3": 9,
        "Nhà văn hóa khu phố Đông": 14,
        "Trường Tiểu học Nguyễn Trãi": 8,
    }
    first = records[0]
    assert (first.name, first.group, first.gender, first.birth_year, first.phone) == (
        "Nguyễn Văn Thắng",
        "Tổ dân phố số 1",
        "male",
        1962,
        "0900001101",
    )
    page = await get(demo_meeting, imported="60", skipped="0", left_out="0")
    assert "Đã mời 60 đại biểu." in page.text


# -- imported again -----------------------------------------------------------------------------


async def test_the_same_file_twice_is_caught_and_invites_nobody_unless_asked(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    assert (await import_sample(demo_meeting)).status_code == 303
    again = await upload(demo_meeting, "danh-sach (1).csv", SHIPPED.read_bytes())
    assert 'id="file-already"' in again.text
    assert SHIPPED.name in again.text  # named as it was imported the first time
    school = site_ids(demo_meeting)["Trường Tiểu học Nguyễn Trãi"]
    assert mapping(again.text) == {SCHOOL_WRITTEN: ("site-5", school)}  # the last answer
    assert "như lần nhập trước" in again.text
    preview = await map_as_shown(demo_meeting, again.text)
    assert preview.text.count('<tr class="already">') == 60
    assert 'name="already" value="skip" checked' in preview.text
    skipped = await confirm(demo_meeting, preview.text)
    assert skipped.status_code == 409
    assert "Mọi đại biểu trong tệp này đã có trong danh sách" in html.unescape(skipped.text)
    assert len(invited(server, demo_meeting)) == 60
    anyway = await confirm(demo_meeting, preview.text, already="import")
    assert anyway.status_code == 303
    assert len(invited(server, demo_meeting)) == 120


async def test_the_same_people_retyped_are_caught_and_skipped(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    assert (await import_sample(demo_meeting)).status_code == 303
    ids = site_ids(demo_meeting)
    content = csv_bytes(
        [
            ["Ho va ten", "To dan pho", "Diem cau", "Nam sinh", "Gioi tinh"],
            # the same people: capitals, no diacritics on the group, "Tổ 1" for "Tổ dân phố số 1"
            ["NGUYỄN VĂN THẮNG", "To dan pho so 1", "Hội trường UBND phường", "1962", "Nam"],
            ["Nguyễn Thị Thanh Hương", "Tổ 1", "Tổ dân phố 1", "", "Nữ"],
            # the same name, group and site born another year: another person
            ["Trịnh Văn Hải", "Tổ 1", "Tổ dân phố 1", "1999", "Nam"],
            # new
            ["Kim Thị Ngọc Lan", "Tổ 2", "Tổ dân phố 2", "1996", "Nữ"],
            ["Kim Thị Ngọc Lan", "Tổ 2", "Tổ dân phố 2", "1996", "Nữ"],
        ]
    )
    preview = await upload(demo_meeting, "bo-sung.csv", content)
    assert problems(preview.text) == []
    assert 'id="file-already"' not in preview.text
    assert preview.text.count('<tr class="already">') == 2
    assert "2 đại biểu trong số này đã có trong danh sách" in html.unescape(preview.text)
    assert 'id="twice-in-file"' in preview.text
    assert preview.text.count("trùng trong tệp") == 2  # the notice and the second line
    done = await confirm(demo_meeting, preview.text)
    assert done.headers["location"].endswith("imported=3&skipped=2&left_out=0#composition")
    added = invited(server, demo_meeting)[60:]
    assert [(r.name, r.site_id) for r in added] == [
        ("Trịnh Văn Hải", ids["Tổ dân phố 1"]),
        ("Kim Thị Ngọc Lan", ids["Tổ dân phố 2"]),
        ("Kim Thị Ngọc Lan", ids["Tổ dân phố 2"]),
    ]


# -- sites the file does not write --------------------------------------------------------------


async def test_without_a_site_column_each_group_is_asked_with_a_proposal_or_left_out(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    ids = site_ids(demo_meeting)
    content = csv_bytes(
        [
            ["STT", "Họ và tên", "Tổ dân phố", "Ghi chú"],
            ["1", "Lê Văn Tám", "Tổ dân phố số 1", ""],
            ["2", "Ngô Thị Chín", "Tổ dân phố số 1", ""],
            ["3", "Đào Văn Mười", "Tổ dân phố số 9", "phường khác"],
            ["4", "Hà Thị Một", "", ""],
        ]
    )
    preview = await upload(demo_meeting, "theo-to.csv", content)
    assert problems(preview.text) == []
    assert "<strong>Ghi chú</strong>" in preview.text.split('id="unused-columns"')[1]
    asked = mapping(preview.text)
    # a group's name is only ever a proposal; the rows with neither are asked about too
    assert {written: selected for written, (_, selected) in asked.items()} == {
        "Tổ dân phố số 1": ids["Tổ dân phố 1"],
        "Tổ dân phố số 9": "",
        "không ghi điểm cầu, không ghi tổ dân phố": "",
    }
    assert "tổ dân phố; tệp không ghi điểm cầu" in preview.text
    unanswered = await map_as_shown(demo_meeting, preview.text)
    assert unanswered.status_code == 400
    assert problems(unanswered.text) == [
        "Hãy chọn điểm cầu cho “Tổ dân phố số 9”, hoặc không nhập các đại biểu đó.",
        "Hãy chọn điểm cầu cho các đại biểu không ghi điểm cầu và tổ dân phố, hoặc không nhập họ.",
    ]
    mapped = await map_as_shown(
        demo_meeting,
        preview.text,
        **{
            "Tổ dân phố số 9": "none",
            "không ghi điểm cầu, không ghi tổ dân phố": ids["Hội trường UBND phường"],
        },
    )
    assert problems(mapped.text) == []
    assert "1 đại biểu không được nhập, theo lựa chọn cho điểm cầu của họ." in mapped.text
    assert "Nhập 3 đại biểu" in mapped.text
    done = await confirm(demo_meeting, mapped.text)
    assert done.headers["location"].endswith("imported=3&skipped=0&left_out=1#composition")
    assert [(r.name, r.site_id) for r in invited(server, demo_meeting)] == [
        ("Lê Văn Tám", ids["Tổ dân phố 1"]),
        ("Ngô Thị Chín", ids["Tổ dân phố 1"]),
        ("Hà Thị Một", ids["Hội trường UBND phường"]),
    ]


# -- what the file says besides -----------------------------------------------------------------


async def test_ages_instead_of_years_and_unknown_columns_are_reported_not_dropped(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    content = csv_bytes(
        [
            ["Họ và tên", "Độ tuổi", "Nữ", "Dân tộc", "Điểm cầu"],
            ["Lê Thị Hoa", "Dưới 35", "x", "Kinh", "Tổ dân phố 1"],
            ["Trần Văn Nam", "35 - 60", "", "Tày", "Tổ dân phố 1"],
        ]
    )
    preview = await upload(demo_meeting, "tuoi.csv", content)
    text = html.unescape(preview.text)
    assert problems(preview.text) == []
    assert "<strong>Dân tộc</strong>" in text.split('id="unused-columns"')[1]
    assert (
        "2 đại biểu được ghi tuổi hoặc nhóm tuổi thay cho năm sinh (như “Dưới 35”, dòng 2, 3):"
        " năm sinh của họ để trống, nên họ không được tính vào số dưới 35 tuổi." in text
    )
    assert (
        "Chỉ có cột Nữ cho biết giới tính: các đại biểu không được đánh dấu ở cột đó được tính là nam."
        in text
    )
    assert "Chưa rõ năm sinh: 2 đại biểu" in text
    assert (await confirm(demo_meeting, preview.text)).status_code == 303
    assert [(r.gender, r.birth_year) for r in invited(server, demo_meeting)] == [
        ("female", None),
        ("male", None),
    ]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", ["Tệp rỗng."]),
        ("noise.csv", bytes(range(256)) * 40, ["noise.csv không phải bảng văn bản"]),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ["tệp Excel cũ"]),
        ("y-kien.csv", (DATA / "y-kien-truoc-hoi-nghi.csv").read_bytes(), ["Thiếu cột Họ và tên."]),
        ("tieu-de.csv", "Họ và tên,Giới tính\r\n".encode(), ["không có đại biểu nào"]),
        (
            "sai.csv",
            "Họ và tên,Giới tính,Năm sinh,SĐT\n"
            "Lê Thị Hoa,Nữ,1990,0903123456\n"
            "Trần Văn Nam,x,1960,\n"
            "Đỗ Thị Lan,Nữ,75,\n"
            "Phạm Văn Bình,Nam,2031,\n"
            ",Nam,1970,\n"
            "Vũ Thị Mai,Nữ,1980,12\n".encode(),
            [
                "Cột Giới tính: “x” không phải là Nam hay Nữ.",
                "Cột Năm sinh: “75” không phải là năm sinh; hãy ghi đủ bốn chữ số (1975).",
                "2031 không phải là năm sinh hợp lệ.",  # after the meeting's year, 2026
                "Cột Họ và tên đang trống.",
                "Cột SĐT: “12” không phải là một số điện thoại.",
            ],
        ),
    ],
    ids=["empty", "random-bytes", "old-xls", "the-opinions", "header-only", "bad-cells"],
)
async def test_a_bad_file_lists_its_problems_in_vietnamese_and_invites_nobody(
    server: ServerProcess,
    demo_meeting: dict[str, Any],
    name: str,
    content: bytes,
    expected: list[str],
) -> None:
    preview = await upload(demo_meeting, name, content)
    assert preview.status_code == 200
    found = problems(preview.text)
    assert len(found) == len(expected)
    for message, wanted in zip(found, expected, strict=True):
        assert wanted in message
    assert 'id="confirm-import"' not in preview.text
    assert 'id="site-mapping"' not in preview.text
    if name == "sai.csv":
        table = preview.text.split('id="problems"')[1].split("</table>")[0]
        lines = re.findall(r'<tr><td class="num">(\d+)</td>', table)
        assert lines == ["3", "4", "5", "6", "7"]  # the header is line 1
        token = re.search(r'name="token" value="([^"]+)"', preview.text)
        assert token is None  # nothing to confirm
    assert invited(server, demo_meeting) == []


async def test_no_file_is_answered_in_vietnamese(demo_meeting: dict[str, Any]) -> None:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        answer = await http.post(page_url(demo_meeting), files={"other": ("x.csv", b"a")})
    assert answer.status_code == 400
    assert problems(answer.text) == ["Hãy chọn tệp để tải lên."]


async def test_a_mapping_with_another_meetings_site_or_no_choice_changes_nothing(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    other = create_meeting(server, sites=["Nhà văn hóa tổ 12"])
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    token = mapping_token(preview.text)
    foreign = site_ids(other)["Nhà văn hóa tổ 12"]
    refused = await post(demo_meeting, "/sites", {"token": token, "site-5": foreign})
    assert refused.status_code == 400
    assert problems(refused.text) == [
        f"Điểm cầu chọn cho “{SCHOOL_WRITTEN}” không thuộc hội nghị này."
    ]
    unchosen = await post(demo_meeting, "/sites", {"token": token})
    assert unchosen.status_code == 400
    assert problems(unchosen.text) == [
        f"Hãy chọn điểm cầu cho “{SCHOOL_WRITTEN}”, hoặc không nhập các đại biểu đó."
    ]
    assert (await post(demo_meeting, "/confirm", {"token": token})).status_code == 400
    assert invited(server, demo_meeting) == []


@pytest.mark.parametrize("where", ["sites", "confirm", "preview"])
async def test_a_tampered_expired_or_foreign_token_invites_nobody(
    server: ServerProcess, demo_meeting: dict[str, Any], where: str
) -> None:
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    token = mapping_token(preview.text)
    for bad in ("made-up", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 5000):
        if where == "preview":
            answer = await get(demo_meeting, preview=bad)
        else:
            answer = await post(demo_meeting, f"/{where}", {"token": bad})
        assert answer.status_code == 404
        assert "Bản xem trước này đã hết hạn hoặc không tồn tại" in answer.text
    # a real token, of another meeting; and an opinions' preview is not a delegate list's
    other = create_meeting(server, sites=DEMO_SITES)
    theirs = await upload(other, SHIPPED.name, SHIPPED.read_bytes())
    answer = await post(demo_meeting, "/confirm", {"token": mapping_token(theirs.text)})
    assert answer.status_code == 404
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        opinions = await http.post(
            demo_meeting["links"]["host"] + "/intake",
            files={"file": ("y.csv", (DATA / "y-kien-truoc-hoi-nghi.csv").read_bytes())},
        )
    opinions_token = re.search(r'name="token" value="([^"]+)"', opinions.text)
    assert opinions_token is not None
    answer = await post(demo_meeting, "/confirm", {"token": opinions_token.group(1)})
    assert answer.status_code == 404
    assert invited(server, demo_meeting) == []
    assert invited(server, other) == []


async def test_a_choice_that_is_neither_skip_nor_import_is_refused(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    preview = await upload(demo_meeting, "ba.csv", csv_bytes([["Họ và tên"], ["Lê Thị Hoa"]]))
    mapped = await map_as_shown(
        demo_meeting,
        preview.text,
        **{"không ghi điểm cầu, không ghi tổ dân phố": site_ids(demo_meeting)["Tổ dân phố 1"]},
    )
    refused = await confirm(demo_meeting, mapped.text, already="both")
    assert refused.status_code == 400
    assert "“both” không phải là “bỏ qua” hay “vẫn nhập”." in html.unescape(refused.text)
    assert invited(server, demo_meeting) == []


async def test_only_the_hosts_key_opens_the_list(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    host = demo_meeting["links"]["host"]
    secretary = demo_meeting["links"]["sites"][1]["secretary"]
    meeting_path, secretary_key = secretary.split("/s/", 1)[0], secretary.rsplit("/", 1)[1]
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        for base in (host[:-3] + "xyz", f"{meeting_path}/host/{secretary_key}"):
            assert (await http.get(base + "/delegates")).status_code == 403
            sent = await http.post(base + "/delegates", files={"file": ("a.csv", b"x")})
            assert sent.status_code == 403
            for path in ("/sites", "/confirm", "/composition"):
                assert (await http.post(base + "/delegates" + path, data={})).status_code == 403
    assert invited(server, demo_meeting) == []


# -- composition --------------------------------------------------------------------------------


async def test_composition_targets_and_what_is_missing_unset_never_zero(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    ids = site_ids(demo_meeting)
    before = await get(demo_meeting)
    assert composition_row(before.text, ids["Tổ dân phố 1"]) == (
        "Tổ dân phố 1 Chỉ tiêu · Danh sách (0) 0 / chưa đặt 0 / chưa đặt 0 / chưa đặt —"
        " chưa đặt chỉ tiêu"
    )
    assert (await import_sample(demo_meeting)).status_code == 303

    # the form offers the groups that have delegates at the site
    form = await get(demo_meeting, site=ids["Nhà văn hóa khu phố Đông"])
    assert 'name="group-0" value="Tổ dân phố số 4"' in form.text
    assert 'name="group-1" value="Tổ dân phố số 5"' in form.text
    saved = await post(
        demo_meeting,
        "/composition",
        {
            "site": ids["Nhà văn hóa khu phố Đông"],
            "total": "16",
            "women": "9",
            "under_35": "",  # not set
            "group-0": "Tổ dân phố số 4",
            "count-0": "8",
            "group-1": "Tổ 5",  # written as the host would: the list's "Tổ dân phố số 5"
            "count-1": "8",
            "group-2": "",
            "count-2": "",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith(
        f"saved={ids['Nhà văn hóa khu phố Đông']}#composition"
    )
    await post(demo_meeting, "/composition", {"site": ids["Tổ dân phố 1"], "total": "9"})
    (east, first) = (
        e.target for e in events_of(server, demo_meeting["meeting_id"], CompositionSet)
    )
    assert (east.total, east.women, east.under_35) == (16, 9, None)
    assert east.by_group == (("Tổ 5", 8), ("Tổ dân phố số 4", 8))

    page = await get(demo_meeting, saved=ids["Nhà văn hóa khu phố Đông"])
    assert "Đã lưu chỉ tiêu cơ cấu của Nhà văn hóa khu phố Đông." in page.text
    # 14 invited there, 7 of them women, 3 under 35 (born 1992 or later, the meeting in 2026)
    assert composition_row(page.text, ids["Nhà văn hóa khu phố Đông"]) == (
        "Nhà văn hóa khu phố Đông Chỉ tiêu · Danh sách (14) 14 / 16 thiếu 2 7 / 9 thiếu 2"
        " 3 / chưa đặt Tổ 5: 7 / 8 thiếu 1 Tổ dân phố số 4: 7 / 8 thiếu 1"
        " 2 đại biểu 2 nữ Tổ 5: 1 Tổ dân phố số 4: 1"
    )
    assert composition_row(page.text, ids["Tổ dân phố 1"]) == (
        "Tổ dân phố 1 Chỉ tiêu · Danh sách (9) 9 / 9 ✓ 5 / chưa đặt 2 / chưa đặt"
        " Tổ dân phố số 1: 9 / chưa đặt Đủ"
    )
    # over every site: the targets set summed, said to be some sites' only
    assert composition_row(page.text, "totals") == (
        "Tất cả điểm cầu 60 chỉ tiêu 25 ở 2/6 điểm cầu thiếu 2"
        " 30 chỉ tiêu 9 ở 1/6 điểm cầu thiếu 2 13 / chưa đặt"
    )
    # the form shows what was saved
    again = await get(demo_meeting, site=ids["Nhà văn hóa khu phố Đông"])
    assert 'name="total" value="16"' in again.text
    assert 'name="under_35" value=""' in again.text


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"total": "mười"}, "Đại biểu: “mười” không phải là số nguyên từ 0 đến 100000."),
        ({"total": "-3"}, "Đại biểu: “-3” không phải là số nguyên từ 0 đến 100000."),
        ({"women": "2.5"}, "Nữ: “2.5” không phải là số nguyên từ 0 đến 100000."),
        ({"under_35": "100001"}, "Dưới 35 tuổi: “100001” không phải là số nguyên từ 0 đến 100000."),
        ({"total": "10", "women": "12"}, "Nữ (12) không thể nhiều hơn số đại biểu (10)."),
        (
            {"total": "10", "group-0": "Tổ 1", "count-0": "6", "group-1": "Tổ 2", "count-1": "5"},
            "Tổng số đại biểu theo các tổ dân phố là 11, nhiều hơn số đại biểu (10).",
        ),
        ({"group-0": "", "count-0": "4"}, "Có số lượng (4) nhưng chưa ghi tên tổ dân phố."),
        (
            {"group-0": "Tổ 1", "count-0": "4", "group-1": "tổ dân phố số 01", "count-1": "2"},
            "Tổ dân phố “tổ dân phố số 01” được ghi hai lần.",
        ),
        ({"group-0": "T" * 121, "count-0": "4"}, "Tổ dân phố quá dài: tối đa 120 ký tự."),
    ],
    ids=[
        "words",
        "negative",
        "fraction",
        "too-many",
        "women-over-total",
        "groups-over-total",
        "count-without-group",
        "group-twice",
        "group-too-long",
    ],
)
async def test_bad_targets_are_answered_in_vietnamese_and_change_nothing(
    server: ServerProcess, demo_meeting: dict[str, Any], form: dict[str, str], expected: str
) -> None:
    site = site_ids(demo_meeting)["Tổ dân phố 2"]
    answer = await post(demo_meeting, "/composition", {"site": site, **form})
    assert answer.status_code == 400
    shown = answer.text.split('id="composition-problems"')[1].split("</ul>")[0]
    assert [html.unescape(m) for m in re.findall(r"<li>([^<]+)</li>", shown)] == [expected]
    for name, value in form.items():  # kept as typed, to be corrected
        assert f'name="{name}" value="{html.escape(value)}"' in answer.text
    assert events_of(server, demo_meeting["meeting_id"], CompositionSet) == []


async def test_targets_for_a_site_of_another_meeting_change_nothing(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    other = create_meeting(server, sites=["Tổ dân phố 9"])
    answer = await post(
        demo_meeting, "/composition", {"site": site_ids(other)["Tổ dân phố 9"], "total": "4"}
    )
    assert answer.status_code == 400
    assert problems(answer.text) == [f"Không có điểm cầu {site_ids(other)['Tổ dân phố 9']}."]
    assert events_of(server, demo_meeting["meeting_id"], CompositionSet) == []


# -- privacy ------------------------------------------------------------------------------------


async def test_phone_numbers_stay_on_the_hosts_list(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    assert (await import_sample(demo_meeting)).status_code == 303
    ids = site_ids(demo_meeting)
    listed = await get(demo_meeting, list=ids["Tổ dân phố 1"])
    assert listed.headers["cache-control"] == "no-store"
    assert "0900002201" in listed.text  # the host sees them
    assert "Nguyễn Thị Thanh Hương" in listed.text

    site = demo_meeting["links"]["sites"][1]
    pages = []
    async with httpx.AsyncClient(headers=HTML, timeout=30, follow_redirects=True) as http:
        for url in (
            site["display"],
            site["secretary"],
            site["secretary"] + "/door",
            demo_meeting["links"]["host"],
            demo_meeting["links"]["host"] + "/invitations",
            f"{server.url}/m/{demo_meeting['meeting_id']}/answers",
            site["join"],
        ):
            answer = await http.get(url)
            assert answer.status_code == 200, url
            pages.append(answer.text)
    views = []
    for link in (site["display"], site["secretary"], demo_meeting["links"]["host"]):
        client = await LiveClient.open(server, link)
        await client.close()
        views.append(client.views[-1]["html"])
    phone = await LiveClient.open_phone(server, site["join"])
    await phone.close()
    views.append(phone.views[-1]["html"])
    assert [PHONE.findall(text) for text in pages + views] == [[]] * len(pages + views)
    # nor names on the hall's screen or a delegate's phone
    for text in (pages[0], views[0], views[-1]):
        assert "Thanh Hương" not in text


async def test_the_list_exports_with_its_check_ins_for_the_host_only(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    assert (await import_sample(demo_meeting)).status_code == 303
    records = invited(server, demo_meeting)
    first, second = records[0], records[1]
    site = next(s for s in demo_meeting["links"]["sites"] if s["site_id"] == first.site_id)
    door = await LiveClient.open(server, site["secretary"], view="door")
    check_in = {"type": "check_in_delegate", "delegate_id": first.delegate_id, "how": "name"}
    ack = await door.command(check_in)
    assert ack["type"] == "ack"
    await door.close()
    host = await LiveClient.open(server, demo_meeting["links"]["host"])
    away = {"type": "mark_delegate_absent", "delegate_id": second.delegate_id, "reason": "Ốm"}
    assert (await host.command(away))["type"] == "ack"
    await host.close()
    url = page_url(demo_meeting) + ".xlsx"
    async with httpx.AsyncClient(timeout=30) as http:
        sheet = await http.get(url)
        wrong = await http.get(
            url.replace(demo_meeting["links"]["host"].rsplit("/", 1)[1], "x" * 22)
        )
    assert wrong.status_code == 403
    rows = sheet_rows(sheet.content, "Đại biểu")
    assert rows[0][:3] == ("STT", "Họ và tên", "Giới tính")
    assert len(rows) == 1 + len(records)
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name[first.name][7] == first.phone  # the office's copy keeps the phone
    assert by_name[first.name][8:10] == ("Có mặt", "Tìm theo tên")
    assert by_name[second.name][8:] == ("Vắng", None, "Ốm")
    assert {row[8] for row in rows[3:]} == {"Chưa đến"}
    page = await get(demo_meeting)
    assert 'href="' + url.removeprefix(server.url) + '"' in page.text


async def test_the_list_and_the_targets_sent_from_another_site_are_refused(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    foreign = {**HTML, "origin": FOREIGN}
    site = site_ids(demo_meeting)["Tổ dân phố 1"]
    async with httpx.AsyncClient(headers=foreign, timeout=30) as http:
        sent = await http.post(
            page_url(demo_meeting), files={"file": ("a.csv", SHIPPED.read_bytes())}
        )
        assert_refused(sent)
        assert_refused(
            await http.post(
                page_url(demo_meeting) + "/composition", data={"site": site, "total": "9"}
            )
        )
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    school = site_ids(demo_meeting)["Trường Tiểu học Nguyễn Trãi"]
    mapped = await map_as_shown(demo_meeting, preview.text, **{SCHOOL_WRITTEN: school})
    async with httpx.AsyncClient(headers=foreign, timeout=30) as http:
        form = {"token": confirm_token(mapped.text)}
        assert_refused(await http.post(page_url(demo_meeting) + "/confirm", data=form))
    assert invited(server, demo_meeting) == []
    assert events_of(server, demo_meeting["meeting_id"], CompositionSet) == []


async def test_one_delegate_is_invited_corrected_and_taken_off_by_hand(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    ids = site_ids(demo_meeting)
    here, there = ids["Tổ dân phố 1"], ids["Tổ dân phố 2"]
    one = {"list": here, "site_id": here, "name": "Phạm Thị Thu", "gender": "female"}
    added = await post(demo_meeting, "/one", {**one, "action": "add", "birth_year": "1990"})
    assert added.status_code == 303
    assert added.headers["location"].endswith(f"?list={here}#delegate-list")
    (thu,) = invited(server, demo_meeting)
    assert (thu.name, thu.site_id, thu.gender, thu.birth_year) == (
        "Phạm Thị Thu",
        here,
        "female",
        1990,
    )
    for form, says in (
        ({**one, "action": "add", "birth_year": "199O"}, "Năm sinh phải là một số"),
        ({**one, "action": "add", "name": " "}, "không được để trống"),
        ({**one, "action": "save", "delegate_id": "nobody"}, "nobody"),
        ({**one, "action": "add", "site_id": "nowhere"}, "nowhere"),
        ({**one, "action": "dance"}, "Hãy chọn lưu, thêm hoặc bỏ"),
    ):
        refused = await post(demo_meeting, "/one", form)
        assert refused.status_code in {400, 409}, form
        assert says in html.unescape(refused.text), form
    assert len(invited(server, demo_meeting)) == 1  # nothing changed
    moved = {**one, "action": "save", "delegate_id": thu.delegate_id, "site_id": there}
    assert (await post(demo_meeting, "/one", {**moved, "phone": "0912 345 678"})).status_code == 303
    (edited,) = events_of(server, demo_meeting["meeting_id"], DelegateEdited)
    assert (edited.delegate.site_id, edited.delegate.phone) == (there, "0912345678")
    page = await get(demo_meeting, list=there)
    assert f'id="edit-{thu.delegate_id}"' in page.text
    gone = {"action": "remove", "delegate_id": thu.delegate_id, "list": there}
    assert (await post(demo_meeting, "/one", gone)).status_code == 303
    assert events_of(server, demo_meeting["meeting_id"], DelegateUninvited)
    assert f'id="edit-{thu.delegate_id}"' not in (await get(demo_meeting, list=there)).text
