#!/usr/bin/env python
"""Benchmark: `manage.py migrate` + `manage.py load_demo` into a fresh, throwaway database.

    .venv/bin/python bench/load_demo.py                 # SQLite file in a new temp dir
    .venv/bin/python bench/load_demo.py --db postgres   # drops + recreates gongzhi_bench
    .venv/bin/python bench/load_demo.py --db postgres --keep   # leave it for bench/territory_pages.py

Each step runs as its own child process (DJANGO_SETTINGS_MODULE=gongzhi.settings.dev) with
GONGZHI_VAR_DIR pointing at a new temp dir, so the project's var/ (database, field key) is never
touched. Wall time is measured around each child; peak memory is the child's own max RSS, read
from os.wait4() (the per-child form of getrusage(RUSAGE_CHILDREN)).

With --keep the database (and the temp var dir holding its field key) is left in place, its
location is printed and recorded in bench/.kept-<db>.json, where bench/territory_pages.py
finds it. Without --keep everything is removed at the end (the PostgreSQL database is dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/gongzhi_bench"
FULL_TARGET_S = 180  # docs/performance.md: the full demo loads in under 3 minutes


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


def forget_kept(db: str, keep: Path) -> None:
    """Remove the temp dir of the database a previous --keep left (a new one replaces it)."""
    path = state_file(db)
    if not path.exists():
        return
    old = Path(json.loads(path.read_text())["var_dir"])
    tmp = Path(tempfile.gettempdir())
    if old != keep and old.parent == tmp and old.name.startswith("gongzhi-bench-"):
        shutil.rmtree(old, ignore_errors=True)


# -- PostgreSQL helpers -------------------------------------------------------------------


def _pg_admin_conn(url: str):
    """An autocommit connection to the server's `postgres` database (to drop/create `url`'s db)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    info["dbname"] = "postgres"
    return psycopg.connect(make_conninfo(**info), autocommit=True)


def pg_dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url)["dbname"]


def pg_recreate(url: str) -> None:
    from psycopg import sql

    name = pg_dbname(url)
    with _pg_admin_conn(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))


def pg_drop(url: str) -> None:
    from psycopg import sql

    with _pg_admin_conn(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(pg_dbname(url))))


def pg_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def analyze(db: str, url: str) -> float:
    """Refresh planner statistics (and, on PostgreSQL, the visibility map); return seconds."""
    started = time.monotonic()
    if db == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("ANALYZE")
        finally:
            conn.close()
    return time.monotonic() - started


# -- running a child and measuring it ------------------------------------------------------


def run_child(args: list[str], env: dict, echo: bool) -> tuple[int, float, float, str]:
    """Run `python manage.py <args>`; return (exit code, wall s, max RSS MiB, combined output)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    out = []
    for line in proc.stdout:
        out.append(line)
        if echo:
            sys.stdout.write("    | " + line)
            sys.stdout.flush()
    _pid, status, rusage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, rusage.ru_maxrss / 1024, "".join(out)  # ru_maxrss is KiB on Linux


COUNT_LINE = re.compile(r"^\s+(\w+): ([\d,]+)$")


def parse_counts(output: str) -> dict[str, int]:
    return {m[1]: int(m[2].replace(",", "")) for m in map(COUNT_LINE.match, output.splitlines()) if m}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL database to drop and recreate (default %(default)s)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="load_demo --scale (default 1 = the full district)")
    parser.add_argument("--keep", action="store_true", help="leave the database in place and print where it is")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="after the load, refresh planner statistics (PostgreSQL: VACUUM ANALYZE; SQLite: ANALYZE), timed apart",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the children's output")
    opts = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix=f"gongzhi-bench-{opts.db}-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GONGZHI_FIELD_KEY", "GONGZHI_FIELD_KEY_FILE")
    }
    env.update(DJANGO_SETTINGS_MODULE="gongzhi.settings.dev", GONGZHI_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    if opts.db == "postgres":
        database_url = opts.pg_url
        pg_recreate(database_url)
        engine = f"PostgreSQL {pg_version(database_url)}"
    else:
        database_url = f"sqlite:///{var_dir / 'gongzhi.sqlite3'}"
        engine = f"SQLite {sqlite3.sqlite_version}"
    env["DATABASE_URL"] = database_url

    print(f"== load_demo benchmark: {engine}, scale {opts.scale:g}, code {git_revision()}")
    print(f"   DATABASE_URL={database_url}")
    print(f"   GONGZHI_VAR_DIR={var_dir}")
    ok = False
    try:
        print("-- manage.py migrate")
        rc, migrate_s, migrate_rss, out = run_child(["migrate", "--no-input", "-v", "0"], env, echo=not opts.quiet)
        if rc:
            print(out)
            print(f"migrate failed (exit {rc})", file=sys.stderr)
            return rc
        print(f"-- manage.py load_demo --scale {opts.scale:g}")
        rc, load_s, load_rss, out = run_child(["load_demo", "--scale", str(opts.scale)], env, echo=not opts.quiet)
        if rc:
            if opts.quiet:
                print(out)
            print(f"load_demo failed (exit {rc})", file=sys.stderr)
            return rc
        analyze_s = None
        if opts.analyze:
            print("-- VACUUM ANALYZE" if opts.db == "postgres" else "-- ANALYZE")
            analyze_s = analyze(opts.db, database_url)
        counts = parse_counts(out)
        reported = re.search(r"loaded in ([\d.]+) s", out)
        size = (
            pg_size(database_url)
            if opts.db == "postgres"
            else sum(p.stat().st_size for p in var_dir.glob("gongzhi.sqlite3*"))
        )
        ok = True

        print()
        print(f"Results ({engine}, scale {opts.scale:g})")
        rows = [
            ("migrate wall time", f"{migrate_s:.1f} s"),
            ("migrate peak RSS", f"{migrate_rss:.0f} MiB"),
            ("load_demo wall time (process)", f"{load_s:.1f} s"),
            ("load_demo reported (load only)", f"{reported[1]} s" if reported else "?"),
            ("load_demo peak RSS", f"{load_rss:.0f} MiB"),
            ("planner statistics", "not refreshed" if analyze_s is None else f"refreshed in {analyze_s:.1f} s"),
            ("database size", f"{size / 2**20:.0f} MiB"),
        ]
        rows += [(k, f"{v:,}") for k, v in counts.items()]
        width = max(len(r[0]) for r in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value:>12}")
        if opts.scale == 1:
            verdict = "PASS" if load_s < FULL_TARGET_S else "MISS"
            print(f"  target: full demo load < {FULL_TARGET_S} s -> {verdict}")
        summary = {
            "db": opts.db,
            "engine": engine,
            "scale": opts.scale,
            "migrate_s": round(migrate_s, 2),
            "load_s": round(load_s, 2),
            "load_reported_s": float(reported[1]) if reported else None,
            "load_max_rss_mib": round(load_rss),
            "analyze_s": None if analyze_s is None else round(analyze_s, 2),
            "db_size_mib": round(size / 2**20),
            "counts": counts,
        }
        print("JSON " + json.dumps(summary, ensure_ascii=False))
        return 0
    finally:
        if opts.keep and ok:
            forget_kept(opts.db, keep=var_dir)
            state = {"database_url": database_url, "var_dir": str(var_dir), "scale": opts.scale, "created": time.time()}
            state_file(opts.db).write_text(json.dumps(state, indent=2) + "\n")
            print()
            print("Kept. To use it:")
            print(
                "  export DJANGO_SETTINGS_MODULE=gongzhi.settings.dev"
                f" GONGZHI_VAR_DIR={var_dir} DATABASE_URL={database_url}"
            )
            print(f"  (recorded in {state_file(opts.db).relative_to(ROOT)} for bench/territory_pages.py)")
        else:
            if opts.db == "postgres":
                pg_drop(database_url)
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
