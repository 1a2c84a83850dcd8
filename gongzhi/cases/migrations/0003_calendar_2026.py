"""The State Council's 2026 holiday arrangement (法定节假日 and 调休上班) as working-calendar rows.
Deployments check it against the published notice and add later years in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from gongzhi.cases.sla import CN_HOLIDAYS_2026, CN_WORKDAYS_2026

    CalendarDay = apps.get_model("cases", "CalendarDay")
    rows = [CalendarDay(date=d, is_workday=False, name="法定节假日") for d in sorted(CN_HOLIDAYS_2026)]
    rows += [CalendarDay(date=d, is_workday=True, name="调休上班") for d in sorted(CN_WORKDAYS_2026)]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("cases", "CalendarDay").objects.filter(date__year=2026).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_default_rules")]
    operations = [migrations.RunPython(load, unload)]
