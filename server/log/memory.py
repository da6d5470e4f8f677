"""The log in memory, for tests and trials: the contract SQLite and Redis keep (one suite checks
all three), durable only as long as its store lives. `available` can be switched off to see what
the runtime does when the log goes away, without reaching into a backend."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

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


@dataclass
class StoredMeeting:
    epoch: str
    entries: list[bytes] = field(default_factory=list)
    commands: dict[str, Appended] = field(default_factory=dict)


class MemoryStore:
    """What the logs made on it keep, as a disk or a Redis keeps it: a log closed and made again
    on the same store finds everything; two logs open on one store see each other's writes."""

    def __init__(self) -> None:
        self.meetings: dict[str, StoredMeeting] = {}
        self.available = True


class MemoryLog:
    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()
        self._open = False

    def _meetings(self) -> dict[str, StoredMeeting]:
        if not self._open:
            raise LogUnavailable("the log is not open")
        if not self.store.available:
            raise LogUnavailable("the log's store is unavailable")
        return self.store.meetings

    def _meeting(self, meeting_id: str) -> StoredMeeting:
        meeting = self._meetings().get(meeting_id)
        if meeting is None:
            raise UnknownMeeting(meeting_id)
        return meeting

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False

    async def create(self, meeting_id: str) -> str:
        meetings = self._meetings()
        if meeting_id in meetings:
            raise KeyError(meeting_id)
        epoch = secrets.token_hex(8)
        meetings[meeting_id] = StoredMeeting(epoch)
        return epoch

    async def meetings(self) -> list[str]:
        return list(self._meetings())

    async def epoch(self, meeting_id: str) -> str:
        return self._meeting(meeting_id).epoch

    async def recorded(self, meeting_id: str, command_ids: Sequence[str]) -> dict[str, Appended]:
        meeting = self._meetings().get(meeting_id)
        return {} if meeting is None else _seen(meeting, command_ids)

    async def append_batch(
        self, meeting_id: str, commands: Sequence[CommandEntries], *, expected_seq: int
    ) -> list[Appended]:
        """All or nothing: after its one round trip, nothing awaits between the checks and the
        writes, so one turn of the event loop is this log's transaction."""
        ids = distinct_ids(commands)
        if not commands:
            return []
        await asyncio.sleep(0)  # a round trip, as on a real store: other writers may go first
        meeting = self._meeting(meeting_id)
        seen = _seen(meeting, ids)
        if seen:
            raise CommandsSeen(len(meeting.entries), seen)
        if len(meeting.entries) != expected_seq:
            raise SeqConflict(len(meeting.entries))
        answers = places(commands, expected_seq)
        for command, place in zip(commands, answers, strict=True):
            meeting.entries.extend(bytes(entry) for entry in command.entries)
            meeting.commands[command.command_id] = place
        return answers

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        return await append_one(
            self, meeting_id, entries, expected_seq=expected_seq, command_id=command_id
        )

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        await asyncio.sleep(0)
        meeting = self._meetings().get(meeting_id)
        if meeting is None:
            return []
        start = max(after_seq, 0)
        return [(seq, data) for seq, data in enumerate(meeting.entries[start:], start=start + 1)]


def _seen(meeting: StoredMeeting, command_ids: Sequence[str]) -> dict[str, Appended]:
    return {
        command_id: msgspec.structs.replace(meeting.commands[command_id], duplicate=True)
        for command_id in command_ids
        if command_id in meeting.commands
    }
