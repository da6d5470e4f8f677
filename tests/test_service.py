"""Running commands against a real log: durable before acknowledged, two writers, a dead log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.core.commands import (
    Actor,
    AddAgendaItem,
    CastVote,
    CreateMeeting,
    OpenBallot,
    SetAttendance,
    SetCurrentAgendaItem,
)
from server.core.decide import Rejected
from server.log.base import EventLog
from server.log.redis import RedisLog
from server.log.sqlite import SqliteLog
from server.service import UNAVAILABLE, Accepted, MeetingRuntime, Meetings
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
