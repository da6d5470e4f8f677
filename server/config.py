"""Settings from the environment (DIEMCAU_*), with defaults that run a venue laptop as it is."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec

ROOT = Path(__file__).resolve().parent.parent


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
    }
    fields.update(overrides)
    settings = msgspec.convert(fields, Settings, str_keys=True, from_attributes=False)
    data_dir = settings.data_dir
    return msgspec.structs.replace(
        settings,
        organiser_secret=settings.organiser_secret or _secret_file(data_dir / "organiser-secret"),
        server_key=settings.server_key or _secret_file(data_dir / "server-key"),
    )
