"""manage.py load_demo: the demo district of seed S0 (or a smaller one with --scale), or with --city
the city of seed S4 with a year of cases (PostgreSQL; --city-scale for a small test city)."""

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gongzhi.demo.loader import DEMO_PASSWORD, DEMO_USERS, DemoLoader
from gongzhi.demo.plan import make_plan
from gongzhi.territory.models import District


class Command(BaseCommand):
    help = (
        "Load the demo district (36 communities, 304,500 residents at --scale 1), or with --city the city of "
        "seed S4 (18,100 grids, 39,300 grid workers, a year of 1,050,000 cases; PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full district (0 < scale ≤ 1)")
        parser.add_argument("--seed", type=int, default=20221231)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when a district already exists")
        parser.add_argument("--city", action="store_true", help="the city of seed S4 with a year of cases")
        parser.add_argument(
            "--city-scale",
            type=float,
            default=None,
            help="with --city: a fraction of the city (0 < f ≤ 1); below 1 also allowed on SQLite",
        )
        parser.add_argument(
            "--now",
            default=None,
            help="with --city: the load time the year of cases ends at (ISO 8601 with offset; default: now)",
        )

    def handle(self, *args, scale, seed, if_empty, city, city_scale, now, **options):
        if city_scale is not None and not city:
            raise CommandError("--city-scale needs --city.")
        if city:
            return self._city(seed=seed, fraction=city_scale, if_empty=if_empty, now=now)
        if not 0 < scale <= 1:
            raise CommandError("--scale must be in (0, 1].")
        if District.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present; reusing it.")
                return
            raise CommandError("The database already holds a district; load_demo only fills an empty database.")
        started = time.monotonic()
        plan = make_plan(scale=scale, seed=seed)
        counts = DemoLoader(plan, seed=seed, log=self.stdout.write).load()
        self._analyze()
        elapsed = time.monotonic() - started
        for key, value in counts.items():
            self.stdout.write(f"  {key:>20}: {value:,}")
        self.stdout.write(self.style.SUCCESS(f"Demo district loaded in {elapsed:.1f} s."))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"Peak memory (max RSS): {peak:.0f} MiB")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): admin, " + ", ".join(u[0] for u in DEMO_USERS))

    def _analyze(self) -> float:
        """On PostgreSQL: planner statistics and the visibility map for index-only counts, right away
        rather than whenever autovacuum comes round. VACUUM cannot run inside a transaction (as under a
        test); ANALYZE alone can."""
        started = time.monotonic()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        return time.monotonic() - started

    def _city(self, *, seed: int, fraction: float | None, if_empty: bool, now: str | None) -> None:
        from gongzhi.demo.city import CityLoader, make_city_plan

        if fraction is not None and not 0 < fraction <= 1:
            raise CommandError("--city-scale must be in (0, 1].")
        if connection.vendor != "postgresql" and (fraction is None or fraction >= 1):
            raise CommandError(
                _(
                    "城市规模演示数据（--city：3,800 个小区、18,100 个网格、一年逾百万件事项）需要 PostgreSQL 数据库，"
                    "当前数据库为 %(vendor)s。请设置 DATABASE_URL 指向 PostgreSQL 后重试；"
                    "如只需小规模试验数据，请加 --city-scale 0.002 之类的比例。"
                )
                % {"vendor": connection.vendor}
            )
        if District.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present; reusing it.")
                return
            raise CommandError("The database already holds a district; load_demo only fills an empty database.")
        if now:
            when = parse_datetime(now)
            if when is None or timezone.is_naive(when):
                raise CommandError(
                    "--now must be an ISO 8601 date and time with its offset, e.g. 2026-12-01T08:00+08:00."
                )
        else:
            when = timezone.now()
        when = when.replace(microsecond=0)
        started = time.monotonic()
        plan = make_city_plan(fraction or 1.0, seed=seed)
        self.stdout.write(f"[{time.monotonic() - started:7.1f}s] city planned: {plan.counts()}")
        loader = CityLoader(plan, seed=seed, now=when, log=self.stdout.write)
        counts = loader.load()
        if connection.vendor == "postgresql":
            what = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            analyze_s = self._analyze()
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] (+{analyze_s:6.1f}s) {what}")
        elapsed = time.monotonic() - started
        for key, value in counts.items():
            self.stdout.write(f"  {key:>20}: {value:,}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = cursor.fetchone()[0]
            self.stdout.write(f"  {'database_mib':>20}: {size // 2**20:,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city loaded in {elapsed:.1f} s (cases up to {timezone.localtime(when):%Y-%m-%d %H:%M})."
            )
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"Peak memory (max RSS): {peak:.0f} MiB")
        self.stdout.write(
            f"Logins (password {DEMO_PASSWORD}): admin; district admins city-d01…; street admins city-s001…, "
            "dispatchers city-s001-ddy…; community workers city-c0001…; grid workers wg00001…"
        )
