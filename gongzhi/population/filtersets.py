"""One FilterSet per model, shared by the pages, the API and the Excel export."""

import datetime
import re

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.crypto import blind_index, normalise

from .choices import Gender, HouseholdTag, ResidenceType, ResidentTag
from .models import Household, Resident, RevealLog

ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
PHONE_LIKE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class ResidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("姓名、身份证号或手机号"))
    tag = django_filters.ChoiceFilter(choices=ResidentTag.choices, field_name="tag_links__tag", label=_("标签"))
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label=_("性别"))
    residence_type = django_filters.ChoiceFilter(choices=ResidenceType.choices, label=_("人口类型"))
    age_min = django_filters.NumberFilter(method="filter_age_min", label=_("最小年龄"), min_value=0)
    age_max = django_filters.NumberFilter(method="filter_age_max", label=_("最大年龄"), min_value=0)

    class Meta:
        model = Resident
        fields = ["q", "community", "grid", "building", "household", "gender", "residence_type", "tag"]

    def search(self, queryset, name, value):
        value = normalise(value)[:40]
        if not value:
            return queryset
        if ID_LIKE.match(value):  # exact match through the keyed hash; never a LIKE on personal data
            return queryset.filter(id_number_hash=blind_index(value, "id_number"))
        if PHONE_LIKE.match(value):
            return queryset.filter(phone_hash=blind_index(value, "phone"))
        return queryset.filter(name__contains=value)

    def filter_age_min(self, queryset, name, value):
        return queryset.filter(birth_date__lte=years_ago(int(value))) if 0 <= value <= 150 else queryset

    def filter_age_max(self, queryset, name, value):
        return queryset.filter(birth_date__gt=years_ago(int(value) + 1)) if 0 <= value <= 150 else queryset


class HouseholdFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("门牌或楼栋"))
    tag = django_filters.ChoiceFilter(choices=HouseholdTag.choices, field_name="tag_links__tag", label=_("标签"))

    class Meta:
        model = Household
        fields = ["q", "community", "grid", "building", "tag"]

    def search(self, queryset, name, value):
        value = value.strip()[:40]
        if not value:
            return queryset
        return queryset.filter(
            Q(room__contains=value) | Q(building__name=value) | Q(building__compound__name__contains=value)
        )


class RevealLogFilterSet(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="time", lookup_expr="date__gte", label=_("起始日期"))
    until = django_filters.DateFilter(field_name="time", lookup_expr="date__lte", label=_("截止日期"))
    user = django_filters.CharFilter(field_name="user__display_name", lookup_expr="contains", label=_("查看人"))

    class Meta:
        model = RevealLog
        fields = ["since", "until", "user", "field", "resident"]
