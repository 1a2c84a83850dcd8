"""Importing a ledger from Excel: check every row first, then write.

`check(job)` reads the workbook and reports every bad row (row number, column, reason in
Chinese) without writing anything. `run(job, mode)` reads and checks again (the database may
have changed since), then writes all rows, or only the good ones when the user chose so, in
chunks whose progress is visible to the page. If anything fails while writing, every row the
job wrote is removed again: an import lands whole or not at all.

This machinery (reading, header mapping, chunks, progress, the report, undo on failure) is
shared by every kind of ledger; what a row means is an `Importer`. The resident ledger
(居民台账) is defined here; the party roll (党员名册) in `gongzhi.party.imports`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gongzhi.core.bulk import insert_values, reserve_ids
from gongzhi.core.crypto import blind_index
from gongzhi.territory.models import Building

from . import identity
from .choices import Gender, ImportKind, ImportMode, ImportStatus, Relation, ResidenceType, ResidentTag
from .models import Household, ImportJob, Resident, ResidentTagLink

CHUNK = 5_000
MAX_STORED_ERRORS = 5_000
MAX_ROWS = 1_000_000

# Column headers (Chinese, as a ledger has them) → internal names. Order in the file is free.
COLUMNS = {
    "楼栋编码": "building_code",
    "小区": "compound",
    "楼栋": "building",
    "门牌": "room",
    "姓名": "name",
    "性别": "gender",
    "出生日期": "birth_date",
    "公民身份号码": "id_number",
    "手机号码": "phone",
    "与户主关系": "relation",
    "人口类型": "residence_type",
    "户籍地址": "registered_address",
    "标签": "tags",
}
HEADER_ALIASES = {"身份证号": "公民身份号码", "身份证号码": "公民身份号码", "联系电话": "手机号码", "电话": "手机号码"}
TEMPLATE_HEADERS = list(COLUMNS)
RESIDENT_COLUMNS = [
    "id", "household_id", "building_id", "grid_id", "community_id", "street_id", "district_id", "name", "gender",
    "birth_date", "relation", "residence_type", "registered_address", "id_number", "id_number_hash", "phone",
    "phone_hash", "source_import_id", "created", "updated",
]  # fmt: skip
HOUSEHOLD_COLUMNS = [
    "id", "building_id", "grid_id", "community_id", "street_id", "district_id", "room", "source_import_id",
    "created", "updated",
]  # fmt: skip

GENDERS = {str(label): value for value, label in Gender.choices} | {"男性": "male", "女性": "female"}
RELATIONS = {str(label): value for value, label in Relation.choices} | {"本人": "head", "妻": "spouse", "夫": "spouse"}
RESIDENCE = {str(label): value for value, label in ResidenceType.choices} | {"户籍": "registered", "流动": "floating"}
TAGS = {str(label): value for value, label in ResidentTag.choices}
TAG_SPLIT = re.compile(r"[、,，;；\s]+")


class FileProblem(Exception):
    """The file as a whole cannot be read (not a workbook, no header, missing columns)."""


class RowChecker(Protocol):
    def check_chunk(self, rows: list[Row]) -> None: ...


class Importer(Protocol):
    """What one kind of ledger means: its columns, its row checks, how good rows are written."""

    columns: dict[str, str]  # Chinese header → internal name
    aliases: dict[str, str]  # other headers seen in ledgers → the Chinese header

    def missing_columns(self, present: set[str]) -> list[str]:
        """Required columns (as the user reads them) that the header lacks."""
        ...

    def checker(self, user) -> RowChecker: ...

    def write(self, job: ImportJob, rows: list[Row], state: dict) -> dict[str, int]:
        """Write one chunk of good rows; `state` lives for the whole run. Returns counts to add up."""
        ...

    def undo(self, job: ImportJob) -> None: ...


IMPORTERS = {
    ImportKind.RESIDENTS: "gongzhi.population.imports.RESIDENTS",
    ImportKind.PARTY_MEMBERS: "gongzhi.party.imports.PARTY_MEMBERS",
}


def importer_for(kind: str) -> Importer:
    return import_string(IMPORTERS[ImportKind(kind)])


@dataclass
class Row:
    number: int  # the row number the user sees in Excel
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    building: Building | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the row's fields, parsed
    tags: list[str] = field(default_factory=list)


def cell_text(value) -> str:
    """A cell as the user typed it: numbers without ".0", dates as 1980-01-31, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(text: str) -> datetime.date:
    """1980-01-31, 1980/01/31 or 1980.01.31 (ValueError otherwise)."""
    return datetime.date.fromisoformat(text.replace("/", "-").replace(".", "-")[:10])


def read_rows(path: str, importer: Importer | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {internal column: raw value}) for every non-empty row of the first sheet."""
    from python_calamine import CalamineWorkbook

    importer = importer or RESIDENTS
    columns = importer.columns
    try:
        workbook = CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, None)
    except Exception as exc:  # calamine raises its own error types for unreadable files
        raise FileProblem(_("无法读取该文件，请上传 Excel 工作簿（.xlsx）。")) from exc
    if not header:
        raise FileProblem(_("工作表是空的：第 1 行应为列名。"))
    names = [importer.aliases.get(cell_text(h), cell_text(h)) for h in header]
    unknown = [n for n in names if n and n not in columns]
    if unknown:
        raise FileProblem(_("无法识别的列：%(cols)s。可用的列见导入模板。") % {"cols": "、".join(unknown)})
    keys = [columns.get(n) for n in names]
    missing = importer.missing_columns(set(filter(None, keys)))
    if missing:
        raise FileProblem(_("缺少必需的列：%(cols)s。") % {"cols": "、".join(missing)})
    for index, raw in enumerate(rows, start=2):
        values = {k: v for k, v in zip(keys, raw, strict=False) if k}
        if any(v not in (None, "") for v in values.values()):
            yield index, values


class Checker:
    """Row checks that need the database: buildings in the user's scope, existing ID numbers."""

    def __init__(self, user) -> None:
        buildings = Building.objects.restrict(user, "change", app="population").select_related("compound")
        self.by_code: dict[str, Building] = {}
        self.by_name: dict[tuple[str, str], Building] = {}
        for b in buildings:
            self.by_code[b.code] = b
            self.by_name[(b.compound.name, b.name)] = b
        self.seen_ids: dict[str, int] = {}
        self.today = timezone.localdate()

    def check_chunk(self, rows: list[Row]) -> None:
        for row in rows:
            self._check_row(row)
        hashes = {r.data["id_number_hash"]: r for r in rows if r.data.get("id_number_hash")}
        if hashes:
            taken = set(
                Resident.objects.filter(id_number_hash__in=list(hashes)).values_list("id_number_hash", flat=True)
            )
            for digest in taken:
                hashes[digest].errors.append(("公民身份号码", _("该公民身份号码已登记，不能重复录入。")))

    def _check_row(self, row: Row) -> None:
        v = {k: cell_text(x) for k, x in row.values.items()}
        err = row.errors.append
        code = v.get("building_code", "")
        building = self.by_code.get(code) if code else self.by_name.get((v.get("compound", ""), v.get("building", "")))
        if building is None:
            where = code or f"{v.get('compound', '')}{v.get('building', '')}"
            err(("楼栋编码" if code else "楼栋", _("找不到楼栋“%(b)s”，或它不在您的管辖范围内。") % {"b": where}))
        row.building = building
        room = v.get("room", "")
        if not room:
            err(("门牌", _("门牌不能为空。")))
        elif len(room) > 30:
            err(("门牌", _("门牌不能超过 30 个字。")))
        name = v.get("name", "")
        if not name:
            err(("姓名", _("姓名不能为空。")))
        elif len(name) > 50:
            err(("姓名", _("姓名不能超过 50 个字。")))
        resident: dict[str, Any] = {
            "name": name, "registered_address": v.get("registered_address", "")[:200], "birth_date": None,
            "id_number": "", "id_number_hash": "", "phone": "", "phone_hash": "",
        }  # fmt: skip
        gender = v.get("gender", "")
        if gender and gender not in GENDERS:
            err(("性别", _("性别应填“男”或“女”。")))
        resident["gender"] = GENDERS.get(gender, "")
        birth = v.get("birth_date", "")
        if birth:
            try:
                resident["birth_date"] = parse_date(birth)
            except ValueError:
                err(("出生日期", _("出生日期“%(d)s”无法识别，请写成 1980-01-31。") % {"d": birth}))
        id_number = v.get("id_number", "")
        if id_number:
            try:
                number, born, sex = identity.parse_id_number(id_number, self.today)
            except Exception as exc:  # ValidationError
                err(("公民身份号码", " ".join(getattr(exc, "messages", [str(exc)]))))
            else:
                if resident["birth_date"] and resident["birth_date"] != born:
                    err(
                        (
                            "出生日期",
                            _("出生日期与公民身份号码不一致（号码中为 %(date)s）。") % {"date": born.isoformat()},
                        )
                    )
                if resident["gender"] and resident["gender"] != sex:
                    err(("性别", _("性别与公民身份号码不一致（第 17 位奇数为男、偶数为女）。")))
                resident["birth_date"], resident["gender"] = resident["birth_date"] or born, resident["gender"] or sex
                resident["id_number"], resident["id_number_hash"] = number, blind_index(number, "id_number")
                first = self.seen_ids.setdefault(resident["id_number_hash"], row.number)
                if first != row.number:
                    err(("公民身份号码", _("与第 %(n)s 行的公民身份号码重复。") % {"n": first}))
        elif not resident["gender"]:
            err(("性别", _("没有公民身份号码时，性别不能为空。")))
        phone = v.get("phone", "")
        if phone:
            try:
                resident["phone"] = identity.parse_phone(phone)
                resident["phone_hash"] = blind_index(resident["phone"], "phone")
            except Exception as exc:  # ValidationError
                err(("手机号码", " ".join(getattr(exc, "messages", [str(exc)]))))
        relation = v.get("relation", "") or str(Relation.HEAD.label)
        if relation not in RELATIONS:
            err(("与户主关系", _("与户主关系“%(r)s”无法识别。") % {"r": relation}))
        resident["relation"] = RELATIONS.get(relation, Relation.HEAD.value)
        residence = v.get("residence_type", "") or str(ResidenceType.REGISTERED.label)
        if residence not in RESIDENCE:
            err(("人口类型", _("人口类型应为户籍人口、常住非户籍或流动人口。")))
        resident["residence_type"] = RESIDENCE.get(residence, ResidenceType.REGISTERED.value)
        for label in filter(None, TAG_SPLIT.split(v.get("tags", ""))):
            if label in TAGS:
                row.tags.append(TAGS[label])
            else:
                err(("标签", _("未知的标签“%(t)s”。") % {"t": label}))
        row.values["room"] = room
        row.data = resident


def _chunks(path: str, importer: Importer | None = None) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for number, values in read_rows(path, importer):
        if number - 1 > MAX_ROWS:
            raise FileProblem(_("一次最多导入 %(n)s 行，请拆分文件。") % {"n": f"{MAX_ROWS:,}"})
        chunk.append(Row(number, values))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _progress(job: ImportJob, **fields) -> None:
    for key, value in fields.items():
        setattr(job, key, value)
    job.heartbeat = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=job.heartbeat, **fields)


def _count_rows(path: str) -> int:
    """Data rows in the sheet, for progress (blank rows included; the report counts exactly)."""
    from python_calamine import CalamineWorkbook

    try:
        return max(0, CalamineWorkbook.from_path(path).get_sheet_by_index(0).height - 1)
    except Exception as exc:  # unreadable: read_rows reports it in the user's words
        raise FileProblem(_("无法读取该文件，请上传 Excel 工作簿（.xlsx）。")) from exc


def check(job: ImportJob) -> ImportJob:
    """The dry run: read and check every row, store the report. Writes no resident or household."""
    _progress(job, status=ImportStatus.VALIDATING, processed_rows=0, errors=[], error_count=0, file_error="")
    importer = importer_for(job.kind)
    checker = importer.checker(job.created_by)
    errors: list[dict] = []
    good = bad = error_count = 0
    try:
        total = _count_rows(job.file.path)
        _progress(job, total_rows=total)
        for chunk in _chunks(job.file.path, importer):
            checker.check_chunk(chunk)
            for row in chunk:
                if row.errors:
                    bad += 1
                    error_count += len(row.errors)
                    for column, message in row.errors:
                        if len(errors) < MAX_STORED_ERRORS:
                            errors.append({"row": row.number, "column": column, "message": message})
                else:
                    good += 1
            _progress(job, processed_rows=good + bad)
    except FileProblem as exc:
        _progress(job, status=ImportStatus.FAILED, file_error=str(exc), finished=timezone.now())
        return job
    _progress(
        job, status=ImportStatus.VALIDATED, good_rows=good, bad_rows=bad, error_count=error_count, errors=errors,
    )  # fmt: skip
    return job


def run(job: ImportJob, mode: str) -> ImportJob:
    """Write the checked ledger. ALL: refuse if any row is bad. GOOD_ROWS: skip the bad rows."""
    if mode == ImportMode.ALL and job.bad_rows:
        raise ValueError("refusing an all-or-nothing import of a ledger with bad rows")
    _progress(job, status=ImportStatus.IMPORTING, mode=mode, processed_rows=0)
    importer = importer_for(job.kind)
    checker = importer.checker(job.created_by)
    state: dict = {}
    written: dict[str, int] = {}
    try:
        for chunk in _chunks(job.file.path, importer):
            checker.check_chunk(chunk)
            bad = [r for r in chunk if r.errors]
            if bad and mode == ImportMode.ALL:
                raise FileProblem(
                    _("第 %(n)s 行在检查后发生了变化：%(msg)s") % {"n": bad[0].number, "msg": bad[0].errors[0][1]}
                )
            good = [r for r in chunk if not r.errors]
            with transaction.atomic():
                counts = importer.write(job, good, state)
            for key, n in counts.items():
                written[key] = written.get(key, 0) + n
            _progress(job, processed_rows=job.processed_rows + len(chunk))
    except Exception as exc:
        importer.undo(job)
        message = (
            str(exc)
            if isinstance(exc, FileProblem)
            else _("写入时出错，已撤销本次导入写入的全部数据：%(e)s") % {"e": exc}
        )
        _progress(job, status=ImportStatus.FAILED, file_error=message[:500], finished=timezone.now())
        return job
    _progress(job, status=ImportStatus.DONE, finished=timezone.now(), **written)
    return job


def _write_chunk(job: ImportJob, rows: list[Row], households: dict[tuple[int, str], int]) -> tuple[int, int]:
    """Write one chunk of good rows: the households they need, the residents, their labels."""
    ops = connections[DEFAULT_DB_ALIAS].ops
    now = ops.adapt_datetimefield_value(timezone.now())
    keys = {(r.building.pk, r.values["room"]) for r in rows if r.building}
    missing = keys - households.keys()
    if missing:
        found = Household.objects.filter(building_id__in={k[0] for k in missing})
        for building_id, room, pk in found.values_list("building_id", "room", "pk"):
            if (building_id, room) in missing:
                households[(building_id, room)] = pk
    new_keys = sorted(k for k in keys if k not in households)
    by_id = {r.building.pk: r.building for r in rows if r.building}
    household_rows = []
    for (building_id, room), pk in zip(new_keys, reserve_ids(Household, len(new_keys)), strict=True):
        home = by_id[building_id]
        households[(building_id, room)] = pk
        household_rows.append(
            (pk, home.pk, home.grid_id, home.community_id, home.street_id, home.district_id, room, job.pk, now, now)
        )  # fmt: skip
    insert_values(Household, HOUSEHOLD_COLUMNS, household_rows)
    seal_id = Resident._meta.get_field("id_number").seal
    seal_phone = Resident._meta.get_field("phone").seal
    resident_rows, tag_rows = [], []
    for row, pk in zip(rows, reserve_ids(Resident, len(rows)), strict=True):
        d, b = row.data, row.building
        if b is None:  # a good row always has its building
            raise RuntimeError(f"row {row.number} was not checked")
        birth = ops.adapt_datefield_value(d["birth_date"]) if d["birth_date"] else None
        resident_rows.append(
            (pk, households[(b.pk, row.values["room"])], b.pk, b.grid_id, b.community_id, b.street_id, b.district_id,
             d["name"], d["gender"], birth, d["relation"], d["residence_type"], d["registered_address"],
             seal_id(d["id_number"]), d["id_number_hash"], seal_phone(d["phone"]), d["phone_hash"], job.pk, now, now)
        )  # fmt: skip
        tag_rows += [(pk, t) for t in dict.fromkeys(row.tags)]
    insert_values(Resident, RESIDENT_COLUMNS, resident_rows)
    if tag_rows:
        first = reserve_ids(ResidentTagLink, len(tag_rows))
        insert_values(
            ResidentTagLink, ["id", "resident_id", "tag"], [(i, *t) for i, t in zip(first, tag_rows, strict=True)]
        )
    return len(household_rows), len(resident_rows)


def undo(job: ImportJob) -> None:
    """Remove everything this job wrote (used when an import fails half-way or stalled)."""
    importer_for(job.kind).undo(job)


@transaction.atomic
def _undo_residents(job: ImportJob) -> None:
    ResidentTagLink.objects.filter(resident__source_import=job).delete()
    Resident.objects.filter(source_import=job).delete()
    Household.objects.filter(source_import=job, residents__isnull=True).delete()


class ResidentImporter:
    """居民台账: households (created as needed), residents and their labels."""

    columns = COLUMNS
    aliases = HEADER_ALIASES

    def missing_columns(self, present: set[str]) -> list[str]:
        missing = [h for h, k in COLUMNS.items() if k in {"room", "name"} and k not in present]
        if "building_code" not in present and not {"compound", "building"} <= present:
            missing.append(_("楼栋编码（或 小区 + 楼栋）"))
        return missing

    def checker(self, user) -> Checker:
        return Checker(user)

    def write(self, job: ImportJob, rows: list[Row], state: dict) -> dict[str, int]:
        households, residents = _write_chunk(job, rows, state)  # state: (building, room) → household id
        return {"created_households": households, "created_residents": residents}

    def undo(self, job: ImportJob) -> None:
        _undo_residents(job)


RESIDENTS = ResidentImporter()
