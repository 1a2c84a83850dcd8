"""Grid management (DOMAIN.md area 1, S2 四): the standard a grid must meet, who staffs it, the
daily patrols of its workers, and proposals to divide a community into grids.

The grids themselves are territory nodes (gongzhi.territory.Grid); this app holds what is
done with them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.crypto import EncryptedCharField
from gongzhi.core.models import TimeStampedModel, ancestor
from gongzhi.core.scope import ScopedManager
from gongzhi.population.identity import mask_phone

from .choices import EntryKind, MemberKind, PatrolStatus, ProposalStatus

GRID_SCOPE = {"district": "district", "street": "street", "community": "community", "grid": "grid"}


class GridStandard(TimeStampedModel):
    """The grid standard of one district (defaults: S2 四). A district without a row uses the defaults."""

    district = models.OneToOneField(
        "territory.District", verbose_name=_("区"), on_delete=models.CASCADE, related_name="grid_standard"
    )
    max_area_km2 = models.FloatField(
        _("网格面积上限（平方公里）"), default=0.5, validators=[MinValueValidator(0.01), MaxValueValidator(100)]
    )
    max_households = models.PositiveIntegerField(
        _("网格户数上限"), default=300, validators=[MinValueValidator(10), MaxValueValidator(100_000)]
    )
    full_time_workers = models.PositiveSmallIntegerField(_("专职网格员（人）"), default=1)
    part_time_workers = models.PositiveSmallIntegerField(_("兼职网格员（人）"), default=2)
    patrol_minutes = models.PositiveSmallIntegerField(
        _("每日巡查时长（分钟）"), default=120, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )

    class Meta:
        verbose_name = _("网格标准")
        verbose_name_plural = pgettext_lazy("plural", "网格标准")

    def __str__(self) -> str:
        return f"{self.district} · {self.max_area_km2} km² · {self.max_households} 户"

    def audit_scope(self) -> dict[str, int | None]:
        return {"district_id": self.district_id, "street_id": None, "community_id": None, "grid_id": None}


class GridMember(TimeStampedModel):
    """One person staffing one grid: a full-time worker, a part-time worker or a liaison cadre."""

    grid = models.ForeignKey("territory.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="members")
    community = ancestor("territory.Community", _("社区"), "grid_members")
    street = ancestor("territory.Street", _("街道"), "grid_members")
    district = ancestor("territory.District", _("区"), "grid_members")
    kind = models.CharField(_("类别"), max_length=20, choices=MemberKind.choices)
    name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_memberships",
    )
    phone = EncryptedCharField(_("电话"), blank=True)
    is_party_member = models.BooleanField(_("党员"), default=False)
    organisation = models.CharField(_("所在单位"), max_length=100, blank=True, help_text=_("联络干部的派出单位"))
    started_on = models.DateField(_("到岗日期"))
    ended_on = models.DateField(_("离岗日期"), null=True, blank=True)

    objects = ScopedManager()
    scope_app = "territory"
    scope_lookups = GRID_SCOPE

    class Meta:
        verbose_name = _("网格力量")
        verbose_name_plural = pgettext_lazy("plural", "网格力量")
        ordering = ["grid", "kind", "name"]
        indexes = [models.Index(fields=["grid", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


def patrol_photo_path(instance: PatrolEntry, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"patrols/{instance.patrol.started_at:%Y/%m}/{uuid.uuid4().hex}.{suffix[:5]}"


class Patrol(models.Model):
    """日巡查、日走访: one walk of a grid worker, its route from the phone's geolocation.

    `client_id` is made by the phone when the patrol starts: a patrol resent after a bad
    connection is recognised and never stored twice.
    """

    client_id = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4, editable=False)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="patrols"
    )
    grid = models.ForeignKey("territory.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="patrols")
    community = ancestor("territory.Community", _("社区"), "patrols")
    street = ancestor("territory.Street", _("街道"), "patrols")
    district = ancestor("territory.District", _("区"), "patrols")
    status = models.CharField(_("状态"), max_length=10, choices=PatrolStatus.choices, default=PatrolStatus.OPEN)
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # [[lon, lat, unix seconds, accuracy metres], ...] in the order the phone recorded them
    route = models.JSONField(_("轨迹"), default=list, blank=True)
    distance_m = models.PositiveIntegerField(_("里程（米）"), default=0)
    note = models.TextField(_("巡查小结"), blank=True)
    received_at = models.DateTimeField(_("提交时间"), auto_now=True)

    objects = ScopedManager()
    scope_app = "territory"
    scope_lookups = GRID_SCOPE
    # the route can hold thousands of points: audit snapshots leave it out, the row keeps it
    audit_exclude = ("route",)

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = pgettext_lazy("plural", "巡查")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["worker", "started_at"]), models.Index(fields=["grid", "started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="grids_patrol_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_minutes(self) -> int:
        if self.ended_at is None:
            return 0
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class PatrolEntry(models.Model):
    """A note, a household visit or a problem found on a patrol; a problem becomes a case."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="entries")
    client_id = models.UUIDField(_("客户端编号"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices, default=EntryKind.NOTE)
    text = models.TextField(_("内容"))
    time = models.DateTimeField(_("时间"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    photo = models.FileField(_("照片"), upload_to=patrol_photo_path, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转办事项"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patrol_entries",
    )

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = pgettext_lazy("plural", "巡查记录")
        ordering = ["patrol", "time", "pk"]
        constraints = [models.UniqueConstraint(fields=["patrol", "client_id"], name="grids_entry_client_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.text[:20]}"

    def audit_scope(self) -> dict[str, int | None]:
        """An entry lies where its patrol lies."""
        patrol = self.patrol
        return {
            "district_id": patrol.district_id,
            "street_id": patrol.street_id,
            "community_id": patrol.community_id,
            "grid_id": patrol.grid_id,
        }


class DivisionProposal(models.Model):
    """A proposed division of one community into grids (网格划分方案), kept until applied or replaced.

    `result` is a GeoJSON FeatureCollection: one feature per proposed grid with its polygon and
    properties `building_ids`, `households`, `area_km2`, `code` (kept from an old grid or new)
    and `replaces` (the old grid it mostly is, or null).
    """

    community = models.ForeignKey(
        "territory.Community", verbose_name=_("社区"), on_delete=models.CASCADE, related_name="grid_proposals"
    )
    street = ancestor("territory.Street", _("街道"), "grid_proposals")
    district = ancestor("territory.District", _("区"), "grid_proposals")
    status = models.CharField(_("状态"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    max_area_km2 = models.FloatField(_("面积上限"))
    max_households = models.PositiveIntegerField(_("户数上限"))
    lower_bound = models.PositiveIntegerField(_("网格数下界"))
    grid_count = models.PositiveIntegerField(_("方案网格数"))
    current_count = models.PositiveIntegerField(_("现有网格数"))
    result = models.JSONField(_("方案"))
    # The buildings and their households when the proposal was made: applying refuses a
    # proposal the territory has moved away from.
    fingerprint = models.CharField(_("数据指纹"), max_length=64)
    applied_at = models.DateTimeField(_("应用时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("应用人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager()
    scope_app = "territory"
    scope_lookups = {"district": "district", "street": "street", "community": "community"}

    class Meta:
        verbose_name = _("网格划分方案")
        verbose_name_plural = pgettext_lazy("plural", "网格划分方案")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.community} · {self.grid_count}"

    def audit_scope(self) -> dict[str, int | None]:
        return {
            "district_id": self.district_id,
            "street_id": self.street_id,
            "community_id": self.community_id,
            "grid_id": None,
        }
