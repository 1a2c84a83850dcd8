"""manage.py care_reschedule: recompute every open file's due date (after GONGZHI_CARE_VISIT_DAYS changes)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from gongzhi.care import services
from gongzhi.care.models import CareProfile


class Command(BaseCommand):
    help = "Recompute the next visit date of every open care file from its last visit and risk level."

    def handle(self, *args, **options):
        changed = 0
        with transaction.atomic():
            for profile in CareProfile.objects.filter(closed=None).select_for_update().iterator(chunk_size=2000):
                due = profile.next_due
                services.schedule(profile)
                if profile.next_due != due:
                    profile.save(update_fields=["next_due"])
                    changed += 1
        self.stdout.write(f"{changed} care files rescheduled.")
