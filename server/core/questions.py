"""Questions: intake before the meeting, phones and turns during it; on screen, answered live,
and the chair's decision on each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import msgspec

from server.core.commands import (
    MAX_ANSWER,
    MAX_NAME,
    MAX_QUESTION,
    MAX_TOPIC,
    AddQuestion,
    DecideQuestion,
    EditAnswer,
    EditQuestion,
    ImportQuestions,
    MergeQuestions,
    ModerateQuestion,
    PriorOutcomeDraft,
    QuestionDraft,
    RecordWrittenAnswer,
    SetAnswerer,
    SetPriorOutcome,
    ShowQuestion,
    SubmitQuestion,
    SupportQuestion,
)
from server.core.events import (
    AnswerEdited,
    AnswererSet,
    Level,
    PriorOutcome,
    PriorOutcomeSet,
    QuestionAdded,
    QuestionDecided,
    QuestionEdited,
    QuestionModerated,
    QuestionRecord,
    QuestionShown,
    QuestionsImported,
    QuestionsMerged,
    QuestionSource,
    QuestionSubmitted,
    QuestionSupported,
    WrittenAnswerCorrected,
    WrittenAnswerRecorded,
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
    without_controls,
)
from server.core.state import Asker, MeetingState, Question

# Two caps that never meet: phones cannot fill the room of the host, the secretaries and the
# Front's import, and those never count against the phones'.
MAX_QUESTIONS = 10_000  # from the host, the secretaries, the import and the turns
MAX_PHONE_QUESTIONS = 5_000  # from phones, those the host turned down not counted
WRITTEN_ANSWER_DAYS = 15  # domain.md: written answers within 15 days of the conference
PHONE_QUESTIONS_PER_WINDOW = 3  # one phone, in rules.BUDGET_SECONDS
SITE_PHONE_QUESTIONS_PER_WINDOW = 30  # every phone of one site (devices minted from one link)
SITE_SUPPORTS_PER_WINDOW = 10  # supports of one question from one site's phones
LEVELS: tuple[Level, ...] = ("ward", "district", "city", "central")
# Vietnam keeps one time zone and no summer time: "today" for a date someone enters is its date.
VIETNAM = timezone(timedelta(hours=7))


def _clean_answer(raw: str) -> str:
    """Answers keep their line breaks (a leader's points); everything else is cleaned as text."""
    return "\n".join(clean_text(line) for line in raw.replace("\r\n", "\n").split("\n")).strip()


def _record(
    draft: QuestionDraft, question_id: str, source: QuestionSource, state: MeetingState
) -> QuestionRecord | Rejected:
    text = clean_text(draft.text)
    problem = text_problem(text, MAX_QUESTION, N_("Question"))
    if problem:
        return problem
    asker, group, field = clean_text(draft.asker), clean_text(draft.group), clean_text(draft.field)
    if len(asker) > MAX_NAME or len(group) > MAX_NAME:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Name"), "limit": MAX_NAME},
        )
    if field and field not in state.fields:
        return Rejected("unknown_field", N_("No field {name} in this meeting."), {"name": field})
    if len(_clean_answer(draft.prepared_answer)) > MAX_ANSWER:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Prepared answer"), "limit": MAX_ANSWER},
        )
    if draft.site_id is not None and state.site(draft.site_id) is None:
        return Rejected("unknown_site", N_("No site {site_id}."), {"site_id": draft.site_id})
    prior = None if draft.prior is None else _prior_outcome(draft.prior, state)
    if isinstance(prior, Rejected):
        return prior
    return QuestionRecord(
        question_id=question_id,
        text=text,
        asker=asker,
        group=group,
        site_id=draft.site_id,
        field=field,
        body=draft.body,
        level=draft.level,
        prepared_answer=_clean_answer(draft.prepared_answer),
        source=source,
        prior=prior,
    )


def _too_long(text: str, limit: int, field: str) -> Rejected | None:
    if len(text) <= limit:
        return None
    return Rejected(
        "text_too_long",
        N_("{field} is too long: at most {limit} characters."),
        {"field": field, "limit": limit},
    )


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _date_problem(value: str, field: str) -> Rejected | None:
    """An empty date is no date; one that does not exist (2017-02-30) is refused, naming it."""
    if not value or _as_date(value) is not None:
        return None
    return Rejected(
        "bad_date", N_("{field}: {value} is not a date."), {"field": field, "value": value}
    )


def _meeting_date(state: MeetingState) -> date | None:
    return _as_date(state.info.date) if state.info else None


def _today(ctx: Context) -> date:
    return datetime.fromtimestamp(ctx.now, VIETNAM).date()


def _higher_level(wanted: Level | None, state: MeetingState) -> Level | Rejected:
    """Forwarding goes up: to the level asked for, or the next one above the meeting's."""
    meeting_level = state.info.level if state.info else "ward"
    higher = LEVELS[LEVELS.index(meeting_level) + 1 :]
    if not higher:
        return Rejected("no_higher_level", N_("There is no higher level to forward to."))
    if wanted is not None and wanted not in higher:
        return Rejected("not_higher", N_("Forward only to a higher level than this meeting's."))
    return wanted or higher[0]


def _prior_outcome(draft: PriorOutcomeDraft, state: MeetingState) -> PriorOutcome | Rejected:
    agency, reference, text = (
        clean_text(draft.agency),
        clean_text(draft.reference),
        _clean_answer(draft.text),
    )
    problem = (
        _too_long(agency, MAX_NAME, N_("Agency"))
        or _too_long(reference, MAX_NAME, N_("Document number"))
        or _too_long(text, MAX_ANSWER, N_("Answer"))
        or _date_problem(draft.on, N_("Date"))
        or _date_problem(draft.deadline, N_("Answer deadline"))
    )
    if problem:
        return problem
    held = _meeting_date(state)
    if draft.on and held and date.fromisoformat(draft.on) > held:
        return Rejected(
            "after_the_meeting",
            N_("{value} is after the meeting: an answer before the meeting is dated before it."),
            {"value": draft.on},
        )
    if draft.kind == "answered":
        if not (text or reference):
            return Rejected(
                "answer_required", N_("Give the written answer or its document number.")
            )
        return PriorOutcome("answered", agency, reference, draft.on, text)
    level = _higher_level(draft.forwarded_to, state)
    if isinstance(level, Rejected):
        return level
    start = _as_date(draft.on) or held or date(1970, 1, 1)
    deadline = draft.deadline or (start + timedelta(days=WRITTEN_ANSWER_DAYS)).isoformat()
    return PriorOutcome("forwarded", agency, reference, draft.on, text, level, deadline)


def _room(state: MeetingState, more: int = 1) -> Rejected | None:
    """Room for the host's, the secretaries' and the import's questions; phones' are not counted."""
    if sum(q.source != "phone" for q in state.questions) + more > MAX_QUESTIONS:
        return Rejected(
            "too_many_questions", N_("At most {limit} questions."), {"limit": MAX_QUESTIONS}
        )
    return None


def _phone_room(state: MeetingState, ctx: Context, site_id: str) -> Rejected | None:
    """The phones' own cap, then one phone's budget, then its site's (one join link's)."""
    phones = [q for q in state.questions if q.source == "phone"]
    if sum(q.moderation != "rejected" for q in phones) >= MAX_PHONE_QUESTIONS:
        return Rejected(
            "too_many_questions", N_("At most {limit} questions."), {"limit": MAX_PHONE_QUESTIONS}
        )
    return over_budget(
        (q.at for q in phones if q.device_id == ctx.actor.device_id),
        ctx,
        PHONE_QUESTIONS_PER_WINDOW,
        N_("You have sent {limit} questions in {minutes} minutes. Please wait a little."),
    ) or over_budget(
        (q.at for q in phones if q.site_id == site_id),
        ctx,
        SITE_PHONE_QUESTIONS_PER_WINDOW,
        N_(
            "Phones at your site have sent {limit} questions in {minutes} minutes. "
            "Please wait a little, or give your question to your site's secretary."
        ),
    )


def decide_import(command: ImportQuestions, state: MeetingState, ctx: Context) -> Decision:
    problem = _room(state, len(command.questions))
    if problem:
        return problem
    records = []
    for number, draft in enumerate(command.questions, start=1):
        record = _record(draft, ctx.new_id(), "intake", state)
        if isinstance(record, Rejected):  # all or nothing: say which one
            return Rejected(
                record.code,
                N_("Question {number}: {problem}"),
                # the row's own placeholders travel along, so {problem} can be filled in too
                {**record.params, "number": number, "problem": record.message},
            )
        records.append(record)
    return [QuestionsImported(tuple(records), ctx.now)] if records else []


def decide_add(command: AddQuestion, state: MeetingState, ctx: Context) -> Decision:
    actor, draft = ctx.actor, command.question
    if actor.role == "secretary":  # their own site, whether the draft names it or not
        draft = msgspec.structs.replace(draft, site_id=actor.site_id)
    problem = _room(state)
    if problem:
        return problem
    record = _record(draft, ctx.new_id(), "manual", state)
    return record if isinstance(record, Rejected) else [QuestionAdded(record, ctx.now)]


def _existing(question_id: str, state: MeetingState) -> Question | Rejected:
    question = state.question(question_id)
    if question is None:
        return Rejected(
            "unknown_question", N_("No question {question_id}."), {"question_id": question_id}
        )
    return question


def _open(question_id: str, state: MeetingState) -> Question | Rejected:
    question = _existing(question_id, state)
    if isinstance(question, Question) and not question.open:
        return Rejected(
            "question_not_open", N_("This question is not open (moderated away or merged).")
        )
    return question


def decide_edit(command: EditQuestion, state: MeetingState, ctx: Context) -> Decision:
    question = _existing(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    actor, draft = ctx.actor, command.question
    if actor.role == "secretary":  # it stays at their own site
        draft = msgspec.structs.replace(draft, site_id=actor.site_id)
    record = _record(draft, question.question_id, question.source, state)
    if isinstance(record, Rejected):
        return record
    return [QuestionEdited(record)]


def decide_submit(command: SubmitQuestion, state: MeetingState, ctx: Context) -> Decision:
    site_id, device_id = phone_of(ctx)
    if state.question(command.question_id) is not None:
        return Rejected("question_exists", N_("This question exists already."))
    problem = _phone_room(state, ctx, site_id)
    if problem:
        return problem
    draft = QuestionDraft(
        text=command.text, asker=command.asker, group=command.group, site_id=site_id
    )
    record = _record(draft, command.question_id, "phone", state)
    if isinstance(record, Rejected):
        return record
    return [QuestionSubmitted(record, device_id, ctx.now)]


def decide_moderate(command: ModerateQuestion, state: MeetingState, _ctx: Context) -> Decision:
    question = _existing(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    if question.moderation != "pending":
        return Rejected("already_moderated", N_("This question was moderated already."))
    return [QuestionModerated(question.question_id, command.approve)]


def decide_merge(command: MergeQuestions, state: MeetingState, _ctx: Context) -> Decision:
    into = _open(command.into_id, state)
    if isinstance(into, Rejected):
        return into
    merged = tuple(dict.fromkeys(command.merged_ids))
    if command.into_id in merged:
        return Rejected("merge_into_itself", N_("A question cannot be merged into itself."))
    for question_id in merged:
        found = _open(question_id, state)
        if isinstance(found, Rejected):
            return found
        if state.on_screen == question_id:
            return Rejected(
                "question_on_screen", N_("This question is on screen now; move on first.")
            )
    return [QuestionsMerged(command.into_id, merged)]


def decide_support(command: SupportQuestion, state: MeetingState, ctx: Context) -> Decision:
    site_id, device_id = phone_of(ctx)
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    if device_id in question.supporters:
        return Rejected("already_supported", N_("You support this question already."))
    problem = over_budget(
        (at for site, at in question.supported_at if site == site_id),
        ctx,
        SITE_SUPPORTS_PER_WINDOW,
        N_(
            "Phones at your site have supported this question {limit} times in {minutes} "
            "minutes. Please wait a little."
        ),
    )
    return problem or [QuestionSupported(question.question_id, device_id, site_id, ctx.now)]


def decide_show(command: ShowQuestion, state: MeetingState, ctx: Context) -> Decision:
    if command.question_id is not None:
        question = _open(command.question_id, state)
        if isinstance(question, Rejected):
            return question
    # Showing the question on screen again is a no-op, unless a ballot's results cover it.
    unchanged = command.question_id == state.on_screen and state.ballot_on_screen is None
    return [] if unchanged else [QuestionShown(command.question_id, ctx.now)]


def decide_answerer(command: SetAnswerer, state: MeetingState, _ctx: Context) -> Decision:
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    name, role = clean_text(command.name), clean_text(command.role)
    problem = text_problem(name, MAX_NAME, N_("Name")) or (
        text_problem(role, MAX_NAME, N_("Role")) if role else None
    )
    if problem:
        return problem
    return [AnswererSet(question.question_id, name, role)]


def decide_edit_answer(command: EditAnswer, state: MeetingState, _ctx: Context) -> Decision:
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    if command.base_length != len(question.answer) or not 0 <= command.keep <= command.base_length:
        return Rejected(
            "answer_changed",
            N_("The answer changed meanwhile; your text is sent again on top of it."),
        )
    tail = without_controls(command.tail)
    if command.keep + len(tail) > MAX_ANSWER:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": N_("Answer"), "limit": MAX_ANSWER},
        )
    if question.answer[: command.keep] + tail == question.answer:
        return []
    return [AnswerEdited(question.question_id, command.keep, tail)]


def written_deadline(state: MeetingState) -> str:
    """The default deadline; none when the meeting's date is no real day (an old log may hold
    2017-02-30: the desk shows the meeting rather than fail)."""
    held = _meeting_date(state) if state.info else date(1970, 1, 1)
    return (held + timedelta(days=WRITTEN_ANSWER_DAYS)).isoformat() if held else ""


def decide_decision(command: DecideQuestion, state: MeetingState, ctx: Context) -> Decision:
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    agency, reason = clean_text(command.agency), clean_text(command.reason)
    problem = (
        _too_long(agency, MAX_NAME, N_("Agency"))
        or _too_long(reason, MAX_TOPIC, N_("Reason"))
        or _date_problem(command.deadline, N_("Answer deadline"))
    )
    if problem:
        return problem
    forwarded_to: Level | None = None
    if command.decision == "written" and not agency:
        return Rejected("agency_required", N_("Name the agency that will answer in writing."))
    if command.decision == "forwarded":
        level = _higher_level(command.forwarded_to, state)
        if isinstance(level, Rejected):
            return level
        forwarded_to = level
    if command.decision == "not_taken_up" and not reason:
        return Rejected("reason_required", N_("Give the reason it is not taken up."))
    # Both promise an answer by a date, followed up until it is given.
    promised = command.decision in ("written", "forwarded")
    # Keep only what belongs to the decision taken, so a changed mind leaves no stale agency.
    return [
        QuestionDecided(
            question_id=question.question_id,
            decision=command.decision,
            agency=agency if promised else "",
            deadline=(command.deadline or written_deadline(state)) if promised else "",
            forwarded_to=forwarded_to,
            reason=reason if command.decision == "not_taken_up" else "",
            at=ctx.now,
        )
    ]


def decide_prior_outcome(command: SetPriorOutcome, state: MeetingState, _ctx: Context) -> Decision:
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    if question.decision is not None and not question.decided_before:
        return Rejected(
            "decided_at_meeting",
            N_("The chair decided this question at the meeting; change the decision there."),
        )
    prior = None if command.prior is None else _prior_outcome(command.prior, state)
    if isinstance(prior, Rejected):
        return prior
    if prior == question.prior:
        return []
    return [PriorOutcomeSet(question.question_id, prior)]


def decide_written_answer(
    command: RecordWrittenAnswer, state: MeetingState, ctx: Context
) -> Decision:
    question = _open(command.question_id, state)
    if isinstance(question, Rejected):
        return question
    if question.decision not in ("written", "forwarded"):
        return Rejected(
            "no_answer_promised", N_("No written answer was promised for this question.")
        )
    text = _clean_answer(command.text)
    problem = text_problem(text, MAX_ANSWER, N_("Answer")) or _sent_on_problem(
        command.answered_on, question, state, ctx
    )
    if problem:
        return problem
    if (text, command.answered_on) == (question.written_answer, question.answered_on):
        return []
    if question.answered_on:
        return [WrittenAnswerCorrected(question.question_id, text, command.answered_on, ctx.now)]
    return [WrittenAnswerRecorded(question.question_id, text, command.answered_on)]


def _sent_on_problem(
    value: str, question: Question, state: MeetingState, ctx: Context
) -> Rejected | None:
    """A written answer is sent on a real day, not after today, and (when the chair promised it)
    not before the meeting that promised it."""
    problem = _date_problem(value, N_("Sent on"))
    if problem:
        return problem
    sent, held = date.fromisoformat(value), _meeting_date(state)
    if sent > _today(ctx):
        return Rejected(
            "date_in_future",
            N_("{value} has not come yet: give the date it was sent."),
            {"value": value},
        )
    if held and sent < held and not question.decided_before:
        return Rejected(
            "before_the_meeting",
            N_("{value} is before the meeting that promised this answer."),
            {"value": value},
        )
    return None


# --- apply --------------------------------------------------------------------------------------


def question_from(record: QuestionRecord, at: float, **more: object) -> Question:
    asker = (
        (Asker(record.asker, record.group, record.site_id),) if record.asker or record.group else ()
    )
    question = Question(
        question_id=record.question_id,
        text=record.text,
        askers=asker,
        site_id=record.site_id,
        field=record.field,
        body=record.body,
        level=record.level,
        source=record.source,
        prepared_answer=record.prepared_answer,
        at=at,
        own_asker=bool(asker),
    )
    if record.prior is not None:
        question = _settled_before(question, record.prior)
    return msgspec.structs.replace(question, **more) if more else question


def _settled_before(question: Question, prior: PriorOutcome | None) -> Question:
    """The question as settled before the meeting, or (None) left to the meeting again."""
    if prior is None:
        return msgspec.structs.replace(
            question, prior=None, decision=None, agency="", deadline="", forwarded_to=None
        )
    forwarded = prior.kind == "forwarded"
    return msgspec.structs.replace(
        question,
        prior=prior,
        decision="forwarded" if forwarded else "answered_before",
        agency=prior.agency,
        deadline=prior.deadline,
        forwarded_to=prior.forwarded_to,
        reason="",
    )


def _add(state: MeetingState, *questions: Question) -> MeetingState:
    return msgspec.structs.replace(state, questions=(*state.questions, *questions))


def _change(
    state: MeetingState, question_id: str, change: Callable[[Question], Question]
) -> MeetingState:
    questions = tuple(change(q) if q.question_id == question_id else q for q in state.questions)
    return msgspec.structs.replace(state, questions=questions)


def apply_imported(event: QuestionsImported, state: MeetingState) -> MeetingState:
    return _add(state, *(question_from(record, event.at) for record in event.questions))


def apply_added(event: QuestionAdded, state: MeetingState) -> MeetingState:
    return _add(state, question_from(event.question, event.at))


def apply_edited(event: QuestionEdited, state: MeetingState) -> MeetingState:
    record = event.question

    def edit(question: Question) -> Question:
        # Only the question's own asker changes; askers merged into it stay.
        merged = question.askers[1:] if question.own_asker else question.askers
        named = bool(record.asker or record.group)
        own = (Asker(record.asker, record.group, record.site_id),) if named else ()
        return msgspec.structs.replace(
            question,
            text=record.text,
            askers=(*own, *merged),
            own_asker=named,
            site_id=record.site_id,
            field=record.field,
            body=record.body,
            level=record.level,
            prepared_answer=record.prepared_answer,
        )

    return _change(state, record.question_id, edit)


def apply_submitted(event: QuestionSubmitted, state: MeetingState) -> MeetingState:
    return _add(
        state,
        question_from(event.question, event.at, device_id=event.device_id, moderation="pending"),
    )


def apply_moderated(event: QuestionModerated, state: MeetingState) -> MeetingState:
    verdict = "approved" if event.approved else "rejected"
    return _change(
        state, event.question_id, lambda q: msgspec.structs.replace(q, moderation=verdict)
    )


def apply_merged(event: QuestionsMerged, state: MeetingState) -> MeetingState:
    merged = [q for q in state.questions if q.question_id in event.merged_ids]

    def absorb(question: Question) -> Question:
        askers = list(question.askers)
        for other in merged:
            askers += [a for a in other.askers if a not in askers]
        supporters = tuple(
            dict.fromkeys([*question.supporters, *(d for q in merged for d in q.supporters)])
        )
        marks = (*question.supported_at, *(m for q in merged for m in q.supported_at))
        return msgspec.structs.replace(
            question, askers=tuple(askers), supporters=supporters, supported_at=marks
        )

    state = _change(state, event.into_id, absorb)
    questions = tuple(
        msgspec.structs.replace(q, merged_into=event.into_id)
        if q.question_id in event.merged_ids
        else q
        for q in state.questions
    )
    return msgspec.structs.replace(state, questions=questions)


def apply_supported(event: QuestionSupported, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(
            q,
            supporters=(*q.supporters, event.device_id),
            supported_at=(*q.supported_at, (event.site_id, event.at)),
        ),
    )


def apply_shown(event: QuestionShown, state: MeetingState) -> MeetingState:
    # a new question on screen takes the place of a ballot's results
    on_ballot = state.ballot_on_screen if event.question_id is None else None
    state = msgspec.structs.replace(state, on_screen=event.question_id, ballot_on_screen=on_ballot)
    if event.question_id is None:
        return state
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(q, shown_at=q.shown_at or event.at),
    )


def apply_answerer(event: AnswererSet, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(q, answerer_name=event.name, answerer_role=event.role),
    )


def apply_answer_edited(event: AnswerEdited, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(q, answer=q.answer[: event.keep] + event.tail),
    )


def apply_decided(event: QuestionDecided, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(
            q,
            prior=None,  # the chair's decision at the meeting is what the question ends with
            decision=event.decision,
            agency=event.agency,
            deadline=event.deadline,
            forwarded_to=event.forwarded_to,
            reason=event.reason,
        ),
    )


def apply_written_answer(event: WrittenAnswerRecorded, state: MeetingState) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(
            q, written_answer=event.text, answered_on=event.answered_on
        ),
    )


def apply_prior_outcome(event: PriorOutcomeSet, state: MeetingState) -> MeetingState:
    return _change(state, event.question_id, lambda q: _settled_before(q, event.prior))


def apply_written_answer_corrected(
    event: WrittenAnswerCorrected, state: MeetingState
) -> MeetingState:
    return _change(
        state,
        event.question_id,
        lambda q: msgspec.structs.replace(
            q,
            written_answer=event.text,
            answered_on=event.answered_on,
            earlier_answers=(*q.earlier_answers, (q.written_answer, q.answered_on)),
        ),
    )


DECIDERS: tuple[Callable[..., Decision], ...] = (
    decide_import,
    decide_add,
    decide_edit,
    decide_submit,
    decide_moderate,
    decide_merge,
    decide_support,
    decide_show,
    decide_answerer,
    decide_edit_answer,
    decide_decision,
    decide_written_answer,
    decide_prior_outcome,
)
APPLIERS: tuple[Callable[..., MeetingState], ...] = (
    apply_imported,
    apply_added,
    apply_edited,
    apply_submitted,
    apply_moderated,
    apply_merged,
    apply_supported,
    apply_shown,
    apply_answerer,
    apply_answer_edited,
    apply_decided,
    apply_written_answer,
    apply_prior_outcome,
    apply_written_answer_corrected,
)
