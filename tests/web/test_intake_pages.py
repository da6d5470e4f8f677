"""Importing the Front's spreadsheet over HTTP: every real form of the file, bad files, one import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import LiveClient
from tests.support.server import ServerProcess, create_meeting

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_SITES = [
    "Nhà văn hóa tổ 3",
    "Nhà văn hóa tổ 6",
    "Nhà văn hóa tổ 10",
    "Nhà văn hóa tổ 12",
    "Nhà văn hóa tổ 14",
    "Trường THCS Thạch Bàn",
]
HTML = {"accept": "text/html"}


@pytest.fixture
def sample_meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server, sites=SAMPLE_SITES, main_hall="Hội trường UBND phường")


def intake_url(meeting: dict[str, Any]) -> str:
    host: str = meeting["links"]["host"]
    return host + "/intake"


async def upload(meeting: dict[str, Any], name: str, content: bytes) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(intake_url(meeting), files={"file": (name, content)})


async def confirm(meeting: dict[str, Any], token: str) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        return await http.post(intake_url(meeting) + "/confirm", data={"token": token})


def confirm_token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found is not None, "no import button on the preview"
    return found.group(1)


async def question_count(server: ServerProcess, meeting: dict[str, Any]) -> int:
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    await desk.close()
    found = re.search(r'id="question-count">(\d+)<', desk.views[-1]["html"])
    assert found is not None
    return int(found.group(1))


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
    assert preview.text.count('<tr><td class="num">') == 20
    assert "Nhập 20 câu hỏi" in preview.text
    assert "Đề nghị phường công khai tiến độ cấp giấy chứng nhận quyền sử dụng đất" in preview.text
    assert await question_count(server, sample_meeting) == 0  # nothing before the confirmation
    token = confirm_token(preview.text)
    for _ in range(2):  # a double click imports once
        done = await confirm(sample_meeting, token)
        assert done.status_code == 303
    assert await question_count(server, sample_meeting) == 20


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "Tệp rỗng"),
        ("noise.csv", bytes(range(256)) * 40, "không phải bảng văn bản"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "tệp Excel cũ"),
        (
            "bad-rows.csv",
            "Nội dung ý kiến,Cơ quan trả lời,Thẩm quyền,Điểm cầu\n"
            "Đường ngập,UBND,Phường,Nhà văn hóa tổ 3\n"
            "Thiếu cơ quan,,Phường,\n"
            "Sai điểm cầu,UBND,Quận,Điểm cầu không có\n".encode(),
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
    if name == "bad-rows.csv":
        problems = re.findall(
            r'<tr><td class="num">(\d+)</td><td>([^<]+)</td></tr>',
            preview.text.split('id="problems"')[1],
        )
        assert [line for line, _ in problems] == ["3", "4"]  # the header is line 1
        assert "Điểm cầu không có" in problems[1][1]
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
