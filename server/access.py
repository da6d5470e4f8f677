"""Link secrets. Each is an HMAC of (meeting, role, site) under the server key.

So a link is a long unguessable secret that the server can check without a table, and the role and
site come from what the secret was made for, never from a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from server.core.commands import Actor, Role

LINK_ROLES: tuple[Role, ...] = ("host", "desk", "secretary", "display", "overlay")
# Of the whole meeting, not of a site; the overlay is the video mixer's lower third.
MEETING_ROLES: tuple[Role, ...] = ("host", "desk", "overlay")


class Keys:
    def __init__(self, server_key: str) -> None:
        self._key = server_key.encode()

    def _mac(self, *parts: str) -> str:
        digest = hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def link_key(self, meeting_id: str, role: str, site_id: str | None) -> str:
        return self._mac("link", meeting_id, role, site_id or "")

    def join_key(self, meeting_id: str, site_id: str) -> str:
        return self._mac("join", meeting_id, site_id)

    def actor_for(self, meeting_id: str, role: str, site_id: str | None, key: str) -> Actor | None:
        """The actor a link stands for, or None if the key was not made for exactly this."""
        if role not in LINK_ROLES or (role in MEETING_ROLES) != (site_id is None):
            return None
        if not hmac.compare_digest(self.link_key(meeting_id, role, site_id), key):
            return None
        return Actor(role=role, site_id=site_id)

    def join_ok(self, meeting_id: str, site_id: str, key: str) -> bool:
        return hmac.compare_digest(self.join_key(meeting_id, site_id), key)

    def new_device(self, meeting_id: str, site_id: str) -> str:
        """A delegate's device token: who they are (a random id) and where they joined, signed."""
        device_id = secrets.token_urlsafe(12)
        return f"{site_id}.{device_id}.{self._mac('device', meeting_id, site_id, device_id)}"

    def card_code(self, meeting_id: str, number: int) -> str:
        """A printed seat card's code: its number and a MAC, so a card cannot be made up."""
        return f"{number}-{self._mac('card', meeting_id, str(number))[:20]}"

    def card_number(self, meeting_id: str, code: str) -> int | None:
        number, _, mac = code.partition("-")
        if not number.isdigit() or len(number) > 6:
            return None
        expected = self.card_code(meeting_id, int(number))
        return int(number) if hmac.compare_digest(expected, f"{number}-{mac}") else None

    def delegate_code(self, meeting_id: str, delegate_id: str) -> str:
        """An invited delegate's code, printed as the QR on their invitation: who they are and a
        MAC, so the door finds them by it and a code cannot be made up for a ballot."""
        return f"{delegate_id}~{self._mac('delegate', meeting_id, delegate_id)[:16]}"

    def delegate_of_code(self, meeting_id: str, code: str) -> str | None:
        delegate_id, _, _ = code.partition("~")
        if not delegate_id or len(code) > 100:
            return None
        expected = self.delegate_code(meeting_id, delegate_id)
        return delegate_id if hmac.compare_digest(expected, code) else None

    def device_actor(self, meeting_id: str, token: str) -> Actor | None:
        site_id, _, rest = token.partition(".")
        device_id, _, mac = rest.partition(".")
        if not (site_id and device_id and mac):
            return None
        if not hmac.compare_digest(self._mac("device", meeting_id, site_id, device_id), mac):
            return None
        return Actor(role="delegate", site_id=site_id, device_id=device_id)
