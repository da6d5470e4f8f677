"""Waiting for a condition with a deadline: a test never sleeps a fixed time and hopes that was
enough (too short on a loaded machine, too long everywhere else)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")
WITHIN = 10.0  # seconds
EVERY = 0.02


@overload
async def until(
    condition: Callable[[], Awaitable[T]], *, what: str, within: float = ..., every: float = ...
) -> T: ...
@overload
async def until(
    condition: Callable[[], T], *, what: str, within: float = ..., every: float = ...
) -> T: ...
async def until(
    condition: Callable[[], object],
    *,
    what: str,
    within: float = WITHIN,
    every: float = EVERY,
) -> object:
    """Asks `condition` (a function, or a coroutine function) every `every` seconds until it
    answers something true, and answers that; fails saying `what` once `within` seconds passed.
    It is asked once more at the deadline, so a test that was not scheduled for a while is not
    failed for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = condition()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if loop.time() >= deadline:
            raise AssertionError(f"not within {within} s: {what} (last: {found!r:.200})")
        await asyncio.sleep(every)
