"""Resolve a point to the one grid that contains it ("事在格中")."""

from __future__ import annotations

import threading
import time

import shapely
from django.db.models import Count, Max

from . import geometry
from .models import Grid

_lock = threading.Lock()
_cache: dict[str, object] = {"version": None, "tree": None, "ids": [], "checked": 0.0}
# How long the index is trusted before its version is checked again: grids are edited rarely, and
# this process's own edits mark it stale at once (invalidate(), connected in apps.py).
RECHECK_SECONDS = 5.0


def invalidate(*args, **kwargs) -> None:
    with _lock:
        _cache["checked"] = 0.0


def _version() -> tuple:
    agg = Grid.objects.aggregate(n=Count("id"), last=Max("updated"))
    return (agg["n"], agg["last"])


def _index():
    now = time.monotonic()
    with _lock:
        if _cache["tree"] is not None and now - float(_cache["checked"]) < RECHECK_SECONDS:  # type: ignore[arg-type]
            return _cache["tree"], _cache["ids"]
    version = _version()
    with _lock:
        _cache["checked"] = now
        if _cache["version"] != version:
            rows = list(Grid.objects.exclude(geometry=None).values_list("pk", "geometry").order_by("pk"))
            geoms = [shapely.geometry.shape(g) for _, g in rows]
            _cache.update(version=version, tree=shapely.STRtree(geoms), ids=[pk for pk, _ in rows])
        return _cache["tree"], _cache["ids"]


def grid_ids_at(lon: float, lat: float) -> list[int]:
    """Ids of the grids whose boundary holds the point, lowest first (several only on a shared edge)."""
    point = geometry.parse_point(lon, lat)
    tree, ids = _index()
    if tree is None or not ids:
        return []
    return sorted(ids[i] for i in tree.query(point, predicate="intersects"))


def resolve_grid_id(lon: float, lat: float) -> int | None:
    """The grid that contains the point; on a shared edge, the lowest id."""
    hits = grid_ids_at(lon, lat)
    return hits[0] if hits else None
