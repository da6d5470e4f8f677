"""Importing the Front's spreadsheet over HTTP: every real form of the file, the sites mapped, the
desk's defaults, unused columns reported, a second import caught, bad input changing nothing."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.cli import DEMO_SITES
from tests.support.client import LiveClient
from tests.support.server import ServerProcess, create_meeting

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
SHIPPED = ROOT / "docs" / "mau-y-kien-truoc-hoi-nghi.csv"  # the sample the docs hand out
SAMPLE_SITES = [
    "Nhà văn hóa tổ 3",
    "Nhà văn hóa tổ 6",
    "Nhà văn hóa tổ 10",
    "Nhà văn hóa tổ 12",
    "Nhà văn hóa tổ 14",
    "Trường THCS Thạch Bàn",
]
# A meeting an organiser typed in: no name as the Front writes it.
NEW_HALL = "Hội trường UBND phường Thạch Bàn"
NEW_SITES = [
    "nhà văn hoá TDP 3",  # the tone on the other vowel, TDP for "tổ"
    "NHÀ VĂN HÓA TỔ DÂN PHỐ SỐ 06",
    "Tổ dân phố 10",
    "Tổ dân phố 12",
    "Tổ dân phố 14",
    "Trường  THCS Thạch Bàn",
]
HTML = {"accept": "text/html"}


@pytest.fixture
def sample_meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server, sites=SAMPLE_SITES, main_hall="Hội trường UBND phường")


@pytest.fixture
def demo_meeting(server: ServerProcess) -> dict[str, Any]:
    """The sites `./diemcau demo` makes."""
    return create_meeting(server, sites=DEMO_SITES, main_hall="Hội trường UBND phường")


@pytest.fixture
def new_meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server, sites=NEW_SITES, main_hall=NEW_HALL)


def intake_url(meeting: dict[str, Any]) -> str:
    host: str = meeting["links"]["host"]
    return host + "/intake"


def site_ids(meeting: dict[str, Any]) -> dict[str, str]:
    return {site["name"]: site["site_id"] for site in meeting["links"]["sites"]}


async def upload(meeting: dict[str, Any], name: str, content: bytes) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(intake_url(meeting), files={"file": (name, content)})


async def post_sites(meeting: dict[str, Any], form: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30, follow_redirects=True) as http:
        return await http.post(intake_url(meeting) + "/sites", data=form)


async def confirm(
    meeting: dict[str, Any], token: str, already: str | None = None
) -> httpx.Response:
    form = {"token": token} if already is None else {"token": token, "already": already}
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(intake_url(meeting) + "/confirm", data=form)


def confirm_token(page: str) -> str:
    found = re.search(
        r'id="confirm-form">\s*<input type="hidden" name="token" value="([^"]+)"', page
    )
    assert found is not None, "no import button on the preview"
    return found.group(1)


def mapping_token(page: str) -> str:
    found = re.search(r'id="site-mapping"[^>]*>.*?name="token" value="([^"]+)"', page, re.DOTALL)
    assert found is not None, "no mapping step on the preview"
    return found.group(1)


def mapping(page: str) -> dict[str, tuple[str, str]]:
    """Each site value the mapping step asks about: (the select's name, what it shows chosen)."""
    asked = {}
    form = page.split('id="site-mapping"')[1].split("</form>", maxsplit=1)[0]
    for name, written, options in re.findall(
        r'<label for="(site-\d+)">([^<]+)</label>.*?<select[^>]*>(.*?)</select>', form, re.DOTALL
    ):
        selected = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', options)
        asked[html.unescape(written)] = (name, selected.group(1) if selected else "")
    return asked


def problems(page: str) -> list[str]:
    if 'id="problems"' not in page:
        return []
    table = page.split('id="problems"')[1].split("</table>", maxsplit=1)[0]
    return [html.unescape(m) for m in re.findall(r"<td>([^<]+)</td></tr>", table)]


async def question_count(server: ServerProcess, meeting: dict[str, Any]) -> int:
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    await desk.close()
    found = re.search(r'id="question-count">(\d+)<', desk.views[-1]["html"])
    assert found is not None
    return int(found.group(1))


def exported(meeting: dict[str, Any]) -> list[dict[str, str]]:
    """The meeting's questions as its CSV export lists them."""
    answer = httpx.get(meeting["links"]["host"] + "/export/questions.csv", timeout=30)
    answer.raise_for_status()
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def sample_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SHIPPED.read_text(encoding="utf-8"))))


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


async def map_as_shown(meeting: dict[str, Any], page: str, **chosen: str) -> httpx.Response:
    """Sends the mapping step back with what it shows chosen, `chosen` (written value → site id
    or "none") replacing some; answers the page it leads to."""
    form = {"token": mapping_token(page)}
    asked = mapping(page)
    for written, (name, selected) in asked.items():
        form[name] = chosen.get(written, selected)
    return await post_sites(meeting, form)


# -- the four forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "y-kien-truoc-hoi-nghi.csv",
        "y-kien-truoc-hoi-nghi.cp1258.csv",
        "y-kien-truoc-hoi-nghi.utf16.txt",
        "y-kien-truoc-hoi-nghi.xlsx",
    ],
)
async def test_every_form_of_the_sample_previews_20_and_imports_once(
    server: ServerProcess, sample_meeting: dict[str, Any], name: str
) -> None:
    preview = await upload(sample_meeting, name, (DATA / name).read_bytes())
    assert preview.status_code == 200
    assert 'id="problems"' not in preview.text
    assert 'id="site-mapping"' not in preview.text  # every site named as the meeting names it
    assert 'id="unused-columns"' not in preview.text
    assert preview.text.count('<tr><td class="num">') == 20
    assert "Nhập 20 câu hỏi" in preview.text
    assert "Đề nghị phường công khai tiến độ cấp giấy chứng nhận quyền sử dụng đất" in preview.text
    assert await question_count(server, sample_meeting) == 0  # nothing before the confirmation
    token = confirm_token(preview.text)
    for _ in range(2):  # a double click imports once
        done = await confirm(sample_meeting, token)
        assert done.status_code == 303
        assert done.headers["location"].endswith("imported=20&skipped=0")
    assert await question_count(server, sample_meeting) == 20


# -- the shipped sample, as it is, into the demo meeting and a new one --------------------------


async def test_the_shipped_sample_into_the_demo_meeting_through_the_mapping_step(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    ids = site_ids(demo_meeting)
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    assert preview.status_code == 200
    assert problems(preview.text) == []
    assert 'id="confirm-import"' not in preview.text  # the sites first
    asked = mapping(preview.text)
    assert sorted(asked) == sorted(
        f"Điểm cầu {name}"
        for name in (
            "Nhà văn hóa tổ 12",
            "Nhà văn hóa tổ 3",
            "Trường THCS Thạch Bàn",
            "Nhà văn hóa tổ 14",
            "Nhà văn hóa tổ 6",
            "Nhà văn hóa tổ 10",
        )
    )
    # "tổ 3" is Tổ dân phố 3 by its name: proposed, not decided; the rest wait for a choice
    assert asked["Điểm cầu Nhà văn hóa tổ 3"][1] == ids["Tổ dân phố 3"]
    assert {selected for written, (_, selected) in asked.items() if "tổ 3" not in written} == {""}
    assert "“Hội trường UBND phường” → Hội trường UBND phường" in html.unescape(preview.text)

    refused = await confirm(demo_meeting, mapping_token(preview.text))
    assert refused.status_code == 400
    assert "chưa được ghép" in html.unescape(refused.text)
    assert await question_count(server, demo_meeting) == 0

    mapped = await map_as_shown(
        demo_meeting,
        preview.text,
        **{
            "Điểm cầu Nhà văn hóa tổ 12": ids["Nhà văn hóa khu phố Đông"],
            "Điểm cầu Trường THCS Thạch Bàn": ids["Trường Tiểu học Nguyễn Trãi"],
            "Điểm cầu Nhà văn hóa tổ 14": "none",
            "Điểm cầu Nhà văn hóa tổ 6": "none",
            "Điểm cầu Nhà văn hóa tổ 10": "none",
        },
    )
    assert mapped.status_code == 200
    assert problems(mapped.text) == []
    assert "Nhập 20 câu hỏi" in mapped.text
    done = await confirm(demo_meeting, confirm_token(mapped.text))
    assert done.status_code == 303
    assert await question_count(server, demo_meeting) == 20

    sites = {row["Nội dung ý kiến"][:40]: row["Điểm cầu"] for row in exported(demo_meeting)}
    texts = {row[1][:40]: row[4] for row in sample_rows()[1:]}
    expected = {
        "Hội trường UBND phường": "Hội trường UBND phường",
        "Điểm cầu Nhà văn hóa tổ 3": "Tổ dân phố 3",
        "Điểm cầu Nhà văn hóa tổ 12": "Nhà văn hóa khu phố Đông",
        "Điểm cầu Trường THCS Thạch Bàn": "Trường Tiểu học Nguyễn Trãi",
    }
    assert sites == {text: expected.get(written, "") for text, written in texts.items()}


async def test_the_shipped_sample_into_a_new_meeting_matches_loosely_and_suggests_the_rest(
    server: ServerProcess, new_meeting: dict[str, Any]
) -> None:
    ids = site_ids(new_meeting)
    preview = await upload(new_meeting, SHIPPED.name, SHIPPED.read_bytes())
    assert problems(preview.text) == []
    asked = mapping(preview.text)
    # Recognised by name, spelling aside: tổ 3 / TDP 3, tổ 6 / tổ dân phố số 06, the spaces
    assert sorted(asked) == [
        "Hội trường UBND phường",
        "Điểm cầu Nhà văn hóa tổ 10",
        "Điểm cầu Nhà văn hóa tổ 12",
        "Điểm cầu Nhà văn hóa tổ 14",
    ]
    assert {written: selected for written, (_, selected) in asked.items()} == {
        "Hội trường UBND phường": ids[NEW_HALL],
        "Điểm cầu Nhà văn hóa tổ 10": ids["Tổ dân phố 10"],
        "Điểm cầu Nhà văn hóa tổ 12": ids["Tổ dân phố 12"],
        "Điểm cầu Nhà văn hóa tổ 14": ids["Tổ dân phố 14"],
    }
    mapped = await map_as_shown(new_meeting, preview.text)
    assert problems(mapped.text) == []
    done = await confirm(new_meeting, confirm_token(mapped.text))
    assert done.status_code == 303
    rows = exported(new_meeting)
    assert len(rows) == 20
    assert {row["Điểm cầu"] for row in rows} == set(ids)  # every site has some, none is empty
    assert sum(row["Điểm cầu"] == "nhà văn hoá TDP 3" for row in rows) == 2


# -- imported again -----------------------------------------------------------------------------


async def test_the_same_file_twice_is_caught_and_imports_nothing_unless_asked(
    server: ServerProcess, demo_meeting: dict[str, Any]
) -> None:
    first = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    mapped = await map_as_shown(
        demo_meeting, first.text, **{w: "none" for w in mapping(first.text) if "tổ 3" not in w}
    )
    assert (await confirm(demo_meeting, confirm_token(mapped.text))).status_code == 303
    assert await question_count(server, demo_meeting) == 20

    again = await upload(demo_meeting, "y-kien (1).csv", SHIPPED.read_bytes())
    assert 'id="file-already"' in again.text
    assert SHIPPED.name in again.text  # named as it was imported the first time
    # the last answers are shown chosen, marked as such
    assert {s for _, s in mapping(again.text).values()} - {"none"} == {
        site_ids(demo_meeting)["Tổ dân phố 3"]
    }
    assert "như lần nhập trước" in again.text
    preview = await map_as_shown(demo_meeting, again.text)
    assert preview.text.count('<tr class="already"><td class="num">') == 20
    assert 'name="already" value="skip" checked' in preview.text
    token = confirm_token(preview.text)
    skipped = await confirm(demo_meeting, token)
    assert skipped.status_code == 409
    assert "Mọi ý kiến trong tệp này đã có trong hội nghị" in html.unescape(skipped.text)
    assert await question_count(server, demo_meeting) == 20

    anyway = await confirm(demo_meeting, token, already="import")
    assert anyway.status_code == 303
    assert await question_count(server, demo_meeting) == 40


async def test_an_overlapping_file_skips_the_rows_already_imported(
    server: ServerProcess, sample_meeting: dict[str, Any]
) -> None:
    header, *rows = sample_rows()
    first = await upload(sample_meeting, "dot-1.csv", as_csv([header, *rows[:10]]))
    assert (await confirm(sample_meeting, confirm_token(first.text))).status_code == 303

    # Rows 6 to 20, typed again: one asker in capitals, one text with extra spaces, one site
    # without its "Điểm cầu": still the same opinions.
    later = [list(row) for row in rows[5:]]
    later[0][2] = later[0][2].upper()
    later[1][1] = "  " + later[1][1].replace(" ", "  ")
    later[3][4] = later[3][4].removeprefix("Điểm cầu ")
    preview = await upload(sample_meeting, "dot-2.csv", as_csv([header, *later]))
    assert 'id="file-already"' not in preview.text  # not the same file
    assert preview.text.count('<tr class="already"><td class="num">') == 5
    assert "5 ý kiến trong số này đã có trong hội nghị" in html.unescape(preview.text)
    done = await confirm(sample_meeting, confirm_token(preview.text))
    assert done.status_code == 303
    assert done.headers["location"].endswith("imported=10&skipped=5")
    assert await question_count(server, sample_meeting) == 20
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        page = await http.get(intake_url(sample_meeting) + "?imported=10&skipped=5")
    assert "Đã nhập 10 câu hỏi. Đã bỏ qua 5 ý kiến đã có trong hội nghị." in page.text


# -- what the file leaves out, and what it holds besides ----------------------------------------


async def test_missing_columns_take_the_desks_defaults_and_extra_columns_are_reported(
    server: ServerProcess, sample_meeting: dict[str, Any]
) -> None:
    content = as_csv(
        [
            ["STT", "Nội dung ý kiến", "Ghi chú", "", "Kết quả giải quyết"],
            ["1", "Đề nghị sửa đèn đường tổ 3.", "gửi lại", "", "Đã trả lời tại Công văn số 12"],
            ["2", "Đề nghị nạo vét mương.", "", "lạc cột", ""],
        ]
    )
    preview = await upload(sample_meeting, "it-cot.csv", content)
    assert problems(preview.text) == []
    unused = preview.text.split('id="unused-columns"')[1].split("</p>")[0]
    assert "<strong>Ghi chú</strong>" in unused
    assert "cột D, không có tiêu đề" in unused
    assert "STT" not in unused
    assert "Kết quả" not in unused
    defaults = preview.text.split('id="desk-defaults"')[1].split("</p>")[0]
    assert "Cơ quan trả lời: UBND; Cấp: Phường/xã" in defaults
    assert "Đã trả lời tại Công văn số 12" in preview.text  # carried to the preview
    assert 'id="outcome-note"' in preview.text
    assert (await confirm(sample_meeting, confirm_token(preview.text))).status_code == 303
    rows = exported(sample_meeting)
    assert [(r["Cơ quan trả lời"], r["Thẩm quyền"], r["Điểm cầu"]) for r in rows] == [
        ("UBND", "Phường/xã", ""),
        ("UBND", "Phường/xã", ""),
    ]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "Tệp rỗng"),
        ("noise.csv", bytes(range(256)) * 40, "không phải bảng văn bản"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "tệp Excel cũ"),
        (
            "bad-rows.csv",
            "Nội dung ý kiến,Cơ quan trả lời,Thẩm quyền,Điểm cầu,Lĩnh vực\n"
            "Đường ngập,UBND,Phường,Nhà văn hóa tổ 3,\n"
            "Sai cơ quan,Sở Tư pháp,Phường,,\n"
            "Sai lĩnh vực,UBND,Quận,,Lĩnh vực không có\n".encode(),
            "Dòng",
        ),
    ],
    ids=["empty", "random-bytes", "old-xls", "bad-rows"],
)
async def test_a_bad_file_lists_its_problems_and_imports_nothing(
    server: ServerProcess, sample_meeting: dict[str, Any], name: str, content: bytes, expected: str
) -> None:
    preview = await upload(sample_meeting, name, content)
    assert preview.status_code == 200
    assert 'id="problems"' in preview.text
    assert expected in preview.text
    assert 'id="confirm-import"' not in preview.text
    assert 'id="site-mapping"' not in preview.text
    if name == "bad-rows.csv":
        found = re.findall(
            r'<tr><td class="num">(\d+)</td><td>([^<]+)</td></tr>',
            preview.text.split('id="problems"')[1],
        )
        assert [line for line, _ in found] == ["3", "4"]  # the header is line 1
        assert "Sở Tư pháp" in html.unescape(found[0][1])
        assert "Lĩnh vực không có" in found[1][1]
        token = re.search(r'name="token" value="([^"]+)"', preview.text)
        assert token is None  # nothing to confirm
    assert await question_count(server, sample_meeting) == 0


async def test_a_mapping_with_a_site_of_another_meeting_or_no_choice_changes_nothing(
    server: ServerProcess, demo_meeting: dict[str, Any], sample_meeting: dict[str, Any]
) -> None:
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    token = mapping_token(preview.text)
    asked = mapping(preview.text)
    foreign = site_ids(sample_meeting)["Nhà văn hóa tổ 12"]
    form = {"token": token, **{name: "none" for name, _ in asked.values()}}
    form[asked["Điểm cầu Nhà văn hóa tổ 12"][0]] = foreign
    refused = await post_sites(demo_meeting, form)
    assert refused.status_code == 400
    assert problems(refused.text) == [
        "Điểm cầu chọn cho “Điểm cầu Nhà văn hóa tổ 12” không thuộc hội nghị này."
    ]
    assert mapping(refused.text)["Điểm cầu Nhà văn hóa tổ 3"][1] == "none"  # kept as sent
    del form[asked["Điểm cầu Nhà văn hóa tổ 12"][0]]
    unchosen = await post_sites(demo_meeting, form)
    assert unchosen.status_code == 400
    assert problems(unchosen.text) == [
        "Hãy chọn điểm cầu cho “Điểm cầu Nhà văn hóa tổ 12”, hoặc để các ý kiến đó không gán"
        " điểm cầu."
    ]
    # the preview is as it was: still waiting for its sites
    assert (await confirm(demo_meeting, token)).status_code == 400
    assert await question_count(server, demo_meeting) == 0


@pytest.mark.parametrize("where", ["sites", "confirm", "preview"])
async def test_a_tampered_expired_or_foreign_token_imports_nothing(
    server: ServerProcess, demo_meeting: dict[str, Any], sample_meeting: dict[str, Any], where: str
) -> None:
    preview = await upload(demo_meeting, SHIPPED.name, SHIPPED.read_bytes())
    token = mapping_token(preview.text)
    for bad in ("made-up", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 5000):
        async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
            if where == "preview":
                answer = await http.get(intake_url(demo_meeting), params={"preview": bad})
            else:
                answer = await http.post(f"{intake_url(demo_meeting)}/{where}", data={"token": bad})
        assert answer.status_code == 404
        assert "Bản xem trước này đã hết hạn hoặc không tồn tại" in answer.text
    # a real token, of another meeting
    other = await upload(sample_meeting, SHIPPED.name, SHIPPED.read_bytes())
    answer = await confirm(demo_meeting, confirm_token(other.text))
    assert answer.status_code == 404
    assert await question_count(server, demo_meeting) == 0
    assert await question_count(server, sample_meeting) == 0


async def test_a_choice_that_is_neither_skip_nor_import_is_refused(
    server: ServerProcess, sample_meeting: dict[str, Any]
) -> None:
    preview = await upload(sample_meeting, SHIPPED.name, SHIPPED.read_bytes())
    refused = await confirm(sample_meeting, confirm_token(preview.text), already="both")
    assert refused.status_code == 400
    assert "“both” không phải là “bỏ qua” hay “vẫn nhập”." in html.unescape(refused.text)
    assert await question_count(server, sample_meeting) == 0


async def test_a_stale_or_foreign_preview_imports_nothing(
    server: ServerProcess, sample_meeting: dict[str, Any]
) -> None:
    refused = await confirm(sample_meeting, "made-up")
    assert refused.status_code == 404
    wrong_key = intake_url(sample_meeting).replace("/host/", "/host/x")
    async with httpx.AsyncClient(headers=HTML, timeout=10) as http:
        assert (await http.get(wrong_key)).status_code == 403
    assert await question_count(server, sample_meeting) == 0
