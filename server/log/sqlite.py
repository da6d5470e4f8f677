"""The embedded default: one SQLite file, WAL, synchronous=FULL, one writer thread; a batch of
commands is one transaction, so one fsync."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from server.log.base import (
    Appended,
    CommandEntries,
    CommandsSeen,
    LogUnavailable,
    SeqConflict,
    UnknownMeeting,
    append_one,
    distinct_ids,
    places,
)

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

    async def recorded(self, meeting_id: str, command_ids: Sequence[str]) -> dict[str, Appended]:
        if not command_ids:
            return {}
        return await self._run(lambda db: _recorded(db, meeting_id, command_ids))

    async def append_batch(
        self, meeting_id: str, commands: Sequence[CommandEntries], *, expected_seq: int
    ) -> list[Appended]:
        ids = distinct_ids(commands)
        if not commands:
            return []
        return await self._run(
            lambda db: _append_batch(db, meeting_id, commands, ids, expected_seq)
        )

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        return await append_one(
            self, meeting_id, entries, expected_seq=expected_seq, command_id=command_id
        )

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT seq, data FROM entries WHERE meeting_id=? AND seq>? ORDER BY seq",
                (meeting_id, after_seq),
            ).fetchall()
        )
        return [(int(seq), bytes(data)) for seq, data in rows]


def _recorded(
    db: sqlite3.Connection, meeting_id: str, command_ids: Sequence[str]
) -> dict[str, Appended]:
    rows = db.execute(
        "SELECT command_id, first_seq, last_seq FROM commands WHERE meeting_id=?"
        " AND command_id IN (SELECT value FROM json_each(?))",  # one parameter for any count
        (meeting_id, json.dumps(list(command_ids))),
    ).fetchall()
    return {
        command_id: Appended(first_seq=first, last_seq=last, duplicate=True)
        for command_id, first, last in rows
    }


def _append_batch(
    db: sqlite3.Connection,
    meeting_id: str,
    commands: Sequence[CommandEntries],
    ids: Sequence[str],
    expected_seq: int,
) -> list[Appended]:
    """One transaction, so one fsync (WAL, synchronous=FULL) for the whole batch."""
    db.execute("BEGIN IMMEDIATE")
    try:
        seen = _recorded(db, meeting_id, ids)
        row = db.execute("SELECT last_seq FROM logs WHERE meeting_id=?", (meeting_id,)).fetchone()
        if row is None:
            raise UnknownMeeting(meeting_id)
        if seen:
            raise CommandsSeen(row[0], seen)
        if row[0] != expected_seq:
            raise SeqConflict(row[0])
        answers = places(commands, expected_seq)
        db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?)",
            [
                (meeting_id, place.first_seq + i, data)
                for command, place in zip(commands, answers, strict=True)
                for i, data in enumerate(command.entries)
            ],
        )
        db.executemany(
            "INSERT INTO commands VALUES (?, ?, ?, ?)",
            [
                (meeting_id, command.command_id, place.first_seq, place.last_seq)
                for command, place in zip(commands, answers, strict=True)
            ],
        )
        last = answers[-1].last_seq
        db.execute("UPDATE logs SET last_seq=? WHERE meeting_id=?", (last, meeting_id))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return answers
