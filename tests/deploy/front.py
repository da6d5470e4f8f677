"""Debian's nginx in front of test nodes, with the site config shipped in deploy/ rendered onto free
loopback ports: run from a temp prefix, never the system's nginx service."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from server.config import ROOT
from tests.support.server import ServerProcess

SHIPPED_SITE = ROOT / "deploy" / "nginx-workers.conf"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# Added by the test's own http block only: which node answered, so a test knows where a socket is.
NODE_HEADER = "X-Diemcau-Node"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    """Fails loudly when the shipped file no longer has what the test substitutes."""
    rendered, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count != 1:
        raise AssertionError(f"{SHIPPED_SITE.name}: expected one {pattern!r}, found {count}")
    return rendered


def render_site(
    shipped: str, *, port: int, node_ports: list[int], static_dir: Path, log_dir: Path
) -> str:
    """The shipped site, unchanged but for where it listens, its nodes, its static files and
    where it logs."""
    text = _replace_once(shipped, r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{port};")
    text = _replace_once(text, r"alias /opt/diemcau/static/;", f"alias {static_dir}/;")
    text = _replace_once(
        text,
        r"access_log /var/log/nginx/diemcau-access.log diemcau_redacted;",
        f"access_log {log_dir / 'diemcau-access.log'} diemcau_redacted;",
    )
    upstream = re.search(r"^upstream \w+ \{.*?^\}", text, flags=re.MULTILINE | re.DOTALL)
    if upstream is None:
        raise AssertionError(f"{SHIPPED_SITE.name}: no upstream block")
    addresses = re.findall(r"^\s*server (\S+?:\d+)", upstream.group(0), flags=re.MULTILINE)
    if len(addresses) != len(node_ports):
        raise AssertionError(
            f"{SHIPPED_SITE.name}: {len(addresses)} nodes, the test runs {node_ports}"
        )
    block = upstream.group(0)
    for address, node_port in zip(addresses, node_ports, strict=True):
        block = block.replace(f"server {address}", f"server 127.0.0.1:{node_port}", 1)
    return text.replace(upstream.group(0), block)


def main_config(prefix: Path, site: Path) -> str:
    """The http block of Debian's /etc/nginx/nginx.conf, with everything it writes in `prefix`."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp prefix
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
events {{
    worker_connections 768;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    gzip on;
    log_format nodes '$request_method $uri $status $upstream_addr';
    access_log {prefix / "access.log"} nodes;
{temp}
    add_header {NODE_HEADER} $upstream_addr always;
    include {site};
}}
"""


class NginxFront(ServerProcess):
    """nginx on a free loopback port in front of `node_ports`; `url` and `ws_url` are its own, so
    the helpers that talk to a server talk through it."""

    def __init__(self, prefix: Path, port: int, node_ports: list[int]) -> None:
        super().__init__(prefix, port, [])
        self.log_path = prefix / "error.log"
        self.access_log = prefix / "access.log"
        self.redacted_log = prefix / "diemcau-access.log"  # the shipped format, keys as ***
        self._node_ports = node_ports
        self._nginx: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed: run ./diemcau test, which installs it")
        prefix = self.data_dir
        prefix.mkdir(parents=True, exist_ok=True)
        site = prefix / "site.conf"
        site.write_text(
            render_site(
                SHIPPED_SITE.read_text(),
                port=self.port,
                node_ports=self._node_ports,
                static_dir=ROOT / "static",
                log_dir=prefix,
            )
        )
        config = prefix / "nginx.conf"
        config.write_text(main_config(prefix, site))
        directives = f"daemon off; pid {prefix / 'nginx.pid'}; error_log {self.log_path};"
        command = [binary, "-p", f"{prefix}/", "-c", str(config), "-e", str(self.log_path)]
        with (prefix / "nginx.out").open("ab") as out:
            # A session of its own: teardown can end the master and its worker together.
            self._nginx = subprocess.Popen(
                [*command, "-g", directives],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._nginx is not None
            if self._nginx.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not answer in time: {self.log_text()[-2000:]}")

    def stop(self, *, kill: bool = False) -> None:
        process, self._nginx = self._nginx, None
        if process is None or process.poll() is not None:
            return
        if not kill:
            process.terminate()  # fast shutdown: the master ends its worker before it exits
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            else:
                return
        # The master is not reaped yet, so its group id is still this nginx's: master and worker.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
