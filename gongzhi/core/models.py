"""Base models and the audit trail. No domain models live here."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import ChangeAction
from .scope import ScopedManager


class TimeStampedModel(models.Model):
    """Abstract base: creation and last-change times."""

    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


def ancestor(to, verbose_name, related_name: str) -> models.ForeignKey:
    """A denormalised ancestor key: set by services from the parent, never edited (ADR 0002)."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, on_delete=models.PROTECT, related_name=related_name, editable=False
    )


class ObjectChange(models.Model):
    """One audited change of one object: who, when, in which request, before and after.

    Rows are written by services in the same transaction as the change they describe.
    """

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    user_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=36, blank=True, db_index=True)
    action = models.CharField(_("动作"), max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    prechange_data = models.JSONField(_("修改前"), null=True, blank=True)
    postchange_data = models.JSONField(_("修改后"), null=True, blank=True)
    # Where the changed object lies, so the trail itself is scoped like the data.
    district_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    community_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    grid_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)

    objects = ScopedManager()
    scope_app = "audit"
    scope_lookups = {"district": "district_id", "street": "street_id", "community": "community_id", "grid": "grid_id"}

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = pgettext_lazy("plural", "变更记录")
        ordering = ["-time", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="core_change_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def diff(self) -> dict[str, tuple[object, object]]:
        """Fields whose value changed, as {field: (before, after)} (the "updated" stamp left out)."""
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        keys = sorted(set(before) | set(after))
        return {k: (before.get(k), after.get(k)) for k in keys if k != "updated" and before.get(k) != after.get(k)}
