import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import ChangeAction
from .models import ObjectChange


class ObjectChangeFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=ChangeAction.choices, label=_("动作"))
    user_name = django_filters.CharFilter(lookup_expr="icontains", label=_("操作人"))
    object_repr = django_filters.CharFilter(lookup_expr="icontains", label=_("对象"))
    request_id = django_filters.CharFilter(label=_("请求编号"))
    since = django_filters.DateFilter(field_name="time", lookup_expr="date__gte", label=_("起始日期"))
    until = django_filters.DateFilter(field_name="time", lookup_expr="date__lte", label=_("截止日期"))

    class Meta:
        model = ObjectChange
        fields = ["action", "user_name", "object_repr", "request_id", "since", "until"]
