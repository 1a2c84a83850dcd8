"""Party organisation: the tree of organisations bound to the territory, members, their roles,
central households' links to households, and in-service members' report-ins (双报到).

Every row carries the ids of the territory nodes it lies in (set by the services, never by
hand), so it is scoped with one indexed `IN` per assignment level, like the territory itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.crypto import EncryptedCharField, blind_index, normalise
from gongzhi.core.models import TimeStampedModel
from gongzhi.core.scope import ScopedManager
from gongzhi.population.choices import Gender
from gongzhi.population.identity import mask_phone

from . import rules
from .choices import MemberType, OrgKind, OrgLevel, PartyRoleKind, ReportStatus

LEVELS_TOP_DOWN = ["district", "street", "community", "grid", "compound"]


def _node(to: str, verbose_name, related_name: str, *, required: bool = False) -> models.ForeignKey:
    """A territory key set by the services from the anchor or the residence (ADR 0002)."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name=related_name,
        null=not required,
        blank=not required,
        editable=False,
    )


def _anchored_at_level() -> Q:
    """The keys down to `level` are set, the ones below it are null."""
    condition = Q()
    for depth, level in enumerate(LEVELS_TOP_DOWN):
        below = LEVELS_TOP_DOWN[depth + 1 :]
        down_to = LEVELS_TOP_DOWN[1 : depth + 1]
        condition |= Q(
            level=level,
            **{f"{f}__isnull": False for f in down_to},
            **{f"{f}__isnull": True for f in below},
        )
    return condition


class PartyOrganisation(TimeStampedModel):
    """党组织: one node of the tree 区委 → 街道党工委 → 社区党组织 → 支部 → 党小组.

    It is anchored at the lowest territory node that holds everything it covers (`level` and the
    keys down to it; the keys above are the anchor's ancestors). Branches that cover compounds
    list them in `compounds`; a party group lists its buildings in `buildings`.
    """

    parent = models.ForeignKey(
        "self", verbose_name=_("上级组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(_("组织类型"), max_length=30, choices=OrgKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("所在层级"), max_length=10, choices=OrgLevel.choices, editable=False)
    district = _node("territory.District", _("区"), "party_organisations", required=True)
    street = _node("territory.Street", _("街道"), "party_organisations")
    community = _node("territory.Community", _("社区"), "party_organisations")
    grid = _node("territory.Grid", _("网格"), "party_organisations")
    compound = _node("territory.Compound", _("小区"), "party_organisations")
    compounds = models.ManyToManyField(
        "territory.Compound", verbose_name=_("覆盖小区"), blank=True, related_name="party_branches"
    )
    buildings = models.ManyToManyField(
        "territory.Building", verbose_name=_("覆盖楼栋"), blank=True, related_name="party_groups"
    )

    objects = ScopedManager()
    scope_app = "party"
    scope_lookups = {"district": "district", "street": "street", "community": "community", "grid": "grid"}

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = pgettext_lazy("plural", "党组织")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=_anchored_at_level(), name="party_organisation_anchor"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, kind=OrgKind.DISTRICT_COMMITTEE)
                | (Q(parent__isnull=False) & ~Q(kind=OrgKind.DISTRICT_COMMITTEE)),
                name="party_organisation_root_is_district_committee",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def anchor(self):
        """The territory node this organisation is anchored at."""
        return getattr(self, self.level)

    @property
    def covers_compounds(self) -> bool:
        return self.kind in rules.COMPOUND_COVERING_KINDS

    def audit_scope(self) -> dict[str, int | None]:
        return {
            "district_id": self.district_id,
            "street_id": self.street_id,
            "community_id": self.community_id,
            "grid_id": self.grid_id,
        }


class PartyMember(TimeStampedModel):
    """党员: a party member known to the community, where they live and which branch they are in."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices)
    member_type = models.CharField(_("党员类型"), max_length=12, choices=MemberType.choices)
    workplace = models.CharField(
        _("工作单位"), max_length=100, blank=True, help_text=_("在职党员的工作单位；结对单位党员的单位。")
    )
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    phone = EncryptedCharField(_("手机号码"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("所在组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    resident = models.OneToOneField(
        "population.Resident",
        verbose_name=_("居民档案"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("居住楼栋"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_members",
    )
    compound = _node("territory.Compound", _("居住小区"), "party_members")
    grid = _node("territory.Grid", _("网格"), "party_members")
    community = models.ForeignKey(
        "territory.Community", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="party_members"
    )
    street = _node("territory.Street", _("街道"), "party_members", required=True)
    district = _node("territory.District", _("区"), "party_members", required=True)
    source_import = models.ForeignKey(
        "population.ImportJob",
        verbose_name=_("来源导入"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_members",
        editable=False,
    )

    objects = ScopedManager()
    scope_app = "party"
    scope_lookups = {
        "district": "district",
        "street": "street",
        "community": "community",
        "grid": "grid",
        "building": "building",
    }

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = pgettext_lazy("plural", "党员")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["compound", "member_type"], name="party_member_compound_type_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(member_type__in=sorted(rules.WORKPLACE_TYPES)) | ~Q(workplace=""),
                name="party_member_workplace",
            ),
            models.CheckConstraint(
                condition=Q(building__isnull=True, compound__isnull=True, grid__isnull=True)
                | Q(building__isnull=False, compound__isnull=False, grid__isnull=False),
                name="party_member_residence",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def set_phone(self, value: str) -> None:
        self.phone = normalise(value)
        self.phone_hash = blind_index(value, "phone")

    @property
    def phone_masked(self) -> str:
        """138****5678: the party pages never show a member's full number."""
        return mask_phone(self.phone)


class PartyRole(TimeStampedModel):
    """A role a member holds: 书记/委员/党小组长 of an organisation, 楼栋长/党员中心户 of a building,
    红色管家 of a compound."""

    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("职务"), max_length=20, choices=PartyRoleKind.choices)
    organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name=_("组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roles",
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_roles",
    )
    compound = models.ForeignKey(
        "territory.Compound",
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_roles",
    )

    class Meta:
        verbose_name = _("党内职务")
        verbose_name_plural = pgettext_lazy("plural", "党内职务")
        ordering = ["member", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    role__in=sorted(rules.ORG_ROLES),
                    organisation__isnull=False,
                    building__isnull=True,
                    compound__isnull=True,
                )
                | Q(
                    role__in=sorted(rules.BUILDING_ROLES),
                    organisation__isnull=True,
                    building__isnull=False,
                    compound__isnull=True,
                )
                | Q(
                    role__in=sorted(rules.COMPOUND_ROLES),
                    organisation__isnull=True,
                    building__isnull=True,
                    compound__isnull=False,
                ),
                name="party_role_target",
            ),
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(role=PartyRoleKind.SECRETARY), name="party_role_one_secretary"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(role=PartyRoleKind.GROUP_LEADER),
                name="party_role_one_group_leader",
            ),
            models.UniqueConstraint(
                fields=["member", "role", "organisation"],
                condition=Q(organisation__isnull=False),
                name="party_role_unique_org",
            ),
            models.UniqueConstraint(
                fields=["member", "role", "building"],
                condition=Q(building__isnull=False),
                name="party_role_unique_building",
            ),
            models.UniqueConstraint(
                fields=["member", "role", "compound"],
                condition=Q(compound__isnull=False),
                name="party_role_unique_compound",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_role_display()}"

    @property
    def target(self):
        return self.organisation or self.building or self.compound

    def audit_scope(self) -> dict[str, int | None]:
        from gongzhi.core.audit import object_scope

        return object_scope(self.member)


class CentralHouseholdLink(TimeStampedModel):
    """A household a central household (党员中心户) keeps in touch with. A household has one."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员中心户"), on_delete=models.CASCADE, related_name="household_links"
    )
    household = models.ForeignKey(
        "population.Household", verbose_name=_("联系户"), on_delete=models.CASCADE, related_name="party_links"
    )

    class Meta:
        verbose_name = _("中心户联系户")
        verbose_name_plural = pgettext_lazy("plural", "中心户联系户")
        ordering = ["member", "household"]
        constraints = [models.UniqueConstraint(fields=["household"], name="party_link_household_unique")]

    def __str__(self) -> str:
        return f"{self.member} → {self.household}"

    def audit_scope(self) -> dict[str, int | None]:
        from gongzhi.core.audit import object_scope

        return object_scope(self.member)


class ReportIn(TimeStampedModel):
    """双报到: an in-service member reports to their home community and offers their skills."""

    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="report_ins")
    community = models.ForeignKey(
        "territory.Community", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="party_report_ins"
    )
    grid = _node("territory.Grid", _("网格"), "party_report_ins")
    street = _node("territory.Street", _("街道"), "party_report_ins", required=True)
    district = _node("territory.District", _("区"), "party_report_ins", required=True)
    reported_on = models.DateField(_("报到日期"))
    skills = models.CharField(_("特长"), max_length=200, blank=True, help_text=_("以逗号分隔，如：医疗,法律"))
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.REPORTED)

    objects = ScopedManager()
    scope_app = "party"
    scope_lookups = {"district": "district", "street": "street", "community": "community", "grid": "grid"}

    class Meta:
        verbose_name = _("双报到")
        verbose_name_plural = pgettext_lazy("plural", "双报到")
        ordering = ["-reported_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=~Q(status=ReportStatus.ENDED),
                name="party_report_in_open_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.reported_on}"

    @property
    def skill_list(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]
