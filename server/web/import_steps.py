"""The steps of every import, whatever the list: upload and preview, map the sites the meeting does
not know, confirm once. Each list (opinions in `intake.py`, delegates in `delegate_intake.py`) says
only what differs: how its file is read, what its rows become, which command takes them in."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

import msgspec
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.stores.base import Store

from server.core.commands import Actor, Command
from server.core.rules import N_, Rejected
from server.core.state import MeetingState
from server.intake.opinions import IntakeProblem, site_key, suggest_site
from server.live.runtime import Accepted, MeetingRuntime
from server.web.pages import meeting_or_404, services_of
from server.web.services import Services

MAX_UPLOAD = 6 * 1024 * 1024
PREVIEW_SECONDS = 3600
STORE = "intake"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
UNASSIGNED = "none"  # the mapping form's value for "leave these rows without a site"

EXPIRED = N_("This preview has expired or does not exist; upload the file again.")
NO_FILE = N_("Choose a file to upload.")
FOREIGN_SITE = N_('The site chosen for "{value}" is not a site of this meeting.')
MAP_FIRST = N_("Some sites in the file are not matched yet: choose a site for each first.")
BAD_CHOICE = N_('"{value}" is neither "skip" nor "import anyway".')


class SiteValue(msgspec.Struct):
    """One distinct "Điểm cầu" value of the file, and the site its rows go to.

    `matched`: the name is a site's, spelling aside; nobody is asked. Otherwise the person
    answers in the mapping step (`chosen`): a site, or none (`site_id` None). `proposed` is
    what the form shows selected until then: the last import's answer, or a likely site.
    """

    written: str
    key: str
    lines: list[int]
    site_id: str | None = None
    matched: bool = False
    chosen: bool = False
    proposed: str | None = None
    proposed_by: Literal["", "suggested", "remembered"] = ""

    @property
    def pending(self) -> bool:
        return not self.matched and not self.chosen


class UploadPreview(msgspec.Struct):
    """What the person saw; confirming imports exactly these rows (a new file, a new preview).
    Each list adds its reader's result."""

    filename: str
    file_hash: str
    problems: list[IntakeProblem]
    sites: list[SiteValue]

    @property
    def pending(self) -> list[SiteValue]:
        return [s for s in self.sites if s.pending]

    @property
    def asked(self) -> list[SiteValue]:
        """The values the mapping step is about: every one not matched by its name."""
        return [s for s in self.sites if not s.matched]


class ImportedFile(msgspec.Struct, frozen=True):
    """A file imported into a meeting, kept by its hash: the same bytes again are told so."""

    filename: str
    at: float
    count: int


class Confirmed(msgspec.Struct, frozen=True):
    """What one confirmation did, kept so that a second click answers the same."""

    imported: int
    skipped: int  # already in the meeting
    left_out: int = 0  # their site was answered "leave out"


class Confirm(msgspec.Struct):
    token: str = ""
    already: str = "skip"  # what to do with the rows already imported: "skip" or "import"


class Plan(NamedTuple):
    """What a confirmation would do: `command` None when there is nothing to import (`empty`
    says why); `lines` names the file's line of each row the command carries, in its order."""

    command: Command | None
    done: Confirmed
    empty: str
    lines: list[int]


# -- matching -----------------------------------------------------------------------------------


class SiteCell(Protocol):
    """A row's "Điểm cầu" cell as written: an opinion's, or a delegate's."""

    @property
    def line(self) -> int: ...

    @property
    def site(self) -> str: ...


def match_sites(
    rows: Sequence[SiteCell], state: MeetingState, remembered: dict[str, str]
) -> list[SiteValue]:
    """Every distinct site value in the file, matched to a site by its name where it can be."""
    names = {site.site_id: site.name for site in state.sites}
    by_key: dict[str, list[str]] = {}
    for site_id, name in names.items():
        by_key.setdefault(site_key(name), []).append(site_id)
    values: dict[str, SiteValue] = {}
    for row in rows:
        if not row.site:
            continue
        key = site_key(row.site)
        if key in values:
            values[key].lines.append(row.line)
            continue
        found = by_key.get(key, [])
        value = SiteValue(row.site, key, [row.line])
        if len(found) == 1:  # two sites named alike: the person says which
            value.site_id, value.matched = found[0], True
        elif key in remembered and (remembered[key] in names or remembered[key] == ""):
            value.proposed, value.proposed_by = remembered[key] or None, "remembered"
        else:
            value.proposed = suggest_site(row.site, names)
            value.proposed_by = "suggested" if value.proposed else ""
        values[key] = value
    return list(values.values())


def selected_site(index: int, value: SiteValue, answers: dict[str, str]) -> str:
    """What the mapping form shows chosen: the answer just sent back, the answer given, what
    the last import chose, or a likely site; "" (choose) if none."""
    if f"site-{index}" in answers:
        return answers[f"site-{index}"]
    if value.chosen:
        return value.site_id or UNASSIGNED
    if value.proposed_by == "remembered":
        return value.proposed or UNASSIGNED
    return value.proposed or ""


# -- the store ----------------------------------------------------------------------------------


def intake_store(request: Request[Any, Any, Any]) -> Store:
    return request.app.stores.get(STORE)


def _sites_key(meeting_id: str) -> str:
    return f"sites:{meeting_id}"


Stored = TypeVar("Stored")


def _decoded(stored: bytes | None, kind: type[Stored]) -> Stored | None:
    if stored is None:
        return None
    try:
        return msgspec.msgpack.decode(stored, type=kind)
    except msgspec.DecodeError:  # written by an older version of the page
        return None


async def remembered_sites(request: Request[Any, Any, Any], meeting_id: str) -> dict[str, str]:
    """The mapping step's last answers in this meeting: site key to site id ("" for none)."""
    stored = await intake_store(request).get(_sites_key(meeting_id))
    return _decoded(stored, dict[str, str]) or {}


async def remember_sites(
    request: Request[Any, Any, Any], meeting_id: str, answers: dict[str, str]
) -> None:
    """The mapping step's answers, proposed the next time (by either list's import)."""
    remembered = await remembered_sites(request, meeting_id)
    remembered.update(answers)
    await intake_store(request).set(_sites_key(meeting_id), msgspec.msgpack.encode(remembered))


# -- shared by the pages ------------------------------------------------------------------------


def refusal_status(rejected: Rejected) -> int:
    """A command the page sent was refused: try again later (the log is down, 503), or the
    command itself cannot be (409). Either way nothing changed."""
    return HTTP_503_SERVICE_UNAVAILABLE if rejected.retryable else HTTP_409_CONFLICT


async def host_access(
    request: Request[Any, Any, Any], meeting_id: str, key: str
) -> tuple[Services, MeetingRuntime, Actor]:
    services = services_of(request)
    runtime, _ = await meeting_or_404(services, meeting_id)
    actor = services.keys.actor_for(meeting_id, "host", None, key)
    if actor is None:
        raise PermissionDeniedException("Wrong link")
    return services, runtime, actor


def local_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone().strftime("%H:%M %d/%m/%Y")


PreviewT = TypeVar("PreviewT", bound=UploadPreview)


class ImportSteps(ABC, Generic[PreviewT]):
    """One list's import. Its page lives at `/m/{meeting}/host/{key}/{path}`; the store keeps its
    previews for an hour under `{name}preview:`, and the files imported, by hash, for good."""

    path: str  # also the confirming command's id, with the preview's token
    name: str  # the store keys' prefix
    preview_type: type[PreviewT]
    choose_site: str  # the mapping step's question for a value left unanswered

    # -- what each list says --

    @abstractmethod
    def page(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        key: str,
        status: int = 200,
        problems: list[IntakeProblem] | None = None,
        **context: Any,
    ) -> Response[str]:
        """The list's page, with `context` for its template."""

    @abstractmethod
    async def read(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        upload: UploadFile,
        content: bytes,
        remembered: dict[str, str],
    ) -> PreviewT:
        """The uploaded file read and checked against the meeting as it is now."""

    @abstractmethod
    def rows(self, preview: PreviewT, state: MeetingState, file_seen: bool) -> Sequence[Any]:
        """The rows as they would be imported now (the meeting may have changed since)."""

    @abstractmethod
    def preview_context(
        self, request: Request[Any, Any, Any], preview: PreviewT, rows: Sequence[Any]
    ) -> dict[str, Any]:
        """What the list's preview shows beyond the rows and the mapping step."""

    @abstractmethod
    def plan(self, rows: Sequence[Any], import_again: bool) -> Plan:
        """The command a confirmation sends, and what it will have done."""

    @abstractmethod
    def remembered_answers(self, preview: PreviewT) -> dict[str, str]:
        """The mapping step's answers kept for the next import."""

    @abstractmethod
    def imported_url(self, meeting_id: str, key: str, done: Confirmed) -> str:
        """Where a confirmation leads."""

    def unanswered(self, value: SiteValue) -> IntakeProblem:
        return IntakeProblem(0, self.choose_site, {"value": value.written})

    def refused(self, rejected: Rejected, plan: Plan) -> IntakeProblem:
        """The core names a row by its place in the command; the person knows their line."""
        number = rejected.params.get("number")
        params = rejected.params
        if isinstance(number, int) and 0 < number <= len(plan.lines) and "problem" in params:
            rest = {k: v for k, v in params.items() if k not in ("number", "problem")}
            return IntakeProblem(plan.lines[number - 1], str(params["problem"]), rest)
        return IntakeProblem(0, rejected.message, params)

    # -- the store --

    def _key(self, kind: str, meeting_id: str, token: str) -> str:
        return f"{self.name}{kind}:{meeting_id}:{token}"

    async def _save(
        self, request: Request[Any, Any, Any], meeting_id: str, preview: PreviewT
    ) -> str:
        token = secrets.token_urlsafe(16)
        encoded = msgspec.msgpack.encode(preview)
        await intake_store(request).set(
            self._key("preview", meeting_id, token), encoded, PREVIEW_SECONDS
        )
        return token

    async def _load(
        self, request: Request[Any, Any, Any], meeting_id: str, token: str
    ) -> PreviewT | None:
        """None for an unknown, expired or malformed token: all three mean "upload again"."""
        if not TOKEN.fullmatch(token):
            return None
        stored = await intake_store(request).get(self._key("preview", meeting_id, token))
        return _decoded(stored, self.preview_type)

    async def imported_file(
        self, request: Request[Any, Any, Any], meeting_id: str, file_hash: str
    ) -> ImportedFile | None:
        stored = await intake_store(request).get(self._key("imported", meeting_id, file_hash))
        return _decoded(stored, ImportedFile)

    async def _confirmed(
        self, request: Request[Any, Any, Any], meeting_id: str, token: str
    ) -> Confirmed | None:
        stored = await intake_store(request).get(self._key("done", meeting_id, token))
        return _decoded(stored, Confirmed)

    async def _record(
        self,
        request: Request[Any, Any, Any],
        meeting_id: str,
        token: str,
        preview: PreviewT,
        done: Confirmed,
    ) -> None:
        """Kept in the same store as previews (a file, or Redis for several workers): the
        confirmation for an hour, the file for good; the rows are also recognised from the
        meeting itself if this is lost."""
        store = intake_store(request)
        await store.set(
            self._key("done", meeting_id, token), msgspec.msgpack.encode(done), PREVIEW_SECONDS
        )
        record = ImportedFile(preview.filename, time.time(), done.imported)
        file_key = self._key("imported", meeting_id, preview.file_hash)
        await store.set(file_key, msgspec.msgpack.encode(record))
        await remember_sites(request, meeting_id, self.remembered_answers(preview))

    # -- the steps --

    def expired(
        self, request: Request[Any, Any, Any], runtime: MeetingRuntime, key: str
    ) -> Response[str]:
        return self.page(request, runtime, key, HTTP_404_NOT_FOUND, [IntakeProblem(0, EXPIRED)])

    async def preview_page(
        self,
        request: Request[Any, Any, Any],
        runtime: MeetingRuntime,
        key: str,
        preview: PreviewT,
        token: str,
        *,
        status: int = 200,
        problems: list[IntakeProblem] | None = None,
        mapping: bool = False,
        answers: dict[str, str] | None = None,
    ) -> Response[str]:
        """The preview; the mapping step while a site is not matched (or when asked to change
        it)."""
        state = runtime.state
        earlier = await self.imported_file(request, runtime.meeting_id, preview.file_hash)
        rows = self.rows(preview, state, earlier is not None)
        return self.page(
            request,
            runtime,
            key,
            status=status,
            problems=[*preview.problems, *(problems or [])],
            preview=preview,
            preview_token=token,
            mapping=mapping or bool(preview.pending),
            asked=preview.asked,
            asked_choices=[
                (i, value, selected_site(i, value, answers or {}))
                for i, value in enumerate(preview.sites)
                if not value.matched
            ],
            matched=[value for value in preview.sites if value.matched],
            sites=state.sites,
            site_names={site.site_id: site.name for site in state.sites},
            earlier=earlier,
            earlier_at=local_time(earlier.at) if earlier else "",
            already=sum(row.already for row in rows),
            **self.preview_context(request, preview, rows),
        )

    async def show(
        self, request: Request[Any, Any, Any], runtime: MeetingRuntime, key: str, token: str
    ) -> Response[str]:
        """The page at `?preview=TOKEN` (and `&sites=1` to change the mapping step's answers)."""
        preview = await self._load(request, runtime.meeting_id, token)
        if preview is None:
            return self.expired(request, runtime, key)
        mapping = request.query_params.get("sites") == "1"
        return await self.preview_page(request, runtime, key, preview, token, mapping=mapping)

    async def upload(
        self,
        request: Request[Any, Any, Any],
        meeting_id: str,
        key: str,
        data: dict[str, UploadFile],
    ) -> Response[str]:
        _, runtime, _ = await host_access(request, meeting_id, key)
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            problem = IntakeProblem(0, NO_FILE)
            return self.page(request, runtime, key, HTTP_400_BAD_REQUEST, [problem])
        content = await upload.read()
        remembered = await remembered_sites(request, meeting_id)
        preview = await self.read(request, runtime, upload, content, remembered)
        token = await self._save(request, meeting_id, preview)
        return await self.preview_page(request, runtime, key, preview, token)

    async def map_sites(
        self, request: Request[Any, Any, Any], meeting_id: str, key: str, data: dict[str, str]
    ) -> Response[str] | Redirect:
        """The mapping step's answers: a new preview with them (the old one is left as it was)."""
        _, runtime, _ = await host_access(request, meeting_id, key)
        token = data.get("token", "")
        preview = await self._load(request, meeting_id, token)
        if preview is None:
            return self.expired(request, runtime, key)
        names = {site.site_id for site in runtime.state.sites}
        problems = []
        mapped = []
        for index, value in enumerate(preview.sites):
            answer = data.get(f"site-{index}", "")
            if value.matched:
                mapped.append(value)
            elif answer == UNASSIGNED or answer in names:
                site_id = None if answer == UNASSIGNED else answer
                mapped.append(msgspec.structs.replace(value, site_id=site_id, chosen=True))
            elif answer:
                problems.append(IntakeProblem(0, FOREIGN_SITE, {"value": value.written}))
            else:
                problems.append(self.unanswered(value))
        if problems:
            return await self.preview_page(
                request,
                runtime,
                key,
                preview,
                token,
                status=HTTP_400_BAD_REQUEST,
                problems=problems,
                mapping=True,
                answers={k: v for k, v in data.items() if k.startswith("site-")},
            )
        again = msgspec.structs.replace(preview, sites=mapped)
        new_token = await self._save(request, meeting_id, again)
        url = f"/m/{meeting_id}/host/{key}/{self.path}?preview={new_token}"
        return Redirect(url, status_code=303)

    async def confirm(
        self, request: Request[Any, Any, Any], meeting_id: str, key: str, data: Confirm
    ) -> Response[str] | Redirect:
        _, runtime, actor = await host_access(request, meeting_id, key)
        preview = await self._load(request, meeting_id, data.token)
        if preview is None:
            return self.expired(request, runtime, key)

        async def refuse(status: int, problem: IntakeProblem | None = None) -> Response[str]:
            extra = [problem] if problem else []
            return await self.preview_page(
                request, runtime, key, preview, data.token, status=status, problems=extra
            )

        def imported(done: Confirmed) -> Redirect:
            return Redirect(self.imported_url(meeting_id, key, done), status_code=303)

        done = await self._confirmed(request, meeting_id, data.token)
        if done is not None:  # a second click, or back and confirm again: the first answer
            return imported(done)
        if preview.problems:  # not 201: nothing was imported
            return await refuse(HTTP_400_BAD_REQUEST)
        if preview.pending:
            return await refuse(HTTP_400_BAD_REQUEST, IntakeProblem(0, MAP_FIRST))
        if data.already not in ("skip", "import"):
            bad = IntakeProblem(0, BAD_CHOICE, {"value": data.already[:60]})
            return await refuse(HTTP_400_BAD_REQUEST, bad)
        earlier = await self.imported_file(request, meeting_id, preview.file_hash)
        rows = self.rows(preview, runtime.state, earlier is not None)
        plan = self.plan(rows, import_again=data.already == "import")
        if plan.command is None:
            done = await self._confirmed(request, meeting_id, data.token)  # the other click won
            if done is not None:
                return imported(done)
            return await refuse(HTTP_409_CONFLICT, IntakeProblem(0, plan.empty))
        # The token is the command id: two clicks at once import once.
        outcome = await runtime.execute(plan.command, actor, f"{self.path}-{data.token}")
        if isinstance(outcome, Rejected):
            return await refuse(refusal_status(outcome), self.refused(outcome, plan))
        assert isinstance(outcome, Accepted)  # noqa: S101 - Outcome is Accepted | Rejected
        if not outcome.duplicate:
            await self._record(request, meeting_id, data.token, preview, plan.done)
        return imported(plan.done)


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
