"""Several workers on one Redis: a command on one reaches displays on another; a worker killed with
-9 loses nothing and its clients carry on with the other."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from websockets.asyncio.client import connect

from tests.support.client import LiveClient, ws_url
from tests.support.redis_server import RedisProcess, free_port
from tests.support.server import ServerProcess, create_meeting


def worker(data_dir: Path, redis: RedisProcess, *extra: str) -> ServerProcess:
    server = ServerProcess(
        data_dir, free_port(), ["--store", "redis", "--redis-url", redis.url, *extra]
    )
    server.start()
    return server


def retarget(link: str, server: ServerProcess) -> str:
    """The same role link, on another worker."""
    return re.sub(r"^http://127\.0\.0\.1:\d+", server.url, link)


async def test_a_command_on_one_worker_reaches_displays_on_the_other(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    one = worker(tmp_path / "data", redis_process)
    two = worker(tmp_path / "data", redis_process)
    try:
        meeting = create_meeting(one)
        host = await LiveClient.open(one, meeting["links"]["host"])
        displays = [
            await LiveClient.open(two, retarget(site["display"], two))
            for site in meeting["links"]["sites"]
        ]
        first = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])[0]
        ack = await host.command({"type": "set_current_agenda_item", "item_id": first})
        views = await asyncio.gather(*(d.wait_for_view("Tuyên bố lý do") for d in displays))
        assert {v["seq"] for v in views} == {ack["seq"]}
        for client in (host, *displays):
            await client.close()
    finally:
        one.stop()
        two.stop()


async def test_two_workers_appending_at_once_lose_nothing(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    one = worker(tmp_path / "data", redis_process)
    two = worker(tmp_path / "data", redis_process)
    try:
        meeting = create_meeting(one)
        hosts = [
            await LiveClient.open(one, meeting["links"]["host"]),
            await LiveClient.open(two, retarget(meeting["links"]["host"], two)),
        ]

        async def add(host: LiveClient, name: str) -> list[int]:
            seqs = []
            for i in range(10):
                ack = await host.command({"type": "add_agenda_item", "title": f"{name} {i}"})
                assert ack["type"] == "ack", ack
                seqs.append(ack["seq"])
            return seqs

        seqs = await asyncio.gather(add(hosts[0], "Một"), add(hosts[1], "Hai"))
        assert sorted(seqs[0] + seqs[1]) == list(range(2, 22))  # gap-free, none twice
        fresh = await LiveClient.open(two, retarget(meeting["links"]["host"], two))
        # The last append may have come from the other worker a moment ago: this worker shows it
        # once its nudge arrives (or its catch-up runs), so a fresh page converges on seq 21.
        view = fresh.views[-1]
        while view["seq"] < 21:
            view = await fresh.next_view()
        titles = re.findall(r'class="agenda-title">([^<]+)<', view["html"])
        assert sorted(t for t in titles if t.startswith(("Một", "Hai"))) == sorted(
            [f"Một {i}" for i in range(10)] + [f"Hai {i}" for i in range(10)]
        )
        for client in (*hosts, fresh):
            await client.close()
    finally:
        one.stop()
        two.stop()


async def test_a_worker_killed_mid_meeting_loses_nothing(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    one = worker(tmp_path / "data", redis_process)
    two = worker(tmp_path / "data", redis_process)
    try:
        meeting = create_meeting(one)
        host = await LiveClient.open(one, meeting["links"]["host"])
        acked = [
            await host.command({"type": "add_agenda_item", "title": f"Trước sự cố {i}"})
            for i in range(5)
        ]
        assert all(a["type"] == "ack" for a in acked)
        epoch = host.views[-1]["epoch"]
        one.stop(kill=True)
        # the host's page reconnects, to the other worker, saying what it saw: it finds everything
        # acknowledged (the other worker reads the log before it answers)
        shown = f"{epoch}:{acked[-1]['seq']}:0"
        link = retarget(meeting["links"]["host"], two)
        again = LiveClient(await connect(ws_url(two, link), origin=None, compression=None))
        await again.send({"type": "hello", "version": shown})
        answer = await again.receive()
        if answer["type"] == "current":
            # the other worker read the log first and says the page is up to date (the host's
            # version also counts that worker's presence changes: it may have had none)
            assert answer["version"] == shown
        else:
            assert answer["type"] == "view"
            assert all(f"Trước sự cố {i}" in answer["html"] for i in range(5))
            assert answer["seq"] == acked[-1]["seq"]
        assert (await again.command({"type": "add_agenda_item", "title": "Sau sự cố"}))[
            "seq"
        ] == acked[-1]["seq"] + 1
        await again.close()
    finally:
        one.stop()
        two.stop()


async def test_serve_with_two_uvicorn_workers(tmp_path: Path, redis_process: RedisProcess) -> None:
    args = ["--store", "redis", "--redis-url", redis_process.url]
    pool = ServerProcess(tmp_path / "data", free_port(), args, serve_args=("--workers", "2"))
    pool.start()
    try:
        meeting = create_meeting(pool)
        displays = [
            await LiveClient.open(pool, site["display"])
            for site in meeting["links"]["sites"]
            for _ in range(3)
        ]
        host = await LiveClient.open(pool, meeting["links"]["host"])
        first = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])[0]
        await host.command({"type": "set_current_agenda_item", "item_id": first})
        await asyncio.gather(*(d.wait_for_view("Tuyên bố lý do") for d in displays))
        for client in (host, *displays):
            await client.close()
    finally:
        pool.stop()


async def test_the_host_sees_sockets_connected_to_other_workers(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    one = worker(tmp_path / "data", redis_process)
    two = worker(tmp_path / "data", redis_process)
    try:
        meeting = create_meeting(one)
        site = meeting["links"]["sites"][1]
        host = await LiveClient.open(one, meeting["links"]["host"])
        displays = [await LiveClient.open(two, retarget(site["display"], two)) for _ in range(2)]
        secretary = await LiveClient.open(one, site["secretary"])
        # counts travel through Redis every couple of seconds: two displays there, a console here
        view = await host.wait_for_view(f'<tr id="site-{site["site_id"]}" class="">')
        while True:
            row = re.search(rf'<tr id="site-{site["site_id"]}".*?</tr>', view["html"], re.DOTALL)
            assert row is not None
            numbers = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
            if numbers[:2] == ["2", "1"]:
                break
            view = await host.next_view()
        for client in (host, secretary, *displays):
            await client.close()
    finally:
        one.stop()
        two.stop()
