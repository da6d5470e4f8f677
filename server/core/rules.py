"""What every rule shares: rejections, the decision context, text cleaning, who may touch what."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

import msgspec

from server.core.commands import (
    Actor,
    AddQuestion,
    DecideQuestion,
    EditAnswer,
    EditQuestion,
    MergeQuestions,
    ModerateQuestion,
    Role,
    SetAnswerer,
    SetPriorOutcome,
    ShowQuestion,
)
from server.core.events import Event
from server.core.state import MeetingState


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Marks a message for translation; the shell translates it when it answers."""
    return message


class Rejected(msgspec.Struct, frozen=True):
    """A refused command. `message` is an English msgid; `params` fill its placeholders."""

    code: str
    message: str
    params: dict[str, str | int] = {}
    retryable: bool = False


class Context(msgspec.Struct, frozen=True):
    actor: Actor
    now: float
    new_id: Callable[[], str]
    meeting_id: str = ""


Decision = Sequence[Event] | Rejected


def clean_text(raw: str) -> str:
    """NFC, single-line, no control characters, trimmed: what users mean by their text."""
    text = unicodedata.normalize("NFC", raw)
    # Control and format characters (category C) become a space: bidi embeddings, overrides and
    # isolates, zero-width characters, the Arabic letter mark and the BOM (all Cf) among them, so
    # no name can show reversed on a projector.
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(text.split())


def without_controls(typed: str) -> str:
    """Typed text as it grows (the live answer): line breaks kept, spaces kept where typed, every
    other control and format character (bidi overrides, zero-width marks) removed. The page
    removes the same ones before it sends (static/js/answer.js), so the two never disagree."""
    text = typed.replace("\r\n", "\n")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf"))


def text_problem(text: str, limit: int, field: str) -> Rejected | None:
    if not text:
        return Rejected("empty_text", N_("{field} must not be empty."), {"field": field})
    if len(text) > limit:
        return Rejected(
            "text_too_long",
            N_("{field} is too long: at most {limit} characters."),
            {"field": field, "limit": limit},
        )
    return None


FORBIDDEN = Rejected("forbidden", N_("Your role may not do this."))
NO_MEETING = Rejected("no_meeting", N_("This meeting does not exist yet."))


def host_only(ctx: Context) -> Rejected | None:
    return None if ctx.actor.role == "host" else FORBIDDEN


# Roles that stand in for another on a list of commands, and may do nothing else (P5). The
# questions desk runs the questions with the host's hand; the floor, the agenda, the speaking
# time, seat cards and ballots (a ballot on a question too) stay the host's.
STANDS_IN: dict[Role, tuple[Role, frozenset[type]]] = {
    "desk": (
        "host",
        frozenset(
            {
                AddQuestion,
                EditQuestion,
                ModerateQuestion,
                MergeQuestions,
                ShowQuestion,
                SetAnswerer,
                EditAnswer,
                DecideQuestion,
                SetPriorOutcome,
            }
        ),
    ),
    # The video mixer's overlay sees what a display sees and may do nothing.
    "overlay": ("display", frozenset()),
}


def permitted(command: object, ctx: Context) -> Context | Rejected:
    """The context a command is decided in: a stand-in role acts as the role it stands in for,
    on its own commands only; every other role as itself (its rules check it further)."""
    stand_in = STANDS_IN.get(ctx.actor.role)
    if stand_in is None:
        return ctx
    role, commands = stand_in
    if type(command) not in commands:
        return FORBIDDEN
    return msgspec.structs.replace(ctx, actor=Actor(role=role))


OTHER_SITE = Rejected("other_site", N_("You may change only your own site."))


def site_problem(site_id: str, state: MeetingState, ctx: Context) -> Rejected | None:
    """The host may touch any site; a site secretary only their own (P5)."""
    role = ctx.actor.role
    if role == "secretary" and ctx.actor.site_id != site_id:
        return OTHER_SITE
    if role not in ("host", "secretary"):
        return FORBIDDEN
    if state.site(site_id) is None:
        return Rejected("unknown_site", N_("No site {site_id}."), {"site_id": site_id})
    return None


BUDGET_SECONDS = 600  # the window every budget of phones counts in


def over_budget(times: Iterable[float], ctx: Context, limit: int, message: str) -> Rejected | None:
    """Refused when `limit` of these happened in the last BUDGET_SECONDS by the context's clock:
    a budget of one phone, or of all the phones of one site (one join link)."""
    recent = sum(1 for at in times if ctx.now - at < BUDGET_SECONDS)
    if recent < limit:
        return None
    return Rejected("rate_limited", message, {"limit": limit, "minutes": BUDGET_SECONDS // 60})
