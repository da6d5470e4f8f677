"""Link secrets: each opens exactly one role at one site of one meeting."""

from __future__ import annotations

import pytest

from server.access import Keys
from server.core.commands import Actor

KEYS = Keys("server-key-for-tests")


def test_a_link_key_opens_exactly_what_it_was_made_for() -> None:
    key = KEYS.link_key("m1", "secretary", "s1")
    assert KEYS.actor_for("m1", "secretary", "s1", key) == Actor("secretary", "s1")
    assert len(key) >= 32


@pytest.mark.parametrize(
    ("meeting", "role", "site"),
    [
        ("m2", "secretary", "s1"),
        ("m1", "display", "s1"),
        ("m1", "secretary", "s2"),
        ("m1", "host", None),
    ],
)
def test_a_key_opens_nothing_else(meeting: str, role: str, site: str | None) -> None:
    key = KEYS.link_key("m1", "secretary", "s1")
    assert KEYS.actor_for(meeting, role, site, key) is None


@pytest.mark.parametrize(
    ("role", "site"), [("organiser", None), ("delegate", "s1"), ("host", "s1"), ("display", None)]
)
def test_links_exist_only_for_host_secretary_display(role: str, site: str | None) -> None:
    assert KEYS.actor_for("m1", role, site, KEYS.link_key("m1", role, site)) is None


def test_another_server_key_makes_other_secrets() -> None:
    other = Keys("another-server-key")
    assert other.link_key("m1", "host", None) != KEYS.link_key("m1", "host", None)
    assert other.actor_for("m1", "host", None, KEYS.link_key("m1", "host", None)) is None


def test_device_tokens_are_signed_and_name_their_site() -> None:
    token = KEYS.new_device("m1", "s3")
    actor = KEYS.device_actor("m1", token)
    assert actor is not None
    assert (actor.role, actor.site_id) == ("delegate", "s3")
    assert actor.device_id
    assert KEYS.new_device("m1", "s3") != token  # every phone its own identity
    _site, device, mac = token.split(".")
    assert KEYS.device_actor("m1", f"s4.{device}.{mac}") is None  # moved to another site
    assert KEYS.device_actor("m2", token) is None
    assert KEYS.device_actor("m1", "garbage") is None
    assert KEYS.device_actor("m1", "") is None


def test_join_keys_are_per_site() -> None:
    assert KEYS.join_ok("m1", "s1", KEYS.join_key("m1", "s1"))
    assert not KEYS.join_ok("m1", "s2", KEYS.join_key("m1", "s1"))


def test_a_delegates_code_names_them_and_cannot_be_made_up() -> None:
    code = KEYS.delegate_code("m1", "d1")
    assert code.startswith("d1~")
    assert KEYS.delegate_of_code("m1", code) == "d1"
    assert KEYS.delegate_of_code("m2", code) is None  # another meeting's
    assert KEYS.delegate_of_code("m1", code.replace("d1~", "d2~")) is None  # another's MAC
    assert KEYS.delegate_of_code("m1", "d1") is None
    assert KEYS.delegate_of_code("m1", "~" + code) is None
