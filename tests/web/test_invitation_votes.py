"""Voting by invitation on a real server: the invitation's QR scanned with one's own phone votes
once, and only once its delegate is checked in at the door; a made-up or foreign one is refused."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
from websockets.asyncio.client import connect

from server.access import Keys
from server.config import load_settings
from server.core.events import DelegatesInvited
from tests.support.client import RECEIVE_TIMEOUT, LiveClient
from tests.support.driver import events_of
from tests.support.server import ServerProcess
from tests.web.test_votes_live import open_ballot, tally


async def scan(server: ServerProcess, url: str) -> tuple[int, str]:
    """A phone opens an invitation's link: the status and the cookies it was given."""
    async with httpx.AsyncClient(headers={"accept": "text/html"}) as http:
        scanned = await http.get(url, follow_redirects=False)
    cookies = "; ".join(c.split(";")[0] for c in scanned.headers.get_list("set-cookie"))
    return scanned.status_code, cookies


async def vote(
    server: ServerProcess, mid: str, cookies: str, ballot: str, n: int
) -> dict[str, Any]:
    site = re.search(r"dc_device_[\w-]+=([\w-]+)\.", cookies)
    assert site is not None
    url = f"{server.ws_url}/m/{mid}/ws?role=delegate&site={site.group(1)}"
    async with connect(url, origin=None, additional_headers={"Cookie": cookies}) as phone:
        command_id = f"invitation-vote-{n}"
        command = {"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"}
        await phone.send(
            json.dumps({"type": "command", "command_id": command_id, "command": command})
        )
        async with asyncio.timeout(RECEIVE_TIMEOUT):  # its ack or error, not a hang
            while True:
                message: dict[str, Any] = json.loads(await phone.recv())
                if message.get("command_id") == command_id:
                    return message


async def test_one_vote_per_checked_in_delegate_by_their_invitation(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    mid, site = meeting["meeting_id"], meeting["links"]["sites"][1]
    host = await LiveClient.open(server, meeting["links"]["host"])
    drafts = [{"name": n, "site_id": site["site_id"]} for n in ("Nguyễn Văn An", "Lê Thị Mai")]
    assert (await host.command({"type": "invite_delegates", "delegates": drafts}))["type"] == "ack"
    (invited,) = events_of(server, mid, DelegatesInvited)
    an, mai = (d.delegate_id for d in invited.delegates)
    rules = {"type": "set_voting_rules", "eligibility": "invitation", "allow_change": False}
    assert (await host.command(rules))["type"] == "ack"
    secretary = await LiveClient.open(server, site["secretary"], view="door")
    assert (await secretary.command({"type": "check_in_delegate", "delegate_id": an}))[
        "type"
    ] == "ack"
    ballot = await open_ballot(host)
    keys = Keys(load_settings(data_dir=server.data_dir).server_key)

    status, an_phone = await scan(server, f"{server.url}/m/{mid}/d/{keys.delegate_code(mid, an)}")
    assert status in (302, 303)
    assert (await vote(server, mid, an_phone, ballot, 1))["type"] == "ack"
    # the same invitation on a second phone (a photo of it): refused, plainly
    _, second_phone = await scan(server, f"{server.url}/m/{mid}/d/{keys.delegate_code(mid, an)}")
    used = await vote(server, mid, second_phone, ballot, 2)
    assert (used["type"], used["code"]) == ("error", "invitation_in_use")
    assert "điện thoại khác" in used["message"]
    door = await secretary.wait_for_view("door-release")  # the door can free it, for a lost phone
    rows = {row.split('"', 1)[0]: row for row in door["html"].split('<li id="door-')[1:]}
    assert ("door-release" in rows[an], "door-release" in rows[mai]) == (True, False)
    # Mai's invitation is real, but she has not come through the door
    _, mai_phone = await scan(server, f"{server.url}/m/{mid}/d/{keys.delegate_code(mid, mai)}")
    refused = await vote(server, mid, mai_phone, ballot, 3)
    assert (refused["type"], refused["code"]) == ("error", "not_checked_in")
    assert "điểm danh" in refused["message"]
    # a phone that only joined the site has no invitation
    joined = await LiveClient.open_phone(server, site["join"])
    none = await joined.command({"type": "cast_vote", "ballot_id": ballot, "choice": "satisfied"})
    assert (none["type"], none["code"]) == ("error", "invitation_required")
    forged, _ = await scan(server, f"{server.url}/m/{mid}/d/{an}~forgedforgedforg")
    other_meeting, _ = await scan(server, f"{server.url}/m/x{mid}/d/{keys.delegate_code(mid, an)}")
    assert (forged, other_meeting) == (403, 404)
    assert await tally(server, meeting) == 1
    for client in (host, secretary, joined):
        await client.close()
