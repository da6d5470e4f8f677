"""Which screens share a render: one view for every display and phone of a meeting, one per
secretary's site, one per phone that asked to speak; and how often each kind is drawn."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

from server.config import Settings
from server.core.apply import apply
from server.core.commands import (
    Actor,
    AddQuestion,
    CreateMeeting,
    EditAnswer,
    QuestionDraft,
    ShowQuestion,
)
from server.core.events import AgendaEntry, MeetingCreated, SiteInfo, SpeakRequested
from server.live.hub import Connection, Message, ViewKey
from server.live.runtime import Accepted, MeetingRuntime
from server.log.memory import MemoryLog
from server.log.sqlite import SqliteLog
from server.web.services import IDLE_AFTER, PHONES, PHONES_EVERY, PUBLISH_EVERY, Services
from tests.support.pipes import FakePipe
from tests.support.wait import until

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


def test_a_meeting_nobody_watches_lets_go_of_its_caches_after_a_while(tmp_path: Path) -> None:
    services, _ = services_and_runtime(tmp_path)
    key = ViewKey("display", None, "vi")
    services.live("m1").views[key] = ((1, 0), b"view")
    phone = Connection(
        ViewKey("delegate", None, "vi", "d1"), Actor("delegate", "s1", "d1"), FakePipe()
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


class Recorded:
    """A pipe that takes every frame at once, and says when each came."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.ready, self.closed = True, False

    def write(self, _message: Message) -> None:
        self.times.append(time.monotonic())

    def offer(self, message: Message) -> bool:
        self.write(message)
        return True

    def when_ready(self, callback: Callable[[], None]) -> None:
        callback()


async def _a_shown_question_watched(
    tmp_path: Path,
) -> tuple[Services, MeetingRuntime, str, Recorded, Recorded]:
    """A meeting with a question on screen, one display and one phone watching it."""
    log = MemoryLog()
    await log.open()
    services = Services(Settings(data_dir=tmp_path, server_key="k" * 32), log)
    create = CreateMeeting(
        title="Hội nghị", date="2026-11-22", level="ward", chair="A", main_hall="H", sites=["Tổ 1"]
    )
    meeting_id, _ = await services.meetings.create(create, "create-1")
    runtime = await services.meetings.get(meeting_id)
    assert runtime is not None
    for number, text in enumerate(("Đường hẻm?", "Chợ tạm Bến Nghé?")):
        added = await runtime.execute(
            AddQuestion(QuestionDraft(text=text)), Actor("host"), f"q{number}"
        )
        assert isinstance(added, Accepted)
    question_id = runtime.state.questions[0].question_id
    await runtime.execute(ShowQuestion(question_id), Actor("host"), "show")
    for kind in ("display", "delegate"):  # templates compiled before the clock starts
        services.render_view(meeting_id, ViewKey(kind, None, "vi"))
    display, phone = Recorded(), Recorded()
    services.hub.join(
        meeting_id, Connection(ViewKey("display", None, "vi"), Actor("display"), display)
    )
    services.hub.join(
        meeting_id, Connection(ViewKey("delegate", None, "vi"), Actor("delegate"), phone)
    )
    return services, runtime, question_id, display, phone


async def test_the_phones_are_drawn_at_most_once_a_second_the_hall_screens_four_times(
    tmp_path: Path,
) -> None:
    """Typing at ten edits a second for 2.2 s: every display follows at the hall's cadence, the
    phones at theirs, and both end on the last edit."""
    services, runtime, question_id, display, phone = await _a_shown_question_watched(tmp_path)
    meeting_id = runtime.meeting_id
    began, typed = time.monotonic(), ""
    for i in range(22):
        tail = f" ý {i}"
        edit = EditAnswer(question_id, len(typed), len(typed), tail)
        assert isinstance(await runtime.execute(edit, Actor("host"), f"e{i}"), Accepted)
        typed += tail
        await asyncio.sleep(max(0.0, began + (i + 1) * 0.1 - time.monotonic()))
    await asyncio.sleep(PHONES_EVERY + 0.1)  # the last throttled publish of each
    # Counted rather than timed one by one: a collector's pause in a busy test process delays
    # one frame's write, not the cadence.
    assert 2.2 / PUBLISH_EVERY - 1 <= len(display.times) <= 2.2 / PUBLISH_EVERY + 3
    assert 2 <= len(phone.times) <= 4  # one a second
    assert all(b - a >= PHONES_EVERY / 2 for a, b in itertools.pairwise(phone.times))
    last = services.render_view(meeting_id, ViewKey("delegate", None, "vi"))
    assert typed.split()[-1].encode() in last


async def test_what_the_chair_does_reaches_the_phones_at_the_halls_cadence_not_the_typings(
    tmp_path: Path,
) -> None:
    """An edit is drawn on the phones at once, the next one waits for the phones' second; the
    chair showing another question meanwhile brings that publish forward to the hall's
    cadence, and the phones then show the new question."""
    services, runtime, question_id, _, phone = await _a_shown_question_watched(tmp_path)
    throttle = services.live(runtime.meeting_id).throttles[PHONES]
    await until(  # the setup's own publishes are over and a second has passed since the last
        lambda: throttle.pending is None and time.monotonic() > throttle.last + PHONES_EVERY,
        what="the phones' throttle at rest",
    )
    phone.times.clear()
    for number in range(2):
        edit = EditAnswer(question_id, number, number, "ý")
        assert isinstance(await runtime.execute(edit, Actor("host"), f"e{number}"), Accepted)
    assert len(phone.times) == 1  # the first edit: at once
    assert throttle.pending is not None
    assert throttle.due == throttle.last + PHONES_EVERY  # the second: a second after
    other = runtime.state.questions[1].question_id
    assert isinstance(await runtime.execute(ShowQuestion(other), Actor("host"), "s2"), Accepted)
    assert throttle.due == throttle.last + PUBLISH_EVERY  # brought forward
    await asyncio.sleep(PHONES_EVERY + 0.1)
    assert len(phone.times) == 2  # the edit and the question in one publish, not two
    last = services.render_view(runtime.meeting_id, ViewKey("delegate", None, "vi"))
    assert "Chợ tạm Bến Nghé?" in last.decode()
