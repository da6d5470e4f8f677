"""Issue 16 on a real server: malformed frames and floods are answered and logged once, and slow
clients cannot hold the server."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

import tests.support.server
from server.live.fanout import RedisNudges
from server.log.base import LogUnavailable
from tests.support.client import LiveClient, link_parts
from tests.support.redis_server import RedisProcess
from tests.support.server import ORGANISER_SECRET, ServerProcess
from tests.support.wait import until

DEEP = 5000


async def answer(connection: ClientConnection) -> dict[str, Any]:
    """The next frame that is not a view."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(connection.recv(), 10))
        if message["type"] != "view":
            return message


def refusal_lines(server: ServerProcess) -> list[str]:
    return [line for line in server.log_text().splitlines() if "refused" in line]


async def logged_refusals(server: ServerProcess) -> list[str]:
    """The refusal lines once the first is written: the server's log goes through a queue that a
    thread of its own writes out, so a line may come after the answer to the frame."""
    for _ in range(200):
        if lines := refusal_lines(server):
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError("no refusal logged within 10 s")


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
    refusals = await logged_refusals(server)
    assert "Traceback" not in server.log_text()
    assert len(refusals) == 1, refusals
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

    async def served() -> dict[str, Any] | None:
        answer = await flooder.command({"type": "withdraw_request", "request_id": "x"})
        if answer.get("code") != "too_fast":
            return answer
        assert answer["retryable"] is True  # still slowed: said so, and nothing was done
        return None

    # the socket's bucket refills at ten frames a second: served again within half a second
    later = await until(served, what="the flooder served again", within=0.5)
    assert later["code"] == "unknown_request"
    refusals = await logged_refusals(server)
    assert len(refusals) == 1, refusals
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


async def test_the_change_listener_outlives_a_log_failure_and_a_redis_restart(
    redis_process: RedisProcess,
) -> None:
    """Issue 16: a LogUnavailable while following a nudge ended the listener for good, and other
    workers' changes then came only from the 2-second safety loop."""
    heard: list[str] = []
    failures = ["the first nudge finds the log down"]

    async def on_change(meeting_id: str, seq: int) -> None:
        if failures:
            raise LogUnavailable(failures.pop())
        heard.append(meeting_id)

    async def ignore(meeting_id: str, seq: int) -> None:
        pass

    async def until_heard(meeting_id: str) -> None:
        for _ in range(150):
            speaker.announce(meeting_id, 1)
            await asyncio.sleep(0.1)
            if meeting_id in heard:
                return
        raise AssertionError(f"{meeting_id} never heard; heard {heard}")

    listener = RedisNudges(redis_process.url, on_change)
    speaker = RedisNudges(redis_process.url, ignore)
    await listener.start()
    try:
        await until_heard("before-the-restart")
        assert not failures
        redis_process.stop()
        redis_process.start()
        await until_heard("after-the-restart")
    finally:
        await listener.stop()
        await speaker.stop()


# -- secrets, cookies, headers --------------------------------------------------------------------


async def test_no_secret_reaches_the_server_log(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    """Issue 16: the organiser secret was printed at every start and link keys were in the access
    log."""
    links = meeting["links"]
    secretary = links["sites"][1]["secretary"]
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as browser:
        assert (await browser.get(f"/organiser/login?key={ORGANISER_SECRET}")).status_code == 302
        assert (await browser.get(links["host"])).status_code == 200
        assert (await browser.get(secretary)).status_code == 200
        assert (await browser.get(f"{links['host']}/report")).status_code == 200
    host = await LiveClient.open(server, links["host"])
    await host.close()
    wrong = f"{server.ws_url}/m/{meeting['meeting_id']}/ws?role=host&key=not-{ORGANISER_SECRET}"
    with pytest.raises(InvalidStatus):
        await connect(wrong, origin=None)
    # the refused socket's line is the last: once it is written, so are the ones before it
    refused = f'"WebSocket /m/{meeting["meeting_id"]}/ws?role=host&key='
    await until(lambda: refused in server.log_text(), what="the refused socket's line in the log")
    log = server.log_text()
    keys = [link_parts(links["host"])["key"], link_parts(secretary)["key"], ORGANISER_SECRET]
    for secret in keys:
        assert secret not in log
    assert "/host/***" in log  # the requests are logged, their keys are not
    assert "key=***" in log


HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def test_every_response_has_the_security_headers(server: ServerProcess) -> None:
    html = {"accept": "text/html"}
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        answers = [
            browser.get("/no/such/page", headers=html),  # 404 page
            browser.get("/api/no/such/thing"),  # 404 JSON
            browser.get("/m/nothing/host/wrong", headers=html),
            browser.post("/organiser/meetings", headers={**html, "origin": "http://x.example"}),
            browser.get("/organiser", headers=html),  # 302 to the sign-in page: not signed in
            browser.get("/static/css/app.css"),
            browser.get("/healthz"),
            browser.get("/schema/openapi.json"),
        ]
    for answer in answers:
        for name, value in HEADERS.items():
            assert value in answer.headers.get(name, ""), (answer.request.url, answer.status_code)
    assert {a.status_code for a in answers} >= {200, 302, 403, 404}


def test_the_schema_page_loads_nothing_from_another_origin(server: ServerProcess) -> None:
    page = httpx.get(f"{server.url}/schema", timeout=10, follow_redirects=True)
    assert page.status_code == 200
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page.text), page.text[:300]
    assert "/api/meetings" in httpx.get(f"{server.url}/schema/openapi.json", timeout=10).text


def test_cookies_are_secure_behind_an_https_proxy_and_only_then(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    join = meeting["links"]["sites"][1]["join"]
    over_https = {"x-forwarded-proto": "https"}  # from 127.0.0.1: the trusted proxy by default

    def cookies(url: str, **headers: str) -> list[str]:
        with httpx.Client(timeout=10) as browser:  # a browser of its own: no cookie yet
            return browser.get(url, headers=headers).headers.get_list("set-cookie")

    plain = cookies(join)
    proxied = cookies(join, **over_https)
    language = cookies(f"{server.url}/lang/en", **over_https)
    login = httpx.post(
        f"{server.url}/organiser/login",
        data={"secret": ORGANISER_SECRET},
        headers=over_https,
        timeout=10,
    ).headers.get_list("set-cookie")
    assert plain
    assert not any("secure" in c.lower() for c in plain)
    assert proxied
    assert all("; Secure" in c for c in proxied)
    assert any(c.startswith("session=") and "; Secure" in c for c in login), login
    assert language
    assert all("; Secure" in c for c in language)


def test_the_organiser_signs_out_and_another_site_cannot_sign_them_out(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.url, headers={"accept": "text/html"}, timeout=10) as browser:
        assert (
            browser.post("/organiser/login", data={"secret": ORGANISER_SECRET}).status_code == 303
        )
        home = browser.get("/organiser")
        assert 'action="/organiser/logout"' in home.text
        foreign = browser.post("/organiser/logout", headers={"origin": "http://x.example"})
        assert foreign.status_code == 403
        assert browser.get("/organiser").status_code == 200
        out = browser.post("/organiser/logout", headers={"origin": server.url})
        assert out.status_code == 303
        assert browser.get("/organiser").status_code == 302  # to the sign-in page


def test_a_new_organiser_secret_signs_everyone_out(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        assert (
            browser.post("/organiser/login", data={"secret": ORGANISER_SECRET}).status_code == 303
        )
        assert browser.get("/organiser").status_code == 200
        server.stop()
        monkeypatch.setattr(
            tests.support.server, "ORGANISER_SECRET", "a-new-organiser-secret-9f8e7d6c5b4a3210"
        )
        server.start()
        assert browser.get("/organiser").status_code == 403


# -- slow clients ---------------------------------------------------------------------------------

HEAD_TIMEOUT = 10  # seconds a client has to send a request's head (server/cli.py)


async def test_half_sent_requests_are_closed_in_time_and_hold_nobody_up(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    """Issue 16: 400 half-sent requests and WebSocket upgrades were held for 60 s and more."""
    upgrade = (
        f"GET /m/{meeting['meeting_id']}/ws?role=display HTTP/1.1\r\nHost: x\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    ).encode()
    slow = []
    for i in range(400):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(upgrade if i % 2 else b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow.append((reader, writer))
    await asyncio.gather(*(writer.drain() for _, writer in slow))
    began = asyncio.get_running_loop().time()
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{server.url}/healthz")).status_code == 200
    assert asyncio.get_running_loop().time() - began < 1.0
    # the server ends every one of them within its head timeout (read() is b"" at the close)
    ends = await asyncio.gather(
        *(asyncio.wait_for(reader.read(), HEAD_TIMEOUT + 5) for reader, _ in slow)
    )
    assert ends == [b""] * len(slow)
    for _, writer in slow:
        writer.close()
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{server.url}/healthz")).status_code == 200
