"""Pages and the HTTP API on a real server: secrets checked everywhere, headers, QR codes, cards."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.server import ORGANISER_SECRET, ServerProcess, create_meeting, organiser_headers

HTML = {"accept": "text/html"}


def get(server: ServerProcess, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(path if path.startswith("http") else server.url + path, timeout=10, **kwargs)


@pytest.mark.parametrize(
    "path", ["/organiser", "/api/meetings", "/organiser/meetings/x", "/organiser/meetings/x/cards"]
)
def test_organiser_pages_need_the_secret(server: ServerProcess, path: str) -> None:
    """A program is refused; a person is sent to the sign-in page, which says how to sign in."""
    wrong = {"Authorization": "Bearer not-the-secret"}
    for headers in ({}, wrong):
        assert get(server, path, headers=headers).status_code == 403
    for headers in (HTML, {**wrong, **HTML}):
        answer = get(server, path, headers=headers)
        if path.startswith("/api/"):
            assert answer.status_code == 403
        else:
            assert answer.status_code == 302
            assert answer.headers["location"] == "/organiser/login?" + urlencode({"next": path})


def test_creating_a_meeting_needs_the_secret(server: ServerProcess) -> None:
    body = {
        "title": "X",
        "date": "2026-11-22",
        "level": "ward",
        "chair": "A",
        "main_hall": "H",
        "sites": [],
    }
    assert httpx.post(f"{server.url}/api/meetings", json=body, timeout=10).status_code == 403
    assert get(server, "/api/meetings", headers=organiser_headers()).json() == []


def test_organiser_signs_in_creates_a_meeting_and_prints_every_card(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        assert browser.post("/organiser/login", data={"secret": "wrong"}).status_code == 403
        not_signed_in = browser.get("/organiser")  # a person is shown how to sign in
        assert not_signed_in.status_code == 302
        assert not_signed_in.headers["location"] == "/organiser/login?next=%2Forganiser"
        signed_in = browser.post("/organiser/login", data={"secret": ORGANISER_SECRET})
        assert signed_in.status_code in (301, 302, 303)
        assert browser.get("/organiser").status_code == 200
        created = browser.post(
            "/organiser/meetings",
            data={
                "title": "Đối thoại với thanh niên",
                "date": "2026-12-01",
                "level": "district",
                "chair": "Chủ tịch UBND quận",
                "main_hall": "Hội trường quận",
                "sites": "Phường 1\nPhường 2\n\nPhường 3\n",
            },
        )
        assert created.status_code in (301, 302, 303)
        meeting_page = browser.get(created.headers["location"])
        assert meeting_page.status_code == 200
        assert "Đối thoại với thanh niên" in meeting_page.text
        assert meeting_page.text.count('class="link secretary-link"') == 4  # main hall + 3 sites
        cards = browser.get(created.headers["location"] + "/cards")
        assert cards.status_code == 200
        assert cards.text.count('class="card-print join-card"') == 4
        assert "Phường 3" in cards.text


def test_the_meeting_page_leads_to_the_delegate_list_invitations_and_every_door(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    """The organiser reaches the list, the invitations (HTML and PDF) and each site's door from it."""
    page = get(server, f"/organiser/meetings/{meeting['meeting_id']}", headers=organiser_headers())
    assert page.status_code == 200
    links = dict(
        re.findall(
            r'id="((?:delegates|invitations|invitations-pdf)-link)" href="([^"]+)"', page.text
        )
    )
    assert links == {
        "delegates-link": meeting["links"]["host"] + "/delegates",
        "invitations-link": meeting["links"]["host"] + "/invitations",
        "invitations-pdf-link": meeting["links"]["host"] + "/invitations.pdf",
    }
    doors = re.findall(r'class="link door-link" href="([^"]+)"', page.text)
    assert doors == [site["secretary"] + "/door" for site in meeting["links"]["sites"]]
    for link in [*links.values(), *doors]:
        assert get(server, link).status_code == 200, link
    assert get(server, links["invitations-pdf-link"]).content.startswith(b"%PDF")


def test_a_bad_meeting_form_is_shown_again_with_the_reason(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, headers=HTML, timeout=10) as browser:
        browser.get(f"/organiser/login?key={ORGANISER_SECRET}")
        answer = browser.post(
            "/organiser/meetings",
            data={
                "title": "  ",
                "date": "2026-12-01",
                "level": "ward",
                "chair": "A",
                "main_hall": "H",
                "sites": "",
            },
        )
        assert answer.status_code == 400
        assert "không được để trống" in answer.text
        duplicate = browser.post(
            "/organiser/meetings",
            data={
                "title": "T",
                "date": "2026-12-01",
                "level": "ward",
                "chair": "A",
                "main_hall": "H",
                "sites": "h\nH",
            },
        )
        assert duplicate.status_code == 400
        assert "trùng tên" in duplicate.text
        assert get(server, "/api/meetings", headers=organiser_headers()).json() == []


def test_the_api_refuses_a_bad_meeting(server: ServerProcess) -> None:
    body = {
        "title": "",
        "date": "22/11/2026",
        "level": "village",
        "chair": "A",
        "main_hall": "H",
        "sites": [],
    }
    answer = httpx.post(
        f"{server.url}/api/meetings", json=body, headers=organiser_headers(), timeout=10
    )
    assert answer.status_code == 400
    assert get(server, "/api/meetings", headers=organiser_headers()).json() == []


def test_links_use_the_public_base_url(server: ServerProcess, meeting: dict[str, Any]) -> None:
    links = meeting["links"]
    assert links["host"].startswith(server.url + "/m/")
    assert all(site["join"].startswith(server.url + "/m/") for site in links["sites"])


def test_role_pages_open_with_their_secret_only(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    host, site = meeting["links"]["host"], meeting["links"]["sites"][1]
    for link in (host, site["secretary"], site["display"]):
        assert get(server, link, headers=HTML).status_code == 200
        assert get(server, link[:-3] + "xyz", headers=HTML).status_code == 403
    other = meeting["links"]["sites"][2]["site_id"]
    stolen = site["secretary"].replace(site["site_id"], other)
    assert get(server, stolen, headers=HTML).status_code == 403
    as_host = site["display"].replace("/display/", "/host/")
    assert get(server, as_host, headers=HTML).status_code in (403, 404)


def test_pages_carry_a_strict_content_security_policy(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    answer = get(server, meeting["links"]["host"], headers=HTML)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script " not in answer.text.replace(
        '<script type="module" src="/static/js/live.js">', ""
    )


def test_join_gives_a_device_cookie_for_that_site(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    site = meeting["links"]["sites"][1]
    with httpx.Client(timeout=10, headers=HTML) as phone:
        assert phone.get(f"{server.url}/m/{meeting['meeting_id']}/phone").status_code == 403
        joined = phone.get(site["join"], follow_redirects=True)
        assert joined.status_code == 200
        assert site_name(meeting, 1) in joined.text
        assert phone.get(site["join"][:-2] + "zz").status_code == 403


def site_name(meeting: dict[str, Any], index: int) -> str:
    name: str = meeting["links"]["sites"][index]["name"]
    return name


def test_join_qr_is_an_svg_of_the_join_link(server: ServerProcess, meeting: dict[str, Any]) -> None:
    site = meeting["links"]["sites"][0]
    answer = get(server, site["join_qr"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.lstrip().startswith("<svg")
    assert get(server, site["join_qr"] + "x").status_code == 403


def test_unknown_meeting_is_404_in_a_readable_page(server: ServerProcess) -> None:
    answer = get(server, "/m/nope/host/key", headers=HTML)
    assert answer.status_code == 404
    assert "Không có nội dung ở đây" in answer.text


def test_language_cookie_switches_pages_to_english(
    server: ServerProcess, meeting: dict[str, Any]
) -> None:
    with httpx.Client(timeout=10, headers=HTML) as browser:
        switched = browser.get(f"{server.url}/lang/en?next=/")
        assert switched.status_code in (301, 302, 303)
        assert switched.headers["location"] == "/"
        page = browser.get(meeting["links"]["host"])
        assert "Host console" in page.text
        assert browser.get(f"{server.url}/lang/en?next=//evil.example").headers["location"] == "/"


def test_openapi_schema_describes_the_api(server: ServerProcess) -> None:
    schema = get(server, "/schema/openapi.json").json()
    assert "/api/meetings" in schema["paths"]
    assert "post" in schema["paths"]["/api/meetings"]


def test_a_second_meeting_is_separate(server: ServerProcess, meeting: dict[str, Any]) -> None:
    second = create_meeting(server, sites=["Thôn Đông"])
    assert second["meeting_id"] != meeting["meeting_id"]
    listed = get(server, "/api/meetings", headers=organiser_headers()).json()
    assert {row["meeting_id"] for row in listed} == {meeting["meeting_id"], second["meeting_id"]}
    cross = meeting["links"]["host"].replace(meeting["meeting_id"], second["meeting_id"])
    assert get(server, cross, headers=HTML).status_code == 403
