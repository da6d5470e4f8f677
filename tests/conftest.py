"""Fixtures shared by the shell and page tests: a real server process and a meeting on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, create_meeting, running_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(tmp_path / "server") as process:
        yield process


@pytest.fixture
def meeting(server: ServerProcess) -> dict[str, Any]:
    return create_meeting(server)
