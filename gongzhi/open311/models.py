"""Open311 partners' API keys. The key itself is shown once, when it is created; the database
holds its first eight characters (to tell keys apart) and a keyed hash of the whole key.

Each key has its own service account (a User without password or roles): the cases a partner
submits are entered by that account, so the timeline and the audit trail say which partner it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.models import TimeStampedModel


class ApiKey(TimeStampedModel):
    """An Open311 API key of one partner (a resident app, a hotline system, a mini-program)."""

    name = models.CharField(_("合作方"), max_length=100)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务账号"),
        on_delete=models.PROTECT,
        related_name="open311_key",
        editable=False,
    )
    street = models.ForeignKey(
        "territory.Street",
        verbose_name=_("限定街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("留空表示全辖区；限定后只能提交和查询该街道的事项。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = pgettext_lazy("plural", "Open311 密钥")
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key_prefix"], name="open311_apikey_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
