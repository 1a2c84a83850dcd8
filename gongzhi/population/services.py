"""Writes to households and residents, and the reveal of personal data. Atomic and audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.core.context import get_request_id

from . import identity
from .choices import HouseholdTag, ImportKind, ImportMode, ImportStatus, ResidentTag, RevealField
from .models import Household, HouseholdTagLink, ImportJob, Resident, ResidentTagLink, RevealLog

RESIDENT_FIELDS = {
    "name", "gender", "birth_date", "relation", "residence_type", "registered_address", "id_number", "phone",
}  # fmt: skip
REVEAL_PERMISSION: dict[str, str] = {RevealField.ID_NUMBER: "reveal_id", RevealField.PHONE: "reveal_phone"}
MIN_REASON = 4


@transaction.atomic
def create_household(*, actor, building, room: str, tags: Iterable[str] = ()) -> Household:
    household = Household.in_building(building, room=room.strip())
    household.full_clean()
    household.save()
    _set_household_tags(household, tags)
    log_change(actor=actor, obj=household, action=ChangeAction.CREATE)
    return household


def _set_tags(link_model, owner_field: str, owner, tags: Iterable[str], vocabulary, unknown_message: str) -> None:
    """Make the owner's labels exactly `tags` (a household's or a resident's), refusing unknown ones."""
    wanted = set(tags)
    unknown = wanted - set(vocabulary.values)
    if unknown:
        raise ValidationError({"tags": unknown_message % {"tags": "、".join(sorted(unknown))}})
    links = link_model.objects.filter(**{owner_field: owner})
    links.exclude(tag__in=wanted).delete()
    have = set(links.values_list("tag", flat=True))
    link_model.objects.bulk_create([link_model(**{owner_field: owner, "tag": t}) for t in sorted(wanted - have)])


def _set_household_tags(household: Household, tags: Iterable[str]) -> None:
    _set_tags(HouseholdTagLink, "household", household, tags, HouseholdTag, _("未知的户标签：%(tags)s"))


def clean_identity(resident: Resident, id_number: str | None, phone: str | None, today: datetime.date | None = None):
    """Validate and set the ID number and phone; derive or check birth date and gender."""
    errors: dict[str, list[str]] = {}
    if id_number is not None:
        if id_number.strip():
            try:
                number, birth, gender = identity.parse_id_number(id_number, today)
            except ValidationError as exc:
                errors["id_number"] = exc.messages
            else:
                if resident.birth_date and resident.birth_date != birth:
                    errors["birth_date"] = [
                        _("出生日期与公民身份号码不一致（号码中为 %(date)s）。") % {"date": birth.isoformat()}
                    ]
                if resident.gender and resident.gender != gender:
                    errors["gender"] = [_("性别与公民身份号码不一致（第 17 位奇数为男、偶数为女）。")]
                resident.birth_date = resident.birth_date or birth
                resident.gender = resident.gender or gender
                resident.set_id_number(number)
                clash = Resident.objects.filter(id_number_hash=resident.id_number_hash).exclude(pk=resident.pk)
                if clash.exists():
                    errors["id_number"] = [_("该公民身份号码已登记，不能重复录入。")]
        else:
            resident.id_number, resident.id_number_hash = "", ""
    if phone is not None:
        if phone.strip():
            try:
                resident.set_phone(identity.parse_phone(phone))
            except ValidationError as exc:
                errors["phone"] = exc.messages
        else:
            resident.phone, resident.phone_hash = "", ""
    if errors:
        raise ValidationError(errors)


def _save_resident(resident: Resident) -> None:
    resident.full_clean(exclude=["id_number_hash", "phone_hash", "id_number", "phone"])
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent insert of the same ID number
        raise ValidationError({"id_number": [_("该公民身份号码已登记，不能重复录入。")]}) from exc


def _set_resident_tags(resident: Resident, tags: Iterable[str]) -> None:
    _set_tags(ResidentTagLink, "resident", resident, tags, ResidentTag, _("未知的居民标签：%(tags)s"))


@transaction.atomic
def create_resident(
    *,
    actor,
    household: Household,
    name: str,
    gender: str = "",
    id_number: str = "",
    phone: str = "",
    tags: Iterable[str] = (),
    **extra: Any,
) -> Resident:
    unknown = set(extra) - RESIDENT_FIELDS
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    resident = Resident.in_household(household, name=name.strip(), gender=gender, **extra)
    clean_identity(resident, id_number, phone)
    _save_resident(resident)
    _set_resident_tags(resident, tags)
    log_change(actor=actor, obj=resident, action=ChangeAction.CREATE)
    return resident


@transaction.atomic
def update_resident(resident: Resident, *, actor, tags: Iterable[str] | None = None, **data: Any) -> Resident:
    unknown = set(data) - RESIDENT_FIELDS
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    before = serialize_object(resident)
    before["tags"] = sorted(resident.tag_links.values_list("tag", flat=True))
    id_number, phone = data.pop("id_number", None), data.pop("phone", None)
    for key, value in data.items():
        setattr(resident, key, value.strip() if isinstance(value, str) else value)
    if id_number and id_number.strip():  # a corrected number re-derives what the caller did not state
        resident.birth_date = data.get("birth_date")
        resident.gender = data.get("gender") or ""
    clean_identity(resident, id_number, phone)
    _save_resident(resident)
    if tags is not None:
        _set_resident_tags(resident, tags)
    change = log_change(actor=actor, obj=resident, action=ChangeAction.UPDATE, before=before)
    change.postchange_data = {
        **(change.postchange_data or {}),
        "tags": sorted(resident.tag_links.values_list("tag", flat=True)),
    }
    change.save(update_fields=["postchange_data"])
    return resident


@transaction.atomic
def reveal(*, actor, resident: Resident, field: str, reason: str) -> str:
    """Return the full value of a resident's ID number or phone, logging who asked and why.

    The caller must hold the reveal permission for that field over the resident's territory.
    """
    if field not in REVEAL_PERMISSION:
        raise ValidationError({"field": [_("只能查看公民身份号码或手机号码。")]})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": [_("请填写查看事由（至少 %(n)s 个字）。") % {"n": MIN_REASON}]})
    allowed = Resident.objects.restrict(actor, REVEAL_PERMISSION[field]).filter(pk=resident.pk).exists()
    if not allowed:
        raise PermissionDenied(_("您没有查看完整%(field)s的权限。") % {"field": RevealField(field).label})
    RevealLog.objects.create(
        user=actor,
        resident=resident,
        field=field,
        reason=reason[:200],
        request_id=get_request_id(),
        district_id=resident.district_id,
        street_id=resident.street_id,
        community_id=resident.community_id,
        grid_id=resident.grid_id,
    )
    return getattr(resident, field)


# -- ledger imports --------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 100 * 1024 * 1024


@transaction.atomic
def start_import(*, actor, upload, kind: str = ImportKind.RESIDENTS) -> ImportJob:
    """Store an uploaded ledger (a resident ledger, or a party roll) and queue its check (the dry run)."""
    from .tasks import check_import

    name = getattr(upload, "name", "") or "upload.xlsx"
    if not name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ValidationError({"file": [_("请上传 Excel 工作簿（.xlsx）。")]})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("文件过大（上限 100 MB），请拆分后上传。")]})
    job = ImportJob(created_by=actor, original_name=name[:200], kind=ImportKind(kind))
    job.file.save(name, upload, save=False)
    job.save()
    log_change(actor=actor, obj=job, action=ChangeAction.CREATE)
    transaction.on_commit(lambda: check_import.enqueue(job.pk))
    return job


@transaction.atomic
def confirm_import(*, actor, job: ImportJob, mode: str) -> ImportJob:
    """Write a checked ledger: all rows (only when none is bad) or only the good rows."""
    from .tasks import run_import

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.VALIDATED:
        raise ValidationError(_("只能导入已检查完成的文件（当前状态：%(s)s）。") % {"s": job.get_status_display()})
    if mode not in ImportMode.values:
        raise ValidationError({"mode": [_("请选择导入方式。")]})
    if mode == ImportMode.ALL and job.bad_rows:
        raise ValidationError(
            _("文件中有 %(n)s 行有误，不能全部导入：请改正后重新上传，或选择只导入无误的行。") % {"n": job.bad_rows}
        )
    if job.good_rows == 0:
        raise ValidationError(_("没有可以导入的行。"))
    before = serialize_object(job)
    job.status, job.mode = ImportStatus.IMPORTING, mode
    job.save(update_fields=["status", "mode", "updated"])
    log_change(actor=actor, obj=job, action=ChangeAction.UPDATE, before=before)
    transaction.on_commit(lambda: run_import.enqueue(job.pk, mode))
    return job


STALL_AFTER = datetime.timedelta(minutes=5)


def is_stalled(job: ImportJob, now: datetime.datetime) -> bool:
    """An import whose worker stopped reporting progress (killed, restarted) is stalled."""
    beat = job.heartbeat or job.updated
    return job.status == ImportStatus.IMPORTING and beat is not None and now - beat > STALL_AFTER


def recover_import(*, actor, job: ImportJob, now: datetime.datetime) -> ImportJob:
    """Undo what a stalled import wrote and mark it failed, so the ledger can be imported again."""
    from . import imports

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not is_stalled(job, now):
            raise ValidationError(_("该导入没有中断，不需要撤销。"))
        before = serialize_object(job)
    imports.undo(job)
    with transaction.atomic():
        job.status = ImportStatus.FAILED
        job.file_error = _("导入中断，已撤销本次导入写入的全部数据，可以重新导入。")
        job.finished = now
        job.save(update_fields=["status", "file_error", "finished", "updated"])
        log_change(actor=actor, obj=job, action=ChangeAction.UPDATE, before=before)
    return job


@transaction.atomic
def cancel_import(*, actor, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (ImportStatus.VALIDATED, ImportStatus.FAILED, ImportStatus.UPLOADED):
        raise ValidationError(_("导入进行中或已完成，不能放弃。"))
    before = serialize_object(job)
    job.status = ImportStatus.CANCELLED
    job.save(update_fields=["status", "updated"])
    log_change(actor=actor, obj=job, action=ChangeAction.UPDATE, before=before)
    return job
