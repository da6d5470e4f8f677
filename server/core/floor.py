"""The floor: requests to speak from every site, one fair merged queue, calling, the countdown."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import msgspec

from server.core.commands import (
    MAX_NAME,
    MAX_OPINION,
    MAX_SPEAKING_SECONDS,
    MAX_TOPIC,
    MIN_SPEAKING_SECONDS,
    AddSpeakingTime,
    CallSpeaker,
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
from server.core.events import (
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
)
from server.core.rules import (
    N_,
    Context,
    Decision,
    Rejected,
    clean_text,
    over_budget,
    phone_of,
    text_problem,
    unknown_site,
)
from server.core.state import ACTIVE_STATUSES, Asker, Floor, MeetingState, Question, SpeakerRequest

# Phones only: the host's and the secretaries' registrations are never refused for a cap.
MAX_PHONE_REQUESTS = 5000  # standing ones: a withdrawn or declined request leaves room again
PHONE_REQUESTS_PER_WINDOW = 5  # one phone, in rules.BUDGET_SECONDS
SITE_PHONE_REQUESTS_PER_WINDOW = 30  # every phone of one site (devices minted from one link)
MAX_EXTRA_SECONDS = 600


# --- the fair order ---------------------------------------------------------------------------


def fair_order(floor: Floor) -> tuple[str, ...]:
    """Pinned entries first; then one speaker per site in turn, sites in the order they first
    registered (the main hall is one site among them), starting after the site that spoke last.
    So no site speaks twice in a row while another waits, and each site keeps its own FIFO."""
    queued = [
        r for r in floor.requests if r.status == "queued" and r.request_id not in floor.pinned
    ]
    by_site: dict[str, deque[str]] = {}
    for request in sorted(queued, key=lambda r: r.queued_order):
        by_site.setdefault(request.site_id, deque()).append(request.request_id)
    rotation = list(floor.rotation)
    if floor.last_called_site in rotation:
        start = rotation.index(floor.last_called_site) + 1
        rotation = rotation[start:] + rotation[:start]
    turns: list[str] = []
    while by_site:
        for site_id in rotation:
            waiting = by_site.get(site_id)
            if waiting:
                turns.append(waiting.popleft())
                if not waiting:
                    del by_site[site_id]
    return (*floor.pinned, *turns)


def _reorder(floor: Floor, explicit: Iterable[str] | None = None) -> Floor:
    """Keeps `queue` true after a change: derived in fair mode, the host's order in manual mode."""
    if not floor.manual:
        return msgspec.structs.replace(floor, queue=fair_order(floor))
    queued = {r.request_id for r in floor.requests if r.status == "queued"}
    order = [rid for rid in (explicit if explicit is not None else floor.queue) if rid in queued]
    order += [
        r.request_id
        for r in sorted(floor.requests, key=lambda r: r.queued_order)
        if r.status == "queued" and r.request_id not in order
    ]
    return msgspec.structs.replace(floor, queue=tuple(order))


# --- decide -------------------------------------------------------------------------------------


def _unknown_request(request_id: str) -> Rejected:
    return Rejected(
        "unknown_request", N_("No request to speak {request_id}."), {"request_id": request_id}
    )


def _speaker_fields(
    state: MeetingState, name: str, group: str, topic: str, field: str = ""
) -> Rejected | tuple[str, str, str, str]:
    cleaned = clean_text(name), clean_text(group), clean_text(topic), clean_text(field)
    problem = text_problem(cleaned[0], MAX_NAME, N_("Name"))
    if problem:
        return problem
    if len(cleaned[1]) > MAX_NAME:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Group"), "limit": MAX_NAME},
        )
    if len(cleaned[2]) > MAX_TOPIC:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Topic"), "limit": MAX_TOPIC},
        )
    if cleaned[3] and cleaned[3] not in state.fields:
        return Rejected(
            "unknown_field", N_("No field {name} in this meeting."), {"name": cleaned[3]}
        )
    return cleaned


def _phone_room(state: MeetingState, ctx: Context, site_id: str) -> Rejected | None:
    """A phone's request must fit the phones' cap, its own budget and its site's budget, so one
    phone (or one link minting phones) never stops the others, the secretaries or the host."""
    phones = [r for r in state.floor.requests if r.source == "delegate"]
    standing = sum(r.status not in ("withdrawn", "declined") for r in phones)
    if standing >= MAX_PHONE_REQUESTS:
        return Rejected(
            "too_many_requests",
            N_("At most {limit} requests to speak."),
            {"limit": MAX_PHONE_REQUESTS},
        )
    device = ctx.actor.device_id
    return over_budget(
        (r.requested_at for r in phones if r.device_id == device),
        ctx,
        PHONE_REQUESTS_PER_WINDOW,
        N_("You have asked to speak {limit} times in {minutes} minutes. Please wait a little."),
    ) or over_budget(
        (r.requested_at for r in phones if r.site_id == site_id),
        ctx,
        SITE_PHONE_REQUESTS_PER_WINDOW,
        N_(
            "Phones at your site have asked to speak {limit} times in {minutes} minutes. "
            "Please wait a little, or ask your site's secretary."
        ),
    )


def decide_register(command: RegisterSpeaker, state: MeetingState, ctx: Context) -> Decision:
    problem = unknown_site(command.site_id, state)
    if problem:
        return problem
    fields = _speaker_fields(state, command.name, command.group, command.topic, command.field)
    if isinstance(fields, Rejected):
        return fields
    name, group, topic, field = fields
    request_id = ctx.new_id()
    return [
        SpeakRequested(
            request_id, command.site_id, name, group, field, topic, "secretary", None, ctx.now
        ),
        SpeakerQueued(request_id, ctx.now),
    ]


def decide_request(command: RequestToSpeak, state: MeetingState, ctx: Context) -> Decision:
    site_id, device_id = phone_of(ctx)
    problem = unknown_site(site_id, state)
    if problem:
        return problem
    if any(r.device_id == device_id and r.status in ACTIVE_STATUSES for r in state.floor.requests):
        return Rejected("already_requested", N_("You have asked to speak already."))
    if state.floor.request(command.request_id) is not None:
        return Rejected("request_exists", N_("This request exists already."))
    problem = _phone_room(state, ctx, site_id)
    if problem:
        return problem
    fields = _speaker_fields(state, command.name, command.group, command.topic)
    if isinstance(fields, Rejected):
        return fields
    name, group, topic, _ = fields
    return [
        SpeakRequested(
            command.request_id,
            site_id,
            name,
            group,
            "",
            topic,
            "delegate",
            device_id,
            ctx.now,
        )
    ]


def _request_of_site(
    request_id: str, state: MeetingState, statuses: tuple[str, ...]
) -> SpeakerRequest | Rejected:
    """The request, if it is in one of `statuses` (whose site it is: permissions.py)."""
    request = state.floor.request(request_id)
    if request is None:
        return _unknown_request(request_id)
    problem = unknown_site(request.site_id, state)
    if problem:
        return problem
    if request.status not in statuses:
        return Rejected("request_not_open", N_("This request is no longer waiting."))
    return request


def decide_confirm(command: ConfirmRequest, state: MeetingState, ctx: Context) -> Decision:
    request = _request_of_site(command.request_id, state, ("pending",))
    return (
        request if isinstance(request, Rejected) else [SpeakerQueued(request.request_id, ctx.now)]
    )


def decide_decline(command: DeclineRequest, state: MeetingState, ctx: Context) -> Decision:
    request = _request_of_site(command.request_id, state, ("pending",))
    return (
        request
        if isinstance(request, Rejected)
        else [SpeakRequestDeclined(request.request_id, ctx.now)]
    )


def decide_withdraw(command: WithdrawRequest, state: MeetingState, ctx: Context) -> Decision:
    if ctx.actor.role == "delegate":  # a phone withdraws its own request, and knows no other
        _, device_id = phone_of(ctx)
        request = state.floor.request(command.request_id)
        if request is None or request.device_id != device_id:
            return _unknown_request(command.request_id)
        if request.status not in ("pending", "queued"):
            return Rejected("request_not_open", N_("This request is no longer waiting."))
        return [SpeakRequestWithdrawn(request.request_id, ctx.now)]
    found = _request_of_site(command.request_id, state, ("pending", "queued"))
    return (
        found if isinstance(found, Rejected) else [SpeakRequestWithdrawn(found.request_id, ctx.now)]
    )


def _queued(request_id: str, state: MeetingState) -> Rejected | None:
    request = state.floor.request(request_id)
    if request is None:
        return _unknown_request(request_id)
    if request.status != "queued":
        return Rejected("not_in_queue", N_("This speaker is not in the queue."))
    return None


def decide_move(command: MoveInQueue, state: MeetingState, _ctx: Context) -> Decision:
    problem = _queued(command.request_id, state)
    if problem:
        return problem
    if tuple(command.expected_order) != state.floor.queue:
        return Rejected(
            "queue_changed", N_("The queue changed meanwhile; nothing was moved. Try again.")
        )
    order = [rid for rid in state.floor.queue if rid != command.request_id]
    order.insert(max(0, min(command.position, len(order))), command.request_id)
    return [] if tuple(order) == state.floor.queue else [QueueReordered(tuple(order))]


def _pinned_first(floor: Floor, request_id: str) -> bool:
    """Already held at the top: first by the host's hand, not merely first in the fair order now
    (a newcomer from an earlier site in the round would still pass it)."""
    if floor.manual:
        return floor.queue[:1] == (request_id,)
    return floor.pinned[:1] == (request_id,)


def decide_pin(command: PinToTop, state: MeetingState, _ctx: Context) -> Decision:
    problem = _queued(command.request_id, state)
    if problem:
        return problem
    return (
        []
        if _pinned_first(state.floor, command.request_id)
        else [SpeakerPinned(command.request_id)]
    )


def decide_give_floor(command: GiveFloorToSite, state: MeetingState, _ctx: Context) -> Decision:
    if state.site(command.site_id) is None:
        return Rejected("unknown_site", N_("No site {site_id}."), {"site_id": command.site_id})
    floor = state.floor
    first = next(
        (rid for rid in floor.queue if (r := floor.request(rid)) and r.site_id == command.site_id),
        None,
    )
    if first is None:
        return Rejected("site_queue_empty", N_("Nobody from this site is waiting."))
    return [] if _pinned_first(floor, first) else [SpeakerPinned(first)]


def decide_restore(command: RestoreFairOrder, state: MeetingState, _ctx: Context) -> Decision:
    del command
    return [FairOrderRestored()] if state.floor.manual or state.floor.pinned else []


def decide_call(command: CallSpeaker, state: MeetingState, ctx: Context) -> Decision:
    floor = state.floor
    if command.expected_current != floor.current:
        return Rejected(
            "floor_changed", N_("The floor changed meanwhile; nobody was called. Look again.")
        )
    if command.request_id is None:
        if not floor.queue:
            return Rejected("queue_empty", N_("Nobody is waiting to speak."))
        request_id = floor.queue[0]
    else:
        request_id = command.request_id
        problem = _queued(request_id, state)
        if problem:
            return problem
    ended = [SpeechEnded(floor.current, ctx.now)] if floor.current else []
    return [*ended, SpeakerCalled(request_id, ctx.now, state.speaking_seconds)]


def _current(request_id: str, state: MeetingState) -> SpeakerRequest | Rejected:
    speaker = state.floor.speaker
    if speaker is None or speaker.request_id != request_id:
        return Rejected("not_speaking", N_("This speaker does not have the floor."))
    return speaker


def decide_end(command: EndSpeech, state: MeetingState, ctx: Context) -> Decision:
    speaker = _current(command.request_id, state)
    return speaker if isinstance(speaker, Rejected) else [SpeechEnded(speaker.request_id, ctx.now)]


def decide_skip(command: SkipSpeaker, state: MeetingState, ctx: Context) -> Decision:
    problem = _queued(command.request_id, state)
    return problem or [SpeakerSkipped(command.request_id, ctx.now)]


def decide_add_time(command: AddSpeakingTime, state: MeetingState, _ctx: Context) -> Decision:
    speaker = _current(command.request_id, state)
    if isinstance(speaker, Rejected):
        return speaker
    if not 1 <= command.seconds <= MAX_EXTRA_SECONDS:
        return Rejected(
            "bad_seconds",
            N_("Extra time must be 1 to {limit} seconds."),
            {"limit": MAX_EXTRA_SECONDS},
        )
    return [SpeakingTimeAdded(speaker.request_id, command.seconds)]


def decide_pause(command: PauseSpeech, state: MeetingState, ctx: Context) -> Decision:
    speaker = _current(command.request_id, state)
    if isinstance(speaker, Rejected):
        return speaker
    return [] if speaker.paused_at is not None else [SpeechPaused(speaker.request_id, ctx.now)]


def decide_resume(command: ResumeSpeech, state: MeetingState, ctx: Context) -> Decision:
    speaker = _current(command.request_id, state)
    if isinstance(speaker, Rejected):
        return speaker
    return [] if speaker.paused_at is None else [SpeechResumed(speaker.request_id, ctx.now)]


def decide_speaking_time(command: SetSpeakingTime, state: MeetingState, _ctx: Context) -> Decision:
    if not MIN_SPEAKING_SECONDS <= command.seconds <= MAX_SPEAKING_SECONDS:
        return Rejected(
            "bad_seconds",
            N_("Speaking time must be {low} to {high} seconds."),
            {"low": MIN_SPEAKING_SECONDS, "high": MAX_SPEAKING_SECONDS},
        )
    return [] if command.seconds == state.speaking_seconds else [SpeakingTimeSet(command.seconds)]


def decide_opinion(command: RecordOpinion, state: MeetingState, ctx: Context) -> Decision:
    request = _request_of_site(command.request_id, state, ("speaking", "finished"))
    if isinstance(request, Rejected):
        if request.code == "request_not_open":
            return Rejected("not_a_turn", N_("Opinions belong to a turn that has started."))
        return request
    text, field = clean_text(command.text), clean_text(command.field)
    problem = text_problem(text, MAX_OPINION, N_("Opinion"))
    if problem:
        return problem
    if field and field not in state.fields:
        return Rejected("unknown_field", N_("No field {name} in this meeting."), {"name": field})
    return [
        OpinionRecorded(
            ctx.new_id(), request.request_id, request.site_id, text, field, command.body, ctx.now
        )
    ]


# --- apply --------------------------------------------------------------------------------------


def _with_floor(state: MeetingState, floor: Floor) -> MeetingState:
    return msgspec.structs.replace(state, floor=floor)


def _change_request(
    floor: Floor, request_id: str, change: Callable[[SpeakerRequest], SpeakerRequest]
) -> Floor:
    requests = tuple(change(r) if r.request_id == request_id else r for r in floor.requests)
    return msgspec.structs.replace(floor, requests=requests)


def _set_status(floor: Floor, request_id: str, status: str, **more: object) -> Floor:
    changed = _change_request(
        floor, request_id, lambda r: msgspec.structs.replace(r, status=status, **more)
    )
    pinned = tuple(rid for rid in changed.pinned if rid != request_id or status == "queued")
    return msgspec.structs.replace(changed, pinned=pinned)


def apply_requested(event: SpeakRequested, state: MeetingState) -> MeetingState:
    request = SpeakerRequest(
        event.request_id,
        event.site_id,
        event.name,
        event.group,
        event.field,
        event.topic,
        event.source,
        event.device_id,
        event.at,
    )
    return _with_floor(
        state, msgspec.structs.replace(state.floor, requests=(*state.floor.requests, request))
    )


def apply_queued(event: SpeakerQueued, state: MeetingState) -> MeetingState:
    floor = state.floor
    order = floor.queued_count + 1
    floor = _set_status(floor, event.request_id, "queued", queued_order=order)
    request = floor.request(event.request_id)
    rotation = floor.rotation
    if request is not None and request.site_id not in rotation:
        rotation = (*rotation, request.site_id)
    floor = msgspec.structs.replace(floor, queued_count=order, rotation=rotation)
    return _with_floor(state, _reorder(floor))


def apply_declined(event: SpeakRequestDeclined, state: MeetingState) -> MeetingState:
    return _with_floor(
        state, _reorder(_set_status(state.floor, event.request_id, "declined", ended_at=event.at))
    )


def apply_withdrawn(event: SpeakRequestWithdrawn, state: MeetingState) -> MeetingState:
    return _with_floor(
        state, _reorder(_set_status(state.floor, event.request_id, "withdrawn", ended_at=event.at))
    )


def apply_reordered(event: QueueReordered, state: MeetingState) -> MeetingState:
    floor = msgspec.structs.replace(state.floor, manual=True, pinned=())
    return _with_floor(state, _reorder(floor, event.order))


def apply_pinned(event: SpeakerPinned, state: MeetingState) -> MeetingState:
    floor = state.floor
    if floor.manual:
        rest = (rid for rid in floor.queue if rid != event.request_id)
        return _with_floor(state, _reorder(floor, (event.request_id, *rest)))
    pinned = (event.request_id, *(rid for rid in floor.pinned if rid != event.request_id))
    return _with_floor(state, _reorder(msgspec.structs.replace(floor, pinned=pinned)))


def apply_restored(event: FairOrderRestored, state: MeetingState) -> MeetingState:
    del event
    return _with_floor(
        state, _reorder(msgspec.structs.replace(state.floor, manual=False, pinned=()))
    )


def apply_called(event: SpeakerCalled, state: MeetingState) -> MeetingState:
    floor = _set_status(
        state.floor, event.request_id, "speaking", called_at=event.at, seconds=event.seconds
    )
    request = floor.request(event.request_id)
    floor = msgspec.structs.replace(
        floor, current=event.request_id, last_called_site=request.site_id if request else None
    )
    return _with_floor(state, _reorder(floor))


def apply_ended(event: SpeechEnded, state: MeetingState) -> MeetingState:
    def end(request: SpeakerRequest) -> SpeakerRequest:
        paused = event.at - request.paused_at if request.paused_at is not None else 0.0
        return msgspec.structs.replace(
            request,
            status="finished",
            ended_at=event.at,
            paused_at=None,
            paused_total=request.paused_total + paused,
        )

    floor = _change_request(state.floor, event.request_id, end)
    if floor.current == event.request_id:
        floor = msgspec.structs.replace(floor, current=None)
    return _with_floor(state, floor)


def apply_skipped(event: SpeakerSkipped, state: MeetingState) -> MeetingState:
    return _with_floor(
        state, _reorder(_set_status(state.floor, event.request_id, "skipped", ended_at=event.at))
    )


def apply_time_added(event: SpeakingTimeAdded, state: MeetingState) -> MeetingState:
    floor = _change_request(
        state.floor,
        event.request_id,
        lambda r: msgspec.structs.replace(r, seconds=r.seconds + event.seconds),
    )
    return _with_floor(state, floor)


def apply_paused(event: SpeechPaused, state: MeetingState) -> MeetingState:
    floor = _change_request(
        state.floor, event.request_id, lambda r: msgspec.structs.replace(r, paused_at=event.at)
    )
    return _with_floor(state, floor)


def apply_resumed(event: SpeechResumed, state: MeetingState) -> MeetingState:
    def resume(request: SpeakerRequest) -> SpeakerRequest:
        paused = event.at - request.paused_at if request.paused_at is not None else 0.0
        return msgspec.structs.replace(
            request, paused_at=None, paused_total=request.paused_total + paused
        )

    return _with_floor(state, _change_request(state.floor, event.request_id, resume))


def apply_speaking_time(event: SpeakingTimeSet, state: MeetingState) -> MeetingState:
    return msgspec.structs.replace(state, speaking_seconds=event.seconds)


def apply_opinion(event: OpinionRecorded, state: MeetingState) -> MeetingState:
    """An opinion raised in a turn is a question like any other, asked by the speaker."""
    request = state.floor.request(event.request_id)
    askers = (Asker(request.name, request.group, request.site_id),) if request else ()
    question = Question(
        question_id=event.opinion_id,
        text=event.text,
        askers=askers,
        site_id=event.site_id,
        field=event.field,
        body=event.body,
        level=state.info.level if state.info else "ward",
        source="turn",
        prepared_answer="",
        at=event.at,
        request_id=event.request_id,
        own_asker=bool(askers),
    )
    return msgspec.structs.replace(state, questions=(*state.questions, question))


DECIDERS: tuple[Callable[..., Decision], ...] = (
    decide_register,
    decide_request,
    decide_confirm,
    decide_decline,
    decide_withdraw,
    decide_move,
    decide_pin,
    decide_give_floor,
    decide_restore,
    decide_call,
    decide_end,
    decide_skip,
    decide_add_time,
    decide_pause,
    decide_resume,
    decide_speaking_time,
    decide_opinion,
)
APPLIERS: tuple[Callable[..., MeetingState], ...] = (
    apply_requested,
    apply_queued,
    apply_declined,
    apply_withdrawn,
    apply_reordered,
    apply_pinned,
    apply_restored,
    apply_called,
    apply_ended,
    apply_skipped,
    apply_time_added,
    apply_paused,
    apply_resumed,
    apply_speaking_time,
    apply_opinion,
)
