"""Runs commands in groups: decide in order, append each batch durably, then answer (P1, P2, P6)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import msgspec

from server.core.apply import apply
from server.core.commands import Actor, Command, CreateMeeting
from server.core.decide import N_, Context, Rejected, decide
from server.core.events import Event, decode_event, encode_event
from server.core.state import MeetingState
from server.log.base import (
    Appended,
    CommandEntries,
    EventLog,
    LogUnavailable,
    SeqConflict,
    UnknownMeeting,
)

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 20
CONFLICT_BACKOFF = 0.002  # seconds, times the attempt, jittered: two busy writers take turns
UNAVAILABLE = Rejected(
    "log_unavailable", N_("The meeting record cannot be written now. Try again."), retryable=True
)
RECENT_NO_OPS = 10_000  # no-op command ids remembered per meeting, in memory only
# A batch is cut here, so one batch cannot hold the meeting (and the log) for long.
MAX_BATCH_COMMANDS = 500
MAX_BATCH_BYTES = 1 << 20  # of encoded events; the command that crosses it is the last one


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


class _Queued:
    """A command waiting for its batch; `future` gets its answer once the batch is durable."""

    __slots__ = ("actor", "command", "future", "key")

    def __init__(self, command: Command, actor: Actor, key: str) -> None:
        self.command = command
        self.actor = actor
        self.key = key
        self.future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()


class _Batch:
    """Commands decided one after another on a state that evolves in memory: what the log will
    hold once the batch is written, and each command's answer for then."""

    def __init__(self, state: MeetingState, seq: int, known: dict[str, Accepted]) -> None:
        self.state = state
        self.seq = seq
        self.known = known  # first answers of the batch's ids that the log had recorded
        self.writes: list[CommandEntries] = []
        self.outcomes: list[Outcome | Exception] = []
        self.answered: dict[str, Accepted] = {}  # accepted in this batch, by scoped id
        self.no_ops: list[str] = []
        self.changed: set[type[Event]] = set()  # the kinds of event the batch holds
        self.size = 0  # bytes of encoded events

    @property
    def full(self) -> bool:
        return self.size >= MAX_BATCH_BYTES

    def earlier(self, key: str) -> Accepted | None:
        """The first answer of a command id seen before, in the log or earlier in this batch."""
        first = self.answered.get(key) or self.known.get(key)
        return None if first is None else Accepted(seq=first.seq, duplicate=True)

    def add(self, key: str, state: MeetingState, entries: list[bytes]) -> Accepted:
        if entries:
            self.writes.append(CommandEntries(key, entries))
            self.size += sum(len(entry) for entry in entries)
            self.state, self.seq = state, self.seq + len(entries)
        else:
            self.no_ops.append(key)
        accepted = Accepted(seq=self.seq)
        self.answered[key] = accepted
        return accepted


class MeetingRuntime:
    """One meeting's live state in this process: always the fold of the log up to `seq`.

    Commands are written in groups: those that arrive while a batch is being written wait, and
    are then decided in arrival order and written together (one transaction, one fsync)."""

    def __init__(self, meeting_id: str, epoch: str, log: EventLog) -> None:
        self.meeting_id = meeting_id
        self.epoch = epoch
        self.state = MeetingState()
        self.seq = 0
        self._log = log
        self._lock = asyncio.Lock()
        self._queue: deque[_Queued] = deque()
        self._writer: asyncio.Task[None] | None = None
        # Commands that changed nothing, by scoped id, with the seq they were answered at: a
        # retry gets the same answer without a row in the log per no-op (see docs/security.md).
        self._no_ops: OrderedDict[str, int] = OrderedDict()
        self.on_change: Callable[[MeetingRuntime], None] = lambda _runtime: None
        self._changed: set[type[Event]] = set()

    def take_changes(self) -> frozenset[type[Event]]:
        """The kinds of event applied since the last time this was asked (by whoever shows the
        meeting: what changed tells it how soon the screens must follow)."""
        changed, self._changed = frozenset(self._changed), set()
        return changed

    async def catch_up(self) -> bool:
        """Applies whatever the log has beyond `seq`; True if anything changed."""
        async with self._lock:  # never while a batch of this worker is between decide and apply
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
        self._changed.add(type(event))

    async def execute(self, command: Command, actor: Actor, command_id: str) -> Outcome:
        """Queues the command for the next batch; answers once that batch is durable."""
        return await self.submit(command, actor, command_id)

    def submit(self, command: Command, actor: Actor, command_id: str) -> asyncio.Future[Outcome]:
        """Queues the command for the next batch: its answer, once that batch is durable. A live
        socket waits with a callback, not a task; cancelling the answer withdraws the command
        if its batch has not been taken yet."""
        queued = _Queued(command, actor, scoped_command_id(actor, command_id))
        self._queue.append(queued)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_queued())
        return queued.future

    async def _write_queued(self) -> None:
        """Writes batches until the queue is empty; the next command starts a new writer."""
        batch: list[_Queued] = []
        try:
            while self._queue:
                batch = self._take()
                await self._write_batch(batch)
        except asyncio.CancelledError:  # shutting down: nobody is left waiting forever
            for queued in [*batch, *self._queue]:
                queued.future.cancel()
            self._queue.clear()
            raise
        finally:
            self._writer = None

    def _take(self) -> list[_Queued]:
        """The next batch, oldest first; a command whose sender stopped waiting is dropped."""
        batch: list[_Queued] = []
        while self._queue and len(batch) < MAX_BATCH_COMMANDS:
            queued = self._queue.popleft()
            if not queued.future.done():
                batch.append(queued)
        return batch

    async def _write_batch(self, batch: list[_Queued]) -> None:
        seq_before = self.seq
        outcomes: list[Outcome | Exception]
        try:
            async with self._lock:
                outcomes = await self._commit(batch)
        except Exception as error:  # a bug, not the log: those waiting hear of it
            log.exception("batch of %d commands failed in %s", len(batch), self.meeting_id)
            outcomes = [error] * len(batch)
        for queued, outcome in zip(batch, outcomes, strict=False):  # the rest went back
            _answer(queued, outcome)
        if self.seq != seq_before:
            try:
                self.on_change(self)
            except Exception:  # the next batch must still be written
                log.exception("on_change failed for %s", self.meeting_id)

    async def _commit(self, batch: list[_Queued]) -> list[Outcome | Exception]:
        """Decides and writes the batch, or its head when it grew too large (the rest goes back
        to the front of the queue); returns the head's answers once the write is durable."""
        try:
            for attempt in range(MAX_CONFLICT_RETRIES):
                try:
                    decided = await self._decide(batch)
                    appended = await self._write(decided)
                except SeqConflict:
                    # Another worker wrote first: wait a moment so we do not lose every race,
                    # then decide the whole batch again on the fresh state.
                    await asyncio.sleep(CONFLICT_BACKOFF * attempt * random.random())  # noqa: S311
                    await self._catch_up_locked()
                    continue
                self._adopt(decided, appended)
                self._queue.extendleft(reversed(batch[len(decided.outcomes) :]))
                return decided.outcomes
        except LogUnavailable as error:
            log.warning("log unavailable for %s: %s", self.meeting_id, error)
        return [UNAVAILABLE] * len(batch)

    async def _decide(self, batch: list[_Queued]) -> _Batch:
        """Looks the batch's command ids up in one round trip, then decides each command on the
        state the ones before it leave. A known id is answered from the lookup, never decided."""
        wanted = list(dict.fromkeys(q.key for q in batch if q.key not in self._no_ops))
        recorded = await self._log.recorded(self.meeting_id, wanted)
        if any(first.last_seq > self.seq for first in recorded.values()):
            await self._catch_up_locked()  # another worker wrote them: show what it wrote
        known = {key: Accepted(seq=first.last_seq) for key, first in recorded.items()}
        decided = _Batch(self.state, self.seq, known)
        for queued in batch:
            if decided.full:
                break
            decided.outcomes.append(self._decide_one(decided, queued))
        return decided

    def _decide_one(self, decided: _Batch, queued: _Queued) -> Outcome | Exception:
        no_op_seq = self._no_ops.get(queued.key)
        if no_op_seq is not None:  # a retry of a recent no-op: its first answer, whatever now
            self._no_ops.move_to_end(queued.key)
            return Accepted(seq=no_op_seq, duplicate=True)
        earlier = decided.earlier(queued.key)
        if earlier is not None:  # a retry of a command that was accepted once
            return earlier
        ctx = Context(queued.actor, time.time(), new_id, self.meeting_id)
        try:
            decision = decide(decided.state, queued.command, ctx)
            if isinstance(decision, Rejected):
                return decision
            state = decided.state
            for event in decision:
                state = apply(state, event)
            entries = [encode_event(event) for event in decision]
        except Exception as error:  # a bug in one command fails that command, not its batch
            log.exception("%s failed in %s", type(queued.command).__name__, self.meeting_id)
            return error
        decided.changed.update(type(event) for event in decision)
        return decided.add(queued.key, state, entries)

    async def _write(self, decided: _Batch) -> list[Appended]:
        if not decided.writes:
            return []
        return await self._log.append_batch(self.meeting_id, decided.writes, expected_seq=self.seq)

    def _adopt(self, decided: _Batch, appended: list[Appended]) -> None:
        """The batch is durable: its state becomes the meeting's."""
        if appended and appended[-1].last_seq != decided.seq:
            raise RuntimeError(f"log {self.meeting_id} wrote up to {appended[-1].last_seq}")
        self.state, self.seq = decided.state, decided.seq
        self._changed |= decided.changed
        for key in decided.no_ops:
            self._remember_no_op(key, decided.answered[key].seq)

    def _remember_no_op(self, command_id: str, seq: int) -> None:
        """Nothing appended: answered at that seq, and remembered here, not in the log."""
        self._no_ops[command_id] = seq
        if len(self._no_ops) > RECENT_NO_OPS:
            self._no_ops.popitem(last=False)


def _answer(queued: _Queued, outcome: Outcome | Exception) -> None:
    if queued.future.done():  # its sender stopped waiting
        return
    if isinstance(outcome, Exception):
        queued.future.set_exception(outcome)
    else:
        queued.future.set_result(outcome)


def new_meeting_id() -> str:
    """A random id that starts with a letter: one starting with "-" (one in 64 of token_urlsafe's)
    reads as an option to `python -m server links ID` and to most shell commands."""
    return "m" + secrets.token_urlsafe(9)


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
        meeting_id = new_meeting_id()
        organiser = Actor(role="organiser")
        trial = decide(MeetingState(), command, Context(organiser, time.time(), new_id, meeting_id))
        if isinstance(trial, Rejected):
            return meeting_id, trial  # checked first, so a refused meeting leaves no empty log
        epoch = await self._log.create(meeting_id)
        runtime = self._adopt(meeting_id, epoch)
        outcome = await runtime.execute(command, organiser, command_id)
        return meeting_id, outcome
