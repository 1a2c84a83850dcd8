"""Households and residents. ID numbers and phones are encrypted at rest from the first row.

The population issue adds validation, masking with a reveal log, tags, care files and Excel.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.crypto import EncryptedCharField, blind_index, normalise
from gongzhi.core.models import TimeStampedModel, ancestor
from gongzhi.core.scope import ScopedManager

from .choices import (
    Gender,
    HouseholdTag,
    ImportKind,
    ImportMode,
    ImportStatus,
    Relation,
    ResidenceType,
    ResidentTag,
    RevealField,
)

POPULATION_SCOPE = {
    "district": "district",
    "street": "street",
    "community": "community",
    "grid": "grid",
    "building": "building",
}


class Household(TimeStampedModel):
    """户: a dwelling in a building (its ancestors denormalised for scoped counts)."""

    building = models.ForeignKey(
        "territory.Building", verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households"
    )
    grid = ancestor("territory.Grid", _("网格"), "households")
    community = ancestor("territory.Community", _("社区"), "households")
    street = ancestor("territory.Street", _("街道"), "households")
    district = ancestor("territory.District", _("区"), "households")
    room = models.CharField(_("门牌（单元-室）"), max_length=30)
    source_import = models.ForeignKey(
        "population.ImportJob",
        verbose_name=_("来源导入"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        editable=False,
    )

    objects = ScopedManager()
    scope_app = "population"
    scope_lookups = POPULATION_SCOPE

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = pgettext_lazy("plural", "户")
        ordering = ["building", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "room"], name="population_household_room_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.building_id}-{self.room}"

    @classmethod
    def in_building(cls, building, **fields) -> Household:
        """An unsaved household with its ancestor keys copied from `building`."""
        return cls(
            building=building,
            grid_id=building.grid_id,
            community_id=building.community_id,
            street_id=building.street_id,
            district_id=building.district_id,
            **fields,
        )


class Resident(TimeStampedModel):
    """居民: a person living in a household."""

    household = models.ForeignKey(Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residents")
    building = ancestor("territory.Building", _("楼栋"), "residents")
    grid = ancestor("territory.Grid", _("网格"), "residents")
    community = ancestor("territory.Community", _("社区"), "residents")
    street = ancestor("territory.Street", _("街道"), "residents")
    district = ancestor("territory.District", _("区"), "residents")
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.HEAD)
    residence_type = models.CharField(
        _("人口类型"), max_length=12, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    id_number = EncryptedCharField(_("公民身份号码"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedCharField(_("手机号码"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    source_import = models.ForeignKey(
        "population.ImportJob",
        verbose_name=_("来源导入"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        editable=False,
    )

    objects = ScopedManager()
    scope_app = "population"
    scope_lookups = POPULATION_SCOPE

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = pgettext_lazy("plural", "居民")
        ordering = ["household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="population_resident_id_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def in_household(cls, household: Household, **fields) -> Resident:
        """An unsaved resident with its ancestor keys copied from `household`."""
        return cls(
            household=household,
            building_id=household.building_id,
            grid_id=household.grid_id,
            community_id=household.community_id,
            street_id=household.street_id,
            district_id=household.district_id,
            **fields,
        )

    def set_id_number(self, value: str) -> None:
        self.id_number = normalise(value)
        self.id_number_hash = blind_index(value, "id_number")

    def set_phone(self, value: str) -> None:
        self.phone = normalise(value)
        self.phone_hash = blind_index(value, "phone")


class ResidentTagLink(models.Model):
    """One label (独居老人, 残疾人, ...) on one resident."""

    resident = models.ForeignKey(Resident, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="tag_links")
    tag = models.CharField(_("标签"), max_length=20, choices=ResidentTag.choices, db_index=True)

    class Meta:
        verbose_name = _("居民标签")
        verbose_name_plural = pgettext_lazy("plural", "居民标签")
        ordering = ["resident", "tag"]
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="population_resident_tag_unique")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.get_tag_display()}"


class HouseholdTagLink(models.Model):
    """One label (低保户, 空巢家庭, ...) on one household."""

    household = models.ForeignKey(Household, verbose_name=_("户"), on_delete=models.CASCADE, related_name="tag_links")
    tag = models.CharField(_("标签"), max_length=20, choices=HouseholdTag.choices, db_index=True)

    class Meta:
        verbose_name = _("户标签")
        verbose_name_plural = pgettext_lazy("plural", "户标签")
        ordering = ["household", "tag"]
        constraints = [models.UniqueConstraint(fields=["household", "tag"], name="population_household_tag_unique")]

    def __str__(self) -> str:
        return f"{self.household_id}:{self.get_tag_display()}"


class RevealLog(models.Model):
    """Who saw whose full ID number or phone, when and why (个人信息保护法: every view is logged)."""

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="reveals"
    )
    resident = models.ForeignKey(Resident, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="reveals")
    field = models.CharField(_("查看内容"), max_length=12, choices=RevealField.choices)
    reason = models.CharField(_("查看事由"), max_length=200)
    request_id = models.CharField(_("请求编号"), max_length=36, blank=True)
    district_id = models.BigIntegerField(db_index=True, editable=False)
    street_id = models.BigIntegerField(db_index=True, editable=False)
    community_id = models.BigIntegerField(db_index=True, editable=False)
    grid_id = models.BigIntegerField(db_index=True, editable=False)

    objects = ScopedManager()
    scope_app = "audit"
    scope_lookups = {"district": "district_id", "street": "street_id", "community": "community_id", "grid": "grid_id"}

    class Meta:
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = pgettext_lazy("plural", "敏感信息查看记录")
        ordering = ["-time", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} → {self.resident} ({self.get_field_display()})"


class ImportJob(TimeStampedModel):
    """One uploaded ledger (居民台账, or a 党员名册 for the party area): checked first (dry run),
    then imported on request.

    The job is the audit record of a bulk import: who, which file, what was written. Rows it
    writes point back to it (`source_import`), which is also how a failed import is undone.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="imports"
    )
    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices, default=ImportKind.RESIDENTS)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    mode = models.CharField(_("导入方式"), max_length=12, choices=ImportMode.choices, blank=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    good_rows = models.PositiveIntegerField(_("无误行数"), default=0)
    bad_rows = models.PositiveIntegerField(_("有误行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    file_error = models.CharField(_("文件错误"), max_length=500, blank=True)
    created_households = models.PositiveIntegerField(_("新建户数"), default=0)
    created_residents = models.PositiveIntegerField(_("新建居民数"), default=0)
    created_members = models.PositiveIntegerField(_("新建党员数"), default=0)
    heartbeat = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished = models.DateTimeField(_("完成时间"), null=True, blank=True)

    audit_exclude = ("errors",)  # the check report is on the job itself

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = pgettext_lazy("plural", "台账导入")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
