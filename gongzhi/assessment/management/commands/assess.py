"""`manage.py assess [--month YYYY-MM] [--district CODE] [--close YYYY-MM]`: the monthly assessment job.

Without --month it computes the running month and the month before it (while that is still
open), which is what the daily timer runs. --close YYYY-MM closes a month (关账) after computing it
one last time.
"""

from __future__ import annotations

import datetime
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.assessment import services
from gongzhi.assessment.models import AssessmentMonth
from gongzhi.territory.models import District


def parse_month(value: str) -> datetime.date:
    try:
        year, month = (int(x) for x in value.split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"月份格式应为 YYYY-MM：{value}") from exc


class Command(BaseCommand):
    help = "计算月度考核（处理主体、街道社区网格、网格员），或关账。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM（默认：本月和上月）")
        parser.add_argument("--district", help="区划代码（默认：全部区）")
        parser.add_argument("--close", metavar="YYYY-MM", help="重新计算后关账")

    def handle(self, *args, **options):
        now = timezone.now()
        district = None
        if options["district"]:
            district = District.objects.filter(code=options["district"]).first()
            if district is None:
                raise CommandError(f"找不到区：{options['district']}")
        if options["close"]:
            months = [parse_month(options["close"])]
        elif options["month"]:
            months = [parse_month(options["month"])]
        else:
            this = timezone.localdate(now).replace(day=1)
            months = [(this - datetime.timedelta(days=1)).replace(day=1), this]
        for month in months:
            started = time.perf_counter()
            try:
                outcomes = services.assess_month(month=month, now=now, district=district)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            elapsed = time.perf_counter() - started
            for o in outcomes:
                self.stdout.write(f"{o.period}: {o.bodies} 个处理主体, {o.areas} 个区域, {o.workers} 名网格员")
            self.stdout.write(f"{month:%Y-%m}: {len(outcomes)} 个区已计算，用时 {elapsed:.1f} 秒")
        if options["close"]:
            periods = AssessmentMonth.objects.filter(month=months[0])
            if district is not None:
                periods = periods.filter(district=district)
            for period in periods:
                try:
                    services.close_month(period, actor=None, now=now)
                    self.stdout.write(f"{period} 已关账")
                except ValidationError as exc:
                    self.stderr.write(f"{period}: {' '.join(exc.messages)}")
