"""Limits that punish only the abuser, on a real server: a phone that asks and withdraws in a loop,
phones minted from one join link (their questions, their supports, the minting itself), and the
count of phones each link made on the host's console."""

from __future__ import annotations

import asyncio
import re
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from server.core.events import QuestionSubmitted
from server.core.views import MODERATION_PAGE, questions_view
from server.web import services
from server.web.render import Renderer
from tests.core.support import T0, fold
from tests.core.test_questions import BASE, SITE_A, rec
from tests.support.client import LiveClient
from tests.support.server import ServerProcess


async def test_a_phone_asking_and_withdrawing_in_a_loop_stops_only_itself(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    looper = await LiveClient.open_phone(server, sites[1]["join"])
    answers = []
    for i in range(12):
        asked = await looper.command(
            {"type": "request_to_speak", "request_id": f"loop-{i}", "name": "A"}
        )
        answers.append(asked.get("code", asked["type"]))
        if asked["type"] == "ack":
            await looper.command({"type": "withdraw_request", "request_id": f"loop-{i}"})
    assert answers[:5] == ["ack"] * 5
    assert set(answers[5:]) == {"rate_limited"}
    other = await LiveClient.open_phone(server, sites[1]["join"])
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    host = await LiveClient.open(server, meeting["links"]["host"])
    asked = await other.command({"type": "request_to_speak", "request_id": "other-1", "name": "B"})
    registered = await secretary.command(
        {"type": "register_speaker", "site_id": sites[1]["site_id"], "name": "Bà Tư"}
    )
    by_host = await host.command(
        {"type": "register_speaker", "site_id": sites[0]["site_id"], "name": "Ông Năm"}
    )
    assert [asked["type"], registered["type"], by_host["type"]] == ["ack"] * 3
    for client in (looper, other, secretary, host):
        await client.close()


def no_cookie_jar() -> CookieJar:
    """Keeps no cookie, so every GET of a join link is a new phone."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


async def _minted(server: ServerProcess, join: str, count: int) -> list[LiveClient]:
    return list(await asyncio.gather(*(LiveClient.open_phone(server, join) for _ in range(count))))


async def test_phones_minted_from_one_link_share_one_budget_of_questions(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    phones = await _minted(server, sites[1]["join"], 12)
    outcomes = []
    for n, phone in enumerate(phones):
        for i in range(3):  # each phone within its own limit of three
            sent = await phone.command(
                {"type": "submit_question", "question_id": f"q-{n}-{i}", "text": f"Câu {n} {i}"}
            )
            outcomes.append(sent.get("code", sent["type"]))
    assert outcomes.count("ack") == 30  # the site's budget in ten minutes, not 36
    assert set(outcomes[30:]) == {"rate_limited"}
    elsewhere = await LiveClient.open_phone(server, sites[2]["join"])
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    sent = await elsewhere.command(
        {"type": "submit_question", "question_id": "e-1", "text": "Khác"}
    )
    added = await secretary.command(
        {"type": "add_question", "question": {"text": "Của thư ký", "body": "committee"}}
    )
    assert [sent["type"], added["type"]] == ["ack", "ack"]
    for client in (*phones, elsewhere, secretary):
        await client.close()


async def test_phones_minted_from_one_link_give_one_question_a_budget_of_supports(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    assert (
        await host.command(
            {"type": "import_questions", "questions": [{"text": "Đường ngập", "body": "committee"}]}
        )
    )["type"] == "ack"
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    found = re.search(
        r'"show_question" data-args=\'\{"question_id": "([0-9a-f]+)"', desk.views[-1]["html"]
    )
    assert found is not None
    support = {"type": "support_question", "question_id": found.group(1)}
    phones = await _minted(server, sites[1]["join"], 14)
    outcomes = [(await phone.command(support)).get("code", "ack") for phone in phones]
    assert outcomes == ["ack"] * 10 + ["rate_limited"] * 4
    elsewhere = await LiveClient.open_phone(server, sites[2]["join"])
    assert (await elsewhere.command(support))["type"] == "ack"  # another site's phones: unhurt
    for client in (host, desk, *phones, elsewhere):
        await client.close()


async def test_the_host_sees_how_many_phones_each_join_link_made(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    async with httpx.AsyncClient(timeout=10, cookies=no_cookie_jar()) as http:
        for _ in range(4):
            assert (await http.get(sites[1]["join"], follow_redirects=False)).status_code in (
                302,
                303,
                307,
            )
    marker = f'data-site="{sites[1]["site_id"]}">4<'
    view = await host.wait_for_view(marker)
    assert re.search(r'id="devices-joined">[^<]*<strong>4</strong>', view["html"])
    await host.close()


async def test_a_link_minting_phones_faster_than_a_hall_scans_is_refused_and_others_are_not(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(timeout=30, limits=limits, cookies=no_cookie_jar()) as http:
        gate = asyncio.Semaphore(8)

        async def mint(join: str) -> httpx.Response:
            async with gate:
                return await http.get(join, follow_redirects=False)

        answers = await asyncio.gather(*(mint(sites[1]["join"]) for _ in range(1200)))
        codes = [a.status_code for a in answers]
        assert 429 in codes
        assert codes.count(429) < 200 + 1  # the burst a hall needs went through
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.headers["retry-after"] == "5"
        assert "dc_device_" not in refused.headers.get("set-cookie", "")  # no phone was made
        assert (await http.get(sites[2]["join"], follow_redirects=False)).status_code != 429
        # a phone that joined already opens its link again freely: it is not a new phone
        made = next(a for a in answers if a.status_code != 429)
        device = next(c for c in made.headers.get_list("set-cookie") if c.startswith("dc_device_"))
        again = await http.get(
            sites[1]["join"], headers={"Cookie": device.split(";")[0]}, follow_redirects=False
        )
        assert again.status_code != 429


def test_the_join_buckets_refill_with_the_clock_and_are_per_link() -> None:
    now = [0.0]
    joins = services.DeviceJoins(burst=3, rate=0.5, clock=lambda: now[0])
    assert [joins.allow("m", "a") for _ in range(4)] == [True, True, True, False]
    assert joins.allow("m", "b")  # another site's link has its own bucket
    now[0] = 2.0  # one phone's worth at half a phone a second
    assert [joins.allow("m", "a") for _ in range(2)] == [True, False]
    assert dict(joins.made("m")) == {"a": 4, "b": 1}


def test_a_flood_of_phone_questions_costs_the_desk_a_page_not_the_flood() -> None:
    # 450 questions from minted phones, all waiting: the desk's view held every one (1.35 MB,
    # sent again on every change); now the oldest page and how many more wait.
    flood = fold(
        BASE,
        *(
            QuestionSubmitted(
                rec(f"w{i}", f"Câu hỏi số {i} về đèn đường", site=SITE_A, source="phone"),
                f"dev-{i}",
                T0 + i,
            )
            for i in range(450)
        ),
    )
    html = Renderer().render("vi", "live/questions.html", view=questions_view(flood))
    assert len(html.encode()) < 100_000
    assert html.count('data-command="moderate_question"') == 2 * MODERATION_PAGE
    assert f"và {450 - MODERATION_PAGE} câu hỏi khác đang chờ" in html
    assert '<span class="count">450</span>' in html
