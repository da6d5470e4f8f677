"""Issue 16 on a real server: malformed frames and floods are answered and logged once, and slow
clients cannot hold the server."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.support.client import LiveClient
from tests.support.server import ServerProcess

DEEP = 5000


async def answer(connection: ClientConnection) -> dict[str, Any]:
    """The next frame that is not a view."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(connection.recv(), 10))
        if message["type"] != "view":
            return message


def refusal_lines(server: ServerProcess) -> list[str]:
    return [line for line in server.log_text().splitlines() if "refused" in line]


async def test_each_malformed_frame_is_answered_the_socket_kept_and_logged_once(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    epoch = host.views[-1]["epoch"]
    deep = b'{"a":' * DEEP + b"1" + b"}" * DEEP
    frames: list[tuple[str | bytes, str, str | None]] = [
        # msgspec gives up with RecursionError; the command_id is still readable
        (b'{"command_id":"deep-0001","x":' + deep + b',"type":"command"}', "bad_json", "deep-0001"),
        # a binary frame that is not UTF-8 (UnicodeDecodeError)
        (
            b'{"type":"command","command_id":"utf8-0001",'
            b'"command":{"type":"add_agenda_item","title":"\xff\xfe"}}',
            "bad_json",
            "utf8-0001",
        ),
        # str.isdigit() says "²" is a digit, int() refuses it; int() refuses 5,000 digits too
        (json.dumps({"type": "hello", "version": f"{epoch}:²:0"}), "bad_message", None),
        (json.dumps({"type": "hello", "version": f"{epoch}:{'9' * 5000}:0"}), "bad_message", None),
    ]
    for frame, code, command_id in frames:
        await host.connection.send(frame)
        reply = await answer(host.connection)
        assert reply["type"] == "error", reply
        assert reply["code"] == code
        assert reply["command_id"] == command_id
        assert reply["retryable"] is False
        assert reply["message"]
    # the same socket still answers, and still runs commands
    await host.send({"type": "ping"})
    assert (await answer(host.connection))["type"] == "pong"
    ack = await host.command({"type": "add_agenda_item", "title": "Vẫn chạy"})
    assert ack["type"] == "ack"
    log = server.log_text()
    assert "Traceback" not in log
    assert len(refusal_lines(server)) == 1, refusal_lines(server)
    await host.close()


async def test_a_flood_is_slowed_per_socket_with_a_retryable_refusal(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    """One phone asking and withdrawing thousands of times filled the meeting; now each socket
    gets a burst (a resending outbox, a burst of votes) and then about ten frames a second."""
    flooder = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    other = await LiveClient.open_phone(server, meeting["links"]["sites"][1]["join"])
    ids = [f"flood-{i:05d}" for i in range(400)]
    for command_id in ids:
        await flooder.send(
            {
                "type": "command",
                "command_id": command_id,
                "command": {"type": "withdraw_request", "request_id": "nothing-here"},
            }
        )
    answers: dict[str, dict[str, Any]] = {}
    while len(answers) < len(ids):
        message = await answer(flooder.connection)
        answers[message["command_id"]] = message
    slowed = [a for a in answers.values() if a.get("code") == "too_fast"]
    assert 200 < len(slowed) < 300
    assert all(a["type"] == "error" and a["retryable"] is True for a in slowed)
    assert "Xin chờ giây lát" in slowed[0]["message"]
    assert {a.get("code") for a in answers.values()} == {"too_fast", "unknown_request"}
    # another phone is not slowed by it, and the flooder may go on after a moment
    assert (await other.command({"type": "withdraw_request", "request_id": "x"}))["code"] == (
        "unknown_request"
    )
    await asyncio.sleep(0.5)
    later = await flooder.command({"type": "withdraw_request", "request_id": "x"})
    assert later["code"] == "unknown_request"
    assert len(refusal_lines(server)) == 1, refusal_lines(server)
    await flooder.close()
    await other.close()


async def test_no_ops_leave_no_row_in_the_log(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    item = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])[0]
    command = {"type": "set_current_agenda_item", "item_id": item}
    first = await host.command(command, "show-0001")
    assert first["duplicate"] is False

    def rows() -> int:
        db = sqlite3.connect(f"file:{server.data_dir / 'diemcau.sqlite3'}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT COUNT(*) FROM commands").fetchone()[0])
        finally:
            db.close()

    before = rows()
    for i in range(60):
        again = await host.command(command, f"show-again-{i:03d}")
        assert again == {**first, "command_id": f"show-again-{i:03d}"}
    assert rows() == before
    retried = await host.command(command, "show-again-007")
    assert retried["type"] == "ack"
    assert retried["duplicate"] is True
    await host.close()
