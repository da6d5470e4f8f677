"""Two nodes behind the shipped nginx config on one Redis: a node killed with -9 mid-meeting hands its
sockets (programs and a Chromium display) to the other, which catches them up; of the commands
sent meanwhile none acknowledged is lost and none is doubled in the Redis log."""

from __future__ import annotations

import asyncio
import re
import socket as tcp
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.protocol import State

from server.core.events import AgendaItemRenamed, Event, MeetingCreated, decode_event
from server.log.redis import RedisLog
from server.web.import_steps import MAX_UPLOAD
from server.web.live import FRAME_RATE
from tests.deploy.front import NODE_HEADER, SHIPPED_SITE, NginxFront, nginx_binary
from tests.pages.conftest import PROJECTOR
from tests.support.client import MAX_VIEW_BYTES, LiveClient, link_parts
from tests.support.driver import Driver, gather
from tests.support.redis_server import RedisProcess, free_port
from tests.support.server import ServerProcess, create_meeting

REOPEN_TIMEOUT = 10.0
WAIT_TIMEOUT = 15.0
MiB = 1024 * 1024
# A writer's pace, under the server's sustained rate per socket (server/web/live.py): however long
# one writer waits for the other (a loaded machine), it is never told too_fast. A budget of
# commands per socket instead once ran out before the kill, and the writer stopped.
WRITER_PAUSE = 1.5 / FRAME_RATE


@dataclass
class Cluster:
    front: NginxFront
    nodes: list[ServerProcess]

    def node(self, port: int) -> ServerProcess:
        (node,) = [node for node in self.nodes if node.port == port]
        return node


@pytest.fixture
def cluster(tmp_path: Path, redis_process: RedisProcess) -> Iterator[Cluster]:
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: run ./diemcau test, which installs it")
    front_port = free_port()
    # Both nodes are reached at the front's address (their links, the Origin the pages send);
    # they share the data directory for the server key, as nodes share /etc/diemcau/env.
    args = ["--store", "redis", "--redis-url", redis_process.url]
    args += ["--public-url", f"http://127.0.0.1:{front_port}"]
    nodes = [ServerProcess(tmp_path / "data", free_port(), args) for _ in range(2)]
    front = NginxFront(tmp_path / "nginx", front_port, [node.port for node in nodes])
    try:
        for process in (*nodes, front):
            process.start()
        yield Cluster(front, nodes)
    finally:
        for process in (front, *nodes):
            process.stop()


def nodes_tried(headers: Mapping[str, str]) -> list[int]:
    """The ports of the nodes nginx tried, the one that answered last (the test's header)."""
    wanted = NODE_HEADER.lower()
    addresses = next((value for name, value in headers.items() if name.lower() == wanted), "")
    assert addresses.startswith("127.0.0.1:"), f"not answered by a node: {addresses!r}"
    return [int(address.rpartition(":")[2]) for address in addresses.split(", ")]


def node_of(headers: Mapping[str, str]) -> int:
    return nodes_tried(headers)[-1]


@dataclass
class Socket:
    """A program's live socket through the front, opened again (with what it last showed) the way
    a page reconnects."""

    name: str
    url: str
    cookie: str | None = None
    client: LiveClient | None = None
    nodes: list[int] = field(default_factory=list)  # every node it was served by, in order
    tried: list[int] = field(default_factory=list)  # the nodes nginx tried for its last opening

    @property
    def live(self) -> LiveClient:
        assert self.client is not None
        return self.client

    @property
    def version(self) -> str:
        view = self.live.views[-1]
        return f"{view['epoch']}:{view['seq']}:{view['rev']}"

    async def open(self, shown: str | None = None) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        connection = await connect(
            self.url,
            origin=None,
            additional_headers=headers,
            compression=None,
            max_size=MAX_VIEW_BYTES,
        )
        assert connection.response is not None
        self.tried = nodes_tried(connection.response.headers)
        self.nodes.append(self.tried[-1])
        self.client = LiveClient(connection)
        await self.live.send({"type": "hello", "version": shown} if shown else {"type": "hello"})
        while (await self.live.receive())["type"] not in ("view", "current"):
            pass

    async def reopen(self, shown: str | None = None) -> None:
        """Until the front answers again (it may still be finding out which node is gone)."""
        deadline = asyncio.get_running_loop().time() + REOPEN_TIMEOUT
        while True:
            try:
                await self.open(shown)
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)
            else:
                return


def socket_url(front: NginxFront, link: str) -> str:
    parts = link_parts(link)
    meeting_id = parts.pop("meeting_id")
    query = "&".join(f"{name}={value}" for name, value in parts.items())
    return f"{front.ws_url}/m/{meeting_id}/ws?{query}"


async def open_on(node: int, make: Any, elsewhere: list[Socket], attempts: int = 12) -> Socket:
    """A socket that nginx's balancing put on `node`; those it put elsewhere stay open (closing
    one would make `least_conn` pick the same node again) and go in `elsewhere`. Each miss tips
    `least_conn` further towards `node`, but the Chromium page's own connections count there
    too: on a loaded CI machine four misses in a row happened once, so up to twelve."""
    for _ in range(attempts):
        socket: Socket = await make()
        if socket.nodes[-1] == node:
            return socket
        elsewhere.append(socket)
    raise AssertionError(f"nginx never put a socket on node {node}")


async def phone(front: NginxFront, join_link: str) -> Socket:
    """A phone that scanned its site's QR code (through the front): its device cookie is kept."""
    async with httpx.AsyncClient() as http:
        joined = await http.get(join_link, follow_redirects=False)
    cookie = joined.headers["set-cookie"].split(";")[0]
    parts = link_parts(join_link)
    url = f"{front.ws_url}/m/{parts['meeting_id']}/ws?role=delegate&site={parts['site']}"
    socket = Socket("phone", url, cookie)
    await socket.open()
    return socket


class Writer:
    """A host renaming an agenda item of its own, one new title after another, each with a command
    id of its own (renames, unlike added items, have no cap); when its socket drops it reopens it
    through the front and resends the unanswered command."""

    def __init__(self, tag: str, name: str, item_id: str, socket: Socket) -> None:
        self.tag = tag  # command ids are ASCII
        self.name = name
        self.item_id = item_id
        self.socket = socket
        self.acked: dict[str, int] = {}  # command id: the seq its ack named
        self.resent = 0
        self.stopped = False
        self.failure: BaseException | None = None
        self._progress = asyncio.Condition()

    def title(self, command_id: str) -> str:
        return f"{self.name} {command_id.rpartition('-')[2]}"

    async def run(self) -> None:
        try:
            await self._write()
        except BaseException as error:
            self.failure = error
            raise
        finally:
            self.stopped = True
            async with self._progress:
                self._progress.notify_all()  # a writer that failed wakes whoever waits on it

    async def _write(self) -> None:
        number = 0
        while not self.stopped:
            command_id = f"{self.tag}-{number:04d}"
            command = {
                "type": "rename_agenda_item",
                "item_id": self.item_id,
                "title": self.title(command_id),
            }
            answer = await self._until_answered(command, command_id)
            assert answer["type"] == "ack", answer
            self.acked[command_id] = answer["seq"]
            number += 1
            async with self._progress:
                self._progress.notify_all()
            await asyncio.sleep(WRITER_PAUSE)

    async def _until_answered(self, command: dict[str, Any], command_id: str) -> dict[str, Any]:
        while True:
            try:
                return await self.socket.live.command(command, command_id)
            except (ConnectionClosed, TimeoutError):
                self.resent += 1
                await self.socket.reopen()

    async def until_acked(self, count: int) -> None:
        async with self._progress:
            await asyncio.wait_for(
                self._progress.wait_for(lambda: self.stopped or len(self.acked) >= count),
                WAIT_TIMEOUT,
            )
        assert len(self.acked) >= count, (
            f"{self.tag} stopped at {len(self.acked)}: {self.failure!r}"
        )


async def logged_events(redis_url: str, meeting_id: str) -> list[tuple[int, Event]]:
    log = RedisLog(redis_url)
    await log.open()
    try:
        return [(seq, decode_event(data)) for seq, data in await log.read(meeting_id)]
    finally:
        await log.close()


def open_display(browser: Browser, url: str) -> tuple[Page, list[int]]:
    """A projector's Chromium; the list fills with the node of each socket it opens (nginx's
    header on the WebSocket handshake, which only the DevTools protocol shows a test)."""
    page = browser.new_page(viewport=PROJECTOR)  # type: ignore[arg-type]
    handshakes: list[int] = []
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: handshakes.append(node_of(event["response"]["headers"])),
    )
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-online", "true")
    return page, handshakes


def program(front: NginxFront, name: str, link: str) -> Any:
    """Opens a role link's socket through the front, for `open_on`."""

    async def make() -> Socket:
        socket = Socket(name, socket_url(front, link))
        await socket.open()
        return socket

    return make


async def close_all(sockets: list[Socket]) -> None:
    for socket in sockets:
        if socket.client is not None:
            await socket.live.close()


def assert_each_ack_logged_once(events: list[tuple[int, Event]], writers: list[Writer]) -> None:
    """Every writer's title is in the Redis log once, at the seq its ack named (the commands resent
    after the kill too), and nothing the writers did not send is there."""
    renamed = {seq: event for seq, event in events if isinstance(event, AgendaItemRenamed)}
    titles = Counter(event.title for event in renamed.values())
    for writer in writers:
        sent = {writer.title(command_id) for command_id in writer.acked}
        assert {title for title in titles if title.startswith(f"{writer.name} ")} == sent
        assert all(titles[title] == 1 for title in sent), "a command was applied twice"
        for command_id, seq in writer.acked.items():
            assert renamed[seq].title == writer.title(command_id), command_id
            assert renamed[seq].item_id == writer.item_id, command_id


def kill_mid_stream(
    driver: Driver, victim: ServerProcess, writers: list[Writer], on_victim: list[Socket]
) -> None:
    """Kills the node while the writers write; its sockets drop; writers go on for 10 more each."""
    running = [asyncio.run_coroutine_threadsafe(w.run(), driver.loop) for w in writers]
    driver.run(gather(*(w.until_acked(10) for w in writers)))
    victim.stop(kill=True)  # the victim's writer has a command on its way
    at_kill = [len(w.acked) for w in writers]
    closing = (s.live.connection.wait_closed() for s in on_victim)
    driver.run(asyncio.wait_for(gather(*closing), WAIT_TIMEOUT))
    driver.run(gather(*(w.until_acked(n + 10) for w, n in zip(writers, at_kill, strict=True))))
    for writer in writers:
        writer.stopped = True
    for work in running:
        work.result(WAIT_TIMEOUT)


def test_a_node_killed_mid_meeting_hands_its_sockets_to_the_other(
    cluster: Cluster, browser: Browser, driver: Driver, redis_process: RedisProcess
) -> None:
    front = cluster.front
    meeting = create_meeting(front)
    meeting_id = link_parts(meeting["links"]["host"])["meeting_id"]
    redis_url = redis_process.url

    def host() -> Any:
        return program(front, "host", meeting["links"]["host"])

    first, second = meeting["links"]["sites"][:2]
    page, page_nodes = open_display(browser, first["display"])
    # The node nginx put the projector on is the one that dies; programs are placed on both.
    victim = cluster.node(page_nodes[-1])
    (survivor,) = [node for node in cluster.nodes if node is not victim]
    elsewhere: list[Socket] = []  # sockets nginx put on the other node than asked, left open
    opened: list[Socket] = []

    def on(node: ServerProcess, make: Any) -> Socket:
        opened.append(driver.run(open_on(node.port, make, elsewhere)))
        return opened[-1]

    writers: list[Writer] = []
    try:
        dropped = [
            on(victim, program(front, "display", second["display"])),
            on(victim, program(front, "secretary", first["secretary"])),
            on(victim, lambda: phone(front, first["join"])),
        ]
        kept_display = on(survivor, program(front, "display", first["display"]))
        logged = driver.run(logged_events(redis_url, meeting_id))
        (created,) = [e for _, e in logged if isinstance(e, MeetingCreated)]
        items = [entry.item_id for entry in created.agenda]
        writers = [
            Writer("victim", "Mục qua nút hỏng", items[0], on(victim, host())),
            Writer("survivor", "Mục qua nút còn", items[1], on(survivor, host())),
        ]
        on_victim = [*dropped, *(s for s in elsewhere if s.nodes == [victim.port])]
        kill_mid_stream(driver, victim, writers, on_victim)
        assert node_of(httpx.get(f"{front.url}/healthz", timeout=5).headers) == survivor.port

        events = driver.run(logged_events(redis_url, meeting_id))
        assert_each_ack_logged_once(events, writers)
        assert writers[0].resent >= 1  # a command the kill left unanswered was sent again
        assert writers[0].socket.nodes == [victim.port, survivor.port]
        assert writers[1].socket.nodes == [survivor.port]

        # What the dropped sockets missed: the item on screen now, under a title given after the kill.
        last_title = writers[0].title(max(writers[0].acked))
        shown = {"type": "set_current_agenda_item", "item_id": writers[0].item_id}
        final = driver.command(writers[1].socket.live, shown)["seq"]
        for socket in dropped:
            driver.run(socket.reopen(shown=socket.version))
            assert socket.nodes == [victim.port, survivor.port], socket.name
            assert socket.live.views[-1]["seq"] == final, socket.name
        assert last_title in dropped[0].live.views[-1]["html"]
        assert last_title in driver.run(kept_display.live.wait_for_view(last_title))["html"]
        for socket in (kept_display, *(s for s in elsewhere if s.nodes == [survivor.port])):
            assert socket.live.connection.state is State.OPEN, socket.name  # never dropped

        # The projector reconnected by itself, through nginx, to the other node, and caught up.
        expect(page.locator("#live")).to_contain_text(last_title, timeout=WAIT_TIMEOUT * 1000)
        page.wait_for_function(
            f"() => document.body.dataset.seq === '{final}'"
            " && document.body.dataset.online === 'true'",
            timeout=WAIT_TIMEOUT * 1000,
        )
        assert (page_nodes[0], page_nodes[-1]) == (victim.port, survivor.port), page_nodes
    finally:
        for writer in writers:
            writer.stopped = True
        page.close()
        driver.run(close_all([*opened, *elsewhere]))


@pytest.mark.parametrize("name", ["nginx.conf", "nginx-workers.conf"])
def test_the_shipped_nginx_caps_uploads_where_the_app_does(name: str) -> None:
    """Lower, and nginx would refuse files the app takes; higher, and a body the app refuses
    before it has all arrived would reach the person as nginx's bare 502."""
    assert nginx_body_cap(SHIPPED_SITE.with_name(name).read_text()) == MAX_UPLOAD


def nginx_body_cap(config: str) -> int:
    found = re.search(r"^\s*client_max_body_size (\d+)([kKmM]?);", config, re.MULTILINE)
    assert found is not None
    return int(found.group(1)) * {"": 1, "k": 1024, "m": MiB}[found.group(2).lower()]


def test_the_front_passes_the_largest_upload_and_refuses_a_larger_one_in_vietnamese(
    cluster: Cluster,
) -> None:
    meeting = create_meeting(cluster.front)
    upload_url = f"{meeting['links']['host']}/intake"

    def post(size: int) -> httpx.Response:
        headers = {"Content-Type": "multipart/form-data; boundary=x", "Accept": "text/html"}
        return httpx.post(upload_url, content=b"x" * size, headers=headers, timeout=20)

    largest = post(MAX_UPLOAD)  # the app reads it all (and finds no file in it)
    assert largest.status_code != 413
    assert node_of(largest.headers) in {node.port for node in cluster.nodes}
    larger = post(MAX_UPLOAD + 1)  # nginx's refusal: no node was asked
    assert larger.status_code == 413
    assert NODE_HEADER.lower() not in larger.headers
    assert "Tệp quá lớn: tối đa 6 MiB" in larger.text


@contextmanager
def unanswering_port() -> Iterator[int]:
    """A port whose connects time out, like a node whose machine is off: its accept queue is full
    (one connection, never accepted), so the kernel drops every further SYN."""
    with tcp.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        with tcp.create_connection(("127.0.0.1", port), timeout=5):
            yield port


def test_a_node_whose_machine_is_gone_is_passed_over_within_seconds(
    tmp_path: Path, redis_process: RedisProcess, driver: Driver
) -> None:
    """nginx waits 60 s for a connect by default: every socket sent to that node would wait so.
    (Sync, on the driver's loop: the module's browser holds this thread's loop.)"""
    front_port = free_port()
    args = ["--store", "redis", "--redis-url", redis_process.url]
    node = ServerProcess(
        tmp_path / "data", free_port(), [*args, "--public-url", f"http://127.0.0.1:{front_port}"]
    )
    with unanswering_port() as gone:
        front = NginxFront(tmp_path / "nginx", front_port, [gone, node.port])
        try:
            node.start()
            front.start()
            meeting = create_meeting(node)
            display = Socket("display", socket_url(front, meeting["links"]["sites"][0]["display"]))
            for _ in range(3):  # until nginx's balancing sends one to the gone node first
                driver.run(display.open())  # websockets gives up after 10 s
                driver.run(display.live.close())
                if display.tried == [gone, node.port]:
                    break
            assert display.tried == [gone, node.port]
        finally:
            front.stop()
            node.stop()


def test_the_fronts_access_log_keeps_no_link_key_and_its_static_files_are_hardened(
    cluster: Cluster,
) -> None:
    meeting = create_meeting(cluster.front)
    links = meeting["links"]
    secretary = links["sites"][1]["secretary"]
    keys = [link.rsplit("/", 1)[1] for link in (links["host"], secretary)]
    with httpx.Client(headers={"accept": "text/html"}, timeout=10) as http:
        for url in (links["host"], secretary, secretary + "/door", links["host"] + "/invitations"):
            assert http.get(url).status_code == 200, url
        http.get(f"{cluster.front.url}/m/{meeting['meeting_id']}/d/someone~secretcode")
        static = http.get(f"{cluster.front.url}/static/css/app.css")
    assert static.status_code == 200
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in static.headers["content-security-policy"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "/door" not in cluster.front.redacted_log.read_text():
        time.sleep(0.05)  # nginx writes each line when its request ends
    log = cluster.front.redacted_log.read_text()
    assert f"/m/{meeting['meeting_id']}/host/***" in log
    assert "/secretary/***/door" in log
    assert "/d/***" in log
    for secret in (*keys, "secretcode"):
        assert secret not in log
