"""The floor to compare against: a bare `websockets` server fanning out with broadcast().

Each client gets one frame on connect; a text frame "go" broadcasts a binary frame of --size bytes,
or with --sizes (e.g. `display=391,secretary=3800,delegate=1200`) a frame of that size to the
sockets whose path is `/display`, `/secretary`, ... (one broadcast() per group, as one
render per view kind goes to all its sockets). A socket on `/control` only sends "go".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed


async def run(host: str, port: int, size: int, sizes: dict[str, int]) -> None:
    payload = b"x" * size
    payloads = {f"/{kind}": b"x" * n for kind, n in sizes.items()}
    groups: dict[str, set[ServerConnection]] = {path: set() for path in payloads}

    def go() -> None:
        if not groups:
            broadcast(server.connections, payload)
        for path, members in groups.items():
            broadcast(members, payloads[path])

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        group = groups.get(path)
        if path != "/control":
            await connection.send(payloads.get(path, payload))
        if group is not None:
            group.add(connection)
        try:
            async for message in connection:
                if message == "go":
                    go()
        except ConnectionClosed:
            pass  # a dropped client (the reconnect storm aborts them all): nothing to report
        finally:
            if group is not None:
                group.discard(connection)

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
    parser.add_argument("--sizes", default="", help="kind=bytes,... by path (see above)")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="uvicorn runs on uvloop"
    )
    args = parser.parse_args()
    factory = None
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional, only when asked for

        factory = uvloop.new_event_loop
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
        sizes = dict(pair.split("=") for pair in args.sizes.split(",") if pair)
        runner.run(run(args.host, args.port, args.size, {k: int(v) for k, v in sizes.items()}))


if __name__ == "__main__":
    main()
