"""A real Diemcau server (uvicorn in its own process) on a free port, and meetings made through its API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from server.config import ROOT
from tests.support.redis_server import free_port

ORGANISER_SECRET = "test-organiser-secret-0123456789abcdef"
START_TIMEOUT = 20.0


class ServerProcess:
    def __init__(
        self, data_dir: Path, port: int, extra_args: list[str], serve_args: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.log_path = data_dir / f"server-{port}.log"  # workers may share a data directory
        self._extra = extra_args
        self._serve_args = serve_args
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DIEMCAU_ORGANISER_SECRET": ORGANISER_SECRET, "PYTHONUNBUFFERED": "1"}
        command = [
            sys.executable,
            "-m",
            "server",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--public-url",
            self.url,
            *self._extra,
            "serve",
            *self._serve_args,
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def stop(self, *, kill: bool = False) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(data_dir: Path, extra_args: list[str] | None = None) -> Iterator[ServerProcess]:
    attempts = 3  # another process (a test beside this one) may bind the free port first
    for attempt in range(attempts):
        server = ServerProcess(data_dir, free_port(), extra_args or [])
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == attempts - 1 or "address already in use" not in server.log_text():
                raise
    try:
        yield server
    finally:
        server.stop()


def organiser_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ORGANISER_SECRET}"}


def create_meeting(
    server: ServerProcess, sites: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """Creates a meeting through the HTTP API; answers its links (host, and per site)."""
    body = {
        "title": "Hội nghị tiếp xúc, đối thoại với nhân dân phường Bến Nghé",
        "date": "2026-11-22",
        "level": "ward",
        "chair": "Bí thư Đảng ủy phường",
        "main_hall": "Hội trường UBND phường",
        "sites": sites if sites is not None else ["Tổ dân phố 1", "Tổ dân phố 2"],
        **fields,
    }
    response = httpx.post(
        f"{server.url}/api/meetings", json=body, headers=organiser_headers(), timeout=10
    )
    response.raise_for_status()
    created: dict[str, Any] = response.json()
    return created
