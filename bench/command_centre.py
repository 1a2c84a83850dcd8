#!/usr/bin/env python
"""Benchmark: the command centre's data and a month's assessment on the city of seed S4.

    .venv/bin/python bench/command_centre.py                    # the kept city (made first if missing)
    .venv/bin/python bench/command_centre.py -n 50 --month 2026-11
    .venv/bin/python bench/command_centre.py --fraction 0.05    # a smaller city (its own database)
    .venv/bin/python bench/command_centre.py --database-url postgres://…/mycity --var-dir /path/with/field.key

The database is PostgreSQL `gongzhi_city` (change with --pg-url), holding what
`manage.py load_demo --city` writes: 18,100 grids, 39,300 grid workers and a year of 1,050,000
cases. It is kept, like bench/load_demo.py --keep does: recorded in bench/.kept-city.json with
the temp dir holding its field key, and reused by the next run while it still answers. When it is
missing, the script creates it: drops and recreates the database, then runs `manage.py migrate`
and `manage.py load_demo --city` as child processes (the load's per-step timings are echoed, its
wall time, peak memory and row counts recorded; about 10–20 minutes on a 2-core machine).

Then, in this process (gongzhi.settings.dev with DEBUG=False, ALLOWED_HOSTS += testserver; start-up
settled with `gongzhi.core.runtime.settle_startup()` as the server's gongzhi/asgi.py does):

1. The command centre's data endpoints through Django's test Client in-process (no network; the
   full middleware + view + serializer stack; users logged in with force_login):
   GET /api/command/summary/, /api/command/map/, /api/command/charts/ (and /api/command/feed/)
   with ?level=street&id=… for the dispatcher of the busiest street and ?level=district&id=… for
   the admin of its district. Per URL: `--warmup` untimed requests, one with every SQL statement
   timed (query count, SQL time), `-n` timed ones: p50 / p95 (nearest rank) / max.
   Target: p95 < 300 ms.
2. One month's assessment for the whole city, as the hourly job runs it:
   `gongzhi.assessment.services.assess_month(month=date(Y, M, 1), now=…)` (all districts), timed
   twice: the first computation of the month, then a recomputation (idempotent: it replaces the
   month's snapshot rows). The month is the last complete calendar month before the city's load
   time (the month its patrols cover) unless --month says otherwise. Target: < 60 s.

It prints a table and PASS/FAIL per target; --json FILE writes the figures too.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import load_demo as load_bench  # noqa: E402 - bench/load_demo.py: PostgreSQL and child-process helpers

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/gongzhi_city"
STATE = ROOT / "bench" / ".kept-city.json"
PAGE_TARGET_MS = 300.0
ASSESS_TARGET_S = 60.0
LOAD_TARGET_S = 30 * 60
ENDPOINTS = ["summary", "map", "charts", "feed"]
REQUIRED = {"summary", "map", "charts"}  # the page data the target is about (the feed is shown too)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


# -- the kept city ---------------------------------------------------------------------------


def kept_city(url: str, fraction: float) -> dict | None:
    """The city recorded in bench/.kept-city.json for `url` and `fraction`, if it still answers."""
    if not STATE.exists():
        return None
    state = json.loads(STATE.read_text())
    if state.get("database_url") != url or state.get("fraction") != fraction:
        return None
    if not Path(state["var_dir"], "field.key").exists():
        return None
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            if conn.execute("SELECT count(*) FROM territory_district").fetchone()[0] == 0:
                return None
    except psycopg.Error:
        return None
    return state


def database_exists(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5):
            return True
    except psycopg.OperationalError:
        return False


def make_city(url: str, fraction: float, quiet: bool) -> dict:
    """Drop and recreate the database, migrate, load the city; record it in bench/.kept-city.json."""
    var_dir = Path(tempfile.mkdtemp(prefix="gongzhi-bench-city-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GONGZHI_FIELD_KEY", "GONGZHI_FIELD_KEY_FILE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings.dev",
        GONGZHI_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=url,
    )
    print(f"== making the city: {url} (fraction {fraction:g}), code {load_bench.git_revision()}", flush=True)
    load_bench.pg_recreate(url)
    ok = False
    try:
        print("-- manage.py migrate", flush=True)
        rc, migrate_s, _rss, out = load_bench.run_child(["migrate", "--no-input", "-v", "0"], env, echo=not quiet)
        if rc:
            raise SystemExit(f"migrate failed (exit {rc}):\n{out}")
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        args = ["load_demo", "--city", "--now", now.isoformat()]
        if fraction < 1:
            args += ["--city-scale", str(fraction)]
        print("-- manage.py " + " ".join(args), flush=True)
        rc, load_s, load_rss, out = load_bench.run_child(args, env, echo=not quiet)
        if rc:
            raise SystemExit(f"load_demo --city failed (exit {rc}):\n{out}")
        ok = True
    finally:
        if not ok:
            load_bench.pg_drop(url)
            shutil.rmtree(var_dir, ignore_errors=True)
    state = {
        "database_url": url,
        "var_dir": str(var_dir),
        "fraction": fraction,
        "now": now.isoformat(),
        "created": time.time(),
        "code": load_bench.git_revision(),
        "migrate_s": round(migrate_s, 1),
        "load_s": round(load_s, 1),
        "load_max_rss_mib": round(load_rss),
        "db_size_mib": round(load_bench.pg_size(url) / 2**20),
        "steps": [line.strip() for line in out.splitlines() if line.lstrip().startswith("[")],
        "counts": load_bench.parse_counts(out),
    }
    if STATE.exists():  # the temp dir of the city this one replaces
        old = Path(json.loads(STATE.read_text())["var_dir"])
        if old != var_dir and old.parent == Path(tempfile.gettempdir()) and old.name.startswith("gongzhi-bench-"):
            shutil.rmtree(old, ignore_errors=True)
    STATE.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n")
    print(f"-- city loaded in {load_s:.0f} s; kept (recorded in {STATE.relative_to(ROOT)})", flush=True)
    return state


# -- in the benchmark process (Django configured) ---------------------------------------------


class SqlTimer:
    """connection.execute_wrapper that records each statement with its duration (s)."""

    def __init__(self, sink: list[tuple[float, str]]) -> None:
        self.sink = sink

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sink.append((time.perf_counter() - t, sql))


def pick_viewers():
    """(dispatcher of the busiest street, that street), (admin of the busiest district, the district)."""
    from django.db.models import Count

    from gongzhi.accounts.models import Assignment
    from gongzhi.cases.models import Case

    def busiest(field):
        row = Case.objects.order_by().values(field).annotate(n=Count("pk")).order_by("-n", field).first()
        return row[field], row["n"]

    street_id, street_cases = busiest("street_id")
    district_id, district_cases = busiest("district_id")
    dispatcher = Assignment.objects.select_related("user", "street").get(role="dispatcher", street_id=street_id)
    admin = Assignment.objects.select_related("user", "district").get(role="district_admin", district_id=district_id)
    return [
        (dispatcher.user, "street", dispatcher.street, street_cases),
        (admin.user, "district", admin.district, district_cases),
    ]


def time_endpoints(opts) -> list[dict]:
    from django.db import connection
    from django.test import Client

    rows = []
    for user, level, node, n_cases in pick_viewers():
        print(f"   {level} {node} (id {node.pk}): {n_cases:,} cases in the year; viewer {user.username}", flush=True)
        client = Client()
        client.force_login(user)
        for name in ENDPOINTS:
            url = f"/api/command/{name}/?level={level}&id={node.pk}"
            for _ in range(opts.warmup):
                client.get(url)
            statements: list[tuple[float, str]] = []
            with connection.execute_wrapper(SqlTimer(statements)):
                response = client.get(url)
            if opts.sql:
                print(f"-- SQL of {url} ({user.username}), slowest first")
                for seconds, sql in sorted(statements, reverse=True)[:8]:
                    print(f"   {seconds * 1000:7.1f} ms  {sql[:600]}")
            samples = []
            for _ in range(opts.n):
                t = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - t) * 1000)
            samples.sort()
            rows.append(
                {
                    "user": user.username,
                    "level": level,
                    "node": str(node),
                    "endpoint": name,
                    "url": url,
                    "status": response.status_code,
                    "p50": percentile(samples, 50),
                    "p95": percentile(samples, 95),
                    "max": samples[-1],
                    "queries": len(statements),
                    "sql_ms": sum(t for t, _sql in statements) * 1000,
                    "kb": len(response.content) / 1024,
                }
            )
            if opts.verbose:
                print(f"   {user.username:<16} {url:<50} {rows[-1]['p95']:8.1f} ms", flush=True)
    return rows


def time_assessment(month: datetime.date, now: datetime.datetime) -> list[dict]:
    from gongzhi.assessment.models import AssessmentMonth, BodyScore, WorkerScore
    from gongzhi.assessment.services import assess_month

    results = []
    for label in ("first computation", "recomputation"):
        started = time.perf_counter()
        outcomes = assess_month(month=month, now=now)
        seconds = time.perf_counter() - started
        periods = AssessmentMonth.objects.filter(month=month)
        results.append(
            {
                "run": label,
                "seconds": seconds,
                "districts": len(outcomes),
                "worker_rows": WorkerScore.objects.filter(period__in=periods).count(),
                "body_rows": BodyScore.objects.filter(period__in=periods).count(),
            }
        )
        print(
            f"   assess_month({month:%Y-%m}) {label}: {seconds:.1f} s, {len(outcomes)} districts, "
            f"{results[-1]['worker_rows']:,} worker rows, {results[-1]['body_rows']:,} body rows",
            flush=True,
        )
    return results


def run_bench(opts, state: dict | None, label: str) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from gongzhi.cases.models import Case, CaseEvent, Dispatch
    from gongzhi.core.runtime import settle_startup

    overrides = override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], DEBUG=opts.debug)
    overrides.enable()
    settle_startup()  # as gongzhi/asgi.py does when the server starts
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        engine = f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    cases = Case.objects.count()
    print(f"== command centre benchmark: {engine} ({label}), code {load_bench.git_revision()}")
    print(
        f"   DATABASE={settings.DATABASES['default']['NAME']}  cases={cases:,}  dispatches={Dispatch.objects.count():,}"
        f"  events={CaseEvent.objects.count():,}  size={size / 2**20:,.0f} MiB  DEBUG={settings.DEBUG}"
        f"  n={opts.n} warmup={opts.warmup}"
    )
    if state and state.get("load_s"):
        print(f"   the city was loaded in {state['load_s']:.0f} s (peak RSS {state.get('load_max_rss_mib')} MiB)")
    data_end = datetime.datetime.fromisoformat(state["now"]) if state and state.get("now") else timezone.now()
    print(f"   cases up to {timezone.localtime(data_end):%Y-%m-%d %H:%M}; now {timezone.localtime():%Y-%m-%d %H:%M}")

    failures = 0
    pages = []
    try:
        from django.urls import Resolver404, resolve

        resolve("/api/command/summary/")
        pages = time_endpoints(opts)
    except Resolver404:
        print("   NOTE: /api/command/… is not routed in this tree (gongzhi.command missing): page data not timed")
        failures += 1
    assessment = []
    if not opts.skip_assessment:
        if opts.month:
            month = datetime.date.fromisoformat(opts.month + "-01")
        else:
            local_end = timezone.localtime(data_end).date()
            month = (local_end.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        try:
            from gongzhi.assessment.services import assess_month  # noqa: F401 - present?

            assessment = time_assessment(month, timezone.now())
        except ImportError as exc:
            print(f"   NOTE: gongzhi.assessment.services.assess_month not available ({exc}): not timed")
            failures += 1
    overrides.disable()

    print()
    if pages:
        header = (
            f"{'user':<16} {'level':<8} {'endpoint':<8} {'st':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
            f" {'SQL#':>5} {'SQL ms':>7} {'KB':>7}  target"
        )
        print(header)
        print("-" * len(header))
        for r in pages:
            required = r["endpoint"] in REQUIRED
            ok = r["p95"] < PAGE_TARGET_MS and r["status"] == 200
            verdict = ("PASS" if ok else "FAIL") if required else ("(ok)" if ok else "(over)")
            failures += int(required and not ok)
            print(
                f"{r['user']:<16} {r['level']:<8} {r['endpoint']:<8} {r['status']:>3} {r['p50']:8.1f} {r['p95']:8.1f}"
                f" {r['max']:8.1f} {r['queries']:>5} {r['sql_ms']:7.1f} {r['kb']:7.1f}  {verdict}"
            )
        worst = max((r for r in pages if r["endpoint"] in REQUIRED), key=lambda r: r["p95"])
        print(
            f"page data (summary, map, charts): worst p95 {worst['p95']:.0f} ms ({worst['level']} {worst['endpoint']})"
            f" -> {'PASS' if worst['p95'] < PAGE_TARGET_MS else 'FAIL'} (target p95 < {PAGE_TARGET_MS:.0f} ms)"
        )
        print("URLs:")
        for r in pages:
            print(f"  {r['user']:<16} {r['url']}  ({r['node']})")
    if assessment:
        first = assessment[0]
        ok = all(a["seconds"] < ASSESS_TARGET_S for a in assessment)
        failures += int(not ok)
        runs = ", ".join(f"{a['run']} {a['seconds']:.1f} s" for a in assessment)
        print(f"month's assessment ({first['districts']} districts): {runs} -> {'PASS' if ok else 'FAIL'}"
              f" (target < {ASSESS_TARGET_S:.0f} s)")  # fmt: skip
    if state and state.get("load_s"):
        ok = state["load_s"] < LOAD_TARGET_S
        print(
            f"city load: {state['load_s']:.0f} s -> {'PASS' if ok else 'FAIL'} (target < {LOAD_TARGET_S / 60:.0f} min)"
        )
    if opts.json:
        Path(opts.json).write_text(
            json.dumps({"state": state, "pages": pages, "assessment": assessment}, ensure_ascii=False, indent=1) + "\n"
        )
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="the kept city's database (default %(default)s)")
    parser.add_argument("--fraction", type=float, default=1.0, help="load_demo --city-scale when making the city")
    parser.add_argument("--rebuild", action="store_true", help="make the city again even if a kept one answers")
    parser.add_argument("--database-url", help="benchmark this database (holding a city) as it is")
    parser.add_argument("--var-dir", help="GONGZHI_VAR_DIR (field key) for --database-url")
    parser.add_argument("-n", type=int, default=30, help="timed requests per URL (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per URL first (default %(default)s)")
    parser.add_argument("--month", help="the month to assess, YYYY-MM (default: the last complete month of the data)")
    parser.add_argument("--skip-assessment", action="store_true")
    parser.add_argument("--debug", action="store_true", help="keep DEBUG=True (dev settings) instead of False")
    parser.add_argument("--verbose", action="store_true", help="print each URL as it is measured")
    parser.add_argument("--sql", action="store_true", help="print the slowest SQL statements of each endpoint")
    parser.add_argument("--quiet", action="store_true", help="do not echo the load's output when making the city")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    opts = parser.parse_args()

    if opts.database_url:
        if not opts.var_dir:
            parser.error("--database-url needs --var-dir (the field key the city was loaded with)")
        url, var_dir, state, label = opts.database_url, opts.var_dir, None, "--database-url"
    else:
        url = opts.pg_url
        state = None if opts.rebuild else kept_city(url, opts.fraction)
        if state is None:
            if database_exists(url) and not opts.rebuild and not STATE.exists():
                print(f"{url} exists but bench/.kept-city.json does not say how it was made (its field key):")
                print("pass --rebuild to drop and make it again, or --database-url with --var-dir.")
                return 2
            state = make_city(url, opts.fraction, opts.quiet)
            label = "made now"
        else:
            label = "kept by bench/command_centre.py"
        var_dir = state["var_dir"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings.dev"
    os.environ["DATABASE_URL"] = url
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    return run_bench(opts, state, label)


if __name__ == "__main__":
    sys.exit(main())
