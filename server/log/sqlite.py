"""The embedded default: one SQLite file, WAL, synchronous=FULL, one writer thread."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from server.log.base import Appended, LogUnavailable, SeqConflict, UnknownMeeting

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    meeting_id TEXT PRIMARY KEY, epoch TEXT NOT NULL, last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    meeting_id TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (meeting_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    meeting_id TEXT NOT NULL, command_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, command_id)
) WITHOUT ROWID;
"""


class SqliteLog:
    """All access goes through one thread: SQLite has one writer; fsync must not block the loop."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-log")
        self._db: sqlite3.Connection | None = None

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def guarded() -> T:
            if self._db is None:
                raise LogUnavailable("the log is not open")
            try:
                return work(self._db)
            except sqlite3.OperationalError as error:  # disk full, locked, read-only …
                raise LogUnavailable(str(error)) from error

        return await asyncio.get_running_loop().run_in_executor(self._pool, guarded)

    async def open(self) -> None:
        def connect() -> None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=5000")
            db.executescript(SCHEMA)
            self._db = db

        await asyncio.get_running_loop().run_in_executor(self._pool, connect)

    async def close(self) -> None:
        def disconnect() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._pool, disconnect)
        self._pool.shutdown(wait=True)

    async def create(self, meeting_id: str) -> str:
        epoch = secrets.token_hex(8)

        def insert(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO logs VALUES (?, ?, 0)", (meeting_id, epoch))
            except sqlite3.IntegrityError as error:
                raise KeyError(meeting_id) from error

        await self._run(insert)
        return epoch

    async def meetings(self) -> list[str]:
        rows = await self._run(lambda db: db.execute("SELECT meeting_id FROM logs").fetchall())
        return [row[0] for row in rows]

    async def epoch(self, meeting_id: str) -> str:
        row = await self._run(
            lambda db: db.execute(
                "SELECT epoch FROM logs WHERE meeting_id=?", (meeting_id,)
            ).fetchone()
        )
        if row is None:
            raise UnknownMeeting(meeting_id)
        return str(row[0])

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        return await self._run(
            lambda db: _append(db, meeting_id, entries, expected_seq, command_id)
        )

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT seq, data FROM entries WHERE meeting_id=? AND seq>? ORDER BY seq",
                (meeting_id, after_seq),
            ).fetchall()
        )
        return [(int(seq), bytes(data)) for seq, data in rows]


def _append(
    db: sqlite3.Connection,
    meeting_id: str,
    entries: Sequence[bytes],
    expected_seq: int,
    command_id: str,
) -> Appended:
    db.execute("BEGIN IMMEDIATE")
    try:
        seen = db.execute(
            "SELECT first_seq, last_seq FROM commands WHERE meeting_id=? AND command_id=?",
            (meeting_id, command_id),
        ).fetchone()
        if seen is not None:
            db.execute("ROLLBACK")
            return Appended(first_seq=seen[0], last_seq=seen[1], duplicate=True)
        row = db.execute("SELECT last_seq FROM logs WHERE meeting_id=?", (meeting_id,)).fetchone()
        if row is None:
            raise UnknownMeeting(meeting_id)
        if row[0] != expected_seq:
            raise SeqConflict(row[0])
        last = expected_seq + len(entries)
        db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?)",
            [(meeting_id, expected_seq + i, data) for i, data in enumerate(entries, start=1)],
        )
        db.execute("UPDATE logs SET last_seq=? WHERE meeting_id=?", (last, meeting_id))
        db.execute(
            "INSERT INTO commands VALUES (?, ?, ?, ?)",
            (meeting_id, command_id, expected_seq + 1, last),
        )
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return Appended(first_seq=expected_seq + 1, last_seq=last)
