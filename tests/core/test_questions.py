"""Questions (server/core/questions.py): every question command through decide(), every rejection
code, the permission matrix, the folds of the question events, the round trip through the log,
the views that show questions, and a property of the live answer.
"""

from __future__ import annotations

import functools
import typing
import unicodedata

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from server.core import questions, views
from server.core.apply import apply, replay
from server.core.commands import (
    MAX_ANSWER,
    MAX_NAME,
    MAX_QUESTION,
    Actor,
    AddQuestion,
    Command,
    DecideQuestion,
    EditAnswer,
    EditQuestion,
    ImportQuestions,
    MergeQuestions,
    ModerateQuestion,
    PriorOutcomeDraft,
    QuestionDraft,
    RecordOpinion,
    RecordWrittenAnswer,
    SetAnswerer,
    SetPriorOutcome,
    ShowQuestion,
    SubmitQuestion,
    SupportQuestion,
)
from server.core.decide import Rejected
from server.core.events import (
    DEFAULT_FIELDS,
    AnswerEdited,
    AnswererSet,
    Body,
    Event,
    Level,
    OpinionRecorded,
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
    SpeakerCalled,
    SpeakerQueued,
    SpeakRequested,
    WrittenAnswerCorrected,
    WrittenAnswerRecorded,
    decode_event,
    encode_event,
)
from server.core.rules import without_controls
from server.core.state import Asker, MeetingState, Question
from server.core.views import delegate_view, display_view, questions_view
from tests.core.support import (
    ACTORS,
    DISPLAY,
    HALL,
    HOST,
    NOW,
    ORGANISER,
    SEC_A,
    SEC_B,
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
    nfd,
    run,
)

# re-exported: tests/web/test_abuse.py imports SITE_A from here
from tests.core.support import SITE_A as SITE_A  # noqa: PLC0414

UNKNOWN = "no-such-question"
FIELD = DEFAULT_FIELDS[1]
MEETING_DATE = "2023-11-01"
DEFAULT_DEADLINE = "2023-11-16"  # the meeting date + 15 days


def rec(
    question_id: str,
    text: str,
    *,
    asker: str = "",
    group: str = "",
    site: str | None = None,
    field: str = "",
    body: Body = "committee",
    level: Level = "ward",
    prepared: str = "",
    source: QuestionSource = "intake",
) -> QuestionRecord:
    return QuestionRecord(
        question_id, text, asker, group, site, field, body, level, prepared, source
    )


def question(state: MeetingState, question_id: str) -> Question:
    found = state.question(question_id)
    assert found is not None, question_id
    return found


CREATED = created(date=MEETING_DATE)
BASE = replay([CREATED])
DISTRICT = replay([created(date=MEETING_DATE, level="district")])
CITY = replay([created(date=MEETING_DATE, level="city")])
CENTRAL = replay([created(date=MEETING_DATE, level="central")])


# STATE: one of everything. i1..i3 imported (i1 of site A, with g1 merged into it), m1 added at
# site A, p1 pending from a phone, p2 approved, p3 rejected, i2 on screen with an answer being
# typed, d1 decided (forwarded).
I1_TEXT = "Đề nghị công khai tiến độ cấp giấy chứng nhận quyền sử dụng đất"
I2_ANSWER = "Phường đã lập biên bản."
QUESTION_EVENTS: list[Event] = [
    QuestionsImported(
        (
            rec(
                "i1", I1_TEXT, asker="Ông An", group="Tổ 5", site=SITE_A, field=FIELD, prepared="46"
            ),
            rec(
                "i2",
                "Tình trạng xây dựng không phép tại ngõ 12 kéo dài",
                asker="Bà Bình",
                site=SITE_B,
            ),
            rec("i3", "Cần thêm đèn chiếu sáng công cộng"),
        ),
        T0 + 1,
    ),
    QuestionAdded(
        rec(
            "m1",
            "Bếp ăn tập thể ở trường mầm non chưa đảm bảo vệ sinh",
            asker="Chị Cúc",
            site=SITE_A,
            source="manual",
        ),
        T0 + 2,
    ),
    QuestionSubmitted(
        rec("p1", "Khi nào sửa đường Cổ Linh?", asker="Anh Dũng", site=SITE_A, source="phone"),
        "dev-1",
        T0 + 3,
    ),
    QuestionSubmitted(
        rec("p2", "Xin hỏi về học phí năm học mới", site=SITE_B, source="phone"), "dev-2", T0 + 4
    ),
    QuestionModerated("p2", approved=True),
    QuestionSubmitted(rec("p3", "Quảng cáo", site=SITE_B, source="phone"), "dev-3", T0 + 5),
    QuestionModerated("p3", approved=False),
    QuestionAdded(
        rec(
            "g1",
            "Đề nghị công khai tiến độ cấp sổ đỏ",
            asker="Ông Giao",
            site=SITE_B,
            source="manual",
        ),
        T0 + 6,
    ),
    QuestionsMerged("i1", ("g1",)),
    QuestionSupported("i2", "dev-2"),
    QuestionSupported("i2", "dev-7"),
    QuestionSupported("p2", "dev-7"),
    QuestionShown("i2", T0 + 10),
    AnswererSet("i2", "Ông Hùng", "Chủ tịch UBND phường"),
    AnswerEdited("i2", 0, I2_ANSWER),
    QuestionAdded(
        rec("d1", "Đề nghị quận nạo vét mương", site=SITE_B, level="district", source="manual"),
        T0 + 7,
    ),
    QuestionDecided("d1", "forwarded", "", "", "district", "", T0 + 11),
]
STATE = fold(BASE, *QUESTION_EVENTS)
NOTHING_SHOWN = apply(STATE, QuestionShown(None, T0 + 12))


@functools.cache
def with_questions(count: int) -> MeetingState:
    """BASE with `count` imported questions, built directly (folding 10,000 one by one is slow)."""
    bulk = tuple(questions.question_from(rec(f"bulk-{i}", "Câu hỏi"), T0) for i in range(count))
    return msgspec.structs.replace(BASE, questions=bulk)


def submitted_at(*ages: float, device: str = "dev-r") -> MeetingState:
    """BASE with one phone question from `device` per age (seconds before NOW)."""
    return fold(
        BASE,
        *(
            QuestionSubmitted(
                rec(f"r{i}", "Câu hỏi", site=SITE_A, source="phone"), device, NOW - age
            )
            for i, age in enumerate(ages)
        ),
    )


def test_state_is_what_the_tables_assume() -> None:
    statuses = {q.question_id: q.status for q in STATE.questions}
    assert statuses == {
        "i1": "undecided",
        "i2": "undecided",
        "i3": "undecided",
        "m1": "undecided",
        "p1": "pending",
        "p2": "undecided",
        "p3": "rejected",
        "g1": "merged",
        "d1": "forwarded",
    }
    assert STATE.on_screen == "i2"
    assert NOTHING_SHOWN.on_screen is None
    assert question(STATE, "i2").answer == I2_ANSWER
    assert question(STATE, "i2").supporters == ("dev-2", "dev-7")
    assert [a.name for a in question(STATE, "i1").askers] == ["Ông An", "Ông Giao"]
    assert len(with_questions(questions.MAX_QUESTIONS).questions) == questions.MAX_QUESTIONS


# --- accepted commands: exactly these events ----------------------------------------------------

LONG_NAME = nfd("ế" * MAX_NAME)  # 360 code points that are 120 letters after NFC
LONG_QUESTION = nfd("ế" * MAX_QUESTION)  # 15,000 code points that are 5,000 letters after NFC
SCRIPT = "<script>alert('x')</script> & <b>đường</b>"

ANSWERED_BEFORE = PriorOutcome("answered", "UBND phường", "Công văn số 45/UBND", "2023-10-20")
FORWARDED_BEFORE = PriorOutcome(
    "forwarded", "UBND quận", "", "2023-10-25", "", "district", "2023-11-09"
)
SETTLED_BEFORE = fold(STATE, PriorOutcomeSet("i1", ANSWERED_BEFORE))
ANSWERED_AT_MEETING = fold(
    STATE,
    QuestionDecided("i1", "written", "UBND", DEFAULT_DEADLINE, None, "", T0),
    WrittenAnswerRecorded("i1", "Đã trả lời", "2023-11-05"),
)

ACCEPTED: list[tuple[str, MeetingState, Command, Actor, list[Event]]] = [
    # SetPriorOutcome
    (
        "prior-answered-with-a-document-number",
        STATE,
        SetPriorOutcome(
            "i1",
            PriorOutcomeDraft(
                "answered", nfd(" UBND  phường "), " Công văn số 45/UBND ", "2023-10-20"
            ),
        ),
        HOST,
        [PriorOutcomeSet("i1", ANSWERED_BEFORE)],
    ),
    (
        "prior-forwarded-takes-the-next-level-and-a-deadline-from-its-date",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("forwarded", "UBND quận", on="2023-10-25")),
        HOST,
        [PriorOutcomeSet("i1", FORWARDED_BEFORE)],
    ),
    (
        "prior-left-to-the-meeting-again",
        SETTLED_BEFORE,
        SetPriorOutcome("i1", None),
        HOST,
        [PriorOutcomeSet("i1", None)],
    ),
    (
        "prior-the-same-again-is-nothing",
        SETTLED_BEFORE,
        SetPriorOutcome(
            "i1", PriorOutcomeDraft("answered", "UBND phường", "Công văn số 45/UBND", "2023-10-20")
        ),
        HOST,
        [],
    ),
    (
        "written-answer-corrected",
        ANSWERED_AT_MEETING,
        RecordWrittenAnswer("i1", "Đã trả lời", "2023-11-06"),
        HOST,
        [WrittenAnswerCorrected("i1", "Đã trả lời", "2023-11-06", NOW)],
    ),
    (
        "written-answer-recorded-again-the-same-is-nothing",
        ANSWERED_AT_MEETING,
        RecordWrittenAnswer("i1", "Đã trả lời", "2023-11-05"),
        HOST,
        [],
    ),
    # RecordWrittenAnswer
    (
        "written-answer-recorded",
        STATE,
        RecordWrittenAnswer("d1", nfd(" Đã trả lời  bằng văn bản "), "2023-11-10"),
        HOST,
        [WrittenAnswerRecorded("d1", "Đã trả lời bằng văn bản", "2023-11-10")],
    ),
    # ImportQuestions
    (
        "import-cleans-every-text-and-keeps-line-breaks-of-answers",
        STATE,
        ImportQuestions(
            [
                QuestionDraft(
                    text=nfd("  Đường\tngập \n ở tổ 5 "),
                    asker=nfd(" Nguyễn  Văn An "),
                    group=" Tổ\x005 ",
                    site_id=SITE_A,
                    field=nfd(f" {FIELD} "),
                    body="council",
                    level="district",
                    prepared_answer=nfd("  Một\r\nHai  \n\tBa\x00 cái "),
                ),
                QuestionDraft(text="Câu hỏi thứ hai"),
            ]
        ),
        ORGANISER,
        [
            QuestionsImported(
                (
                    rec(
                        "new-1",
                        "Đường ngập ở tổ 5",
                        asker="Nguyễn Văn An",
                        group="Tổ 5",
                        site=SITE_A,
                        field=FIELD,
                        body="council",
                        level="district",
                        prepared="Một\nHai\nBa cái",
                    ),
                    rec("new-2", "Câu hỏi thứ hai"),
                ),
                NOW,
            )
        ],
    ),
    (
        "import-by-host",
        BASE,
        ImportQuestions([QuestionDraft(text="Một", site_id=HALL)]),
        HOST,
        [QuestionsImported((rec("new-1", "Một", site=HALL),), NOW)],
    ),
    ("import-nothing-changes-nothing", STATE, ImportQuestions([]), HOST, []),
    (
        "import-up-to-the-cap",
        with_questions(questions.MAX_QUESTIONS - 1),
        ImportQuestions([QuestionDraft(text="Cuối cùng")]),
        ORGANISER,
        [QuestionsImported((rec("new-1", "Cuối cùng"),), NOW)],
    ),
    # AddQuestion
    (
        "add-by-host-at-the-limits",
        STATE,
        AddQuestion(
            QuestionDraft(
                text=LONG_QUESTION,
                asker=LONG_NAME,
                group="g" * MAX_NAME,
                site_id=SITE_B,
                body="party",
                level="city",
                prepared_answer="a" * MAX_ANSWER,
            )
        ),
        HOST,
        [
            QuestionAdded(
                rec(
                    "new-1",
                    "ế" * MAX_QUESTION,
                    asker="ế" * MAX_NAME,
                    group="g" * MAX_NAME,
                    site=SITE_B,
                    body="party",
                    level="city",
                    prepared="a" * MAX_ANSWER,
                    source="manual",
                ),
                NOW,
            )
        ],
    ),
    (
        "add-keeps-markup-as-text",
        STATE,
        AddQuestion(QuestionDraft(text=SCRIPT, asker="<i>Ông</i>")),
        HOST,
        [QuestionAdded(rec("new-1", SCRIPT, asker="<i>Ông</i>", source="manual"), NOW)],
    ),
    (
        "add-by-secretary-gets-their-site",
        STATE,
        AddQuestion(QuestionDraft(text="Của phường A", group="Tổ 1")),
        SEC_A,
        [
            QuestionAdded(
                rec("new-1", "Của phường A", group="Tổ 1", site=SITE_A, source="manual"), NOW
            )
        ],
    ),
    (
        "add-by-secretary-naming-their-site",
        STATE,
        AddQuestion(QuestionDraft(text="Của phường B", site_id=SITE_B)),
        SEC_B,
        [QuestionAdded(rec("new-1", "Của phường B", site=SITE_B, source="manual"), NOW)],
    ),
    (
        "add-up-to-the-cap",
        with_questions(questions.MAX_QUESTIONS - 1),
        AddQuestion(QuestionDraft(text="Cuối cùng")),
        HOST,
        [QuestionAdded(rec("new-1", "Cuối cùng", source="manual"), NOW)],
    ),
    # EditQuestion
    (
        "edit-by-host-keeps-id-and-source",
        STATE,
        EditQuestion("i3", QuestionDraft(text=nfd(" Cần thêm  đèn "), asker="Bà Tư", site_id=HALL)),
        HOST,
        [QuestionEdited(rec("i3", "Cần thêm đèn", asker="Bà Tư", site=HALL))],
    ),
    (
        "edit-a-phone-question-stays-a-phone-question",
        STATE,
        EditQuestion("p1", QuestionDraft(text="Khi nào sửa đường?", site_id=SITE_A)),
        HOST,
        [QuestionEdited(rec("p1", "Khi nào sửa đường?", site=SITE_A, source="phone"))],
    ),
    (
        "edit-by-own-secretary-keeps-their-site",
        STATE,
        EditQuestion("m1", QuestionDraft(text="Bếp ăn", asker="Chị Cúc", field=FIELD)),
        SEC_A,
        [
            QuestionEdited(
                rec("m1", "Bếp ăn", asker="Chị Cúc", site=SITE_A, field=FIELD, source="manual")
            )
        ],
    ),
    # SubmitQuestion
    (
        "submit-from-a-phone",
        STATE,
        SubmitQuestion("c-9", nfd("  Xin hỏi\nvề rác "), asker=nfd("Ông Ánh"), group="Tổ 9"),
        delegate("dev-9", SITE_B),
        [
            QuestionSubmitted(
                rec(
                    "c-9",
                    "Xin hỏi về rác",
                    asker="Ông Ánh",
                    group="Tổ 9",
                    site=SITE_B,
                    source="phone",
                ),
                "dev-9",
                NOW,
            )
        ],
    ),
    (
        "submit-a-third-within-the-window",
        submitted_at(599, 1),
        SubmitQuestion("c-3", "Thứ ba"),
        delegate("dev-r"),
        [QuestionSubmitted(rec("c-3", "Thứ ba", site=SITE_A, source="phone"), "dev-r", NOW)],
    ),
    (
        "submit-a-fourth-when-the-first-is-600-s-old",
        submitted_at(600, 300, 1),
        SubmitQuestion("c-4", "Thứ tư"),
        delegate("dev-r"),
        [QuestionSubmitted(rec("c-4", "Thứ tư", site=SITE_A, source="phone"), "dev-r", NOW)],
    ),
    (
        "submit-while-another-phone-is-limited",
        submitted_at(3, 2, 1),
        SubmitQuestion("c-5", "Của máy khác"),
        delegate("dev-other"),
        [
            QuestionSubmitted(
                rec("c-5", "Của máy khác", site=SITE_A, source="phone"), "dev-other", NOW
            )
        ],
    ),
    # ModerateQuestion
    (
        "moderate-approve",
        STATE,
        ModerateQuestion("p1", True),
        HOST,
        [QuestionModerated("p1", True)],
    ),
    (
        "moderate-reject",
        STATE,
        ModerateQuestion("p1", False),
        HOST,
        [QuestionModerated("p1", False)],
    ),
    # MergeQuestions
    (
        "merge-several-once-each",
        STATE,
        MergeQuestions("i1", ["i3", "m1", "i3"]),
        HOST,
        [QuestionsMerged("i1", ("i3", "m1"))],
    ),
    (
        "merge-into-the-one-on-screen",
        STATE,
        MergeQuestions("i2", ["p2"]),
        HOST,
        [QuestionsMerged("i2", ("p2",))],
    ),
    (
        "merge-a-decided-one",
        STATE,
        MergeQuestions("i1", ["d1"]),
        HOST,
        [QuestionsMerged("i1", ("d1",))],
    ),
    # SupportQuestion
    (
        "support",
        STATE,
        SupportQuestion("i1"),
        delegate("dev-9"),
        [QuestionSupported("i1", "dev-9", SITE_A, NOW)],
    ),
    (
        "support-one-more",
        STATE,
        SupportQuestion("i2"),
        delegate("dev-9", SITE_B),
        [QuestionSupported("i2", "dev-9", SITE_B, NOW)],
    ),
    (
        "support-a-decided-one",
        STATE,
        SupportQuestion("d1"),
        delegate("dev-9"),
        [QuestionSupported("d1", "dev-9", SITE_A, NOW)],
    ),
    # ShowQuestion
    ("show-another", STATE, ShowQuestion("i1"), HOST, [QuestionShown("i1", NOW)]),
    ("show-nothing", STATE, ShowQuestion(None), HOST, [QuestionShown(None, NOW)]),
    (
        "show-when-nothing-is-shown",
        NOTHING_SHOWN,
        ShowQuestion("i2"),
        HOST,
        [QuestionShown("i2", NOW)],
    ),
    ("show-the-one-on-screen-changes-nothing", STATE, ShowQuestion("i2"), HOST, []),
    ("show-nothing-again-changes-nothing", NOTHING_SHOWN, ShowQuestion(None), HOST, []),
    # SetAnswerer
    (
        "answerer-cleaned",
        STATE,
        SetAnswerer("i1", nfd("  Ông  Dũng "), role=nfd(" Trưởng\tphòng ")),
        HOST,
        [AnswererSet("i1", "Ông Dũng", "Trưởng phòng")],
    ),
    (
        "answerer-without-role",
        STATE,
        SetAnswerer("i2", "Bà Hoa"),
        HOST,
        [AnswererSet("i2", "Bà Hoa", "")],
    ),
    # EditAnswer
    (
        "answer-first-words",
        STATE,
        EditAnswer("i1", 0, 0, "Xin trả lời"),
        HOST,
        [AnswerEdited("i1", 0, "Xin trả lời")],
    ),
    (
        "answer-append",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), len(I2_ANSWER), " Sẽ xử lý."),
        HOST,
        [AnswerEdited("i2", len(I2_ANSWER), " Sẽ xử lý.")],
    ),
    (
        "answer-delete-the-end",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), 6, ""),
        HOST,
        [AnswerEdited("i2", 6, "")],
    ),
    (
        "answer-replace-all",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), 0, "Khác"),
        HOST,
        [AnswerEdited("i2", 0, "Khác")],
    ),
    (
        "answer-crlf-becomes-lf",
        STATE,
        EditAnswer("i1", 0, 0, "Một\r\nHai\nBa"),
        HOST,
        [AnswerEdited("i1", 0, "Một\nHai\nBa")],
    ),
    (
        "answer-at-the-limit",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), 3, "x" * (MAX_ANSWER - 3)),
        HOST,
        [AnswerEdited("i2", 3, "x" * (MAX_ANSWER - 3))],
    ),
    (
        "answer-no-op-changes-nothing",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), len(I2_ANSWER), ""),
        HOST,
        [],
    ),
    # DecideQuestion
    (
        "decide-on-the-spot-drops-every-other-field",
        STATE,
        DecideQuestion(
            "i1",
            "on_the_spot",
            agency="Sở",
            deadline="2025-07-01",
            forwarded_to="city",
            reason="Vì",
        ),
        HOST,
        [QuestionDecided("i1", "on_the_spot", "", "", None, "", NOW)],
    ),
    (
        "decide-written-default-deadline",
        STATE,
        DecideQuestion("i1", "written", agency=nfd(" Phòng  Tài nguyên "), reason="Vì"),
        HOST,
        [QuestionDecided("i1", "written", "Phòng Tài nguyên", DEFAULT_DEADLINE, None, "", NOW)],
    ),
    (
        "decide-written-given-deadline",
        STATE,
        DecideQuestion("i1", "written", agency="UBND", deadline="2025-07-01", forwarded_to="city"),
        HOST,
        [QuestionDecided("i1", "written", "UBND", "2025-07-01", None, "", NOW)],
    ),
    (
        "decide-forwarded-default-next-level-up",
        STATE,
        DecideQuestion("i1", "forwarded", agency="UBND quận", deadline="2025-07-01", reason="Vì"),
        HOST,
        [QuestionDecided("i1", "forwarded", "UBND quận", "2025-07-01", "district", "", NOW)],
    ),
    (
        "decide-forwarded-two-levels-up",
        STATE,
        DecideQuestion("i1", "forwarded", forwarded_to="city"),
        HOST,
        [QuestionDecided("i1", "forwarded", "", DEFAULT_DEADLINE, "city", "", NOW)],
    ),
    (
        "decide-forwarded-from-a-district-meeting",
        fold(DISTRICT, QuestionAdded(rec("q", "Câu hỏi"), T0)),
        DecideQuestion("q", "forwarded"),
        HOST,
        [QuestionDecided("q", "forwarded", "", DEFAULT_DEADLINE, "city", "", NOW)],
    ),
    (
        "decide-not-taken-up",
        STATE,
        DecideQuestion("i1", "not_taken_up", agency="Sở", reason=nfd(" Không  thuộc thẩm quyền ")),
        HOST,
        [QuestionDecided("i1", "not_taken_up", "", "", None, "Không thuộc thẩm quyền", NOW)],
    ),
    (
        "decide-again-changes-the-decision",
        STATE,
        DecideQuestion("d1", "on_the_spot"),
        HOST,
        [QuestionDecided("d1", "on_the_spot", "", "", None, "", NOW)],
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "expected"), cases(ACCEPTED))
def test_accepted_command_gives_exactly_these_events(
    state: MeetingState, command: Command, actor: Actor, expected: list[Event]
) -> None:
    check_accepted(state, command, actor, expected)


def test_every_question_command_has_an_accepted_case() -> None:
    assert {type(command) for _, _, command, _, events in ACCEPTED if events} == command_kinds(
        questions
    )


# --- rejected commands: exactly this code, and nothing changes ----------------------------------

TOO_LONG_NAME = "x" * (MAX_NAME + 1)
TOO_LONG_QUESTION = "x" * (MAX_QUESTION * 4)  # what the decoder lets through
FULL = with_questions(questions.MAX_QUESTIONS)


def with_phone_questions(count: int, *, moderation: str = "pending") -> MeetingState:
    """BASE with `count` questions from phones of site A, each its own phone, long ago."""
    bulk = tuple(
        questions.question_from(
            rec(f"ph-{i}", "Câu hỏi", site=SITE_A, source="phone"),
            T0,
            device_id=f"bulk-dev-{i}",
            moderation=moderation,
        )
        for i in range(count)
    )
    return msgspec.structs.replace(BASE, questions=bulk)


PHONES_FULL = with_phone_questions(questions.MAX_PHONE_QUESTIONS)
RATE_LIMITED = submitted_at(599, 300, 1)


def draft(text: str = "Câu hỏi", **more: typing.Any) -> QuestionDraft:
    return QuestionDraft(text=text, **more)


REJECTED: list[tuple[str, MeetingState, Command, Actor, str]] = [
    # SetPriorOutcome
    ("prior-secretary", STATE, SetPriorOutcome("i1", None), SEC_A, "forbidden"),
    ("prior-unknown", STATE, SetPriorOutcome(UNKNOWN, None), HOST, "unknown_question"),
    ("prior-pending", STATE, SetPriorOutcome("p1", None), HOST, "question_not_open"),
    (
        "prior-of-one-the-chair-decided",
        ANSWERED_AT_MEETING,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", text="Đã trả lời")),
        HOST,
        "decided_at_meeting",
    ),
    (
        "prior-answered-with-nothing",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", agency="UBND")),
        HOST,
        "answer_required",
    ),
    (
        "prior-answered-after-the-meeting",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", text="Đã trả lời", on="2023-11-02")),
        HOST,
        "after_the_meeting",
    ),
    (
        "prior-impossible-date",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", text="Đã trả lời", on="2023-02-30")),
        HOST,
        "bad_date",
    ),
    (
        "prior-forwarded-to-the-same-level",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("forwarded", forwarded_to="ward")),
        HOST,
        "not_higher",
    ),
    (
        "prior-agency-too-long",
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", "x" * (MAX_NAME + 1), text="A")),
        HOST,
        "text_too_long",
    ),
    # RecordWrittenAnswer, the dates it is sent on
    (
        "written-sent-in-the-future",
        ANSWERED_AT_MEETING,
        RecordWrittenAnswer("i1", "Đã trả lời", "2023-11-16"),  # today is 15/11/2023 in Vietnam
        HOST,
        "date_in_future",
    ),
    (
        "written-sent-before-the-meeting-that-promised-it",
        ANSWERED_AT_MEETING,
        RecordWrittenAnswer("i1", "Đã trả lời", "2023-10-31"),
        HOST,
        "before_the_meeting",
    ),
    (
        "written-no-promise",
        STATE,
        RecordWrittenAnswer("i1", "Trả lời", "2023-11-10"),
        HOST,
        "no_answer_promised",
    ),
    (
        "written-bad-date",
        STATE,
        RecordWrittenAnswer("d1", "Trả lời", "2026-02-30"),
        HOST,
        "bad_date",
    ),
    ("written-empty", STATE, RecordWrittenAnswer("d1", " \n ", "2023-11-10"), HOST, "empty_text"),
    (
        "written-secretary",
        STATE,
        RecordWrittenAnswer("d1", "Trả lời", "2023-11-10"),
        SEC_A,
        "forbidden",
    ),
    ("add-no-meeting", MeetingState(), AddQuestion(draft()), HOST, "no_meeting"),
    ("submit-no-meeting", MeetingState(), SubmitQuestion("c", "A"), delegate("d"), "no_meeting"),
    # ImportQuestions
    ("import-secretary", STATE, ImportQuestions([draft()]), SEC_A, "forbidden"),
    ("import-display", STATE, ImportQuestions([draft()]), DISPLAY, "forbidden"),
    ("import-delegate", STATE, ImportQuestions([draft()]), delegate("dev-9"), "forbidden"),
    (
        "import-one-unknown-field-rejects-all",
        STATE,
        ImportQuestions([draft(), draft(field="Thể thao"), draft()]),
        ORGANISER,
        "unknown_field",
    ),
    (
        "import-one-unknown-site-rejects-all",
        STATE,
        ImportQuestions([draft(), draft(site_id=UNKNOWN_SITE)]),
        HOST,
        "unknown_site",
    ),
    (
        "import-one-empty-rejects-all",
        STATE,
        ImportQuestions([draft(), draft(" \t\u200b ")]),
        HOST,
        "empty_text",
    ),
    (
        "import-one-too-long-rejects-all",
        STATE,
        ImportQuestions([draft(TOO_LONG_QUESTION)]),
        HOST,
        "text_too_long",
    ),
    (
        "import-long-asker",
        STATE,
        ImportQuestions([draft(asker=TOO_LONG_NAME)]),
        HOST,
        "text_too_long",
    ),
    (
        "import-long-group",
        STATE,
        ImportQuestions([draft(group=TOO_LONG_NAME)]),
        HOST,
        "text_too_long",
    ),
    (
        "import-past-the-cap",
        with_questions(questions.MAX_QUESTIONS - 1),
        ImportQuestions([draft(), draft()]),
        HOST,
        "too_many_questions",
    ),
    # AddQuestion
    ("add-organiser", STATE, AddQuestion(draft()), ORGANISER, "forbidden"),
    ("add-display", STATE, AddQuestion(draft()), DISPLAY, "forbidden"),
    ("add-delegate", STATE, AddQuestion(draft()), delegate("dev-9"), "forbidden"),
    ("add-secretary-other-site", STATE, AddQuestion(draft(site_id=SITE_A)), SEC_B, "other_site"),
    ("add-unknown-site", STATE, AddQuestion(draft(site_id=UNKNOWN_SITE)), HOST, "unknown_site"),
    (
        "add-secretary-of-an-unknown-site",
        STATE,
        AddQuestion(draft()),
        Actor("secretary", UNKNOWN_SITE),
        "unknown_site",
    ),
    ("add-empty", STATE, AddQuestion(draft("")), HOST, "empty_text"),
    ("add-blank", STATE, AddQuestion(draft(" \t\x00\n ")), SEC_A, "empty_text"),
    ("add-20000-characters", STATE, AddQuestion(draft(TOO_LONG_QUESTION)), HOST, "text_too_long"),
    ("add-long-asker", STATE, AddQuestion(draft(asker=TOO_LONG_NAME)), HOST, "text_too_long"),
    ("add-unknown-field", STATE, AddQuestion(draft(field="Thể thao")), HOST, "unknown_field"),
    ("add-full", FULL, AddQuestion(draft()), HOST, "too_many_questions"),
    ("add-full-by-secretary", FULL, AddQuestion(draft()), SEC_A, "too_many_questions"),
    # EditQuestion
    ("edit-unknown", STATE, EditQuestion(UNKNOWN, draft()), HOST, "unknown_question"),
    ("edit-organiser", STATE, EditQuestion("m1", draft()), ORGANISER, "forbidden"),
    ("edit-display", STATE, EditQuestion("m1", draft()), DISPLAY, "forbidden"),
    ("edit-delegate", STATE, EditQuestion("p1", draft()), delegate("dev-1"), "forbidden"),
    ("edit-secretary-other-site", STATE, EditQuestion("m1", draft()), SEC_B, "other_site"),
    ("edit-secretary-of-no-site", STATE, EditQuestion("i3", draft()), SEC_A, "other_site"),
    (
        "edit-secretary-moves-it-away",
        STATE,
        EditQuestion("m1", draft(site_id=SITE_B)),
        SEC_A,
        "other_site",
    ),
    ("edit-empty", STATE, EditQuestion("m1", draft("  ")), HOST, "empty_text"),
    ("edit-too-long", STATE, EditQuestion("m1", draft(TOO_LONG_QUESTION)), HOST, "text_too_long"),
    (
        "edit-long-group",
        STATE,
        EditQuestion("m1", draft(group=TOO_LONG_NAME)),
        HOST,
        "text_too_long",
    ),
    ("edit-unknown-field", STATE, EditQuestion("m1", draft(field="X")), HOST, "unknown_field"),
    ("edit-unknown-site", STATE, EditQuestion("m1", draft(site_id="zz")), HOST, "unknown_site"),
    # SubmitQuestion
    ("submit-host", STATE, SubmitQuestion("c", "A"), HOST, "forbidden"),
    ("submit-secretary", STATE, SubmitQuestion("c", "A"), SEC_A, "forbidden"),
    ("submit-display", STATE, SubmitQuestion("c", "A"), DISPLAY, "forbidden"),
    ("submit-organiser", STATE, SubmitQuestion("c", "A"), ORGANISER, "forbidden"),
    (
        "submit-delegate-without-device",
        STATE,
        SubmitQuestion("c", "A"),
        Actor("delegate", SITE_A),
        "forbidden",
    ),
    (
        "submit-delegate-without-site",
        STATE,
        SubmitQuestion("c", "A"),
        Actor("delegate", None, "dev-9"),
        "forbidden",
    ),
    (
        "submit-delegate-of-unknown-site",
        STATE,
        SubmitQuestion("c", "A"),
        delegate("dev-9", UNKNOWN_SITE),
        "unknown_site",
    ),
    (
        "submit-id-of-an-intake-question",
        STATE,
        SubmitQuestion("i1", "A"),
        delegate("dev-9"),
        "question_exists",
    ),
    ("submit-retry-of-own", STATE, SubmitQuestion("p1", "A"), delegate("dev-1"), "question_exists"),
    (
        "submit-fourth-in-600-s",
        RATE_LIMITED,
        SubmitQuestion("c", "A"),
        delegate("dev-r"),
        "rate_limited",
    ),
    ("submit-full", PHONES_FULL, SubmitQuestion("c", "A"), delegate("dev-9"), "too_many_questions"),
    ("submit-empty", STATE, SubmitQuestion("c", " \n "), delegate("dev-9"), "empty_text"),
    (
        "submit-too-long",
        STATE,
        SubmitQuestion("c", TOO_LONG_QUESTION),
        delegate("dev-9"),
        "text_too_long",
    ),
    (
        "submit-long-asker",
        STATE,
        SubmitQuestion("c", "A", asker=TOO_LONG_NAME),
        delegate("dev-9"),
        "text_too_long",
    ),
    # ModerateQuestion
    ("moderate-secretary", STATE, ModerateQuestion("p1", True), SEC_A, "forbidden"),
    ("moderate-organiser", STATE, ModerateQuestion("p1", True), ORGANISER, "forbidden"),
    ("moderate-unknown", STATE, ModerateQuestion(UNKNOWN, True), HOST, "unknown_question"),
    ("moderate-approved-again", STATE, ModerateQuestion("p2", False), HOST, "already_moderated"),
    ("moderate-rejected-again", STATE, ModerateQuestion("p3", True), HOST, "already_moderated"),
    ("moderate-intake", STATE, ModerateQuestion("i1", False), HOST, "already_moderated"),
    # MergeQuestions
    ("merge-secretary", STATE, MergeQuestions("i1", ["m1"]), SEC_A, "forbidden"),
    ("merge-into-unknown", STATE, MergeQuestions(UNKNOWN, ["m1"]), HOST, "unknown_question"),
    ("merge-unknown", STATE, MergeQuestions("i1", ["m1", UNKNOWN]), HOST, "unknown_question"),
    ("merge-into-itself", STATE, MergeQuestions("i1", ["m1", "i1"]), HOST, "merge_into_itself"),
    ("merge-the-one-on-screen", STATE, MergeQuestions("i1", ["i2"]), HOST, "question_on_screen"),
    ("merge-into-a-pending", STATE, MergeQuestions("p1", ["m1"]), HOST, "question_not_open"),
    ("merge-a-pending", STATE, MergeQuestions("i1", ["p1"]), HOST, "question_not_open"),
    ("merge-a-rejected", STATE, MergeQuestions("i1", ["p3"]), HOST, "question_not_open"),
    ("merge-a-merged-again", STATE, MergeQuestions("m1", ["g1"]), HOST, "question_not_open"),
    ("merge-into-a-merged", STATE, MergeQuestions("g1", ["m1"]), HOST, "question_not_open"),
    # SupportQuestion
    ("support-host", STATE, SupportQuestion("i1"), HOST, "forbidden"),
    ("support-secretary", STATE, SupportQuestion("i1"), SEC_A, "forbidden"),
    (
        "support-without-device",
        STATE,
        SupportQuestion("i1"),
        Actor("delegate", SITE_A),
        "forbidden",
    ),
    ("support-unknown", STATE, SupportQuestion(UNKNOWN), delegate("dev-9"), "unknown_question"),
    ("support-pending", STATE, SupportQuestion("p1"), delegate("dev-9"), "question_not_open"),
    ("support-rejected", STATE, SupportQuestion("p3"), delegate("dev-9"), "question_not_open"),
    ("support-merged", STATE, SupportQuestion("g1"), delegate("dev-9"), "question_not_open"),
    ("support-twice", STATE, SupportQuestion("i2"), delegate("dev-7"), "already_supported"),
    (
        "support-twice-from-another-site",
        STATE,
        SupportQuestion("i2"),
        delegate("dev-2", SITE_B),
        "already_supported",
    ),
    # ShowQuestion
    ("show-secretary", STATE, ShowQuestion("i1"), SEC_A, "forbidden"),
    ("show-display", STATE, ShowQuestion("i1"), DISPLAY, "forbidden"),
    ("show-unknown", STATE, ShowQuestion(UNKNOWN), HOST, "unknown_question"),
    ("show-pending", STATE, ShowQuestion("p1"), HOST, "question_not_open"),
    ("show-merged", STATE, ShowQuestion("g1"), HOST, "question_not_open"),
    # SetAnswerer
    ("answerer-secretary", STATE, SetAnswerer("i1", "A"), SEC_A, "forbidden"),
    ("answerer-unknown", STATE, SetAnswerer(UNKNOWN, "A"), HOST, "unknown_question"),
    ("answerer-rejected", STATE, SetAnswerer("p3", "A"), HOST, "question_not_open"),
    ("answerer-empty-name", STATE, SetAnswerer("i1", " \t "), HOST, "empty_text"),
    ("answerer-long-name", STATE, SetAnswerer("i1", TOO_LONG_NAME), HOST, "text_too_long"),
    ("answerer-long-role", STATE, SetAnswerer("i1", "A", TOO_LONG_NAME), HOST, "text_too_long"),
    # EditAnswer
    ("answer-secretary", STATE, EditAnswer("i1", 0, 0, "A"), SEC_A, "forbidden"),
    ("answer-display", STATE, EditAnswer("i1", 0, 0, "A"), DISPLAY, "forbidden"),
    ("answer-unknown", STATE, EditAnswer(UNKNOWN, 0, 0, "A"), HOST, "unknown_question"),
    ("answer-merged", STATE, EditAnswer("g1", 0, 0, "A"), HOST, "question_not_open"),
    ("answer-stale-base", STATE, EditAnswer("i2", 5, 5, "A"), HOST, "answer_changed"),
    (
        "answer-base-too-long",
        STATE,
        EditAnswer("i2", len(I2_ANSWER) + 1, 0, "A"),
        HOST,
        "answer_changed",
    ),
    ("answer-stale-no-op", STATE, EditAnswer("i2", 0, 0, ""), HOST, "answer_changed"),
    (
        "answer-keep-past-base",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), len(I2_ANSWER) + 1, ""),
        HOST,
        "answer_changed",
    ),
    (
        "answer-keep-negative",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), -1, "A"),
        HOST,
        "answer_changed",
    ),
    (
        "answer-past-the-limit",
        STATE,
        EditAnswer("i2", len(I2_ANSWER), 3, "x" * (MAX_ANSWER - 2)),
        HOST,
        "text_too_long",
    ),
    # DecideQuestion
    ("decide-secretary", STATE, DecideQuestion("i1", "on_the_spot"), SEC_A, "forbidden"),
    ("decide-organiser", STATE, DecideQuestion("i1", "on_the_spot"), ORGANISER, "forbidden"),
    ("decide-unknown", STATE, DecideQuestion(UNKNOWN, "on_the_spot"), HOST, "unknown_question"),
    ("decide-pending", STATE, DecideQuestion("p1", "on_the_spot"), HOST, "question_not_open"),
    (
        "decide-written-without-agency",
        STATE,
        DecideQuestion("i1", "written"),
        HOST,
        "agency_required",
    ),
    (
        "decide-written-blank-agency",
        STATE,
        DecideQuestion("i1", "written", agency=" \t\x00 "),
        HOST,
        "agency_required",
    ),
    (
        "decide-written-not-a-date",
        STATE,
        DecideQuestion("i1", "written", agency="UBND", deadline="2025-02-30"),
        HOST,
        "bad_date",
    ),
    (
        "decide-forwarded-above-central",
        fold(CENTRAL, QuestionAdded(rec("q", "Câu hỏi"), T0)),
        DecideQuestion("q", "forwarded"),
        HOST,
        "no_higher_level",
    ),
    (
        "decide-forwarded-to-the-same-level",
        STATE,
        DecideQuestion("i1", "forwarded", forwarded_to="ward"),
        HOST,
        "not_higher",
    ),
    (
        "decide-forwarded-to-a-lower-level",
        fold(DISTRICT, QuestionAdded(rec("q", "Câu hỏi"), T0)),
        DecideQuestion("q", "forwarded", forwarded_to="ward"),
        HOST,
        "not_higher",
    ),
    (
        "decide-not-taken-up-without-reason",
        STATE,
        DecideQuestion("i1", "not_taken_up"),
        HOST,
        "reason_required",
    ),
    (
        "decide-not-taken-up-blank-reason",
        STATE,
        DecideQuestion("i1", "not_taken_up", reason="\u200b "),
        HOST,
        "reason_required",
    ),
]


@pytest.mark.parametrize(("state", "command", "actor", "code"), cases(REJECTED))
def test_rejected_command_gives_this_code_and_leaves_the_state_equal(
    state: MeetingState, command: Command, actor: Actor, code: str
) -> None:
    check_rejected(state, command, actor, code)


def test_every_rejection_code_of_questions_is_reached() -> None:
    # from permissions (forbidden, other_site) and rules (text_problem, over_budget)
    shared = {"forbidden", "other_site", "empty_text", "rate_limited"}
    expected = {
        "text_too_long",
        "unknown_field",
        "unknown_site",
        "too_many_questions",
        "unknown_question",
        "question_not_open",
        "question_exists",
        "already_moderated",
        "merge_into_itself",
        "question_on_screen",
        "already_supported",
        "answer_changed",
        "agency_required",
        "no_higher_level",
        "not_higher",
        "reason_required",
        "bad_date",
        "no_answer_promised",
        "decided_at_meeting",
        "answer_required",
        "after_the_meeting",
        "date_in_future",
        "before_the_meeting",
    }
    assert codes_in_source(questions) == expected
    assert {code for *_, code in REJECTED} - {"no_meeting"} == expected | shared


def test_every_question_command_has_a_rejected_case() -> None:
    assert {type(command) for _, _, command, _, _ in REJECTED} == command_kinds(questions)


@pytest.mark.parametrize(
    ("command", "field", "limit"),
    [
        pytest.param(
            AddQuestion(draft(TOO_LONG_QUESTION)), "Question", MAX_QUESTION, id="question"
        ),
        pytest.param(AddQuestion(draft(asker=TOO_LONG_NAME)), "Name", MAX_NAME, id="asker"),
        pytest.param(AddQuestion(draft(group=TOO_LONG_NAME)), "Name", MAX_NAME, id="group"),
        pytest.param(SetAnswerer("i1", TOO_LONG_NAME), "Name", MAX_NAME, id="answerer"),
        pytest.param(SetAnswerer("i1", "A", TOO_LONG_NAME), "Role", MAX_NAME, id="role"),
        pytest.param(
            EditAnswer("i1", 0, 0, "x" * MAX_ANSWER + "x"), "Answer", MAX_ANSWER, id="answer"
        ),
    ],
)
def test_too_long_names_the_field_and_the_limit(command: Command, field: str, limit: int) -> None:
    decision = run(STATE, command, HOST)
    assert code_of(decision) == "text_too_long"
    assert isinstance(decision, Rejected)
    assert decision.params == {"field": field, "limit": limit}


def test_a_bad_row_rejects_the_whole_import_and_names_its_number() -> None:
    rows = [draft("Một"), draft("Hai"), draft("Ba", field="Thể thao"), draft("")]
    decision = run(STATE, ImportQuestions(rows), ORGANISER)
    assert isinstance(decision, Rejected)
    assert decision.code == "unknown_field"
    assert decision.params["number"] == 3
    assert "{number}" in decision.message
    empty = run(STATE, ImportQuestions([draft("Một"), draft(" ")]), HOST)
    assert isinstance(empty, Rejected)
    assert (empty.code, empty.params["number"]) == ("empty_text", 2)


def test_rejections_name_what_they_refer_to() -> None:
    unknown = run(STATE, ShowQuestion(UNKNOWN), HOST)
    site = run(STATE, AddQuestion(draft(site_id=UNKNOWN_SITE)), HOST)
    field = run(STATE, AddQuestion(draft(field=" Thể  thao ")), HOST)
    full = run(FULL, AddQuestion(draft()), HOST)
    limited = run(RATE_LIMITED, SubmitQuestion("c", "A"), delegate("dev-r"))
    date = run(STATE, DecideQuestion("i1", "written", agency="A", deadline="2025-13-01"), HOST)
    assert isinstance(unknown, Rejected)
    assert isinstance(site, Rejected)
    assert isinstance(field, Rejected)
    assert isinstance(full, Rejected)
    assert isinstance(limited, Rejected)
    assert isinstance(date, Rejected)
    assert unknown.params == {"question_id": UNKNOWN}
    assert site.params == {"site_id": UNKNOWN_SITE}
    assert field.params == {"name": "Thể thao"}
    assert full.params == {"limit": questions.MAX_QUESTIONS}
    assert limited.params == {"limit": 3, "minutes": 10}
    assert date.params == {"field": "Answer deadline", "value": "2025-13-01"}


def test_moderation_is_once_whatever_the_verdict() -> None:
    approved = do(STATE, ModerateQuestion("p1", True), HOST)
    rejected = do(STATE, ModerateQuestion("p1", False), HOST)
    for state in (approved, rejected):
        for verdict in (True, False):
            assert code_of(run(state, ModerateQuestion("p1", verdict), HOST)) == "already_moderated"


def test_a_rejected_phone_question_still_counts_for_the_rate_limit() -> None:
    state = submitted_at(30, 20, 10)
    state = fold(state, QuestionModerated("r0", False), QuestionModerated("r1", False))
    assert code_of(run(state, SubmitQuestion("c", "A"), delegate("dev-r"))) == "rate_limited"
    later = run(state, SubmitQuestion("c", "A"), delegate("dev-r"), now=NOW - 30 + 600)
    assert len(events_of(later)) == 1


def test_support_once_per_device_even_after_a_merge() -> None:
    state = do(STATE, SupportQuestion("m1"), delegate("dev-9"))
    state = do(state, MergeQuestions("i1", ["m1"]), HOST)
    assert code_of(run(state, SupportQuestion("i1"), delegate("dev-9"))) == "already_supported"
    assert code_of(run(state, SupportQuestion("m1"), delegate("dev-8"))) == "question_not_open"


# --- text: NFC, limits, decoding ----------------------------------------------------------------


def test_nfc_round_trip() -> None:
    text, asker, group = "Đề nghị sửa đường ở tổ dân phố số 5", "Nguyễn Thị Ánh", "Tổ dân phố 5"
    command = AddQuestion(
        QuestionDraft(text=nfd(text), asker=nfd(asker), group=nfd(group), field=nfd(FIELD))
    )
    decoded = msgspec.json.decode(msgspec.json.encode(command), type=Command)
    assert decoded == command
    events = events_of(run(STATE, decoded, HOST))
    assert events == [
        QuestionAdded(
            rec("new-1", text, asker=asker, group=group, field=FIELD, source="manual"), NOW
        )
    ]
    assert [decode_event(encode_event(e)) for e in events] == events
    stored = question(replay(events, STATE), "new-1")
    assert (stored.text, stored.askers) == (text, (Asker(asker, group, None),))
    assert unicodedata.is_normalized("NFC", stored.text)
    assert stored.text != nfd(text)


def test_the_decoder_lets_through_only_what_decide_can_judge() -> None:
    def decode(raw: dict[str, typing.Any]) -> Command:
        data = msgspec.json.encode(raw)
        command: Command = msgspec.json.decode(data, type=Command)
        return command

    ok = decode({"type": "add_question", "question": {"text": "x" * (MAX_QUESTION * 4)}})
    assert code_of(run(STATE, ok, HOST)) == "text_too_long"  # 20,000 decoded, then refused
    too_long = {"type": "add_question", "question": {"text": "x" * (MAX_QUESTION * 4 + 1)}}
    bad_body = {"type": "add_question", "question": {"text": "A", "body": "police"}}
    bad_level = {"type": "add_question", "question": {"text": "A", "level": "country"}}
    extra = {"type": "add_question", "question": {"text": "A", "colour": "red"}}
    bad_decision = {"type": "decide_question", "question_id": "i1", "decision": "ignored"}
    bad_deadline = {
        "type": "decide_question",
        "question_id": "i1",
        "decision": "written",
        "deadline": "1/7/2025",
    }
    long_tail = {
        "type": "edit_answer",
        "question_id": "i1",
        "base_length": 0,
        "keep": 0,
        "tail": "x" * (MAX_ANSWER + 1),
    }
    no_merged = {"type": "merge_questions", "into_id": "i1", "merged_ids": []}
    for raw in (
        too_long,
        bad_body,
        bad_level,
        extra,
        bad_decision,
        bad_deadline,
        long_tail,
        no_merged,
    ):
        with pytest.raises(msgspec.ValidationError):
            decode(raw)


# --- the permission matrix ----------------------------------------------------------------------

OK = "accepted"
F = "forbidden"
O_ = "other_site"

# kind -> (state, command, the site of the entry it touches, the phone that owns the entry)
KINDS: dict[str, tuple[MeetingState, Command, str, str]] = {
    "import_questions": (STATE, ImportQuestions([draft(site_id=SITE_A)]), SITE_A, "dev-1"),
    "add_question": (STATE, AddQuestion(draft(site_id=SITE_A)), SITE_A, "dev-1"),
    "edit_question": (STATE, EditQuestion("m1", draft("Sửa", site_id=SITE_A)), SITE_A, "dev-1"),
    "submit_question": (STATE, SubmitQuestion("c-new", "Câu hỏi"), SITE_A, "dev-1"),
    "moderate_question": (STATE, ModerateQuestion("p1", True), SITE_A, "dev-1"),
    "merge_questions": (STATE, MergeQuestions("i1", ["m1"]), SITE_A, "dev-1"),
    "support_question": (STATE, SupportQuestion("p2"), SITE_B, "dev-2"),
    "show_question": (STATE, ShowQuestion("p2"), SITE_B, "dev-2"),
    "set_answerer": (STATE, SetAnswerer("p2", "Ông Dũng"), SITE_B, "dev-2"),
    "edit_answer": (STATE, EditAnswer("p2", 0, 0, "Trả lời"), SITE_B, "dev-2"),
    "decide_question": (STATE, DecideQuestion("p2", "on_the_spot"), SITE_B, "dev-2"),
    "record_written_answer": (
        STATE,
        RecordWrittenAnswer("d1", "Trả lời", "2023-11-10"),
        SITE_A,
        "dev-1",
    ),
    "set_prior_outcome": (
        STATE,
        SetPriorOutcome("i1", PriorOutcomeDraft("answered", text="Đã trả lời")),
        SITE_A,
        "dev-1",
    ),
}


# rows: actor (ACTORS, shared with the floor); columns in the order of KINDS:
#                   imp add edt sub mod mrg sup shw ans txt dcd wrt pri
MATRIX: dict[str, tuple[str, ...]] = {
    "organiser": (OK, F, F, F, F, F, F, F, F, F, F, F, F),
    "host": (OK, OK, OK, F, OK, OK, F, OK, OK, OK, OK, OK, OK),
    "desk": (F, OK, OK, F, OK, OK, F, OK, OK, OK, OK, F, OK),
    "secretary-own": (F, OK, OK, F, F, F, F, F, F, F, F, F, F),
    "secretary-other": (F, O_, O_, F, F, F, F, F, F, F, F, F, F),
    "display": (F, F, F, F, F, F, F, F, F, F, F, F, F),
    "delegate-owner": (F, F, F, OK, F, F, OK, F, F, F, F, F, F),
    "delegate-other": (F, F, F, OK, F, F, OK, F, F, F, F, F, F),
}


def test_matrix_covers_every_actor_and_exactly_the_question_commands() -> None:
    kinds = command_kinds(questions)
    assert len(kinds) == len(questions.DECIDERS)
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

FULL_RECORD = rec(
    "q1",
    "Đề nghị\u00a0sửa đường <script>x</script>",
    asker="Nguyễn Văn An",
    group="Tổ 5",
    site=SITE_A,
    field=FIELD,
    body="council",
    level="district",
    prepared="Dòng 1\nDòng 2",
)
EVERY_QUESTION_EVENT: list[Event] = [
    WrittenAnswerRecorded("d1", "Trả lời bằng văn bản", "2023-11-10"),
    WrittenAnswerCorrected("d1", "Trả lời bằng văn bản, sửa", "2023-11-11", T0),
    PriorOutcomeSet("i1", FORWARDED_BEFORE),
    PriorOutcomeSet("i1", None),
    QuestionsImported((FULL_RECORD, rec("q2", "Hai", level="city", body="party")), T0 + 0.25),
    QuestionsImported((), T0),
    QuestionAdded(rec("q3", nfd("Ba"), body="other", source="manual"), 0.1 + 0.2),
    QuestionEdited(rec("q1", "Sửa", source="turn")),
    QuestionSubmitted(rec("q4", "Bốn", site=SITE_B, source="phone"), "dev-1", T0),
    QuestionModerated("q4", approved=True),
    QuestionModerated("q4", approved=False),
    QuestionsMerged("q1", ("q2", "q3")),
    QuestionSupported("q1", "dev-1"),
    QuestionShown("q1", T0),
    QuestionShown(None, T0 + 1e-6),
    AnswererSet("q1", "Ông Hùng", ""),
    AnswerEdited("q1", 0, "Dòng 1\nDòng 2\u00a0\t"),
    AnswerEdited("q1", 5, ""),
    QuestionDecided("q1", "on_the_spot", "", "", None, "", T0),
    QuestionDecided("q1", "written", "UBND", DEFAULT_DEADLINE, None, "", T0),
    QuestionDecided("q1", "forwarded", "UBND quận", "", "district", "", T0),
    QuestionDecided("q1", "not_taken_up", "", "", None, "Không thuộc thẩm quyền", T0),
]


def test_round_trip_covers_exactly_the_question_events() -> None:
    kinds = {typing.get_type_hints(f)["event"] for f in questions.APPLIERS}
    assert len(kinds) == len(questions.APPLIERS)
    assert {type(e) for e in EVERY_QUESTION_EVENT} == kinds


@pytest.mark.parametrize(
    "event",
    [pytest.param(e, id=f"{type(e).__name__}-{i}") for i, e in enumerate(EVERY_QUESTION_EVENT)],
)
def test_question_event_encodes_and_decodes_to_an_equal_value(event: Event) -> None:
    check_round_trip(event)


def test_replay_of_the_decoded_log_equals_the_live_state() -> None:
    log = [CREATED, *QUESTION_EVENTS]
    assert replay(decode_event(encode_event(e)) for e in log) == STATE
    for cut in range(len(log) + 1):
        assert replay(log[cut:], replay(log[:cut])) == STATE, cut


# --- apply ----------------------------------------------------------------------------------------


def test_a_new_question_keeps_every_field() -> None:
    state = fold(BASE, QuestionsImported((FULL_RECORD,), T0 + 3))
    assert state.questions == (
        Question(
            question_id="q1",
            text=FULL_RECORD.text,
            askers=(Asker("Nguyễn Văn An", "Tổ 5", SITE_A),),
            site_id=SITE_A,
            field=FIELD,
            body="council",
            level="district",
            source="intake",
            prepared_answer="Dòng 1\nDòng 2",
            at=T0 + 3,
            own_asker=True,
        ),
    )
    assert question(state, "q1").open


@pytest.mark.parametrize(
    ("asker", "group", "askers"),
    [
        pytest.param("", "", (), id="nobody"),
        pytest.param("An", "", (Asker("An", "", SITE_A),), id="name"),
        pytest.param("", "Tổ 5", (Asker("", "Tổ 5", SITE_A),), id="group"),
    ],
)
def test_the_asker_is_kept_when_there_is_one(
    asker: str, group: str, askers: tuple[Asker, ...]
) -> None:
    state = apply(
        BASE, QuestionAdded(rec("q", "Câu hỏi", asker=asker, group=group, site=SITE_A), T0)
    )
    assert question(state, "q").askers == askers


def test_a_phone_question_waits_for_moderation() -> None:
    state = do(STATE, SubmitQuestion("c-1", "Hỏi"), delegate("dev-9"))
    submitted = question(state, "c-1")
    assert (submitted.moderation, submitted.status, submitted.open) == ("pending", "pending", False)
    assert (submitted.device_id, submitted.source, submitted.at) == ("dev-9", "phone", NOW)
    approved = question(do(state, ModerateQuestion("c-1", True), HOST), "c-1")
    assert (approved.moderation, approved.status, approved.open) == ("approved", "undecided", True)
    rejected = question(do(state, ModerateQuestion("c-1", False), HOST), "c-1")
    assert (rejected.moderation, rejected.status, rejected.open) == ("rejected", "rejected", False)


def test_merge_keeps_every_asker_once_and_unites_supporters() -> None:
    an, binh, cuc = Asker("An", "Tổ 1", SITE_A), Asker("Bình", "", SITE_B), Asker("Cúc", "", None)
    state = fold(
        BASE,
        QuestionAdded(rec("a", "A", asker="An", group="Tổ 1", site=SITE_A), T0),
        QuestionAdded(rec("b", "B", asker="Bình", site=SITE_B), T0),
        QuestionAdded(rec("c", "C", asker="Cúc"), T0),
        QuestionAdded(rec("d", "D", asker="An", group="Tổ 1", site=SITE_A), T0),  # An again
        QuestionAdded(rec("e", "E"), T0),  # nobody
        QuestionSupported("a", "dev-1"),
        QuestionSupported("b", "dev-2"),
        QuestionSupported("b", "dev-1"),
        QuestionSupported("c", "dev-3"),
        QuestionSupported("d", "dev-2"),
    )
    state = apply(state, QuestionsMerged("c", ("e",)))  # a chain: e into c, then c into a
    state = apply(state, QuestionsMerged("a", ("b", "c", "d")))
    into = question(state, "a")
    assert into.askers == (an, binh, cuc)
    assert into.supporters == ("dev-1", "dev-2", "dev-3")
    assert into.open
    assert {q.question_id: q.merged_into for q in state.questions} == {
        "a": None,
        "b": "a",
        "c": "a",
        "d": "a",
        "e": "c",
    }
    assert [q.status for q in state.questions] == ["undecided", *["merged"] * 4]
    assert question(state, "b").askers == (binh,)  # the merged ones keep their own


def test_support_adds_the_device_in_order() -> None:
    state = fold(STATE, QuestionSupported("i1", "dev-9"), QuestionSupported("i1", "dev-8"))
    assert question(state, "i1").supporters == ("dev-9", "dev-8")


def test_shown_at_is_set_once() -> None:
    state = fold(
        STATE,
        QuestionShown("i1", T0 + 100),
        QuestionShown(None, T0 + 200),
        QuestionShown("i3", T0 + 300),
        QuestionShown("i1", T0 + 400),
    )
    assert state.on_screen == "i1"
    assert question(state, "i1").shown_at == T0 + 100
    assert question(state, "i3").shown_at == T0 + 300
    assert question(state, "i2").shown_at == T0 + 10
    assert question(state, "m1").shown_at is None
    assert apply(state, QuestionShown(None, T0 + 500)).on_screen is None


def test_answerer_is_replaced() -> None:
    state = do(STATE, SetAnswerer("i2", "Bà Hoa"), HOST)
    assert (question(state, "i2").answerer_name, question(state, "i2").answerer_role) == (
        "Bà Hoa",
        "",
    )


def test_answer_edits_in_sequence() -> None:
    typed, corrected = "Phường đã kiểm tra", "Phường sẽ kiểm tra và lập biên bản."
    steps = [
        (0, typed),  # typed
        (len(typed), " và lập biên bản."),  # appended
        (len("Phường "), "sẽ kiểm tra và lập biên bản."),  # "đã" corrected: a cut in the middle
        (len(corrected), "\nHạn: tháng 7."),  # a new line
        (len(corrected), ""),  # the last line deleted
        (len("Phường sẽ"), " kiểm tra."),  # the end rewritten
    ]
    expected = [
        typed,
        "Phường đã kiểm tra và lập biên bản.",
        corrected,
        f"{corrected}\nHạn: tháng 7.",
        corrected,
        "Phường sẽ kiểm tra.",
    ]
    state = STATE
    for (keep, tail), answer in zip(steps, expected, strict=True):
        base = len(question(state, "i1").answer)
        assert keep <= base
        state = do(state, EditAnswer("i1", base, keep, tail), HOST)
        assert question(state, "i1").answer == answer
    stale = run(state, EditAnswer("i1", len(corrected), 3, "x"), HOST)
    assert code_of(stale) == "answer_changed"


def test_the_decision_replaces_the_previous_one_entirely() -> None:
    state = do(STATE, DecideQuestion("i1", "written", agency="Phòng Tài nguyên"), HOST)
    written = question(state, "i1")
    assert (
        written.decision,
        written.agency,
        written.deadline,
        written.forwarded_to,
        written.reason,
    ) == (
        "written",
        "Phòng Tài nguyên",
        DEFAULT_DEADLINE,
        None,
        "",
    )
    assert written.status == "written"
    state = do(state, DecideQuestion("i1", "forwarded", agency="UBND quận"), HOST)
    forwarded = question(state, "i1")
    assert (forwarded.agency, forwarded.deadline, forwarded.forwarded_to) == (
        "UBND quận",
        DEFAULT_DEADLINE,  # followed up like a written answer, so it can be overdue
        "district",
    )
    state = do(state, DecideQuestion("i1", "not_taken_up", reason="Trùng"), HOST)
    dropped = question(state, "i1")
    assert (dropped.decision, dropped.agency, dropped.forwarded_to, dropped.reason) == (
        "not_taken_up",
        "",
        None,
        "Trùng",
    )
    state = do(state, DecideQuestion("i1", "on_the_spot"), HOST)
    spot = question(state, "i1")
    assert (spot.decision, spot.agency, spot.deadline, spot.forwarded_to, spot.reason) == (
        "on_the_spot",
        "",
        "",
        None,
        "",
    )
    assert spot.open  # a decided question is still dealt with: shown, answered


def test_edit_keeps_supporters_answer_moderation_and_the_other_askers() -> None:
    state = do(STATE, EditQuestion("i1", draft("Sửa lại", asker="Ông An", group="Tổ 6")), HOST)
    edited = question(state, "i1")
    assert edited.text == "Sửa lại"
    assert edited.askers == (Asker("Ông An", "Tổ 6", None), Asker("Ông Giao", "", SITE_B))
    assert edited.site_id is None
    assert (edited.source, edited.at, edited.prepared_answer) == ("intake", T0 + 1, "")
    state = do(STATE, EditQuestion("i2", draft("Sửa", asker="Bà Bình", site_id=SITE_B)), HOST)
    kept = question(state, "i2")
    assert (kept.supporters, kept.answer, kept.shown_at) == (("dev-2", "dev-7"), I2_ANSWER, T0 + 10)
    assert (kept.answerer_name, kept.moderation) == ("Ông Hùng", "approved")


def test_an_opinion_raised_in_a_turn_is_a_question_asked_by_the_speaker() -> None:
    state = fold(
        DISTRICT,
        SpeakRequested("s1", SITE_A, "Nguyễn Văn An", "Tổ 5", "", "", "secretary", None, T0),
        SpeakerQueued("s1", T0),
        SpeakerCalled("s1", T0 + 1, 180),
    )
    events = events_of(
        run(state, RecordOpinion("s1", nfd(" Đề nghị  sửa đường "), field=FIELD), SEC_A)
    )
    assert events == [
        OpinionRecorded("new-1", "s1", SITE_A, "Đề nghị sửa đường", FIELD, "committee", NOW)
    ]
    state = fold(state, *events)
    opinion = question(state, "new-1")
    assert opinion.source == "turn"
    assert opinion.askers == (Asker("Nguyễn Văn An", "Tổ 5", SITE_A),)
    assert (opinion.site_id, opinion.request_id, opinion.level) == (SITE_A, "s1", "district")
    assert (opinion.text, opinion.field, opinion.at) == ("Đề nghị sửa đường", FIELD, NOW)
    assert opinion.open
    # from here it is a question like any other
    state = do(state, ShowQuestion("new-1"), HOST)
    state = do(state, EditAnswer("new-1", 0, 0, "Đã ghi nhận"), HOST)
    state = do(state, DecideQuestion("new-1", "forwarded"), HOST)
    assert question(state, "new-1").forwarded_to == "city"
    assert [r.question.question_id for r in questions_view(state).questions] == ["new-1"]


# --- views ----------------------------------------------------------------------------------------


def test_questions_view() -> None:
    view = questions_view(STATE)
    assert [r.question.question_id for r in view.moderation] == ["p1"]
    assert [r.question.question_id for r in view.questions] == ["i1", "i2", "i3", "m1", "p2", "d1"]
    assert view.on_screen is not None
    assert view.on_screen.question.question_id == "i2"
    assert view.duplicates == ()  # g1, the near-duplicate of i1, is merged already
    assert view.written_deadline == DEFAULT_DEADLINE
    assert view.fields == DEFAULT_FIELDS
    i1 = view.questions[0]
    assert i1.askers == "Ông An · Tổ 5 · Phường A, Ông Giao · Phường B"
    assert i1.site_name == "Phường A"
    assert "giay chung nhan quyen su dung dat" in i1.search
    assert view.questions[1].support == 2


NEAR_A = "Đề nghị phường sửa chữa tuyến đường ngõ 12 bị ngập úng mỗi khi mưa lớn."
NEAR_B = "Đề nghị phường sớm sửa chữa đường ngõ 12, bị ngập úng khi trời mưa lớn"
UNRELATED = (
    "Cử tri phản ánh bếp ăn tập thể tại trường mầm non chưa đảm bảo an toàn thực phẩm.",
    "Đề nghị quận bố trí kinh phí cải tạo mương thoát nước dọc đường Cổ Linh.",
)


def test_near_identical_questions_from_two_sites_are_a_duplicate_pair() -> None:
    state = fold(
        BASE,
        QuestionsImported(
            (
                rec("u1", UNRELATED[0], site=HALL),
                rec("a", NEAR_A, asker="Ông An", site=SITE_A),
                rec("u2", UNRELATED[1], site=SITE_B),
            ),
            T0,
        ),
        QuestionSubmitted(rec("b", NEAR_B, site=SITE_B, source="phone"), "dev-1", T0 + 1),
    )
    assert questions_view(state).duplicates == ()  # b waits for moderation
    state = apply(state, QuestionModerated("b", approved=True))
    pairs = questions_view(state).duplicates
    assert len(pairs) == 1
    first, second, score = pairs[0]
    assert (first.question.question_id, second.question.question_id) == ("a", "b")
    assert (first.site_name, second.site_name) == ("Phường A", "Phường B")
    assert 50 <= score < 100
    decided = apply(state, QuestionDecided("b", "on_the_spot", "", "", None, "", T0 + 2))
    assert questions_view(decided).duplicates == ()
    merged = apply(state, QuestionsMerged("a", ("b",)))
    assert questions_view(merged).duplicates == ()


def test_display_shows_the_question_on_screen() -> None:
    row = display_view(STATE).question
    assert row is not None
    assert row.question.question_id == "i2"
    assert (row.question.text, row.question.answer) == (
        "Tình trạng xây dựng không phép tại ngõ 12 kéo dài",
        I2_ANSWER,
    )
    assert (row.askers, row.site_name, row.support) == ("Bà Bình · Phường B", "Phường B", 2)
    assert display_view(NOTHING_SHOWN).question is None
    assert display_view(BASE).question is None
    shown = do(STATE, ShowQuestion("i3"), HOST)
    after = display_view(shown).question
    assert after is not None
    assert (after.question.question_id, after.askers, after.site_name) == ("i3", "", "")


def test_delegates_see_open_undecided_questions_by_support() -> None:
    view = delegate_view(STATE, "dev-1")
    assert [r.question.question_id for r in view.questions] == ["i2", "p2", "i1", "i3", "m1"]
    assert [r.support for r in view.questions] == [2, 1, 0, 0, 0]
    assert view.question is not None
    assert view.question.question.question_id == "i2"
    state = fold(STATE, *(QuestionSupported("m1", f"dev-{i}") for i in range(3)))
    assert [r.question.question_id for r in delegate_view(state).questions][:2] == [
        "m1",
        "i2",
    ]


# --- the live answer: a property --------------------------------------------------------------------

NO_EXPLAIN = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[p for p in Phase if p != Phase.explain],
)
ANSWERING = apply(BASE, QuestionAdded(rec("q", "Câu hỏi"), T0))
EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10_000),
        st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=12),
        st.booleans(),
    ),
    max_size=25,
)


@settings(NO_EXPLAIN, max_examples=150)
@given(edits=EDITS)
def test_any_sequence_of_answer_edits_ends_at_the_typists_text(
    edits: list[tuple[int, str, bool]],
) -> None:
    log: list[Event] = [CREATED, QuestionAdded(rec("q", "Câu hỏi"), T0)]
    live, typed = ANSWERING, ""
    for step, (keep_seed, tail, stale) in enumerate(edits):
        keep = keep_seed % (len(typed) + 1)
        base = len(typed) + 1 if stale else len(typed)
        decision = run(live, EditAnswer("q", base, keep, tail), HOST, now=NOW + step)
        if stale:
            assert code_of(decision) == "answer_changed"
            continue
        events = events_of(decision)
        before, typed = typed, typed[:keep] + without_controls(tail)  # as the page sends it
        if keep == base and not tail:
            assert events == []  # a no-op edit gives no event
        elif typed != before:
            assert events
        log += [decode_event(encode_event(e)) for e in events]
        live = fold(live, *events)
        assert question(live, "q").answer == typed
    assert replay(log) == live


# --- bugs found: the failing inputs, kept until they are fixed -----------------------------------


def test_editing_a_merged_into_question_without_an_asker_keeps_the_merged_askers() -> None:
    # the minimal input: q has no asker; r (asked by B) is merged into q; q's text is edited
    state = fold(
        BASE,
        QuestionAdded(rec("q", "Câu hỏi"), T0),
        QuestionAdded(rec("r", "Câu hỏi khác", asker="B"), T0),
        QuestionsMerged("q", ("r",)),
    )
    assert question(state, "q").askers == (Asker("B", "", None),)
    state = do(state, EditQuestion("q", draft("Câu hỏi, sửa")), HOST)
    assert Asker("B", "", None) in question(state, "q").askers  # today: () — B is lost


def test_naming_the_asker_of_a_merged_into_question_keeps_the_merged_askers() -> None:
    state = fold(
        BASE,
        QuestionAdded(rec("q", "Câu hỏi"), T0),
        QuestionAdded(rec("r", "Câu hỏi khác", asker="B"), T0),
        QuestionsMerged("q", ("r",)),
    )
    state = do(state, EditQuestion("q", draft("Câu hỏi", asker="A")), HOST)
    assert question(state, "q").askers == (Asker("A", "", None), Asker("B", "", None))


def test_a_rejected_import_message_can_be_rendered_in_full() -> None:
    from server.i18n import translate  # noqa: PLC0415 - the shell's rendering, only here

    decision = run(BASE, ImportQuestions([draft(), draft(field="Thể thao")]), HOST)
    assert isinstance(decision, Rejected)
    for lang in ("en", "vi"):
        text = translate(lang, decision.message, decision.params)
        assert "2" in text
        assert "Thể thao" in text  # today: "Question 2: No field {name} in this meeting."
        assert "{" not in text


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(DecideQuestion("i1", "written", agency="x" * (MAX_NAME + 1)), id="agency"),
        pytest.param(
            DecideQuestion("i1", "forwarded", agency="x" * (MAX_NAME * 4)), id="forwarded-agency"
        ),
        pytest.param(DecideQuestion("i1", "not_taken_up", reason="x" * 301), id="reason"),
    ],
)
def test_decision_texts_are_capped_like_every_other_text(command: Command) -> None:
    assert code_of(run(STATE, command, HOST)) == "text_too_long"


def test_a_prepared_answer_stays_within_the_answer_limit_after_nfc() -> None:
    # U+0958 is one code point whose NFC is two: 20,000 of them decode, then store as 40,000
    decision = run(STATE, AddQuestion(draft(prepared_answer="\u0958" * MAX_ANSWER)), HOST)
    if not isinstance(decision, Rejected):
        added = decision[0]
        assert isinstance(added, QuestionAdded)
        assert len(added.question.prepared_answer) <= MAX_ANSWER


def test_a_typed_answer_loses_its_direction_and_zero_width_controls() -> None:
    # A pasted override would turn every projector's answer around; NUL cannot be stored.
    typed = "Phường \u202eđã\u202c kiểm\u200b tra\x00\r\nHạn:\ttháng 7."
    state = do(STATE, EditAnswer("i1", 0, 0, typed), HOST)
    assert question(state, "i1").answer == "Phường đã kiểm tra\nHạn:tháng 7."
    base = len(question(state, "i1").answer)
    cut = do(state, EditAnswer("i1", base, 6, "\u202e"), HOST)  # the cut happens, the control not
    assert question(cut, "i1").answer == "Phường"


def test_an_edit_that_leaves_the_answer_as_it_is_gives_no_event() -> None:
    # keep 6 of "Phường đã lập biên bản." and send back the rest unchanged
    assert run(STATE, EditAnswer("i2", len(I2_ANSWER), 6, I2_ANSWER[6:]), HOST) == []


# --- caps and budgets that punish only the abuser --------------------------------------------


def test_phones_filling_their_cap_leave_the_host_the_secretaries_and_the_import_alone() -> None:
    assert code_of(run(PHONES_FULL, SubmitQuestion("c", "A"), delegate("dev-9"))) == (
        "too_many_questions"
    )
    events_of(run(PHONES_FULL, AddQuestion(draft()), HOST))
    events_of(run(PHONES_FULL, AddQuestion(draft()), SEC_A))
    events_of(run(PHONES_FULL, ImportQuestions([draft()] * 3), HOST))


def test_the_hosts_questions_filling_theirs_leave_the_phones_alone() -> None:
    assert code_of(run(FULL, AddQuestion(draft()), HOST)) == "too_many_questions"
    events_of(run(FULL, SubmitQuestion("c", "A"), delegate("dev-9")))


def test_phone_questions_the_host_turned_down_leave_room_for_others() -> None:
    turned_down = with_phone_questions(questions.MAX_QUESTIONS, moderation="rejected")
    events_of(run(turned_down, SubmitQuestion("c", "A"), delegate("dev-9")))


def _submitted(state: MeetingState, device: str, site_id: str, count: int) -> MeetingState:
    for i in range(count):
        state = do(
            state,
            SubmitQuestion(f"{device}-q{i}", "Câu hỏi"),
            delegate(device, site_id),
            now=NOW + i,
        )
    return state


def test_phones_minted_from_one_link_share_one_budget_of_questions() -> None:
    per_phone = questions.PHONE_QUESTIONS_PER_WINDOW
    state = BASE
    for n in range(questions.SITE_PHONE_QUESTIONS_PER_WINDOW // per_phone):
        state = _submitted(state, f"minted-{n}", SITE_B, per_phone)
    refused = run(state, SubmitQuestion("x", "A"), delegate("minted-new", SITE_B), now=NOW + 60)
    assert code_of(refused) == "rate_limited"
    assert isinstance(refused, Rejected)
    assert refused.params == {"limit": questions.SITE_PHONE_QUESTIONS_PER_WINDOW, "minutes": 10}
    events_of(run(state, SubmitQuestion("y", "A"), delegate("dev-a", SITE_A), now=NOW + 60))
    events_of(run(state, AddQuestion(draft()), SEC_B, now=NOW + 60))
    events_of(run(state, SubmitQuestion("z", "A"), delegate("minted-new", SITE_B), now=NOW + 700))


def test_phones_of_one_site_support_one_question_within_a_budget() -> None:
    state = STATE
    for n in range(questions.SITE_SUPPORTS_PER_WINDOW):
        state = do(state, SupportQuestion("i1"), delegate(f"minted-{n}", SITE_B), now=NOW + n)
    assert len(question(state, "i1").supporters) == questions.SITE_SUPPORTS_PER_WINDOW
    refused = run(state, SupportQuestion("i1"), delegate("minted-new", SITE_B), now=NOW + 60)
    assert code_of(refused) == "rate_limited"
    # another question, another site, and the same site once the window has passed
    events_of(run(state, SupportQuestion("i2"), delegate("minted-new", SITE_B), now=NOW + 60))
    events_of(run(state, SupportQuestion("i1"), delegate("dev-a", SITE_A), now=NOW + 60))
    events_of(run(state, SupportQuestion("i1"), delegate("minted-new", SITE_B), now=NOW + 700))


def test_supports_keep_their_budget_through_a_merge() -> None:
    state = STATE
    for n in range(questions.SITE_SUPPORTS_PER_WINDOW):
        state = do(state, SupportQuestion("i1"), delegate(f"minted-{n}", SITE_B), now=NOW + n)
    state = do(state, MergeQuestions("i2", ["i1"]), HOST, now=NOW + 30)
    refused = run(state, SupportQuestion("i2"), delegate("minted-new", SITE_B), now=NOW + 60)
    assert code_of(refused) == "rate_limited"


# --- settled before the meeting ------------------------------------------------------------------


def test_an_opinion_answered_before_the_meeting_is_not_followed_up_and_says_so() -> None:
    settled = question(SETTLED_BEFORE, "i1")
    assert (settled.status, settled.decided_before, settled.follow_up("2023-12-31")) == (
        "answered_before",
        True,
        None,
    )
    assert (settled.agency, settled.prior) == ("UBND phường", ANSWERED_BEFORE)


def test_one_forwarded_before_the_meeting_is_followed_up_until_the_level_answers() -> None:
    state = fold(STATE, PriorOutcomeSet("i1", FORWARDED_BEFORE))
    forwarded = question(state, "i1")
    assert (forwarded.status, forwarded.decision, forwarded.forwarded_to) == (
        "forwarded_before",
        "forwarded",
        "district",
    )
    assert forwarded.follow_up("2023-11-09") == "pending"
    assert forwarded.follow_up("2023-11-10") == "overdue"
    # the reply may come before the meeting itself
    answered = do(state, RecordWrittenAnswer("i1", "Quận đã trả lời", "2023-10-30"), HOST)
    assert question(answered, "i1").follow_up("2023-12-31") == "answered"


def test_the_chairs_decision_at_the_meeting_takes_the_place_of_one_before() -> None:
    state = do(SETTLED_BEFORE, DecideQuestion("i1", "on_the_spot"), HOST)
    decided = question(state, "i1")
    assert (decided.status, decided.prior, decided.agency) == ("on_the_spot", None, "")
    assert code_of(run(state, SetPriorOutcome("i1", None), HOST)) == "decided_at_meeting"


def test_left_to_the_meeting_again_it_is_undecided() -> None:
    state = do(SETTLED_BEFORE, SetPriorOutcome("i1", None), HOST)
    assert (question(state, "i1").status, question(state, "i1").agency) == ("undecided", "")


def test_the_import_carries_what_became_of_each_opinion() -> None:
    drafts = [
        draft("Đã trả lời", prior=PriorOutcomeDraft("answered", "UBND phường", text="Đã sửa")),
        draft("Đã chuyển", prior=PriorOutcomeDraft("forwarded", forwarded_to="city")),
        draft("Để hội nghị"),
    ]
    (imported,) = events_of(run(BASE, ImportQuestions(drafts), HOST))
    state = fold(BASE, imported)
    assert [q.status for q in state.questions] == [
        "answered_before",
        "forwarded_before",
        "undecided",
    ]
    assert state.questions[1].deadline == DEFAULT_DEADLINE  # from the meeting's date
    assert [decode_event(encode_event(imported))] == [imported]
    bad = run(BASE, ImportQuestions([draft(), draft(prior=PriorOutcomeDraft("answered"))]), HOST)
    assert isinstance(bad, Rejected)
    assert (bad.code, bad.params["number"]) == ("answer_required", 2)


def test_a_corrected_written_answer_keeps_the_first_record() -> None:
    state = do(
        ANSWERED_AT_MEETING, RecordWrittenAnswer("i1", "Đã trả lời, sửa", "2023-11-06"), HOST
    )
    corrected = question(state, "i1")
    assert (corrected.written_answer, corrected.answered_on) == ("Đã trả lời, sửa", "2023-11-06")
    assert corrected.earlier_answers == (("Đã trả lời", "2023-11-05"),)


def test_the_desk_gets_a_page_of_the_phones_questions_waiting_not_the_flood() -> None:
    flood = fold(
        BASE,
        *(
            QuestionSubmitted(
                rec(f"w{i}", f"Câu hỏi {i}", site=SITE_A, source="phone"), f"dev-{i}", T0 + i
            )
            for i in range(450)
        ),
    )
    view = questions_view(flood)
    assert view.moderation_waiting == 450
    assert [r.question.question_id for r in view.moderation] == [
        f"w{i}" for i in range(views.MODERATION_PAGE)
    ]  # the oldest first
    checked = do(flood, ModerateQuestion("w0", True), HOST)
    after = questions_view(checked)
    assert after.moderation_waiting == 449
    assert after.moderation[-1].question.question_id == f"w{views.MODERATION_PAGE}"
