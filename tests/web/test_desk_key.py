"""The questions desk's own key, on a real server: listed with the host's link, opens the desk
and runs the desk's commands, and is refused the host's; the host keeps its own way in."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.client import LiveClient
from tests.support.server import ServerProcess, organiser_headers


def desk_ws(server: ServerProcess, desk_link: str, role: str = "desk") -> str:
    _, _, meeting_id, _, key = urlsplit(desk_link).path.split("/")
    return f"{server.ws_url}/m/{meeting_id}/ws?role={role}&key={key}"


async def open_desk(server: ServerProcess, desk_link: str) -> LiveClient:
    connection = await connect(
        desk_ws(server, desk_link), origin=None, compression=None, max_size=8 * 1024 * 1024
    )
    desk = LiveClient(connection)
    await desk.send({"type": "hello"})
    await desk.next_view()
    return desk


def test_the_desk_link_is_listed_with_the_hosts_and_is_not_the_host_key(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    links = meeting["links"]
    host_key, desk_key = links["host"].rsplit("/", 1)[1], links["desk"].rsplit("/", 1)[1]
    assert links["desk"].endswith(f"/m/{meeting['meeting_id']}/desk/{desk_key}")
    assert desk_key != host_key
    listed = httpx.get(
        f"{server.url}/api/meetings/{meeting['meeting_id']}/links", headers=organiser_headers()
    ).json()
    assert listed["desk"] == links["desk"]
    with httpx.Client(headers=organiser_headers(), timeout=10) as http:
        for page in ("", "/cards"):
            html = http.get(f"{server.url}/organiser/meetings/{meeting['meeting_id']}{page}").text
            assert links["desk"] in html
    desk_page = httpx.get(links["desk"], timeout=10)
    assert desk_page.status_code == 200
    assert host_key not in desk_page.text  # the desk's page never hands out the host's key


def test_the_desk_key_opens_none_of_the_hosts_pages(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    desk_key = meeting["links"]["desk"].rsplit("/", 1)[1]
    as_host = f"{server.url}/m/{meeting['meeting_id']}/host/{desk_key}"
    with httpx.Client(timeout=10) as http:
        for page in ("", "/questions", "/report", "/cards", "/followup", "/export/minutes.docx"):
            assert http.get(as_host + page).status_code == 403, page
        host_desk = http.get(meeting["links"]["host"] + "/questions")
    assert host_desk.status_code == 200  # the host keeps its own way to the desk


async def test_the_desk_key_runs_the_questions_and_is_refused_the_hosts_commands(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    desk = await open_desk(server, meeting["links"]["desk"])
    added = await desk.command(
        {"type": "add_question", "question": {"text": "Đường ngập", "body": "committee"}}
    )
    assert added["type"] == "ack", added
    view = await desk.wait_for_view("Đường ngập")
    found = re.search(r'"show_question" data-args=\'\{"question_id": "([0-9a-f]+)"', view["html"])
    assert found is not None
    question_id = found.group(1)
    shown = await desk.command({"type": "show_question", "question_id": question_id})
    assert shown["type"] == "ack", shown
    for command in (
        {"type": "set_speaking_time", "seconds": 240},
        {"type": "issue_ballot_cards", "count": 5},
        {"type": "open_ballot", "question_id": question_id, "scale": "three", "show_live": True},
        {"type": "call_speaker", "request_id": None, "expected_current": None},
        {"type": "set_current_agenda_item", "item_id": None},
    ):
        refused = await desk.command(command)
        assert (refused["type"], refused.get("code")) == ("error", "forbidden"), command
    host = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    allowed = await host.command({"type": "set_speaking_time", "seconds": 240})
    assert allowed["type"] == "ack"  # the host's socket on its desk is still the host
    for client in (desk, host):
        await client.close()


async def test_the_desk_key_is_not_a_host_key_on_the_socket(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(desk_ws(server, meeting["links"]["desk"], role="host"), origin=None)
    assert refused.value.response.status_code == 403
    wrong = f"{server.ws_url}/m/{meeting['meeting_id']}/ws?role=desk&key={secrets.token_hex(16)}"
    with pytest.raises(InvalidStatus):
        await connect(wrong, origin=None)
