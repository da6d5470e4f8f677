"""The floor to compare against: a bare `websockets` server fanning out with broadcast().

Each client gets one frame on connect; a text frame "go" broadcasts a binary frame of --size bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve


async def run(host: str, port: int, size: int) -> None:
    payload = b"x" * size

    async def handler(connection: ServerConnection) -> None:
        await connection.send(payload)
        async for message in connection:
            if message == "go":
                broadcast(server.connections, payload)

    # The default backlog (100) would drop SYNs while hundreds of handshakes are in flight.
    async with serve(handler, host, port, compression=None, backlog=2048) as server:
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        print(f"listening on {host}:{port}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, required=True, help="payload bytes per frame")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="uvicorn runs on uvloop"
    )
    args = parser.parse_args()
    factory = None
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional, only when asked for

        factory = uvloop.new_event_loop
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run(args.host, args.port, args.size))


if __name__ == "__main__":
    main()
