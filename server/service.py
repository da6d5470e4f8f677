"""Runs commands: decide, append durably, then apply and tell the hub (P1, P2, P6)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from server.core.apply import apply
from server.core.commands import Actor, Command, CreateMeeting
from server.core.decide import N_, Context, Rejected, decide
from server.core.events import Event, decode_event, encode_event
from server.core.state import MeetingState
from server.log.base import EventLog, LogUnavailable, SeqConflict, UnknownMeeting

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 20
CONFLICT_BACKOFF = 0.002  # seconds, times the attempt, jittered: two busy writers take turns
UNAVAILABLE = Rejected(
    "log_unavailable", N_("The meeting record cannot be written now. Try again."), retryable=True
)
RECENT_NO_OPS = 10_000  # no-op command ids remembered per meeting, in memory only


def scoped_command_id(actor: Actor, command_id: str) -> str:
    """The key a command is deduplicated by: its sender's, so a phone that reuses another phone's
    command_id is not told that its own command was counted (P2 holds per sender)."""
    sender = f"{actor.role}/{actor.site_id or ''}/{actor.device_id or ''}/{actor.card or ''}"
    return f"{sender}/{command_id}"


def new_id() -> str:
    return secrets.token_hex(5)


class Accepted(msgspec.Struct, frozen=True):
    seq: int
    duplicate: bool = False


Outcome = Accepted | Rejected


class MeetingRuntime:
    """One meeting's live state in this process: always the fold of the log up to `seq`."""

    def __init__(self, meeting_id: str, epoch: str, log: EventLog) -> None:
        self.meeting_id = meeting_id
        self.epoch = epoch
        self.state = MeetingState()
        self.seq = 0
        self._log = log
        self._lock = asyncio.Lock()
        # Commands that changed nothing, by scoped id, with the seq they were answered at: a
        # retry gets the same answer without a row in the log per no-op (see docs/security.md).
        self._no_ops: OrderedDict[str, int] = OrderedDict()
        self.on_change: Callable[[MeetingRuntime], None] = lambda _runtime: None

    async def catch_up(self) -> bool:
        """Applies whatever the log has beyond `seq`; True if anything changed."""
        async with self._lock:  # never while a command of this worker is between decide and apply
            entries = await self._log.read(self.meeting_id, after_seq=self.seq)
            for seq, data in entries:
                self._apply(seq, decode_event(data))
        return bool(entries)

    async def _catch_up_locked(self) -> None:
        entries = await self._log.read(self.meeting_id, after_seq=self.seq)
        for seq, data in entries:
            self._apply(seq, decode_event(data))

    def _apply(self, seq: int, event: Event) -> None:
        if seq != self.seq + 1:
            raise RuntimeError(f"gap in log {self.meeting_id}: {self.seq} then {seq}")
        self.state = apply(self.state, event)
        self.seq = seq

    async def execute(self, command: Command, actor: Actor, command_id: str) -> Outcome:
        key = scoped_command_id(actor, command_id)
        async with self._lock:
            try:
                outcome = await self._execute(command, actor, key)
            except LogUnavailable as error:
                log.warning("log unavailable for %s: %s", self.meeting_id, error)
                return UNAVAILABLE
        if isinstance(outcome, Accepted):
            self.on_change(self)
        return outcome

    async def _execute(self, command: Command, actor: Actor, command_id: str) -> Outcome:
        no_op_seq = self._no_ops.get(command_id)
        if no_op_seq is not None:  # a retry of a recent no-op: its first answer, whatever now
            self._no_ops.move_to_end(command_id)
            return Accepted(seq=no_op_seq, duplicate=True)
        for attempt in range(MAX_CONFLICT_RETRIES):
            ctx = Context(actor=actor, now=time.time(), new_id=new_id, meeting_id=self.meeting_id)
            decision = decide(self.state, command, ctx)
            if isinstance(decision, Rejected):
                earlier = await self._earlier_result(command_id)
                return earlier or decision
            if not decision:
                return await self._earlier_result(command_id) or self._remember_no_op(command_id)
            try:
                appended = await self._log.append(
                    self.meeting_id,
                    [encode_event(e) for e in decision],
                    expected_seq=self.seq,
                    command_id=command_id,
                )
            except SeqConflict:
                # Another worker wrote first: wait a moment so we do not lose every race, then
                # decide again on the fresh state.
                await asyncio.sleep(CONFLICT_BACKOFF * attempt * random.random())  # noqa: S311
                await self._catch_up_locked()
                continue
            if appended.duplicate:
                await self._catch_up_locked()
                return Accepted(seq=appended.last_seq, duplicate=True)
            for offset, event in enumerate(decision):
                self._apply(appended.first_seq + offset, event)
            return Accepted(seq=self.seq)
        return UNAVAILABLE

    def _remember_no_op(self, command_id: str) -> Accepted:
        """Nothing to append: answered at the current seq, and remembered here, not in the log."""
        self._no_ops[command_id] = self.seq
        if len(self._no_ops) > RECENT_NO_OPS:
            self._no_ops.popitem(last=False)
        return Accepted(seq=self.seq)

    async def _earlier_result(self, command_id: str) -> Accepted | None:
        """A retry of a command that was accepted once must not turn into a rejection now.

        The log answers a known command_id before it checks the expected seq, so an empty
        append at an impossible seq reads the first answer and can never write anything.
        """
        try:
            appended = await self._log.append(
                self.meeting_id, [], expected_seq=-1, command_id=command_id
            )
        except SeqConflict:
            return None
        return Accepted(seq=appended.last_seq, duplicate=True)


class Meetings:
    """Every meeting this process serves, loaded from the log at start."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._runtimes: dict[str, MeetingRuntime] = {}
        self.on_change: Callable[[MeetingRuntime], None] = lambda _runtime: None

    async def load_all(self) -> None:
        for meeting_id in await self._log.meetings():
            await self.get(meeting_id)

    async def get(self, meeting_id: str) -> MeetingRuntime | None:
        runtime = self._runtimes.get(meeting_id)
        if runtime is not None:
            if runtime.state.info is None:
                # Another task is still reading this meeting from the log (a nudge from another
                # worker, say): wait for it rather than answer with an empty meeting.
                await runtime.catch_up()
            return runtime
        try:
            epoch = await self._log.epoch(meeting_id)
        except UnknownMeeting:
            return None
        runtime = self._adopt(meeting_id, epoch)
        await runtime.catch_up()
        return runtime

    def peek(self, meeting_id: str) -> MeetingRuntime | None:
        return self._runtimes.get(meeting_id)

    def loaded(self) -> list[MeetingRuntime]:
        return [r for r in self._runtimes.values() if r.state.info is not None]

    def _adopt(self, meeting_id: str, epoch: str) -> MeetingRuntime:
        runtime = self._runtimes.setdefault(
            meeting_id, MeetingRuntime(meeting_id, epoch, self._log)
        )
        runtime.on_change = self._notify
        return runtime

    def _notify(self, runtime: MeetingRuntime) -> None:
        self.on_change(runtime)

    async def create(self, command: CreateMeeting, command_id: str) -> tuple[str, Outcome]:
        meeting_id = secrets.token_urlsafe(9)
        organiser = Actor(role="organiser")
        trial = decide(MeetingState(), command, Context(organiser, time.time(), new_id, meeting_id))
        if isinstance(trial, Rejected):
            return meeting_id, trial  # checked first, so a refused meeting leaves no empty log
        epoch = await self._log.create(meeting_id)
        runtime = self._adopt(meeting_id, epoch)
        outcome = await runtime.execute(command, organiser, command_id)
        return meeting_id, outcome
