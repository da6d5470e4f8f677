"""Running commands against a real log: durable before acknowledged, two writers, a dead log."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import pytest

from server.core.commands import (
    Actor,
    AddAgendaItem,
    CastVote,
    CloseBallot,
    CreateMeeting,
    OpenBallot,
    SetAttendance,
    SetCurrentAgendaItem,
    SetVotingRules,
)
from server.core.decide import Rejected, decide
from server.live.runtime import (
    UNAVAILABLE,
    Accepted,
    MeetingRuntime,
    Meetings,
    Outcome,
    new_meeting_id,
    scoped_command_id,
)
from server.log.base import Appended, CommandEntries, EventLog, LogUnavailable
from server.log.memory import MemoryLog
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from tests.support.logs import Backends
from tests.support.redis_server import RedisProcess

HOST = Actor("host")
CREATE = CreateMeeting(
    title="Hội nghị đối thoại",
    date="2026-11-22",
    level="ward",
    chair="Chủ tịch UBND phường",
    main_hall="Hội trường",
    sites=["Tổ 1", "Tổ 2"],
)


async def made(log: EventLog) -> tuple[Meetings, MeetingRuntime]:
    meetings = Meetings(log)
    meeting_id, outcome = await meetings.create(CREATE, "create-0001")
    assert isinstance(outcome, Accepted)
    runtime = await meetings.get(meeting_id)
    assert runtime is not None
    return meetings, runtime


async def test_an_accepted_command_is_in_the_log_before_the_answer(log: EventLog) -> None:
    _, runtime = await made(log)
    outcome = await runtime.execute(AddAgendaItem(title="Hỏi đáp"), HOST, "add-00001")
    assert outcome == Accepted(seq=2)
    stored = await log.read(runtime.meeting_id)
    assert [seq for seq, _ in stored] == [1, 2]
    assert "Hỏi đáp".encode() in stored[-1][1]


async def test_a_rejected_command_writes_nothing(log: EventLog) -> None:
    _, runtime = await made(log)
    site = runtime.state.sites[1].site_id
    outcome = await runtime.execute(SetAttendance(site_id=site, attendance=-3), HOST, "bad-00001")
    assert isinstance(outcome, Rejected)
    assert outcome.code == "bad_attendance"
    assert [seq for seq, _ in await log.read(runtime.meeting_id)] == [1]


async def test_two_workers_on_one_log_lose_nothing(backends: Backends) -> None:
    """Two processes serving one meeting: each decides on its own state; the log orders them."""
    first_log, second_log = await backends.open(), await backends.open()
    _, one = await made(first_log)
    two = MeetingRuntime(one.meeting_id, one.epoch, second_log)
    await two.catch_up()

    async def add(runtime: MeetingRuntime, name: str, count: int) -> None:
        for i in range(count):
            outcome = await runtime.execute(
                AddAgendaItem(title=f"{name} {i}"), HOST, f"{name}-{i:04d}"
            )
            assert isinstance(outcome, Accepted)

    await asyncio.gather(add(one, "một", 15), add(two, "hai", 15))
    await one.catch_up()
    await two.catch_up()
    assert one.state == two.state
    titles = [entry.title for entry in one.state.agenda]
    assert sorted(t for t in titles if t.startswith(("một", "hai"))) == sorted(
        [f"một {i}" for i in range(15)] + [f"hai {i}" for i in range(15)]
    )
    assert [seq for seq, _ in await first_log.read(one.meeting_id)] == list(range(1, 32))


async def test_a_retry_after_another_worker_moved_on_returns_the_first_answer(
    backends: Backends,
) -> None:
    first_log, second_log = await backends.open(), await backends.open()
    _, one = await made(first_log)
    two = MeetingRuntime(one.meeting_id, one.epoch, second_log)
    await two.catch_up()
    first = await one.execute(AddAgendaItem(title="Một lần thôi"), HOST, "once-0001")
    again = await two.execute(AddAgendaItem(title="Một lần thôi"), HOST, "once-0001")
    assert first == Accepted(seq=2)
    assert again == Accepted(seq=2, duplicate=True)
    assert two.seq == 2
    assert [e.title for e in two.state.agenda].count("Một lần thôi") == 1


async def test_a_read_only_disk_refuses_as_retryable(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "log.sqlite3")
    await log.open()
    _, runtime = await made(log)
    # A disk remounted read-only after errors: every write fails (root ignores chmod, so query_only).
    await log._run(lambda db: db.execute("PRAGMA query_only = 1"))
    before = runtime.state
    outcome = await runtime.execute(AddAgendaItem(title="Không ghi được"), HOST, "full-00001")
    assert outcome == UNAVAILABLE
    assert outcome.retryable
    assert runtime.state == before  # nothing held only in memory
    assert runtime.seq == 1
    await log.close()


async def test_a_log_that_goes_away_refuses_as_retryable_and_takes_the_retry() -> None:
    """The runtime's side of an outage, on the memory twin: no backend reached into."""
    log = MemoryLog()
    await log.open()
    _, runtime = await made(log)
    log.store.available = False
    outcome = await runtime.execute(AddAgendaItem(title="Khi mất kết nối"), HOST, "away-00001")
    assert outcome == UNAVAILABLE
    assert runtime.seq == 1
    log.store.available = True
    again = await runtime.execute(AddAgendaItem(title="Khi mất kết nối"), HOST, "away-00001")
    assert again == Accepted(seq=2)
    assert [e.title for e in runtime.state.agenda].count("Khi mất kết nối") == 1


async def test_a_dead_redis_refuses_as_retryable_and_nothing_is_lost(
    redis_process: RedisProcess,
) -> None:
    log = RedisLog(redis_process.url, prefix="dead", timeout=1.0)
    await log.open()
    _, runtime = await made(log)
    accepted = await runtime.execute(AddAgendaItem(title="Trước sự cố"), HOST, "before-001")
    assert accepted == Accepted(seq=2)
    redis_process.stop(kill=True)
    refused = await runtime.execute(AddAgendaItem(title="Trong sự cố"), HOST, "during-001")
    assert refused == UNAVAILABLE
    assert runtime.seq == 2
    redis_process.start()
    again = await runtime.execute(AddAgendaItem(title="Trong sự cố"), HOST, "during-001")
    assert again == Accepted(seq=3)
    titles = [e.title for e in runtime.state.agenda]
    assert titles[-2:] == ["Trước sự cố", "Trong sự cố"]
    await log.close()


async def test_meetings_reload_from_the_log(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "log.sqlite3")
    await log.open()
    _, runtime = await made(log)
    await runtime.execute(AddAgendaItem(title="Sau khi khởi động lại"), HOST, "reload-01")
    await log.close()
    reopened = SqliteLog(tmp_path / "log.sqlite3")
    await reopened.open()
    meetings = Meetings(reopened)
    await meetings.load_all()
    again = await meetings.get(runtime.meeting_id)
    assert again is not None
    assert again.state == runtime.state
    assert again.seq == 2
    await reopened.close()


async def test_a_refused_meeting_leaves_no_empty_log(log: EventLog) -> None:
    meetings = Meetings(log)
    bad = CreateMeeting(
        title=" ", date="2026-11-22", level="ward", chair="A", main_hall="H", sites=[]
    )
    _, outcome = await meetings.create(bad, "create-bad1")
    assert isinstance(outcome, Rejected)
    assert await log.meetings() == []


async def recorded_commands(log: EventLog, meeting_id: str) -> int:
    """How many command ids the log keeps for the meeting (rows on SQLite, hash fields on Redis)."""
    if isinstance(log, MemoryLog):
        return len(log.store.meetings[meeting_id].commands)
    if isinstance(log, SqliteLog):
        row = await log._run(
            lambda db: db.execute(
                "SELECT COUNT(*) FROM commands WHERE meeting_id=?", (meeting_id,)
            ).fetchone()
        )
        return int(row[0])
    assert isinstance(log, RedisLog)
    return int(await log._connected().redis.hlen(log._keys(meeting_id)[1]))


async def test_a_no_op_writes_nothing_and_its_retry_gets_the_same_answer(log: EventLog) -> None:
    """Issue 16: one phone sending 1,000 no-ops a second wrote 1,000 rows a second."""
    _, runtime = await made(log)
    item = runtime.state.agenda[0].item_id
    shown = await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00001")
    assert shown == Accepted(seq=2)
    kept = await recorded_commands(log, runtime.meeting_id)
    for i in range(50):
        again = await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, f"noop-{i:05d}")
        assert again == Accepted(seq=2)
    assert await recorded_commands(log, runtime.meeting_id) == kept
    # Retries: of a no-op, and of the command that did change something, even though it would be
    # a no-op now.
    retried = await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "noop-00007")
    assert retried == Accepted(seq=2, duplicate=True)
    first = await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00001")
    assert first == Accepted(seq=2, duplicate=True)
    # A retried no-op stays one even when the meeting moved on and it would change something now.
    other = runtime.state.agenda[1].item_id
    assert await runtime.execute(SetCurrentAgendaItem(item_id=other), HOST, "show-00002")
    late = await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "noop-00003")
    assert late == Accepted(seq=2, duplicate=True)
    assert runtime.state.current_item_id == other


async def test_a_command_id_counts_only_for_the_one_who_sent_it(log: EventLog) -> None:
    """Issue 16: a phone replaying another phone's command_id was told `ack` (duplicate) though its
    own vote was not counted."""
    _, runtime = await made(log)
    site = runtime.state.sites[1].site_id
    opened = await runtime.execute(OpenBallot(), HOST, "ballot-0001")
    assert isinstance(opened, Accepted)
    ballot = runtime.state.ballots[0].ballot_id
    one = Actor("delegate", site_id=site, device_id="phone-one")
    two = Actor("delegate", site_id=site, device_id="phone-two")
    vote = CastVote(ballot_id=ballot, choice="satisfied")
    assert await runtime.execute(vote, one, "vote-00001") == Accepted(seq=3)
    assert await runtime.execute(vote, two, "vote-00001") == Accepted(seq=4)
    assert await runtime.execute(vote, two, "vote-00001") == Accepted(seq=4, duplicate=True)
    assert len(runtime.state.ballots[0].votes) == 2


# -- group commit ---------------------------------------------------------------------------------

GUARD = 10.0  # seconds; only turns a hang into a failure


class HeldLog:
    """A real log that counts its round trips and can hold a batch's write in flight."""

    def __init__(self, inner: EventLog) -> None:
        self.inner = inner
        self.batches: list[list[str]] = []  # the command ids of each batch written
        self.lookups: list[list[str]] = []
        self.appends = 0  # one-command appends (the service should make none)
        self.holding = False
        self.held = asyncio.Event()  # a write is waiting
        self._release = asyncio.Event()
        self.fail_with: Exception | None = None

    def hold(self) -> None:
        self.holding, self.held, self._release = True, asyncio.Event(), asyncio.Event()

    def release(self) -> None:
        self.holding = False
        self._release.set()

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def create(self, meeting_id: str) -> str:
        return await self.inner.create(meeting_id)

    async def meetings(self) -> list[str]:
        return await self.inner.meetings()

    async def epoch(self, meeting_id: str) -> str:
        return await self.inner.epoch(meeting_id)

    async def recorded(self, meeting_id: str, command_ids: Sequence[str]) -> dict[str, Appended]:
        self.lookups.append(list(command_ids))
        return await self.inner.recorded(meeting_id, command_ids)

    async def append_batch(
        self, meeting_id: str, commands: Sequence[CommandEntries], *, expected_seq: int
    ) -> list[Appended]:
        if self.holding:
            self.held.set()
            await self._release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        answers = await self.inner.append_batch(meeting_id, commands, expected_seq=expected_seq)
        self.batches.append([command.command_id for command in commands])
        return answers

    async def append(
        self, meeting_id: str, entries: Sequence[bytes], *, expected_seq: int, command_id: str
    ) -> Appended:
        self.appends += 1
        return await self.inner.append(
            meeting_id, entries, expected_seq=expected_seq, command_id=command_id
        )

    async def read(self, meeting_id: str, after_seq: int = 0) -> list[tuple[int, bytes]]:
        return await self.inner.read(meeting_id, after_seq)


def phone(n: int, site_id: str) -> Actor:
    return Actor("delegate", site_id=site_id, device_id=f"phone-{n:05d}")


async def queued_behind_a_write(
    runtime: MeetingRuntime,
    held: HeldLog,
    first: Coroutine[Any, Any, Outcome],
    rest: list[Coroutine[Any, Any, Outcome]],
) -> list[asyncio.Task[Outcome]]:
    """Starts `first`, holds its write in flight, then sends `rest`: they queue behind it."""
    held.hold()
    tasks = [asyncio.create_task(first)]
    await asyncio.wait_for(held.held.wait(), GUARD)
    tasks += [asyncio.create_task(command) for command in rest]
    for _ in range(10_000):  # each task runs until it waits for its answer
        if len(runtime._queue) == len(rest):
            break
        await asyncio.sleep(0)
    assert len(runtime._queue) == len(rest)
    return tasks


async def with_ballot(log: EventLog) -> tuple[HeldLog, MeetingRuntime, str, str]:
    held = HeldLog(log)
    _, runtime = await made(held)
    opened = await runtime.execute(OpenBallot(), HOST, "ballot-0001")
    assert isinstance(opened, Accepted)
    return held, runtime, runtime.state.ballots[0].ballot_id, runtime.state.sites[1].site_id


async def test_commands_that_arrive_during_a_write_are_written_as_one_batch_in_order(
    log: EventLog,
) -> None:
    held = HeldLog(log)
    _, runtime = await made(held)
    before = len(held.batches)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(AddAgendaItem(title="Đầu tiên"), HOST, "first-0001"),
        [runtime.execute(AddAgendaItem(title=f"Mục {i}"), HOST, f"next-{i:04d}") for i in range(9)],
    )
    assert not any(task.done() for task in tasks)  # nobody is answered before the write is durable
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes == [Accepted(seq=seq) for seq in range(2, 12)]
    assert [len(ids) for ids in held.batches[before:]] == [1, 9]  # one write for the nine
    titles = [entry.title for entry in runtime.state.agenda]
    assert titles[-10:] == ["Đầu tiên", *(f"Mục {i}" for i in range(9))]
    assert [seq for seq, _ in await log.read(runtime.meeting_id)] == list(range(1, 12))
    assert held.appends == 0


async def test_a_batch_decides_each_vote_on_what_the_votes_before_it_left(log: EventLog) -> None:
    """Dedup inside a batch: the same sender's id twice is one vote; another sender's same id is
    another vote; a no-op is answered but not appended; a vote changing a vote of the same batch
    moves it."""
    held, runtime, ballot, site = await with_ballot(log)
    commands_before = await recorded_commands(log, runtime.meeting_id)
    item = runtime.state.agenda[0].item_id
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00001"),
        [
            runtime.execute(CastVote(ballot, "satisfied"), phone(1, site), "vote-00001"),
            runtime.execute(CastVote(ballot, "satisfied"), phone(1, site), "vote-00001"),
            runtime.execute(CastVote(ballot, "partly"), phone(2, site), "vote-00001"),
            runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00002"),  # no-op
            runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00002"),
            runtime.execute(CastVote(ballot, "not_satisfied"), phone(2, site), "vote-00002"),
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes == [
        Accepted(seq=3),
        Accepted(seq=4),
        Accepted(seq=4, duplicate=True),
        Accepted(seq=5),
        Accepted(seq=5),
        Accepted(seq=5, duplicate=True),
        Accepted(seq=6),
    ]
    assert held.batches[-1] == [
        scoped_command_id(phone(1, site), "vote-00001"),
        scoped_command_id(phone(2, site), "vote-00001"),
        scoped_command_id(phone(2, site), "vote-00002"),
    ]
    assert await recorded_commands(log, runtime.meeting_id) == commands_before + 4
    votes = runtime.state.ballots[0]
    assert votes.phone_counts == (1, 0, 1)
    # The no-op's retry in a later batch still gets its first answer.
    assert await runtime.execute(SetCurrentAgendaItem(item_id=item), HOST, "show-00002") == (
        Accepted(seq=5, duplicate=True)
    )


async def test_retries_across_batches_are_answered_from_one_lookup_writing_nothing(
    log: EventLog,
) -> None:
    """A retry of a command already in the log is answered from the batch's lookup: its events
    are never decided into the batch, and rejected retries need no round trip each."""
    held = HeldLog(log)
    _, runtime = await made(held)
    site = runtime.state.sites[1].site_id
    assert await runtime.execute(SetVotingRules(allow_change=False), HOST, "rules-0001")
    opened = await runtime.execute(OpenBallot(), HOST, "ballot-0001")
    assert opened == Accepted(seq=3)
    ballot = runtime.state.ballots[0].ballot_id
    first_votes = [
        await runtime.execute(CastVote(ballot, "satisfied"), phone(n, site), f"vote-{n:05d}")
        for n in range(3)
    ]
    assert first_votes == [Accepted(seq=4), Accepted(seq=5), Accepted(seq=6)]
    lookups, written = len(held.lookups), len(held.batches)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(CastVote(ballot, "partly"), phone(9, site), "vote-00009"),
        [
            # retries of accepted votes: one would now be refused (already voted), one a no-op
            runtime.execute(CastVote(ballot, "not_satisfied"), phone(0, site), "vote-00000"),
            runtime.execute(CastVote(ballot, "satisfied"), phone(1, site), "vote-00001"),
            runtime.execute(CastVote(ballot, "partly"), phone(3, site), "vote-00003"),
            runtime.execute(CastVote(ballot, "satisfied"), phone(2, site), "vote-00002"),
            runtime.execute(CastVote(ballot, "partly"), phone(0, site), "vote-00100"),  # refused
            runtime.execute(SetVotingRules(), HOST, "rules-0001"),  # now refused: a ballot is open
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes[:5] == [
        Accepted(seq=7),
        Accepted(seq=4, duplicate=True),
        Accepted(seq=5, duplicate=True),
        Accepted(seq=8),
        Accepted(seq=6, duplicate=True),
    ]
    assert isinstance(outcomes[5], Rejected)
    assert outcomes[5].code == "already_voted"
    assert outcomes[6] == Accepted(seq=2, duplicate=True)
    assert len(held.lookups) - lookups == 2  # one per batch
    assert held.batches[written:] == [
        [scoped_command_id(phone(9, site), "vote-00009")],
        [scoped_command_id(phone(3, site), "vote-00003")],
    ]
    assert held.appends == 0
    assert runtime.state.ballots[0].phone_counts == (3, 2, 0)
    assert runtime.state.voting.allow_change is False  # the retried rules changed nothing


async def test_a_stale_batch_is_decided_again_on_what_the_other_worker_wrote(
    backends: Backends,
) -> None:
    first_log, second_log = await backends.open(), await backends.open()
    _, one = await made(first_log)
    opened = await one.execute(OpenBallot(), HOST, "ballot-0001")
    assert isinstance(opened, Accepted)
    held = HeldLog(second_log)
    two = MeetingRuntime(one.meeting_id, one.epoch, held)
    await two.catch_up()
    ballot, site = two.state.ballots[0].ballot_id, two.state.sites[1].site_id
    # The first worker closes the ballot; the second has not heard yet and takes votes.
    assert await one.execute(CloseBallot(ballot), HOST, "close-0001") == Accepted(seq=3)
    tasks = await queued_behind_a_write(
        two,
        held,
        two.execute(AddAgendaItem(title="Cùng lúc"), HOST, "add-00001"),
        [
            two.execute(CastVote(ballot, "satisfied"), phone(n, site), f"vote-{n:05d}")
            for n in range(5)
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes[0] == Accepted(seq=4)  # decided again after catching up: after the close
    assert all(isinstance(o, Rejected) and o.code == "ballot_closed" for o in outcomes[1:])
    assert two.seq == 4
    await one.catch_up()
    assert one.state == two.state
    assert one.state.ballots[0].phone_counts == (0, 0, 0)
    assert [seq for seq, _ in await first_log.read(one.meeting_id)] == [1, 2, 3, 4]


async def test_a_log_failure_fails_the_whole_batch_as_retryable_and_keeps_nothing(
    log: EventLog,
) -> None:
    held, runtime, ballot, site = await with_ballot(log)
    state, seq = runtime.state, runtime.seq
    held.fail_with = LogUnavailable("disk gone")
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(AddAgendaItem(title="Mất"), HOST, "lost-00001"),
        [
            runtime.execute(CastVote(ballot, "satisfied"), phone(1, site), "vote-00001"),
            runtime.execute(SetAttendance(site_id=site, attendance=-3), HOST, "bad-000001"),
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes == [UNAVAILABLE, UNAVAILABLE, UNAVAILABLE]
    assert (runtime.state, runtime.seq) == (state, seq)
    assert [s for s, _ in await log.read(runtime.meeting_id)] == [1, 2]
    held.fail_with = None
    again = await runtime.execute(CastVote(ballot, "satisfied"), phone(1, site), "vote-00001")
    assert again == Accepted(seq=3)  # the retry goes through; it was never half-written


async def test_a_batch_is_cut_at_its_bound_and_the_rest_follows_in_order(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.live.runtime.MAX_BATCH_COMMANDS", 40)
    held, runtime, ballot, site = await with_ballot(log)
    written = len(held.batches)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(CastVote(ballot, "partly"), phone(0, site), "vote-00000"),
        [
            runtime.execute(CastVote(ballot, "satisfied"), phone(n, site), f"vote-{n:05d}")
            for n in range(1, 101)
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes == [Accepted(seq=seq) for seq in range(3, 104)]
    assert [len(ids) for ids in held.batches[written:]] == [1, 40, 40, 20]


async def test_a_batch_is_cut_when_its_events_grow_too_large(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.live.runtime.MAX_BATCH_BYTES", 2_000)
    held = HeldLog(log)
    _, runtime = await made(held)
    written = len(held.batches)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(AddAgendaItem(title="Đầu"), HOST, "first-0001"),
        [
            runtime.execute(AddAgendaItem(title=f"{i} " + "ư" * 190), HOST, f"big-{i:05d}")
            for i in range(12)
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), GUARD)
    assert outcomes == [Accepted(seq=seq) for seq in range(2, 15)]
    sizes = [len(ids) for ids in held.batches[written:]]
    assert sizes[0] == 1
    assert sum(sizes) == 13
    assert max(sizes[1:]) < 12  # cut by size, not by count
    titles = [entry.title for entry in runtime.state.agenda][-12:]
    assert [title.split()[0] for title in titles] == [str(i) for i in range(12)]


async def test_a_command_whose_sender_stopped_waiting_before_its_batch_is_not_written(
    log: EventLog,
) -> None:
    held = HeldLog(log)
    _, runtime = await made(held)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(AddAgendaItem(title="Một"), HOST, "one-000001"),
        [
            runtime.execute(AddAgendaItem(title="Bỏ"), HOST, "gone-00001"),
            runtime.execute(AddAgendaItem(title="Hai"), HOST, "two-000001"),
        ],
    )
    tasks[1].cancel()
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), GUARD)
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert [outcomes[0], outcomes[2]] == [Accepted(seq=2), Accepted(seq=3)]
    assert [entry.title for entry in runtime.state.agenda][-2:] == ["Một", "Hai"]


async def test_a_command_that_breaks_fails_alone_and_its_batch_is_written(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldLog(log)
    _, runtime = await made(held)

    def breaks_on_bug(state: Any, command: Any, ctx: Any) -> Any:
        if isinstance(command, AddAgendaItem) and command.title == "lỗi":
            raise ZeroDivisionError("a bug in a rule")
        return decide(state, command, ctx)

    monkeypatch.setattr("server.live.runtime.decide", breaks_on_bug)
    tasks = await queued_behind_a_write(
        runtime,
        held,
        runtime.execute(AddAgendaItem(title="Một"), HOST, "one-000001"),
        [
            runtime.execute(AddAgendaItem(title="lỗi"), HOST, "bug-000001"),
            runtime.execute(AddAgendaItem(title="Hai"), HOST, "two-000001"),
        ],
    )
    held.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), GUARD)
    assert isinstance(outcomes[1], ZeroDivisionError)
    assert [outcomes[0], outcomes[2]] == [Accepted(seq=2), Accepted(seq=3)]


def test_a_meeting_id_never_reads_as_a_command_line_option() -> None:
    ids = [new_meeting_id() for _ in range(2000)]  # token_urlsafe starts 1 in 64 with "-"
    assert all(meeting_id[0].isalpha() for meeting_id in ids)
    assert len(set(ids)) == len(ids)
