"""Other sockets acting while a browser test types: a loop in its own thread (Playwright's sync
API holds the test's), and the events the server's log recorded, read back from its SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from server.core.events import Event, decode_event
from tests.support.client import LiveClient
from tests.support.server import ServerProcess

T = TypeVar("T")
RUN_TIMEOUT = 60.0


class Driver:
    """Runs coroutines on a loop of its own; `storm` keeps sending commands until stopped."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(RUN_TIMEOUT)

    def client(self, server: ServerProcess, link: str, view: str | None = None) -> LiveClient:
        return self.run(LiveClient.open(server, link, view=view))

    def command(self, client: LiveClient, command: dict[str, Any]) -> dict[str, Any]:
        """Sends a command and waits for its ack; fails on any refusal."""
        answer = self.run(client.command(command))
        assert answer["type"] == "ack", answer
        return answer

    @contextlib.contextmanager
    def storm(
        self,
        client: LiveClient,
        make: Callable[[int], dict[str, Any]],
        *,
        count: int | None = None,
        every: float = 0.0,
    ) -> Iterator[Storm]:
        """Sends make(0), make(1), … (each acknowledged before the next) while the block runs;
        with `count`, exactly that many (the block's end waits for them). Every command must be
        accepted."""
        storm = Storm()

        async def blow() -> None:
            i = 0
            while not storm.stopped and (count is None or i < count):
                answer = await client.command(make(i))
                assert answer["type"] == "ack", answer
                storm.acked(answer["seq"])
                i += 1
                if every:
                    await asyncio.sleep(every)

        future = asyncio.run_coroutine_threadsafe(blow(), self.loop)
        storm.future = future
        try:
            yield storm
        finally:
            storm.stopped = count is None  # a counted storm sends all of it
            future.result(RUN_TIMEOUT)

    def question_on_screen(
        self, server: ServerProcess, host: LiveClient, host_link: str, text: str
    ) -> str:
        """Adds a question as the host, puts it on every display and answers its id."""
        self.command(host, {"type": "add_question", "question": {"text": text}})
        desk = self.client(server, host_link, view="questions")
        html: str = desk.views[-1]["html"]
        self.run(desk.close())
        (question_id,) = [
            chunk.split('"', 1)[0] for chunk in html.split('<li id="q-')[1:] if text in chunk
        ]
        self.command(host, {"type": "show_question", "question_id": question_id})
        return question_id

    def speaker_on_floor(
        self, server: ServerProcess, host: LiveClient, site: dict[str, Any], name: str
    ) -> None:
        """A site's secretary registers `name` and the host calls the next speaker."""
        secretary = self.client(server, site["secretary"])
        self.command(
            secretary, {"type": "register_speaker", "site_id": site["site_id"], "name": name}
        )
        self.run(secretary.close())
        self.command(host, {"type": "call_speaker", "request_id": None, "expected_current": None})

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Storm:
    """How far a storm got: the commands acknowledged and the last seq."""

    def __init__(self) -> None:
        self.stopped = False
        self.count = 0
        self.last_seq = 0
        self.future: Any = None

    def acked(self, seq: int) -> None:
        self.count += 1
        self.last_seq = max(self.last_seq, seq)

    def wait(self, timeout: float = RUN_TIMEOUT) -> None:
        """Until a storm with a `count` has sent all of it."""
        self.future.result(timeout)


async def gather(*work: Awaitable[T]) -> list[T]:
    return list(await asyncio.gather(*work))


def recorded_events(server: ServerProcess, meeting_id: str) -> list[Event]:
    """Every event in the meeting's log, read from the SQLite file the server writes."""
    path = server.data_dir / "diemcau.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT data FROM entries WHERE meeting_id=? ORDER BY seq", (meeting_id,)
        ).fetchall()
    return [decode_event(bytes(data)) for (data,) in rows]


def events_of(server: ServerProcess, meeting_id: str, kind: type[T]) -> list[T]:
    return [event for event in recorded_events(server, meeting_id) if isinstance(event, kind)]


def events_when_there(
    server: ServerProcess, meeting_id: str, kind: type[T], timeout: float = 10.0
) -> list[T]:
    """The events of `kind` once there is one: a page's command is in the log a moment after its
    click (the test has no ack to wait on)."""
    deadline = time.monotonic() + timeout
    while not (found := events_of(server, meeting_id, kind)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found
