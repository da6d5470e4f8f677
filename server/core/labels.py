"""The names of the core's codes (levels, bodies, decisions, choices…) as catalogue msgids: the
pages show them in the reader's language, the papers in Vietnamese, from the same catalogue."""

from __future__ import annotations

from server.core.rules import N_

LEVEL_NAMES = {
    "ward": N_("Ward"),
    "district": N_("District"),
    "city": N_("City"),
    "central": N_("Central"),
}
BODY_NAMES = {
    "party": N_("Party committee"),
    "council": N_("People's Council"),
    "committee": N_("People's Committee"),
    "other": N_("Other"),
}
DECISION_NAMES = {
    "undecided": N_("Not decided yet"),
    "on_the_spot": N_("Answered on the spot"),
    "written": N_("Written answer later"),
    "forwarded": N_("Forwarded to the competent level"),
    "not_taken_up": N_("Not taken up"),
    "answered_before": N_("Answered before the meeting"),
    "forwarded_before": N_("Forwarded before the meeting"),
    "pending": N_("Waiting for moderation"),
    "rejected": N_("Rejected"),
    "merged": N_("Merged"),
}
CHOICE_NAMES = {
    "satisfied": N_("Satisfied"),
    "partly": N_("Partly satisfied"),
    "not_satisfied": N_("Not satisfied"),
}
FOLLOW_UP_NAMES = {
    "pending": N_("Waiting for the answer"),
    "answered": N_("Answered in writing"),
    "overdue": N_("Overdue"),
}
# A paper's column "Tình trạng" under "Theo dõi nội dung hẹn trả lời sau" says it in a word.
FOLLOW_UP_SHORT_NAMES = {
    "pending": N_("Waiting"),
    "answered": N_("Answered"),
    "overdue": N_("Overdue"),
}
SOURCE_NAMES = {
    "intake": N_("Collected before the meeting"),
    "manual": N_("Entered by a secretary"),
    "phone": N_("From a phone"),
    "turn": N_("Raised in a turn"),
}
# What the papers' `label(kind, code)` reads.
NAMES: dict[str, dict[str, str]] = {
    "level": LEVEL_NAMES,
    "body": BODY_NAMES,
    "decision": DECISION_NAMES,
    "choice": CHOICE_NAMES,
    "follow_up": FOLLOW_UP_SHORT_NAMES,
    "source": SOURCE_NAMES,
}
