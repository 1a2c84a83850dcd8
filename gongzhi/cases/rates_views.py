"""The rates page: 响应率, 解决率, 满意率, 结案率, 按期结案率, 返工率 per handling body or territory,
for the cases reported in a period, scoped to the viewer; each count links to its cases."""

from __future__ import annotations

import datetime

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import ScopePermissionMixin
from gongzhi.territory.models import Community, Grid, Street

from . import metrics
from .models import Case, HandlingBody

GROUPS = {
    "body": (gettext_lazy("处理主体"), HandlingBody),
    "community": (gettext_lazy("社区"), Community),
    "grid": (gettext_lazy("网格"), Grid),
    "street": (gettext_lazy("街道"), Street),
}
RATE_FIELDS = [
    ("response_rate", gettext_lazy("响应率")),
    ("resolution_rate", gettext_lazy("解决率")),
    ("satisfaction_rate", gettext_lazy("满意率")),
    ("closure_rate", gettext_lazy("结案率")),
    ("on_time_rate", gettext_lazy("按期结案率")),
    ("rework_rate", gettext_lazy("返工率")),
]


def _date(value: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return default


class RatesView(ScopePermissionMixin, TemplateView):
    permission = "cases.view"
    template_name = "cases/rates.html"

    def period(self):
        today = timezone.localdate()
        since = _date(self.request.GET.get("since", ""), today.replace(day=1))
        until = _date(self.request.GET.get("until", ""), today)
        if until < since:
            since, until = until, since
        return since, until

    def rows(self):
        by = self.request.GET.get("by", "body")
        by = by if by in GROUPS else "body"
        since, until = self.period()
        cases = Case.objects.restrict(self.request.user).filter(
            reported_at__date__gte=since, reported_at__date__lte=until
        )
        table = metrics.rates_by(cases, by, as_of=timezone.now())
        names = dict(GROUPS[by][1].objects.filter(pk__in=table).values_list("pk", "name"))
        rows = sorted(((pk, names.get(pk, "—"), r) for pk, r in table.items()), key=lambda row: (-row[2].cases, row[1]))
        total = metrics.rates(cases, as_of=timezone.now())
        return by, since, until, rows, total

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            by, since, until, rows, total = self.rows()
            headers = [str(GROUPS[by][0]), _("事项数"), _("派遣次数"), _("评价数")] + [
                str(label) for _f, label in RATE_FIELDS
            ]
            lines = [
                [name, r.cases, r.dispatches, r.rated] + [getattr(r, f) for f, _label in RATE_FIELDS]
                for _pk, name, r in [*rows, (None, _("合计"), total)]
            ]
            title = _("处理效能 %(since)s 至 %(until)s") % {"since": since, "until": until}
            return xlsx_response(title, headers, lines, stem="rates")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        by, since, until, rows, total = self.rows()
        ctx.update(
            by=by,
            groups=[(key, label) for key, (label, _m) in GROUPS.items()],
            group_label=GROUPS[by][0],
            since=since,
            until=until,
            rows=[(pk, name, r, [getattr(r, f) for f, _l in RATE_FIELDS]) for pk, name, r in rows],
            total=total,
            total_rates=[getattr(total, f) for f, _l in RATE_FIELDS],
            rate_labels=[label for _f, label in RATE_FIELDS],
        )
        return ctx


urlpatterns = [path("rates/", RatesView.as_view(), name="rates")]
