"""Running async test code from a synchronous test, whatever ran before it in the same process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a thread of its own, its exception raised here: a browser test's
    Playwright leaves an event loop running in the main thread of its worker, where asyncio.run()
    and async_to_sync() then refuse to run."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """asyncio.run(coroutine), in a thread of its own."""
    return in_thread(asyncio.run, coroutine)
