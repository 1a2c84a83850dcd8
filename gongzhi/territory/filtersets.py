import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Building, Community, Compound, District, Grid, Street


class NodeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("名称或编码"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class DistrictFilterSet(NodeFilterSet):
    class Meta:
        model = District
        fields = ["code"]


class StreetFilterSet(NodeFilterSet):
    class Meta:
        model = Street
        fields = ["district", "code"]


class CommunityFilterSet(NodeFilterSet):
    class Meta:
        model = Community
        fields = ["street", "district", "code"]


class GridFilterSet(NodeFilterSet):
    class Meta:
        model = Grid
        fields = ["community", "street", "district", "code"]


class CompoundFilterSet(NodeFilterSet):
    class Meta:
        model = Compound
        fields = [
            "grid",
            "community",
            "street",
            "district",
            "code",
            "property_management",
            "owners_organisation",
            "is_three_no",
            "is_occupied",
        ]


class BuildingFilterSet(NodeFilterSet):
    class Meta:
        model = Building
        fields = ["compound", "grid", "community", "street", "district", "code"]


FILTERSETS = {
    "district": DistrictFilterSet,
    "street": StreetFilterSet,
    "community": CommunityFilterSet,
    "grid": GridFilterSet,
    "compound": CompoundFilterSet,
    "building": BuildingFilterSet,
}
