"""Ledger import pages: upload, the check report with progress, confirm or give up.

The party roll (党员名册) uses the same pages with its own kind, permission and URL names
(`gongzhi.party.import_views`): set the `ImportPages` attributes.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from gongzhi.accounts.roles import POPULATION_CHANGE
from gongzhi.core.exports import XLSX
from gongzhi.core.views import ScopePermissionMixin, paginate

from . import services
from .choices import ImportKind, ImportStatus
from .imports import TEMPLATE_HEADERS
from .models import ImportJob

RUNNING = {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING}


def jobs_for(user, kind: str = ImportKind.RESIDENTS):
    """A user's own imports of one kind (a superuser sees all)."""
    qs = ImportJob.objects.select_related("created_by").filter(kind=kind)
    return qs if user.is_superuser else qs.filter(created_by=user)


class ImportPages(ScopePermissionMixin):
    """What differs between the ledgers' import pages: kind, permission, URL names, title."""

    kind: str = ImportKind.RESIDENTS
    permission = POPULATION_CHANGE
    namespace = "population"  # URL names: <namespace>:imports, :import, :import-action, ...
    title = gettext_lazy("导入居民台账")

    def jobs(self):
        return jobs_for(self.request.user, self.kind)  # type: ignore[attr-defined]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)  # type: ignore[misc]
        ctx.update(ns=self.namespace, import_title=self.title)
        return ctx


class ImportListView(ImportPages, TemplateView):
    template_name = "population/import_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["page"] = paginate(self.request, self.jobs(), per_page=20)
        return ctx

    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的文件。"))
            return redirect(f"{self.namespace}:imports")
        try:
            job = services.start_import(actor=request.user, upload=upload, kind=self.kind)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect(f"{self.namespace}:imports")
        return redirect(f"{self.namespace}:import", pk=job.pk)


class ImportDetailView(ImportPages, TemplateView):
    template_name = "population/import_detail.html"

    def get_template_names(self):
        return ["population/_import_status.html"] if self.request.htmx else [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        job = get_object_or_404(self.jobs(), pk=kwargs["pk"])
        stalled = services.is_stalled(job, timezone.now())
        ctx.update(job=job, running=job.status in RUNNING and not stalled, stalled=stalled, errors=job.errors[:200])
        return ctx


class ImportActionView(ImportPages, View):
    def post(self, request, pk, verb):
        job = get_object_or_404(self.jobs(), pk=pk)
        try:
            if verb == "run":
                services.confirm_import(actor=request.user, job=job, mode=request.POST.get("mode", ""))
            elif verb == "recover":
                services.recover_import(actor=request.user, job=job, now=timezone.now())
            elif verb == "cancel":
                services.cancel_import(actor=request.user, job=job)
                messages.info(request, _("已放弃该文件，未写入任何数据。"))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(f"{self.namespace}:import", pk=job.pk)


def _workbook(rows, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class ImportTemplateView(ImportPages, View):
    """An empty ledger with the expected columns and one example row."""

    headers: list[str] = TEMPLATE_HEADERS
    example: list[str] = ["", "锦绣花园", "1幢", "1单元101室", "张三", "男", "1980-01-01", "330199198001010017",
                          "13800001111", "户主", "户籍人口", "浙江省杭州市", "退役军人"]  # fmt: skip
    sheet_title = gettext_lazy("居民台账")
    filename = "resident-ledger-template.xlsx"

    def get(self, request):
        response = HttpResponse(_workbook([self.headers, self.example], str(self.sheet_title)), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


class ImportErrorsView(ImportPages, View):
    """The check report as a workbook: row, column, reason."""

    def get(self, request, pk):
        job = get_object_or_404(self.jobs(), pk=pk)
        rows = [[_("行号"), _("列"), _("原因")]] + [[e["row"], e["column"], e["message"]] for e in job.errors]
        response = HttpResponse(_workbook(rows, _("错误明细")), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
        return response
