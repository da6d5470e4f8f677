"""Votes on a real server: counted once, nothing after close, cards, secrecy, and kill -9 mid-burst."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from server.access import Keys
from server.config import load_settings
from tests.support.client import LiveClient, link_parts
from tests.support.redis_server import RedisProcess
from tests.support.server import ServerProcess, create_meeting, running_server

BALLOT_ID = re.compile(r'data-command="close_ballot" data-args=\'\{"ballot_id": "([^"]+)"')
TOTAL = re.compile(r'class="votes-total">(\d+)<')


async def open_ballot(host: LiveClient, **fields: Any) -> str:
    ack = await host.command({"type": "open_ballot", "question_id": None, **fields})
    assert ack["type"] == "ack", ack
    view = await host.wait_for_view('data-command="close_ballot"')
    found = BALLOT_ID.search(view["html"])
    assert found is not None
    return found.group(1)


async def tally(server: ServerProcess, meeting: dict[str, Any]) -> int:
    """The total on a display showing the ballot (after a fresh connect: the durable state)."""
    display = await LiveClient.open(server, meeting["links"]["sites"][0]["display"])
    await display.close()
    found = TOTAL.search(display.views[-1]["html"])
    assert found is not None, "no ballot on the display"
    return int(found.group(1))


async def test_one_phone_voting_a_hundred_times_at_once_counts_once(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    ballot = await open_ballot(host)
    phone = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    ids = [f"vote-{i:04d}" for i in range(100)]
    for i, command_id in enumerate(ids):  # all in flight before any answer is read
        choice = "satisfied" if i % 2 == 0 else "not_satisfied"
        await phone.send(
            {
                "type": "command",
                "command_id": command_id,
                "command": {"type": "cast_vote", "ballot_id": ballot, "choice": choice},
            }
        )
    answers: dict[str, dict[str, Any]] = {}
    while len(answers) < 100:
        message = await phone.receive()
        if message["type"] in ("ack", "error"):
            answers[message["command_id"]] = message
    assert all(a["type"] == "ack" for a in answers.values())  # changes are allowed by default
    assert await tally(server, meeting) == 1
    await phone.close()
    await host.close()


async def test_when_changes_are_not_allowed_the_first_vote_stands(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    assert (
        await host.command(
            {"type": "set_voting_rules", "eligibility": "device", "allow_change": False}
        )
    )["type"] == "ack"
    ballot = await open_ballot(host)
    phone = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    vote = {"type": "cast_vote", "ballot_id": ballot, "choice": "partly"}
    assert (await phone.command(vote))["type"] == "ack"
    again = await phone.command(vote)  # the same vote again: no harm, counted once
    assert again["type"] == "ack"
    changed = await phone.command({**vote, "choice": "satisfied"})
    assert (changed["type"], changed["code"]) == ("error", "already_voted")
    view = await host.wait_for_view('class="votes-total">1<')
    assert "(100%)" in view["html"]
    await phone.close()
    await host.close()


async def test_nothing_counts_after_close_and_closing_twice_changes_nothing(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    ballot = await open_ballot(host, show_live=False)
    early = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    late = await LiveClient.open_phone(server, meeting["links"]["sites"][2]["join"])
    assert (await early.command({"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"}))[
        "type"
    ] == "ack"
    first = await host.command({"type": "close_ballot", "ballot_id": ballot})
    second = await host.command({"type": "close_ballot", "ballot_id": ballot})
    assert first["type"] == second["type"] == "ack"
    assert second["seq"] == first["seq"]  # nothing was appended the second time
    refused = await late.command(
        {"type": "cast_vote", "ballot_id": ballot, "choice": "not_satisfied"}
    )
    assert (refused["type"], refused["code"]) == ("error", "ballot_closed")
    assert "không được tính" in refused["message"]
    assert await tally(server, meeting) == 1
    for client in (host, early, late):
        await client.close()


async def test_paper_counts_add_to_phones_per_site_and_only_for_the_own_site(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    ballot = await open_ballot(host)
    phone = await LiveClient.open_phone(server, sites[1]["join"])
    await phone.command({"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"})
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    paper = {
        "type": "set_paper_count",
        "ballot_id": ballot,
        "site_id": sites[1]["site_id"],
        "satisfied": 30,
        "partly": 5,
        "not_satisfied": 2,
    }
    assert (await secretary.command(paper))["type"] == "ack"
    assert (await secretary.command({**paper, "satisfied": 40}))[
        "type"
    ] == "ack"  # a recount replaces
    other = await secretary.command({**paper, "site_id": sites[2]["site_id"]})
    assert (other["type"], other["code"]) == ("error", "other_site")
    negative = await secretary.command({**paper, "partly": -1})
    assert (negative["type"], negative["code"]) == ("error", "bad_count")
    await host.command({"type": "close_ballot", "ballot_id": ballot})
    assert await tally(server, meeting) == 1 + 40 + 5 + 2
    for client in (host, phone, secretary):
        await client.close()


async def test_no_page_shows_who_voted_what(server: ServerProcess, meeting: dict[str, Any]) -> None:
    sites = meeting["links"]["sites"]
    host = await LiveClient.open(server, meeting["links"]["host"])
    ballot = await open_ballot(host)
    async with httpx.AsyncClient() as http:
        joined = await http.get(sites[1]["join"], follow_redirects=False)
    cookie = joined.headers["set-cookie"].split(";")[0]
    device = cookie.split("=", 1)[1].split(".")[1]
    phone = await LiveClient.open_phone(server, sites[1]["join"])
    await phone.command({"type": "cast_vote", "ballot_id": ballot, "choice": "not_satisfied"})
    await host.command({"type": "close_ballot", "ballot_id": ballot})
    views = [host.views[-1]["html"]]
    for link in (sites[1]["secretary"], sites[1]["display"], meeting["links"]["host"]):
        client = await LiveClient.open(server, link)
        views.append(client.views[-1]["html"])
        await client.close()
    assert all(device not in html and "device:" not in html for html in views)
    await phone.close()
    await host.close()


async def test_seat_cards_vote_once_and_foreign_cards_are_refused(
    server: ServerProcess, meeting: dict[str, Any], tmp_path: Path
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    assert (
        await host.command(
            {"type": "set_voting_rules", "eligibility": "card", "allow_change": False}
        )
    )["type"] == "ack"
    assert (await host.command({"type": "issue_ballot_cards", "count": 3}))["type"] == "ack"
    ballot = await open_ballot(host)
    async with httpx.AsyncClient(headers={"accept": "text/html"}) as http:
        sheet = await http.get(meeting["links"]["host"] + "/cards")
        assert sheet.status_code == 200
    codes = sheet.text.count("seat-card")
    assert codes == 3
    parts = link_parts(meeting["links"]["host"])
    mid = parts["meeting_id"]
    keys = Keys(load_settings(data_dir=server.data_dir).server_key)
    card_url = f"{server.url}/m/{mid}/card/{keys.card_code(mid, 1)}"
    async with httpx.AsyncClient(headers={"accept": "text/html"}) as http:
        refused = await http.get(
            f"{server.url}/m/{mid}/card/{keys.card_code(mid, 7)}"
        )  # not issued
        assert refused.status_code == 403
        forged = await http.get(f"{server.url}/m/{mid}/card/1-forgedmacforgedmac00")
        assert forged.status_code == 403
        scanned = await http.get(card_url, follow_redirects=False)
        assert scanned.status_code in (302, 303)
        cookies = "; ".join(c.split(";")[0] for c in scanned.headers.get_list("set-cookie"))
    site = re.search(r"dc_device_[\w-]+=([\w-]+)\.", cookies)
    assert site is not None
    url = f"{server.ws_url}/m/{mid}/ws?role=delegate&site={site.group(1)}"

    async def vote(connection: ClientConnection, command_id: str) -> dict[str, Any]:
        await connection.send(
            json.dumps(
                {
                    "type": "command",
                    "command_id": command_id,
                    "command": {"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"},
                }
            )
        )
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(connection.recv(), 10))
            if message.get("command_id") == command_id:
                return message

    # the same card scanned on two phones still votes once
    first = await connect(url, origin=None, additional_headers={"Cookie": cookies})
    second = await connect(url, origin=None, additional_headers={"Cookie": cookies})
    assert (await vote(first, "card-vote-1"))["type"] == "ack"
    assert (await vote(second, "card-vote-2"))["type"] == "ack"  # same card, same vote: no effect
    no_card = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    refused_vote = await no_card.command(
        {"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"}
    )
    assert (refused_vote["type"], refused_vote["code"]) == ("error", "card_required")
    assert await tally(server, meeting) == 1
    for connection in (first, second):
        await connection.close()
    await no_card.close()
    await host.close()


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_kill_9_mid_burst_loses_no_acknowledged_vote(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    args: list[str] = []
    if store == "redis":
        redis: RedisProcess = request.getfixturevalue("redis_process")
        args = ["--store", "redis", "--redis-url", redis.url]
    with running_server(tmp_path / "server", args) as server:
        meeting = create_meeting(server, sites=["Tổ 1", "Tổ 2", "Tổ 3"])
        host = await LiveClient.open(server, meeting["links"]["host"])
        ballot = await open_ballot(host, show_live=True)
        await host.close()
        phones = [
            await LiveClient.open_phone(server, meeting["links"]["sites"][i % 4]["join"])
            for i in range(120)
        ]
        acked: set[str] = set()
        enough = asyncio.Event()

        async def vote(phone: LiveClient, number: int) -> None:
            command_id = f"burst-{number:05d}-{secrets.token_hex(3)}"
            try:
                await phone.send(
                    {
                        "type": "command",
                        "command_id": command_id,
                        "command": {
                            "type": "cast_vote",
                            "ballot_id": ballot,
                            "choice": "satisfied",
                        },
                    }
                )
                while True:
                    message = await phone.receive()
                    if message.get("command_id") == command_id and message["type"] == "ack":
                        acked.add(command_id)
                        if len(acked) >= 30:
                            enough.set()
                        return
            except Exception:  # noqa: BLE001 - the server dies mid-burst on purpose
                return

        burst = [asyncio.create_task(vote(phone, i)) for i, phone in enumerate(phones)]
        await asyncio.wait_for(enough.wait(), 30)
        server.stop(kill=True)
        await asyncio.gather(*burst)
        assert 30 <= len(acked) <= 120
        server.start()
        counted = await tally(server, meeting)
        # every acknowledged vote is there; some sent but unacknowledged ones may be too
        assert len(acked) <= counted <= 120
