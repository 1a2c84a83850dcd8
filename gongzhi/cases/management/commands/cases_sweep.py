"""manage.py cases_sweep: remind (催办) overdue cases, escalate broken resolve clocks, close
unrated cases, chase late departments. Run every few minutes (deploy/gongzhi-cases-sweep.timer;
`make run` runs it in a loop). Idempotent: a reminder is sent once per phase and deadline."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from gongzhi.cases.services import sweep


class Command(BaseCommand):
    help = "Send SLA reminders, escalate overdue cases, close unrated ones (idempotent)."

    def handle(self, *args, **options):
        result = sweep(now=timezone.now())
        self.stdout.write(
            f"reminded {result.reminded}, escalated {result.escalated}, closed unrated {result.expired}, "
            f"late departments {result.whistles_late}"
        )
