#!/usr/bin/env python
"""Benchmark: importing a 300,000-row resident ledger (居民台账) from Excel.

    .venv/bin/python bench/import_residents.py                 # SQLite, full demo district
    .venv/bin/python bench/import_residents.py --db postgres   # PostgreSQL (drops + recreates gongzhi_bench_import)
    .venv/bin/python bench/import_residents.py --rows 20000 --scale 0.1   # a quick check of the script

Steps: a fresh database in a temp dir, `migrate`, `load_demo` (the territory and its people, so
the check runs against 304,500 existing ID numbers), then a workbook of new residents for the
demo's buildings (new households, new ID numbers, phones, labels) is written with openpyxl.
Timed: the check (dry run: read + validate every row), and the import (read + check again +
write), as the worker runs them. Progress is printed as the job records it, as the page shows it.
Target (issue 3): 300,000 rows imported in under 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sh(args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/gongzhi_bench_import")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--scale", type=float, default=1.0, help="demo district scale to import into")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="gongzhi-bench-import-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="gongzhi.settings.dev", GONGZHI_VAR_DIR=str(var))
    if args.db == "postgres":
        import psycopg

        name = args.pg_url.rsplit("/", 1)[1]
        with psycopg.connect(args.pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = args.pg_url
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'gongzhi.sqlite3'}"
    print(f"== import benchmark on {args.db}: {args.rows:,} rows into the demo district (scale {args.scale})")
    t = time.monotonic()
    sh(["migrate", "-v0"], env)
    sh(["load_demo", "--scale", str(args.scale)], env)
    print(f"   set-up (migrate + load_demo): {time.monotonic() - t:.0f} s")

    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    # -- the workbook -------------------------------------------------------------------
    from openpyxl import Workbook

    from gongzhi.accounts.models import User
    from gongzhi.demo.people import PeopleFactory
    from gongzhi.population import imports
    from gongzhi.population.models import ImportJob, Resident
    from gongzhi.territory.models import Building

    t = time.monotonic()
    people = PeopleFactory(seed=77)
    people_regions = ["110105", "320102", "440305"]  # none of the demo's own, so no clash
    import gongzhi.demo.people as people_module

    people_module.REGIONS = people_regions
    buildings = list(Building.objects.values_list("code", flat=True))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民台账")
    sheet.append(
        ["楼栋编码", "门牌", "姓名", "性别", "出生日期", "公民身份号码", "手机号码", "与户主关系", "人口类型", "标签"]
    )
    rng = people.rng
    relations = ["户主", "配偶", "子女", "父母"]
    for i in range(args.rows):
        household = i // 3
        code = buildings[household % len(buildings)]
        room = f"新{household // len(buildings) + 1}号"
        gender = rng.choice(["male", "female"])
        birth = people.birth_date(rng.randint(1, 90), __import__("datetime").date(2026, 11, 1))
        tag = "独居老人" if i % 97 == 0 else ("退役军人" if i % 53 == 0 else "")
        sheet.append(
            [code, room, people.name(gender), "", "", people.id_number(birth, gender), people.mobile(),
             relations[i % 3], "户籍人口", tag]
        )  # fmt: skip
    path = var / "media" / "imports" / "ledger.xlsx"  # inside MEDIA_ROOT, where uploads are kept
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    print(
        f"   workbook: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, written in {time.monotonic() - t:.0f} s"
    )

    # -- the import, as the worker runs it -------------------------------------------------
    admin = User.objects.get(username="admin")
    job = ImportJob(created_by=admin, original_name=path.name)
    job.file.name = "imports/ledger.xlsx"
    job.save()
    before = Resident.objects.count()

    def watch(stop: threading.Event, label: str, started: float) -> None:
        last = -1
        while not stop.wait(5):
            done = ImportJob.objects.filter(pk=job.pk).values_list("processed_rows", flat=True).first()
            if done != last:
                print(f"   {label} progress: {done:,} rows after {time.monotonic() - started:.0f} s", flush=True)
                last = done
        connection.close()

    figures = {}
    for label, step in (("check", lambda: imports.check(job)), ("import", lambda: imports.run(job, "all"))):
        stop = threading.Event()
        started = time.monotonic()
        watcher = threading.Thread(target=watch, args=(stop, label, started), daemon=True)
        watcher.start()
        step()
        figures[label] = time.monotonic() - started
        stop.set()
        watcher.join()
        job.refresh_from_db()
        print(
            f"   {label}: {figures[label]:.1f} s  status={job.status} "
            f"good={job.good_rows:,} bad={job.bad_rows:,} {job.file_error}"
        )
    added = Resident.objects.count() - before
    total = figures["check"] + figures["import"]
    print()
    print(f"rows in ledger:        {args.rows:,}")
    print(f"residents added:       {added:,} (households added: {job.created_households:,})")
    print(f"check (dry run):       {figures['check']:.1f} s  ({args.rows / figures['check']:,.0f} rows/s)")
    print(f"import (check + write): {figures['import']:.1f} s  ({args.rows / figures['import']:,.0f} rows/s)")
    print(f"check + import:        {total:.1f} s   target < 120 s: {'PASS' if total < 120 else 'MISS'}")
    if args.db == "postgres":
        connection.close()


if __name__ == "__main__":
    main()
