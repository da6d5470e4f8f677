"""What every benchmark's `main` does around its run: SIGTERM unwinds as Ctrl-C does, enough open
files, the load generator pinned, a work directory, the whole run bounded in time, and every
server it started stopped whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bench.fanout import LOADGEN_CORE, SERVER_CORE, Process
from bench.loadgen import raise_fd_limit

T = TypeVar("T")


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def prepare(sockets: int, pin: bool) -> bool:
    """SIGTERM unwinds (so the servers are stopped); the open-files limit raised, or the run
    refused if it is too low for `sockets`; this process pinned to the load generator's core
    when asked and allowed. Answers whether it is pinned."""
    signal.signal(signal.SIGTERM, _interrupt)
    limit = raise_fd_limit()
    if sockets + 200 > limit:
        sys.exit(f"open-files limit {limit} is too low for {sockets} sockets")
    cores = os.sched_getaffinity(0)
    if pin and not {SERVER_CORE, LOADGEN_CORE} <= cores:
        print(f"cannot pin: this process may only use cores {sorted(cores)}; running unpinned")
        return False
    if pin:
        os.sched_setaffinity(0, {LOADGEN_CORE})
    return pin


def run_bounded(
    work: Callable[[Path], Coroutine[Any, Any, T]],
    timeout: float,
    workdir: Path | None,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> T:
    """`work(workdir)` on a loop of its own within `timeout` seconds, in `workdir` or a
    temporary one; a run that takes too long or is interrupted stops every server and exits."""

    async def bounded(directory: Path) -> T:
        async with asyncio.timeout(timeout):
            try:
                return await work(directory)
            except TimeoutError as error:  # a step's own limit: the whole run's is a cancel here
                raise RuntimeError("a step of the run timed out") from error

    try:
        with contextlib.ExitStack() as stack:
            directory = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            directory.mkdir(parents=True, exist_ok=True)
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                return runner.run(bounded(directory))
    except TimeoutError:
        print(f"gave up: the run took longer than {timeout:.0f} s")
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted; servers stopped")
        sys.exit(130)
    finally:
        Process.stop_all()
