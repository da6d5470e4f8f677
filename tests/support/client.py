"""A test client for the live WebSocket: connect as a role, read views, send commands."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import ServerProcess

RECEIVE_TIMEOUT = 10.0
MAX_VIEW_BYTES = 8 * 1024 * 1024  # a question desk with many long questions is over 1 MiB


def link_parts(link: str) -> dict[str, str]:
    """Splits a role link (…/m/{mid}/{host|desk|overlay}/{key} or …/m/{mid}/s/{sid}/{role}/{key})."""
    parts = urlsplit(link).path.strip("/").split("/")
    if parts[2] != "s":
        return {"meeting_id": parts[1], "role": parts[2], "key": parts[3]}
    return {"meeting_id": parts[1], "site": parts[3], "role": parts[4], "key": parts[5]}


def ws_url(server: ServerProcess, link: str, **extra: str) -> str:
    parts = link_parts(link)
    meeting_id = parts.pop("meeting_id")
    return f"{server.ws_url}/m/{meeting_id}/ws?{urlencode({**parts, **extra})}"


class LiveClient:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.views: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls, server: ServerProcess, link: str, *, view: str | None = None, shown: str | None = None
    ) -> LiveClient:
        """Connects with a role link; `view="questions"` opens the host's question desk; `shown`
        is the version a reconnecting page says it shows."""
        url = ws_url(server, link, view=view) if view else ws_url(server, link)
        connection = await connect(url, origin=None, compression=None, max_size=MAX_VIEW_BYTES)
        client = cls(connection)
        await client.send({"type": "hello", "version": shown} if shown else {"type": "hello"})
        await client.next_view()
        return client

    @classmethod
    async def open_phone(cls, server: ServerProcess, join_link: str) -> LiveClient:
        """Joins like a phone scanning the site's QR code: a device cookie, then the socket."""
        async with httpx.AsyncClient() as http:
            joined = await http.get(join_link, follow_redirects=False)
        cookie = joined.headers["set-cookie"].split(";")[0]
        parts = link_parts(join_link)
        url = f"{server.ws_url}/m/{parts['meeting_id']}/ws?role=delegate&site={parts['site']}"
        connection = await connect(
            url,
            origin=None,
            additional_headers={"Cookie": cookie},
            compression=None,
            max_size=MAX_VIEW_BYTES,
        )
        client = cls(connection)
        await client.send({"type": "hello"})
        await client.next_view()
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), RECEIVE_TIMEOUT)
        message: dict[str, Any] = json.loads(raw)
        if message["type"] == "view":
            self.views.append(message)
        return message

    async def next_view(self) -> dict[str, Any]:
        while True:
            message = await self.receive()
            if message["type"] == "view":
                return message

    async def wait_for_view(self, text: str) -> dict[str, Any]:
        """Reads views until one contains `text` (a later view may have arrived in between)."""
        if self.views and text in self.views[-1]["html"]:
            return self.views[-1]
        while True:
            view = await self.next_view()
            if text in view["html"]:
                return view

    async def command(
        self, command: dict[str, Any], command_id: str | None = None
    ) -> dict[str, Any]:
        """Sends a command and returns its ack or error (views read meanwhile are kept)."""
        command_id = command_id or secrets.token_hex(8)
        await self.send({"type": "command", "command_id": command_id, "command": command})
        while True:
            message = await self.receive()
            if message["type"] in ("ack", "error") and message.get("command_id") == command_id:
                return message

    async def close(self) -> None:
        await self.connection.close()
