"""Settings from the environment (DIEMCAU_*), with defaults that run a venue laptop as it is."""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32
HOW_TO_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
PLACEHOLDERS = ("change-me", "changeme", "change_me", "example")  # as in deploy/env.example


class ConfigError(Exception):
    """A setting the server cannot start with. The message is one paragraph saying what to do."""


class Settings(msgspec.Struct, frozen=True):
    data_dir: Path = ROOT / "data"
    host: str = "0.0.0.0"  # noqa: S104 - phones on the hall's Wi-Fi must reach it
    port: int = 8000
    public_url: str = ""
    store: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str = "redis://127.0.0.1:6379/0"
    organiser_secret: str = ""
    server_key: str = ""
    max_message_bytes: int = 64 * 1024
    # Proxies whose X-Forwarded-Proto/-For are believed (uvicorn's forwarded_allow_ips): https
    # through one of them makes every cookie Secure.
    trusted_proxies: str = "127.0.0.1,::1"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{lan_address()}:{self.port}").rstrip("/")


def lan_address() -> str:
    """The address other machines on the LAN reach us at; loopback only if there is no network."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent by a UDP connect
        address = str(probe.getsockname()[0])
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    return address


def local_today() -> str:
    """Today's date where the server is (the venue), as YYYY-MM-DD."""
    return datetime.now(UTC).astimezone().date().isoformat()


def _secret_file(path: Path) -> str:
    """Reads a secret kept in the data directory, making it (mode 0600) on first run."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def check_secret(name: str, value: str) -> str:
    """Refuses a placeholder or a short key: with a known server key anyone computes the host's
    link from the meeting id in every phone's URL."""
    problem = ""
    if any(word in value.lower() for word in PLACEHOLDERS):
        problem = "looks like a placeholder"
    elif len(value) < MIN_SECRET_LENGTH:
        problem = f"is only {len(value)} characters long"
    elif len(set(value)) < 10:
        problem = "repeats too few characters"
    if problem:
        raise ConfigError(
            f"{name} {problem}, so anyone could guess it. Set it to at least "
            f"{MIN_SECRET_LENGTH} random characters, made with: {HOW_TO_MAKE_ONE} "
            "(or leave it unset: the server then makes one in its data directory)."
        )
    return value


def check_data_dir(data_dir: Path) -> None:
    """Made if missing and writable, or one clear paragraph instead of a traceback from deep
    inside the log or the secrets."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as error:
        reason = "it is a file" if data_dir.is_file() else error.strerror or str(error)
        raise ConfigError(
            f"The data directory {data_dir} cannot be used ({reason}). "
            "Diemcau keeps its secrets, the meetings' log (with the embedded store) and uploaded "
            "files there: make it a directory the server's user can write to, or choose another "
            "with --data-dir or DIEMCAU_DATA_DIR."
        ) from error


def load_settings(**overrides: object) -> Settings:
    env = os.environ
    fields: dict[str, object] = {
        "data_dir": Path(env.get("DIEMCAU_DATA_DIR", str(ROOT / "data"))),
        "host": env.get("DIEMCAU_HOST", "0.0.0.0"),  # noqa: S104
        "port": int(env.get("DIEMCAU_PORT", "8000")),
        "public_url": env.get("DIEMCAU_PUBLIC_URL", ""),
        "store": env.get("DIEMCAU_STORE", "sqlite"),
        "redis_url": env.get("DIEMCAU_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "organiser_secret": env.get("DIEMCAU_ORGANISER_SECRET", ""),
        "server_key": env.get("DIEMCAU_SERVER_KEY", ""),
        "trusted_proxies": env.get("DIEMCAU_TRUSTED_PROXIES", "127.0.0.1,::1"),
    }
    fields.update(overrides)
    settings = msgspec.convert(fields, Settings, str_keys=True, from_attributes=False)
    data_dir = settings.data_dir
    if settings.store == "sqlite" or not (settings.organiser_secret and settings.server_key):
        check_data_dir(data_dir)
    secrets_of = {}
    for field, variable, file_name in (
        ("organiser_secret", "DIEMCAU_ORGANISER_SECRET", "organiser-secret"),
        ("server_key", "DIEMCAU_SERVER_KEY", "server-key"),
    ):
        given: str = getattr(settings, field)
        value = given or _secret_file(data_dir / file_name)
        secrets_of[field] = check_secret(variable if given else str(data_dir / file_name), value)
    return msgspec.structs.replace(settings, **secrets_of)
