"""Excel export (台账) of population lists as filtered. Personal data leaves masked."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from gongzhi.core.exports import MAX_ROWS, xlsx_response

from .choices import HEALTH_TAGS
from .identity import mask_id_number, mask_phone
from .models import Resident


def residents_workbook(queryset, user) -> HttpResponse:
    health = set(Resident.objects.restrict(user, "view_health").values_list("pk", flat=True)[:MAX_ROWS])
    rows = (
        queryset.select_related("household", "building__compound", "grid", "community")
        .prefetch_related("tag_links")
        .order_by("community_id", "building_id", "household_id", "pk")[:MAX_ROWS]
    )

    def lines():
        for r in rows.iterator(chunk_size=2000):
            tags = [t.get_tag_display() for t in r.tag_links.all() if r.pk in health or t.tag not in HEALTH_TAGS]
            yield [
                r.name, r.get_gender_display(), r.birth_date, mask_id_number(r.id_number), mask_phone(r.phone),
                r.get_relation_display(), r.get_residence_type_display(), r.community.name, r.grid.name,
                r.building.compound.name, r.building.name, r.household.room, "、".join(tags),
            ]  # fmt: skip

    headers = [_("姓名"), _("性别"), _("出生日期"), _("公民身份号码"), _("手机号码"), _("与户主关系"), _("人口类型"),
               _("社区"), _("网格"), _("小区"), _("楼栋"), _("门牌"), _("标签")]  # fmt: skip
    return xlsx_response(_("居民台账"), headers, lines(), stem="residents")


def households_workbook(queryset) -> HttpResponse:
    rows = queryset.select_related("building__compound", "grid", "community").prefetch_related("tag_links")

    def lines():
        for h in rows.order_by("building_id", "room")[:MAX_ROWS].iterator(chunk_size=2000):
            yield [h.community.name, h.grid.name, h.building.compound.name, h.building.name, h.room, h.size,
                   "、".join(t.get_tag_display() for t in h.tag_links.all())]  # fmt: skip

    headers = [_("社区"), _("网格"), _("小区"), _("楼栋"), _("门牌"), _("人数"), _("标签")]
    return xlsx_response(_("住户台账"), headers, lines(), stem="households")
