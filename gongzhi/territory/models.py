"""The territory tree: District → Street → Community → Grid → Compound → Building.

Each level is its own model with a required parent key. Lower levels also carry the ids of
all their ancestors (set by services, never by hand), so that scoped reads and counts filter
on one indexed integer column instead of walking joins.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import TimeStampedModel, ancestor
from gongzhi.core.scope import ScopedManager

from .choices import CommunityKind, OwnersOrganisation, PropertyManagement

six_digits = RegexValidator(r"^\d{6}$", _("区划代码应为 6 位数字。"))
twelve_digits = RegexValidator(r"^\d{12}$", _("统计用区划代码应为 12 位数字。"))
grid_code = RegexValidator(r"^\d{15}$", _("网格编码应为 15 位数字（社区代码 12 位 + 网格顺序码 3 位）。"))


class AreaNode(TimeStampedModel):
    """Common fields of a territory node that has a boundary polygon."""

    name = models.CharField(_("名称"), max_length=100)
    geometry = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    area_km2 = models.FloatField(_("面积（平方公里）"), null=True, blank=True, editable=False)
    centroid_lon = models.FloatField(_("中心经度"), null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True, editable=False)

    objects = ScopedManager()
    scope_app = "territory"
    level: str = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class District(AreaNode):
    """区/县: the top of a deployment's territory, with its 6-digit GB/T 2260 code."""

    code = models.CharField(_("区划代码"), max_length=6, unique=True, validators=[six_digits])

    scope_lookups = {"district": "pk"}
    level = "district"

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = pgettext_lazy("plural", "区")
        ordering = ["code"]

    @property
    def parent(self):
        return None


class Street(AreaNode):
    """街道/镇, with its 12-digit statistical code (the last three digits are 000)."""

    district = models.ForeignKey(District, verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="streets")
    code = models.CharField(_("统计用区划代码"), max_length=12, unique=True, validators=[twelve_digits])

    scope_lookups = {"district": "district", "street": "pk"}
    level = "street"

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = pgettext_lazy("plural", "街道")
        ordering = ["code"]

    @property
    def parent(self):
        return self.district

    def clean(self) -> None:
        super().clean()
        if re.fullmatch(r"\d{12}", self.code or "") and self.district_id:
            if not self.code.startswith(self.district.code):
                raise ValidationError(
                    {"code": _("街道代码的前 6 位应为所属区的代码 %(code)s。") % {"code": self.district.code}}
                )
            if self.code[9:] != "000" or self.code[6:9] == "000":
                raise ValidationError({"code": _("街道代码的第 7–9 位为街道顺序码（不能为 000），末 3 位为 000。")})


class Community(AreaNode):
    """社区/村, with its 12-digit statistical code (居委会 001–199, 村委会 200–399)."""

    street = models.ForeignKey(Street, verbose_name=_("所属街道"), on_delete=models.PROTECT, related_name="communities")
    district = ancestor(District, _("所属区"), "communities")
    code = models.CharField(_("统计用区划代码"), max_length=12, unique=True, validators=[twelve_digits])

    scope_lookups = {"district": "district", "street": "street", "community": "pk"}
    level = "community"

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = pgettext_lazy("plural", "社区")
        ordering = ["code"]

    @property
    def parent(self):
        return self.street

    @property
    def kind(self) -> str:
        return CommunityKind.VILLAGE if self.code and self.code[9:] >= "200" else CommunityKind.URBAN

    def clean(self) -> None:
        super().clean()
        if re.fullmatch(r"\d{12}", self.code or "") and self.street_id:
            if self.code[:9] != self.street.code[:9]:
                raise ValidationError(
                    {"code": _("社区代码的前 9 位应与所属街道一致（%(prefix)s）。") % {"prefix": self.street.code[:9]}}
                )
            if not ("001" <= self.code[9:] <= "399"):
                raise ValidationError({"code": _("社区代码末 3 位应在 001–199（居委会）或 200–399（村委会）之间。")})


class Grid(AreaNode):
    """网格: the unit of grid management, coded 15 digits (community code + 3-digit sequence)."""

    community = models.ForeignKey(Community, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="grids")
    street = ancestor(Street, _("所属街道"), "grids")
    district = ancestor(District, _("所属区"), "grids")
    code = models.CharField(_("网格编码"), max_length=15, unique=True, validators=[grid_code])
    # A grid merged away by a new division keeps its code and its history (closed cases, old
    # patrols) but no longer holds buildings or a boundary; codes are never reused.
    retired_on = models.DateField(_("撤销日期"), null=True, blank=True, editable=False)

    scope_lookups = {"district": "district", "street": "street", "community": "community", "grid": "pk"}
    level = "grid"

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = pgettext_lazy("plural", "网格")
        ordering = ["code"]

    @property
    def parent(self):
        return self.community

    def clean(self) -> None:
        super().clean()
        if re.fullmatch(r"\d{15}", self.code or "") and self.community_id:
            if self.code[:12] != self.community.code:
                raise ValidationError(
                    {"code": _("网格编码前 12 位应为所属社区代码 %(code)s。") % {"code": self.community.code}}
                )
            if self.code[12:] == "000":
                raise ValidationError({"code": _("网格顺序码不能为 000。")})


class Compound(AreaNode):
    """小区/院落: a residential compound inside a grid (its main grid when it spans several)."""

    grid = models.ForeignKey(Grid, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="compounds")
    community = ancestor(Community, _("所属社区"), "compounds")
    street = ancestor(Street, _("所属街道"), "compounds")
    district = ancestor(District, _("所属区"), "compounds")
    code = models.CharField(_("小区编码"), max_length=20, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_management = models.CharField(
        _("物业管理"), max_length=10, choices=PropertyManagement.choices, default=PropertyManagement.NONE
    )
    property_company = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    owners_organisation = models.CharField(
        _("业主组织"), max_length=20, choices=OwnersOrganisation.choices, default=OwnersOrganisation.NONE
    )
    is_three_no = models.BooleanField(_("三无小区"), default=False, help_text=_("无物业、无业主组织、无安保"))
    is_occupied = models.BooleanField(_("已交付入住"), default=True)

    scope_lookups = {"district": "district", "street": "street", "community": "community", "grid": "grid"}
    level = "compound"

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = pgettext_lazy("plural", "小区")
        ordering = ["code"]

    @property
    def parent(self):
        return self.grid

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.property_management == PropertyManagement.COMPANY and not self.property_company.strip():
            errors["property_company"] = _("有物业的小区请填写物业服务企业名称。")
        if self.property_management == PropertyManagement.NONE and self.property_company.strip():
            errors["property_company"] = _("无物业的小区不应填写物业服务企业。")
        if self.is_three_no and (
            self.property_management != PropertyManagement.NONE or self.owners_organisation != OwnersOrganisation.NONE
        ):
            errors["is_three_no"] = _("三无小区不能有物业服务企业或业主组织。")
        if errors:
            raise ValidationError(errors)


class Building(TimeStampedModel):
    """楼栋: a point (with an optional footprint) in a compound, resolved to one grid."""

    compound = models.ForeignKey(
        Compound, verbose_name=_("所属小区"), on_delete=models.PROTECT, related_name="buildings"
    )
    grid = models.ForeignKey(Grid, verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="buildings")
    community = ancestor(Community, _("所属社区"), "buildings")
    street = ancestor(Street, _("所属街道"), "buildings")
    district = ancestor(District, _("所属区"), "buildings")
    name = models.CharField(_("楼栋名称"), max_length=50)
    code = models.CharField(_("楼栋编码"), max_length=30, unique=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    footprint = models.JSONField(_("轮廓（GeoJSON）"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)

    objects = ScopedManager()
    scope_app = "territory"
    scope_lookups = {
        "district": "district",
        "street": "street",
        "community": "community",
        "grid": "grid",
        "building": "pk",
    }
    level = "building"

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = pgettext_lazy("plural", "楼栋")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.compound.name}{self.name}" if self.compound_id else self.name

    @property
    def parent(self):
        return self.compound


LEVEL_MODELS: dict[str, type[models.Model]] = {
    "district": District,
    "street": Street,
    "community": Community,
    "grid": Grid,
    "compound": Compound,
    "building": Building,
}
CHILD_LEVEL = {
    "district": "street",
    "street": "community",
    "community": "grid",
    "grid": "compound",
    "compound": "building",
    "building": None,
}


def ancestors(node) -> list:
    """The node's ancestors from the top (district first), without the node itself."""
    chain = []
    current = node.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    chain.reverse()
    return chain
