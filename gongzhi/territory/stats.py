"""Counts under territory nodes (households, residents, grids, ...), grouped in one query each."""

from __future__ import annotations

from django.db.models import Count

from gongzhi.population.models import Household, Resident

from .models import Building, Compound, Grid

# For each counted model: the lookup that holds the id of a node of each level.
LOOKUPS = {
    "households": (Household, {"compound": "building__compound"}),
    "residents": (Resident, {"compound": "building__compound"}),
    "grids": (Grid, {}),
    "compounds": (Compound, {}),
    "buildings": (Building, {}),
}
# Which counts make sense below which level.
COUNTS_BELOW = {
    "district": ["grids", "compounds", "households", "residents"],
    "street": ["grids", "compounds", "households", "residents"],
    "community": ["grids", "compounds", "households", "residents"],
    "grid": ["compounds", "buildings", "households", "residents"],
    "compound": ["buildings", "households", "residents"],
    "building": ["households", "residents"],
}


def _lookup(model_key: str, level: str) -> str:
    model, overrides = LOOKUPS[model_key]
    if level in overrides:
        return overrides[level]
    if level == model._meta.model_name:
        return "pk"
    return level


def counts(level: str, ids: list[int], keys: tuple[str, ...] | None = None) -> dict[int, dict[str, int]]:
    """{node id: {"households": n, ...}} for nodes of `level`, zeros included."""
    wanted = [k for k in COUNTS_BELOW[level] if keys is None or k in keys]
    result: dict[int, dict[str, int]] = {pk: dict.fromkeys(wanted, 0) for pk in ids}
    if not ids:
        return result
    for key in wanted:
        model = LOOKUPS[key][0]
        lookup = _lookup(key, level)
        rows = (
            model._default_manager.filter(**{f"{lookup}__in": ids})
            .order_by()
            .values_list(lookup)
            .annotate(n=Count("*"))
        )
        for pk, n in rows:
            result[pk][key] = n
    return result
