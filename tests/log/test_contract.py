"""The EventLog contract, run against every backend: same answers from SQLite and Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from server.log.base import (
    Appended,
    CommandEntries,
    CommandsSeen,
    EventLog,
    SeqConflict,
    UnknownMeeting,
)

if TYPE_CHECKING:
    from tests.support.logs import Backends


async def test_create_returns_the_epoch(log: EventLog) -> None:
    epoch = await log.create("m1")
    assert epoch
    assert set(epoch) <= set("0123456789abcdef")
    assert await log.epoch("m1") == epoch


async def test_create_twice_raises_key_error_and_keeps_the_epoch(log: EventLog) -> None:
    epoch = await log.create("m1")
    await log.append("m1", [b"a"], expected_seq=0, command_id="c1")
    with pytest.raises(KeyError):
        await log.create("m1")
    assert await log.epoch("m1") == epoch
    assert await log.read("m1") == [(1, b"a")]


async def test_epochs_of_two_meetings_differ(log: EventLog) -> None:
    assert await log.create("m1") != await log.create("m2")


async def test_meetings_lists_the_created_ones(log: EventLog) -> None:
    assert await log.meetings() == []
    for meeting_id in ["m1", "hop-dong-2025", "Họp toàn thể"]:
        await log.create(meeting_id)
    assert sorted(await log.meetings()) == sorted(["m1", "hop-dong-2025", "Họp toàn thể"])


async def test_append_then_read_gives_entries_in_order(log: EventLog) -> None:
    await log.create("m1")
    appended = await log.append("m1", [b"a", b"b", b"c"], expected_seq=0, command_id="c1")
    assert appended == Appended(first_seq=1, last_seq=3)
    assert await log.read("m1") == [(1, b"a"), (2, b"b"), (3, b"c")]


async def test_seq_is_gap_free_over_many_appends(log: EventLog) -> None:
    await log.create("m1")
    expected: list[bytes] = []
    last = 0
    for i in range(60):
        batch = [f"{i}.{j}".encode() for j in range(i % 4)]  # 0 to 3 entries, empties included
        appended = await log.append("m1", batch, expected_seq=last, command_id=f"c{i}")
        assert appended == Appended(first_seq=last + 1, last_seq=last + len(batch))
        last = appended.last_seq
        expected += batch
    entries = await log.read("m1")
    assert [seq for seq, _ in entries] == list(range(1, len(expected) + 1))
    assert [data for _, data in entries] == expected


async def test_read_after_seq_gives_only_later_entries(log: EventLog) -> None:
    await log.create("m1")
    await log.append("m1", [b"a", b"b", b"c", b"d"], expected_seq=0, command_id="c1")
    assert await log.read("m1", 2) == [(3, b"c"), (4, b"d")]
    assert await log.read("m1", 0) == await log.read("m1")
    assert await log.read("m1", 4) == []
    assert await log.read("m1", 99) == []


async def test_read_of_a_long_log_is_complete_and_ordered(log: EventLog) -> None:
    # Longer than one Redis read chunk (1000), with chunk edges inside appends.
    await log.create("m1")
    for i in range(4):
        batch = [f"e{i * 700 + j + 1}".encode() for j in range(700)]
        await log.append("m1", batch, expected_seq=i * 700, command_id=f"c{i}")
    everything = await log.read("m1")
    assert everything == [(seq, f"e{seq}".encode()) for seq in range(1, 2801)]
    assert await log.read("m1", 999) == everything[999:]
    assert await log.read("m1", 2000) == everything[2000:]


async def test_read_of_an_unknown_meeting_is_empty(log: EventLog) -> None:
    assert await log.read("nobody") == []


async def test_wrong_expected_seq_conflicts_and_writes_nothing(log: EventLog) -> None:
    await log.create("m1")
    await log.append("m1", [b"a", b"b"], expected_seq=0, command_id="c1")
    for stale in [0, 1, 3, 10]:
        with pytest.raises(SeqConflict) as conflict:
            await log.append("m1", [b"x"], expected_seq=stale, command_id="c2")
        assert conflict.value.current_seq == 2
    assert await log.read("m1") == [(1, b"a"), (2, b"b")]
    # A refused command was not recorded: once caught up, the same command_id goes through.
    assert await log.append("m1", [b"x"], expected_seq=2, command_id="c2") == Appended(3, 3)


async def test_repeated_command_id_returns_the_first_answer_and_writes_nothing(
    log: EventLog,
) -> None:
    await log.create("m1")
    first = await log.append("m1", [b"a", b"b"], expected_seq=0, command_id="c1")
    assert first == Appended(first_seq=1, last_seq=2)
    await log.append("m1", [b"c"], expected_seq=2, command_id="c2")
    # Stale expected_seq: the duplicate check comes before the seq check.
    again = await log.append("m1", [b"zzz"], expected_seq=0, command_id="c1")
    assert again == Appended(first_seq=1, last_seq=2, duplicate=True)
    # A current expected_seq must not turn the repeat into a new write either.
    again = await log.append("m1", [b"zzz"], expected_seq=3, command_id="c1")
    assert again == Appended(first_seq=1, last_seq=2, duplicate=True)
    assert await log.read("m1") == [(1, b"a"), (2, b"b"), (3, b"c")]


async def test_command_ids_are_per_meeting(log: EventLog) -> None:
    await log.create("m1")
    await log.create("m2")
    await log.append("m1", [b"a"], expected_seq=0, command_id="same")
    appended = await log.append("m2", [b"b"], expected_seq=0, command_id="same")
    assert appended == Appended(first_seq=1, last_seq=1)
    assert await log.read("m2") == [(1, b"b")]


async def test_empty_append_records_the_command_id(log: EventLog) -> None:
    await log.create("m1")
    assert await log.append("m1", [], expected_seq=0, command_id="noop") == Appended(1, 0)
    assert await log.read("m1") == []
    assert await log.append("m1", [b"a"], expected_seq=0, command_id="c1") == Appended(1, 1)
    again = await log.append("m1", [], expected_seq=1, command_id="noop")
    assert again == Appended(first_seq=1, last_seq=0, duplicate=True)
    assert await log.read("m1") == [(1, b"a")]


async def test_unknown_meeting(log: EventLog) -> None:
    with pytest.raises(UnknownMeeting):
        await log.append("nobody", [b"a"], expected_seq=0, command_id="c1")
    with pytest.raises(UnknownMeeting):
        await log.epoch("nobody")
    assert await log.meetings() == []
    assert await log.read("nobody") == []


async def test_two_meetings_logs_are_independent(log: EventLog) -> None:
    epoch1 = await log.create("m1")
    epoch2 = await log.create("m2")
    for i in range(5):
        await log.append("m1", [f"one{i}".encode()], expected_seq=i, command_id=f"a{i}")
        await log.append("m2", [f"two{i}".encode()] * 2, expected_seq=2 * i, command_id=f"b{i}")
    assert await log.read("m1") == [(i + 1, f"one{i}".encode()) for i in range(5)]
    assert await log.read("m2") == [(s + 1, f"two{s // 2}".encode()) for s in range(10)]
    assert (await log.epoch("m1"), await log.epoch("m2")) == (epoch1, epoch2)


async def test_concurrent_appends_at_the_same_seq_have_one_winner(log: EventLog) -> None:
    await log.create("m1")
    await log.append("m1", [b"base"], expected_seq=0, command_id="base")

    async def attempt(i: int) -> Appended:
        return await log.append(
            "m1", [f"w{i}a".encode(), f"w{i}b".encode()], expected_seq=1, command_id=f"c{i}"
        )

    results = await asyncio.gather(*(attempt(i) for i in range(20)), return_exceptions=True)
    winners = [i for i, result in enumerate(results) if isinstance(result, Appended)]
    assert len(winners) == 1
    assert results[winners[0]] == Appended(first_seq=2, last_seq=3)
    losers = [result for result in results if not isinstance(result, Appended)]
    assert len(losers) == 19
    assert all(isinstance(loser, SeqConflict) and loser.current_seq == 3 for loser in losers)
    winner = winners[0]
    assert await log.read("m1") == [
        (1, b"base"),
        (2, f"w{winner}a".encode()),
        (3, f"w{winner}b".encode()),
    ]


async def test_writers_that_retry_on_conflict_all_land_exactly_once(log: EventLog) -> None:
    await log.create("m1")

    async def writer(w: int) -> list[bool]:
        known = 0
        conflicts_were_ahead: list[bool] = []
        for n in range(5):
            batch = [f"w{w}-{n}-{k}".encode() for k in range(1 + (w + n) % 2)]
            while True:
                caught_up = await log.read("m1", known)
                if caught_up:
                    known = caught_up[-1][0]
                try:
                    appended = await log.append(
                        "m1", batch, expected_seq=known, command_id=f"w{w}-{n}"
                    )
                except SeqConflict as conflict:
                    conflicts_were_ahead.append(conflict.current_seq > known)
                    continue
                known = appended.last_seq
                break
        return conflicts_were_ahead

    outcomes = await asyncio.gather(*(writer(w) for w in range(10)))
    assert all(all(ahead) for ahead in outcomes)
    assert sum(len(ahead) for ahead in outcomes) > 0  # the writers did race
    entries = await log.read("m1")
    wanted = [
        f"w{w}-{n}-{k}".encode()
        for w in range(10)
        for n in range(5)
        for k in range(1 + (w + n) % 2)
    ]
    assert [seq for seq, _ in entries] == list(range(1, len(wanted) + 1))
    assert Counter(data for _, data in entries) == Counter(wanted)
    for w in range(10):  # each writer's own entries keep its order
        own = [data for _, data in entries if data.startswith(f"w{w}-".encode())]
        assert own == [data for data in wanted if data.startswith(f"w{w}-".encode())]


async def test_bytes_round_trip_exactly(log: EventLog) -> None:
    await log.create("m1")
    entries = [
        b"",
        b"\x00\xff\xfe\x80\x81",
        bytes(range(256)),
        "Biểu quyết: Đồng ý — Chủ tọa phiên họp".encode(),
        b"line\r\nbreak\r\n$3\r\n*1\r\n",  # looks like RESP framing
        b"\xc3\x28\xa0\xa1",  # invalid UTF-8
        bytes(range(256)) * 2000,  # half a megabyte
    ]
    await log.append("m1", entries, expected_seq=0, command_id="c1")
    assert await log.read("m1") == list(enumerate(entries, start=1))


async def test_everything_survives_close_and_reopen(backends: Backends) -> None:
    first = await backends.open()
    epoch1 = await first.create("m1")
    epoch2 = await first.create("m2")
    await first.append("m1", [b"a", b"b"], expected_seq=0, command_id="c1")
    await first.append("m1", [], expected_seq=2, command_id="noop")
    await first.append("m2", ["ư".encode()], expected_seq=0, command_id="c1")
    await backends.close(first)

    second = await backends.open()
    assert sorted(await second.meetings()) == ["m1", "m2"]
    assert (await second.epoch("m1"), await second.epoch("m2")) == (epoch1, epoch2)
    assert await second.read("m1") == [(1, b"a"), (2, b"b")]
    assert await second.read("m2") == [(1, "ư".encode())]
    # The recorded command ids and the last seq survive too.
    again = await second.append("m1", [b"x"], expected_seq=0, command_id="c1")
    assert again == Appended(first_seq=1, last_seq=2, duplicate=True)
    assert await second.append("m1", [], expected_seq=2, command_id="noop") == Appended(
        3, 2, duplicate=True
    )
    with pytest.raises(SeqConflict) as conflict:
        await second.append("m1", [b"x"], expected_seq=0, command_id="c2")
    assert conflict.value.current_seq == 2
    with pytest.raises(KeyError):
        await second.create("m1")
    assert await second.append("m1", [b"c"], expected_seq=2, command_id="c2") == Appended(3, 3)


# Batches: what group commit in the service stands on.


def batch(*commands: tuple[str, list[bytes]]) -> list[CommandEntries]:
    return [CommandEntries(command_id, entries) for command_id, entries in commands]


async def test_a_batch_lands_its_commands_one_after_another(log: EventLog) -> None:
    await log.create("m1")
    await log.append("m1", [b"a"], expected_seq=0, command_id="c0")
    answers = await log.append_batch(
        "m1", batch(("c1", [b"b", b"c"]), ("noop", []), ("c2", [b"d"])), expected_seq=1
    )
    assert answers == [Appended(2, 3), Appended(4, 3), Appended(4, 4)]
    assert await log.read("m1") == [(1, b"a"), (2, b"b"), (3, b"c"), (4, b"d")]
    assert await log.append_batch("m1", [], expected_seq=99) == []  # nothing to do, no check
    # The next batch goes on from there.
    assert await log.append_batch("m1", batch(("c3", [b"e"])), expected_seq=4) == [Appended(5, 5)]


async def test_recorded_answers_the_ids_the_log_knows_in_one_call(log: EventLog) -> None:
    await log.create("m1")
    await log.create("m2")
    await log.append_batch(
        "m1", batch(("c1", [b"a", b"b"]), ("noop", []), ("c2", [b"c"])), expected_seq=0
    )
    await log.append("m2", [b"x"], expected_seq=0, command_id="other")
    known = await log.recorded("m1", ["c2", "nobody", "c1", "noop", "other"])
    assert known == {
        "c1": Appended(1, 2, duplicate=True),
        "noop": Appended(3, 2, duplicate=True),
        "c2": Appended(3, 3, duplicate=True),
    }
    assert await log.recorded("m1", []) == {}
    assert await log.recorded("nobody", ["c1"]) == {}
    many = [f"id-{i}" for i in range(1200)]  # more than any batch the service makes
    await log.append_batch("m2", batch(*((c, []) for c in many)), expected_seq=1)
    assert set(await log.recorded("m2", [*many, "c1"])) == set(many)


async def test_a_stale_batch_conflicts_and_writes_nothing(log: EventLog) -> None:
    await log.create("m1")
    await log.append("m1", [b"a", b"b"], expected_seq=0, command_id="c1")
    for stale in [0, 1, 3]:
        with pytest.raises(SeqConflict) as conflict:
            await log.append_batch(
                "m1", batch(("c2", [b"x"]), ("c3", [b"y", b"z"]), ("c4", [])), expected_seq=stale
            )
        assert not isinstance(conflict.value, CommandsSeen)
        assert conflict.value.current_seq == 2
    assert await log.read("m1") == [(1, b"a"), (2, b"b")]
    assert await log.recorded("m1", ["c2", "c3", "c4"]) == {}
    answers = await log.append_batch(
        "m1", batch(("c2", [b"x"]), ("c3", [b"y", b"z"]), ("c4", [])), expected_seq=2
    )
    assert answers == [Appended(3, 3), Appended(4, 5), Appended(6, 5)]


async def test_a_batch_carrying_a_recorded_id_writes_nothing_and_names_its_first_answer(
    log: EventLog,
) -> None:
    """Dedup across batches: the ids are checked before the seq, so even a stale batch learns
    which of its commands were answered before; none of the batch is written."""
    await log.create("m1")
    await log.append_batch("m1", batch(("c1", [b"a"]), ("c2", [b"b", b"c"])), expected_seq=0)
    for expected in [3, 0]:
        with pytest.raises(CommandsSeen) as seen:
            await log.append_batch(
                "m1",
                batch(("new1", [b"x"]), ("c2", [b"again"]), ("new2", [b"y"]), ("c1", [])),
                expected_seq=expected,
            )
        assert seen.value.current_seq == 3
        assert seen.value.seen == {
            "c1": Appended(1, 1, duplicate=True),
            "c2": Appended(2, 3, duplicate=True),
        }
    assert await log.read("m1") == [(1, b"a"), (2, b"b"), (3, b"c")]
    assert await log.recorded("m1", ["new1", "new2"]) == {}
    answers = await log.append_batch(
        "m1", batch(("new1", [b"x"]), ("new2", [b"y"])), expected_seq=3
    )
    assert answers == [Appended(4, 4), Appended(5, 5)]


async def test_an_id_twice_in_one_batch_is_refused_before_anything_is_written(
    log: EventLog,
) -> None:
    await log.create("m1")
    with pytest.raises(ValueError, match="twice"):
        await log.append_batch(
            "m1", batch(("c1", [b"a"]), ("c2", [b"b"]), ("c1", [b"c"])), expected_seq=0
        )
    assert await log.read("m1") == []
    assert await log.recorded("m1", ["c1", "c2"]) == {}


async def test_a_batch_for_an_unknown_meeting(log: EventLog) -> None:
    with pytest.raises(UnknownMeeting):
        await log.append_batch("nobody", batch(("c1", [b"a"])), expected_seq=0)


async def test_racing_batches_at_the_same_seq_have_one_winner_written_whole(
    log: EventLog,
) -> None:
    await log.create("m1")
    await log.append("m1", [b"base"], expected_seq=0, command_id="base")

    async def attempt(w: int) -> list[Appended]:
        commands = batch(
            *((f"w{w}-{c}", [f"w{w}-{c}-{k}".encode() for k in range(2)]) for c in range(5))
        )
        return await log.append_batch("m1", commands, expected_seq=1)

    results = await asyncio.gather(*(attempt(w) for w in range(12)), return_exceptions=True)
    winners = [w for w, result in enumerate(results) if isinstance(result, list)]
    assert len(winners) == 1
    assert results[winners[0]] == [Appended(2 + 2 * c, 3 + 2 * c) for c in range(5)]
    losers = [result for result in results if not isinstance(result, list)]
    assert all(isinstance(loser, SeqConflict) and loser.current_seq == 11 for loser in losers)
    winner = winners[0]
    assert [data for _, data in await log.read("m1")] == [b"base"] + [
        f"w{winner}-{c}-{k}".encode() for c in range(5) for k in range(2)
    ]
    others = [f"w{w}-{c}" for w in range(12) if w != winner for c in range(5)]
    assert await log.recorded("m1", others) == {}


async def test_batches_survive_close_and_reopen(backends: Backends) -> None:
    first = await backends.open()
    await first.create("m1")
    await first.append_batch(
        "m1", batch(("c1", [b"a"]), ("noop", []), ("c2", [b"b", b"c"])), expected_seq=0
    )
    await backends.close(first)
    second = await backends.open()
    assert await second.read("m1") == [(1, b"a"), (2, b"b"), (3, b"c")]
    assert await second.recorded("m1", ["c1", "noop", "c2"]) == {
        "c1": Appended(1, 1, duplicate=True),
        "noop": Appended(2, 1, duplicate=True),
        "c2": Appended(2, 3, duplicate=True),
    }
    with pytest.raises(SeqConflict):
        await second.append_batch("m1", batch(("c3", [b"d"])), expected_seq=1)
    assert await second.append_batch("m1", batch(("c3", [b"d"])), expected_seq=3) == [
        Appended(4, 4)
    ]
