"""Settings: secrets made once, private, and kept across restarts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.config import load_settings


def test_secrets_are_made_once_private_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIEMCAU_ORGANISER_SECRET", raising=False)
    monkeypatch.delenv("DIEMCAU_SERVER_KEY", raising=False)
    first = load_settings(data_dir=tmp_path)
    second = load_settings(data_dir=tmp_path)
    assert len(first.organiser_secret) >= 40
    assert first.organiser_secret == second.organiser_secret
    assert first.server_key == second.server_key != first.organiser_secret
    for name in ("organiser-secret", "server-key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600


def test_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIEMCAU_ORGANISER_SECRET", "from-env-" + "k7Qz" * 8)
    monkeypatch.setenv("DIEMCAU_PUBLIC_URL", "http://hall.local:8000/")
    settings = load_settings(data_dir=tmp_path)
    assert settings.organiser_secret == "from-env-" + "k7Qz" * 8
    assert settings.base_url == "http://hall.local:8000"
    assert not (tmp_path / "organiser-secret").exists()


def test_without_a_public_url_links_use_a_lan_address_not_loopback_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIEMCAU_PUBLIC_URL", raising=False)
    settings = load_settings(data_dir=tmp_path, port=8123)
    assert settings.base_url.startswith("http://")
    assert settings.base_url.endswith(":8123")
