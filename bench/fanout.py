"""Fan-out benchmark: host command → last of N display sockets, Diemcau vs a bare websockets server.

Run: `.venv/bin/python -m bench.fanout --sockets 1000 5000 --events 30` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from bench.loadgen import Client, Pool

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET = "bench-organiser-secret-" + secrets.token_hex(8)
SITES = [f"Điểm cầu {i}" for i in range(1, 6)]
HELLO = '{"type":"hello"}'
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVER_CORE, LOADGEN_CORE = 0, 1
MAX_CONSECUTIVE_MISSES = 3
ITEM_ID = re.compile(r'"item_id": "([0-9a-f]+)"')


@dataclass
class Row:
    implementation: str
    sockets: int
    opened: int = 0
    failed: int = 0
    lost: int = 0
    frame_bytes: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    missed_events: int = 0
    missed_frames: int = 0
    server_cpu_ms: float = 0.0
    loadgen_cpu_ms: float = 0.0
    others_pct: float = 0.0  # of the machine's cores, busy with neither process during events
    errors: dict[str, int] = field(default_factory=dict)
    log_problems: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time all cores spent in processes (user, system, steal) since boot, from /proc/stat.

    irq and softirq are left out: loopback delivery for our own sockets is accounted there.
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + steal) / CLOCK_TICKS


class Process:
    """A server subprocess with its output in a log file; stopped on any exit path."""

    running: ClassVar[list[Process]] = []  # swept on every exit path

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        Process.running.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def pin(self, core: int) -> None:
        # Right after spawn, before the interpreter starts threads, so they all inherit it.
        os.sched_setaffinity(self.pid, {core})

    def check(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self in Process.running:
            Process.running.remove(self)
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    @classmethod
    def stop_all(cls) -> None:
        for process in list(cls.running):
            process.stop()


@contextlib.contextmanager
def started(process: Process) -> Iterator[Process]:
    try:
        yield process
    finally:
        process.stop()


def log_problems(process: Process, limit: int = 8) -> list[str]:
    """Lines of the server log that speak of trouble, for the report."""
    words = ("error", "traceback", "exception", "warning", "skipped")
    lines = process.log_path.read_text(errors="replace").splitlines()
    found = [line for line in lines if any(w in line.lower() for w in words)]
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


async def wait_ready(process: Process, probe: Callable[[], Any], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while True:
        process.check()
        with contextlib.suppress(OSError, httpx.HTTPError):
            if await probe():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} did not start in {within:.0f} s:\n{process.tail()}")
        await asyncio.sleep(0.1)


async def tcp_open(port: int) -> bool:
    _, writer = await asyncio.open_connection(HOST, port)
    writer.close()
    await writer.wait_closed()
    return True


@dataclass
class Options:
    events: int
    pause: float
    concurrency: int
    connect_timeout: float
    event_timeout: float
    pin: bool
    workdir: Path


async def measure(
    row: Row,
    *,
    pool: Pool,
    displays: list[Client],
    trigger: Callable[[int], None],
    pid: int,
    opts: Options,
    on_miss: Callable[[], str],
) -> None:
    """Runs the events: marks every display, fires, and waits for the last one to hear of it."""
    misses_in_a_row = 0
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    busy_before, began = machine_busy_seconds(), time.monotonic()
    for i in range(opts.events):
        pool.mark(displays, 1)
        sent = time.monotonic()
        trigger(i)
        times, missed = await pool.wait(displays, opts.event_timeout)
        if missed:
            row.missed_events += 1
            row.missed_frames += missed
            misses_in_a_row += 1
            print(f"    event {i}: {missed} of {len(displays)} displays got nothing; {on_miss()}")
            if misses_in_a_row >= MAX_CONSECUTIVE_MISSES:
                print("    giving up on this run after repeated misses")
                break
            # A straggler landing after the next mark would pass for that event's frame.
            await asyncio.sleep(2)
        else:
            misses_in_a_row = 0
            row.latencies_ms.append((max(times) - sent) * 1000)
            row.first_ms.append((min(times) - sent) * 1000)
        if i < opts.events - 1:
            await asyncio.sleep(opts.pause)
    events = max(1, len(row.latencies_ms) + row.missed_events)
    server, own = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
    others = machine_busy_seconds() - busy_before - server - own
    row.server_cpu_ms = server * 1000 / events
    row.loadgen_cpu_ms = own * 1000 / events
    row.others_pct = max(0.0, others) * 100 / ((time.monotonic() - began) * (os.cpu_count() or 1))
    row.frame_bytes = displays[0].last_length if displays else 0


def ws_path(url: str, role: str, site: str | None = None) -> str:
    """The live socket path for a page link (`…/m/{mid}/host/{key}`, `…/s/{sid}/display/{key}`)."""
    parts = urlsplit(url).path.strip("/").split("/")
    meeting_id, key = parts[1], parts[-1]
    query = f"role={role}&key={key}" + (f"&site={site}" if site else "")
    return f"/m/{meeting_id}/ws?{query}"


async def open_displays(
    row: Row, pool: Pool, paths: list[str], opts: Options, hello: bool
) -> list[Client]:
    began = time.monotonic()

    def greet(client: Client) -> None:
        client.send_text(HELLO)

    displays = await pool.open(
        paths, opts.concurrency, opts.connect_timeout, greet if hello else None
    )
    ready = await pool.wait_frames(displays, 1, opts.connect_timeout)
    row.opened, row.failed = pool.stats.opened, pool.stats.failed
    print(
        f"    {len(displays)}/{len(paths)} open, {ready} with their first frame"
        f" ({time.monotonic() - began:.1f} s)"
    )
    return [c for c in displays if c.frames >= 1]


async def run_diemcau(n: int, opts: Options) -> Row:
    row = Row("diemcau", n)
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix=f"diemcau-{n}-", dir=opts.workdir))
    url = f"http://{HOST}:{port}"
    env = {**os.environ, "DIEMCAU_ORGANISER_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    argv = [
        sys.executable, "-m", "server", "--data-dir", str(data_dir), "--host", HOST,
        "--port", str(port), "--public-url", url, "serve",
    ]  # fmt: skip
    with started(Process("diemcau", argv, data_dir / "server.log", env)) as server:
        if opts.pin:
            server.pin(SERVER_CORE)
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:

            async def healthy() -> bool:
                return (await http.get("/healthz")).status_code == 200

            await wait_ready(server, healthy)
            response = await http.post(
                "/api/meetings",
                headers={"Authorization": f"Bearer {SECRET}"},
                json={
                    "title": "Benchmark fan-out",
                    "date": "2026-11-22",
                    "level": "ward",
                    "chair": "Chủ tọa",
                    "main_hall": "Hội trường",
                    "sites": SITES,
                },
            )
            response.raise_for_status()
            links = response.json()["links"]

        control = Pool(HOST, port)
        pool = Pool(HOST, port)
        try:
            hosts = await control.open([ws_path(links["host"], "host")], keep_payloads=True)
            if not hosts:
                raise RuntimeError(f"host socket refused: {dict(control.stats.errors)}")
            host = hosts[0]
            host.send_text(HELLO)
            await control.wait_frames(hosts, 1, opts.connect_timeout)
            html = json.loads(host.payloads[0])["html"]
            items = list(dict.fromkeys(ITEM_ID.findall(html)))
            if len(items) < 2:
                raise RuntimeError(f"need two agenda items in the host view, found {items}")

            sites = links["sites"]
            paths = [
                ws_path(site["display"], "display", site["site_id"])
                for site in (sites[i % len(sites)] for i in range(n))
            ]
            displays = await open_displays(row, pool, paths, opts, hello=True)
            # Let the host's presence view (flushed 0.5 s after joins) and the log writes settle.
            await asyncio.sleep(1.5)
            server.check()
            # One unmeasured event first, so the item being set always differs from the current.
            warmup = [items[0]]

            def command(i: int) -> None:
                item = warmup.pop() if warmup else items[(i + 1) % 2]
                host.send_text(
                    json.dumps(
                        {
                            "type": "command",
                            "command_id": f"bench-{n}-{i}-{secrets.token_hex(4)}",
                            "command": {"type": "set_current_agenda_item", "item_id": item},
                        }
                    )
                )

            def host_said() -> str:
                last = host.payloads[-1][:300] if host.payloads else b""
                return f"host's last frame: {last!r}"

            pool.mark(displays, 1)
            command(-1)
            await pool.wait(displays, opts.event_timeout)
            await asyncio.sleep(opts.pause)
            await measure(
                row,
                pool=pool,
                displays=displays,
                trigger=command,
                pid=server.pid,
                opts=opts,
                on_miss=host_said,
            )
            server.check()
        finally:
            row.lost = pool.stats.lost
            row.errors = dict(pool.stats.errors + control.stats.errors)
            pool.close()
            control.close()
            await asyncio.sleep(0.2)
        row.log_problems = log_problems(server)
    return row


async def run_baseline(n: int, size: int, opts: Options) -> Row:
    row = Row("websockets", n)
    port = free_port()
    argv = [
        sys.executable, "-m", "bench.baseline_server", "--host", HOST, "--port", str(port),
        "--size", str(size),
    ]  # fmt: skip
    log = Path(tempfile.mkdtemp(prefix=f"baseline-{n}-", dir=opts.workdir)) / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with started(Process("baseline", argv, log, env)) as server:
        if opts.pin:
            server.pin(SERVER_CORE)
        await wait_ready(server, lambda: tcp_open(port))
        control = Pool(HOST, port)
        pool = Pool(HOST, port)
        try:
            displays = await open_displays(row, pool, ["/"] * n, opts, hello=False)
            controllers = await control.open(["/"])
            if not controllers:
                raise RuntimeError(f"control socket refused: {dict(control.stats.errors)}")
            controller = controllers[0]
            await asyncio.sleep(1.5)
            server.check()
            await measure(
                row,
                pool=pool,
                displays=displays,
                trigger=lambda _: controller.send_text("go"),
                pid=server.pid,
                opts=opts,
                on_miss=lambda: "",
            )
            server.check()
        finally:
            row.lost = pool.stats.lost
            row.errors = dict(pool.stats.errors + control.stats.errors)
            pool.close()
            control.close()
            await asyncio.sleep(0.2)
        row.log_problems = log_problems(server)
    return row


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def ratio(a: float, b: float) -> str:
    return "-" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.1f}x"


def table(rows: list[Row]) -> str:
    header = (
        f"{'implementation':<16}{'N':>6}{'p50 ms':>9}{'p99 ms':>9}{'first p50':>11}"
        f"{'CPU ms/event':>14}{'loadgen CPU':>13}{'others %':>10}"
        f"{'events':>8}{'missed':>8}{'failed':>8}{'lost':>6}"
    )
    lines = [header, "-" * len(header)]
    by_n: dict[int, dict[str, Row]] = {}
    for row in rows:
        by_n.setdefault(row.sockets, {})[row.implementation] = row
    for n, pair in by_n.items():
        lines.extend(
            f"{row.implementation:<16}{n:>6}{fmt(row.p50):>9}{fmt(row.p99):>9}"
            f"{fmt(percentile(row.first_ms, 50)):>11}{fmt(row.server_cpu_ms):>14}"
            f"{fmt(row.loadgen_cpu_ms):>13}{fmt(row.others_pct, 0):>10}"
            f"{len(row.latencies_ms):>8}{row.missed_events:>8}{row.failed:>8}{row.lost:>6}"
            for row in pair.values()
        )
        if "diemcau" in pair and "websockets" in pair:
            d, w = pair["diemcau"], pair["websockets"]
            lines.append(
                f"{'ratio d/w':<16}{n:>6}{ratio(d.p50, w.p50):>9}{ratio(d.p99, w.p99):>9}"
                f"{ratio(percentile(d.first_ms, 50), percentile(w.first_ms, 50)):>11}"
                f"{ratio(d.server_cpu_ms, w.server_cpu_ms):>14}"
            )
    return "\n".join(lines)


async def run_all(args: argparse.Namespace, workdir: Path) -> list[Row]:
    opts = Options(
        events=args.events,
        pause=args.pause,
        concurrency=args.concurrency,
        connect_timeout=args.connect_timeout,
        event_timeout=args.event_timeout,
        pin=args.pin,
        workdir=workdir,
    )
    rows: list[Row] = []
    for n in args.sockets:
        print(f"N={n}: diemcau")
        diemcau = await run_diemcau(n, opts)
        rows.append(diemcau)
        size = diemcau.frame_bytes or args.size
        print(f"N={n}: websockets broadcast() with {size}-byte frames")
        rows.append(await run_baseline(n, size, opts))
        for row in rows[-2:]:
            for line in row.log_problems:
                print(f"    {row.implementation} log: {line}")
            for error, count in row.errors.items():
                print(f"    {row.implementation} sockets: {count} x {error}")
    return rows


def main() -> None:
    from bench.session import prepare, run_bounded  # noqa: PLC0415 - it imports this module

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between events")
    parser.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    parser.add_argument("--event-timeout", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=1200.0, help="for the whole run")
    parser.add_argument("--size", type=int, default=4096, help="baseline frame if none measured")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="no CPU pinning")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--workdir", type=Path, help="keep server logs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the rows, with every latency, here")
    args = parser.parse_args()

    args.pin = prepare(max(args.sockets), args.pin)
    factory = None
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional, only when asked for

        factory = uvloop.new_event_loop
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, load generator on"
        f" {args.loop}; "
        + (
            f"server pinned to core {SERVER_CORE}, load generator to core {LOADGEN_CORE}"
            if args.pin
            else "no pinning"
        )
    )

    async def work(workdir: Path) -> list[Row]:
        return await run_all(args, workdir)

    rows = run_bounded(work, args.timeout, args.workdir, factory)
    print()
    print(table(rows))
    print(
        "\nlatency: from just before the trigger is written to the last display's frame;"
        " first p50: to the first display's; CPU: server utime+stime over the events / events;"
        " loadgen CPU: this process over the same span;"
        " others %: share of all cores busy with other processes meanwhile"
    )
    if args.json:
        payload = [{**asdict(row), "p50_ms": row.p50, "p99_ms": row.p99} for row in rows]
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
