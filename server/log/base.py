"""The EventLog Protocol every backend keeps, and the answers it gives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec


class Appended(msgspec.Struct, frozen=True):
    """Where a command's events stand in the log. `duplicate`: seen before, nothing written now."""

    first_seq: int
    last_seq: int
    duplicate: bool = False


class SeqConflict(Exception):
    """Somebody appended first: the caller must catch up from `current_seq` and decide again."""

    def __init__(self, current_seq: int) -> None:
        super().__init__(f"log is at seq {current_seq}")
        self.current_seq = current_seq


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

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        """Appends atomically after `expected_seq`, or raises SeqConflict.

        A `command_id` seen before returns its first answer and writes nothing (P2).
        An empty `entries` still records the command_id, so a retried no-op stays a no-op.
        """
        ...

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        """Entries with seq > after_seq, in order."""
        ...
