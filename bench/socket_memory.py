"""Where a live socket's memory goes: the server in-process under tracemalloc, N display sockets
opened by the load generator in a child process, the Python allocations that grew, per socket,
by the innermost frame of each library (server/, litestar, uvicorn, websockets, asyncio).

Then the same for the bare `websockets` server of `bench/baseline_server.py`, in the same run.
Run: `.venv/bin/python -m bench.socket_memory --sockets 2000` (see docs/benchmarks.md).
Not a test, and not the resident memory `bench.meeting` reports (that adds malloc's overhead).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import httpx
import uvicorn

from bench import baseline_server
from bench.fanout import free_port, ws_path
from bench.loadgen import Pool, raise_fd_limit
from server.config import Settings
from server.live.frames import LiveWebSocketProtocol
from server.web.app import create_app

# The child reads it from here too: one secret for the run, handed down in the environment.
SECRET = os.environ.setdefault("BENCH_ORGANISER_SECRET", "bench-" + secrets.token_hex(16))
HELLO = '{"type":"hello"}'
PLACES = ("server/", "litestar/", "uvicorn/", "websockets/", "asyncio/", "uvloop/")
WARM = 50  # sockets opened before the first snapshot: caches and first-use allocations


def place(filename: str) -> str:
    """The library a frame is in, as named in PLACES, else "other"."""
    path = filename.replace(os.sep, "/")
    return next((p.rstrip("/") for p in PLACES if f"/{p}" in path), "other")


class Growth(NamedTuple):
    lines: collections.Counter[str]
    places: collections.Counter[str]


def where(snapshot_before: tracemalloc.Snapshot, snapshot_after: tracemalloc.Snapshot) -> Growth:
    """Bytes that grew, by the innermost frame in a named library, and by that library."""
    by_line: collections.Counter[str] = collections.Counter()
    by_place: collections.Counter[str] = collections.Counter()
    for diff in snapshot_after.compare_to(snapshot_before, "traceback"):
        if diff.size_diff <= 0:
            continue
        named = [f for f in reversed(diff.traceback) if place(f.filename) != "other"]
        frame = named[0] if named else diff.traceback[-1]
        short = frame.filename.split("site-packages/")[-1].split(f"{Path.cwd()}/")[-1]
        by_line[f"{short}:{frame.lineno}"] += diff.size_diff
        by_place[place(frame.filename)] += diff.size_diff
    return Growth(by_line, by_place)


async def display_paths(port: int) -> list[str]:
    """A meeting of five sites made through the API; their displays' socket paths."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        created = await http.post(
            "/api/meetings",
            headers={"Authorization": f"Bearer {SECRET}"},
            json={
                "title": "Hội nghị",
                "date": "2026-12-03",
                "level": "ward",
                "chair": "Chủ tọa",
                "main_hall": "Hội trường",
                "sites": [f"Điểm cầu {i}" for i in range(1, 5)],
            },
        )
        created.raise_for_status()
        sites = created.json()["links"]["sites"]
    return [ws_path(s["display"], "display", s["site_id"]) for s in sites]


async def open_sockets(port: int, count: int, bare: bool) -> None:
    """The child: WARM sockets, a pause for the first snapshot, then the rest."""
    raise_fd_limit()
    paths = ["/display"] if bare else await display_paths(port)
    pool = Pool("127.0.0.1", port)
    everyone = [paths[i % len(paths)] for i in range(count + WARM)]
    warm = await pool.open(everyone[:WARM], on_open=lambda c: c.send_text(HELLO))
    await pool.wait_frames(warm, 1, 30)
    print("warm", flush=True)
    sys.stdin.readline()
    rest = await pool.open(everyone[WARM:], on_open=lambda c: c.send_text(HELLO))
    print("open", await pool.wait_frames(rest, 1, 120), flush=True)
    sys.stdin.readline()
    pool.close()


async def start_diemcau(port: int) -> tuple[asyncio.Future[None], Callable[[], None]]:
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="socket-memory-")),
        host="127.0.0.1",
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        organiser_secret=SECRET,
        server_key=secrets.token_hex(32),
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port)
    config.ws = LiveWebSocketProtocol
    config.ws_per_message_deflate = False
    config.log_level = "warning"
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)

    def stop() -> None:
        server.should_exit = True

    return serving, stop


async def start_bare(port: int) -> tuple[asyncio.Future[None], Callable[[], None]]:
    """`bench/baseline_server.py`'s server, in this process: a frame of a display's size."""
    serving = asyncio.ensure_future(baseline_server.run("127.0.0.1", port, 400, {"display": 400}))
    for _ in range(200):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        await asyncio.sleep(0.05)

    def stop() -> None:
        serving.cancel()

    return serving, stop


async def measure(count: int, bare: bool) -> Growth:
    port = free_port()
    serving, stop = await (start_bare(port) if bare else start_diemcau(port))
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.socket_memory", "--child", str(port),
        "--sockets", str(count), *(["--bare"] if bare else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None  # noqa: S101 - PIPE asked
    assert child.stdout is not None  # noqa: S101
    if await child.stdout.readline() != b"warm\n":
        raise SystemExit("the load generator could not open its first sockets")
    await asyncio.sleep(1)
    tracemalloc.start(30)
    before = tracemalloc.take_snapshot()
    child.stdin.write(b"\n")
    opened = (await child.stdout.readline()).decode().split()
    if opened[:1] != ["open"] or int(opened[-1]) != count:
        raise SystemExit(f"the load generator stopped: {opened}")
    await asyncio.sleep(2)  # presence flushes
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    child.stdin.write(b"\n")
    await child.wait()
    stop()
    with contextlib.suppress(asyncio.CancelledError):
        await serving
    return where(before, after)


def report(name: str, found: Growth, count: int) -> float:
    per_socket = sum(found.places.values()) / count
    print(f"{name}: {count} display sockets, Python allocations grown {per_socket:,.0f} B each")
    for place_name, size in found.places.most_common():
        print(f"  {size / count:7,.0f} B  {place_name}")
    print("  the 12 largest lines:")
    for line, size in found.lines.most_common(12):
        print(f"  {size / count:7,.0f} B  {line}")
    return per_socket


async def both(count: int) -> None:
    ours = report("diemcau", await measure(count, bare=False), count)
    bare = report("websockets", await measure(count, bare=True), count)
    print(f"ratio diemcau / websockets: {ours / bare:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(open_sockets(args.child, args.sockets, args.bare))
    else:
        asyncio.run(both(args.sockets))


if __name__ == "__main__":
    main()
