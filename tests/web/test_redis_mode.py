"""The same server on Redis: commands reach displays, and the meeting outlives the server process."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.support.client import LiveClient
from tests.support.redis_server import RedisProcess
from tests.support.server import create_meeting, running_server


async def test_a_meeting_on_redis_runs_and_survives_a_server_restart(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    args = ["--store", "redis", "--redis-url", redis_process.url]
    with running_server(tmp_path / "server", args) as server:
        meeting = create_meeting(server)
        host = await LiveClient.open(server, meeting["links"]["host"])
        displays = [
            await LiveClient.open(server, site["display"]) for site in meeting["links"]["sites"]
        ]
        first_item = re.findall(r'id="edit-([0-9a-f]+)"', host.views[-1]["html"])[0]
        ack = await host.command({"type": "set_current_agenda_item", "item_id": first_item})
        assert ack["type"] == "ack"
        await asyncio.gather(*(d.wait_for_view("Tuyên bố lý do") for d in displays))
        for client in [host, *displays]:
            await client.close()
        server.stop(kill=True)
        server.start()
        display = await LiveClient.open(server, meeting["links"]["sites"][0]["display"])
        assert "Tuyên bố lý do" in display.views[-1]["html"]
        assert display.views[-1]["seq"] == ack["seq"]
        await display.close()


async def test_commands_are_refused_as_retryable_while_redis_is_down(
    tmp_path: Path, redis_process: RedisProcess
) -> None:
    args = ["--store", "redis", "--redis-url", redis_process.url]
    with running_server(tmp_path / "server", args) as server:
        meeting = create_meeting(server)
        host = await LiveClient.open(server, meeting["links"]["host"])
        redis_process.stop(kill=True)
        answer = await host.command(
            {"type": "add_agenda_item", "title": "Khi Redis ngừng"}, "down-0001"
        )
        assert (answer["type"], answer["code"], answer["retryable"]) == (
            "error",
            "log_unavailable",
            True,
        )
        redis_process.start()
        retried = await host.command(
            {"type": "add_agenda_item", "title": "Khi Redis ngừng"}, "down-0001"
        )
        assert (retried["type"], retried["duplicate"]) == ("ack", False)
        await host.close()
