"""The command line: create a meeting, print its links again."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from server.config import ROOT


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "server",
        "--data-dir",
        str(data_dir),
        "--public-url",
        "http://hall.local:8000",
        *args,
    ]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_create_prints_every_link_and_links_prints_them_again(tmp_path: Path) -> None:
    created = run(
        tmp_path,
        "create",
        "--title",
        "Đối thoại với nông dân",
        "--chair",
        "Chủ tịch UBND xã",
        "--main-hall",
        "Hội trường xã",
        "--site",
        "Thôn Đông",
        "--site",
        "Thôn Tây",
        "--level",
        "district",
    )
    assert created.returncode == 0, created.stderr
    host = re.search(r"http://hall\.local:8000/m/([\w-]+)/host/[\w-]+", created.stdout)
    assert host is not None
    assert created.stdout.count("/secretary/") == 6  # each site's console, and its door
    assert created.stdout.count("/door\n") == 3
    assert created.stdout.count("/display/") == 3
    assert created.stdout.count("/join/") == 3
    assert "Thôn Tây" in created.stdout
    again = run(tmp_path, "links", host.group(1))
    assert again.returncode == 0
    assert host.group(0) in again.stdout


def test_a_bad_meeting_is_refused_with_the_reason(tmp_path: Path) -> None:
    refused = run(
        tmp_path,
        "create",
        "--title",
        "X",
        "--chair",
        "A",
        "--main-hall",
        "Hội trường",
        "--site",
        "hội trường",
    )
    assert refused.returncode != 0
    assert "same name" in refused.stderr


def test_unknown_meeting_links_fail(tmp_path: Path) -> None:
    answer = run(tmp_path, "links", "nope")
    assert answer.returncode != 0
    assert "No meeting nope" in answer.stderr
