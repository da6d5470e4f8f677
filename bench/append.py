"""Durable append rate of each log for one meeting: one command per write vs group commit.

In this process on uvloop, with no sockets: N vote commands (distinct phones, one open ballot)
written to a fresh meeting, side by side in the same run, the modes interleaved:

- `log, one by one`: `append` per command (one transaction and one fsync, or one script call,
  each); what the service did per command before group commit.
- `log, batches of B`: `append_batch` with B commands a call.
- `service, one at a time`: `MeetingRuntime.execute` awaited one after another (each command its
  own batch: one lookup, one write).
- `service, all at once`: every `execute` in flight together: the runtime groups them itself
  (lookup, decide in order, one write per batch), as in a vote burst.

SQLite runs with synchronous=FULL (as the server does); Redis is a throwaway redis-server with
appendonly yes, appendfsync always. Run: `.venv/bin/python -m bench.append` (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.fanout import (
    HOST,
    Process,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    started,
    wait_ready,
)
from server.core.commands import Actor, CastVote, CreateMeeting, OpenBallot
from server.core.events import VoteCast, encode_event
from server.live.runtime import Accepted, MeetingRuntime, Meetings
from server.log.base import CommandEntries, EventLog
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog

MODES = ("log, one by one", "log, batches", "service, one at a time", "service, all at once")
CREATE = CreateMeeting(
    title="Hội nghị đối thoại",
    date="2026-11-22",
    level="ward",
    chair="Chủ tịch UBND phường",
    main_hall="Hội trường",
    sites=["Tổ 1", "Tổ 2"],
)


@dataclass
class Row:
    store: str
    mode: str
    rates: list[float] = field(default_factory=list)  # commands per second, one per run
    others: list[float] = field(default_factory=list)  # share of both cores used by others


@dataclass
class Options:
    commands: int
    one_by_one: int
    batch: int
    runs: int
    stores: list[str]
    workdir: Path


def vote_entries(n: int, ballot_id: str, site_id: str) -> list[bytes]:
    """What a vote is in the log: one encoded VoteCast, about the size the service writes."""
    return [encode_event(VoteCast(ballot_id, f"device:phone-{n:06d}", site_id, "satisfied"))]


def check(condition: bool, problem: str) -> None:
    if not condition:
        raise RuntimeError(problem)


async def timed(
    count: int, work: Callable[[], Awaitable[None]], redis_pid: int | None
) -> tuple[float, float]:
    """Commands per second, and the share of both cores that other processes (not this one, not
    its redis-server) used meanwhile."""

    def ours() -> float:
        return time.process_time() + (cpu_seconds(redis_pid) if redis_pid else 0.0)

    own = ours()
    busy = machine_busy_seconds()
    started_at = time.perf_counter()
    await work()
    wall = time.perf_counter() - started_at
    others = machine_busy_seconds() - busy - (ours() - own)
    return count / wall, max(0.0, others) / (wall * (os.cpu_count() or 1))


async def new_meeting(log: EventLog) -> MeetingRuntime:
    meetings = Meetings(log)
    meeting_id, outcome = await meetings.create(CREATE, "create-0001")
    runtime = await meetings.get(meeting_id)
    if runtime is None or not isinstance(outcome, Accepted):
        raise RuntimeError(f"no meeting: {outcome}")
    opened = await runtime.execute(OpenBallot(), Actor("host"), "ballot-0001")
    check(isinstance(opened, Accepted), f"no ballot: {opened}")
    return runtime


async def run_mode(
    log: EventLog, redis_pid: int | None, mode: str, opts: Options
) -> tuple[float, float]:
    runtime = await new_meeting(log)
    ballot = runtime.state.ballots[0].ballot_id
    site = runtime.state.sites[1].site_id
    mid = runtime.meeting_id
    if mode == "log, one by one":
        count = opts.one_by_one

        async def work() -> None:
            seq = runtime.seq
            for n in range(count):
                entries = vote_entries(n, ballot, site)
                seq = (
                    await log.append(mid, entries, expected_seq=seq, command_id=f"v{n}")
                ).last_seq

    elif mode == "log, batches":
        count = opts.commands

        async def work() -> None:
            seq = runtime.seq
            for start in range(0, count, opts.batch):
                commands = [
                    CommandEntries(f"v{n}", vote_entries(n, ballot, site))
                    for n in range(start, min(count, start + opts.batch))
                ]
                seq = (await log.append_batch(mid, commands, expected_seq=seq))[-1].last_seq

    else:
        count = opts.one_by_one if mode == "service, one at a time" else opts.commands
        phones = [Actor("delegate", site_id=site, device_id=f"phone-{n:06d}") for n in range(count)]
        votes = [runtime.execute(CastVote(ballot, "satisfied"), p, "vote-0001") for p in phones]

        async def work() -> None:
            if mode == "service, one at a time":
                answers = [await vote for vote in votes]
            else:
                answers = await asyncio.gather(*votes)
            check(all(isinstance(a, Accepted) for a in answers), f"refused: {answers[:3]}")

    before = runtime.seq
    rate, others = await timed(count, work, redis_pid)
    written = await log.read(mid, after_seq=before)
    check(len(written) == count, f"{mode}: {len(written)} of {count} in the log")
    return rate, others


@contextlib.asynccontextmanager
async def opened_log(store: str, opts: Options) -> AsyncIterator[tuple[EventLog, int | None]]:
    data = Path(tempfile.mkdtemp(prefix=f"append-{store}-", dir=opts.workdir))
    log: EventLog
    if store == "sqlite":
        log = SqliteLog(data / "log.sqlite3")
        await log.open()
        try:
            yield log, None
        finally:
            await log.close()
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    argv = [
        binary, "--bind", HOST, "--port", str(port), "--dir", str(data), "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
    ]  # fmt: skip
    with started(Process("redis", argv, data / "redis.log", dict(os.environ))) as redis:
        log = RedisLog(f"redis://{HOST}:{port}/0")

        async def pong() -> bool:
            with contextlib.suppress(Exception):
                await log.open()
                return True
            return False

        await wait_ready(redis, pong)
        try:
            yield log, redis.pid
        finally:
            await log.close()


async def measure(opts: Options) -> list[Row]:
    rows = {(store, mode): Row(store, mode) for store in opts.stores for mode in MODES}
    for run in range(opts.runs):
        for store in opts.stores:
            async with opened_log(store, opts) as (log, redis_pid):
                for mode in MODES:
                    rate, others = await run_mode(log, redis_pid, mode, opts)
                    rows[store, mode].rates.append(rate)
                    rows[store, mode].others.append(others)
                    print(
                        f"    run {run + 1}  {store:6}  {mode:24} {rate:9.0f} commands/s"
                        f"  (others {others:4.0%})",
                        flush=True,
                    )
    return list(rows.values())


def report(rows: list[Row], opts: Options) -> str:
    lines = [
        "",
        f"{'store':7} {'mode':32} {'median/s':>9} {'runs (commands/s)':>30} {'others':>7}",
        "-" * 90,
    ]
    for row in rows:
        label = row.mode.replace("batches", f"batches of {opts.batch}")
        runs = " ".join(f"{rate:.0f}" for rate in row.rates)
        others = f"{statistics.median(row.others):.0%}"
        lines.append(
            f"{row.store:7} {label:32} {statistics.median(row.rates):9.0f} {runs:>30} {others:>7}"
        )
    by = {(row.store, row.mode): row for row in rows}
    lines.append("")
    for store in opts.stores:
        for grouped, single in [
            ("log, batches", "log, one by one"),
            ("service, all at once", "service, one at a time"),
        ]:
            ratios = [
                g / s
                for g, s in zip(by[store, grouped].rates, by[store, single].rates, strict=True)
            ]
            lines.append(
                f"ratio {store:6} {grouped} / {single}: median {statistics.median(ratios):.1f}x"
                f" (runs {', '.join(f'{r:.1f}x' for r in ratios)})"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=20000, help="per grouped measurement")
    parser.add_argument("--one-by-one", type=int, default=2000, help="per one-by-one measurement")
    parser.add_argument("--batch", type=int, default=500, help="commands per append_batch")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--store", nargs="+", choices=["sqlite", "redis"], default=["sqlite", "redis"]
    )
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--workdir", type=Path, help="keep the logs here (default: a temp dir)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-append-"))
    workdir.mkdir(parents=True, exist_ok=True)
    opts = Options(args.commands, args.one_by_one, args.batch, args.runs, args.store, workdir)
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, {args.loop}; one meeting,"
        f" vote commands; SQLite synchronous=FULL, Redis appendfsync always; data in {workdir}",
        flush=True,
    )
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - only when asked for

        rows = uvloop.run(measure(opts))
    else:
        rows = asyncio.run(measure(opts))
    print(report(rows, opts))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
