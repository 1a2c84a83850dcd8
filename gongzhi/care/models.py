"""Care files (一人一档): a profile for each vulnerable resident, paired with a party member
(帮扶对子), emergency contacts, visits, and the follow-up items visits raise."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.crypto import EncryptedCharField, blind_index, normalise
from gongzhi.core.models import TimeStampedModel
from gongzhi.core.scope import ScopedManager
from gongzhi.population.identity import mask_phone

from .choices import CareKind, FollowUpStatus, RiskLevel, VisitOutcome

CARE_SCOPE = {"district": "district_id", "street": "street_id", "community": "community_id", "grid": "grid_id"}


class CareProfile(TimeStampedModel):
    """一人一档: one vulnerable resident's care file."""

    resident = models.OneToOneField(
        "population.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="care_profile"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=CareKind.choices)
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.KEY)
    needs = models.TextField(_("主要需求"), blank=True)
    paired_member = models.ForeignKey(
        "party.PartyMember",
        verbose_name=_("结对党员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_profiles",
    )
    opened = models.DateField(_("建档日期"))
    closed = models.DateField(_("销档日期"), null=True, blank=True)
    # The schedule, kept by the services from the visits and the risk level (rules.next_due), so
    # that "overdue" is one indexed comparison with today. `manage.py care_reschedule` recomputes
    # it after GONGZHI_CARE_VISIT_DAYS changes.
    last_visit = models.DateField(_("上次走访"), null=True, blank=True, editable=False)
    next_due = models.DateField(_("应走访日期"), db_index=True, editable=False)
    # the resident's place, copied by the services (ADR 0002)
    grid_id = models.BigIntegerField(db_index=True, editable=False)
    community_id = models.BigIntegerField(db_index=True, editable=False)
    street_id = models.BigIntegerField(db_index=True, editable=False)
    district_id = models.BigIntegerField(db_index=True, editable=False)

    objects = ScopedManager()
    scope_app = "care"
    scope_lookups = CARE_SCOPE

    class Meta:
        verbose_name = _("关爱档案")
        verbose_name_plural = pgettext_lazy("plural", "关爱档案")
        ordering = ["grid_id", "pk"]

    def __str__(self) -> str:
        return f"{self.resident.name}（{self.get_kind_display()}）"


class EmergencyContact(TimeStampedModel):
    """紧急联系人 of a care profile; the phone is personal data, encrypted like a resident's."""

    profile = models.ForeignKey(
        CareProfile, verbose_name=_("关爱档案"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20)
    phone = EncryptedCharField(_("电话"))
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)

    class Meta:
        verbose_name = _("紧急联系人")
        verbose_name_plural = pgettext_lazy("plural", "紧急联系人")
        ordering = ["profile", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）"

    def set_phone(self, value: str) -> None:
        self.phone = normalise(value)
        self.phone_hash = blind_index(value, "phone")

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Visit(TimeStampedModel):
    """走访: who went, when, what they found."""

    profile = models.ForeignKey(
        CareProfile, verbose_name=_("关爱档案"), on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField(_("走访日期"), db_index=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="care_visits"
    )
    outcome = models.CharField(_("走访结果"), max_length=10, choices=VisitOutcome.choices, default=VisitOutcome.WELL)
    findings = models.TextField(_("走访情况"))

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = pgettext_lazy("plural", "走访记录")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.date}"


class FollowUp(TimeStampedModel):
    """A need found on a visit that someone must act on (later it can become a case)."""

    visit = models.ForeignKey(Visit, verbose_name=_("来源走访"), on_delete=models.PROTECT, related_name="follow_ups")
    profile = models.ForeignKey(
        CareProfile, verbose_name=_("关爱档案"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    need = models.CharField(_("需求"), max_length=200)
    status = models.CharField(_("状态"), max_length=6, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    resolution = models.CharField(_("办理情况"), max_length=200, blank=True)
    done_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("跟进事项")
        verbose_name_plural = pgettext_lazy("plural", "跟进事项")
        ordering = ["status", "-pk"]

    def __str__(self) -> str:
        return self.need


class Reminder(models.Model):
    """A reminder sent to a paired member about an overdue visit (one per profile and day)."""

    profile = models.ForeignKey(
        CareProfile, verbose_name=_("关爱档案"), on_delete=models.CASCADE, related_name="reminders"
    )
    member = models.ForeignKey(
        "party.PartyMember", verbose_name=_("结对党员"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("提醒日期"))
    due = models.DateField(_("应走访日期"))

    class Meta:
        verbose_name = _("走访提醒")
        verbose_name_plural = pgettext_lazy("plural", "走访提醒")
        ordering = ["-day", "profile"]
        constraints = [models.UniqueConstraint(fields=["profile", "day"], name="care_reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.day}"
