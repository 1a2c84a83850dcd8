"""Writes to households and residents (the population issue extends these)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change
from gongzhi.core.choices import ChangeAction

from .models import Household, Resident


@transaction.atomic
def create_household(*, actor, building, room: str) -> Household:
    household = Household.in_building(building, room=room.strip())
    household.full_clean()
    household.save()
    log_change(actor=actor, obj=household, action=ChangeAction.CREATE)
    return household


@transaction.atomic
def create_resident(
    *, actor, household: Household, name: str, gender: str, id_number: str = "", phone: str = "", **extra
) -> Resident:
    resident = Resident.in_household(
        household,
        name=name.strip(),
        gender=gender,
        **extra,
    )
    if id_number:
        resident.set_id_number(id_number)
        if Resident.objects.filter(id_number_hash=resident.id_number_hash).exists():
            raise ValidationError({"id_number": _("该公民身份号码已登记，不能重复录入。")})
    if phone:
        resident.set_phone(phone)
    resident.full_clean(exclude=["id_number_hash", "phone_hash"])
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent insert of the same ID number
        raise ValidationError({"id_number": _("该公民身份号码已登记，不能重复录入。")}) from exc
    log_change(actor=actor, obj=resident, action=ChangeAction.CREATE)
    return resident
