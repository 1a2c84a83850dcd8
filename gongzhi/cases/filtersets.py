"""One FilterSet per model, shared by the case pages, the API and the Excel export.

The SLA filter is derived from deadlines and the time of the request (never from a stored flag).
"""

import datetime
import re

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.crypto import blind_index, normalise

from .choices import Category, Channel, Priority, SlaState, State, Tier
from .models import OPEN_STATES, Case, HandlingBody, Whistle

NUMBER = re.compile(r"^(\d{8})-?(\d{1,9})$")
PHONE_LIKE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("案卷号、描述、地址或反映人电话"))
    state = django_filters.MultipleChoiceFilter(choices=State.choices, label=_("状态"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("未办结"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("类别"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("紧急程度"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("来源渠道"))
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("责任层级"))
    sla = django_filters.ChoiceFilter(
        choices=[(SlaState.OVERDUE, SlaState.OVERDUE.label), (SlaState.DUE_SOON, SlaState.DUE_SOON.label)],
        method="filter_sla",
        label=_("时限"),
    )
    body = django_filters.ModelChoiceFilter(queryset=HandlingBody.objects.all(), label=_("处理主体"))
    since = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__gte", label=_("上报起始日期"))
    until = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__lte", label=_("上报截止日期"))
    rated = django_filters.ChoiceFilter(
        choices=[
            ("satisfied", _("满意")),
            ("basic", _("基本满意")),
            ("unsatisfied", _("不满意")),
            ("none", _("未评价")),
        ],
        method="filter_rated",
        label=_("评价"),
    )

    measure = django_filters.ChoiceFilter(
        choices=[
            ("dispatches", _("派遣")),
            ("responded", _("按时响应")),
            ("rated", _("已评价")),
            ("solved", _("已解决")),
            ("satisfied", _("满意或基本满意")),
            ("due", _("应结案")),
            ("suspended", _("缓办")),
            ("closed", _("已结案")),
            ("closed_on_time", _("按期结案")),
            ("handled", _("已办理")),
            ("reworked", _("返工")),
        ],
        method="filter_measure",
        label=_("考核口径"),
    )

    # the command centre's figures (gongzhi.command.figures defines what each one counts)
    closed_since = django_filters.DateFilter(field_name="closed_at", lookup_expr="date__gte", label=_("结案起始日期"))
    closed_until = django_filters.DateFilter(field_name="closed_at", lookup_expr="date__lte", label=_("结案截止日期"))
    dispatched_within = django_filters.ChoiceFilter(
        choices=[
            ("1h", _("1小时内派遣")),
            ("late", _("未在1小时内派遣")),
            ("judged", _("应计1小时派遣")),
        ],
        method="filter_dispatched_within",
        label=_("1小时派遣"),
    )
    whistle = django_filters.ChoiceFilter(
        choices=[("open", _("吹哨中")), ("any", _("吹过哨"))], method="filter_whistle", label=_("吹哨")
    )
    escalated = django_filters.ChoiceFilter(
        choices=[("1", _("已上报上级")), ("0", _("未上报上级"))], method="filter_escalated", label=_("上报上级")
    )
    unrated_since = django_filters.DateFilter(method="filter_unrated_since", label=_("待评价或自该日起未评价结案"))
    sla_class = django_filters.ChoiceFilter(
        choices=[
            ("whistle", _("吹哨中")),
            ("overdue", _("已超时")),
            ("escalated", _("已上报")),
            ("due_soon", _("即将到期")),
            ("stopped", _("停表")),
            ("on_time", _("正常")),
        ],
        method="filter_sla_class",
        label=_("指挥中心地图分类"),
    )

    class Meta:
        model = Case
        fields = ["q", "state", "open", "category", "priority", "channel", "tier", "sla", "body", "district", "street",
                  "community", "grid", "since", "until", "rated", "measure", "closed_since", "closed_until",
                  "dispatched_within", "whistle", "escalated", "unrated_since", "sla_class"]  # fmt: skip

    def search(self, queryset, name, value):
        value = normalise(value)[:60]
        if not value:
            return queryset
        number = NUMBER.match(value)
        if number:
            return queryset.filter(pk=int(number.group(2)))
        if value.isdigit() and len(value) <= 9 and not PHONE_LIKE.match(value):
            return queryset.filter(pk=int(value))
        if PHONE_LIKE.match(value):  # exact match through the keyed hash; never a LIKE on personal data
            return queryset.filter(reporter_phone_hash=blind_index(value, "phone"))
        return queryset.filter(Q(description__contains=value) | Q(address__contains=value))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_STATES) if value else queryset.exclude(state__in=OPEN_STATES)

    def filter_sla(self, queryset, name, value: str):
        from .services import due_soon_q, overdue_q

        now = timezone.now()
        if value == SlaState.OVERDUE:
            return queryset.filter(overdue_q(now))
        if value == SlaState.DUE_SOON:
            return queryset.filter(due_soon_q(now)).exclude(overdue_q(now))
        return queryset

    def filter_measure(self, queryset, name, value):
        """The cases one figure of the rates counts (考核口径), judged at `as_of` (a date; default now)."""
        from .metrics import counted

        as_of = timezone.now()
        raw = self.data.get("as_of") if hasattr(self.data, "get") else None
        if raw:
            try:
                day = datetime.date.fromisoformat(str(raw))
            except ValueError:
                return queryset.none()
            as_of = timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
        body = self.data.get("body") if hasattr(self.data, "get") else None
        body_id = int(body) if body and str(body).isdigit() else None
        return counted(queryset, value, as_of=as_of, body_id=body_id)

    def filter_rated(self, queryset, name, value):
        if value == "none":
            return queryset.filter(state="closed", satisfaction="")
        return queryset.filter(satisfaction=value)

    def filter_dispatched_within(self, queryset, name, value):
        """1h: first dispatched within an hour of the report; late: judged but not within the hour;
        judged: either (the base of the 1-hour dispatch rate, judged now)."""
        from gongzhi.command import figures

        if value == "1h":
            return queryset.filter(figures.dispatched_within_q())
        if value == "late":
            return queryset.filter(figures.dispatched_late_q(timezone.now()))
        if value == "judged":
            return queryset.filter(figures.dispatch_judged_q(timezone.now()))
        return queryset

    def filter_whistle(self, queryset, name, value):
        from gongzhi.command import figures

        if value == "open":
            return queryset.filter(figures.open_whistle())
        if value == "any":
            return queryset.filter(pk__in=Whistle.objects.values("case_id"))
        return queryset

    def filter_escalated(self, queryset, name, value):
        if value == "1":
            return queryset.filter(escalation_count__gt=0)
        if value == "0":
            return queryset.filter(escalation_count=0)
        return queryset

    def filter_unrated_since(self, queryset, name, value):
        from gongzhi.command import figures

        return queryset.filter(figures.unrated_q(figures.day_start(value)))

    def filter_sla_class(self, queryset, name, value):
        from gongzhi.command import figures

        return figures.in_sla_class(queryset, value, timezone.now())
