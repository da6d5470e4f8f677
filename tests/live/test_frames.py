"""The live sockets' uvicorn protocol: each socket offers the app a pipe that writes a frame built
once, and says when a socket that pushed back can take more."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from server.cli import run_server
from server.config import Settings
from server.live.frames import FRAMES, LiveWebSocketProtocol
from server.live.hub import Message
from tests.support.redis_server import free_port
from tests.support.wait import until

BIG = b"x" * 256 * 1024  # a few of these fill any socket buffer between the two ends


class Probe:
    """An ASGI app with one WebSocket: accepts it, keeps its pipe, then waits for the end."""

    def __init__(self) -> None:
        self.pipe: Any = None
        self.ended = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        self.pipe = scope["extensions"][FRAMES]["pipe"]
        while (await receive())["type"] != "websocket.disconnect":
            pass
        self.ended.set()


@contextlib.asynccontextmanager
async def serving(app: Probe) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws=LiveWebSocketProtocol, lifespan="off"
    )
    server = uvicorn.Server(config)
    running = asyncio.ensure_future(server.serve())
    await until(lambda: server.started, what="uvicorn started")
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(running, 10)


async def test_a_frame_written_through_the_pipe_arrives_as_a_message() -> None:
    app = Probe()
    async with serving(app) as port, connect(f"ws://127.0.0.1:{port}/") as client:
        await until(lambda: app.pipe is not None, what="the socket's pipe")
        assert app.pipe.ready
        app.pipe.write(Message("Tân Định".encode()))
        assert await asyncio.wait_for(client.recv(), 10) == "Tân Định".encode()
        await client.close()
        await asyncio.wait_for(app.ended.wait(), 10)
        assert app.pipe.closed
        assert not app.pipe.ready


async def test_a_socket_that_pushes_back_is_not_ready_until_it_drains() -> None:
    app = Probe()
    async with serving(app) as port:
        client = await connect(f"ws://127.0.0.1:{port}/", max_size=None)
        await until(lambda: app.pipe is not None, what="the socket's pipe")
        client.transport.pause_reading()  # a phone on bad Wi-Fi: nothing read any more
        written = 0
        while app.pipe.ready:
            app.pipe.write(Message(BIG))
            written += 1
            await asyncio.sleep(0)  # the kernel takes what it can meanwhile
            assert written < 1000, "never pushed back"
        drained = asyncio.Event()
        app.pipe.when_ready(drained.set)
        assert not drained.is_set()
        client.transport.resume_reading()
        await asyncio.wait_for(drained.wait(), 10)
        assert app.pipe.ready
        for _ in range(written):
            assert await asyncio.wait_for(client.recv(), 10) == BIG
        await client.close()


def test_the_server_runs_the_live_sockets_on_this_protocol(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **options: started.update(options))
    run_server(Settings(data_dir=tmp_path))
    assert started["ws"] is LiveWebSocketProtocol
