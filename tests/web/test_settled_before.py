"""Opinions settled before the meeting, over the real server: imported or recorded on the desk,
shown on the public answers page, forwarded ones followed up; a written answer corrected."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.client import LiveClient
from tests.support.server import ServerProcess
from tests.web.test_intake_pages import as_csv, confirm, confirm_token, upload

HTML = {"accept": "text/html"}
ANSWERED = {
    "kind": "answered",
    "agency": "UBND phường",
    "reference": "Công văn số 45/UBND",
    "on": "2026-11-10",
    "text": "Đã nạo vét cống tổ 5 ngày 08/11.",
}


async def question_ids(server: ServerProcess, host_link: str) -> dict[str, str]:
    desk = await LiveClient.open(server, host_link, view="questions")
    html = desk.views[-1]["html"]
    await desk.close()
    found = re.findall(r'<li id="q-([0-9a-f]+)".*?<p class="q-text">([^<]+)</p>', html, re.DOTALL)
    return {text: question_id for question_id, text in found}


async def test_settled_before_the_meeting_shows_where_it_should(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host_link = meeting["links"]["host"]
    host = await LiveClient.open(server, host_link)
    imported = await host.command(
        {
            "type": "import_questions",
            "questions": [
                {"text": "Cống tổ 5 tắc", "prior": ANSWERED},
                {
                    "text": "Cầu Rạch Cát xuống cấp",
                    "prior": {"kind": "forwarded", "on": "2026-11-12"},
                },
                {"text": "Chợ tạm lấn chiếm lòng đường"},
            ],
        }
    )
    assert imported["type"] == "ack", imported
    ids = await question_ids(server, host_link)
    later = ids["Chợ tạm lấn chiếm lòng đường"]
    desk = await LiveClient.open(server, host_link, view="questions")
    refused = await desk.command(
        {"type": "set_prior_outcome", "question_id": later, "prior": {"kind": "answered"}}
    )
    assert refused["type"] == "error"
    assert "số văn bản" in refused["message"]
    after = await desk.command(
        {
            "type": "set_prior_outcome",
            "question_id": later,
            "prior": {**ANSWERED, "on": "2026-11-30"},  # after the meeting of 22/11
        }
    )
    assert after["type"] == "error"
    assert "sau ngày hội nghị" in after["message"]
    view = await desk.wait_for_view("Đã trả lời trước hội nghị")
    assert f'id="prior-form-{later}"' in view["html"]
    assert 'class="status status-answered_before"' in view["html"]
    assert 'class="status status-forwarded_before"' in view["html"]
    await desk.close()

    async with httpx.AsyncClient(headers=HTML, timeout=20) as http:
        public = await http.get(f"{server.url}/m/{meeting['meeting_id']}/answers")
        followup = await http.get(host_link + "/followup")
    answered_before = public.text.split('id="answered-before"', 1)[1]
    assert "Cống tổ 5 tắc" in answered_before
    assert "Công văn số 45/UBND" in answered_before
    assert "Đã nạo vét cống tổ 5 ngày 08/11." in answered_before
    assert "Chợ tạm" not in answered_before  # refused twice: still left to the meeting
    forwarded = ids["Cầu Rạch Cát xuống cấp"]
    # forwarded on 12/11: the district had until 27/11 (15 days), and has not answered
    assert f'id="q-{forwarded}" class="promise promise-overdue"' in followup.text
    assert "Đã chuyển trước hội nghị" in followup.text
    assert f'id="q-{ids["Cống tổ 5 tắc"]}"' not in followup.text  # answered: nothing to follow
    await host.close()


async def test_a_written_answer_recorded_wrongly_is_corrected_and_the_first_record_kept(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host_link = meeting["links"]["host"]
    host = await LiveClient.open(server, host_link)
    await host.command({"type": "add_question", "question": {"text": "Đèn đường tổ 3 hỏng"}})
    (question_id,) = (await question_ids(server, host_link)).values()
    decided = await host.command(
        {
            "type": "decide_question",
            "question_id": question_id,
            "decision": "written",
            "agency": "UBND",
        }
    )
    assert decided["type"] == "ack", decided
    await host.close()
    url = host_link + "/followup"
    async with httpx.AsyncClient(headers=HTML, timeout=20) as http:
        first = {
            "question_id": question_id,
            "text": "Đã thay bóng đèn.",
            "answered_on": "2026-11-24",
        }
        assert (await http.post(url, data=first)).status_code == 303
        fixed = {**first, "answered_on": "2026-11-25"}
        assert (await http.post(url, data=fixed)).status_code == 303
        page = await http.get(url)
    item = page.text.split(f'id="q-{question_id}"', 1)[1].split("</li>", 1)[0]
    assert "25/11/2026" in item
    assert "<s>Đã thay bóng đèn. (24/11/2026)</s> — đã sửa" in item
    assert f'id="correct-{question_id}"' in item


async def test_the_fronts_outcome_column_is_read_at_import_and_recorded_on_each_opinion(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    rows = [
        ["Nội dung ý kiến", "Kết quả giải quyết"],
        [
            "Cống tổ 5 tắc",
            "Đã trả lời tại Công văn số 123/UBND-QLĐT ngày 15/11/2026 của UBND phường",
        ],
        ["Cầu Rạch Cát xuống cấp", "Đã chuyển UBND quận giải quyết"],
        ["Chợ tạm lấn chiếm lòng đường", "Chưa giải quyết"],
        ["Đèn đường hẻm 7 hỏng", "Đang xem xét"],
        # answered "after" the meeting of 22/11: the date cannot be the answer's, it is dropped
        ["Rác thải chưa thu gom", "Đã trả lời bằng văn bản số 9/UBND ngày 30/11/2026"],
    ]
    preview = await upload(meeting, "y-kien.csv", as_csv(rows))
    assert preview.status_code == 200, preview.text
    for reading in (
        "Đã trả lời trước hội nghị · Công văn số 123/UBND-QLĐT · 15/11/2026",
        "Đã chuyển trước hội nghị · Quận/huyện",
        "Để hội nghị giải quyết",
        "Không hiểu được: để hội nghị giải quyết",
    ):
        assert reading in preview.text, reading
    done = await confirm(meeting, confirm_token(preview.text))
    assert done.status_code in (200, 303), done.text
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    html = desk.views[-1]["html"]
    await desk.close()
    statuses = dict(
        re.findall(r'<p class="q-text">([^<]+)</p>.*?class="status status-(\w+)"', html, re.DOTALL)
    )
    assert statuses == {
        "Cống tổ 5 tắc": "answered_before",
        "Cầu Rạch Cát xuống cấp": "forwarded_before",
        "Chợ tạm lấn chiếm lòng đường": "undecided",
        "Đèn đường hẻm 7 hỏng": "undecided",
        "Rác thải chưa thu gom": "answered_before",
    }
    async with httpx.AsyncClient(headers=HTML, timeout=20) as http:
        public = await http.get(f"{server.url}/m/{meeting['meeting_id']}/answers")
    before = public.text.split('id="answered-before"', 1)[1]
    assert "Công văn số 123/UBND-QLĐT · 15/11/2026" in before
    assert "văn bản số 9/UBND" in before
    late = before.split("Rác thải", 1)[1].split("</li>", 1)[0]
    assert "· 30/11/2026" not in late  # not dated after the meeting; the text keeps what it said
