"""`python -m server …`: serve, demo, create, links."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import sys
from pathlib import Path
from typing import ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.config import ConfigError, Settings, load_settings, local_today
from server.core.commands import CreateMeeting
from server.core.decide import Rejected
from server.i18n import translate
from server.live.frames import LiveWebSocketProtocol
from server.log.base import EventLog, LogUnavailable
from server.web.app import create_app, make_log
from server.web.joining import join_code
from server.web.organiser import MeetingLinks, meeting_links
from server.web.services import Services

DEMO_SITES = [
    "Tổ dân phố 1",
    "Tổ dân phố 2",
    "Tổ dân phố 3",
    "Nhà văn hóa khu phố Đông",
    "Trường Tiểu học Nguyễn Trãi",
]


HEAD_TIMEOUT = 10.0  # seconds to send a request's head, from connecting or the last answer
BODY_TIMEOUT = 30.0  # seconds a request's body may pause between two reads (as nginx counts)
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers; no page or socket sends 1 KiB
MAX_PENDING_HEADS = 4096  # connections still sending their head, per process: more are closed
LIMIT_CONCURRENCY = 30_000  # connections and tasks per process before uvicorn answers 503


class TimelyHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol with the limits it lacks: it has no timeout for a request's head
    or body, so 400 clients that each send half a request (or half a WebSocket upgrade) would
    hold 400 connections for as long as they like."""

    _pending: ClassVar[set[TimelyHttp]] = set()
    _timer: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(TimelyHttp._pending) >= MAX_PENDING_HEADS:
            transport.close()
            return
        self._wait_for_head()

    def _wait_for_head(self) -> None:
        TimelyHttp._pending.add(self)
        self._head_bytes = 0
        self._arm(HEAD_TIMEOUT)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self.transport.close)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self in TimelyHttp._pending:  # still no whole head (the body's bytes do not count)
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.transport.close()

    def on_headers_complete(self) -> None:
        TimelyHttp._pending.discard(self)
        self._disarm()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._arm(BODY_TIMEOUT)  # until the body is in; a request without one ends at once

    def on_body(self, body: bytes) -> None:
        self._arm(BODY_TIMEOUT)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle.response_complete and not self.transport.is_closing():
            self._wait_for_head()  # the next request on this connection (keep-alive)

    def connection_lost(self, exc: Exception | None) -> None:
        TimelyHttp._pending.discard(self)
        self._disarm()
        super().connection_lost(exc)


def run_server(settings: Settings, workers: int = 1) -> None:
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "ws_max_size": settings.max_message_bytes,
        "ws_per_message_deflate": False,  # ~2x CPU and ~4x memory per socket for small frames
        "ws": LiveWebSocketProtocol,  # uvicorn's, and a view's frame built once for all sockets
        "log_level": "info",
        "proxy_headers": True,
        # Only these may say a request came over https (X-Forwarded-Proto), which makes cookies
        # Secure; and only their X-Forwarded-For is taken as the client's address.
        "forwarded_allow_ips": settings.trusted_proxies,
        "http": TimelyHttp,
        "timeout_keep_alive": 5,  # seconds an idle keep-alive connection is kept
        "limit_concurrency": LIMIT_CONCURRENCY,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    if settings.store != "redis":
        raise SystemExit("Several workers share a meeting through Redis: use --store redis.")
    # Each worker process builds its own app from the environment; the secrets already exist.
    for name, value in (
        ("DIEMCAU_DATA_DIR", str(settings.data_dir)),
        ("DIEMCAU_PUBLIC_URL", settings.public_url),
        ("DIEMCAU_STORE", settings.store),
        ("DIEMCAU_REDIS_URL", settings.redis_url),
        ("DIEMCAU_ORGANISER_SECRET", settings.organiser_secret),
        ("DIEMCAU_SERVER_KEY", settings.server_key),
        ("DIEMCAU_PORT", str(settings.port)),
        ("DIEMCAU_TRUSTED_PROXIES", settings.trusted_proxies),
    ):
        os.environ[name] = value
    uvicorn.run("server.web.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def check_log(settings: Settings) -> None:
    """Opens the log once before serving, so that a log that cannot be opened is said in one
    paragraph, not in the traceback of an ExceptionGroup from inside the server's start-up."""

    async def try_it() -> None:
        log = make_log(settings)
        await _open(settings, log)
        await log.close()

    asyncio.run(try_it())


async def _open(settings: Settings, log: EventLog) -> None:
    try:
        await log.open()
    except (OSError, sqlite3.Error, LogUnavailable) as error:
        where = (
            f"Redis at {settings.redis_url.rpartition('@')[2]}"
            if settings.store == "redis"
            else f"The SQLite log {settings.data_dir / 'diemcau.sqlite3'}"
        )
        raise ConfigError(
            f"{where} cannot be opened ({error}). Check that it exists and that the server's "
            "user may write to it, or choose another with --data-dir / --redis-url."
        ) from error


async def _with_services(settings: Settings) -> tuple[Services, EventLog]:
    log = make_log(settings)
    await _open(settings, log)
    services = Services(settings, log)
    await services.meetings.load_all()
    return services, log


async def create_meeting(settings: Settings, command: CreateMeeting) -> MeetingLinks:
    services, log = await _with_services(settings)
    try:
        meeting_id, outcome = await services.meetings.create(command, secrets.token_hex(8))
        if isinstance(outcome, Rejected):
            raise SystemExit(translate("en", outcome.message, outcome.params))
        runtime = await services.meetings.get(meeting_id)
        assert runtime is not None  # noqa: S101 - it was made just above
        return meeting_links(services, meeting_id, runtime.state)
    finally:
        await log.close()


async def existing_links(settings: Settings, meeting_id: str) -> MeetingLinks | None:
    services, log = await _with_services(settings)
    try:
        runtime = await services.meetings.get(meeting_id)
        if runtime is None or runtime.state.info is None:
            return None
        return meeting_links(services, meeting_id, runtime.state)
    finally:
        await log.close()


def _rows(rows: list[tuple[str, str]], indent: str) -> None:
    width = max(len(label) for label, _ in rows)
    for label, url in rows:
        print(f"{indent}{label.ljust(width)}  {url}")


def print_links(settings: Settings, links: MeetingLinks) -> None:
    """Vietnamese first, English beside: the one link to open first, then the rest by user."""
    base, mid = settings.base_url, links.meeting_id
    print(f"\n  {links.title}")
    print("\n  ▶ Mở đường dẫn này trước · Open this first (Ban tổ chức · organiser):")
    sign_in = f"{base}/organiser/login?key={settings.organiser_secret}"
    print(f"    {sign_in}&next=/organiser/meetings/{mid}")
    print("    Trang hội nghị có mọi đường dẫn kèm mã QR")
    print("    · the meeting page lists every link with its QR code.")
    print("\n  Hội trường chính · Main hall")
    _rows(
        [
            ("Thư ký hội nghị · Host console", links.host),
            ("Bàn câu hỏi · Questions desk", links.desk),
            ("Lớp phủ cho bàn trộn hình · Video overlay", links.overlay),
            ("Nhập ý kiến · Import opinions", f"{links.host}/intake"),
            ("Biên bản, thống kê · Report", f"{links.host}/report"),
            ("Theo dõi trả lời · Follow-up", f"{links.host}/followup"),
            ("Thẻ biểu quyết · Seat cards", f"{links.host}/cards"),
            ("Danh sách đại biểu · Delegate list", links.delegates),
            ("Giấy mời · Invitations", links.invitations),
            ("Trả lời công khai · Public answers", f"{base}/m/{mid}/answers"),
            ("Tổng hợp năm · Year dashboard", f"{base}/organiser/dashboard"),
        ],
        "    ",
    )
    print("\n  Các điểm cầu · Sites")
    for site in links.sites:
        code = join_code(site.join.rsplit("/", 1)[-1])
        print(f"\n    {site.name}")
        _rows(
            [
                ("Thư ký điểm cầu · Secretary", site.secretary),
                ("Điểm danh tại cửa · Door check-in", site.door),
                ("Màn hình trình chiếu · Display", site.display),
                ("Đại biểu tham gia · Delegates join", site.join),
                (f"Mã tham gia · Join code {code}", f"{base}/j/{code}"),
            ],
            "      ",
        )
    print()


def demo(settings: Settings) -> None:
    """Makes the demo meeting once (its id is kept in the data directory) and serves it."""
    marker = settings.data_dir / "demo-meeting"
    links = (
        asyncio.run(existing_links(settings, marker.read_text().strip()))
        if marker.exists()
        else None
    )
    if links is None:
        command = CreateMeeting(
            title="Hội nghị tiếp xúc, đối thoại giữa lãnh đạo phường với nhân dân",
            date=local_today(),
            level="ward",
            chair="Đồng chí Bí thư Đảng ủy phường",
            main_hall="Hội trường UBND phường",
            sites=DEMO_SITES,
        )
        links = asyncio.run(create_meeting(settings, command))
        marker.write_text(links.meeting_id + "\n")
    print_links(settings, links)
    run_server(settings)


def main(argv: list[str] | None = None) -> None:
    try:
        _main(argv)
    except ConfigError as error:
        sys.exit(f"diemcau: {error}")


def _main(argv: list[str] | None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description="Diemcau meeting server")
    parser.add_argument("--data-dir", type=Path, help="where the embedded store and secrets live")
    parser.add_argument("--port", type=int)
    parser.add_argument("--host")
    parser.add_argument(
        "--public-url", help="base URL phones reach (default: this machine's LAN address)"
    )
    parser.add_argument("--store", choices=["sqlite", "redis"])
    parser.add_argument("--redis-url")
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="serve every meeting in the store")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (needs --store redis)"
    )
    sub.add_parser("demo", help="create (once) and serve a demo meeting; print every link")
    create = sub.add_parser("create", help="create a meeting and print its links")
    create.add_argument("--title", required=True)
    create.add_argument("--date", default=local_today())
    create.add_argument("--level", choices=["ward", "district", "city"], default="ward")
    create.add_argument("--chair", required=True)
    create.add_argument("--main-hall", required=True)
    create.add_argument(
        "--site", action="append", default=[], help="a remote site; repeat for each"
    )
    links = sub.add_parser("links", help="print every link of a meeting")
    links.add_argument("meeting_id")
    args = parser.parse_args(argv)

    overrides = {
        name: value
        for name, value in (
            ("data_dir", args.data_dir),
            ("port", args.port),
            ("host", args.host),
            ("public_url", args.public_url),
            ("store", args.store),
            ("redis_url", args.redis_url),
        )
        if value is not None
    }
    settings = load_settings(**overrides)
    if args.action == "serve":
        check_log(settings)
        if sys.stdout.isatty():  # a person at a terminal; never a log (journald, a file)
            print(f"Organiser: {settings.base_url}/organiser/login?key={settings.organiser_secret}")
        else:
            print(
                f"Organiser: {settings.base_url}/organiser/login with the secret in "
                f"DIEMCAU_ORGANISER_SECRET or {settings.data_dir / 'organiser-secret'}"
            )
        run_server(settings, args.workers)
    elif args.action == "demo":
        demo(settings)
    elif args.action == "create":
        command = CreateMeeting(
            title=args.title,
            date=args.date,
            level=args.level,
            chair=args.chair,
            main_hall=args.main_hall,
            sites=args.site,
        )
        print_links(settings, asyncio.run(create_meeting(settings, command)))
    else:
        found = asyncio.run(existing_links(settings, args.meeting_id))
        if found is None:
            sys.exit(f"No meeting {args.meeting_id}")
        print_links(settings, found)
