"""The door and the invitations over HTTP: only their keys open them, and only the door may
compile the QR decoder's WebAssembly."""

from __future__ import annotations

from typing import Any

import httpx

from server.web.app import redact_keys
from tests.support.server import ServerProcess

HTML = {"accept": "text/html"}


def test_the_door_opens_with_the_site_secretarys_key_only(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    one, other = meeting["links"]["sites"][1], meeting["links"]["sites"][2]
    with httpx.Client(headers=HTML, timeout=10) as http:
        door = http.get(one["secretary"] + "/door")
        assert door.status_code == 200
        assert "'wasm-unsafe-eval'" in door.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in door.headers["content-security-policy"]
        console = http.get(one["secretary"])
        assert "wasm-unsafe-eval" not in console.headers["content-security-policy"]
        site_path, key = one["secretary"].rsplit("/", 1)
        refused = [
            http.get(one["display"] + "/door"),  # a display's key
            http.get(f"{site_path}/not-{key}/door"),
            http.get(other["secretary"].rsplit("/", 1)[0] + f"/{key}/door"),  # another site
            http.get(site_path.replace("/secretary", "/display") + f"/{key}/door"),
        ]
    assert [r.status_code for r in refused] == [403] * 4


def test_the_invitations_are_the_hosts_only(server: ServerProcess, meeting: dict[str, Any]) -> None:
    host = meeting["links"]["host"]
    with httpx.Client(headers=HTML, timeout=10) as http:
        assert http.get(host + "/invitations").status_code == 200
        assert http.get(host[:-3] + "xyz/invitations").status_code == 403
        site = meeting["links"]["sites"][1]["secretary"]
        meeting_path = site.split("/s/", 1)[0]
        assert (
            http.get(f"{meeting_path}/host/{site.rsplit('/', 1)[1]}/invitations").status_code == 403
        )


def test_an_invitations_code_is_a_secret_in_the_log() -> None:
    assert (
        redact_keys('"GET /m/abc/d/d1~0123456789abcdef HTTP/1.1"') == '"GET /m/abc/d/*** HTTP/1.1"'
    )
    assert redact_keys("/m/abc/s/site/secretary/KEY/door") == "/m/abc/s/site/secretary/***/door"
