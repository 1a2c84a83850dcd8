"""manage.py load_demo: the demo district of seed S0 (or a smaller one with --scale)."""

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from gongzhi.demo.loader import DEMO_PASSWORD, DEMO_USERS, DemoLoader
from gongzhi.demo.plan import make_plan
from gongzhi.territory.models import District


class Command(BaseCommand):
    help = "Load the demo district (36 communities, 304,500 residents at --scale 1)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full district (0 < scale ≤ 1)")
        parser.add_argument("--seed", type=int, default=20221231)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when a district already exists")

    def handle(self, *args, scale, seed, if_empty, **options):
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
        if connection.vendor == "postgresql":
            # Planner statistics and the visibility map for index-only counts, right away
            # rather than whenever autovacuum comes round. VACUUM cannot run inside a
            # transaction (as under a test); ANALYZE alone can.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        for key, value in counts.items():
            self.stdout.write(f"  {key:>20}: {value:,}")
        self.stdout.write(self.style.SUCCESS(f"Demo district loaded in {elapsed:.1f} s."))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"Peak memory (max RSS): {peak:.0f} MiB")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): admin, " + ", ".join(u[0] for u in DEMO_USERS))
