#!/usr/bin/env python
"""Benchmark: propose a division into grids for every community of the full demo district.

    .venv/bin/python bench/propose_grids.py                 # the SQLite demo kept by bench/load_demo.py --keep
    .venv/bin/python bench/propose_grids.py --db postgres
    .venv/bin/python bench/propose_grids.py --database-url sqlite:////path/to/gongzhi.sqlite3

For each community it times `gongzhi.grids.services.compute_division` — reading the community's
buildings, households and compounds from the database and dividing it (what `manage.py
propose_grids --all` does, without writing) — then checks the proposal against the standard:
every building in exactly one grid, every grid within the area and household limits and in one
piece. It prints per community the lower bound (⌈households / H⌉, ⌈area / A⌉), the grids proposed
and their ratio, then the whole district's time and ratios against the targets of issue 5:
under 60 s for the district, at most 1.15 × the lower bound per community.

The database is the one bench/load_demo.py --keep left (bench/.kept-<db>.json); when there is
none it runs `bench/load_demo.py --db <db> --keep` first (several minutes).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
TARGET_S = 60.0
TARGET_RATIO = 1.15


def run(label: str) -> int:
    import django

    django.setup()
    from gongzhi.grids import services
    from gongzhi.grids.standard import standard_for
    from gongzhi.territory import geometry
    from gongzhi.territory.models import Building, Community

    communities = list(Community.objects.exclude(geometry=None).order_by("code"))
    print(f"# propose_grids benchmark · {label} · {len(communities)} communities")
    print(f"# machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    print(
        f"{'community':<10}{'households':>11}{'km²':>7}{'bound':>7}{'today':>7}{'grids':>7}{'ratio':>7}{'s':>7}  check"
    )
    total_s = 0.0
    grids = bound = 0
    worst = 0.0
    over = []
    failures = 0
    for community in communities:
        started = time.perf_counter()
        result, buildings, current, _limits = services.compute_division(community)
        elapsed = time.perf_counter() - started
        total_s += elapsed
        std = standard_for(community.district_id)
        problems = []
        placed = sorted(b for p in result.parts for b in p.building_ids)
        if placed != sorted(Building.objects.filter(community=community).values_list("pk", flat=True)):
            problems.append("buildings")
        for part in result.parts:
            if part.households > std.max_households and not set(part.building_ids) & set(result.oversized_buildings):
                problems.append("households")
            if geometry.area_km2(part.polygon) > std.max_area_km2:
                problems.append("area")
            if part.polygon.geom_type != "Polygon":
                problems.append("contiguity")
        failures += bool(problems)
        ratio = result.count / result.lower_bound
        worst = max(worst, ratio)
        if ratio > TARGET_RATIO:
            over.append(community.name)
        grids += result.count
        bound += result.lower_bound
        households = sum(b.households for b in buildings)
        today = len(set(current.values()))
        check = ",".join(sorted(set(problems))) or "ok"
        print(
            f"{community.name:<10}{households:>11}{community.area_km2:>7.2f}{result.lower_bound:>7}{today:>7}"
            f"{result.count:>7}{ratio:>7.3f}{elapsed:>7.2f}  {check}"
        )
    print()
    print(
        f"district: {grids} grids proposed, lower bound {bound}, ratio {grids / bound:.3f}; worst community {worst:.3f}"
    )
    verdict = "PASS" if total_s < TARGET_S else "FAIL"
    print(f"time for the whole district: {total_s:.1f} s (target < {TARGET_S:.0f} s: {verdict})")
    print(
        f"communities within {TARGET_RATIO} × the bound: {len(communities) - len(over)} / {len(communities)}"
        + (f" (over: {', '.join(over)})" if over else "")
    )
    print(f"standard met by every proposed grid: {'yes' if not failures else f'NO ({failures} communities)'}")
    return 0 if not failures else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="use this database (it must hold the full demo)")
    parser.add_argument("--var-dir", help="GONGZHI_VAR_DIR for --database-url (field key)")
    opts = parser.parse_args()
    if opts.database_url:
        url, var_dir, label = (
            opts.database_url,
            opts.var_dir or tempfile.mkdtemp(prefix="gongzhi-bench-"),
            "--database-url",
        )
    else:
        from territory_pages import ensure_database

        state = ensure_database(opts.db)
        url, var_dir, label = state["database_url"], state["var_dir"], f"{opts.db}, kept by bench/load_demo.py --keep"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings.dev"
    os.environ["DATABASE_URL"] = url
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    return run(label)


if __name__ == "__main__":
    sys.exit(main())
