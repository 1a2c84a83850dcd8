"""Process start-up for the server (gongzhi/asgi.py) and the benchmarks that stand in for it."""

from __future__ import annotations

import gc


def settle_startup() -> None:
    """Load every view once, then move what start-up allocated (modules, URL patterns, settings,
    serializer classes: a few hundred thousand objects) out of the garbage collector's reach
    (`gc.freeze`). Without it every full collection walks all of them again: 100–120 ms pauses on
    the requests they land on, e.g. one in ten district map answers of the command centre
    (docs/performance.md §7). The frozen objects live as long as the process anyway."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's urls and views
    gc.collect()
    gc.freeze()
