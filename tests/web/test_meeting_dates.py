"""On a real server: a meeting on a day that does not exist is refused by the API and the form,
naming the date; a log that already holds one (from before dates were checked) still opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.support.server import (
    ORGANISER_SECRET,
    ServerProcess,
    create_meeting,
    organiser_headers,
    running_server,
)

HTML = {"accept": "text/html"}
MEETING = {
    "title": "Hội nghị tiếp xúc, đối thoại",
    "level": "ward",
    "chair": "Bí thư Đảng ủy phường",
    "main_hall": "Hội trường UBND phường",
}


def meetings(server: ServerProcess) -> list[object]:
    answer = httpx.get(f"{server.url}/api/meetings", headers=organiser_headers(), timeout=10)
    listed: list[object] = answer.json()
    return listed


def test_the_api_refuses_a_day_that_does_not_exist_naming_the_field(server: ServerProcess) -> None:
    answer = httpx.post(
        f"{server.url}/api/meetings",
        json={**MEETING, "date": "2017-02-30", "sites": ["Tổ dân phố 1"]},
        headers=organiser_headers(),
        timeout=10,
    )
    assert answer.status_code == 400
    problems = answer.json()["extra"]
    assert [p["key"] for p in problems] == ["date"]
    assert "2017-02-30" in problems[0]["message"]
    assert meetings(server) == []


def test_the_form_refuses_a_day_that_does_not_exist_in_words(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        browser.get(f"/organiser/login?key={ORGANISER_SECRET}")
        answer = browser.post(
            "/organiser/meetings", data={**MEETING, "date": "2017-02-30", "sites": "Tổ 1"}
        )
    assert answer.status_code == 400
    assert "Ngày: 2017-02-30 không phải là một ngày có thật." in answer.text
    assert 'value="Hội nghị tiếp xúc, đối thoại"' in answer.text  # the form keeps what was typed
    assert meetings(server) == []


def test_a_stored_meeting_on_no_real_day_still_opens_its_desk_and_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    with running_server(data_dir) as server:
        created = create_meeting(server, date="2026-11-22")
    # An older version accepted 2017-02-30: put one into the log as it would have been written.
    (database,) = data_dir.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        (data,) = db.execute("SELECT data FROM entries WHERE seq = 1").fetchone()
        assert b"2026-11-22" in data
        db.execute(
            "UPDATE entries SET data = ? WHERE seq = 1",
            (data.replace(b"2026-11-22", b"2017-02-30"),),
        )
    with running_server(data_dir) as server:  # on another port: the links' paths still hold
        desk, host = (urlsplit(created["links"][name]).path for name in ("desk", "host"))
        with httpx.Client(base_url=server.url, headers=HTML, timeout=30) as http:
            for page in (desk, host + "/questions", host + "/report"):
                answer = http.get(page)
                assert answer.status_code == 200, page
                assert "Hội nghị tiếp xúc, đối thoại" in answer.text
            assert http.get(host + "/export/minutes.docx").status_code == 200
