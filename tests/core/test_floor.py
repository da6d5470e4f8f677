"""The floor (server/core/floor.py): every floor command through decide(), every rejection code,
the permission matrix, the folds of the floor events, the timer, the fair order, the round trip.
"""

from __future__ import annotations

import functools
import typing

import pytest

from server.core import floor
from server.core.apply import apply, replay
from server.core.commands import (
    MAX_NAME,
    MAX_OPINION,
    MAX_TOPIC,
    Actor,
    AddSpeakingTime,
    CallSpeaker,
    Command,
    ConfirmRequest,
    DeclineRequest,
    EndSpeech,
    GiveFloorToSite,
    MoveInQueue,
    PauseSpeech,
    PinToTop,
    RecordOpinion,
    RegisterSpeaker,
    RequestToSpeak,
    RestoreFairOrder,
    ResumeSpeech,
    SetSpeakingTime,
    SkipSpeaker,
    WithdrawRequest,
)
from server.core.decide import Context, Rejected, decide
from server.core.events import (
    DEFAULT_FIELDS,
    DEFAULT_SPEAKING_SECONDS,
    Event,
    FairOrderRestored,
    OpinionRecorded,
    QueueReordered,
    SpeakerCalled,
    SpeakerPinned,
    SpeakerQueued,
    SpeakerSkipped,
    SpeakingTimeAdded,
    SpeakingTimeSet,
    SpeakRequestDeclined,
    SpeakRequested,
    SpeakRequestWithdrawn,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    decode_event,
    encode_event,
)
from server.core.state import MeetingState, SpeakerRequest
from tests.core.support import (
    ACTORS,
    DISPLAY,
    HALL,
    HOST,
    NOW,
    ORGANISER,
    SEC_A,
    SEC_B,
    SITE_A,
    SITE_B,
    T0,
    UNKNOWN_SITE,
    cases,
    cells,
    check_accepted,
    check_permission,
    check_rejected,
    check_round_trip,
    code_of,
    codes_in_source,
    command_kinds,
    created,
    delegate,
    do,
    events_of,
    fold,
    id_source,
    meeting,
    nfd,
    run,
)

T_CALL = T0 + 100.0  # when s1, the speaker of FLOOR, was called
UNKNOWN = "no-such-request"


def requested(
    request_id: str, site_id: str, *, device: str | None = None, at: float = T0
) -> SpeakRequested:
    source: typing.Literal["secretary", "delegate"] = "delegate" if device else "secretary"
    return SpeakRequested(request_id, site_id, "Người nói", "Tổ 1", "", "", source, device, at)


def registered(request_id: str, site_id: str, *, at: float = T0) -> list[Event]:
    return [requested(request_id, site_id, at=at), SpeakerQueued(request_id, at)]


def queue(state: MeetingState) -> tuple[str, ...]:
    return state.floor.queue


def status(state: MeetingState, request_id: str) -> str:
    request = state.floor.request(request_id)
    assert request is not None, request_id
    return request.status


def speaker(state: MeetingState, request_id: str) -> SpeakerRequest:
    request = state.floor.request(request_id)
    assert request is not None, request_id
    return request


BASE = meeting()
SEC_HALL = Actor("secretary", HALL)


# FLOOR: one of everything. s1 (site A, phone dev-s) speaks; d1 (site A, dev-1) waits for its
# secretary; b1, h1, a1, q1 are queued; f1 finished, w1 withdrawn, x1 declined, k1 skipped.
FLOOR_EVENTS: list[Event] = [
    *registered("h1", HALL, at=T0 + 1),
    *registered("a1", SITE_A, at=T0 + 2),
    *registered("b1", SITE_B, at=T0 + 3),
    *registered("f1", SITE_B, at=T0 + 4),
    SpeakerCalled("f1", T0 + 10, 180),
    SpeechEnded("f1", T0 + 70),
    *registered("w1", HALL, at=T0 + 71),
    SpeakRequestWithdrawn("w1", T0 + 72),
    requested("x1", SITE_B, device="dev-x", at=T0 + 73),
    SpeakRequestDeclined("x1", T0 + 74),
    *registered("k1", HALL, at=T0 + 75),
    SpeakerSkipped("k1", T0 + 76),
    requested("s1", SITE_A, device="dev-s", at=T0 + 77),
    SpeakerQueued("s1", T0 + 78),
    SpeakerCalled("s1", T_CALL, 180),
    requested("q1", SITE_B, device="dev-q", at=T0 + 101),
    SpeakerQueued("q1", T0 + 102),
    requested("d1", SITE_A, device="dev-1", at=T0 + 103),
]
FLOOR = fold(BASE, *FLOOR_EVENTS)
IDLE = apply(FLOOR, SpeechEnded("s1", T0 + 200))  # nobody speaks; the same queue
PAUSED = apply(FLOOR, SpeechPaused("s1", T_CALL + 30))
MANUAL = apply(FLOOR, QueueReordered(("a1", "q1", "b1", "h1")))
PINNED = apply(FLOOR, SpeakerPinned("a1"))
NOBODY_WAITS = fold(BASE, *registered("f9", SITE_B), SpeakerCalled("f9", T0 + 1, 180))


@functools.cache
def with_requests(count: int) -> MeetingState:
    """BASE with `count` requests from phones of site B (long ago, each its own phone, pending)."""
    state = BASE
    for i in range(count):
        state = apply(state, requested(f"bulk-{i}", SITE_B, device=f"bulk-dev-{i}"))
    return state


def test_floor_state_is_what_the_tables_assume() -> None:
    statuses = {r.request_id: r.status for r in FLOOR.floor.requests}
    assert statuses == {
        "h1": "queued",
        "a1": "queued",
        "b1": "queued",
        "f1": "finished",
        "w1": "withdrawn",
        "x1": "declined",
        "k1": "skipped",
        "s1": "speaking",
        "q1": "queued",
        "d1": "pending",
    }
    # sites in the order they first had someone queued; A spoke last, so B, then the hall, then A
    assert FLOOR.floor.rotation == (HALL, SITE_A, SITE_B)
    assert FLOOR.floor.last_called_site == SITE_A
    assert queue(FLOOR) == ("b1", "h1", "a1", "q1")
    assert FLOOR.floor.current == "s1"
    assert queue(IDLE) == queue(FLOOR)
    assert IDLE.floor.current is None
    assert queue(MANUAL) == ("a1", "q1", "b1", "h1")
    assert MANUAL.floor.manual
    assert queue(PINNED) == ("a1", "b1", "h1", "q1")
    assert queue(NOBODY_WAITS) == ()


# --- accepted commands: exactly these events ----------------------------------------------------

LONG_NAME = nfd("ế" * MAX_NAME)  # 360 code points that are 120 letters after NFC
FIELD = DEFAULT_FIELDS[1]

ACCEPTED: list[tuple[str, MeetingState, Command, Actor, list[Event]]] = [
    (
        "register-own-site-cleans-every-text",
        FLOOR,
        RegisterSpeaker(
            site_id=SITE_A,
            name=nfd("  Nguyễn\tVăn   An "),
            group=" Tổ\n5 ",
            field=nfd(f" {FIELD} "),
            topic="Đường\x00 ngập",
        ),
        SEC_A,
        [
            SpeakRequested(
                "new-1",
                SITE_A,
                "Nguyễn Văn An",
                "Tổ 5",
                FIELD,
                "Đường ngập",
                "secretary",
                None,
                NOW,
            ),
            SpeakerQueued("new-1", NOW),
        ],
    ),
    (
        "register-by-host-for-the-hall-minimal",
        BASE,
        RegisterSpeaker(site_id=HALL, name="Bà Lan"),
        HOST,
        [
            SpeakRequested("new-1", HALL, "Bà Lan", "", "", "", "secretary", None, NOW),
            SpeakerQueued("new-1", NOW),
        ],
    ),
    (
        "register-texts-at-their-limits",
        BASE,
        RegisterSpeaker(
            site_id=SITE_B, name=LONG_NAME, group="g" * MAX_NAME, topic="t" * MAX_TOPIC
        ),
        SEC_B,
        [
            SpeakRequested(
                "new-1",
                SITE_B,
                "ế" * MAX_NAME,
                "g" * MAX_NAME,
                "",
                "t" * MAX_TOPIC,
                "secretary",
                None,
                NOW,
            ),
            SpeakerQueued("new-1", NOW),
        ],
    ),
    (
        "register-when-the-phones-filled-their-cap",
        with_requests(floor.MAX_PHONE_REQUESTS),
        RegisterSpeaker(site_id=SITE_B, name="Ông Ba"),
        SEC_B,
        [
            SpeakRequested("new-1", SITE_B, "Ông Ba", "", "", "", "secretary", None, NOW),
            SpeakerQueued("new-1", NOW),
        ],
    ),
    (
        "request-from-a-phone",
        FLOOR,
        RequestToSpeak(request_id="p9", name=nfd(" Trần Thị  Bích "), group="Tổ 2", topic=" Rác "),
        delegate("dev-9", SITE_B),
        [
            SpeakRequested(
                "p9", SITE_B, "Trần Thị Bích", "Tổ 2", "", "Rác", "delegate", "dev-9", NOW
            )
        ],
    ),
    (
        "request-again-after-being-declined",
        FLOOR,
        RequestToSpeak(request_id="x2", name="Lại tôi"),
        delegate("dev-x", SITE_B),
        [SpeakRequested("x2", SITE_B, "Lại tôi", "", "", "", "delegate", "dev-x", NOW)],
    ),
    (
        "request-again-after-speaking",
        IDLE,
        RequestToSpeak(request_id="s2", name="Lại tôi"),
        delegate("dev-s"),
        [SpeakRequested("s2", SITE_A, "Lại tôi", "", "", "", "delegate", "dev-s", NOW)],
    ),
    (
        "request-at-4999-requests",
        with_requests(floor.MAX_PHONE_REQUESTS - 1),
        RequestToSpeak(request_id="p1", name="Tôi"),
        delegate("dev-1"),
        [SpeakRequested("p1", SITE_A, "Tôi", "", "", "", "delegate", "dev-1", NOW)],
    ),
    ("confirm-by-own-secretary", FLOOR, ConfirmRequest("d1"), SEC_A, [SpeakerQueued("d1", NOW)]),
    ("confirm-by-host", FLOOR, ConfirmRequest("d1"), HOST, [SpeakerQueued("d1", NOW)]),
    (
        "decline-by-own-secretary",
        FLOOR,
        DeclineRequest("d1"),
        SEC_A,
        [SpeakRequestDeclined("d1", NOW)],
    ),
    ("decline-by-host", FLOOR, DeclineRequest("d1"), HOST, [SpeakRequestDeclined("d1", NOW)]),
    (
        "withdraw-pending-by-its-delegate",
        FLOOR,
        WithdrawRequest("d1"),
        delegate("dev-1"),
        [SpeakRequestWithdrawn("d1", NOW)],
    ),
    (
        "withdraw-queued-by-its-delegate",
        FLOOR,
        WithdrawRequest("q1"),
        delegate("dev-q", SITE_B),
        [SpeakRequestWithdrawn("q1", NOW)],
    ),
    (
        "withdraw-queued-by-own-secretary",
        FLOOR,
        WithdrawRequest("b1"),
        SEC_B,
        [SpeakRequestWithdrawn("b1", NOW)],
    ),
    (
        "withdraw-pending-by-own-secretary",
        FLOOR,
        WithdrawRequest("d1"),
        SEC_A,
        [SpeakRequestWithdrawn("d1", NOW)],
    ),
    (
        "withdraw-pinned-by-host",
        PINNED,
        WithdrawRequest("a1"),
        HOST,
        [SpeakRequestWithdrawn("a1", NOW)],
    ),
    (
        "move-to-the-top",
        FLOOR,
        MoveInQueue("q1", 0, ["b1", "h1", "a1", "q1"]),
        HOST,
        [QueueReordered(("q1", "b1", "h1", "a1"))],
    ),
    (
        "move-into-the-middle",
        FLOOR,
        MoveInQueue("b1", 2, ["b1", "h1", "a1", "q1"]),
        HOST,
        [QueueReordered(("h1", "a1", "b1", "q1"))],
    ),
    (
        "move-far-clamped-to-the-end",
        FLOOR,
        MoveInQueue("b1", 99, ["b1", "h1", "a1", "q1"]),
        HOST,
        [QueueReordered(("h1", "a1", "q1", "b1"))],
    ),
    (
        "move-negative-clamped-to-the-top",
        FLOOR,
        MoveInQueue("a1", -7, ["b1", "h1", "a1", "q1"]),
        HOST,
        [QueueReordered(("a1", "b1", "h1", "q1"))],
    ),
    (
        "move-to-where-it-is-changes-nothing",
        FLOOR,
        MoveInQueue("h1", 1, ["b1", "h1", "a1", "q1"]),
        HOST,
        [],
    ),
    (
        "move-in-manual-mode",
        MANUAL,
        MoveInQueue("h1", 0, ["a1", "q1", "b1", "h1"]),
        HOST,
        [QueueReordered(("h1", "a1", "q1", "b1"))],
    ),
    (
        "move-a-pinned-entry-down",
        PINNED,
        MoveInQueue("a1", 3, ["a1", "b1", "h1", "q1"]),
        HOST,
        [QueueReordered(("b1", "h1", "q1", "a1"))],
    ),
    ("pin", FLOOR, PinToTop("h1"), HOST, [SpeakerPinned("h1")]),
    ("pin-the-last", FLOOR, PinToTop("q1"), HOST, [SpeakerPinned("q1")]),
    ("pin-another-over-a-pin", PINNED, PinToTop("q1"), HOST, [SpeakerPinned("q1")]),
    ("pin-the-pinned-first-changes-nothing", PINNED, PinToTop("a1"), HOST, []),
    ("give-floor-to-a-site", FLOOR, GiveFloorToSite(SITE_A), HOST, [SpeakerPinned("a1")]),
    ("give-floor-to-the-hall", FLOOR, GiveFloorToSite(HALL), HOST, [SpeakerPinned("h1")]),
    (
        "give-floor-to-a-site-picks-its-first-in-the-queue",
        MANUAL,
        GiveFloorToSite(SITE_B),
        HOST,
        [SpeakerPinned("q1")],
    ),
    ("give-floor-to-the-pinned-site-changes-nothing", PINNED, GiveFloorToSite(SITE_A), HOST, []),
    ("restore-from-manual", MANUAL, RestoreFairOrder(), HOST, [FairOrderRestored()]),
    ("restore-from-pins", PINNED, RestoreFairOrder(), HOST, [FairOrderRestored()]),
    ("restore-when-fair-changes-nothing", FLOOR, RestoreFairOrder(), HOST, []),
    (
        "call-next-ends-the-current-speech-first",
        FLOOR,
        CallSpeaker(None, expected_current="s1"),
        HOST,
        [SpeechEnded("s1", NOW), SpeakerCalled("b1", NOW, DEFAULT_SPEAKING_SECONDS)],
    ),
    (
        "call-a-chosen-one",
        FLOOR,
        CallSpeaker("q1", expected_current="s1"),
        HOST,
        [SpeechEnded("s1", NOW), SpeakerCalled("q1", NOW, DEFAULT_SPEAKING_SECONDS)],
    ),
    (
        "call-next-when-nobody-speaks",
        IDLE,
        CallSpeaker(),
        HOST,
        [SpeakerCalled("b1", NOW, DEFAULT_SPEAKING_SECONDS)],
    ),
    (
        "call-next-in-manual-order",
        MANUAL,
        CallSpeaker(expected_current="s1"),
        HOST,
        [SpeechEnded("s1", NOW), SpeakerCalled("a1", NOW, DEFAULT_SPEAKING_SECONDS)],
    ),
    (
        "call-while-paused",
        PAUSED,
        CallSpeaker(expected_current="s1"),
        HOST,
        [SpeechEnded("s1", NOW), SpeakerCalled("b1", NOW, DEFAULT_SPEAKING_SECONDS)],
    ),
    (
        "call-gives-the-meeting-speaking-time",
        apply(IDLE, SpeakingTimeSet(45)),
        CallSpeaker(),
        HOST,
        [SpeakerCalled("b1", NOW, 45)],
    ),
    ("end", FLOOR, EndSpeech("s1"), HOST, [SpeechEnded("s1", NOW)]),
    ("end-while-paused", PAUSED, EndSpeech("s1"), HOST, [SpeechEnded("s1", NOW)]),
    ("skip", FLOOR, SkipSpeaker("h1"), HOST, [SpeakerSkipped("h1", NOW)]),
    ("skip-pinned", PINNED, SkipSpeaker("a1"), HOST, [SpeakerSkipped("a1", NOW)]),
    ("add-time-default", FLOOR, AddSpeakingTime("s1"), HOST, [SpeakingTimeAdded("s1", 60)]),
    ("add-time-least", FLOOR, AddSpeakingTime("s1", 1), HOST, [SpeakingTimeAdded("s1", 1)]),
    (
        "add-time-most",
        FLOOR,
        AddSpeakingTime("s1", floor.MAX_EXTRA_SECONDS),
        HOST,
        [SpeakingTimeAdded("s1", floor.MAX_EXTRA_SECONDS)],
    ),
    ("add-time-while-paused", PAUSED, AddSpeakingTime("s1", 5), HOST, [SpeakingTimeAdded("s1", 5)]),
    ("pause", FLOOR, PauseSpeech("s1"), HOST, [SpeechPaused("s1", NOW)]),
    ("pause-when-paused-changes-nothing", PAUSED, PauseSpeech("s1"), HOST, []),
    ("resume", PAUSED, ResumeSpeech("s1"), HOST, [SpeechResumed("s1", NOW)]),
    ("resume-when-running-changes-nothing", FLOOR, ResumeSpeech("s1"), HOST, []),
    ("speaking-time-least", FLOOR, SetSpeakingTime(30), HOST, [SpeakingTimeSet(30)]),
    ("speaking-time-most", FLOOR, SetSpeakingTime(1800), HOST, [SpeakingTimeSet(1800)]),
    ("speaking-time-unchanged", FLOOR, SetSpeakingTime(DEFAULT_SPEAKING_SECONDS), HOST, []),
    (
        "opinion-on-the-speaking-turn-by-own-secretary",
        FLOOR,
        RecordOpinion("s1", nfd(" Đề nghị\tsửa đường "), field=nfd(FIELD)),
        SEC_A,
        [OpinionRecorded("new-1", "s1", SITE_A, "Đề nghị sửa đường", FIELD, "committee", NOW)],
    ),
    (
        "opinion-on-a-finished-turn",
        FLOOR,
        RecordOpinion("f1", "Kiến nghị", body="council"),
        SEC_B,
        [OpinionRecorded("new-1", "f1", SITE_B, "Kiến nghị", "", "council", NOW)],
    ),
    (
        "opinion-by-host-at-the-limit",
        FLOOR,
        RecordOpinion("s1", "y" * MAX_OPINION, body="party"),
        HOST,
        [OpinionRecorded("new-1", "s1", SITE_A, "y" * MAX_OPINION, "", "party", NOW)],
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "expected"), cases(ACCEPTED))
def test_accepted_command_gives_exactly_these_events(
    state: MeetingState, command: Command, actor: Actor, expected: list[Event]
) -> None:
    check_accepted(state, command, actor, expected)


def test_every_floor_command_has_an_accepted_case() -> None:
    kinds = command_kinds(floor)
    assert {type(command) for _, _, command, _, events in ACCEPTED if events} == kinds


# --- rejected commands: exactly this code, and nothing changes ----------------------------------

TOO_LONG_NAME = "x" * (MAX_NAME + 1)
FULL = with_requests(floor.MAX_PHONE_REQUESTS)

REJECTED: list[tuple[str, MeetingState, Command, Actor, str]] = [
    # RegisterSpeaker
    ("register-no-meeting", MeetingState(), RegisterSpeaker(HALL, "A"), HOST, "no_meeting"),
    ("register-organiser", FLOOR, RegisterSpeaker(SITE_A, "A"), ORGANISER, "forbidden"),
    ("register-display", FLOOR, RegisterSpeaker(SITE_A, "A"), DISPLAY, "forbidden"),
    ("register-delegate", FLOOR, RegisterSpeaker(SITE_A, "A"), delegate("dev-9"), "forbidden"),
    ("register-other-site", FLOOR, RegisterSpeaker(SITE_A, "A"), SEC_B, "other_site"),
    ("register-unknown-site", FLOOR, RegisterSpeaker(UNKNOWN_SITE, "A"), HOST, "unknown_site"),
    (
        "register-secretary-of-an-unknown-site",
        FLOOR,
        RegisterSpeaker(UNKNOWN_SITE, "A"),
        Actor("secretary", UNKNOWN_SITE),
        "unknown_site",
    ),
    ("register-empty-name", FLOOR, RegisterSpeaker(SITE_A, ""), SEC_A, "empty_text"),
    (
        "register-blank-name",
        FLOOR,
        RegisterSpeaker(SITE_A, " \t\u200b\x00 "),
        SEC_A,
        "empty_text",
    ),
    ("register-long-name", FLOOR, RegisterSpeaker(SITE_A, TOO_LONG_NAME), SEC_A, "text_too_long"),
    (
        "register-long-group",
        FLOOR,
        RegisterSpeaker(SITE_A, "A", group="g" * (MAX_NAME + 1)),
        SEC_A,
        "text_too_long",
    ),
    (
        "register-long-topic",
        FLOOR,
        RegisterSpeaker(SITE_A, "A", topic="t" * (MAX_TOPIC + 1)),
        SEC_A,
        "text_too_long",
    ),
    (
        "register-unknown-field",
        FLOOR,
        RegisterSpeaker(SITE_A, "A", field="Thể thao"),
        SEC_A,
        "unknown_field",
    ),
    # RequestToSpeak
    ("request-host", FLOOR, RequestToSpeak("p9", "A"), HOST, "forbidden"),
    ("request-secretary", FLOOR, RequestToSpeak("p9", "A"), SEC_A, "forbidden"),
    ("request-display", FLOOR, RequestToSpeak("p9", "A"), DISPLAY, "forbidden"),
    ("request-organiser", FLOOR, RequestToSpeak("p9", "A"), ORGANISER, "forbidden"),
    (
        "request-delegate-without-device",
        FLOOR,
        RequestToSpeak("p9", "A"),
        Actor("delegate", SITE_A),
        "forbidden",
    ),
    (
        "request-delegate-without-site",
        FLOOR,
        RequestToSpeak("p9", "A"),
        Actor("delegate", None, "dev-9"),
        "forbidden",
    ),
    (
        "request-delegate-of-unknown-site",
        FLOOR,
        RequestToSpeak("p9", "A"),
        delegate("dev-9", UNKNOWN_SITE),
        "unknown_site",
    ),
    (
        "request-while-pending",
        FLOOR,
        RequestToSpeak("p9", "A"),
        delegate("dev-1"),
        "already_requested",
    ),
    (
        "request-while-queued",
        FLOOR,
        RequestToSpeak("p9", "A"),
        delegate("dev-q", SITE_B),
        "already_requested",
    ),
    (
        "request-while-speaking",
        FLOOR,
        RequestToSpeak("p9", "A"),
        delegate("dev-s"),
        "already_requested",
    ),
    (
        "request-retry-of-own-pending",
        FLOOR,
        RequestToSpeak("d1", "A"),
        delegate("dev-1"),
        "already_requested",
    ),
    (
        "request-id-of-a-queued-request",
        FLOOR,
        RequestToSpeak("a1", "A"),
        delegate("dev-9"),
        "request_exists",
    ),
    (
        "request-id-of-a-finished-request",
        FLOOR,
        RequestToSpeak("f1", "A"),
        delegate("dev-9"),
        "request_exists",
    ),
    (
        "request-id-of-own-declined-request",
        FLOOR,
        RequestToSpeak("x1", "A"),
        delegate("dev-x", SITE_B),
        "request_exists",
    ),
    ("request-full", FULL, RequestToSpeak("p9", "A"), delegate("dev-9"), "too_many_requests"),
    (
        "request-over-its-phones-budget",
        fold(
            BASE,
            *(
                event
                for i in range(floor.PHONE_REQUESTS_PER_WINDOW)
                for event in (
                    requested(f"r{i}", SITE_A, device="dev-9", at=NOW - 60),
                    SpeakRequestWithdrawn(f"r{i}", NOW - 59),
                )
            ),
        ),
        RequestToSpeak("p9", "A"),
        delegate("dev-9"),
        "rate_limited",
    ),
    ("request-empty-name", FLOOR, RequestToSpeak("p9", "  "), delegate("dev-9"), "empty_text"),
    (
        "request-long-name",
        FLOOR,
        RequestToSpeak("p9", TOO_LONG_NAME),
        delegate("dev-9"),
        "text_too_long",
    ),
    (
        "request-long-topic",
        FLOOR,
        RequestToSpeak("p9", "A", topic="t" * (MAX_TOPIC + 1)),
        delegate("dev-9"),
        "text_too_long",
    ),
    # ConfirmRequest / DeclineRequest
    ("confirm-unknown", FLOOR, ConfirmRequest(UNKNOWN), HOST, "unknown_request"),
    ("confirm-queued", FLOOR, ConfirmRequest("a1"), SEC_A, "request_not_open"),
    ("confirm-declined", FLOOR, ConfirmRequest("x1"), SEC_B, "request_not_open"),
    ("confirm-other-site", FLOOR, ConfirmRequest("d1"), SEC_B, "other_site"),
    ("confirm-display", FLOOR, ConfirmRequest("d1"), DISPLAY, "forbidden"),
    ("confirm-own-delegate", FLOOR, ConfirmRequest("d1"), delegate("dev-1"), "forbidden"),
    ("confirm-organiser", FLOOR, ConfirmRequest("d1"), ORGANISER, "forbidden"),
    ("decline-unknown", FLOOR, DeclineRequest(UNKNOWN), SEC_A, "unknown_request"),
    ("decline-speaking", FLOOR, DeclineRequest("s1"), SEC_A, "request_not_open"),
    ("decline-other-site", FLOOR, DeclineRequest("d1"), SEC_HALL, "other_site"),
    ("decline-delegate", FLOOR, DeclineRequest("d1"), delegate("dev-1"), "forbidden"),
    # WithdrawRequest
    ("withdraw-unknown", FLOOR, WithdrawRequest(UNKNOWN), HOST, "unknown_request"),
    (
        "withdraw-unknown-by-delegate",
        FLOOR,
        WithdrawRequest(UNKNOWN),
        delegate("dev-1"),
        "unknown_request",
    ),
    (
        "withdraw-another-delegates-request",
        FLOOR,
        WithdrawRequest("d1"),
        delegate("dev-2"),
        "unknown_request",
    ),
    (
        "withdraw-a-secretary-registered-one-by-a-delegate",
        FLOOR,
        WithdrawRequest("a1"),
        delegate("dev-2"),
        "unknown_request",
    ),
    (
        "withdraw-own-speaking-by-delegate",
        FLOOR,
        WithdrawRequest("s1"),
        delegate("dev-s"),
        "request_not_open",
    ),
    (
        "withdraw-own-declined-by-delegate",
        FLOOR,
        WithdrawRequest("x1"),
        delegate("dev-x", SITE_B),
        "request_not_open",
    ),
    ("withdraw-speaking-by-secretary", FLOOR, WithdrawRequest("s1"), SEC_A, "request_not_open"),
    ("withdraw-finished", FLOOR, WithdrawRequest("f1"), HOST, "request_not_open"),
    ("withdraw-withdrawn", FLOOR, WithdrawRequest("w1"), SEC_HALL, "request_not_open"),
    ("withdraw-skipped", FLOOR, WithdrawRequest("k1"), HOST, "request_not_open"),
    ("withdraw-other-site", FLOOR, WithdrawRequest("a1"), SEC_B, "other_site"),
    ("withdraw-display", FLOOR, WithdrawRequest("a1"), DISPLAY, "forbidden"),
    ("withdraw-organiser", FLOOR, WithdrawRequest("a1"), ORGANISER, "forbidden"),
    # MoveInQueue
    ("move-secretary", FLOOR, MoveInQueue("a1", 0, ["b1", "h1", "a1", "q1"]), SEC_A, "forbidden"),
    ("move-unknown", FLOOR, MoveInQueue(UNKNOWN, 0, ["b1"]), HOST, "unknown_request"),
    ("move-pending", FLOOR, MoveInQueue("d1", 0, ["b1", "h1", "a1", "q1"]), HOST, "not_in_queue"),
    ("move-speaking", FLOOR, MoveInQueue("s1", 0, ["b1", "h1", "a1", "q1"]), HOST, "not_in_queue"),
    (
        "move-stale-order",
        FLOOR,
        MoveInQueue("a1", 0, ["h1", "b1", "a1", "q1"]),
        HOST,
        "queue_changed",
    ),
    ("move-short-order", FLOOR, MoveInQueue("a1", 0, ["b1", "h1", "a1"]), HOST, "queue_changed"),
    ("move-empty-order", FLOOR, MoveInQueue("a1", 0, []), HOST, "queue_changed"),
    (
        "move-against-the-order-before-a-pin",
        PINNED,
        MoveInQueue("q1", 0, ["b1", "h1", "a1", "q1"]),
        HOST,
        "queue_changed",
    ),
    # PinToTop
    ("pin-secretary", FLOOR, PinToTop("a1"), SEC_A, "forbidden"),
    ("pin-delegate", FLOOR, PinToTop("q1"), delegate("dev-q", SITE_B), "forbidden"),
    ("pin-unknown", FLOOR, PinToTop(UNKNOWN), HOST, "unknown_request"),
    ("pin-pending", FLOOR, PinToTop("d1"), HOST, "not_in_queue"),
    ("pin-finished", FLOOR, PinToTop("f1"), HOST, "not_in_queue"),
    # GiveFloorToSite
    ("give-floor-secretary", FLOOR, GiveFloorToSite(SITE_A), SEC_A, "forbidden"),
    ("give-floor-unknown-site", FLOOR, GiveFloorToSite(UNKNOWN_SITE), HOST, "unknown_site"),
    ("give-floor-nobody-waits", NOBODY_WAITS, GiveFloorToSite(SITE_B), HOST, "site_queue_empty"),
    (
        "give-floor-only-pending-or-speaking-there",
        apply(IDLE, SpeakRequestWithdrawn("a1", NOW)),
        GiveFloorToSite(SITE_A),
        HOST,
        "site_queue_empty",
    ),
    # RestoreFairOrder
    ("restore-secretary", MANUAL, RestoreFairOrder(), SEC_A, "forbidden"),
    ("restore-display", MANUAL, RestoreFairOrder(), DISPLAY, "forbidden"),
    # CallSpeaker
    ("call-secretary", FLOOR, CallSpeaker(None, "s1"), SEC_A, "forbidden"),
    ("call-display", IDLE, CallSpeaker(), DISPLAY, "forbidden"),
    ("call-expected-nobody-but-s1-speaks", FLOOR, CallSpeaker(), HOST, "floor_changed"),
    ("call-expected-another-speaker", FLOOR, CallSpeaker(None, "f1"), HOST, "floor_changed"),
    ("call-expected-s1-but-nobody-speaks", IDLE, CallSpeaker(None, "s1"), HOST, "floor_changed"),
    (
        "call-stale-beats-empty-queue",
        NOBODY_WAITS,
        CallSpeaker(),
        HOST,
        "floor_changed",
    ),
    ("call-next-on-empty-queue", BASE, CallSpeaker(), HOST, "queue_empty"),
    (
        "call-next-on-empty-queue-while-someone-speaks",
        NOBODY_WAITS,
        CallSpeaker(None, "f9"),
        HOST,
        "queue_empty",
    ),
    ("call-chosen-unknown", FLOOR, CallSpeaker(UNKNOWN, "s1"), HOST, "unknown_request"),
    ("call-chosen-pending", FLOOR, CallSpeaker("d1", "s1"), HOST, "not_in_queue"),
    ("call-chosen-the-speaker", FLOOR, CallSpeaker("s1", "s1"), HOST, "not_in_queue"),
    ("call-chosen-finished", IDLE, CallSpeaker("f1"), HOST, "not_in_queue"),
    # EndSpeech
    ("end-secretary", FLOOR, EndSpeech("s1"), SEC_A, "forbidden"),
    ("end-own-delegate", FLOOR, EndSpeech("s1"), delegate("dev-s"), "forbidden"),
    ("end-not-the-speaker", FLOOR, EndSpeech("a1"), HOST, "not_speaking"),
    ("end-nobody-speaks", IDLE, EndSpeech("s1"), HOST, "not_speaking"),
    ("end-unknown", FLOOR, EndSpeech(UNKNOWN), HOST, "not_speaking"),
    # SkipSpeaker
    ("skip-secretary", FLOOR, SkipSpeaker("a1"), SEC_A, "forbidden"),
    ("skip-unknown", FLOOR, SkipSpeaker(UNKNOWN), HOST, "unknown_request"),
    ("skip-speaking", FLOOR, SkipSpeaker("s1"), HOST, "not_in_queue"),
    ("skip-pending", FLOOR, SkipSpeaker("d1"), HOST, "not_in_queue"),
    # AddSpeakingTime
    ("add-time-secretary", FLOOR, AddSpeakingTime("s1"), SEC_A, "forbidden"),
    ("add-time-not-speaking", FLOOR, AddSpeakingTime("a1"), HOST, "not_speaking"),
    ("add-time-nobody-speaks", IDLE, AddSpeakingTime("s1"), HOST, "not_speaking"),
    ("add-time-zero", FLOOR, AddSpeakingTime("s1", 0), HOST, "bad_seconds"),
    ("add-time-negative", FLOOR, AddSpeakingTime("s1", -60), HOST, "bad_seconds"),
    (
        "add-time-too-much",
        FLOOR,
        AddSpeakingTime("s1", floor.MAX_EXTRA_SECONDS + 1),
        HOST,
        "bad_seconds",
    ),
    (
        "add-time-not-speaking-beats-bad-seconds",
        IDLE,
        AddSpeakingTime("s1", 0),
        HOST,
        "not_speaking",
    ),
    # PauseSpeech / ResumeSpeech
    ("pause-secretary", FLOOR, PauseSpeech("s1"), SEC_A, "forbidden"),
    ("pause-not-speaking", FLOOR, PauseSpeech("q1"), HOST, "not_speaking"),
    ("pause-nobody-speaks", IDLE, PauseSpeech("s1"), HOST, "not_speaking"),
    ("resume-display", PAUSED, ResumeSpeech("s1"), DISPLAY, "forbidden"),
    ("resume-not-speaking", PAUSED, ResumeSpeech("b1"), HOST, "not_speaking"),
    ("resume-nobody-speaks", IDLE, ResumeSpeech("s1"), HOST, "not_speaking"),
    # SetSpeakingTime
    ("speaking-time-secretary", FLOOR, SetSpeakingTime(60), SEC_A, "forbidden"),
    ("speaking-time-too-short", FLOOR, SetSpeakingTime(29), HOST, "bad_seconds"),
    ("speaking-time-too-long", FLOOR, SetSpeakingTime(1801), HOST, "bad_seconds"),
    ("speaking-time-negative", FLOOR, SetSpeakingTime(-180), HOST, "bad_seconds"),
    # RecordOpinion
    ("opinion-display", FLOOR, RecordOpinion("s1", "Ý kiến"), DISPLAY, "forbidden"),
    ("opinion-own-delegate", FLOOR, RecordOpinion("s1", "Ý kiến"), delegate("dev-s"), "forbidden"),
    ("opinion-organiser", FLOOR, RecordOpinion("s1", "Ý kiến"), ORGANISER, "forbidden"),
    ("opinion-other-site", FLOOR, RecordOpinion("s1", "Ý kiến"), SEC_B, "other_site"),
    ("opinion-unknown", FLOOR, RecordOpinion(UNKNOWN, "Ý kiến"), HOST, "unknown_request"),
    ("opinion-queued", FLOOR, RecordOpinion("a1", "Ý kiến"), SEC_A, "not_a_turn"),
    ("opinion-pending", FLOOR, RecordOpinion("d1", "Ý kiến"), SEC_A, "not_a_turn"),
    ("opinion-skipped", FLOOR, RecordOpinion("k1", "Ý kiến"), HOST, "not_a_turn"),
    ("opinion-withdrawn", FLOOR, RecordOpinion("w1", "Ý kiến"), SEC_HALL, "not_a_turn"),
    ("opinion-empty", FLOOR, RecordOpinion("s1", " \n "), SEC_A, "empty_text"),
    (
        "opinion-too-long",
        FLOOR,
        RecordOpinion("s1", "y" * (MAX_OPINION + 1)),
        SEC_A,
        "text_too_long",
    ),
    (
        "opinion-unknown-field",
        FLOOR,
        RecordOpinion("s1", "Ý kiến", field="Thể thao"),
        SEC_A,
        "unknown_field",
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "code"), cases(REJECTED))
def test_rejected_command_gives_this_code_and_leaves_the_state_equal(
    state: MeetingState, command: Command, actor: Actor, code: str
) -> None:
    check_rejected(state, command, actor, code)


def test_every_rejection_code_of_the_floor_is_reached() -> None:
    shared = {
        "forbidden",
        "other_site",
        "unknown_site",
        "empty_text",
        "text_too_long",
        "rate_limited",
    }
    expected = {
        "unknown_request",
        "request_not_open",
        "not_in_queue",
        "queue_changed",
        "queue_empty",
        "floor_changed",
        "not_speaking",
        "bad_seconds",
        "unknown_field",
        "not_a_turn",
        "site_queue_empty",
        "already_requested",
        "request_exists",
        "too_many_requests",
        *shared,
    }
    assert codes_in_source(floor) | shared == expected
    assert {code for *_, code in REJECTED} - {"no_meeting"} == expected


def test_every_floor_command_has_a_rejected_case() -> None:
    kinds = command_kinds(floor)
    assert {type(command) for _, _, command, _, _ in REJECTED} == kinds


@pytest.mark.parametrize(
    ("command", "field", "limit"),
    [
        pytest.param(RegisterSpeaker(SITE_A, TOO_LONG_NAME), "Name", MAX_NAME, id="name"),
        pytest.param(RegisterSpeaker(SITE_A, "A", group="g" * 121), "Group", MAX_NAME, id="group"),
        pytest.param(RegisterSpeaker(SITE_A, "A", topic="t" * 301), "Topic", MAX_TOPIC, id="topic"),
        pytest.param(RecordOpinion("s1", "y" * 5001), "Opinion", MAX_OPINION, id="opinion"),
    ],
)
def test_too_long_names_the_field_and_the_limit(command: Command, field: str, limit: int) -> None:
    decision = run(FLOOR, command, SEC_A)
    assert isinstance(decision, Rejected)
    assert decision.params == {"field": field, "limit": limit}


def test_rejections_name_what_they_refer_to() -> None:
    unknown = run(FLOOR, ConfirmRequest(UNKNOWN), HOST)
    site = run(FLOOR, GiveFloorToSite(UNKNOWN_SITE), HOST)
    field = run(FLOOR, RegisterSpeaker(SITE_A, "A", field=" Thể  thao "), SEC_A)
    full = run(FULL, RequestToSpeak("p9", "A"), delegate("dev-9"))
    assert isinstance(unknown, Rejected)
    assert isinstance(site, Rejected)
    assert isinstance(field, Rejected)
    assert isinstance(full, Rejected)
    assert unknown.params == {"request_id": UNKNOWN}
    assert site.params == {"site_id": UNKNOWN_SITE}
    assert field.params == {"name": "Thể thao"}
    assert full.params == {"limit": floor.MAX_PHONE_REQUESTS}


def test_withdrawn_and_declined_requests_leave_room_under_the_phones_cap() -> None:
    ended = fold(
        BASE,
        *(
            event
            for i in range(floor.MAX_PHONE_REQUESTS)
            for event in (
                requested(f"r{i}", HALL, device=f"d{i}"),
                SpeakRequestWithdrawn(f"r{i}", T0) if i % 2 else SpeakRequestDeclined(f"r{i}", T0),
            )
        ),
    )
    assert not any(r.status == "pending" for r in ended.floor.requests)
    events_of(run(ended, RequestToSpeak("p1", "Tôi"), delegate("dev-new", HALL)))
    events_of(run(ended, RegisterSpeaker(HALL, "A"), SEC_HALL))
    events_of(run(ended, RegisterSpeaker(HALL, "A"), HOST))


def _asked_and_withdrew(state: MeetingState, device: str, site_id: str, times: int) -> MeetingState:
    for i in range(times):
        request_id = f"{device}-{i}"
        state = do(state, RequestToSpeak(request_id, "Tôi"), delegate(device, site_id), now=NOW + i)
        state = do(state, WithdrawRequest(request_id), delegate(device, site_id), now=NOW + i)
    return state


def test_a_phone_asking_and_withdrawing_in_a_loop_is_stopped_and_nobody_else() -> None:
    state = _asked_and_withdrew(BASE, "dev-loop", SITE_A, floor.PHONE_REQUESTS_PER_WINDOW)
    again = run(state, RequestToSpeak("again", "Tôi"), delegate("dev-loop"), now=NOW + 60)
    assert code_of(again) == "rate_limited"
    assert isinstance(again, Rejected)
    assert again.params == {"limit": floor.PHONE_REQUESTS_PER_WINDOW, "minutes": 10}
    # the same phone, once the window has passed; another phone, the secretary, the host: now
    events_of(run(state, RequestToSpeak("later", "Tôi"), delegate("dev-loop"), now=NOW + 700))
    events_of(run(state, RequestToSpeak("other", "Tôi"), delegate("dev-2"), now=NOW + 60))
    events_of(run(state, RegisterSpeaker(SITE_A, "A"), SEC_A, now=NOW + 60))
    events_of(run(state, RegisterSpeaker(SITE_A, "A"), HOST, now=NOW + 60))


def test_phones_minted_from_one_link_share_their_sites_budget_and_other_sites_do_not() -> None:
    per_phone = floor.PHONE_REQUESTS_PER_WINDOW
    state = BASE
    for n in range(floor.SITE_PHONE_REQUESTS_PER_WINDOW // per_phone):
        state = _asked_and_withdrew(state, f"minted-{n}", SITE_B, per_phone)
    fresh = run(state, RequestToSpeak("x", "Tôi"), delegate("minted-new", SITE_B), now=NOW + 60)
    assert code_of(fresh) == "rate_limited"
    events_of(run(state, RequestToSpeak("y", "Tôi"), delegate("dev-a", SITE_A), now=NOW + 60))
    events_of(run(state, RegisterSpeaker(SITE_B, "A"), SEC_B, now=NOW + 60))
    events_of(run(state, RequestToSpeak("z", "Tôi"), delegate("minted-new", SITE_B), now=NOW + 700))


# --- the permission matrix ----------------------------------------------------------------------

OK = "accepted"
F = "forbidden"
O_ = "other_site"
U = "unknown_request"

# kind -> (state, command, the site of the entry it touches, the phone that owns the entry)
KINDS: dict[str, tuple[MeetingState, Command, str, str]] = {
    "register_speaker": (FLOOR, RegisterSpeaker(SITE_A, "Ông Tư"), SITE_A, "dev-9"),
    "request_to_speak": (FLOOR, RequestToSpeak("p-new", "Bà Năm"), SITE_A, "dev-9"),
    "confirm_request": (FLOOR, ConfirmRequest("d1"), SITE_A, "dev-1"),
    "decline_request": (FLOOR, DeclineRequest("d1"), SITE_A, "dev-1"),
    "withdraw_request": (FLOOR, WithdrawRequest("d1"), SITE_A, "dev-1"),
    "move_in_queue": (FLOOR, MoveInQueue("q1", 0, ["b1", "h1", "a1", "q1"]), SITE_B, "dev-q"),
    "pin_to_top": (FLOOR, PinToTop("q1"), SITE_B, "dev-q"),
    "give_floor_to_site": (FLOOR, GiveFloorToSite(SITE_A), SITE_A, "dev-9"),
    "restore_fair_order": (MANUAL, RestoreFairOrder(), SITE_A, "dev-9"),
    "call_speaker": (FLOOR, CallSpeaker("q1", "s1"), SITE_B, "dev-q"),
    "end_speech": (FLOOR, EndSpeech("s1"), SITE_A, "dev-s"),
    "skip_speaker": (FLOOR, SkipSpeaker("q1"), SITE_B, "dev-q"),
    "add_speaking_time": (FLOOR, AddSpeakingTime("s1"), SITE_A, "dev-s"),
    "pause_speech": (FLOOR, PauseSpeech("s1"), SITE_A, "dev-s"),
    "resume_speech": (PAUSED, ResumeSpeech("s1"), SITE_A, "dev-s"),
    "set_speaking_time": (FLOOR, SetSpeakingTime(300), SITE_A, "dev-9"),
    "record_opinion": (FLOOR, RecordOpinion("s1", "Ý kiến"), SITE_A, "dev-s"),
}


# rows: actor (ACTORS, shared with the questions; the desk has none of the floor); columns in the order of KINDS:
# reg req con dec wdr mov pin giv rst cal end skp add pau res set opn
MATRIX: dict[str, tuple[str, ...]] = {
    "organiser": (F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F),
    "host": (OK, F, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "desk": (F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F),
    "secretary-own": (OK, F, OK, OK, OK, F, F, F, F, F, F, F, F, F, F, F, OK),
    "secretary-other": (O_, F, O_, O_, O_, F, F, F, F, F, F, F, F, F, F, F, O_),
    "display": (F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F),
    "delegate-owner": (F, OK, F, F, OK, F, F, F, F, F, F, F, F, F, F, F, F),
    "delegate-other": (F, OK, F, F, U, F, F, F, F, F, F, F, F, F, F, F, F),
}


def test_matrix_covers_every_actor_and_exactly_the_floor_commands() -> None:
    kinds = command_kinds(floor)
    assert len(kinds) == len(floor.DECIDERS)
    assert {type(command) for _, command, _, _ in KINDS.values()} == kinds
    assert {type(cmd).__struct_config__.tag for _, cmd, _, _ in KINDS.values()} == set(KINDS)
    assert len(KINDS) == len(kinds)
    assert set(MATRIX) == set(ACTORS)
    assert all(len(row) == len(KINDS) for row in MATRIX.values())
    roles = {ACTORS[name](SITE_A, "dev").role for name in ACTORS}
    assert roles == {"organiser", "host", "desk", "secretary", "display", "delegate"}


@pytest.mark.parametrize(("actor_name", "kind", "expected"), cells(MATRIX, KINDS))
def test_permission_matrix(actor_name: str, kind: str, expected: str) -> None:
    state, command, site_id, device = KINDS[kind]
    check_permission(state, command, ACTORS[actor_name](site_id, device), expected)


# --- the events survive the log -----------------------------------------------------------------

EVERY_FLOOR_EVENT: list[Event] = [
    SpeakRequested("r1", SITE_A, "Nguyễn Văn An", "Tổ 5", FIELD, "Đường", "secretary", None, T0),
    SpeakRequested("r2", HALL, nfd("Bà Ánh"), "", "", "", "delegate", "dev-1", 0.1 + 0.2),
    SpeakerQueued("r1", T0 + 0.25),
    SpeakRequestDeclined("r2", T0),
    SpeakRequestWithdrawn("r1", T0),
    QueueReordered(("r1", "r2", "r3")),
    QueueReordered(()),
    SpeakerPinned("r1"),
    FairOrderRestored(),
    SpeakerCalled("r1", T0, 180),
    SpeechEnded("r1", T0 + 61.5),
    SpeakerSkipped("r2", T0),
    SpeakingTimeAdded("r1", 600),
    SpeechPaused("r1", T0),
    SpeechResumed("r1", T0 + 1e-6),
    SpeakingTimeSet(30),
    OpinionRecorded("o1", "r1", SITE_A, "Kiến nghị\u00a0về đường", "", "committee", T0),
    OpinionRecorded("o2", "r1", SITE_A, "Ý kiến", FIELD, "party", T0),
    OpinionRecorded("o3", "r1", SITE_A, "Ý kiến", FIELD, "council", T0),
    OpinionRecorded("o4", "r1", SITE_A, "Ý kiến", FIELD, "other", T0),
]


def test_round_trip_covers_exactly_the_floor_events() -> None:
    floor_events = {typing.get_type_hints(f)["event"] for f in floor.APPLIERS}
    assert len(floor_events) == len(floor.APPLIERS)
    assert {type(e) for e in EVERY_FLOOR_EVENT} == floor_events


@pytest.mark.parametrize(
    "event",
    [pytest.param(e, id=f"{type(e).__name__}-{i}") for i, e in enumerate(EVERY_FLOOR_EVENT)],
)
def test_floor_event_encodes_and_decodes_to_an_equal_value(event: Event) -> None:
    check_round_trip(event)


# --- apply: statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([requested("r", SITE_A, device="d")], "pending", id="requested"),
        pytest.param(registered("r", SITE_A), "queued", id="queued"),
        pytest.param(
            [requested("r", SITE_A, device="d"), SpeakRequestDeclined("r", T0 + 1)],
            "declined",
            id="declined",
        ),
        pytest.param(
            [requested("r", SITE_A, device="d"), SpeakRequestWithdrawn("r", T0 + 1)],
            "withdrawn",
            id="withdrawn-pending",
        ),
        pytest.param(
            [*registered("r", SITE_A), SpeakRequestWithdrawn("r", T0 + 1)],
            "withdrawn",
            id="withdrawn-queued",
        ),
        pytest.param(
            [*registered("r", SITE_A), SpeakerSkipped("r", T0 + 1)], "skipped", id="skipped"
        ),
        pytest.param(
            [*registered("r", SITE_A), SpeakerCalled("r", T0 + 1, 60)], "speaking", id="speaking"
        ),
        pytest.param(
            [*registered("r", SITE_A), SpeakerCalled("r", T0 + 1, 60), SpeechEnded("r", T0 + 2)],
            "finished",
            id="finished",
        ),
    ],
)
def test_status_after_events(events: list[Event], expected: str) -> None:
    state = fold(BASE, *events)
    assert status(state, "r") == expected
    assert ("r" in queue(state)) == (expected == "queued")
    assert (state.floor.current == "r") == (expected == "speaking")
    request = speaker(state, "r")
    ended = expected in ("declined", "withdrawn", "skipped", "finished")
    assert (request.ended_at is not None) == ended
    assert (request.called_at is not None) == (expected in ("speaking", "finished"))


def test_requested_keeps_every_field_and_starts_pending() -> None:
    event = SpeakRequested("r", SITE_B, "Tên", "Tổ", FIELD, "Chủ đề", "delegate", "dev", T0 + 3)
    state = apply(BASE, event)
    assert state.floor.requests == (
        SpeakerRequest("r", SITE_B, "Tên", "Tổ", FIELD, "Chủ đề", "delegate", "dev", T0 + 3),
    )
    assert speaker(state, "r").status == "pending"
    assert state.floor.queue == ()
    assert state.floor.rotation == ()
    assert state.floor.queued_count == 0


def test_left_entries_stay_in_the_record_in_order() -> None:
    ids = [r.request_id for r in FLOOR.floor.requests]
    assert ids == ["h1", "a1", "b1", "f1", "w1", "x1", "k1", "s1", "q1", "d1"]
    gone = {"f1", "w1", "x1", "k1", "s1", "d1"}
    assert not gone & set(queue(FLOOR))


def test_queued_order_counts_confirmations_not_requests() -> None:
    state = fold(
        BASE,
        requested("late", SITE_A, device="d", at=T0),
        *registered("early", SITE_B, at=T0 + 1),
        SpeakerQueued("late", T0 + 2),
    )
    assert speaker(state, "early").queued_order == 1
    assert speaker(state, "late").queued_order == 2
    assert state.floor.queued_count == 2
    assert state.floor.rotation == (SITE_B, SITE_A)


# --- apply: the queue after each event ----------------------------------------------------------

QUEUE_STEPS: list[tuple[Event, tuple[str, ...]]] = [
    (requested("h1", HALL), ()),
    (SpeakerQueued("h1", T0), ("h1",)),
    (requested("a1", SITE_A), ("h1",)),
    (SpeakerQueued("a1", T0), ("h1", "a1")),
    (requested("a2", SITE_A), ("h1", "a1")),
    (SpeakerQueued("a2", T0), ("h1", "a1", "a2")),
    (requested("b1", SITE_B), ("h1", "a1", "a2")),
    (SpeakerQueued("b1", T0), ("h1", "a1", "b1", "a2")),
    (requested("h2", HALL), ("h1", "a1", "b1", "a2")),
    (SpeakerQueued("h2", T0), ("h1", "a1", "b1", "h2", "a2")),
    # the hall spoke last: the round starts at A
    (SpeakerCalled("h1", T0 + 10, 180), ("a1", "b1", "h2", "a2")),
    (SpeechEnded("h1", T0 + 20), ("a1", "b1", "h2", "a2")),
    # the host chose B: the round starts after B, at the hall
    (SpeakerCalled("b1", T0 + 30, 180), ("h2", "a1", "a2")),
    (requested("d1", SITE_B, device="dev"), ("h2", "a1", "a2")),
    (SpeakRequestDeclined("d1", T0 + 31), ("h2", "a1", "a2")),
    (requested("b2", SITE_B, device="dev"), ("h2", "a1", "a2")),
    (SpeakerQueued("b2", T0 + 32), ("h2", "a1", "b2", "a2")),
    (SpeakRequestWithdrawn("a1", T0 + 33), ("h2", "a2", "b2")),
    (SpeakerSkipped("h2", T0 + 34), ("a2", "b2")),
    (SpeechEnded("b1", T0 + 35), ("a2", "b2")),
    (SpeakerPinned("b2"), ("b2", "a2")),
    (requested("h3", HALL), ("b2", "a2")),
    (SpeakerQueued("h3", T0 + 36), ("b2", "h3", "a2")),  # a pin stays ahead of newcomers
    (SpeakerCalled("b2", T0 + 40, 180), ("h3", "a2")),
    # manual: the host's order, newcomers at the end
    (QueueReordered(("a2", "h3")), ("a2", "h3")),
    (requested("h4", HALL), ("a2", "h3")),
    (SpeakerQueued("h4", T0 + 41), ("a2", "h3", "h4")),
    (FairOrderRestored(), ("h3", "a2", "h4")),
]


def test_queue_after_each_event() -> None:
    state = BASE
    for step, (event, expected) in enumerate(QUEUE_STEPS):
        state = apply(state, event)
        assert queue(state) == expected, (step, event)
        queued = {r.request_id for r in state.floor.requests if r.status == "queued"}
        assert set(queue(state)) == queued, (step, event)


# --- apply: pins, manual order, back to fair ----------------------------------------------------


def test_pins_come_first_the_latest_pin_on_top() -> None:
    state = fold(FLOOR, SpeakerPinned("h1"), SpeakerPinned("q1"))
    assert state.floor.pinned == ("q1", "h1")
    assert queue(state) == ("q1", "h1", "b1", "a1")
    state = apply(state, SpeakerPinned("h1"))  # pinning a pinned one lifts it above the others
    assert state.floor.pinned == ("h1", "q1")
    assert queue(state) == ("h1", "q1", "b1", "a1")


def test_a_pin_stays_ahead_of_newcomers_and_leaves_when_its_entry_leaves() -> None:
    state = apply(FLOOR, SpeakerPinned("q1"))
    state = do(state, RegisterSpeaker(SITE_B, "Mới"), SEC_B)
    assert queue(state)[0] == "q1"
    state = do(state, CallSpeaker(None, "s1"), HOST)
    assert state.floor.current == "q1"
    assert state.floor.pinned == ()
    pinned = apply(FLOOR, SpeakerPinned("h1"))
    for leave in (SpeakRequestWithdrawn("h1", NOW), SpeakerSkipped("h1", NOW)):
        left = apply(pinned, leave)
        assert left.floor.pinned == ()
        assert "h1" not in queue(left)
        assert queue(left) == floor.fair_order(left.floor)


def test_give_floor_to_site_pins_its_next_speaker() -> None:
    state = do(FLOOR, GiveFloorToSite(SITE_A), HOST)
    assert state.floor.pinned == ("a1",)
    assert queue(state) == ("a1", "b1", "h1", "q1")
    state = do(state, CallSpeaker(None, "s1"), HOST)
    assert state.floor.current == "a1"
    assert speaker(state, "s1").status == "finished"


def test_manual_mode_keeps_the_hosts_order_and_appends_newcomers() -> None:
    shared = id_source("m")
    state = MANUAL
    steps: list[tuple[Command, Actor]] = [
        (RegisterSpeaker(HALL, "Mới"), SEC_HALL),
        (ConfirmRequest("d1"), SEC_A),
        (CallSpeaker(None, "s1"), HOST),
        (WithdrawRequest("b1"), SEC_B),
    ]
    for command, actor in steps:
        decision = decide(state, command, Context(actor, NOW, shared))
        state = fold(state, *events_of(decision))
    assert state.floor.manual
    assert state.floor.current == "a1"
    # the fair order would start after site A: q1 (B), h1 (hall), d1 (A), m-1 (hall)
    assert queue(state) == ("q1", "h1", "m-1", "d1")
    assert queue(state) != floor.fair_order(state.floor)


def test_a_move_takes_the_order_in_hand_and_drops_the_pins() -> None:
    state = do(PINNED, MoveInQueue("q1", 1, list(queue(PINNED))), HOST)
    assert state.floor.manual
    assert state.floor.pinned == ()
    assert queue(state) == ("a1", "q1", "b1", "h1")


def test_reordered_keeps_only_queued_ids_and_appends_the_forgotten() -> None:
    state = apply(FLOOR, QueueReordered((UNKNOWN, "h1", "s1", "d1", "a1")))
    assert queue(state) == ("h1", "a1", "b1", "q1")  # b1 and q1 in the order they were queued
    assert state.floor.manual


@pytest.mark.parametrize("state", [MANUAL, PINNED, apply(MANUAL, SpeakerPinned("b1"))])
def test_restore_goes_back_to_the_fair_order(state: MeetingState) -> None:
    restored = do(state, RestoreFairOrder(), HOST)
    assert not restored.floor.manual
    assert restored.floor.pinned == ()
    assert queue(restored) == queue(FLOOR) == ("b1", "h1", "a1", "q1")


def test_restore_after_manual_calls_starts_after_the_site_that_spoke_last() -> None:
    state = do(MANUAL, CallSpeaker(None, "s1"), HOST)  # a1 of site A, by the host's order
    assert state.floor.last_called_site == SITE_A
    restored = do(state, RestoreFairOrder(), HOST)
    assert queue(restored) == ("b1", "h1", "q1")


def test_the_main_hall_is_one_site_among_the_others() -> None:
    state = fold(
        BASE,
        *registered("a1", SITE_A),
        *registered("h1", HALL),
        *registered("h2", HALL),
        *registered("h3", HALL),
        *registered("b1", SITE_B),
    )
    assert state.floor.rotation == (SITE_A, HALL, SITE_B)
    assert queue(state) == ("a1", "h1", "b1", "h2", "h3")


# --- apply: the timer ---------------------------------------------------------------------------

C = T0 + 1_000.0  # the call


def _timed() -> MeetingState:
    return do(fold(BASE, *registered("t", SITE_A)), CallSpeaker(), HOST, now=C)


def test_timer_pause_resume_add_and_end_while_paused() -> None:
    state = _timed()
    t = speaker(state, "t")
    assert (t.called_at, t.seconds, t.deadline, t.paused_remaining) == (C, 180, C + 180, None)
    assert t.spoken_seconds(C + 50) == 50
    assert t.spoken_seconds() == 0

    state = do(state, PauseSpeech("t"), HOST, now=C + 30)
    t = speaker(state, "t")
    assert (t.paused_at, t.deadline, t.paused_remaining) == (C + 30, None, 150)
    assert t.spoken_seconds(C + 500) == 30  # a paused clock does not run

    state = do(state, ResumeSpeech("t"), HOST, now=C + 50)
    t = speaker(state, "t")
    assert (t.paused_at, t.paused_total, t.deadline) == (None, 20, C + 200)
    assert t.spoken_seconds(C + 100) == 80

    state = do(state, AddSpeakingTime("t", 60), HOST, now=C + 90)
    t = speaker(state, "t")
    assert (t.seconds, t.deadline) == (240, C + 260)

    state = do(state, PauseSpeech("t"), HOST, now=C + 100)
    assert speaker(state, "t").paused_remaining == 160
    state = do(state, AddSpeakingTime("t", 10), HOST, now=C + 110)
    assert speaker(state, "t").paused_remaining == 170

    state = do(state, EndSpeech("t"), HOST, now=C + 130)  # still paused when it ends
    t = speaker(state, "t")
    assert t.status == "finished"
    assert (t.ended_at, t.paused_at, t.paused_total) == (C + 130, None, 50)
    assert t.deadline is None
    assert t.paused_remaining is None
    assert t.spoken_seconds() == 80
    assert t.spoken_seconds(C + 10_000) == 80
    assert state.floor.current is None


def test_timer_second_pause_accumulates() -> None:
    state = _timed()
    steps: list[tuple[Command, float]] = [
        (PauseSpeech("t"), C + 10),
        (ResumeSpeech("t"), C + 15),
        (PauseSpeech("t"), C + 40),
        (ResumeSpeech("t"), C + 47.5),
    ]
    for command, at in steps:
        state = do(state, command, HOST, now=at)
    t = speaker(state, "t")
    assert t.paused_total == 12.5
    assert t.deadline == C + 180 + 12.5
    state = do(state, EndSpeech("t"), HOST, now=C + 100)
    assert speaker(state, "t").spoken_seconds() == 100 - 12.5


def test_calling_the_next_ends_the_current_at_the_same_moment() -> None:
    state = fold(_timed(), *registered("u", SITE_B))
    state = do(state, CallSpeaker(None, "t"), HOST, now=C + 70)
    assert speaker(state, "t").status == "finished"
    assert speaker(state, "t").spoken_seconds() == 70
    assert speaker(state, "u").called_at == C + 70
    assert state.floor.current == "u"


def test_speaking_time_applies_to_the_next_call_only() -> None:
    state = do(fold(_timed(), *registered("u", SITE_B)), SetSpeakingTime(90), HOST)
    assert state.speaking_seconds == 90
    assert speaker(state, "t").seconds == 180
    state = do(state, CallSpeaker(None, "t"), HOST, now=C + 5)
    assert speaker(state, "u").seconds == 90
    assert speaker(state, "u").deadline == C + 95


def test_skipped_and_never_called_have_no_clock() -> None:
    state = do(FLOOR, SkipSpeaker("h1"), HOST)
    h1 = speaker(state, "h1")
    assert (h1.called_at, h1.ended_at, h1.deadline) == (None, NOW, None)
    assert h1.spoken_seconds(NOW + 100) == 0


# --- apply: opinions ----------------------------------------------------------------------------


def test_opinions_attach_to_their_turn() -> None:
    shared = id_source("op")
    state = FLOOR
    steps: list[tuple[Command, Actor]] = [
        (RecordOpinion("s1", "Một", field=FIELD), SEC_A),
        (RecordOpinion("f1", "Hai", body="party"), SEC_B),
        (RecordOpinion("s1", "Ba"), HOST),
        (CallSpeaker(None, "s1"), HOST),
        (RecordOpinion("s1", "Bốn"), SEC_A),  # after the turn ended: still its turn
    ]
    for command, actor in steps:
        state = fold(state, *events_of(decide(state, command, Context(actor, NOW, shared))))
    opinions = [q for q in state.questions if q.source == "turn"]  # opinions are questions
    assert [(o.question_id, o.request_id, o.site_id, o.text) for o in opinions] == [
        ("op-1", "s1", SITE_A, "Một"),
        ("op-2", "f1", SITE_B, "Hai"),
        ("op-3", "s1", SITE_A, "Ba"),
        ("op-4", "s1", SITE_A, "Bốn"),
    ]
    assert [o.text for o in opinions if o.request_id == "s1"] == ["Một", "Ba", "Bốn"]
    assert (opinions[0].field, opinions[0].body) == (FIELD, "committee")
    assert opinions[1].body == "party"
    assert speaker(state, "s1").status == "finished"


# --- replay -------------------------------------------------------------------------------------

LOG: list[Event] = [
    created(),
    *FLOOR_EVENTS,
    SpeakerPinned("a1"),
    OpinionRecorded("o1", "s1", SITE_A, "Ý kiến", "", "committee", T0 + 120),
    SpeechPaused("s1", T0 + 130),
    SpeakingTimeAdded("s1", 30),
    SpeechResumed("s1", T0 + 140),
    SpeechEnded("s1", T0 + 150),
    SpeakerCalled("a1", T0 + 150, 180),
    QueueReordered(("q1", "h1", "b1")),
    SpeakerQueued("d1", T0 + 160),
    SpeakerPinned("b1"),
    SpeakingTimeSet(240),
    FairOrderRestored(),
    SpeakerSkipped("h1", T0 + 170),
    SpeechEnded("a1", T0 + 171),
    SpeakerCalled("q1", T0 + 172, 240),
]


def test_replay_equals_folding_one_by_one() -> None:
    folded = MeetingState()
    for event in LOG:
        folded = apply(folded, event)
    assert replay(LOG) == folded
    assert replay([decode_event(encode_event(e)) for e in LOG]) == folded
    for cut in range(len(LOG) + 1):
        assert replay(LOG[cut:], replay(LOG[:cut])) == folded, cut
    assert folded.floor.current == "q1"
    assert queue(folded) == floor.fair_order(folded.floor) == ("d1", "b1")  # after B: A, B


# --- bugs found once, fixed: kept as regressions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [PinToTop("h1"), GiveFloorToSite(HALL)], ids=["pin", "give-floor"]
)
def test_pin_in_manual_mode_keeps_every_entry_once(command: Command) -> None:
    state = do(MANUAL, command, HOST)
    assert queue(state) == ("h1", "a1", "q1", "b1")


@pytest.mark.parametrize(
    "command", [PinToTop("a1"), GiveFloorToSite(SITE_A)], ids=["pin", "give-floor"]
)
def test_a_pinned_entry_stays_first_even_if_it_was_first_already(command: Command) -> None:
    # the minimal input: the hall and site A register; the hall withdraws; the host pins A's
    # speaker, who is first (today: no events, nothing pinned); the hall registers again and
    # goes first
    state = fold(BASE, *registered("h1", HALL), *registered("a1", SITE_A))
    state = do(state, WithdrawRequest("h1"), SEC_HALL)
    assert queue(state) == ("a1",)
    state = do(state, command, HOST)
    state = do(state, RegisterSpeaker(HALL, "Hội trường 2"), SEC_HALL)
    assert queue(state) == ("a1", "new-1")


def test_a_delegate_without_a_device_may_not_withdraw_a_registered_speaker() -> None:
    decision = run(FLOOR, WithdrawRequest("a1"), Actor("delegate", SITE_B))
    assert code_of(decision) in ("forbidden", "unknown_request")
