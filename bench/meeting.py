"""Issue 7's meeting on this machine: 600 displays, 600 secretary consoles and 14,400 phones on
one meeting of 600 sites, each host command timed to the last of the 15,600 sockets.

Run side by side, with the same sockets and the same load generator: Diemcau with one worker on
SQLite, Diemcau with two workers over Redis, and a bare `websockets` server that broadcast()s
frames of the sizes Diemcau sent. Each run ends with a reconnect storm: every socket dropped at
once, then all reconnecting, timed until every one has its view again.

Run: `.venv/bin/python -m bench.meeting` (see docs/benchmarks.md); `… -m bench.meeting worst-case`
runs the meeting's worst case at once (typing, the queue and a vote burst together: see
bench/worst_case.py).
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
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import worst_case
from bench.fanout import (
    CLOCK_TICKS,
    HELLO,
    HOST,
    ITEM_ID,
    LOADGEN_CORE,
    SECRET,
    SERVER_CORE,
    Process,
    free_port,
    log_problems,
    machine_busy_seconds,
    percentile,
    wait_ready,
    ws_path,
)
from bench.loadgen import Client, Pool
from bench.session import prepare, run_bounded
from bench.votes import join_cookies

KINDS = ("display", "secretary", "delegate")
# Issue 15's targets, each a ratio to the bare broadcast() in the same run.
TARGET_TO_BARE = {"CPU/event": 0.75, "p50": 1.0, "p99": 0.8, "KiB/socket": 1.5, "storm": 1.0}
TARGET_SCALE_OUT = 1.15
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SEQ = re.compile(rb'"seq":(\d+)')


@dataclass
class Run:
    """What one implementation did with the meeting's sockets."""

    name: str
    sockets: int = 0
    opened: int = 0
    failed: int = 0
    open_s: float = float("nan")
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    missed_events: int = 0
    server_cpu_ms: float = float("nan")
    server_sys_ms: float = float("nan")  # of which in the kernel (mostly the sockets' send())
    redis_cpu_ms: float = float("nan")
    loadgen_cpu_ms: float = float("nan")
    others_pct: float = float("nan")
    kib_per_socket: float = float("nan")
    frame_bytes: dict[str, int] = field(default_factory=dict)
    storm_s: float = float("nan")
    storm_back: int = 0
    storm_failed: int = 0
    open_cpu_s: float = float("nan")  # the server's CPU while all the sockets opened
    storm_cpu_s: float = float("nan")  # and while they all came back after the storm
    lost: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    log_problems: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


@dataclass
class Options:
    sites: int
    phones_per_site: int
    events: int
    pause: float
    concurrency: int
    storm_concurrency: int
    connect_timeout: float
    event_timeout: float
    pin: bool
    workdir: Path
    redis_always: bool = False  # one worker on Redis too, to compare 1, 2, 4 workers on one store

    def count(self, kind: str) -> int:
        """Sockets of one kind: a display and a console per site, the phones of every site."""
        return self.sites * self.phones_per_site if kind == "delegate" else self.sites


@dataclass
class Sockets:
    """The meeting's sockets by kind, and how to open them again after a storm."""

    paths: dict[str, list[str]]
    cookies: dict[str, list[str | None]]
    clients: dict[str, list[Client]] = field(default_factory=dict)

    def all(self) -> list[Client]:
        return [c for kind in KINDS for c in self.clients.get(kind, [])]

    def count(self) -> int:
        return sum(len(p) for p in self.paths.values())


# --- processes ------------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process and its children."""
    user = system = 0.0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            user += int(fields[11]) / CLOCK_TICKS
            system += int(fields[12]) / CLOCK_TICKS
    return user, system


def tree_cpu(pid: int) -> float:
    return sum(tree_times(pid))


def tree_rss_kib(pid: int) -> float:
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1])
    return total * PAGE_SIZE / 1024


async def start_redis(workdir: Path) -> tuple[Process, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="redis-", dir=workdir))
    argv = [
        binary, "--bind", HOST, "--port", str(port), "--dir", str(data), "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
    ]  # fmt: skip
    redis = Process("redis", argv, data / "redis.log", dict(os.environ))

    async def pong() -> bool:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(b"PING\r\n")
            return (await reader.readline()).startswith(b"+PONG")
        finally:
            writer.close()

    await wait_ready(redis, pong)
    return redis, f"redis://{HOST}:{port}/0"


# --- the sockets ----------------------------------------------------------------------------------


async def open_all(pool: Pool, sockets: Sockets, opts: Options, concurrency: int) -> float:
    """Opens every socket of every kind at once, each saying hello; answers the seconds until all
    of them had a view (or the time ran out)."""
    began = time.monotonic()

    def greet(client: Client) -> None:
        client.send_text(HELLO)

    opened = await asyncio.gather(
        *(
            pool.open(
                sockets.paths[kind],
                concurrency // len(KINDS),
                opts.connect_timeout,
                greet,
                cookies=sockets.cookies[kind],
            )
            for kind in KINDS
        )
    )
    sockets.clients = dict(zip(KINDS, opened, strict=True))
    everyone = sockets.all()
    await pool.wait_frames(everyone, 1, opts.connect_timeout)
    return time.monotonic() - began


async def storm(pool: Pool, sockets: Sockets, run: Run, opts: Options, pid: int) -> None:
    """Every socket dropped at once (as when the hall's Wi-Fi blinks), then all back at once."""
    for client in sockets.all():
        client.abort()
    pool.clients.clear()
    await asyncio.sleep(0.5)  # the server notices the drops
    opened_before = pool.stats.opened
    began, cpu_before = time.monotonic(), tree_cpu(pid)
    await open_all(pool, sockets, opts, opts.storm_concurrency)
    run.storm_cpu_s = tree_cpu(pid) - cpu_before
    everyone = sockets.all()
    back = sum(1 for c in everyone if c.frames >= 1)
    run.storm_s = time.monotonic() - began
    run.storm_back = back
    run.storm_failed = sockets.count() - (pool.stats.opened - opened_before)
    print(
        f"    storm: {back}/{sockets.count()} back with their view in {run.storm_s:.1f} s"
        f" ({run.storm_failed} could not connect)"
    )


async def measure(  # noqa: PLR0917
    run: Run,
    pool: Pool,
    sockets: Sockets,
    trigger: Callable[[int], None],
    pids: list[int],
    opts: Options,
) -> None:
    """Each event: mark every socket, fire, wait for the last socket to have its next frame."""
    everyone = sockets.all()
    cpu_before = [tree_cpu(p) for p in pids]
    sys_before = tree_times(pids[0])[1]
    own_before, busy_before, began = time.process_time(), machine_busy_seconds(), time.monotonic()
    for i in range(opts.events):
        pool.mark(everyone, 1)
        sent = time.monotonic()
        trigger(i)
        times, missed = await pool.wait(everyone, opts.event_timeout)
        if missed:
            run.missed_events += 1
            print(f"    event {i}: {missed} of {len(everyone)} sockets got nothing")
            await asyncio.sleep(2)
        else:
            run.latencies_ms.append((max(times) - sent) * 1000)
            run.first_ms.append((min(times) - sent) * 1000)
        await asyncio.sleep(opts.pause)
    events = max(1, opts.events)
    cpu = [tree_cpu(p) - before for p, before in zip(pids, cpu_before, strict=True)]
    own = time.process_time() - own_before
    others = machine_busy_seconds() - busy_before - sum(cpu) - own
    run.server_cpu_ms = cpu[0] * 1000 / events
    run.server_sys_ms = (tree_times(pids[0])[1] - sys_before) * 1000 / events
    if len(cpu) > 1:
        run.redis_cpu_ms = cpu[1] * 1000 / events
    run.loadgen_cpu_ms = own * 1000 / events
    run.others_pct = max(0.0, others) * 100 / ((time.monotonic() - began) * (os.cpu_count() or 1))
    for kind in KINDS:
        clients = sockets.clients.get(kind, [])
        if clients:
            run.frame_bytes[kind] = clients[0].last_length


# --- Diemcau --------------------------------------------------------------------------------------


async def create_meeting(http: httpx.AsyncClient, sites: int) -> dict[str, Any]:
    response = await http.post(
        "/api/meetings",
        headers={"Authorization": f"Bearer {SECRET}"},
        json={
            "title": "Hội nghị đối thoại: 600 điểm cầu",
            "date": "2026-11-22",
            "level": "city",
            "chair": "Chủ tọa",
            "main_hall": "Hội trường chính",
            "sites": [f"Điểm cầu phường {i}" for i in range(1, sites)],
        },
    )
    response.raise_for_status()
    created: dict[str, Any] = response.json()
    return created


async def meeting_sockets(port: int, created: dict[str, Any], opts: Options) -> Sockets:
    meeting_id, sites = created["meeting_id"], created["links"]["sites"]
    phones = len(sites) * opts.phones_per_site
    joins = [urlsplit(sites[i % len(sites)]["join"]).path for i in range(phones)]
    began = time.monotonic()
    cookies = await join_cookies(port, meeting_id, joins, 8, opts.connect_timeout * 10)
    print(f"    {len(cookies)} phones joined (device cookies) in {time.monotonic() - began:.1f} s")
    return Sockets(
        paths={
            "display": [ws_path(s["display"], "display", s["site_id"]) for s in sites],
            "secretary": [ws_path(s["secretary"], "secretary", s["site_id"]) for s in sites],
            "delegate": [
                f"/m/{meeting_id}/ws?role=delegate&site={sites[i % len(sites)]['site_id']}"
                for i in range(phones)
            ],
        },
        cookies={
            "display": [None] * len(sites),
            "secretary": [None] * len(sites),
            "delegate": list(cookies),
        },
    )


async def run_diemcau(workers: int, opts: Options) -> Run:
    on_redis = workers > 1 or opts.redis_always
    run = Run(f"diemcau {workers}w" + (" redis" if on_redis else " sqlite"))
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix=f"meeting-{workers}w-", dir=opts.workdir))
    url = f"http://{HOST}:{port}"
    env = {**os.environ, "DIEMCAU_ORGANISER_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    redis: Process | None = None
    store = ["--store", "sqlite"]
    if on_redis:
        redis, redis_url = await start_redis(opts.workdir)
        store = ["--store", "redis", "--redis-url", redis_url]
    argv = [
        sys.executable, "-m", "server", "--data-dir", str(data_dir), "--host", HOST,
        "--port", str(port), "--public-url", url, *store, "serve", "--workers", str(workers),
    ]  # fmt: skip
    server = Process(run.name, argv, data_dir / "server.log", env)
    pool, control = Pool(HOST, port), Pool(HOST, port)
    own_cores = os.sched_getaffinity(0)
    try:
        if opts.pin and workers == 1:
            server.pin(SERVER_CORE)
        elif opts.pin:
            # Two workers and the load generator share both cores, as the kernel sees fit.
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:

            async def healthy() -> bool:
                return (await http.get("/healthz")).status_code == 200

            await wait_ready(server, healthy)
            created = await create_meeting(http, opts.sites)
        sockets = await meeting_sockets(port, created, opts)
        run.sockets = sockets.count()
        hosts = await control.open([ws_path(created["links"]["host"], "host")], keep_payloads=True)
        if not hosts:
            raise RuntimeError(f"host socket refused: {dict(control.stats.errors)}")
        host = hosts[0]
        host.send_text(HELLO)
        await control.wait_frames(hosts, 1, opts.connect_timeout)
        items = list(dict.fromkeys(ITEM_ID.findall(json.loads(host.payloads[0])["html"])))
        await asyncio.sleep(1)
        rss_before = tree_rss_kib(server.pid)
        cpu_before = tree_cpu(server.pid)
        run.open_s = await open_all(pool, sockets, opts, opts.concurrency)
        run.open_cpu_s = tree_cpu(server.pid) - cpu_before
        run.opened, run.failed = pool.stats.opened, pool.stats.failed
        ready = sum(1 for c in sockets.all() if c.frames >= 1)
        print(f"    {ready}/{run.sockets} open with their view in {run.open_s:.1f} s")
        await asyncio.sleep(2)  # presence flushes, log writes
        run.kib_per_socket = (tree_rss_kib(server.pid) - rss_before) / max(1, ready)
        server.check()

        def command(i: int) -> None:
            host.send_text(
                json.dumps(
                    {
                        "type": "command",
                        "command_id": f"bench-{i}-{secrets.token_hex(4)}",
                        "command": {"type": "set_current_agenda_item", "item_id": items[i % 2]},
                    }
                )
            )

        pool.mark(sockets.all(), 1)
        command(-1)  # unmeasured: after it, every event changes what every screen shows
        await pool.wait(sockets.all(), opts.event_timeout)
        await asyncio.sleep(opts.pause)
        pids = [server.pid] + ([redis.pid] if redis else [])
        await measure(run, pool, sockets, command, pids, opts)
        await storm(pool, sockets, run, opts, server.pid)
        server.check()
    finally:
        run.lost = pool.stats.lost
        run.errors = dict(pool.stats.errors + control.stats.errors)
        pool.close()
        control.close()
        await asyncio.sleep(0.5)
        server.stop()
        if redis is not None:
            redis.stop()
        os.sched_setaffinity(0, own_cores)
    run.log_problems = log_problems(server)
    return run


# --- the bare baseline ----------------------------------------------------------------------------


async def run_baseline(sizes: dict[str, int], opts: Options) -> Run:
    run = Run("websockets")
    port = free_port()
    spec = ",".join(f"{kind}={size}" for kind, size in sizes.items())
    argv = [
        sys.executable, "-m", "bench.baseline_server", "--host", HOST, "--port", str(port),
        "--size", str(max(sizes.values(), default=400)), "--sizes", spec,
    ]  # fmt: skip
    log = Path(tempfile.mkdtemp(prefix="baseline-", dir=opts.workdir)) / "server.log"
    server = Process("baseline", argv, log, {**os.environ, "PYTHONUNBUFFERED": "1"})
    pool, control = Pool(HOST, port), Pool(HOST, port)
    bare = Sockets(
        paths={kind: [f"/{kind}"] * opts.count(kind) for kind in KINDS},
        cookies={kind: [None] * opts.count(kind) for kind in KINDS},
    )
    run.sockets = bare.count()
    try:
        if opts.pin:
            server.pin(SERVER_CORE)

        async def listening() -> bool:
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return True

        await wait_ready(server, listening)
        await asyncio.sleep(0.5)
        rss_before = tree_rss_kib(server.pid)
        cpu_before = tree_cpu(server.pid)
        run.open_s = await open_all(pool, bare, opts, opts.concurrency)
        run.open_cpu_s = tree_cpu(server.pid) - cpu_before
        run.opened, run.failed = pool.stats.opened, pool.stats.failed
        ready = sum(1 for c in bare.all() if c.frames >= 1)
        print(f"    {ready}/{run.sockets} open with their first frame in {run.open_s:.1f} s")
        await asyncio.sleep(2)
        run.kib_per_socket = (tree_rss_kib(server.pid) - rss_before) / max(1, ready)
        controllers = await control.open(["/control"])
        if not controllers:
            raise RuntimeError(f"control socket refused: {dict(control.stats.errors)}")
        await asyncio.sleep(0.5)
        await measure(run, pool, bare, lambda _: controllers[0].send_text("go"), [server.pid], opts)
        await storm(pool, bare, run, opts, server.pid)
        server.check()
    finally:
        run.lost = pool.stats.lost
        run.errors = dict(pool.stats.errors + control.stats.errors)
        pool.close()
        control.close()
        await asyncio.sleep(0.5)
        server.stop()
    run.log_problems = log_problems(server)
    return run


# --- report ---------------------------------------------------------------------------------------


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # noqa: PLR0124 - NaN check


def table(runs: list[Run]) -> str:
    header = (
        f"{'implementation':<20}{'sockets':>8}{'p50 ms':>9}{'p99 ms':>9}{'first p50':>11}"
        f"{'CPU ms/ev':>11}{'sys ms':>8}{'redis ms/ev':>12}{'loadgen':>9}{'others %':>10}"
        f"{'KiB/sock':>10}"
        f"{'open s':>8}{'CPU s':>7}{'storm s':>9}{'CPU s':>7}{'events':>8}{'missed':>8}"
        f"{'lost':>6}"
    )
    lines = [header, "-" * len(header)]
    lines.extend(
        f"{r.name:<20}{r.sockets:>8}{fmt(r.p50):>9}{fmt(r.p99):>9}"
        f"{fmt(percentile(r.first_ms, 50)):>11}{fmt(r.server_cpu_ms):>11}"
        f"{fmt(r.server_sys_ms):>8}{fmt(r.redis_cpu_ms):>12}{fmt(r.loadgen_cpu_ms):>9}"
        f"{fmt(r.others_pct, 0):>10}"
        f"{fmt(r.kib_per_socket):>10}{fmt(r.open_s):>8}{fmt(r.open_cpu_s):>7}"
        f"{fmt(r.storm_s):>9}{fmt(r.storm_cpu_s):>7}"
        f"{len(r.latencies_ms):>8}{r.missed_events:>8}{r.lost:>6}"
        for r in runs
    )
    base = next((r for r in runs if r.name == "websockets"), None)
    if base is not None:
        for r in runs:
            if r is base:
                continue
            lines.append(
                f"{'ratio to bare':<20}{r.name:>8}  p50 {r.p50 / base.p50:.2f}x"
                f"  p99 {r.p99 / base.p99:.2f}x"
                f"  CPU/event {r.server_cpu_ms / base.server_cpu_ms:.2f}x"
                f"  KiB/socket {r.kib_per_socket / base.kib_per_socket:.2f}x"
                f"  storm {r.storm_s / base.storm_s:.2f}x"
            )
    return "\n".join(lines)


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value  # nan: no Redis in that run


def verdicts(runs: list[Run]) -> list[str]:
    base = next((r for r in runs if r.name == "websockets"), None)
    out: list[str] = []
    for r in runs:
        if r is base:
            continue
        checks: list[tuple[str, float, float, str]] = []
        if base is not None:
            checks.extend(
                (f"{name} to bare", value, TARGET_TO_BARE[name], "x")
                for name, value in (
                    ("CPU/event", r.server_cpu_ms / base.server_cpu_ms),
                    ("p50", r.p50 / base.p50),
                    ("p99", r.p99 / base.p99),
                    ("KiB/socket", r.kib_per_socket / base.kib_per_socket),
                    ("storm", r.storm_s / base.storm_s),
                )
            )
        one = next((o for o in runs if o.name.startswith("diemcau 1w")), None)
        if one is not None and r is not one and r.name.endswith(one.name.rsplit(" ", 1)[1]):
            # Adding workers must add capacity: total CPU per event (workers and Redis) at most
            # TARGET_SCALE_OUT of one worker's on the same store.
            total = r.server_cpu_ms + _or_zero(r.redis_cpu_ms)
            checks.append(
                (
                    "CPU/event vs 1 worker",
                    total / (one.server_cpu_ms + _or_zero(one.redis_cpu_ms)),
                    TARGET_SCALE_OUT,
                    "x",
                )
            )
        out.extend(
            f"{r.name}: {name} {value:.2f} {unit} vs target {target:.2f} {unit}: "
            + ("PASS" if value <= target else f"MISSED by {100 * (value / target - 1):.0f} %")
            for name, value, target, unit in checks
        )
    return out


# --- main -----------------------------------------------------------------------------------------


async def run_all(args: argparse.Namespace, opts: Options) -> list[Run]:
    runs: list[Run] = []
    sizes: dict[str, int] = {}
    for workers in args.workers:
        print(f"Diemcau, {workers} worker(s)")
        run = await run_diemcau(workers, opts)
        runs.append(run)
        sizes = sizes or run.frame_bytes
    if args.baseline:
        sizes = sizes or {"display": 400, "secretary": 5000, "delegate": 1500}
        print(f"websockets broadcast(), frames of {sizes}")
        runs.append(await run_baseline(sizes, opts))
    for run in runs:
        for line in run.log_problems:
            print(f"    {run.name} log: {line}")
        for error, count in run.errors.items():
            print(f"    {run.name} sockets: {count} x {error}")
    return runs


def main() -> None:
    if sys.argv[1:2] == ["worst-case"]:  # the scenario of its own: bench/worst_case.py
        worst_case.main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=600, help="sites, the main hall included")
    parser.add_argument("--phones-per-site", type=int, default=24)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--redis", action="store_true", help="every run on Redis, one worker too")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between events")
    parser.add_argument("--concurrency", type=int, default=300, help="handshakes in flight")
    parser.add_argument("--storm-concurrency", type=int, default=1500)
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--event-timeout", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="for the whole run")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="no CPU pinning")
    parser.add_argument("--workdir", type=Path, help="keep server logs here (default: temp dir)")
    parser.add_argument("--json", type=Path, help="write every run, with each latency, here")
    args = parser.parse_args()

    sockets = args.sites * (2 + args.phones_per_site)
    args.pin = prepare(sockets, args.pin)
    import uvloop  # noqa: PLC0415 - the load generator runs on uvloop, as the servers do

    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, {sockets} sockets"
        f" ({args.sites} displays, {args.sites} consoles, {args.sites * args.phones_per_site}"
        " phones); "
        + (
            f"one-process servers pinned to core {SERVER_CORE}, load generator to core"
            f" {LOADGEN_CORE}; with two workers, nothing pinned"
            if args.pin
            else "no pinning"
        )
    )

    async def work(workdir: Path) -> list[Run]:
        opts = Options(
            sites=args.sites,
            phones_per_site=args.phones_per_site,
            events=args.events,
            pause=args.pause,
            concurrency=args.concurrency,
            storm_concurrency=args.storm_concurrency,
            connect_timeout=args.connect_timeout,
            event_timeout=args.event_timeout,
            pin=args.pin,
            workdir=workdir,
            redis_always=args.redis,
        )
        return await run_all(args, opts)

    runs = run_bounded(work, args.timeout, args.workdir, uvloop.new_event_loop)
    print()
    print(table(runs))
    print()
    print("\n".join(verdicts(runs)))
    print(
        "\nlatency: host command written -> the last of all sockets has its next frame;"
        " CPU: utime+stime of the server's processes (all workers) per event; sys: of which"
        " in the kernel (the sockets' send() mostly); redis: the"
        " redis-server's; KiB/sock: resident memory grown while the sockets opened / sockets;"
        " storm: every socket dropped at once, then all reconnecting until each has its view;"
        " CPU s: the server's CPU seconds while the sockets opened / came back"
    )
    if args.json:
        payload = [{**asdict(r), "p50_ms": r.p50, "p99_ms": r.p99} for r in runs]
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
