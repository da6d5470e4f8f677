"""A throwaway redis-server for tests: free port, AOF with fsync on every write, restartable."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RedisProcess:
    """One redis-server; `stop()` then `start()` brings it back on the same port and data dir."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.dir = data_dir
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("redis-server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.dir.mkdir(parents=True, exist_ok=True)
        options = {
            "bind": "127.0.0.1",
            "port": str(self.port),
            "dir": str(self.dir),
            "save": "",
            "appendonly": "yes",
            "appendfsync": "always",
            "daemonize": "no",
            "logfile": str(self.dir / "redis.log"),
        }
        args = [binary]
        for name, value in options.items():
            args += [f"--{name}", value]
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop(kill=True)
            raise

    def _wait_ready(self) -> None:
        # PING answers LOADING while the AOF is replayed after a restart; wait for PONG.
        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1
        )
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self._process.returncode}: {self._log_tail()}"
                    )
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer PING: {self._log_tail()}")
                time.sleep(0.05)
        finally:
            client.close()

    def _log_tail(self) -> str:
        log = self.dir / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL after 5 s), or SIGKILL straight away to simulate a crash."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()


@contextmanager
def running_redis(tmp_dir: Path) -> Iterator[RedisProcess]:
    """A started redis-server keeping its AOF in `tmp_dir`; stopped on exit."""
    attempts = 3  # another process may take the free port between probing and binding it
    for attempt in range(attempts):
        server = RedisProcess(tmp_dir, free_port())
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == attempts - 1:
                raise
    try:
        yield server
    finally:
        server.stop()
