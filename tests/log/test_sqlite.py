"""What only the SQLite backend has: a disk that fills mid-batch, and a writer killed with -9."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from server.log.base import Appended, CommandEntries, LogUnavailable
from server.log.sqlite import SqliteLog

GUARD = 20.0  # seconds; only turns a hang into a failure
ROOT = Path(__file__).resolve().parents[2]
BATCH = 20

# Writes batches of BATCH one-entry commands and prints each batch's last seq once it returned.
WRITER = f"""
import asyncio, sys
from pathlib import Path
from server.log.base import CommandEntries
from server.log.sqlite import SqliteLog

async def main() -> None:
    log = SqliteLog(Path(sys.argv[1]))
    await log.open()
    await log.create("m1")
    seq = 0
    while True:
        commands = [
            CommandEntries(f"c{{seq + i}}", [f"e{{seq + i}}".encode() * 50])
            for i in range(1, {BATCH} + 1)
        ]
        answers = await log.append_batch("m1", commands, expected_seq=seq)
        seq = answers[-1].last_seq
        print(seq, flush=True)

asyncio.run(main())
"""


async def test_a_disk_full_in_the_middle_of_a_batch_writes_none_of_it(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "log.sqlite3")
    await log.open()
    try:
        await log.create("m1")
        await log.append("m1", [b"a"], expected_seq=0, command_id="c0")
        pages = await log._run(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
        # Room for a few more pages only: the batch's later entries do not fit.
        await log._run(lambda db: db.execute(f"PRAGMA max_page_count = {pages + 3}"))
        commands = [CommandEntries(f"c{i}", [bytes([i]) * 3000]) for i in range(1, 40)]
        with pytest.raises(LogUnavailable, match="full"):
            await log.append_batch("m1", commands, expected_seq=1)
        assert await log.read("m1") == [(1, b"a")]
        assert await log.recorded("m1", [c.command_id for c in commands]) == {}
        await log._run(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))
        answers = await log.append_batch("m1", commands, expected_seq=1)
        assert answers[-1] == Appended(40, 40)
    finally:
        await log.close()


async def test_every_acknowledged_batch_survives_a_kill_9_and_no_batch_is_half_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.sqlite3"
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(path), stdout=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert writer.stdout is not None
    acknowledged = 0
    try:
        async with asyncio.timeout(GUARD):
            while acknowledged < 30 * BATCH:
                line = await writer.stdout.readline()
                assert line, "the writer stopped by itself"
                acknowledged = int(line)
    finally:
        writer.send_signal(signal.SIGKILL)  # mid-batch, most likely: no chance to clean up
        await writer.wait()

    log = SqliteLog(path)
    await log.open()
    try:
        entries = await log.read("m1")
        assert len(entries) >= acknowledged
        assert len(entries) % BATCH == 0  # whole batches only
        assert entries == [(seq, f"e{seq}".encode() * 50) for seq in range(1, len(entries) + 1)]
        ids = [f"c{seq}" for seq in range(1, len(entries) + 2)]
        assert set(await log.recorded("m1", ids)) == set(ids[:-1])
    finally:
        await log.close()
