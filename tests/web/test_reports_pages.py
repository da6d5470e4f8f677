"""After the meeting, over HTTP: the report's figures, the follow-up, the public answers, the year."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from server.config import local_today
from server.core.events import PapersHeadingSet
from tests.support.client import LiveClient
from tests.support.driver import events_of
from tests.support.server import ServerProcess, create_meeting, organiser_headers
from tests.test_exports import docx_paragraphs, heading_cells, sheet_rows, texts_of
from tests.web.test_security import FOREIGN, assert_refused

HTML = {"accept": "text/html"}


async def scenario(server: ServerProcess, meeting: dict[str, Any]) -> dict[str, str]:
    """Two intake questions, a turn with two opinions, decisions of every kind; returns ids."""
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    imported = await host.command(
        {
            "type": "import_questions",
            "questions": [
                {
                    "text": "Đường ngập khi mưa lớn",
                    "body": "committee",
                    "level": "ward",
                    "site_id": sites[1]["site_id"],
                },
                {"text": "Công tác phát triển đảng viên trẻ", "body": "party", "level": "ward"},
            ],
        }
    )
    assert imported["type"] == "ack"
    await secretary.command(
        {"type": "register_speaker", "site_id": sites[1]["site_id"], "name": "Trần Văn An"}
    )
    await host.command({"type": "call_speaker", "request_id": None, "expected_current": None})
    view = await secretary.wait_for_view("đang phát biểu")
    request_id = re.search(r'id="turn-([0-9a-f]+)"', view["html"])
    assert request_id is not None
    for text in ("Đèn đường hỏng", "Rác thải chưa thu gom"):
        ack = await secretary.command(
            {
                "type": "record_opinion",
                "request_id": request_id.group(1),
                "text": text,
                "body": "committee",
            }
        )
        assert ack["type"] == "ack"
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    question_ids = re.findall(
        r'data-command="show_question" data-args=\'\{"question_id": "([0-9a-f]+)"',
        desk.views[-1]["html"],
    )
    await desk.close()
    assert len(question_ids) == 4
    decisions = [
        {"decision": "on_the_spot"},
        {"decision": "written", "agency": "UBND phường", "deadline": "2026-01-10"},
        # its own deadline: the default (the meeting's date + 15 days) is past by now
        {
            "decision": "forwarded",
            "forwarded_to": "city",
            "agency": "UBND thành phố",
            "deadline": _IN_TWO_MONTHS,
        },
        {"decision": "not_taken_up", "reason": "Không thuộc thẩm quyền"},
    ]
    for question_id, decision in zip(question_ids, decisions, strict=True):
        ack = await host.command(
            {"type": "decide_question", "question_id": question_id, **decision}
        )
        assert ack["type"] == "ack", ack
    await host.close()
    await secretary.close()
    return {"written": question_ids[1], "forwarded": question_ids[2]}


_IN_TWO_MONTHS = (date.fromisoformat(local_today()) + timedelta(days=60)).isoformat()


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(headers=HTML, timeout=20) as http:
        return await http.get(url)


async def test_the_report_shows_the_figures_of_the_meeting(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    await scenario(server, meeting)
    page = await get(meeting["links"]["host"] + "/report")
    assert page.status_code == 200
    figures = {name: int(n) for name, n in re.findall(r'id="stat-([\w-]+)">(\d+)<', page.text)}
    assert figures == {
        "before": 2,
        "in-hall": 2,
        "government": 2,  # HĐND and UBND together: both opinions went to the Committee
        "turns": 1,
        "opinions": 2,
        "answered_before": 0,
        "on_the_spot": 1,
        "written": 1,
        "forwarded": 1,
        "not_taken_up": 1,
        "undecided": 0,
    }
    assert "Trần Văn An" in page.text
    assert "Đèn đường hỏng" in page.text
    assert (await get(meeting["links"]["host"][:-2] + "xx/report")).status_code == 403


async def test_a_promised_answer_is_followed_up_until_it_is_given(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    ids = await scenario(server, meeting)
    followup = meeting["links"]["host"] + "/followup"
    page = await get(followup)
    states = dict(
        re.findall(
            r'id="q-([0-9a-f]+)" class="promise promise-\w+" data-follow-up="(\w+)"', page.text
        )
    )
    assert states == {
        ids["written"]: "overdue",
        ids["forwarded"]: "pending",
    }  # deadline 10/01/2026 is past
    async with httpx.AsyncClient(headers=HTML, timeout=20) as http:
        bad = await http.post(
            followup, data={"question_id": ids["written"], "text": " ", "answered_on": "2026-11-20"}
        )
        assert bad.status_code == 400
        assert "không được để trống" in bad.text
        answer = {"question_id": ids["written"], "text": "Đã khơi thông cống thoát nước tổ 5."}
        for day, says in (
            ("2099-01-05", "chưa đến"),  # a sent-date that has not come
            ("2026-11-20", "trước ngày hội nghị"),  # before the meeting (22/11) that promised it
            ("2026-11-31", "không phải là một ngày có thật"),
        ):
            refused = await http.post(followup, data={**answer, "answered_on": day})
            assert refused.status_code == 400, day
            assert says in refused.text, day
        done = await http.post(followup, data={**answer, "answered_on": "2026-11-25"})
        assert done.status_code == 303
    page = await get(followup)
    assert f'id="q-{ids["written"]}" class="promise promise-answered"' in page.text
    public = await get(f"{server.url}/m/{meeting['meeting_id']}/answers")
    assert public.status_code == 200
    assert "Đã khơi thông cống thoát nước tổ 5." in public.text
    assert (
        meeting["links"]["host"].rsplit("/", 1)[1] not in public.text
    )  # no secret on a public page


async def test_the_year_dashboard_counts_meetings_and_promises(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    await scenario(server, meeting)
    async with httpx.AsyncClient(headers={**HTML, **organiser_headers()}, timeout=20) as http:
        page = await http.get(f"{server.url}/organiser/dashboard?year=2026")
        empty = await http.get(f"{server.url}/organiser/dashboard?year=2019")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as stranger:
        refused = await stranger.get(f"{server.url}/organiser/dashboard")
    figures = {name: int(n) for name, n in re.findall(r'id="y-([\w-]+)">(\d+)<', page.text)}
    assert figures == {
        "meetings": 1,
        "opinions": 4,
        "answered-before": 0,
        "raised": 2,  # the two opinions of the turn, both to the People's Committee
        "party": 0,
        "government": 2,
        "turns": 1,
        "on-the-spot": 1,
        "written": 1,
        "forwarded-district": 0,
        "forwarded-city": 1,
        "promised": 2,
        "on-time": 0,
        "late": 0,
        "overdue": 1,
    }
    assert re.search(r'id="y-meetings">0<', empty.text)
    # a stranger's browser is sent to the sign-in page, never shown the figures
    assert refused.status_code == 302
    assert refused.headers["location"].startswith("/organiser/login?next=")


async def test_the_years_report_and_workbook_download_for_the_organiser_only(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    await scenario(server, meeting)
    base = f"{server.url}/organiser/dashboard/export"
    async with httpx.AsyncClient(headers={**HTML, **organiser_headers()}, timeout=30) as http:
        report = await http.get(f"{base}/year.docx?year=2026")
        workbook = await http.get(f"{base}/year.xlsx?year=2026")
        unknown = await http.get(f"{base}/year.exe?year=2026")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as stranger:
        refused = await stranger.get(f"{base}/year.xlsx?year=2026")
    assert (
        report.headers["content-disposition"]
        == 'attachment; filename="bao-cao-doi-thoai-2026.docx"'
    )
    paragraphs = docx_paragraphs(report.content)
    assert "Năm 2026, đã tổ chức 1 hội nghị tiếp xúc, đối thoại." in paragraphs
    assert (
        "Tại các hội nghị, có 1 lượt phát biểu, nêu trực tiếp 2 ý kiến, kiến nghị: 0 ý kiến về"
        " công tác xây dựng Đảng, 2 ý kiến về chính quyền." in paragraphs
    )
    summary = {r[0]: r[1] for r in sheet_rows(workbook.content, "Tổng hợp") if r[1] is not None}
    assert (summary["Tổng số ý kiến, kiến nghị"], summary["Chuyển cấp thành phố"]) == (4, 1)
    assert unknown.status_code == 404
    assert refused.status_code == 302


async def test_every_export_downloads_with_its_vietnamese(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    await scenario(server, meeting)
    base = meeting["links"]["host"] + "/export/"
    async with httpx.AsyncClient(timeout=60) as http:
        for kind, magic in (
            ("minutes.docx", b"PK"),
            ("conclusion.docx", b"PK"),
            ("questions.xlsx", b"PK"),
            ("questions.csv", b"\xef\xbb\xbf"),
            ("minutes.pdf", b"%PDF"),
        ):
            answer = await http.get(base + kind)
            assert answer.status_code == 200, (kind, answer.text[:200])
            assert answer.content.startswith(magic), kind
            assert "attachment" in answer.headers["content-disposition"]
        csv_text = (await http.get(base + "questions.csv")).content.decode("utf-8-sig")
        assert "Đường ngập khi mưa lớn" in csv_text
        assert (await http.get(base + "minutes.exe")).status_code == 404
        assert (
            await http.get(base.replace("/host/", "/host/x") + "minutes.docx")
        ).status_code == 403


async def _everything_told_of_the_meeting(
    server: ServerProcess, meeting: dict[str, Any], tmp_path: Path
) -> dict[str, str]:
    """The report page, every export (as its reader sees it), the year dashboard, the API."""
    host = meeting["links"]["host"]
    kinds = {
        "minutes.docx": "minutes.docx",
        "notice.docx": "conclusion.docx",
        "minutes.pdf": "minutes.pdf",
        "questions.xlsx": "questions.xlsx",
        "questions.csv": "questions.csv",
    }
    async with httpx.AsyncClient(headers=organiser_headers(), timeout=60) as http:
        files = {
            name: (await http.get(f"{host}/export/{kind}")).content for name, kind in kinds.items()
        }
        told = {
            "report": (await http.get(f"{host}/report", headers=HTML)).text,
            "dashboard": (await http.get(f"{server.url}/organiser/dashboard", headers=HTML)).text,
            "api": (await http.get(f"{server.url}/api/meetings")).text,
        }
    return {**told, **texts_of(files, tmp_path)}


async def test_while_a_ballot_hides_its_results_no_page_export_or_api_tells_its_votes(
    server: ServerProcess, meeting: dict[str, Any], tmp_path: Path
) -> None:
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    ack = await host.command(
        {"type": "open_ballot", "question_id": None, "show_live": False, "scale": "three"}
    )
    assert ack["type"] == "ack", ack
    view = await host.wait_for_view('data-command="close_ballot"')
    ballot = re.search(r'"close_ballot" data-args=\'\{"ballot_id": "([^"]+)"', view["html"])
    assert ballot is not None
    before = await _everything_told_of_the_meeting(server, meeting, tmp_path)
    phones = [await LiveClient.open_phone(server, sites[i % 3]["join"]) for i in range(3)]
    for phone in phones:
        vote = {"type": "cast_vote", "ballot_id": ballot.group(1), "choice": "satisfied"}
        assert (await phone.command(vote))["type"] == "ack"
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    paper = {
        "type": "set_paper_count",
        "ballot_id": ballot.group(1),
        "site_id": sites[1]["site_id"],
    }
    ack = await secretary.command({**paper, "satisfied": 5, "partly": 0, "not_satisfied": 0})
    assert ack["type"] == "ack"
    console = await host.wait_for_view("8 phiếu đã nhận")  # all the host console says
    assert 'class="tally"' not in console["html"]
    # device mode says what it counts, on the console and in the report, and points to cards
    for page in (console["html"], before["report"]):
        note = page.split('id="device-voting-note">')[1].split("</p>")[0]
        assert "theo thiết bị" in note
        assert "thẻ chỗ ngồi" in note
    assert "Hài lòng" not in console["html"].split('id="open-ballot"')[1].split("</div>")[0]
    assert await _everything_told_of_the_meeting(server, meeting, tmp_path) == before
    assert (await host.command({"type": "close_ballot", "ballot_id": ballot.group(1)}))["type"] == (
        "ack"
    )
    after = await _everything_told_of_the_meeting(server, meeting, tmp_path)
    assert after["report"] != before["report"]  # closed: now the counts are told
    assert after["questions.xlsx"] != before["questions.xlsx"]
    for client in (host, secretary, *phones):
        await client.close()


async def open_the_meeting(server: ServerProcess, host_link: str) -> None:
    """The host moves to the first agenda item: the meeting is under way."""
    host = await LiveClient.open(server, host_link)
    first = re.search(r'id="next-item"[^>]*?data-args=\'(\{[^\']*\})\'', host.views[-1]["html"])
    assert first is not None
    ack = await host.command({"type": "set_current_agenda_item", **json.loads(first.group(1))})
    assert ack["type"] == "ack", ack
    await host.close()


def text_of(html_text: str, element_id: str) -> str:
    """An element's text, tags dropped and blanks folded."""
    inner = html_text.split(f'id="{element_id}"', 1)[1].split(">", 1)[1]
    depth, end = 1, 0
    for match in re.finditer(r"<(/?)(\w+)[^>]*?(/?)>", inner):
        if match.group(3) or match.group(2) in ("br", "img", "input"):
            continue
        depth += -1 if match.group(1) else 1
        if depth == 0:
            end = match.start()
            break
    return " ".join(re.sub(r"<[^>]+>", "", inner[:end]).split())


async def test_attendance_nobody_entered_reads_not_recorded_and_a_part_says_so(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host, sites = meeting["links"]["host"], meeting["links"]["sites"]
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    assert 'id="attendance-due"' not in secretary.views[-1]["html"]  # before the meeting: no prompt
    await open_the_meeting(server, host)
    # under way: the secretary is asked for the site's attendance, the host sees who is missing
    prompt = await secretary.wait_for_view('id="attendance-due"')
    assert sites[1]["name"] in text_of(prompt["html"], "attendance-due")
    console = await LiveClient.open(server, host)
    missing = text_of(console.views[-1]["html"], "attendance-missing")
    assert missing == "Chưa nhập số người dự: " + ", ".join(s["name"] for s in sites)
    report = (await get(host + "/report")).text
    assert text_of(report, "report-attendance") == "chưa ghi nhận"
    assert re.findall(r'class="num attendance">([^<]*)<', report) == ["chưa ghi nhận"] * 3

    ack = await secretary.command(
        {"type": "set_attendance", "site_id": sites[1]["site_id"], "attendance": 0}
    )
    assert ack["type"] == "ack"
    answered = await secretary.wait_for_view('id="recorded-attendance">0<')
    assert 'id="attendance-due"' not in answered["html"]  # 0 entered is entered
    report = (await get(host + "/report")).text
    assert text_of(report, "report-attendance") == "0 (2 điểm cầu chưa ghi nhận)"
    assert re.findall(r'class="num attendance">([^<]*)<', report) == [
        "chưa ghi nhận",
        "0",
        "chưa ghi nhận",
    ]
    for site, count in ((sites[0], 120), (sites[2], 35)):
        other = await LiveClient.open(server, site["secretary"])
        entered = {"type": "set_attendance", "site_id": site["site_id"], "attendance": count}
        assert (await other.command(entered))["type"] == "ack"
        await other.close()
    view = await console.wait_for_view('id="attendance-total">155<')
    assert 'id="attendance-missing"' not in view["html"]
    for client in (secretary, console):
        await client.close()
    report = (await get(host + "/report")).text
    assert text_of(report, "report-attendance") == "155"
    async with httpx.AsyncClient(timeout=60) as http:
        minutes = (await http.get(host + "/export/minutes.docx")).content
    assert "Tổng số người dự: 155" in docx_paragraphs(minutes)


async def vote_on(server: ServerProcess, meeting: dict[str, Any], question_id: str) -> None:
    """A ballot on one answer (none on the meeting as a whole): 2 satisfied, 1 not."""
    host = await LiveClient.open(server, meeting["links"]["host"])
    opened = {
        "type": "open_ballot",
        "question_id": question_id,
        "show_live": True,
        "scale": "three",
    }
    assert (await host.command(opened))["type"] == "ack"
    view = await host.wait_for_view('data-command="close_ballot"')
    ballot = re.search(r'"close_ballot" data-args=\'\{"ballot_id": "([^"]+)"', view["html"])
    assert ballot is not None
    sites = meeting["links"]["sites"]
    for i, choice in enumerate(("satisfied", "satisfied", "not_satisfied")):
        phone = await LiveClient.open_phone(server, sites[i]["join"])
        vote = {"type": "cast_vote", "ballot_id": ballot.group(1), "choice": choice}
        assert (await phone.command(vote))["type"] == "ack"
        await phone.close()
    closed = await host.command({"type": "close_ballot", "ballot_id": ballot.group(1)})
    assert closed["type"] == "ack"
    await host.close()


async def test_the_dashboard_counts_only_meetings_held_and_its_satisfaction_is_the_rows(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    ids = await scenario(server, meeting)  # held on 22/11/2026: a speaker called, decisions
    await vote_on(server, meeting, ids["written"])
    draft = create_meeting(server, title="Hội nghị chưa tổ chức", date="2026-06-01")
    demo = create_meeting(server, title="Hội nghị mẫu", date="2026-10-01")
    await open_the_meeting(server, demo["links"]["host"])  # somebody tried the demo out
    (server.data_dir / "demo-meeting").write_text(demo["meeting_id"] + "\n")
    later = (date.fromisoformat(local_today()) + timedelta(days=40)).isoformat()
    rehearsal = create_meeting(server, title="Hội nghị diễn tập", date=later)
    await open_the_meeting(server, rehearsal["links"]["host"])  # tried before its day

    async with httpx.AsyncClient(headers={**HTML, **organiser_headers()}, timeout=20) as http:
        page = (await http.get(f"{server.url}/organiser/dashboard?year=2026")).text
        future_year = (await http.get(f"{server.url}/organiser/dashboard?year={later[:4]}")).text
    assert text_of(page, "y-meetings") == "1"
    assert re.findall(r'id="y-row-([\w-]+)"', page) == [meeting["meeting_id"]]
    not_held = {
        draft["meeting_id"]: "chưa khai mạc",
        demo["meeting_id"]: "hội nghị mẫu (demo)",
    }
    for meeting_id, reason in not_held.items():
        assert reason in text_of(page, f"y-not-held-{meeting_id}")
    assert "chưa đến ngày họp" in text_of(future_year, f"y-not-held-{rehearsal['meeting_id']}")
    # one computation: the headline adds up the rows (it said 62 % beside a row's "—")
    headline = text_of(page, "y-satisfaction")
    assert headline == "Hài lòng 2 · Tương đối hài lòng 0 · Chưa hài lòng 1 (67% hài lòng)"
    row = text_of(page, f"y-row-{meeting['meeting_id']}")
    assert f"{headline} (theo biểu quyết về các câu trả lời)" in row
    assert text_of(page, "y-attendance") == "chưa ghi nhận"  # nobody entered it: not 0
    assert "chưa ghi nhận" in row


async def test_the_papers_heading_is_set_on_the_report_page_and_printed_on_the_papers(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    papers = meeting["links"]["host"] + "/papers"
    async with httpx.AsyncClient(headers=HTML, timeout=30) as http:
        for form, says in (
            ({"kind": "committee", "issuer": "  "}, "Tên cơ quan ban hành không được để trống"),
            ({"kind": "king", "issuer": "UBND"}, "Hãy chọn cơ quan ban hành văn bản"),
            ({"kind": "front", "issuer": "x" * 121}, "quá dài"),
        ):
            refused = await http.post(papers, data=form)
            assert refused.status_code == 400, form
            assert says in refused.text, form
        assert not events_of(server, meeting["meeting_id"], PapersHeadingSet)  # nothing changed
        foreign = await http.post(
            papers, data={"kind": "party", "issuer": "X"}, headers={"origin": FOREIGN}
        )
        assert_refused(foreign)
        done = await http.post(
            papers,
            data={
                "kind": "party",
                "issuer": "Đảng ủy phường Tân Định",
                "superior": "Đảng bộ quận 1",
                "place": "Tân Định",
            },
        )
        assert done.status_code == 303
        page = await http.get(meeting["links"]["host"] + "/report")
        minutes = await http.get(meeting["links"]["host"] + "/export/minutes.docx")
    assert 'value="ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH"' in page.text
    assert '<option value="party" selected>' in page.text
    left, right = heading_cells(minutes.content)
    assert left[:3] == [("ĐẢNG BỘ QUẬN 1", False), ("ĐẢNG ỦY PHƯỜNG TÂN ĐỊNH", True), ("*", False)]
    assert right[0] == ("ĐẢNG CỘNG SẢN VIỆT NAM", True)
    assert right[1][0].startswith("Tân Định, ngày ")


async def test_the_dashboard_narrows_to_a_period_of_the_year_and_says_so(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    await scenario(server, meeting)  # the meeting is on 22/11/2026
    url = f"{server.url}/organiser/dashboard"
    async with httpx.AsyncClient(headers={**HTML, **organiser_headers()}, timeout=30) as http:
        november = await http.get(url, params={"from": "2026-11-01", "to": "2026-11-30"})
        december = await http.get(url, params={"from": "2026-12-01"})
        bad = await http.get(url, params={"from": "2026-02-30"})
        drilled = await http.get(
            f"{url}/opinions",
            params={"figure": "opinions", "from": "2026-12-01", "to": "2026-12-31"},
        )
        report = await http.get(
            f"{url}/export/year.docx", params={"from": "2026-11-01", "to": "2026-11-30"}
        )
    assert re.search(r'id="y-meetings">1<', november.text)
    assert re.search(r'id="y-meetings">0<', december.text)
    assert "từ 01/11/2026 đến 30/11/2026" in text_of(november.text, "y-period")
    assert "figure=opinions&amp;from=2026-11-01&amp;to=2026-11-30" in november.text
    assert bad.status_code == 400
    assert text_of(drilled.text, "figure-count") == "0"
    assert (
        "Từ ngày 01/11/2026 đến ngày 30/11/2026, đã tổ chức 1 hội nghị tiếp xúc, đối thoại."
        in docx_paragraphs(report.content)
    )
