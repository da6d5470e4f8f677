"""A meeting's date is a real day: refused when it is not (2017-02-30), and an old log that holds
one still shows its desk, report and papers instead of failing."""

from __future__ import annotations

import msgspec
import pytest

from server import papers
from server.core.apply import apply
from server.core.commands import (
    AddQuestion,
    Command,
    CreateMeeting,
    DecideQuestion,
    QuestionDraft,
)
from server.core.questions import written_deadline
from server.core.report import meeting_report
from server.core.state import MeetingState
from server.core.views import questions_view
from server.papers.content import minutes_content
from tests.core.support import HOST, created, do

MEETING = {
    "type": "create_meeting",
    "title": "Hội nghị tiếp xúc, đối thoại",
    "level": "ward",
    "chair": "Bí thư Đảng ủy phường",
    "main_hall": "Hội trường",
    "sites": ["Tổ dân phố 1"],
}


@pytest.mark.parametrize(
    "day", ["2017-02-30", "2026-02-29", "2026-04-31", "2026-13-01", "0000-01-01"]
)
def test_a_day_that_does_not_exist_is_refused_naming_the_date(day: str) -> None:
    body = msgspec.json.encode({**MEETING, "date": day})
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.json.decode(body, type=Command)
    assert str(refused.value).endswith("- at `$.date`")
    assert day in str(refused.value)


@pytest.mark.parametrize("day", ["2024-02-29", "2026-12-31", "2017-02-28"])
def test_a_real_day_is_taken(day: str) -> None:
    command = msgspec.json.decode(msgspec.json.encode({**MEETING, "date": day}), type=Command)
    assert isinstance(command, CreateMeeting)
    assert command.date == day


OLD_LOG_MEETING = created(date="2017-02-30")  # accepted before dates were checked as days


def test_an_old_meeting_on_no_real_day_still_has_a_desk_report_and_papers() -> None:
    state = apply(MeetingState(), OLD_LOG_MEETING)
    state = do(state, AddQuestion(QuestionDraft("Đèn đường tổ 3 hỏng")), HOST)
    question_id = state.questions[0].question_id
    state = do(state, DecideQuestion(question_id, "written", agency="UBND phường"), HOST)
    assert written_deadline(state) == ""  # no default deadline from a day that does not exist
    desk = questions_view(state)
    assert desk.written_deadline == ""
    assert state.questions[0].deadline == ""
    report = meeting_report(state, "2026-12-02")
    for paper in papers.MEETING_PAPERS.values():
        assert paper.make(report)
    assert "2017-02-30" in minutes_content(report).heading.date_line
