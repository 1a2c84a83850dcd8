"""Background work of the population area (run by `manage.py db_worker`)."""

from django_tasks import task

from . import imports
from .models import ImportJob


@task()
def check_import(job_id: int) -> None:
    imports.check(ImportJob.objects.select_related("created_by").get(pk=job_id))


@task()
def run_import(job_id: int, mode: str) -> None:
    imports.run(ImportJob.objects.select_related("created_by").get(pk=job_id), mode)
