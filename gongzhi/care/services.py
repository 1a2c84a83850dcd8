"""Writes to care files: open a profile, pair it, add contacts, record visits and follow-ups,
remind paired members of overdue visits. Atomic and audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.population.identity import parse_phone

from . import rules
from .choices import CareKind, FollowUpStatus, RiskLevel, VisitOutcome
from .models import CareProfile, EmergencyContact, FollowUp, Reminder, Visit


def intervals() -> dict[str, int]:
    return getattr(settings, "GONGZHI_CARE_VISIT_DAYS", rules.DEFAULT_INTERVAL_DAYS)


def schedule(profile: CareProfile) -> None:
    """Set the date the next visit is due from the last visit (or opening) and the risk level."""
    profile.next_due = rules.next_due(profile.opened, profile.last_visit, profile.risk_level, intervals())


def _check_member(profile: CareProfile, member) -> None:
    if member is not None and member.community_id != profile.community_id:
        raise ValidationError({"paired_member": [_("结对党员应为本社区的党员。")]})


@transaction.atomic
def open_profile(
    *, actor, resident, kind: str, risk_level: str = RiskLevel.KEY, needs: str = "", paired_member=None,
    opened: datetime.date,
) -> CareProfile:  # fmt: skip
    if kind not in CareKind.values:
        raise ValidationError({"kind": [_("请选择关爱类别。")]})
    if risk_level not in RiskLevel.values:
        raise ValidationError({"risk_level": [_("请选择风险等级。")]})
    if CareProfile.objects.filter(resident=resident).exists():
        raise ValidationError({"resident": [_("该居民已建立关爱档案。")]})
    profile = CareProfile(
        resident=resident, kind=kind, risk_level=risk_level, needs=needs.strip(), paired_member=paired_member,
        opened=opened, grid_id=resident.grid_id, community_id=resident.community_id,
        street_id=resident.street_id, district_id=resident.district_id,
    )  # fmt: skip
    schedule(profile)
    _check_member(profile, paired_member)
    profile.full_clean()
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:
        raise ValidationError({"resident": [_("该居民已建立关爱档案。")]}) from exc
    log_change(actor=actor, obj=profile, action=ChangeAction.CREATE)
    return profile


@transaction.atomic
def update_profile(profile: CareProfile, *, actor, **data) -> CareProfile:
    allowed = {"kind", "risk_level", "needs", "paired_member", "closed"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    profile = CareProfile.objects.select_for_update().get(pk=profile.pk)
    before = serialize_object(profile)
    for key, value in data.items():
        setattr(profile, key, value)
    _check_member(profile, profile.paired_member)
    schedule(profile)
    if profile.closed and profile.closed < profile.opened:
        raise ValidationError({"closed": [_("销档日期不能早于建档日期。")]})
    profile.full_clean()
    profile.save()
    log_change(actor=actor, obj=profile, action=ChangeAction.UPDATE, before=before)
    return profile


@transaction.atomic
def add_contact(*, actor, profile: CareProfile, name: str, relation: str, phone: str) -> EmergencyContact:
    contact = EmergencyContact(profile=profile, name=name.strip(), relation=relation.strip())
    contact.set_phone(parse_phone(phone))
    contact.full_clean(exclude=["phone_hash"])
    contact.save()
    log_change(actor=actor, obj=contact, action=ChangeAction.CREATE)
    return contact


@transaction.atomic
def record_visit(
    *, actor, profile: CareProfile, date: datetime.date, findings: str, outcome: str = VisitOutcome.WELL,
    needs: Iterable[str] = (), today: datetime.date,
) -> Visit:  # fmt: skip
    """Log a visit; each need found becomes an open follow-up item."""
    if date > today:
        raise ValidationError({"date": [_("走访日期不能晚于今天。")]})
    if date < profile.opened:
        raise ValidationError({"date": [_("走访日期不能早于建档日期。")]})
    if profile.closed:
        raise ValidationError(_("该档案已销档，不能再记录走访。"))
    if not findings.strip():
        raise ValidationError({"findings": [_("请填写走访情况。")]})
    if outcome not in VisitOutcome.values:
        raise ValidationError({"outcome": [_("请选择走访结果。")]})
    visit = Visit.objects.create(profile=profile, date=date, visitor=actor, outcome=outcome, findings=findings.strip())
    log_change(actor=actor, obj=visit, action=ChangeAction.CREATE)
    profile = CareProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.last_visit is None or date > profile.last_visit:
        profile.last_visit = date
        schedule(profile)
        profile.save(update_fields=["last_visit", "next_due", "updated"])
    for need in (n.strip() for n in needs):
        if need:
            item = FollowUp.objects.create(visit=visit, profile=profile, need=need[:200])
            log_change(actor=actor, obj=item, action=ChangeAction.CREATE)
    return visit


@transaction.atomic
def close_follow_up(*, actor, item: FollowUp, resolution: str, today: datetime.date) -> FollowUp:
    item = FollowUp.objects.select_for_update().get(pk=item.pk)
    if item.status == FollowUpStatus.DONE:
        raise ValidationError(_("该事项已办结。"))
    if not resolution.strip():
        raise ValidationError({"resolution": [_("请填写办理情况。")]})
    before = serialize_object(item)
    item.status, item.resolution, item.done_on = FollowUpStatus.DONE, resolution.strip()[:200], today
    item.save()
    log_change(actor=actor, obj=item, action=ChangeAction.UPDATE, before=before)
    return item


@dataclass
class DueRow:
    profile: CareProfile
    last_visit: datetime.date | None
    due: datetime.date
    overdue_days: int


def due_rows(profiles: QuerySet[CareProfile], today: datetime.date) -> list[DueRow]:
    """Open profiles with their last visit, due date and days overdue, most overdue first."""
    qs = profiles.filter(closed=None).order_by("next_due", "pk")
    qs = qs.select_related("resident__household", "resident__building__compound", "paired_member")
    return rows_for(qs, today)


def rows_for(profiles: Iterable[CareProfile], today: datetime.date) -> list[DueRow]:
    return [DueRow(p, p.last_visit, p.next_due, rules.overdue_days(p.next_due, today)) for p in profiles]


def overdue(profiles: QuerySet[CareProfile], today: datetime.date) -> QuerySet[CareProfile]:
    return profiles.filter(closed=None, next_due__lt=today)


def send_reminders(*, today: datetime.date) -> int:
    """Remind the paired member of every overdue profile, once a day (in the app, over WebSocket)."""
    from gongzhi.core.consumers import notify_user

    sent = 0
    for row in due_rows(overdue(CareProfile.objects.exclude(paired_member=None), today), today):
        member = row.profile.paired_member
        _reminder, created = Reminder.objects.get_or_create(
            profile=row.profile, day=today, defaults={"member": member, "due": row.due}
        )
        if not created:
            continue
        sent += 1
        if member is not None and member.user_id:
            payload = {
                "type": "care.visit_overdue",
                "profile": row.profile.pk,
                "resident": row.profile.resident.name,
                "due": row.due.isoformat(),
                "overdue_days": row.overdue_days,
                "message": _("%(name)s 的关爱走访已逾期 %(n)s 天，请尽快上门。")
                % {"name": row.profile.resident.name, "n": row.overdue_days},
                "url": f"/care/{row.profile.pk}/",
            }
            transaction.on_commit(lambda uid=member.user_id, p=payload: notify_user(uid, p))
    return sent
