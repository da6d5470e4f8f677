"""Parses an uploaded file in a child process under a wall-time and a memory limit: a hostile file
costs that child, never the event loop that runs every live meeting.

`python -m server.intake.worker SECONDS BYTES` is the child: an `UploadJob` on stdin, an
`IntakeResult` (or, for a list of delegates, a `DelegateIntakeResult`) on stdout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import sys
from typing import Literal, TypeVar

import msgspec
from openpyxl import DEFUSEDXML  # type: ignore[import-untyped]

from server.config import ROOT
from server.core.rules import N_
from server.intake.delegates import DelegateIntakeResult, parse_delegates
from server.intake.opinions import IntakeProblem, IntakeResult, guessed_format, parse_intake

PARSE_SECONDS = 15  # the Front's largest real file (5,000 opinions) takes about 1 s
MEMORY_BYTES = 256 * 1024 * 1024  # address space: the interpreter takes 45 MiB, that file 64 MiB
OUT_OF_MEMORY = 3  # the child's exit status when the memory limit stopped it

TOO_SLOW = N_(
    "Reading the file took more than {seconds} seconds and was stopped; it is damaged or far"
    " larger than a list of opinions."
)
TOO_MUCH_MEMORY = N_(
    "Reading the file needed more than {limit} MiB of memory and was stopped; it is damaged or"
    " far larger than a list of opinions."
)
DELEGATES_TOO_SLOW = N_(
    "Reading the file took more than {seconds} seconds and was stopped; it is damaged or far"
    " larger than a list of delegates."
)
DELEGATES_TOO_MUCH_MEMORY = N_(
    "Reading the file needed more than {limit} MiB of memory and was stopped; it is damaged or"
    " far larger than a list of delegates."
)
READER_FAILED = N_(
    "The file could not be read: the reader stopped unexpectedly. Save it again from Excel, or as"
    " CSV, and upload that."
)

logger = logging.getLogger(__name__)


Kind = Literal["opinions", "delegates"]
Result = TypeVar("Result", IntakeResult, DelegateIntakeResult)
# What a reader stopped for its time or its memory says, by the kind of list it was reading.
STOPPED: dict[Kind, tuple[str, str]] = {
    "opinions": (TOO_SLOW, TOO_MUCH_MEMORY),
    "delegates": (DELEGATES_TOO_SLOW, DELEGATES_TOO_MUCH_MEMORY),
}


class UploadJob(msgspec.Struct, frozen=True):
    filename: str
    data: bytes
    kind: Kind = "opinions"


class UploadParser:
    """One per server process; it parses one file at a time, so a few hostile uploads at once
    cannot take every core and all the memory the meeting needs (the others wait their turn)."""

    def __init__(self) -> None:
        self._turn = asyncio.Semaphore(1)

    async def parse(self, data: bytes, filename: str) -> IntakeResult:
        async with self._turn:
            return await self._parse(UploadJob(filename, data), IntakeResult)

    async def parse_delegates(self, data: bytes, filename: str) -> DelegateIntakeResult:
        async with self._turn:
            return await self._parse(UploadJob(filename, data, "delegates"), DelegateIntakeResult)

    async def _parse(self, job: UploadJob, result: type[Result]) -> Result:
        data = job.data
        too_slow, too_much_memory = STOPPED[job.kind]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.intake.worker",
            str(PARSE_SECONDS),
            str(MEMORY_BYTES),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=_child_environment(),
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(msgspec.msgpack.encode(job)), PARSE_SECONDS
            )
        except TimeoutError:
            return _refused(result, too_slow, {"seconds": PARSE_SECONDS}, data)
        finally:
            if process.returncode is None:  # over time, or the request was cancelled
                process.kill()
                await process.wait()
        if process.returncode == OUT_OF_MEMORY:
            limit = MEMORY_BYTES // (1024 * 1024)
            return _refused(result, too_much_memory, {"limit": limit}, data)
        if process.returncode == 0:
            try:
                return msgspec.msgpack.decode(out, type=result)
            except msgspec.DecodeError:
                pass
        last = err.decode(errors="replace").strip().splitlines()[-1:]
        logger.warning("upload reader exited with %s: %s", process.returncode, "".join(last))
        return _refused(result, READER_FAILED, {}, data)


def _refused(
    result: type[Result], message: str, params: dict[str, str | int], data: bytes
) -> Result:
    """A whole-file problem found outside the parser: the worker stopped it, or it died."""
    return result([], [IntakeProblem(0, message, params)], guessed_format(data), "")


def _child_environment() -> dict[str, str]:
    """The reader of a hostile file holds none of the server's secrets; and openpyxl parses XML
    through defusedxml only if OPENPYXL_DEFUSEDXML is not "False"."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("DIEMCAU_")}
    return {**kept, "OPENPYXL_DEFUSEDXML": "True"}


def _limit_self(seconds: int, memory: int) -> None:
    """The limits hold even if the server dies and leaves this child alone."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = seconds + 5  # the server kills after `seconds` of wall time; this is the backstop
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file in the app
    os.nice(10)  # the live meeting keeps the CPU it needs


def main() -> None:
    if not DEFUSEDXML:
        sys.exit("openpyxl is not using defusedxml: refusing to read a workbook")
    _limit_self(int(sys.argv[1]), int(sys.argv[2]))
    try:
        job = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=UploadJob)
        parse = parse_delegates if job.kind == "delegates" else parse_intake
        answer = msgspec.msgpack.encode(parse(job.data, job.filename))
    except MemoryError:
        os._exit(OUT_OF_MEMORY)  # raising SystemExit could itself need memory there is none of
    sys.stdout.buffer.write(answer)


if __name__ == "__main__":
    main()
