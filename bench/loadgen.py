"""A lean WebSocket load generator: raw asyncio protocols that count server frames, never decode.

Each client does the RFC 6455 handshake by hand, masks what it sends, answers pings, and reads only
frame headers; `Pool.mark(k)` then records when every socket has received k more frames.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

OP_TEXT = 0x1
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
MAX_HANDSHAKE_BYTES = 16 * 1024
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEEP_ALL = 1 << 30  # a `keep_limit` that keeps every payload
HEAD_BYTES = 96  # of every message, kept even when its payload is not: a view's seq is in there


def raise_fd_limit() -> int:
    """Lifts the soft open-files limit to the hard one; answers the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One FIN frame, masked with a fresh key as every client frame must be."""
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    mask = os.urandom(4)
    # XOR as one big integer: far cheaper in Python than a per-byte loop.
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        length, "big"
    )
    return header + mask + masked


@dataclass
class Stats:
    """What happened to the pool's sockets, so failures are reported rather than hidden."""

    opened: int = 0
    failed: int = 0
    lost: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)


class FrameReader(asyncio.Protocol):
    """One socket's client side: the RFC 6455 handshake by hand, masked frames out, server frames
    read by their headers. A frame's payload is kept only when it is at most `keep_limit` bytes;
    `message(payload)` is told each complete message (payload None when not kept); `head` holds
    the first HEAD_BYTES of the last data frame either way (a server's message is one frame)."""

    __slots__ = (
        "_accept",
        "_buf",
        "_closing",
        "_fin",
        "_keep",
        "_kept",
        "_remaining",
        "_request",
        "_upgraded",
        "bytes_in",
        "frames",
        "handshake",
        "head",
        "keep_limit",
        "last_length",
        "transport",
    )

    def __init__(self, host: str, path: str, cookie: str | None, keep_limit: int) -> None:
        key = base64.b64encode(os.urandom(16))
        cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{cookie_line}\r\n"
        ).encode()
        digest = hashlib.sha1(key + WS_GUID, usedforsecurity=False).digest()
        self._accept = base64.b64encode(digest)
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._buf = b""  # handshake bytes, or a split frame header / control frame
        self._remaining = 0  # payload bytes of the current data frame still to come
        self._fin = False  # the current data frame ends a message
        self._keep = False  # the current data frame's payload is kept
        self._kept = bytearray()
        self._closing = False
        self._upgraded = False  # a plain flag: data_received is the hot path
        self.keep_limit = keep_limit
        self.frames = 0  # complete messages received
        self.bytes_in = 0
        self.last_length = 0  # the last data frame's payload length
        self.head = b""

    # -- what a client does with what arrives --

    def message(self, payload: bytes | None) -> None:
        """A complete message arrived (`self.frames` counts it already)."""

    def closed_by_server(self, payload: bytes) -> None:
        """The server sent a close frame first (its code is `payload[:2]`)."""

    # -- the socket --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports quack like asyncio.Transport without subclassing it.
        self.transport = cast("asyncio.Transport", transport)
        self.transport.write(self._request)

    def write_frame(self, opcode: int, payload: bytes) -> bool:
        if self.transport is None:
            return False
        self.transport.write(client_frame(opcode, payload))
        return True

    def close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.write_frame(OP_CLOSE, (1000).to_bytes(2, "big"))
            self.transport.close()

    def abort(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        if not self._upgraded:
            data = self._finish_handshake(data)
            if not data:
                return
        remaining = self._remaining
        if remaining:
            take = min(remaining, len(data))
            if len(self.head) < HEAD_BYTES:  # the frame began at the end of the last read
                self.head += data[: min(take, HEAD_BYTES - len(self.head))]
            if self._keep:
                self._kept += data[:take]
            self._remaining = remaining - take
            if self._remaining:
                return
            self._frame_done()
            data = data[take:]
        if self._buf:
            data = self._buf + data
            self._buf = b""
        self._parse(data)

    def _parse(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end:
            if end - pos < 2:
                self._buf = data[pos:]
                return
            b0, b1 = data[pos], data[pos + 1]
            length, header = b1 & 0x7F, 2
            if length == 126:
                if end - pos < 4:
                    self._buf = data[pos:]
                    return
                length, header = int.from_bytes(data[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if end - pos < 10:
                    self._buf = data[pos:]
                    return
                length, header = int.from_bytes(data[pos + 2 : pos + 10], "big"), 10
            if b1 & 0x80:  # servers must not mask; a mask key would follow
                header += 4
            opcode = b0 & 0x0F
            start = pos + header
            if opcode >= OP_CLOSE:
                # Control frames are tiny and their payload matters (ping echo): keep them whole.
                if end - start < length:
                    self._buf = data[pos:]
                    return
                self._control(opcode, data[start : start + length])
                pos = start + length
                continue
            self._fin = bool(b0 & 0x80)
            self.head = data[start : start + min(length, HEAD_BYTES)]
            self._keep = length <= self.keep_limit
            self.last_length = length
            available = end - start
            if available < length:
                if self._keep:
                    self._kept += data[start:end]
                self._remaining = length - available
                return
            if self._keep:
                self._kept += data[start : start + length]
            pos = start + length
            self._frame_done()

    def _frame_done(self) -> None:
        if not self._fin:
            return
        self.frames += 1
        payload = None
        if self._keep:
            payload = bytes(self._kept)
            self._kept.clear()
        self.message(payload)

    def _control(self, opcode: int, payload: bytes) -> None:
        if self.transport is None:
            return
        if opcode == OP_PING:
            self.write_frame(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            if not self._closing:
                self.closed_by_server(payload)
            self._closing = True
            self.write_frame(OP_CLOSE, payload[:2])
            self.transport.close()

    def _finish_handshake(self, data: bytes) -> bytes:
        """Answers the bytes after the 101 response, or b"" while it is incomplete or failed."""
        self._buf += data
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HANDSHAKE_BYTES:
                self._fail("handshake response too long")
            return b""
        head, rest = self._buf[:end], self._buf[end + 4 :]
        self._buf = b""
        status = head.split(b"\r\n", 1)[0]
        if not status.startswith(b"HTTP/1.1 101"):
            self._fail(f"handshake refused: {status.decode(errors='replace')}")
            return b""
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
        }
        if headers.get(b"sec-websocket-accept") != self._accept:
            self._fail("handshake: wrong or missing Sec-WebSocket-Accept")
            return b""
        self._upgraded = True
        if self.handshake.done():  # the opener gave up (timed out, cancelled) meanwhile
            self.abort()
            return b""
        self.handshake.set_result(None)
        return rest

    def _fail(self, reason: str) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError(reason))
        self.abort()


class Client(FrameReader):
    """One socket of a `Pool`: frames are counted when their last payload byte arrives."""

    __slots__ = ("arrived", "cookie", "path", "payloads", "pool", "target")

    def __init__(
        self,
        pool: Pool,
        host: str,
        path: str,
        keep_payloads: bool = False,
        cookie: str | None = None,
    ) -> None:
        super().__init__(host, path, cookie, KEEP_ALL if keep_payloads else -1)
        self.pool = pool
        self.path = path
        self.cookie = cookie
        self.payloads: list[bytes] = []
        self.target = -1
        self.arrived = 0.0

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError(f"closed during handshake: {exc}"))
            return
        if not self._closing:
            self.pool.stats.lost += 1
            self.pool.stats.errors[
                f"lost: {type(exc).__name__ if exc else 'closed by server'}"
            ] += 1
        if self.target > self.frames:
            self.pool.settle()

    def send(self, opcode: int, payload: bytes) -> None:
        self.write_frame(opcode, payload)

    def send_text(self, text: str) -> None:
        self.send(OP_TEXT, text.encode())

    def message(self, payload: bytes | None) -> None:
        if payload is not None:
            self.payloads.append(payload)
        if self.frames == self.target:
            self.arrived = time.monotonic()
            self.pool.settle()

    def closed_by_server(self, payload: bytes) -> None:
        self.pool.stats.errors[f"close frame {payload[:2].hex()}"] += 1


class Pool:
    """Many clients of one server; `mark` then `wait` times the next k frames on every socket."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.clients: list[Client] = []
        self.stats = Stats()
        self._pending = 0
        self._done: asyncio.Event | None = None

    async def open(  # noqa: PLR0917 - callers name what they pass beyond the paths
        self,
        paths: list[str],
        concurrency: int = 200,
        within: float = 30.0,
        on_open: Callable[[Client], None] | None = None,
        keep_payloads: bool = False,
        cookies: list[str | None] | None = None,
    ) -> list[Client]:
        """Opens one socket per path (and cookie), at most `concurrency` handshakes in flight."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)
        opened: list[Client] = []

        async def one(path: str, cookie: str | None) -> None:
            async with gate:
                client = Client(self, self.host, path, keep_payloads, cookie)
                try:
                    async with asyncio.timeout(within):
                        await loop.create_connection(lambda: client, self.host, self.port)
                        await client.handshake
                except (OSError, TimeoutError) as error:
                    self.stats.failed += 1
                    self.stats.errors[f"open: {type(error).__name__}: {error}"[:120]] += 1
                    client.abort()
                    return
                opened.append(client)
                self.stats.opened += 1
                if on_open is not None:
                    on_open(client)

        await asyncio.gather(
            *(
                one(path, cookie)
                for path, cookie in zip(paths, cookies or [None] * len(paths), strict=True)
            )
        )
        self.clients.extend(opened)
        return opened

    def alive(self) -> list[Client]:
        return [c for c in self.clients if c.transport is not None]

    async def wait_frames(self, clients: list[Client], count: int, within: float) -> int:
        """Polls (setup only, not timed) until each client has `count` frames; answers how many."""
        deadline = time.monotonic() + within
        while True:
            ready = sum(1 for c in clients if c.frames >= count)
            if ready == len(clients) or time.monotonic() > deadline:
                return ready
            await asyncio.sleep(0.05)

    def mark(self, clients: list[Client], k: int = 1) -> None:
        """Arms each client to note the time its k-th next frame arrives."""
        self._done = asyncio.Event()
        self._pending = 0
        for c in clients:
            c.arrived = 0.0
            if c.transport is None:
                c.target = -1
                continue
            c.target = c.frames + k
            self._pending += 1
        if self._pending == 0:
            self._done.set()

    def settle(self) -> None:
        """Called when a marked client got its frame or was lost."""
        self._pending -= 1
        if self._pending <= 0 and self._done is not None:
            self._done.set()

    async def wait(self, clients: list[Client], within: float) -> tuple[list[float], int]:
        """Answers the arrival times since `mark` and how many clients never got their frame."""
        assert self._done is not None  # noqa: S101 - mark() comes first
        try:
            async with asyncio.timeout(within):
                await self._done.wait()
        except TimeoutError:
            pass
        times = [c.arrived for c in clients if c.target >= 0 and c.arrived]
        missed = sum(1 for c in clients if c.target >= 0 and not c.arrived)
        return times, missed

    def close(self) -> None:
        for c in self.clients:
            c.close()
