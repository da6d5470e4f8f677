"""What every rule shares: rejections, the decision context, text cleaning, budgets."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

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


OTHER_SITE = Rejected("other_site", N_("You may change only your own site."))


def phone_of(ctx: Context) -> tuple[str, str]:
    """The sending phone's site and device. permissions.permitted lets no phone's command through
    without both, so a rule asked for one always has them."""
    site_id, device_id = ctx.actor.site_id, ctx.actor.device_id
    if site_id is None or device_id is None:
        raise ValueError("a phone's command without its site or device")
    return site_id, device_id


def unknown_site(site_id: str, state: MeetingState) -> Rejected | None:
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
