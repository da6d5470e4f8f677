"""Issue 16, its first two parts on a real server: what another site's page sends changes nothing,
and no upload, however hostile, makes the server stop answering."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from tests.support.client import LiveClient
from tests.support.server import ORGANISER_SECRET, ServerProcess, organiser_headers

DATA = Path(__file__).resolve().parent.parent / "data"
FOREIGN = "http://hall-wifi.example:8000"
HTML = {"accept": "text/html"}
REFUSED_PAGE = "Biểu mẫu này được gửi từ một trang web khác nên không có gì thay đổi."
MEETING = {
    "title": "Hội nghị đối thoại",
    "date": "2026-11-22",
    "level": "ward",
    "chair": "Chủ tịch UBND phường",
    "main_hall": "Hội trường",
    "sites": ["Tổ 1"],
}


def meeting_count(server: ServerProcess) -> int:
    answer = httpx.get(f"{server.url}/api/meetings", headers=organiser_headers(), timeout=10)
    return len(answer.json())


@contextmanager
def signed_in(server: ServerProcess) -> Iterator[httpx.Client]:
    """An organiser's browser with its session cookie."""
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        signing_in = browser.post("/organiser/login", data={"secret": ORGANISER_SECRET})
        assert signing_in.status_code == 303
        yield browser


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert REFUSED_PAGE in response.text


# -- CSRF ---------------------------------------------------------------------------------------


def test_login_from_another_site_is_refused_and_from_this_one_accepted(
    server: ServerProcess,
) -> None:
    form = {"secret": ORGANISER_SECRET}
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        assert_refused(browser.post("/organiser/login", data=form, headers={"origin": FOREIGN}))
        assert "session" not in browser.cookies
        same = browser.post("/organiser/login", data=form, headers={"origin": server.url})
        assert same.status_code == 303
        assert browser.get("/organiser").status_code == 200


def test_a_meeting_made_from_another_site_is_refused(server: ServerProcess) -> None:
    form = {**MEETING, "sites": "Tổ 1\nTổ 2"}
    with signed_in(server) as browser:
        for attack in (
            {"origin": FOREIGN},
            {"origin": "null"},  # a sandboxed frame, or a page that hides where it is
            {"origin": server.url, "sec-fetch-site": "cross-site"},
            {"sec-fetch-site": "same-site"},  # another port of this machine
        ):
            assert_refused(browser.post("/organiser/meetings", data=form, headers=attack))
        assert meeting_count(server) == 0
        for ours in ({"origin": server.url}, {"sec-fetch-site": "same-origin"}):
            assert browser.post("/organiser/meetings", data=form, headers=ours).status_code == 303
    assert meeting_count(server) == 2


def test_origin_null_passes_only_with_the_same_site_mark_a_page_of_ours_set(
    server: ServerProcess,
) -> None:
    """Over plain http a browser on our no-referrer pages sends `Origin: null` for our own forms."""
    form = {"secret": ORGANISER_SECRET}
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        assert_refused(browser.post("/organiser/login", data=form, headers={"origin": "null"}))
        page = browser.get("/organiser/login")
        mark = page.headers["set-cookie"].lower()
        assert "diemcau_same_site=1" in mark
        assert "samesite=strict" in mark
        assert "httponly" in mark
        assert (
            browser.post("/organiser/login", data=form, headers={"origin": "null"}).status_code
            == 303
        )
        for asset in ("/static/css/app.css", "/healthz"):  # only pages carry the mark
            answer = browser.get(asset)
            assert answer.status_code == 200
            assert "diemcau_same_site" not in answer.headers.get("set-cookie", "")


def test_the_json_api_refuses_form_bodies_and_foreign_origins_but_not_programs(
    server: ServerProcess,
) -> None:
    url = f"{server.url}/api/meetings"
    body = httpx.Request("POST", url, json=MEETING).content
    with signed_in(server) as browser:
        # What a page on another site can send without asking: JSON as text/plain, with cookies.
        as_text = {"content-type": "text/plain", "origin": FOREIGN}
        assert browser.post(url, content=body, headers=as_text).status_code == 403
        as_json = {"content-type": "application/json", "origin": FOREIGN}
        assert browser.post(url, content=body, headers=as_json).status_code == 403
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        program = {**organiser_headers(), "content-type": content_type}
        refused = httpx.post(url, content=body, headers=program, timeout=10)
        assert refused.status_code == 415
        assert refused.json()["detail"] == "Send JSON (application/json)"
    assert meeting_count(server) == 0
    created = httpx.post(url, json=MEETING, headers=organiser_headers(), timeout=10)
    assert created.status_code == 201  # a program with the secret and no Origin
    ours = {**organiser_headers(), "origin": server.url}
    assert httpx.post(url, json=MEETING, headers=ours, timeout=10).status_code == 201
    assert meeting_count(server) == 2


async def question_count(server: ServerProcess, meeting: dict[str, Any]) -> int:
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    await desk.close()
    found = re.search(r'id="question-count">(\d+)<', desk.views[-1]["html"])
    assert found is not None
    return int(found.group(1))


async def test_the_hosts_upload_and_import_from_another_site_are_refused(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    intake = meeting["links"]["host"] + "/intake"
    sample = (
        "Nội dung ý kiến,Cơ quan trả lời,Thẩm quyền\nSửa đèn đường tổ 1.,UBND,Phường\n".encode()
    )
    async with httpx.AsyncClient(headers=HTML, timeout=30) as browser:
        files = {"file": ("y-kien.csv", sample)}
        foreign = {"origin": FOREIGN}
        assert_refused(await browser.post(intake, files=files, headers=foreign))
        preview = await browser.post(intake, files=files, headers={"origin": server.url})
        assert preview.status_code == 200
        found = re.search(r'name="token" value="([^"]+)"', preview.text)
        assert found is not None
        confirm = {"token": found.group(1)}
        assert_refused(await browser.post(intake + "/confirm", data=confirm, headers=foreign))
        assert await question_count(server, meeting) == 0
        done = await browser.post(intake + "/confirm", data=confirm, headers={"origin": server.url})
        assert done.status_code == 303
    assert await question_count(server, meeting) == 1


async def test_a_written_answer_recorded_from_another_site_is_refused(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host = await LiveClient.open(server, meeting["links"]["host"])
    question = {"text": "Đường ngập khi mưa lớn", "body": "committee", "level": "ward"}
    assert (await host.command({"type": "import_questions", "questions": [question]}))[
        "type"
    ] == "ack"
    desk = await LiveClient.open(server, meeting["links"]["host"], view="questions")
    await desk.close()
    found = re.search(r'"question_id": "([0-9a-f]+)"', desk.views[-1]["html"])
    assert found is not None
    question_id = found.group(1)
    decided = await host.command(
        {
            "type": "decide_question",
            "question_id": question_id,
            "decision": "written",
            "agency": "UBND phường",
            "deadline": "2026-12-10",
        }
    )
    assert decided["type"] == "ack", decided
    await host.close()
    followup = meeting["links"]["host"] + "/followup"
    answer = {
        "question_id": question_id,
        "text": "Đã khơi thông cống.",
        "answered_on": "2026-12-01",
    }
    answered = f'id="q-{question_id}" class="promise promise-answered"'
    async with httpx.AsyncClient(headers=HTML, timeout=30) as browser:
        assert_refused(await browser.post(followup, data=answer, headers={"origin": FOREIGN}))
        assert answered not in (await browser.get(followup)).text
        done = await browser.post(followup, data=answer, headers={"origin": server.url})
        assert done.status_code == 303
        assert answered in (await browser.get(followup)).text


# -- uploads ------------------------------------------------------------------------------------

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
XLSX_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook {MAIN} xmlns:r="{RELS}"><sheets>'
        '<sheet name="Ý kiến" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}


def xlsx(sheet: str, shared_strings: str = f'<sst {MAIN} count="0" uniqueCount="0"/>') -> bytes:
    """A workbook written by hand, so that it can say what no spreadsheet program would."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def with_entities(declarations: str, top: str) -> bytes:
    return xlsx(
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{declarations}]><worksheet {MAIN}><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>&{top};</t></is></c></row>'
        "</sheetData></worksheet>"
    )


def entity_chain(depth: int = 100_000) -> bytes:
    """Each entity is the one before: expat 2.5.0 recurses once per level and overflows its stack
    (CVE-2024-8176); this crashed the whole server when openpyxl parsed it in the server."""
    chain = "".join(f'<!ENTITY e{i} "&e{i - 1};">' for i in range(1, depth))
    return with_entities('<!ENTITY e0 "x">' + chain, f"e{depth - 1}")


def billion_laughs() -> bytes:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return with_entities('<!ENTITY l0 "ha">' + levels, "l9")


def wide_sheet(rows: int = 2_000) -> bytes:
    """Claims (and uses) 2,000 rows x 16,384 columns: read-only openpyxl pads every row to XFD."""
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>a</t></is></c>'
        f'<c r="XFD{r}" t="inlineStr"><is><t>b</t></is></c></row>'
        for r in range(1, rows + 1)
    )
    return xlsx(
        f'<worksheet {MAIN}><dimension ref="A1:XFD{rows}"/><sheetData>{cells}</sheetData></worksheet>'
    )


def huge_shared_strings(mib: int = 60) -> bytes:
    """60 MiB of one-letter strings, under the 64 MiB unpacked cap: a minute of parsing."""
    count = mib * 1024 * 1024 // len("<si><t>a</t></si>")
    strings = (
        f'<sst {MAIN} count="{count}" uniqueCount="{count}">{"<si><t>a</t></si>" * count}</sst>'
    )
    sheet = f'<worksheet {MAIN}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    return xlsx(sheet, strings)


def wide_csv_header(columns: int = 200_000) -> bytes:
    return ("Nội dung ý kiến," + ",".join(f"c{i}" for i in range(columns))).encode()


class HealthWatch:
    """Asks /healthz every 0.1 s from a thread while the test runs; remembers every answer."""

    def __init__(self, server: ServerProcess) -> None:
        self.url = f"{server.url}/healthz"
        self.times: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._asked = threading.Condition()  # told after each answer (or failure)
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with httpx.Client(timeout=2.0) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = http.get(self.url).status_code
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                else:
                    if status != 200:
                        self.failures.append(f"status {status}")
                with self._asked:
                    self.times.append(time.monotonic() - started)
                    self._asked.notify_all()
                self._stop.wait(0.1)

    def wait_for_answers(self, count: int, timeout: float = 10.0) -> None:
        """Until /healthz has been asked `count` more times from now (each is answered within 2 s
        or counted as a failure)."""
        with self._asked:
            wanted = len(self.times) + count
            asked = self._asked.wait_for(lambda: len(self.times) >= wanted, timeout)
        assert asked, f"/healthz asked {len(self.times)} times, not {wanted}, within {timeout} s"

    @contextmanager
    def watching(self) -> Iterator[HealthWatch]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def assert_always_answered(self) -> None:
        assert self.failures == []
        assert len(self.times) >= 3
        assert max(self.times) < 1.0, f"slowest /healthz: {max(self.times):.2f} s"


def upload(meeting: dict[str, Any], name: str, content: bytes) -> httpx.Response:
    return httpx.post(
        meeting["links"]["host"] + "/intake",
        files={"file": (name, content)},
        headers=HTML,
        timeout=60,
    )


def assert_server_alive_and_reading(server: ServerProcess, meeting: dict[str, Any]) -> None:
    assert httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200
    workbook = Workbook()
    workbook.active.append(["Nội dung ý kiến", "Cơ quan trả lời", "Thẩm quyền"])
    workbook.active.append(["Sửa đèn đường tổ 1.", "UBND", "Phường"])
    content = io.BytesIO()
    workbook.save(content)
    preview = upload(meeting, "y-kien.xlsx", content.getvalue())
    assert preview.status_code == 200
    assert "Sửa đèn đường tổ 1." in preview.text
    assert 'name="token"' in preview.text


@pytest.mark.parametrize(
    "make", [entity_chain, billion_laughs], ids=["100000-deep-entity-chain", "billion-laughs"]
)
def test_a_workbook_declaring_entities_is_refused_and_the_server_keeps_answering(
    server: ServerProcess, meeting: dict[str, Any], make: Any
) -> None:
    content = make()
    with HealthWatch(server).watching() as health:
        health.wait_for_answers(3)  # the server answers before the upload
        refused = upload(meeting, "y-kien.xlsx", content)
        health.wait_for_answers(3)  # and after it
    health.assert_always_answered()
    assert refused.status_code == 200
    assert "y-kien.xlsx có khai báo thực thể XML" in refused.text
    assert 'name="token"' not in refused.text  # nothing to import
    assert_server_alive_and_reading(server, meeting)


@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        ("y-kien.xlsx", wide_sheet, "Bảng có hơn 200 cột"),
        ("y-kien.csv", wide_csv_header, "Bảng có hơn 200 cột"),
        ("y-kien.xlsx", huge_shared_strings, "Việc đọc tệp"),  # too slow or too much memory
    ],
    ids=["2000-rows-by-16384-columns", "200000-column-csv-header", "60-MiB-of-shared-strings"],
)
def test_a_huge_table_is_refused_while_the_server_keeps_answering(
    server: ServerProcess, meeting: dict[str, Any], name: str, make: Any, said: str
) -> None:
    content = make()
    with HealthWatch(server).watching() as health:
        health.wait_for_answers(3)  # the server answers before the upload
        started = time.monotonic()
        refused = upload(meeting, name, content)
        took = time.monotonic() - started
        health.wait_for_answers(3)  # and after it
    health.assert_always_answered()
    assert refused.status_code == 200
    assert said in refused.text
    assert 'name="token"' not in refused.text
    assert took < 20  # the reader's 15 s limit, and the process it ran in
    assert_server_alive_and_reading(server, meeting)
