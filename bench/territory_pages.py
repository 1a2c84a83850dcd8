#!/usr/bin/env python
"""Benchmark: server-side time of the territory pages and API at full demo scale.

    .venv/bin/python bench/territory_pages.py                  # SQLite, then PostgreSQL
    .venv/bin/python bench/territory_pages.py --db sqlite -n 50
    .venv/bin/python bench/territory_pages.py --database-url postgres://postgres@127.0.0.1:5432/mydb

Requests go through Django's test Client in-process (no network, no WSGI/ASGI server): the time
is the full middleware + view + template/serializer stack, as the server spends it. Users are
logged in with force_login (the login lockout middleware is on). For each URL: `--warmup`
untimed requests, one request under CaptureQueriesContext (query count and SQL time), then `-n`
timed requests (p50 / p95 nearest-rank / max).

The database is the one bench/load_demo.py --keep left (bench/.kept-<db>.json); when there is
none it runs `bench/load_demo.py --db <db> --keep` first (about 1.5-3 minutes). Pass
--database-url (and --var-dir for the field key) to use another database.

Settings: gongzhi.settings.dev with DEBUG=False (production-like: no query log, no template
debug) and ALLOWED_HOSTS += testserver, via override_settings. --debug keeps DEBUG=True.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0
USERS = ["admin", "demo-district", "demo-street", "demo-community", "demo-grid"]
FULL_RESIDENTS = 304_500
PER_PAGE = 50  # gongzhi.core.views.paginate
NOTES: set[str] = set()


def git_revision() -> str:
    """HEAD's short hash, "+dirty" when the work tree has changes (read-only git calls)."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def state_file(db: str) -> Path:
    return ROOT / "bench" / f".kept-{db}.json"


def kept_database(db: str) -> dict | None:
    """The database bench/load_demo.py --keep left for `db`, if it still exists."""
    path = state_file(db)
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    url = state["database_url"]
    if db == "sqlite":
        if not Path(url.removeprefix("sqlite:///")).exists():
            return None
    else:
        import psycopg

        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1 FROM territory_district LIMIT 1")
        except psycopg.Error:
            return None
    if state.get("scale", 1) != 1:
        return None
    return state


def ensure_database(db: str) -> dict:
    state = kept_database(db)
    if state is None:
        print(f"No kept full-scale {db} demo database; running bench/load_demo.py --db {db} --keep", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load_demo.py"), "--db", db, "--keep", "--quiet"], check=True
        )
        state = kept_database(db)
        if state is None:
            raise SystemExit(f"bench/load_demo.py did not leave a {db} database")
    return state


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


# --------------------------------------------------------------------------------------------
# In the benchmark process (Django configured).
# --------------------------------------------------------------------------------------------


def pick_targets(user) -> list[tuple[str, str, dict]]:
    """(label, url, extra headers) to time for `user`, worst cases within the user's scope."""
    from django.db.models import Count

    from gongzhi.population.models import Household
    from gongzhi.territory.models import CHILD_LEVEL, LEVEL_MODELS, Building, Community, Compound, Grid, Street
    from gongzhi.territory.views import PARENT_FIELD, scope_roots

    roots = scope_roots(user)
    root = roots[0]
    chain: dict[str, object] = {root.level: root}

    def largest(qs_model, group_field, **filters):
        row = (
            Household.objects.filter(**filters)
            .order_by()
            .values(group_field)
            .annotate(n=Count("pk"))
            .order_by("-n", group_field)
            .first()
        )
        return qs_model.objects.get(pk=row[group_field])

    # Walk down from the user's root, always into the child with the most households.
    if "community" not in chain and root.level in ("district", "street"):
        community = largest(Community, "community", **{f"{root.level}_id": root.pk})
        chain.setdefault("street", community.street)
        chain["community"] = community
    if "grid" not in chain and "community" in chain:
        chain["grid"] = largest(Grid, "grid", community_id=chain["community"].pk)
    if "compound" not in chain and "grid" in chain:
        chain["compound"] = largest(Compound, "building__compound", grid_id=chain["grid"].pk)
    if "building" not in chain and "compound" in chain:
        chain["building"] = largest(Building, "building", building__compound_id=chain["compound"].pk)

    targets: list[tuple[str, str, dict]] = []
    for level in ["district", "street", "community", "grid", "compound", "building"]:
        if level in chain:
            node = chain[level]
            targets.append((f"node {level}", f"/territory/{level}/{node.pk}/", {}))

    # The in-scope node with the most children: the one with a page 2 (if any), and the q filter.
    best = None
    for parent_level, child_level in CHILD_LEVEL.items():
        if not child_level:
            continue
        field = PARENT_FIELD[child_level]
        row = (
            LEVEL_MODELS[child_level]
            .objects.restrict(user)
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .order_by("-n", field)
            .first()
        )
        if row and (best is None or row["n"] > best[2]):
            best = (parent_level, row[field], row["n"])
    parent_level, parent_pk, n_children = best
    base = f"/territory/{parent_level}/{parent_pk}/"
    child_level = CHILD_LEVEL[parent_level]
    children = list(
        LEVEL_MODELS[child_level]
        .objects.filter(**{PARENT_FIELD[child_level]: parent_pk})
        .order_by("code")
        .values_list("name", flat=True)
    )
    q = children[len(children) // 2][:2]
    targets.append((f"node {parent_level} ({n_children} {child_level}s) ?q={q}", f"{base}?q={q}", {}))
    targets.append(("  same, htmx partial", f"{base}?q={q}", {"HTTP_HX_REQUEST": "true"}))
    if n_children > PER_PAGE:
        targets.append((f"node {parent_level} ({n_children} {child_level}s) ?page=2", f"{base}?page=2", {}))
    else:
        NOTES.add(
            f"{user.username}: no in-scope node has more than {PER_PAGE} children (the most is {n_children} "
            f"{child_level}s under {parent_level} {parent_pk}), so no node page has a page 2."
        )

    targets += [
        ("search ?q=社区", "/territory/search/?q=社区", {}),
        (f"map {root.level}", f"/territory/map/?level={root.level}&id={root.pk}", {}),
        ("home /", "/", {}),
        ("territory root /territory/", "/territory/", {}),
    ]
    community = chain.get("community") or Community.objects.get(pk=chain["grid"].community_id)
    street = chain.get("street") or Street.objects.get(pk=community.street_id)
    grid, building = chain["grid"], chain["building"]
    targets += [
        ("api communities", "/api/territory/communities/", {}),
        ("api grids ?community", f"/api/territory/grids/?community={community.pk}", {}),
        ("api grids geojson ?community", f"/api/territory/grids/geojson/?community={community.pk}", {}),
        ("api communities geojson ?street", f"/api/territory/communities/geojson/?street={street.pk}", {}),
        ("api resolve (building lon/lat)", f"/api/territory/resolve/?lon={building.lon}&lat={building.lat}", {}),
        ("api buildings ?grid", f"/api/territory/buildings/?grid={grid.pk}", {}),
    ]
    # residents, care files and the party organisation: the lists at this user's scope
    from gongzhi.population.models import Resident

    resident = Resident.objects.restrict(user).exclude(id_number="").order_by("pk").first()
    if resident is not None:
        targets += [
            ("residents list", "/population/residents/", {}),
            ("residents ?q=王 (name)", "/population/residents/?q=王", {}),
            ("residents ?q=<ID number> (exact)", f"/population/residents/?q={resident.id_number}", {}),
            ("resident detail", f"/population/residents/{resident.pk}/", {}),
            ("households list", "/population/households/", {}),
            ("api residents", "/api/population/residents/", {}),
        ]
    targets += [
        ("care list", "/care/", {}),
        ("care list ?overdue=1", "/care/?overdue=1", {}),
        ("api care overdue", "/api/care/profiles/overdue/", {}),
        ("party tree", "/party/", {}),
        ("party coverage", "/party/coverage/", {}),
        ("party members", "/party/members/", {}),
    ]
    return targets


class SqlTimer:
    """connection.execute_wrapper that adds each statement's duration (s) to a list."""

    def __init__(self, sink: list[float]) -> None:
        self.sink = sink

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sink.append(time.perf_counter() - t)


def connect_cost_ms(connection, n: int = 5) -> float:
    """Median time to open a new database connection and run one query (what CONN_MAX_AGE=0 adds)."""
    samples = []
    for _ in range(n):
        connection.close()
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return samples[len(samples) // 2]


def run_bench(opts, db_label: str) -> list[dict]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from gongzhi.accounts.models import User
    from gongzhi.population.models import Resident

    overrides = override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], DEBUG=opts.debug)
    overrides.enable()

    residents = Resident.objects.count()
    if connection.vendor == "sqlite":
        import sqlite3

        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = f"PostgreSQL {connection.cursor().connection.info.server_version}"
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            engine = f"PostgreSQL {cur.fetchone()[0]}"
    print(f"== territory pages benchmark: {engine} ({db_label}), code {git_revision()}")
    print(
        f"   DATABASE={settings.DATABASES['default']['NAME']}  residents={residents:,}"
        f"  DEBUG={settings.DEBUG}  n={opts.n} warmup={opts.warmup}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW autovacuum")
            autovacuum = cur.fetchone()[0]
            cur.execute(
                "SELECT greatest(last_analyze, last_autoanalyze), greatest(last_vacuum, last_autovacuum)"
                " FROM pg_stat_user_tables WHERE relname = 'population_resident'"
            )
            analyzed, vacuumed = cur.fetchone()
        print(
            f"   planner statistics: population_resident last analyzed {analyzed or 'NEVER'}, "
            f"last vacuumed {vacuumed or 'NEVER'} (autovacuum={autovacuum})"
        )
    else:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            has_stats = cur.fetchone()[0]
        print(f"   planner statistics: sqlite_stat1 {'present' if has_stats else 'absent (never ANALYZEd)'}")
    if residents != FULL_RESIDENTS:
        print(f"   WARNING: {residents:,} residents, not the full demo district ({FULL_RESIDENTS:,})")
    print(
        f"   new-connection cost (CONN_MAX_AGE=0 pays this per request; not in the figures): "
        f"{connect_cost_ms(connection):.1f} ms"
    )

    results = []
    for username in opts.users:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for label, url, headers in pick_targets(user):
            for _ in range(opts.warmup):
                response = client.get(url, **headers)
            sql_times: list[float] = []
            with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(SqlTimer(sql_times)):
                response = client.get(url, **headers)
            queries = len(ctx.captured_queries)
            if opts.dump_queries and label == opts.dump_queries:
                # (now: the next request's request_started signal clears the query log)
                print(f"-- SQL of {username} {label} {url}")
                for q, seconds in zip(ctx.captured_queries, sql_times, strict=False):
                    print(f"   {seconds * 1000:7.1f} ms  {q['sql']}")
            sql_ms = sum(sql_times) * 1000  # precise; the captured "time" strings are rounded to 1 ms
            size = len(response.content)
            status = response.status_code
            samples = []
            for _ in range(opts.n):
                t = time.perf_counter()
                client.get(url, **headers)
                samples.append((time.perf_counter() - t) * 1000)
            samples.sort()
            row = {
                "db": engine,
                "user": username,
                "label": label,
                "url": url,
                "status": status,
                "p50": percentile(samples, 50),
                "p95": percentile(samples, 95),
                "max": samples[-1],
                "queries": queries,
                "sql_ms": sql_ms,
                "kb": size / 1024,
            }
            results.append(row)
            if opts.verbose:
                print(f"   {username:<15} {label:<45} {row['p95']:8.1f} ms", flush=True)
    overrides.disable()

    print()
    header = (
        f"{'user':<15} {'URL':<47} {'st':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'SQL#':>5} {'SQL ms':>7} {'KB':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        flag = "ok" if r["p95"] < TARGET_MS and r["status"] in (200, 302) else "MISS"
        print(
            f"{r['user']:<15} {r['label']:<47} {r['status']:>3} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f}"
            f" {r['queries']:>5} {r['sql_ms']:7.1f} {r['kb']:7.1f}  {flag}"
        )
    for note in sorted(NOTES):
        print(f"Note: {note}")
    misses = [r for r in results if r["p95"] >= TARGET_MS or r["status"] not in (200, 302)]
    print()
    print(f"{len(results)} URLs, {len(misses)} over the p95 < {TARGET_MS:.0f} ms target (or not 200/302).")
    print("URLs:")
    seen = set()
    for r in results:
        key = (r["user"], r["label"])
        if key not in seen:
            seen.add(key)
            print(f"  {r['user']:<15} {r['label']:<47} {r['url']}")
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--database-url", help="benchmark this database instead of the kept one (must hold the full demo)"
    )
    parser.add_argument("--var-dir", help="GONGZHI_VAR_DIR for --database-url (field key); default: a temp dir")
    parser.add_argument("-n", type=int, default=30, help="timed requests per URL (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per URL first (default %(default)s)")
    parser.add_argument("--users", nargs="+", default=USERS, help="usernames (default: %(default)s)")
    parser.add_argument("--debug", action="store_true", help="keep DEBUG=True (dev settings) instead of False")
    parser.add_argument("--verbose", action="store_true", help="print each URL as it is measured")
    parser.add_argument("--dump-queries", metavar="LABEL", help="print the SQL of the URL with this label")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    opts = parser.parse_args()

    if opts.database_url:
        var_dir = opts.var_dir or tempfile.mkdtemp(prefix="gongzhi-bench-")
        label = "--database-url"
        url = opts.database_url
    elif opts.db == "both":
        rc = 0
        for db in ["sqlite", "postgres"]:
            args = list(sys.argv[1:])
            if "--db" in args:
                i = args.index("--db")
                del args[i : i + 2]
            args = [a for a in args if not a.startswith("--db=")]
            if opts.json:
                i = args.index("--json")
                args[i + 1] = f"{Path(opts.json).with_suffix('')}-{db}.json"
            rc |= subprocess.run([sys.executable, __file__, "--db", db, *args]).returncode
            print()
        return rc
    else:
        state = ensure_database(opts.db)
        url, var_dir, label = state["database_url"], state["var_dir"], "kept by bench/load_demo.py --keep"

    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings.dev"
    os.environ["DATABASE_URL"] = url
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    run_bench(opts, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
