"""One FilterSet per model, shared by the pages and the API (STYLE.md convention 3)."""

import re

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.crypto import blind_index
from gongzhi.territory.models import Community

from .choices import MemberType, OrgKind, PartyRoleKind, ReportStatus
from .coverage import party_scoped
from .models import PartyMember, PartyOrganisation, PartyRole, ReportIn

PHONE_LIKE = re.compile(r"^\+?\d[\d\- ]{6,}$")


class ScopedChoicesMixin:
    """Limits the community choice to the caller's party scope when a request is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = kwargs.get("request")
        if request is not None and "community" in self.filters:
            self.filters["community"].queryset = party_scoped(Community.objects.all(), request.user).order_by("code")


class PartyOrganisationFilterSet(ScopedChoicesMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("名称"))
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label=_("组织类型"))

    class Meta:
        model = PartyOrganisation
        fields = ["q", "kind", "parent", "level", "district", "street", "community", "grid", "compound"]

    def search(self, queryset, name, value):
        value = value.strip()[:50]
        return queryset.filter(name__icontains=value) if value else queryset


class PartyMemberFilterSet(ScopedChoicesMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("姓名或手机号"))
    member_type = django_filters.ChoiceFilter(choices=MemberType.choices, label=_("党员类型"))
    role = django_filters.ChoiceFilter(choices=PartyRoleKind.choices, method="with_role", label=_("职务"))

    class Meta:
        model = PartyMember
        fields = ["q", "member_type", "role", "community", "organisation", "grid", "compound", "building", "gender"]

    def search(self, queryset, name, value):
        value = value.strip()[:50]
        if not value:
            return queryset
        if PHONE_LIKE.match(value):
            return queryset.filter(phone_hash=blind_index(value, "phone"))
        return queryset.filter(name__icontains=value)

    def with_role(self, queryset, name, value):
        return queryset.filter(Exists(PartyRole.objects.filter(member=OuterRef("pk"), role=value)))


class ReportInFilterSet(ScopedChoicesMixin, django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=_("状态"))
    skill = django_filters.CharFilter(method="with_skill", label=_("特长"))
    q = django_filters.CharFilter(method="search", label=_("姓名"))

    class Meta:
        model = ReportIn
        fields = ["q", "status", "skill", "community", "member"]

    def with_skill(self, queryset, name, value):
        value = value.strip().replace(",", "")[:20]
        if not value:
            return queryset
        return queryset.filter(
            Q(skills=value)
            | Q(skills__startswith=f"{value},")
            | Q(skills__endswith=f",{value}")
            | Q(skills__contains=f",{value},")
        )

    def search(self, queryset, name, value):
        value = value.strip()[:50]
        return queryset.filter(member__name__icontains=value) if value else queryset
