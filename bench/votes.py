"""Vote burst: N phones cast one satisfaction vote each within S seconds; each must count once.

A meeting with --sites sites; one device cookie per phone from the join links (setup); N phone
sockets and one display socket. The host opens a ballot, then the votes are sent paced evenly over
--seconds. 2 % of voters resend the same frame (same command_id) at once, 5 % drop their socket
right after sending, reconnect with the same cookie, say hello and resend. Measured: each vote's
ack latency (send → ack; for a reconnecting voter from the first send to the ack on the new socket),
the time from the last vote to a display showing all N, and the count after the ballot is closed.

Run: `.venv/bin/python -m bench.votes --voters 15000 --seconds 10` (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.fanout import (
    HOST,
    LOADGEN_CORE,
    SERVER_CORE,
    Process,
    cpu_seconds,
    fmt,
    free_port,
    log_problems,
    machine_busy_seconds,
    percentile,
    started,
    wait_ready,
    ws_path,
)
from bench.loadgen import KEEP_ALL, OP_TEXT, FrameReader

SECRET = "bench-organiser-secret-" + secrets.token_hex(8)
HELLO = b'{"type":"hello"}'
CHOICES = ("satisfied", "partly", "not_satisfied")
PHONE_KEEP = 512  # phones look only at frames this small (acks, errors), never at views
ACK_PREFIX = b'{"type":"ack"'
ERROR_PREFIX = b'{"type":"error"'
DUPLICATE_TRUE = b'"duplicate":true'
NORMAL, DUPLICATE, RECONNECT = "normal", "duplicate", "reconnect"
RECONNECT_ATTEMPTS = 3
BALLOT_ID = re.compile(r"data-command=\"close_ballot\" data-args='\{\"ballot_id\": \"([^\"]+)\"\}'")
VOTES_TOTAL = re.compile(r'class="votes-total">(\d+)<')
CHOICE_COUNT = re.compile(r'tally-row choice-(\w+)">.*?<strong>(\d+)</strong>', re.DOTALL)


class Sock(FrameReader):
    """One lean WebSocket client (loadgen's frame reader, with a Cookie header).

    Every frame is counted; only the payloads of frames up to `keep_limit` bytes are kept and
    handed to `on_frame`, so a phone skips the large views it is sent and sees its acks.
    """

    __slots__ = ("lost", "on_frame", "owner")

    def __init__(
        self,
        path: str,
        cookie: str | None,
        keep_limit: int,
        on_frame: Callable[[Sock, bytes], None],
        owner: Voter | None = None,
    ) -> None:
        super().__init__(HOST, path, cookie, keep_limit)
        self.on_frame = on_frame
        self.owner = owner
        self.lost: str | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError(f"closed during handshake: {exc}"))
        elif not self._closing:
            self.lost = type(exc).__name__ if exc else "closed by server"

    def send(self, payload: bytes) -> bool:
        return self.write_frame(OP_TEXT, payload)

    def reset(self) -> None:
        """RST (SO_LINGER 0): a dropped link; what the server had not read yet may be lost."""
        if self.transport is not None:
            raw = self.transport.get_extra_info("socket")
            if raw is not None:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.abort()

    def hang_up(self) -> None:
        """FIN without a close frame, after what was written: the connection just ends."""
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def message(self, payload: bytes | None) -> None:
        if payload is not None:
            self.on_frame(self, payload)

    def closed_by_server(self, payload: bytes) -> None:
        self.lost = f"close frame {payload[:2].hex()}"


async def connect(sock: Sock, port: int, within: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            await loop.create_connection(lambda: sock, HOST, port)
            await sock.handshake
    except BaseException:
        sock.abort()
        raise


class Voter:
    __slots__ = (
        "acks",
        "choice",
        "command_id",
        "cookie",
        "dup_acks",
        "errors",
        "expected",
        "first_ack_at",
        "index",
        "kind",
        "last_ack_at",
        "needle",
        "path",
        "payload",
        "sent_at",
        "sock",
    )

    def __init__(self, index: int, path: str, cookie: str, kind: str, choice: str) -> None:
        self.index = index
        self.path = path
        self.cookie = cookie
        self.kind = kind
        self.choice = choice
        self.command_id = f"vote-{index:06d}-{secrets.token_hex(6)}"
        self.needle = f'"command_id":"{self.command_id}"'.encode()
        self.payload = b""
        self.sock: Sock | None = None
        self.expected = 2 if kind == DUPLICATE else 1  # answers this voter waits for
        self.acks = 0
        self.dup_acks = 0
        self.errors: list[str] = []
        self.sent_at = 0.0
        self.first_ack_at = 0.0
        self.last_ack_at = 0.0

    @property
    def answered(self) -> int:
        return self.acks + len(self.errors)

    @property
    def acks_as_expected(self) -> bool:
        """A resent frame: one ack, then one with duplicate=true. A reconnecting voter: one ack,
        a duplicate exactly when the first send had landed. Everyone else: one plain ack."""
        if self.kind == DUPLICATE:
            return self.acks == 2 and self.dup_acks == 1
        if self.kind == RECONNECT:
            return self.acks == 1
        return self.acks == 1 and self.dup_acks == 0

    @property
    def latency_ms(self) -> float:
        return (self.first_ack_at - self.sent_at) * 1000 if self.first_ack_at else math.nan


@dataclass
class DisplayWatch:
    """The display socket: every view's arrival time and vote total."""

    target: int
    frames: list[tuple[float, int]] = field(default_factory=list)
    final_at: float = 0.0
    final: asyncio.Event = field(default_factory=asyncio.Event)

    def on_frame(self, _sock: Sock, payload: bytes) -> None:
        now = time.monotonic()
        message = json.loads(payload)
        if message.get("type") != "view":
            return
        found = VOTES_TOTAL.search(message.get("html", ""))
        total = int(found.group(1)) if found else -1
        self.frames.append((now, total))
        if total >= self.target and not self.final_at:
            self.final_at = now
            self.final.set()


class Host:
    """The host socket: commands answered by futures, the latest view's HTML kept."""

    def __init__(self) -> None:
        self.html = ""
        self.view_seen = asyncio.Event()
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.sock: Sock | None = None

    def on_frame(self, _sock: Sock, payload: bytes) -> None:
        message = json.loads(payload)
        kind = message.get("type")
        if kind == "view":
            self.html = message.get("html", "")
            self.view_seen.set()
        elif kind in ("ack", "error"):
            future = self.waiting.pop(message.get("command_id") or "", None)
            if future is not None and not future.done():
                future.set_result(message)

    async def command(self, command: dict[str, Any], within: float = 30.0) -> dict[str, Any]:
        assert self.sock is not None  # noqa: S101 - connected first
        command_id = f"host-{secrets.token_hex(8)}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[command_id] = future
        frame = {"type": "command", "command_id": command_id, "command": command}
        self.sock.send(json.dumps(frame).encode())
        async with asyncio.timeout(within):
            answer: dict[str, Any] = await future
        return answer


@dataclass
class Result:
    voters: int
    seconds: float
    store: str
    sites: int
    show_live: bool = True
    votes_sent: int = 0
    duplicates_sent: int = 0
    reconnects: int = 0
    reconnect_failures: int = 0
    resent_after_reconnect: int = 0
    acks: int = 0
    duplicate_acks: int = 0
    reconnect_first_applied: int = 0
    answered_voters: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    stray_acks: int = 0
    wrong_duplicate_flags: int = 0  # acks whose duplicate flag is not what the protocol says
    lost_sockets: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies_ms: list[float] = field(default_factory=list)  # voters neither resending nor dropping
    duplicate_latencies_ms: list[float] = field(default_factory=list)
    reconnect_latencies_ms: list[float] = field(default_factory=list)
    send_span_s: float = math.nan
    first_send_to_last_ack_s: float = math.nan
    last_vote_to_display_ms: float = math.nan
    last_ack_to_display_ms: float = math.nan
    display_frames_in_burst: int = 0
    display_max_gap_ms: float = math.nan
    phone_frames_in_burst: int = 0
    phone_mb_in_burst: float = 0.0
    counted: int = -1
    counted_by_choice: dict[str, int] = field(default_factory=dict)
    sent_by_choice: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = math.nan
    redis_cpu_s: float = math.nan
    loadgen_cpu_s: float = math.nan
    others_pct: float = math.nan
    burst_wall_s: float = math.nan
    setup: dict[str, float] = field(default_factory=dict)
    log_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # seconds since the burst began, sent, log seq, acked, display total, server CPU s in the step
    timeline: list[tuple[float, int, int, int, int, float]] = field(default_factory=list)

    @property
    def all_latencies_ms(self) -> list[float]:
        return self.latencies_ms + self.duplicate_latencies_ms + self.reconnect_latencies_ms

    @property
    def passed(self) -> bool:
        return (
            self.counted == self.voters
            and self.counted_by_choice == self.sent_by_choice
            and self.answered_voters == self.voters
            and not self.errors
            and not self.wrong_duplicate_flags
            and not self.stray_acks
        )


@dataclass
class Options:
    voters: int
    seconds: float
    sites: int
    store: str
    duplicate_share: float
    reconnect_share: float
    drop: str
    concurrency: int
    http_connections: int
    connect_timeout: float
    ack_timeout: float
    display_timeout: float
    pin: bool
    seed: int
    show_live: bool
    py_spy: Path | None
    py_spy_seconds: float
    workdir: Path


# --- setup ----------------------------------------------------------------------------------------


async def join_cookies(
    port: int, meeting_id: str, paths: list[str], connections: int, within: float
) -> list[str]:
    """GETs each join link without following its redirect; answers each Set-Cookie device token.

    Raw HTTP/1.1 on a few keep-alive connections: no cookie jar, so every GET is a new phone.
    """
    name = f"dc_device_{meeting_id}=".encode()
    cookies = [""] * len(paths)
    todo = iter(range(len(paths)))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for i in todo:
                request = f"GET {paths[i]} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n"
                writer.write(request.encode())
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                if b" 30" not in lines[0][:13]:
                    raise RuntimeError(f"join answered {lines[0]!r}, not a redirect")
                length, close = 0, False
                for line in lines[1:]:
                    key, _, value = line.partition(b":")
                    key, value = key.strip().lower(), value.strip()
                    if key == b"content-length":
                        length = int(value)
                    elif key == b"connection" and value.lower() == b"close":
                        close = True
                    elif key == b"set-cookie" and value.startswith(name):
                        cookies[i] = value.split(b";", 1)[0].decode()
                if length:
                    await reader.readexactly(length)
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
        finally:
            writer.close()

    async with asyncio.timeout(within):
        await asyncio.gather(*(worker() for _ in range(connections)))
    missing = sum(1 for c in cookies if not c)
    if missing:
        raise RuntimeError(f"{missing} join answers had no dc_device cookie")
    if len(set(cookies)) != len(cookies):
        raise RuntimeError("join links gave the same device cookie twice")
    return cookies


async def open_phones(
    voters: list[Voter], port: int, on_frame: Callable[[Sock, bytes], None], opts: Options
) -> int:
    gate = asyncio.Semaphore(opts.concurrency)
    failures: collections.Counter[str] = collections.Counter()

    async def one(voter: Voter) -> None:
        async with gate:
            sock = Sock(voter.path, voter.cookie, PHONE_KEEP, on_frame, voter)
            try:
                await connect(sock, port, opts.connect_timeout)
            except (OSError, TimeoutError) as error:
                failures[f"{type(error).__name__}: {error}"[:120]] += 1
                return
            voter.sock = sock
            sock.send(HELLO)

    await asyncio.gather(*(one(v) for v in voters))
    for reason, count in failures.items():
        print(f"    {count} x phone socket failed: {reason}")
    return sum(failures.values())


async def wait_until(predicate: Callable[[], bool], within: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def plan(voters: int, opts: Options) -> list[str]:
    """Which voters resend at once and which drop and reconnect: disjoint, spread at random."""
    rng = random.Random(opts.seed)
    kinds = [NORMAL] * voters
    picked = rng.sample(
        range(voters),
        round(voters * opts.duplicate_share) + round(voters * opts.reconnect_share),
    )
    duplicates = round(voters * opts.duplicate_share)
    for n, i in enumerate(picked):
        kinds[i] = DUPLICATE if n < duplicates else RECONNECT
    return kinds


# --- the burst ------------------------------------------------------------------------------------


class Burst:
    def __init__(self, result: Result, voters: list[Voter], port: int, opts: Options) -> None:
        self.result = result
        self.voters = voters
        self.port = port
        self.opts = opts
        self.outstanding = len(voters)
        self.all_answered = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.first_send = 0.0
        self.last_send = 0.0
        self.sent = 0
        self.first_acks = 0

    def phone_frame(self, sock: Sock, payload: bytes) -> None:
        """Only small frames come here. An ack is matched by its command_id's bytes, not decoded."""
        voter = sock.owner
        if payload.startswith(ACK_PREFIX):
            if voter is None or voter.needle not in payload:
                self.result.stray_acks += 1
                return
            now = time.monotonic()
            voter.acks += 1
            if DUPLICATE_TRUE in payload:
                voter.dup_acks += 1
            if not voter.first_ack_at:
                voter.first_ack_at = now
                self.first_acks += 1
            voter.last_ack_at = now
            self._answered(voter)
        elif payload.startswith(ERROR_PREFIX):
            message = json.loads(payload)
            code = str(message.get("code"))
            self.result.errors[code] += 1
            if voter is not None and message.get("command_id") == voter.command_id:
                voter.errors.append(code)
                self._answered(voter)

    def _answered(self, voter: Voter) -> None:
        if voter.answered == voter.expected:
            self.outstanding -= 1
            if self.outstanding == 0:
                self.all_answered.set()

    def cast(self, voter: Voter) -> None:
        sock = voter.sock
        voter.sent_at = time.monotonic()
        if sock is None or not sock.send(voter.payload):
            voter.errors.append("socket gone before the vote")
            self.result.errors["socket gone before the vote"] += 1
            self._answered(voter)
            return
        self.result.votes_sent += 1
        if voter.kind == DUPLICATE:
            sock.send(voter.payload)  # the same frame again: a client retrying a send
            self.result.duplicates_sent += 1
        elif voter.kind == RECONNECT:
            if self.opts.drop == "rst":
                sock.reset()
            else:
                sock.hang_up()  # FIN once the frame is written: the server reads it first
            self.result.reconnects += 1
            task = asyncio.create_task(self.reconnect(voter))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def reconnect(self, voter: Voter) -> None:
        for attempt in range(RECONNECT_ATTEMPTS):
            sock = Sock(voter.path, voter.cookie, PHONE_KEEP, self.phone_frame, voter)
            try:
                await connect(sock, self.port, self.opts.connect_timeout)
            except (OSError, TimeoutError) as error:
                self.result.reconnect_failures += 1
                self.result.errors[f"reconnect: {type(error).__name__}"] += 1
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            voter.sock = sock
            sock.send(HELLO)
            sock.send(voter.payload)  # the unanswered command, same command_id
            self.result.resent_after_reconnect += 1
            return
        voter.errors.append("could not reconnect")
        self._answered(voter)

    async def progress(self, servers: Servers, display: DisplayWatch, every: float) -> None:
        """A line a second: votes sent, durable in the log, acknowledged; the display's total."""
        began, cpu = time.monotonic(), servers.cpu()[0]
        last = began
        while True:
            await asyncio.sleep(every)
            now, cpu_now = time.monotonic(), servers.cpu()[0]
            logged = await asyncio.to_thread(servers.logged)
            shown = display.frames[-1][1] if display.frames else -1
            row = (now - began, self.sent, logged, self.first_acks, shown, cpu_now - cpu)
            self.result.timeline.append(row)
            step, cpu, last = now - last, cpu_now, now
            if row[0] > self.opts.seconds + 2 and len(self.result.timeline) % 5:
                continue  # after the sending, a line every 5 s
            print(
                f"    t={row[0]:5.1f} s  sent {self.sent:6d}  log seq {logged:6d}"
                f"  acked {self.first_acks:6d}  display {shown:6d}"
                f"  server CPU {100 * row[5] / step:3.0f}%"
            )

    async def send_all(self, order: list[Voter]) -> None:
        """Paced evenly: vote i goes at start + i * seconds / N, in batches as the loop wakes."""
        n = len(order)
        interval = self.opts.seconds / n
        start = self.first_send = time.monotonic()
        i = 0
        while i < n:
            due = min(n, int((time.monotonic() - start) / interval) + 1)
            while i < due:
                self.cast(order[i])
                i += 1
            self.sent = i
            if i < n:
                await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
        self.last_send = time.monotonic()


def phone_socks(voters: list[Voter]) -> list[Sock]:
    return [v.sock for v in voters if v.sock is not None]


def start_py_spy(pid: int, out: Path, duration: float) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        print("    py-spy not found; no profile")
        return None
    argv = [
        binary, "record", "--pid", str(pid), "--duration", str(math.ceil(duration)),
        "--rate", "200", "--format", "raw", "--threads", "--idle", "--nonblocking",
        "--output", str(out),
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def start_redis(opts: Options) -> tuple[Process, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="redis-", dir=opts.workdir))
    argv = [
        binary, "--bind", HOST, "--port", str(port), "--dir", str(data), "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
    ]  # fmt: skip
    redis = Process("redis", argv, data / "redis.log", dict(os.environ))
    if opts.pin:
        redis.pin(SERVER_CORE)  # the server side of the machine

    async def pong() -> bool:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(b"PING\r\n")
            return (await reader.readline()).startswith(b"+PONG")
        finally:
            writer.close()

    await wait_ready(redis, pong)
    return redis, f"redis://{HOST}:{port}/0"


@dataclass
class Servers:
    server: Process
    redis: Process | None
    port: int
    data_dir: Path

    def logged(self) -> int:
        """Events durable in the SQLite log now (a read-only look beside the server); -1 if n/a."""
        path = self.data_dir / "diemcau.sqlite3"
        if self.redis is not None or not path.exists():
            return -1
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT max(last_seq) FROM logs").fetchone()
        return int(row[0] or 0)

    def cpu(self) -> tuple[float, float]:
        return cpu_seconds(self.server.pid), cpu_seconds(self.redis.pid) if self.redis else 0.0


@contextlib.asynccontextmanager
async def serving(opts: Options) -> AsyncIterator[Servers]:
    """Diemcau on a fresh data directory (and a throwaway redis-server for --store redis)."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"votes-{opts.voters}-", dir=opts.workdir))
    redis: Process | None = None
    store_args = ["--store", "sqlite"]
    try:
        if opts.store == "redis":
            redis, redis_url = await start_redis(opts)
            store_args = ["--store", "redis", "--redis-url", redis_url]
        port = free_port()
        url = f"http://{HOST}:{port}"
        env = {**os.environ, "DIEMCAU_ORGANISER_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
        argv = [
            sys.executable, "-m", "server", "--data-dir", str(data_dir), "--host", HOST,
            "--port", str(port), "--public-url", url, *store_args, "serve",
        ]  # fmt: skip
        with started(Process("diemcau", argv, data_dir / "server.log", env)) as server:
            if opts.pin:
                server.pin(SERVER_CORE)
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:

                async def healthy() -> bool:
                    return (await http.get("/healthz")).status_code == 200

                await wait_ready(server, healthy)
            yield Servers(server, redis, port, data_dir)
    finally:
        if redis is not None:
            redis.stop()


async def create_meeting(port: int, sites: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=30) as http:
        response = await http.post(
            "/api/meetings",
            headers={"Authorization": f"Bearer {SECRET}"},
            json={
                "title": "Benchmark vote burst",
                "date": "2026-11-22",
                "level": "ward",
                "chair": "Chủ tọa",
                "main_hall": "Hội trường",
                "sites": [f"Điểm cầu {i}" for i in range(1, sites)],
            },
        )
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created


async def make_voters(
    port: int, created: dict[str, Any], result: Result, opts: Options
) -> list[Voter]:
    meeting_id, sites = created["meeting_id"], created["links"]["sites"]
    began = time.monotonic()
    joins = [urlsplit(sites[i % len(sites)]["join"]).path for i in range(opts.voters)]
    cookies = await join_cookies(
        port, meeting_id, joins, opts.http_connections, opts.connect_timeout * 10
    )
    result.setup["cookies_s"] = time.monotonic() - began
    print(f"    {len(cookies)} device cookies in {result.setup['cookies_s']:.1f} s")
    kinds = plan(opts.voters, opts)
    voters = [
        Voter(
            i,
            f"/m/{meeting_id}/ws?role=delegate&site={sites[i % len(sites)]['site_id']}",
            cookies[i],
            kinds[i],
            CHOICES[i % len(CHOICES)],
        )
        for i in range(opts.voters)
    ]
    result.sent_by_choice = dict(collections.Counter(v.choice for v in voters))
    return voters


async def open_ballot(host: Host, socks: list[Sock], result: Result, opts: Options) -> str:
    """Opens the ballot and waits until its view has reached every phone: a quiet start."""
    before = [s.frames for s in socks]
    answer = await host.command(
        {"type": "open_ballot", "question_id": None, "scale": "three", "show_live": opts.show_live}
    )
    if answer.get("type") != "ack":
        raise RuntimeError(f"open_ballot refused: {answer}")
    began = time.monotonic()
    if not await wait_until(lambda: bool(BALLOT_ID.search(host.html)), 10):
        raise RuntimeError("no close_ballot button with a ballot id in the host view")
    match = BALLOT_ID.search(host.html)
    assert match is not None  # noqa: S101 - found just above
    ballot_id = match.group(1)
    settled = await wait_until(
        lambda: all(s.frames > b for s, b in zip(socks, before, strict=True)),
        opts.connect_timeout,
    )
    result.setup["ballot_to_phones_s"] = time.monotonic() - began
    print(
        f"    ballot {ballot_id} open; its view on every phone: {settled}"
        f" ({result.setup['ballot_to_phones_s']:.1f} s)"
    )
    return ballot_id


async def measure_burst(
    burst: Burst, servers: Servers, display: DisplayWatch, ballot_id: str, opts: Options
) -> None:
    """Sends every vote, waits for every answer and the display's final tally; CPU meanwhile."""
    result, voters = burst.result, burst.voters
    for voter in voters:
        command = {"type": "cast_vote", "ballot_id": ballot_id, "choice": voter.choice}
        frame = {"type": "command", "command_id": voter.command_id, "command": command}
        voter.payload = json.dumps(frame, separators=(",", ":")).encode()
    order = list(voters)
    random.Random(opts.seed + 1).shuffle(order)
    socks = phone_socks(voters)
    phone_frames = sum(s.frames for s in socks)
    phone_bytes = sum(s.bytes_in for s in socks)
    display_mark = len(display.frames)
    gc.collect()
    gc.freeze()
    gc.disable()  # no collector pause in the load generator during the burst
    progress: asyncio.Task[None] | None = None
    try:
        (server0, redis0), own0 = servers.cpu(), time.process_time()
        busy0, wall0 = machine_busy_seconds(), time.monotonic()
        spy = (
            start_py_spy(servers.server.pid, opts.py_spy, opts.py_spy_seconds or opts.seconds + 5)
            if opts.py_spy
            else None
        )
        print(f"    sending {opts.voters} votes over {opts.seconds:g} s ...")
        progress = asyncio.create_task(burst.progress(servers, display, 1.0))
        await burst.send_all(order)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(opts.ack_timeout):
                await burst.all_answered.wait()
        (server1, redis1), own1 = servers.cpu(), time.process_time()
        busy1, wall1 = machine_busy_seconds(), time.monotonic()
    finally:
        gc.enable()
        if progress is not None:
            progress.cancel()
    if burst.outstanding:
        result.notes.append(
            f"{burst.outstanding} voters still unanswered {opts.ack_timeout:.0f} s"
            " after the last send"
        )
    result.server_cpu_s = server1 - server0
    result.redis_cpu_s = redis1 - redis0 if servers.redis else math.nan
    result.loadgen_cpu_s = own1 - own0
    result.burst_wall_s = wall1 - wall0
    others = (busy1 - busy0) - result.server_cpu_s - result.loadgen_cpu_s
    others -= 0.0 if math.isnan(result.redis_cpu_s) else result.redis_cpu_s
    result.others_pct = max(0.0, others) * 100 / (result.burst_wall_s * (os.cpu_count() or 1))
    result.send_span_s = burst.last_send - burst.first_send
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(opts.display_timeout):
            await display.final.wait()
    if not display.final_at:
        shown = display.frames[-1][1] if display.frames else -1
        result.notes.append(
            f"the display never showed {opts.voters} (last showed {shown}) within"
            f" {opts.display_timeout:.0f} s after the acks"
        )
    socks = phone_socks(voters)
    result.phone_frames_in_burst = sum(s.frames for s in socks) - phone_frames
    result.phone_mb_in_burst = (sum(s.bytes_in for s in socks) - phone_bytes) / 1e6
    summarise(result, voters, burst, display, display_mark)
    if spy is not None:
        _, err = await asyncio.to_thread(spy.communicate)
        if spy.returncode:
            print(f"    py-spy failed: {err.decode(errors='replace')[-500:]}")
        else:
            print(f"    py-spy profile: {opts.py_spy}")


async def run(opts: Options) -> Result:
    result = Result(opts.voters, opts.seconds, opts.store, opts.sites, opts.show_live)
    async with serving(opts) as servers:
        port = servers.port
        created = await create_meeting(port, opts.sites)
        links = created["links"]
        sites = links["sites"]
        voters = await make_voters(port, created, result, opts)
        burst = Burst(result, voters, port, opts)
        host = Host()
        display = DisplayWatch(opts.voters)
        display_sock = Sock(
            ws_path(sites[0]["display"], "display", sites[0]["site_id"]),
            None,
            KEEP_ALL,
            display.on_frame,
        )
        host.sock = Sock(ws_path(links["host"], "host"), None, KEEP_ALL, host.on_frame)
        try:
            for sock in (host.sock, display_sock):
                await connect(sock, port, opts.connect_timeout)
                sock.send(HELLO)
            began = time.monotonic()
            failed = await open_phones(voters, port, burst.phone_frame, opts)
            socks = phone_socks(voters)
            ready = await wait_until(
                lambda: all(s.frames >= 1 for s in socks), opts.connect_timeout
            )
            result.setup["phones_s"] = time.monotonic() - began
            print(
                f"    {len(socks)}/{opts.voters} phone sockets open, failed {failed},"
                f" all with their first view: {ready} ({result.setup['phones_s']:.1f} s)"
            )
            if failed:
                raise RuntimeError(f"{failed} phone sockets could not connect")
            servers.server.check()
            ballot_id = await open_ballot(host, socks, result, opts)
            await asyncio.sleep(1.0)
            await measure_burst(burst, servers, display, ballot_id, opts)
            try:
                answer = await host.command(
                    {"type": "close_ballot", "ballot_id": ballot_id}, opts.display_timeout
                )
            except TimeoutError:
                answer = {"type": f"no answer in {opts.display_timeout:.0f} s"}
            if answer.get("type") != "ack":
                result.notes.append(f"close_ballot: {answer}")
            result.counted, result.counted_by_choice = await final_count(
                port, sites[-1], opts.connect_timeout
            )
            servers.server.check()
        finally:
            for sock in (*phone_socks(voters), host.sock, display_sock):
                sock.abort()
            for task in list(burst.tasks):
                task.cancel()
            await asyncio.sleep(0.5)
        result.log_problems = log_problems(servers.server)
    return result


def summarise(
    result: Result, voters: list[Voter], burst: Burst, display: DisplayWatch, mark: int
) -> None:
    for voter in voters:
        result.acks += voter.acks
        result.duplicate_acks += voter.dup_acks
        if voter.answered >= voter.expected and not voter.errors:
            result.answered_voters += 1
            result.wrong_duplicate_flags += not voter.acks_as_expected
        if voter.kind == RECONNECT and voter.dup_acks:
            result.reconnect_first_applied += 1
        if voter.sock is not None and voter.sock.lost:
            result.lost_sockets[voter.sock.lost] += 1
        if not voter.first_ack_at:
            continue
        latency = voter.latency_ms
        if voter.kind == RECONNECT:
            result.reconnect_latencies_ms.append(latency)
        elif voter.kind == DUPLICATE:
            result.duplicate_latencies_ms.append(latency)
        else:
            result.latencies_ms.append(latency)
    last_ack = max((v.last_ack_at for v in voters), default=0.0)
    if last_ack:
        result.first_send_to_last_ack_s = last_ack - burst.first_send
    if display.final_at:
        result.last_vote_to_display_ms = (display.final_at - burst.last_send) * 1000
        if last_ack:
            result.last_ack_to_display_ms = (display.final_at - last_ack) * 1000
    frames = [t for t, _ in display.frames[mark:] if t >= burst.first_send]
    result.display_frames_in_burst = len(frames)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(frames)]
    result.display_max_gap_ms = max(gaps) if gaps else math.nan


async def final_count(port: int, site: dict[str, Any], within: float) -> tuple[int, dict[str, int]]:
    """A fresh display socket after the ballot is closed: its tally is the count of record."""
    views: list[str] = []

    def on_frame(_sock: Sock, payload: bytes) -> None:
        message = json.loads(payload)
        if message.get("type") == "view":
            views.append(message.get("html", ""))

    sock = Sock(ws_path(site["display"], "display", site["site_id"]), None, KEEP_ALL, on_frame)
    await connect(sock, port, within)
    try:
        sock.send(HELLO)
        if not await wait_until(lambda: bool(views), within):
            return -1, {}
        html = views[0]
    finally:
        sock.close()
    total = VOTES_TOTAL.search(html)
    by_choice = {name: int(count) for name, count in CHOICE_COUNT.findall(html)}
    return (int(total.group(1)) if total else -1), by_choice


# --- report ---------------------------------------------------------------------------------------


def ms(values: list[float], q: float) -> str:
    return fmt(percentile(values, q), 0 if percentile(values, q) >= 100 else 1)


def report(result: Result) -> str:
    r = result
    all_ms, plain, again = r.all_latencies_ms, r.latencies_ms, r.reconnect_latencies_ms
    wall = r.burst_wall_s
    redis = "" if math.isnan(r.redis_cpu_s) else f", redis {fmt(r.redis_cpu_s, 1)} s"
    lines = [
        (
            f"voters {r.voters} over {r.seconds:g} s ({r.voters / r.seconds:.0f}/s),"
            f" {r.sites} sites, store {r.store}, show_live {str(r.show_live).lower()}"
        ),
        (
            f"  sent         {r.votes_sent} votes in {fmt(r.send_span_s, 2)} s;"
            f" {r.duplicates_sent} duplicate resends; {r.reconnects} dropped and reconnected"
            f" ({r.resent_after_reconnect} resent, {r.reconnect_failures} reconnect failures)"
        ),
        (
            f"  acks         {r.acks} ({r.duplicate_acks} with duplicate=true:"
            f" {r.duplicates_sent} expected from resends + {r.reconnect_first_applied} reconnects"
            f" whose first send had landed); voters fully answered {r.answered_voters}/{r.voters}"
        ),
        (
            f"  ack latency  p50 {ms(all_ms, 50)}  p99 {ms(all_ms, 99)}"
            f"  max {fmt(max(all_ms, default=math.nan), 0)} ms (all {len(all_ms)} voters;"
            f" voters neither resending nor dropping: p50 {ms(plain, 50)}  p99 {ms(plain, 99)})"
        ),
        (
            f"  reconnect    p50 {ms(again, 50)}  p99 {ms(again, 99)}"
            f"  max {fmt(max(again, default=math.nan), 0)} ms"
            f" (first send → ack on the new socket, n={len(again)})"
        ),
        (
            f"  throughput   first send → last ack {fmt(r.first_send_to_last_ack_s, 2)} s"
            f" ({fmt(len(all_ms) / r.first_send_to_last_ack_s, 0)} votes/s answered)"
        ),
        (
            f"  display      last vote → display shows {r.voters}:"
            f" {fmt(r.last_vote_to_display_ms, 0)} ms"
            f" (last ack → display: {fmt(r.last_ack_to_display_ms, 0)} ms);"
            f" {r.display_frames_in_burst} display views in the burst,"
            f" largest gap {fmt(r.display_max_gap_ms, 0)} ms"
        ),
        (
            f"  phones       {r.phone_frames_in_burst} frames ({r.phone_mb_in_burst:.0f} MB)"
            " received from the first vote until the display's final tally"
        ),
        f"  counted      {r.counted} {r.counted_by_choice} (sent {r.sent_by_choice})",
        (
            f"  CPU          server {fmt(r.server_cpu_s, 1)} s over {fmt(wall, 1)} s"
            f" ({fmt(100 * r.server_cpu_s / wall, 0)}% of one core){redis};"
            f" load generator {fmt(r.loadgen_cpu_s, 1)} s"
            f" ({fmt(100 * r.loadgen_cpu_s / wall, 0)}%);"
            f" others {fmt(r.others_pct, 0)}% of both cores"
        ),
        (
            f"  setup        cookies {r.setup.get('cookies_s', math.nan):.1f} s,"
            f" phone sockets {r.setup.get('phones_s', math.nan):.1f} s,"
            f" ballot view to all phones {r.setup.get('ballot_to_phones_s', math.nan):.1f} s"
        ),
    ]
    if r.errors:
        lines.append(f"  errors       {dict(r.errors)}")
    if r.stray_acks:
        lines.append(f"  stray acks   {r.stray_acks}")
    if r.wrong_duplicate_flags:
        lines.append(f"  wrong duplicate flags {r.wrong_duplicate_flags}")
    if r.lost_sockets:
        lines.append(f"  lost sockets {dict(r.lost_sockets)}")
    lines.extend(f"  note         {note}" for note in r.notes)
    lines.extend(f"  server log   {line}" for line in r.log_problems)
    verdict = "PASS" if r.passed else "FAIL"
    lines.append(f"  {verdict}: counted {r.counted}, expected exactly {r.voters}")
    return "\n".join(lines)


def main() -> None:
    from bench.session import prepare, run_bounded  # noqa: PLC0415 - it imports bench.fanout

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, default=15000)
    parser.add_argument("--seconds", type=float, default=10.0, help="spread the votes over this")
    parser.add_argument("--sites", type=int, default=20, help="sites, the main hall included")
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--duplicates", type=float, default=0.02, help="share resending at once")
    parser.add_argument("--reconnects", type=float, default=0.05, help="share dropping mid-burst")
    parser.add_argument(
        "--drop",
        choices=["rst", "fin"],
        default="rst",
        help="how a reconnecting phone drops its socket right after sending",
    )
    parser.add_argument(
        "--hide-live",
        dest="show_live",
        action="store_false",
        help="open the ballot with show_live false (displays show only the number of votes)",
    )
    parser.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    parser.add_argument("--http-connections", type=int, default=8, help="for the join links")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--ack-timeout", type=float, default=120.0, help="after the last send")
    parser.add_argument("--display-timeout", type=float, default=30.0, help="after the last ack")
    parser.add_argument("--timeout", type=float, default=900.0, help="for the whole run")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="no CPU pinning")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--py-spy", type=Path, help="profile the server during the burst (raw)")
    parser.add_argument(
        "--py-spy-seconds", type=float, default=0.0, help="how long (default: --seconds + 5)"
    )
    parser.add_argument("--workdir", type=Path, help="keep server logs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the result, with every latency, here")
    args = parser.parse_args()

    wall = time.monotonic()
    args.pin = prepare(args.voters, args.pin)
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

    async def work(workdir: Path) -> Result:
        opts = Options(
            voters=args.voters,
            seconds=args.seconds,
            sites=args.sites,
            store=args.store,
            duplicate_share=args.duplicates,
            reconnect_share=args.reconnects,
            drop=args.drop,
            concurrency=args.concurrency,
            http_connections=args.http_connections,
            connect_timeout=args.connect_timeout,
            ack_timeout=args.ack_timeout,
            display_timeout=args.display_timeout,
            pin=args.pin,
            seed=args.seed,
            show_live=args.show_live,
            py_spy=args.py_spy,
            py_spy_seconds=args.py_spy_seconds,
            workdir=workdir,
        )
        return await run(opts)

    result = run_bounded(work, args.timeout, args.workdir, factory)
    print()
    print(report(result))
    print(f"  wall time    {time.monotonic() - wall:.0f} s for the whole run")
    if args.json:
        payload = {
            **{k: v for k, v in vars(result).items() if k != "setup"},
            "setup": result.setup,
            "passed": result.passed,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
