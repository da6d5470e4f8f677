"""The hub renders each view kind once per change and never lets a slow socket pile up views."""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from server.core.commands import Actor
from server.live.hub import MAX_PERSONAL_BACKLOG, Connection, Hub, ViewKey
from tests.support.wait import until


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, data: bytes) -> None:
        self.sent.append(data)


def make_hub() -> tuple[Hub, Counter[ViewKey]]:
    renders: Counter[ViewKey] = Counter()

    def render(meeting_id: str, key: ViewKey) -> bytes:
        renders[key] += 1
        return f"{meeting_id}:{key.kind}:{key.site_id}:{renders[key]}".encode()

    return Hub(render), renders


def other_tasks() -> list[asyncio.Task[Any]]:
    """The tasks besides the test's own: a socket's drain, while it has one."""
    test = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if task is not test]


def a_drain_waits() -> bool:
    """A drain task has started and waits in a send (it is not just created)."""
    coroutines = [task.get_coro() for task in other_tasks()]
    return any(
        isinstance(c, Coroutine) and inspect.getcoroutinestate(c) == inspect.CORO_SUSPENDED
        for c in coroutines
    )


async def test_one_render_per_view_kind_whatever_the_number_of_sockets() -> None:
    hub, renders = make_hub()
    displays = [
        Connection(ViewKey("display", None, "vi"), Actor("display", f"s{i % 3}"), Recorder().send)
        for i in range(50)
    ]
    secretaries = [
        Connection(
            ViewKey("secretary", f"s{i}", "vi"), Actor("secretary", f"s{i}"), Recorder().send
        )
        for i in range(3)
    ]
    for conn in displays + secretaries:
        hub.join("m", conn)
    hub.publish("m")
    assert renders[ViewKey("display", None, "vi")] == 1
    assert all(renders[ViewKey("secretary", f"s{i}", "vi")] == 1 for i in range(3))
    assert sum(renders.values()) == 4


async def test_same_bytes_reach_every_socket_and_a_slow_one_gets_only_the_latest() -> None:
    hub, _ = make_hub()
    fast, slow = Recorder(), Recorder()
    gate = asyncio.Event()

    async def slow_send(data: bytes) -> None:
        await gate.wait()
        slow.sent.append(data)

    key = ViewKey("display", None, "vi")
    a = Connection(key, Actor("display", "s1"), fast.send)
    b = Connection(key, Actor("display", "s2"), slow_send)
    hub.join("m", a)
    hub.join("m", b)
    for _ in range(3):
        hub.publish("m")
        # A socket that can take the frame has it before publish returns: no task, no wake-up.
        assert fast.sent[-1] == f"m:display:None:{len(fast.sent)}".encode()
        # the next view comes while the slow socket's send waits in a drain task of its own
        await until(a_drain_waits, what="the slow socket's send waiting in its drain")
    b.offer_personal(b"ack")
    gate.set()
    await until(lambda: b"ack" in slow.sent and not other_tasks(), what="the drain to end")
    assert fast.sent == [b"m:display:None:1", b"m:display:None:2", b"m:display:None:3"]
    # The slow socket was stuck in its first send; of the two views behind it only the newest
    # went, and before the ack that came after them.
    assert slow.sent == [b"m:display:None:1", b"m:display:None:3", b"ack"]
    hub.publish("m")
    assert slow.sent[-1] == b"m:display:None:4"  # drained: sends go straight out again


async def test_a_send_that_fails_closes_the_socket_and_later_frames_go_nowhere() -> None:
    calls: list[bytes] = []

    async def broken(data: bytes) -> None:
        calls.append(data)
        raise ConnectionResetError

    drops: list[str] = []
    conn = Connection(
        ViewKey("display", None, "vi"), Actor("display", "s1"), broken, lambda: drops.append("x")
    )
    conn.offer_view(b"view")
    assert conn.closed
    assert drops == ["x"]
    conn.offer_view(b"later")
    assert calls == [b"view"]


async def test_a_failure_after_a_wait_closes_the_socket() -> None:
    gate = asyncio.Event()

    async def fails_later(data: bytes) -> None:
        await gate.wait()
        raise ConnectionResetError

    conn = Connection(ViewKey("display", None, "vi"), Actor("display", "s1"), fails_later)
    conn.offer_view(b"view")
    assert not conn.closed
    gate.set()
    await until(lambda: conn.closed, what="the socket closed once its send failed")


async def test_closing_a_socket_mid_send_stops_its_drain() -> None:
    gate = asyncio.Event()
    sent: list[bytes] = []

    async def stuck(data: bytes) -> None:
        await gate.wait()
        sent.append(data)

    conn = Connection(ViewKey("display", None, "vi"), Actor("display", "s1"), stuck)
    conn.offer_view(b"one")
    conn.offer_view(b"two")
    conn.close()
    gate.set()
    await until(lambda: not other_tasks(), what="the drain to end")
    assert sent == []
    assert conn.closed


async def test_a_socket_that_reads_nothing_is_dropped_not_buffered_forever() -> None:
    never = asyncio.Event()

    async def stuck(data: bytes) -> None:
        await never.wait()

    drops: list[str] = []
    conn = Connection(ViewKey("host", None, "vi"), Actor("host"), stuck, lambda: drops.append("x"))
    conn.offer_personal(b"first")  # waits for ever: the rest queue behind it
    for _ in range(MAX_PERSONAL_BACKLOG):
        conn.offer_personal(b"ack")
    assert not conn.closed
    assert drops == []
    conn.offer_personal(b"one too many")
    assert conn.closed
    assert drops == ["x"]  # the socket's handler is told, once
    conn.offer_personal(b"more")
    conn.drop()
    assert drops == ["x"]


async def test_presence_counts_roles_per_site_and_tells_the_host() -> None:
    told: list[int] = []  # the displays at s1 each time the host's view is drawn

    def render(meeting_id: str, key: ViewKey) -> bytes:
        if key.kind == "host":
            told.append(hub.presence(meeting_id)["s1"].displays)
        return b"view"

    hub = Hub(render)
    hub.presence_delay = 0.01
    host = Connection(ViewKey("host", None, "vi"), Actor("host"), Recorder().send)
    hub.join("m", host)
    joined = [
        Connection(ViewKey("display", None, "vi"), Actor("display", "s1"), Recorder().send),
        Connection(ViewKey("secretary", "s1", "vi"), Actor("secretary", "s1"), Recorder().send),
        Connection(ViewKey("delegate", "s2", "vi"), Actor("delegate", "s2", "d1"), Recorder().send),
    ]
    for conn in joined:
        hub.join("m", conn)
    presence = hub.presence("m")
    assert (presence["s1"].displays, presence["s1"].consoles, presence["s1"].delegates) == (1, 1, 0)
    assert presence["s2"].delegates == 1
    assert told == []  # not at each join: a moment later
    # Each poll's sleep ends after the update's timer, which fires first: the deadline is tight.
    soon = 5 * hub.presence_delay
    await until(lambda: told, what="the host told of the joins", within=soon)
    hub.leave("m", joined[0])
    assert hub.presence("m")["s1"].displays == 0
    # The leave's update is due after any the joins made: once it came, they all had.
    await until(lambda: 0 in told, what="the host told of the leave", within=soon)
    assert told == [1, 0]  # three joins, one coalesced host update; then the leave's
    assert hub.connections("m") == 3
