"""Which screens share a render: one view for every display and phone of a meeting, one per
secretary's site, one per phone that asked to speak."""

from __future__ import annotations

from pathlib import Path

from server.config import Settings
from server.core.apply import apply
from server.core.commands import Actor
from server.core.events import AgendaEntry, MeetingCreated, SiteInfo, SpeakRequested
from server.live.hub import AsgiPipe, Connection, ViewKey
from server.live.runtime import MeetingRuntime
from server.log.sqlite import SqliteLog
from server.web.services import IDLE_AFTER, Services

SITES = tuple(SiteInfo(f"s{i}", f"Điểm cầu {i}", is_main_hall=i == 0) for i in range(5))
CREATED = MeetingCreated(
    "m1", "Hội nghị", "2026-11-22", "ward", "Chủ tọa", SITES, (AgendaEntry("a1", "Khai mạc"),), 0.0
)


def services_and_runtime(tmp_path: Path) -> tuple[Services, MeetingRuntime]:
    log = SqliteLog(tmp_path / "log.sqlite3")
    services = Services(Settings(data_dir=tmp_path, server_key="k" * 32), log)
    runtime = MeetingRuntime("m1", "e1", log)
    runtime.state, runtime.seq = apply(runtime.state, CREATED), 1
    return services, runtime


def test_every_display_and_every_phone_of_the_meeting_share_one_key(tmp_path: Path) -> None:
    services, runtime = services_and_runtime(tmp_path)
    displays = {
        services.view_key(runtime, "display", Actor("display", s.site_id), "vi") for s in SITES
    }
    phones = {
        services.view_key(runtime, "delegate", Actor("delegate", s.site_id, f"d{i}"), "vi")
        for i, s in enumerate(SITES)
    }
    assert displays == {ViewKey("display", None, "vi")}
    assert phones == {ViewKey("delegate", None, "vi")}
    # the host's two desks are one key each too; a language is a key of its own
    assert services.view_key(runtime, "host", Actor("host"), "en") == ViewKey("host", None, "en")


def test_a_secretary_has_its_sites_key_and_a_phone_that_asked_its_own(tmp_path: Path) -> None:
    services, runtime = services_and_runtime(tmp_path)
    secretaries = {
        services.view_key(runtime, "secretary", Actor("secretary", s.site_id), "vi") for s in SITES
    }
    assert secretaries == {ViewKey("secretary", s.site_id, "vi") for s in SITES}
    asked = SpeakRequested("r1", "s2", "Bà Lan", "", "", "", "delegate", "d2", 1.0)
    runtime.state, runtime.seq = apply(runtime.state, asked), 2
    phone = services.view_key(runtime, "delegate", Actor("delegate", "s2", "d2"), "vi")
    other = services.view_key(runtime, "delegate", Actor("delegate", "s2", "d3"), "vi")
    assert phone == ViewKey("delegate", None, "vi", "d2")
    assert other == ViewKey("delegate", None, "vi")


async def _ignore(_data: bytes) -> None:
    return None


def test_a_meeting_nobody_watches_lets_go_of_its_caches_after_a_while(tmp_path: Path) -> None:
    services, _ = services_and_runtime(tmp_path)
    key = ViewKey("display", None, "vi")
    services.live("m1").views[key] = ((1, 0), b"view")
    phone = Connection(
        ViewKey("delegate", None, "vi", "d1"), Actor("delegate", "s1", "d1"), AsgiPipe(_ignore)
    )
    services.hub.join("m1", phone)
    assert services.forget_idle(now=0.0) == []
    assert services.forget_idle(now=IDLE_AFTER * 2) == []  # watched: kept
    services.hub.leave("m1", phone)
    assert services.forget_idle(now=1000.0) == []  # unwatched from now on
    assert services.forget_idle(now=1000.0 + IDLE_AFTER - 1) == []
    assert services.live("m1").views == {key: ((1, 0), b"view")}
    assert services.forget_idle(now=1000.0 + IDLE_AFTER) == ["m1"]
    assert services.live("m1").views == {}  # made again, empty, on the next use
    assert services.hub.connections("m1") == 0
