"""The live sockets' protocol on a real uvicorn with a real client: the endpoint admits or refuses,
whole messages reach the session, frames built once arrive, a socket that pushes back is not ready
until it drains, a peer that stops answering pings is closed, and a stopping server says so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.http11 import Request

from server.cli import run_server
from server.config import Settings
from server.live import frames
from server.live.frames import LiveWebSocketProtocol
from server.live.hub import Message
from tests.support.redis_server import free_port
from tests.support.wait import until

BIG = b"x" * 256 * 1024  # a few of these fill any socket buffer between the two ends


class Recorder:
    """A session that keeps what it was sent, and whether it ended."""

    def __init__(self, socket: LiveWebSocketProtocol) -> None:
        self.socket = socket
        self.received: list[bytes] = []
        self.over = False

    def receive(self, data: bytes) -> None:
        self.received.append(data)

    def ended(self) -> None:
        self.over = True


class Door:
    """An endpoint that admits the path /ok, and refuses every other."""

    def __init__(self) -> None:
        self.sessions: list[Recorder] = []
        self.asked: list[str] = []

    async def admit(self, request: Request) -> Callable[[LiveWebSocketProtocol], Recorder] | None:
        self.asked.append(request.path)
        await asyncio.sleep(0)  # as a meeting read from the log would
        if request.path != "/ok":
            return None

        def opening(socket: LiveWebSocketProtocol) -> Recorder:
            self.sessions.append(Recorder(socket))
            return self.sessions[-1]

        return opening


async def _not_served(_scope: Any, _receive: Any, _send: Any) -> None:
    raise AssertionError("a live socket reached the ASGI app")


@contextlib.asynccontextmanager
async def serving(door: Door | None, **options: Any) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        _not_served,
        host="127.0.0.1",
        port=port,
        ws=LiveWebSocketProtocol,
        lifespan="off",
        ws_max_size=64 * 1024,
        **options,
    )
    server = uvicorn.Server(config)
    LiveWebSocketProtocol.serve(door)
    running = asyncio.ensure_future(server.serve())
    await until(lambda: server.started, what="uvicorn started")
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(running, 15)
        LiveWebSocketProtocol.serve(None)


async def test_an_admitted_socket_gets_frames_and_its_session_whole_messages() -> None:
    door = Door()
    async with serving(door) as port, connect(f"ws://127.0.0.1:{port}/ok") as client:
        await until(lambda: door.sessions, what="the session opened")
        session = door.sessions[0]
        assert session.socket.ready
        assert session.socket.offer(Message("Tân Định".encode()))
        assert await asyncio.wait_for(client.recv(), 10) == "Tân Định".encode()
        await client.send("xin chào")
        await client.send(["Phường ", "Bến ", "Nghé"])  # one message in three fragments
        await until(lambda: len(session.received) == 2, what="both messages")
        assert session.received == ["xin chào".encode(), "Phường Bến Nghé".encode()]
        await client.close()
        await until(lambda: session.over, what="the session ended")
        assert session.socket.closed
        assert not session.socket.offer(Message(b"late"))


async def test_a_refused_socket_gets_403_and_without_an_endpoint_503() -> None:
    door = Door()
    async with serving(door) as port:
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"ws://127.0.0.1:{port}/m/x/ws?key=wrong")
        assert refused.value.response.status_code == 403
        assert door.asked == ["/m/x/ws?key=wrong"]
        assert door.sessions == []
    async with serving(None) as port:
        with pytest.raises(InvalidStatus) as unserved:
            await connect(f"ws://127.0.0.1:{port}/ok")
        assert unserved.value.response.status_code == 503


async def test_a_message_over_the_cap_closes_with_1009_and_reaches_no_session() -> None:
    door = Door()
    async with serving(door) as port, connect(f"ws://127.0.0.1:{port}/ok", max_size=None) as client:
        await until(lambda: door.sessions, what="the session opened")
        await client.send(b"x" * (64 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(client.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
        assert door.sessions[0].received == []
        await until(lambda: door.sessions[0].over, what="the session ended")


async def test_a_socket_that_pushes_back_is_not_ready_until_it_drains() -> None:
    door = Door()
    async with serving(door) as port:
        client = await connect(f"ws://127.0.0.1:{port}/ok", max_size=None)
        await until(lambda: door.sessions, what="the session opened")
        socket = door.sessions[0].socket
        client.transport.pause_reading()  # a phone on bad Wi-Fi: nothing read any more
        written = 0
        while socket.offer(Message(BIG)):
            written += 1
            await asyncio.sleep(0)  # the kernel takes what it can meanwhile
            assert written < 1000, "never pushed back"
        assert not socket.ready
        drained = asyncio.Event()
        socket.when_ready(drained.set)
        assert not drained.is_set()
        client.transport.resume_reading()
        await asyncio.wait_for(drained.wait(), 10)
        assert socket.ready
        for _ in range(written):
            assert await asyncio.wait_for(client.recv(), 10) == BIG
        await client.close()


async def test_a_peer_that_stops_answering_pings_is_closed_with_1011(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(frames, "CLOSE_TIMEOUT", 0.5)
    door = Door()
    async with serving(door, ws_ping_interval=0.2) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /ok HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101")
        # Reads what comes and never answers: the pings, then the close, then the end.
        received = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        opcodes = _opcodes(received)
        assert Opcode.PING in opcodes
        assert opcodes[-1] is Opcode.CLOSE
        assert received.endswith(
            Frame(Opcode.CLOSE, b"\x03\xf3keepalive ping timeout").serialize(mask=False)
        )
        await until(lambda: door.sessions[0].over, what="the session ended")


async def test_a_peer_that_answers_the_pings_stays_open_between_frames() -> None:
    door = Door()
    async with (
        serving(door, ws_ping_interval=0.1) as port,
        connect(f"ws://127.0.0.1:{port}/ok", ping_interval=None) as client,
    ):
        await until(lambda: door.sessions, what="the session opened")
        socket = door.sessions[0].socket
        # The client answers each ping (websockets does, as browsers do); a missed pong would
        # close the socket at the next interval.
        await asyncio.sleep(1.0)
        assert socket.offer(Message(b"still here"))
        assert await asyncio.wait_for(client.recv(), 10) == b"still here"
        assert not door.sessions[0].over
        latency = client.latency  # the client's own ping: the server answers it
        await asyncio.wait_for(await client.ping(), 10)
        assert client.latency != latency


async def test_a_stopping_server_tells_every_page_to_reconnect_with_1012() -> None:
    door = Door()
    async with contextlib.AsyncExitStack() as stack:
        port = await stack.enter_async_context(serving(door))
        clients = [await connect(f"ws://127.0.0.1:{port}/ok") for _ in range(3)]
        await until(lambda: len(door.sessions) == 3, what="three sessions")
        closing = asyncio.gather(*(_close_code(client) for client in clients))
        await stack.aclose()  # the server stops
        assert await asyncio.wait_for(closing, 15) == [1012, 1012, 1012]
        assert all(session.over for session in door.sessions)


async def _close_code(client: Any) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await client.recv()
    return client.close_code  # type: ignore[no-any-return]


def _opcodes(data: bytes) -> list[Opcode]:
    """The opcodes of a stream of unmasked server frames."""
    found, at = [], 0
    while at < len(data):
        length, at_payload = data[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at_payload = int.from_bytes(data[at + 2 : at + 4]), at + 4
        found.append(Opcode(data[at] & 0x0F))
        at = at_payload + length
    return found


def test_the_server_runs_the_live_sockets_on_this_protocol(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **options: started.update(options))
    run_server(Settings(data_dir=tmp_path))
    assert started["ws"] is LiveWebSocketProtocol
