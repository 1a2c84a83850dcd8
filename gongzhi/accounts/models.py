"""Users, and their assignments to territory nodes with a role."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import TimeStampedModel

from .choices import Level, Role
from .roles import ROLE_PERMISSIONS


class User(AbstractUser):
    """A person who signs in: staff, party member, resident or partner."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    organisation = models.CharField(_("所在单位"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name()

    @cached_property
    def _assignments(self) -> list[Assignment]:
        return list(self.assignments.all())

    def scope_nodes(self, perm: str) -> dict[str, set[int]]:
        """Node ids per level from the assignments whose role grants `perm`."""
        nodes: dict[str, set[int]] = defaultdict(set)
        for a in self._assignments:
            if perm in ROLE_PERMISSIONS.get(a.role, ()):
                nodes[a.level].add(a.node_id)
        return nodes

    def has_scope_perm(self, perm: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return any(perm in ROLE_PERMISSIONS.get(a.role, ()) for a in self._assignments)

    def role_labels(self) -> list[str]:
        labels = [str(Role(a.role).label) for a in self._assignments]
        if self.is_superuser:
            labels.insert(0, str(_("系统管理员")))
        return list(dict.fromkeys(labels))


LEVEL_FIELDS = [level.value for level in Level]


def _exactly_one_node() -> Q:
    condition = Q()
    for level in LEVEL_FIELDS:
        condition |= Q(
            level=level,
            **{f"{f}__isnull": f != level for f in LEVEL_FIELDS},
        )
    return condition


class Assignment(TimeStampedModel):
    """A user holds a role over one territory node and everything below it."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    district = models.ForeignKey(
        "territory.District",
        verbose_name=_("区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    street = models.ForeignKey(
        "territory.Street",
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    community = models.ForeignKey(
        "territory.Community",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = pgettext_lazy("plural", "任职")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(condition=_exactly_one_node(), name="accounts_assignment_one_node"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self):
        return getattr(self, self.level)

    @property
    def node_id(self) -> int:
        return getattr(self, f"{self.level}_id")

    def audit_scope(self) -> dict[str, int | None]:
        from gongzhi.core.audit import object_scope

        return object_scope(self.node)
