"""manage.py care_reminders: remind paired party members of overdue visits (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from gongzhi.care import services


class Command(BaseCommand):
    help = "Remind paired party members of overdue care visits (once a day per profile)."

    def handle(self, *args, **options):
        sent = services.send_reminders(today=timezone.localdate())
        self.stdout.write(f"{sent} reminders sent.")
