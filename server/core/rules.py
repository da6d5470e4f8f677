"""What every rule shares: rejections, the decision context, text cleaning, who may touch what."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import msgspec

from server.core.commands import Actor
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
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(text.split())


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
