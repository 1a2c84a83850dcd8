"""A small per-process cache of configuration read on every intake (routing rules, bodies, SLA
policies, the calendar, compound names). Entries live `SECONDS` at most, and every process drops
them at once when its own writes change the rows (signals in apps.py), so an edit in the admin
reaches other processes within `SECONDS`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
SECONDS = 30.0
_lock = threading.Lock()
_entries: dict[str, tuple[float, Any]] = {}


def cached(key: str, build: Callable[[], T]) -> T:
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and now - hit[0] < SECONDS:
            return hit[1]
    value = build()
    with _lock:
        _entries[key] = (now, value)
    return value


def clear(*args, **kwargs) -> None:
    """Drop everything (usable as a signal receiver)."""
    with _lock:
        _entries.clear()
