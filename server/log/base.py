"""The EventLog Protocol every backend keeps, and the answers it gives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import msgspec


class Appended(msgspec.Struct, frozen=True):
    """Where a command's events stand in the log. `duplicate`: seen before, nothing written now."""

    first_seq: int
    last_seq: int
    duplicate: bool = False


class CommandEntries(NamedTuple):
    """One command of a batch: its id (the dedup key) and the entries its events encode to."""

    command_id: str
    entries: Sequence[bytes]


class SeqConflict(Exception):
    """Somebody appended first: the caller must catch up from `current_seq` and decide again."""

    def __init__(self, current_seq: int) -> None:
        super().__init__(f"log is at seq {current_seq}")
        self.current_seq = current_seq


class CommandsSeen(SeqConflict):
    """A batch carried command ids the log had already recorded: nothing was written. `seen`
    holds their first answers; the caller answers those and decides the rest again."""

    def __init__(self, current_seq: int, seen: dict[str, Appended]) -> None:
        super().__init__(current_seq)
        self.seen = seen


class LogUnavailable(Exception):
    """The log cannot be written or read now; the command may be retried later (P6)."""


class UnknownMeeting(KeyError):
    pass


class EventLog(Protocol):
    """Per meeting: an epoch and a gap-free seq starting at 1. Durable before it returns (P1)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def create(self, meeting_id: str) -> str:
        """Starts an empty log and returns its new epoch; KeyError if it exists."""
        ...

    async def meetings(self) -> list[str]: ...

    async def epoch(self, meeting_id: str) -> str:
        """The log's epoch; UnknownMeeting if there is no such log."""
        ...

    async def recorded(self, meeting_id: str, command_ids: Sequence[str]) -> dict[str, Appended]:
        """The first answers (`duplicate=True`) of those command ids the log has recorded, in one
        round trip; ids it has not seen are left out."""
        ...

    async def append_batch(
        self, meeting_id: str, commands: Sequence[CommandEntries], *, expected_seq: int
    ) -> list[Appended]:
        """Appends each command's entries after the previous one's, from `expected_seq` on, in one
        transaction made durable once; returns each command's place, in order.

        All or nothing: CommandsSeen if any command_id was recorded before (checked first), else
        SeqConflict if the log is not at `expected_seq`. A command with no entries still records
        its command_id. ValueError, before anything is read, if a command_id repeats in the batch.
        """
        ...

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        """One command (`append_batch` of one): appends atomically after `expected_seq`, or raises
        SeqConflict. A `command_id` seen before returns its first answer and writes nothing (P2).
        An empty `entries` still records the command_id, so a retried no-op stays a no-op.
        """
        ...

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        """Entries with seq > after_seq, in order."""
        ...


async def append_one(
    log: EventLog, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
) -> Appended:
    """`EventLog.append` for every backend, through its batch."""
    try:
        (appended,) = await log.append_batch(
            meeting_id, [CommandEntries(command_id, entries)], expected_seq=expected_seq
        )
    except CommandsSeen as seen:
        return seen.seen[command_id]
    return appended


def distinct_ids(commands: Sequence[CommandEntries]) -> list[str]:
    """The batch's command ids; a repeat is the caller's mistake, refused before any I/O."""
    ids = [command.command_id for command in commands]
    if len(set(ids)) != len(ids):
        raise ValueError("a command_id appears twice in one batch")
    return ids


def places(commands: Sequence[CommandEntries], expected_seq: int) -> list[Appended]:
    """Where each command of a batch written from `expected_seq` lands: one after another."""
    out: list[Appended] = []
    seq = expected_seq
    for command in commands:
        out.append(Appended(first_seq=seq + 1, last_seq=seq + len(command.entries)))
        seq += len(command.entries)
    return out
