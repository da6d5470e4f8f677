"""The hub renders and frames each view kind once per change, writes the same bytes to every socket
that can take them, and never lets a slow socket pile up views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.core.commands import Actor
from server.live.hub import MAX_PERSONAL_BACKLOG, Connection, Hub, Message, Pipe, ViewKey
from tests.support.pipes import FakePipe
from tests.support.wait import until


def make_hub() -> tuple[Hub, Counter[ViewKey]]:
    renders: Counter[ViewKey] = Counter()

    def render(meeting_id: str, key: ViewKey) -> bytes:
        renders[key] += 1
        return f"{meeting_id}:{key.kind}:{key.site_id}:{renders[key]}".encode()

    return Hub(render), renders


def display(pipe: Pipe, site: str = "s1", on_drop: Callable[[], None] | None = None) -> Connection:
    return Connection(ViewKey("display", None, "vi"), Actor("display", site), pipe, on_drop)


def test_one_render_per_view_kind_whatever_the_number_of_sockets() -> None:
    hub, renders = make_hub()
    displays = [display(FakePipe(), f"s{i % 3}") for i in range(50)]
    secretaries = [
        Connection(ViewKey("secretary", f"s{i}", "vi"), Actor("secretary", f"s{i}"), FakePipe())
        for i in range(3)
    ]
    for conn in displays + secretaries:
        hub.join("m", conn)
    hub.publish("m")
    assert renders[ViewKey("display", None, "vi")] == 1
    assert all(renders[ViewKey("secretary", f"s{i}", "vi")] == 1 for i in range(3))
    assert sum(renders.values()) == 4


def test_every_socket_gets_the_very_same_frame_and_a_slow_one_only_the_latest() -> None:
    hub, _ = make_hub()
    fast, slow = FakePipe(), FakePipe()
    hub.join("m", display(fast, "s1"))
    slow_socket = display(slow, "s2")
    hub.join("m", slow_socket)
    hub.publish("m")
    assert fast.frames[0] is slow.frames[0]  # framed once, the same bytes object for both
    slow.push_back()
    for _ in range(3):
        hub.publish("m")  # written at once, inside publish, to the socket that can take it
    slow_socket.offer_personal(Message(b"ack"))
    assert fast.sent == [f"m:display:None:{n}".encode() for n in range(1, 5)]
    assert slow.sent == [b"m:display:None:1"]
    slow.drain()
    # Of the three views that came while it pushed back only the newest went, before the ack
    # that came after them.
    assert slow.sent == [b"m:display:None:1", b"m:display:None:4", b"ack"]
    hub.publish("m")
    assert slow.sent[-1] == b"m:display:None:5"  # drained: writes go straight out again


def test_a_socket_that_pushes_back_again_while_draining_keeps_the_rest() -> None:
    pipe = FakePipe()
    conn = display(pipe)
    pipe.push_back()
    conn.offer_view(Message(b"view"))
    conn.offer_personal(Message(b"ack-1"))
    conn.offer_personal(Message(b"ack-2"))
    original = pipe.write

    def write_then_push_back(message: Message) -> None:
        original(message)
        pipe.push_back()  # the buffer is above its mark again after one frame

    pipe.write = write_then_push_back  # type: ignore[method-assign]
    pipe.drain()
    assert pipe.sent == [b"view"]
    pipe.drain()
    assert pipe.sent == [b"view", b"ack-1"]
    pipe.write = original  # type: ignore[method-assign]
    pipe.drain()
    assert pipe.sent == [b"view", b"ack-1", b"ack-2"]


def test_a_frame_is_the_websocket_frame_of_its_payload() -> None:
    payload = "Phường Tân Định: ý kiến cử tri".encode() * 200  # over 126 bytes: a longer header
    stream = StreamReader()
    parser = Frame.parse(stream.read_exact, mask=False, max_size=None, extensions=[])
    stream.feed_data(Message(payload).frame)
    with pytest.raises(StopIteration) as parsed:
        next(parser)
    frame = parsed.value.value
    assert (frame.opcode, frame.fin, frame.data) == (Opcode.BINARY, True, payload)


def test_a_closed_socket_is_dropped_and_later_frames_go_nowhere() -> None:
    pipe = FakePipe()
    drops: list[str] = []
    conn = display(pipe, on_drop=lambda: drops.append("x"))
    pipe.push_back()
    pipe.closed = True
    conn.offer_view(Message(b"view"))
    assert conn.closed
    assert drops == ["x"]
    pipe.drain()
    conn.offer_view(Message(b"later"))
    assert pipe.sent == []


def test_closing_a_socket_that_waits_sends_nothing_more() -> None:
    pipe = FakePipe()
    conn = display(pipe)
    pipe.push_back()
    conn.offer_view(Message(b"one"))
    conn.offer_personal(Message(b"two"))
    conn.close()
    pipe.drain()
    assert pipe.sent == []
    assert conn.closed


def test_a_socket_that_reads_nothing_is_dropped_not_buffered_forever() -> None:
    pipe = FakePipe()
    drops: list[str] = []
    conn = Connection(ViewKey("host", None, "vi"), Actor("host"), pipe, lambda: drops.append("x"))
    pipe.push_back()
    for _ in range(MAX_PERSONAL_BACKLOG):
        conn.offer_personal(Message(b"ack"))
    assert not conn.closed
    assert drops == []
    conn.offer_personal(Message(b"one too many"))
    assert conn.closed
    assert drops == ["x"]  # the socket's handler is told, once
    conn.offer_personal(Message(b"more"))
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
    host = Connection(ViewKey("host", None, "vi"), Actor("host"), FakePipe())
    hub.join("m", host)
    joined = [
        Connection(ViewKey("display", None, "vi"), Actor("display", "s1"), FakePipe()),
        Connection(ViewKey("secretary", "s1", "vi"), Actor("secretary", "s1"), FakePipe()),
        Connection(ViewKey("delegate", "s2", "vi"), Actor("delegate", "s2", "d1"), FakePipe()),
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
