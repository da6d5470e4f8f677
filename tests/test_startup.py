"""Issue 16: the server refuses to start with a guessable secret or an unusable data directory, and
says why in one paragraph instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ROOT
from tests.support.redis_server import free_port
from tests.support.server import ORGANISER_SECRET

HOW_TO_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def serve(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Starts `python -m server serve`; a refusal ends it at once (a server that starts is stopped
    by the timeout, and the test fails)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("DIEMCAU_")
    }
    environment.update({"DIEMCAU_ORGANISER_SECRET": ORGANISER_SECRET, **env})
    command = [sys.executable, "-m", "server", "--data-dir", str(data_dir)]
    command += ["--host", "127.0.0.1", "--port", str(free_port()), "serve"]
    try:
        return subprocess.run(
            command,
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the server started")


def assert_one_paragraph(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    said = result.stderr.strip()
    assert len(said.splitlines()) == 1, said
    for name in names:
        assert name in said


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DIEMCAU_ORGANISER_SECRET", "change-me"),  # as in deploy/env.example
        ("DIEMCAU_SERVER_KEY", "change-me"),
        ("DIEMCAU_SERVER_KEY", "change-me-to-a-long-random-secret-please"),
        ("DIEMCAU_ORGANISER_SECRET", "hoinghi2026"),
        ("DIEMCAU_SERVER_KEY", "a" * 40),
    ],
)
def test_a_guessable_secret_is_refused_at_start(tmp_path: Path, variable: str, value: str) -> None:
    result = serve(tmp_path, **{variable: value})
    assert_one_paragraph(result, variable, HOW_TO_MAKE_ONE)
    assert value not in result.stderr  # the refusal does not print the secret either


def test_a_short_secret_kept_in_the_data_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "server-key").write_text("short\n")
    result = serve(tmp_path)
    assert_one_paragraph(result, str(tmp_path / "server-key"), HOW_TO_MAKE_ONE)


def test_a_data_directory_that_is_a_file_is_named(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("not a directory")
    assert_one_paragraph(serve(data_dir), str(data_dir), "--data-dir")


def test_a_log_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    """An ExceptionGroup traceback from inside the server's start-up, before."""
    (tmp_path / "diemcau.sqlite3").mkdir()
    assert_one_paragraph(serve(tmp_path), str(tmp_path / "diemcau.sqlite3"))


def test_a_redis_that_does_not_answer_is_named(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = serve(tmp_path, DIEMCAU_STORE="redis", DIEMCAU_REDIS_URL=url)
    assert_one_paragraph(result, url.removeprefix("redis://"))
