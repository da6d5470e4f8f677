"""The floor on a real server: many hands at once, and bad input from each role."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import pytest

from tests.support.client import LiveClient
from tests.support.server import ServerProcess


def queue_names(view: dict[str, Any]) -> list[str]:
    """Names in the host's merged queue, in order."""
    block = re.search(r'<ol class="queue".*?</ol>', view["html"], re.DOTALL)
    assert block is not None
    return re.findall(r'<span class="queue-who"><strong>([^<]+)</strong>', block.group(0))


def queue_order(view: dict[str, Any]) -> list[str]:
    found = re.search(r"data-order='([^']*)'", view["html"])
    assert found is not None
    return re.findall(r'"([^"]+)"', found.group(1))


async def latest_host_view(server: ServerProcess, meeting: dict[str, Any]) -> dict[str, Any]:
    host = await LiveClient.open(server, meeting["links"]["host"])
    view = host.views[-1]
    await host.close()
    return view


async def test_two_secretaries_and_a_phone_enqueue_at_once_nothing_lost_or_doubled(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    sites = meeting["links"]["sites"]
    one = await LiveClient.open(server, sites[1]["secretary"])
    two = await LiveClient.open(server, sites[2]["secretary"])
    phone = await LiveClient.open_phone(server, sites[0]["join"])

    async def register(client: LiveClient, site_id: str, prefix: str) -> list[dict[str, Any]]:
        return [
            await client.command(
                {"type": "register_speaker", "site_id": site_id, "name": f"{prefix} {i}"}
            )
            for i in range(8)
        ]

    answers = await asyncio.gather(
        register(one, sites[1]["site_id"], "Một"),
        register(two, sites[2]["site_id"], "Hai"),
        phone.command(
            {"type": "request_to_speak", "request_id": "phone-req-1", "name": "Điện thoại"}
        ),
    )
    assert all(a["type"] == "ack" for a in [*answers[0], *answers[1], answers[2]])
    hall = await LiveClient.open(server, sites[0]["secretary"])
    assert (await hall.command({"type": "confirm_request", "request_id": "phone-req-1"}))[
        "type"
    ] == "ack"
    names = queue_names(await latest_host_view(server, meeting))
    assert sorted(names) == sorted(
        [f"Một {i}" for i in range(8)] + [f"Hai {i}" for i in range(8)] + ["Điện thoại"]
    )
    assert len(names) == len(set(names)) == 17
    seqs = [a["seq"] for a in [*answers[0], *answers[1], answers[2]]]
    assert len(set(seqs)) == len(seqs)  # every command its own place in the log
    for client in (one, two, phone, hall):
        await client.close()


async def test_a_reorder_against_a_stale_order_is_refused_and_a_fresh_one_applies(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    site = meeting["links"]["sites"][1]
    secretary = await LiveClient.open(server, site["secretary"])
    host = await LiveClient.open(server, meeting["links"]["host"])
    for name in ("An", "Bình"):
        await secretary.command(
            {"type": "register_speaker", "site_id": site["site_id"], "name": name}
        )
    view = await host.wait_for_view(">Bình<")
    stale = queue_order(view)
    # a secretary adds while the host is about to drag the last entry to the top
    await secretary.command(
        {"type": "register_speaker", "site_id": site["site_id"], "name": "Cường"}
    )
    refused = await host.command(
        {"type": "move_in_queue", "request_id": stale[-1], "position": 0, "expected_order": stale}
    )
    assert (refused["type"], refused["code"]) == ("error", "queue_changed")
    assert "Hàng chờ vừa thay đổi" in refused["message"]
    fresh = queue_order(await host.wait_for_view(">Cường<"))
    moved = await host.command(
        {"type": "move_in_queue", "request_id": fresh[-1], "position": 0, "expected_order": fresh}
    )
    assert moved["type"] == "ack"
    assert queue_names(await latest_host_view(server, meeting)) == ["Cường", "An", "Bình"]
    await secretary.close()
    await host.close()


async def test_a_double_click_on_call_next_calls_one_speaker(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    site = meeting["links"]["sites"][1]
    secretary = await LiveClient.open(server, site["secretary"])
    host = await LiveClient.open(server, meeting["links"]["host"])
    for name in ("An", "Bình"):
        await secretary.command(
            {"type": "register_speaker", "site_id": site["site_id"], "name": name}
        )
    call = {"type": "call_speaker", "request_id": None, "expected_current": None}
    # Two clicks on the same stale page: both frames leave before either answer comes back.
    for command_id in ("click-0001", "click-0002"):
        await host.send({"type": "command", "command_id": command_id, "command": call})
    answers: dict[str, dict[str, Any]] = {}
    while len(answers) < 2:
        message = await host.receive()
        if message["type"] in ("ack", "error"):
            answers[message["command_id"]] = message
    assert answers["click-0001"]["type"] == "ack"
    assert (answers["click-0002"]["type"], answers["click-0002"]["code"]) == (
        "error",
        "floor_changed",
    )
    view = await latest_host_view(server, meeting)
    assert queue_names(view) == ["Bình"]
    assert 'id="host-speaker-name">An<' in view["html"]
    await secretary.close()
    await host.close()


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"type": "register_speaker", "name": "   "}, "empty_text"),
        ({"type": "register_speaker", "name": "x" * 121}, "text_too_long"),
        ({"type": "register_speaker", "name": "An", "topic": "y" * 301}, "text_too_long"),
        (
            {"type": "register_speaker", "name": "An", "field": "Không có lĩnh vực này"},
            "unknown_field",
        ),
        ({"type": "register_speaker", "name": "An", "site_id": "no-such-site"}, "other_site"),
        ({"type": "register_speaker", "name": "An", "site_id": "OTHER"}, "other_site"),
        ({"type": "call_speaker", "request_id": None, "expected_current": None}, "forbidden"),
    ],
    ids=[
        "empty-name",
        "long-name",
        "long-topic",
        "unknown-field",
        "unknown-site",
        "another-site",
        "secretary-calls",
    ],
)
async def test_bad_floor_input_from_a_secretary(
    server: ServerProcess, meeting: dict[str, Any], command: dict[str, Any], code: str
) -> None:
    sites = meeting["links"]["sites"]
    secretary = await LiveClient.open(server, sites[1]["secretary"])
    full = (
        {"site_id": sites[1]["site_id"], **command}
        if command["type"] == "register_speaker"
        else command
    )
    if full.get("site_id") == "OTHER":
        full["site_id"] = sites[2]["site_id"]
    answer = await secretary.command(full)
    assert (answer["type"], answer["code"]) == ("error", code)
    assert answer["message"]
    assert queue_names(await latest_host_view(server, meeting)) == []
    await secretary.close()


async def test_calling_next_on_an_empty_queue_is_refused(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    answer = await host.command(
        {"type": "call_speaker", "request_id": None, "expected_current": None}
    )
    assert (answer["type"], answer["code"]) == ("error", "queue_empty")
    await host.close()


async def test_a_phone_asks_once_sees_its_place_and_may_withdraw(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    site = meeting["links"]["sites"][1]
    phone = await LiveClient.open_phone(server, site["join"])
    other_phone = await LiveClient.open_phone(server, site["join"])
    secretary = await LiveClient.open(server, site["secretary"])
    request_id = secrets.token_hex(6)
    ask = {
        "type": "request_to_speak",
        "request_id": request_id,
        "name": "Võ Thị Lan",
        "topic": "Rác thải",
    }
    assert (await phone.command(ask))["type"] == "ack"
    again = await phone.command({**ask, "request_id": secrets.token_hex(6)})
    assert (again["type"], again["code"]) == ("error", "already_requested")
    await phone.wait_for_view('data-status="pending"')
    stolen = await other_phone.command({"type": "withdraw_request", "request_id": request_id})
    assert (stolen["type"], stolen["code"]) == ("error", "unknown_request")
    assert "Võ Thị Lan" not in other_phone.views[-1]["html"]  # another phone does not see it
    assert (await secretary.command({"type": "confirm_request", "request_id": request_id}))[
        "type"
    ] == "ack"
    await phone.wait_for_view('id="you-are-next"')
    assert (await phone.command({"type": "withdraw_request", "request_id": request_id}))[
        "type"
    ] == "ack"
    await phone.wait_for_view('data-status="withdrawn"')
    assert queue_names(await latest_host_view(server, meeting)) == []
    for client in (phone, other_phone, secretary):
        await client.close()
