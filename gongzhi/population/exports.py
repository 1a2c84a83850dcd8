"""Excel export (台账) of lists as filtered. Personal data leaves masked."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import HEALTH_TAGS
from .identity import mask_id_number, mask_phone
from .models import Resident

MAX_ROWS = 500_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def residents_workbook(queryset, user) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("居民台账"))
    sheet.append(
        [_("姓名"), _("性别"), _("出生日期"), _("公民身份号码"), _("手机号码"), _("与户主关系"), _("人口类型"),
         _("社区"), _("网格"), _("小区"), _("楼栋"), _("门牌"), _("标签")]
    )  # fmt: skip
    health = set(Resident.objects.restrict(user, "view_health").values_list("pk", flat=True)[:MAX_ROWS])
    rows = (
        queryset.select_related("household", "building__compound", "grid", "community")
        .prefetch_related("tag_links")
        .order_by("community_id", "building_id", "household_id", "pk")[:MAX_ROWS]
    )
    for r in rows.iterator(chunk_size=2000):
        tags = [t.get_tag_display() for t in r.tag_links.all() if r.pk in health or t.tag not in HEALTH_TAGS]
        sheet.append(
            [
                r.name, r.get_gender_display(), r.birth_date, mask_id_number(r.id_number), mask_phone(r.phone),
                r.get_relation_display(), r.get_residence_type_display(), r.community.name, r.grid.name,
                r.building.compound.name, r.building.name, r.household.room, "、".join(tags),
            ]
        )  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    quoted = quote(_("居民台账"))
    response["Content-Disposition"] = (
        f"attachment; filename=\"residents-{stamp}.xlsx\"; filename*=UTF-8''{quoted}-{stamp}.xlsx"
    )
    return response
