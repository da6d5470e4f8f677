"""The live socket on a real server: several roles at once, and every kind of bad input."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.client import LiveClient, link_parts, ws_url
from tests.support.server import ServerProcess
from tests.support.wait import until


def item_ids(view: dict[str, Any]) -> list[str]:
    """Agenda item ids in the host view, in agenda order (from each item's edit panel)."""
    return re.findall(r'id="edit-([0-9a-f]+)"', view["html"])


def site_link(meeting: dict[str, Any], index: int, role: str) -> str:
    link: str = meeting["links"]["sites"][index][role]
    return link


async def test_host_moves_agenda_and_every_display_sees_it(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    secretaries = [
        await LiveClient.open(server, site_link(meeting, i, "secretary")) for i in (1, 2)
    ]
    displays = [await LiveClient.open(server, site_link(meeting, i, "display")) for i in (0, 1, 2)]
    first, second = item_ids(host.views[-1])[:2]

    ack = await host.command({"type": "set_current_agenda_item", "item_id": first})
    assert ack["type"] == "ack"
    views = await asyncio.gather(*(d.wait_for_view("Tuyên bố lý do") for d in displays))
    assert {v["seq"] for v in views} == {ack["seq"]}

    ack = await host.command({"type": "set_current_agenda_item", "item_id": second})
    for display in displays:
        view = await display.wait_for_view("Phát biểu khai mạc")
        assert view["seq"] == ack["seq"]
        assert "Tuyên bố lý do" not in view["html"]
    for secretary in secretaries:
        assert "Phát biểu khai mạc" in (await secretary.wait_for_view("Phát biểu khai mạc"))["html"]
    for client in [host, *secretaries, *displays]:
        await client.close()


async def test_site_secretary_check_in_reaches_the_host(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    one = await LiveClient.open(server, site_link(meeting, 1, "secretary"))
    two = await LiveClient.open(server, site_link(meeting, 2, "secretary"))
    site_one = link_parts(site_link(meeting, 1, "secretary"))["site"]
    site_two = link_parts(site_link(meeting, 2, "secretary"))["site"]

    acks = await asyncio.gather(
        one.command({"type": "set_attendance", "site_id": site_one, "attendance": 137}),
        two.command({"type": "set_site_ready", "site_id": site_two, "ready": True}),
    )
    assert [a["type"] for a in acks] == ["ack", "ack"]
    view = await host.wait_for_view(">137<")
    row = re.search(rf'<tr id="site-{site_one}".*?</tr>', view["html"], re.DOTALL)
    assert row is not None
    assert ">137<" in row.group(0)
    await host.wait_for_view(f'id="site-{site_two}"')
    for client in (host, one, two):
        await client.close()


async def test_a_site_secretary_cannot_touch_another_site(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    one = await LiveClient.open(server, site_link(meeting, 1, "secretary"))
    other_site = link_parts(site_link(meeting, 2, "secretary"))["site"]
    answer = await one.command({"type": "set_attendance", "site_id": other_site, "attendance": 5})
    assert answer["type"] == "error"
    assert answer["code"] == "other_site"
    assert "điểm cầu của mình" in answer["message"]  # Vietnamese first
    host = await LiveClient.open(server, meeting["links"]["host"])
    assert ">5<" not in host.views[-1]["html"]
    assert host.views[-1]["seq"] == 1  # nothing appended since the meeting was created
    await one.close()
    await host.close()


async def test_a_display_may_not_command(server: ServerProcess, meeting: dict[str, Any]) -> None:
    display = await LiveClient.open(server, site_link(meeting, 0, "display"))
    answer = await display.command({"type": "set_current_agenda_item", "item_id": None})
    assert (answer["type"], answer["code"]) == ("error", "forbidden")
    await display.close()


async def test_the_same_command_id_twice_has_one_effect(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    command = {"type": "add_agenda_item", "title": "Giải đáp thắc mắc về đất đai"}
    first = await host.command(command, command_id="retry-0001")
    second = await host.command(command, command_id="retry-0001")
    assert first["type"] == second["type"] == "ack"
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert second["seq"] == first["seq"]
    fresh = await LiveClient.open(server, meeting["links"]["host"])
    assert fresh.views[-1]["html"].count(">Giải đáp thắc mắc về đất đai<") == 1
    assert fresh.views[-1]["seq"] == first["seq"]
    await host.close()
    await fresh.close()


async def test_a_retry_of_an_accepted_command_is_not_rejected_later(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    first_item = item_ids(host.views[-1])[0]
    removal = {"type": "remove_agenda_item", "item_id": first_item}
    assert (await host.command(removal, command_id="remove-0001"))["type"] == "ack"
    # The item is gone now; deciding again would reject it, but a retry must get the first answer.
    retry = await host.command(removal, command_id="remove-0001")
    assert (retry["type"], retry["duplicate"]) == ("ack", True)
    await host.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all", "bad_json"),
        (
            '{"type": "command", "command_id": "abcdefgh", "command": {"type": "launch_rockets"}}',
            "unknown_command",
        ),
        (
            '{"type": "command", "command_id": "abcdefgh", "command": {"type": "set_attendance", "site_id": "x", "attendance": "many"}}',
            "bad_message",
        ),
        (
            '{"type": "command", "command_id": "short", "command": {"type": "set_current_agenda_item", "item_id": null}}',
            "bad_message",
        ),
        (
            '{"type": "command", "command_id": "abcdefgh", "command": {"type": "set_site_ready", "site_id": "x", "ready": true, "extra": 1}}',
            "bad_message",
        ),
        ("[1, 2, 3]", "bad_message"),
    ],
    ids=[
        "malformed-json",
        "unknown-command",
        "wrong-type",
        "short-command-id",
        "unknown-field",
        "not-an-object",
    ],
)
async def test_bad_messages_get_a_clear_error_and_change_nothing(
    server: ServerProcess, meeting: dict[str, Any], frame: str, code: str
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    await host.connection.send(frame)
    answer = await host.receive()
    assert answer["type"] == "error"
    assert answer["code"] == code
    assert answer["command_id"] == (
        "abcdefgh" if "abcdefgh" in frame else ("short" if "short" in frame else None)
    )
    assert answer["message"]
    await host.send({"type": "ping"})
    assert (await host.receive())["type"] == "pong"  # still connected, still served
    fresh = await LiveClient.open(server, meeting["links"]["host"])
    assert fresh.views[-1]["seq"] == 1
    await host.close()
    await fresh.close()


async def test_a_frame_over_64_kib_closes_with_1009(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    title = "đ" * 40_000  # 80,000 bytes of UTF-8
    await host.send(
        {
            "type": "command",
            "command_id": "big-00001",
            "command": {"type": "add_agenda_item", "title": title},
        }
    )
    with pytest.raises(ConnectionClosed) as closed:
        await host.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    fresh = await LiveClient.open(server, meeting["links"]["host"])
    assert fresh.views[-1]["seq"] == 1
    await fresh.close()


async def test_a_long_title_under_the_frame_cap_is_refused_by_the_core(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    answer = await host.command({"type": "add_agenda_item", "title": "a" * 300})
    assert (answer["type"], answer["code"]) == ("error", "text_too_long")
    await host.close()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda url: url.replace("key=", "key=x"),
        lambda url: re.sub(r"key=[^&]+", "", url),
        lambda url: url.replace("role=host", "role=secretary"),
        lambda url: url.replace("/m/", "/m/nope"),
    ],
    ids=["wrong-key", "missing-key", "key-for-another-role", "unknown-meeting"],
)
async def test_a_wrong_secret_is_refused_with_403(
    server: ServerProcess, meeting: dict[str, Any], mangle: Any
) -> None:
    url = mangle(ws_url(server, meeting["links"]["host"]))
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin=None)
    assert refused.value.response.status_code == 403


async def test_a_secretary_key_does_not_open_another_site(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    parts = link_parts(site_link(meeting, 1, "secretary"))
    other = link_parts(site_link(meeting, 2, "secretary"))["site"]
    url = (
        f"{server.ws_url}/m/{parts['meeting_id']}/ws?role=secretary&site={other}&key={parts['key']}"
    )
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin=None)
    assert refused.value.response.status_code == 403


async def test_a_foreign_origin_is_refused(server: ServerProcess, meeting: dict[str, Any]) -> None:
    url = ws_url(server, meeting["links"]["host"])
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="http://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    same = await connect(url, origin=server.url)  # type: ignore[arg-type]
    await same.send(json.dumps({"type": "hello"}))
    assert json.loads(await same.recv())["type"] == "view"
    await same.close()


async def test_compression_is_off(server: ServerProcess, meeting: dict[str, Any]) -> None:
    connection = await connect(ws_url(server, meeting["links"]["host"]), origin=None)
    extensions = (
        connection.response.headers.get("Sec-WebSocket-Extensions") if connection.response else None
    )
    assert extensions is None
    await connection.close()


async def test_reconnect_with_current_version_gets_no_resend(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    display = await LiveClient.open(server, site_link(meeting, 1, "display"))
    shown = display.views[-1]
    version = f"{shown['epoch']}:{shown['seq']}:{shown['rev']}"
    await display.close()
    again = await connect(ws_url(server, site_link(meeting, 1, "display")), origin=None)
    await again.send(json.dumps({"type": "hello", "version": version}))
    assert json.loads(await again.recv()) == {"type": "current", "version": version}
    await again.send(json.dumps({"type": "hello", "version": "old-epoch:0:0"}))
    assert json.loads(await again.recv())["type"] == "view"
    await again.close()


async def test_the_log_keeps_refusals_but_not_every_socket_that_comes_and_goes(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    before = len(server.log_text())
    display = await LiveClient.open(server, site_link(meeting, 0, "display"))
    await display.close()
    with pytest.raises(InvalidStatus):
        await connect(ws_url(server, meeting["links"]["host"]) + "x", origin=None)
    # The display's socket opened and closed before the refused one was tried: once the
    # refusal's line is in the log, the lines about the display's socket would be too.
    refused = f'"WebSocket /m/{meeting["meeting_id"]}/ws?role=host&key='
    await until(lambda: refused in server.log_text()[before:], what="the refusal in the log")
    written = server.log_text()[before:]
    assert '"WebSocket /m/' in written  # the refusal: 403
    assert " 403" in written
    assert "[accepted]" not in written
    assert "connection open" not in written
    assert "connection closed" not in written


async def test_a_screen_that_stops_reading_skips_views_and_holds_nobody_up(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    """A desk on bad Wi-Fi: its connection backs up, the others keep getting every change, and
    when it reads again it gets the newest view, not the backlog of the ones it missed."""
    host = await LiveClient.open(server, meeting["links"]["host"])
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    # One more, read only to see when a change has been published (to every desk at once).
    witness = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    # A second question desk that reads nothing: its client stops reading from its socket.
    stuck = await connect(
        ws_url(server, meeting["links"]["host"], view="questions"),
        origin=None,
        compression=None,
        max_size=None,
    )
    await stuck.send(json.dumps({"type": "hello"}))
    received: list[dict[str, Any]] = [json.loads(await asyncio.wait_for(stuck.recv(), 10))]
    assert received[0]["type"] == "view"  # its first view: it watches, then stops reading
    stuck.transport.pause_reading()
    # Long questions make the desk's view big (over half a MB): a few views fill every buffer
    # between the server and the stuck desk.
    text = "Đề nghị xem xét việc cấp giấy chứng nhận quyền sử dụng đất. " * 50
    last_seq = 0
    for i in range(60):
        ack = await host.command(
            {"type": "add_question", "question": {"text": f"{i}. {text}"[:5000]}}
        )
        assert ack["type"] == "ack"
        last_seq = ack["seq"]
        # Each of the last ones is published on its own: the next command waits until this one
        # is shown (published at most four times a second, a view may come after its ack).
        while i >= 35 and witness.views[-1]["seq"] < last_seq:
            await witness.next_view()
    # the desk that reads kept up: it saw many views and has the last change
    while desk.views[-1]["seq"] < last_seq:
        await desk.next_view()
    published = len(desk.views)
    assert published > 20
    # the stuck desk now reads: it ends on the newest view, having skipped most of the others
    stuck.transport.resume_reading()
    async with asyncio.timeout(30):
        while not received or received[-1].get("seq") != last_seq:
            received.append(json.loads(await stuck.recv()))
    assert all(message["type"] == "view" for message in received)
    # (it got what its buffers held before it stopped, then only the newest)
    assert len(received) <= published - 10, (len(received), published)
    await stuck.close()
    for client in (host, desk, witness):
        await client.close()
