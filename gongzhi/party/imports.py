"""Importing a party roll (党员名册) from Excel, on the ledger import machinery of the population
area (`gongzhi.population.imports`: reading, chunks, progress, the report, undo on failure).

Every row is validated as `services.create_member` would (`services.build_member(bulk=True)`),
plus what needs the user's scope or the whole file: the building, community, organisation and
resident lie in the user's `party.change` scope, a resident is not registered twice (in the
database or in the file). Good rows are written with reserved primary keys, one statement per
chunk; each member points back to the job (`source_import`), which is how a failed import is
undone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.bulk import insert_rows, reserve_ids
from gongzhi.core.crypto import blind_index
from gongzhi.population import identity
from gongzhi.population.imports import GENDERS, HEADER_ALIASES, Row, cell_text, parse_date
from gongzhi.population.models import ImportJob, Resident
from gongzhi.territory.models import Building, Community

from . import services
from .choices import MemberType
from .models import PartyMember, PartyOrganisation

COLUMNS = {
    "姓名": "name",
    "性别": "gender",
    "党员类型": "member_type",
    "工作单位": "workplace",
    "手机号码": "phone",
    "公民身份号码": "id_number",
    "楼栋编码": "building_code",
    "所在社区": "community",
    "所在组织": "organisation",
    "入党日期": "joined_on",
}
ALIASES = HEADER_ALIASES | {
    "社区": "所在社区",
    "党组织": "所在组织",
    "所在党组织": "所在组织",
    "所在党支部": "所在组织",
}
TEMPLATE_HEADERS = list(COLUMNS)
COLUMN_ORDER = {header: i for i, header in enumerate(COLUMNS)}
TEMPLATE_EXAMPLE = ["张三", "男", "在职党员", "临江区人民医院", "13800001111", "", "330199001001-001-001", "",
                    "测试1花园党支部", "2001-07-01"]  # fmt: skip
MEMBER_TYPES = {str(label): value for value, label in MemberType.choices}
# The column a services.build_member error is about (its key is the model field).
FIELD_COLUMNS = {
    "name": "姓名",
    "gender": "性别",
    "member_type": "党员类型",
    "workplace": "工作单位",
    "phone": "手机号码",
    "resident": "公民身份号码",
    "building": "楼栋编码",
    "community": "所在社区",
    "organisation": "所在组织",
    "joined_on": "入党日期",
}
# Where a member lives: when one of these columns is wrong, the service's placement errors are noise.
PLACEMENT = {"楼栋编码", "所在社区", "公民身份号码"}
MEMBER_FIELDS = [
    "name", "gender", "member_type", "workplace", "joined_on", "phone", "phone_hash", "organisation", "resident",
    "user", "building", "compound", "grid", "community", "street", "district", "source_import", "created", "updated",
]  # fmt: skip


def _by_name(items, key) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return found


class MemberChecker:
    """Row checks that need the database, all within the user's `party.change` scope."""

    def __init__(self, user) -> None:
        self.user = user
        self.buildings = {b.code: b for b in Building.objects.restrict(user, "change", app="party")}
        communities = list(Community.objects.restrict(user, "change", app="party"))
        self.community_codes = {c.code: c for c in communities}
        self.community_names = _by_name(communities, lambda c: c.name)
        organisations = PartyOrganisation.objects.restrict(user, "change").prefetch_related("compounds")
        self.organisations = _by_name(organisations, lambda o: o.name)
        self.seen_ids: dict[str, int] = {}
        self.today = timezone.localdate()

    def check_chunk(self, rows: list[Row]) -> None:
        parsed = [(row, self._parse(row)) for row in rows]
        hashes = {fields["id_hash"] for _row, fields in parsed if fields.get("id_hash")}
        residents: dict[str, Resident] = {}
        registered: set[int] = set()
        if hashes:
            scoped = Resident.objects.restrict(self.user, "change", app="party").select_related("building")
            residents = {r.id_number_hash: r for r in scoped.filter(id_number_hash__in=sorted(hashes))}
            registered = set(
                PartyMember.objects.filter(resident__in=[r.pk for r in residents.values()]).values_list(
                    "resident_id", flat=True
                )
            )
        for row, fields in parsed:
            resident = None
            if fields.get("id_hash") and not any(c == "公民身份号码" for c, _m in row.errors):
                resident = residents.get(fields["id_hash"])
                if resident is None:
                    row.errors.append(("公民身份号码", _("找不到该公民身份号码的居民档案，或其不在您的管辖范围内。")))
                elif resident.pk in registered:
                    row.errors.append(("公民身份号码", _("该居民已登记为党员。")))
            self._build(row, fields, resident)
            row.errors.sort(key=lambda e: COLUMN_ORDER.get(e[0], len(COLUMN_ORDER)))  # stable: as the template reads

    def _parse(self, row: Row) -> dict[str, Any]:
        """The row's cells as build_member takes them; problems only the file can have go to row.errors."""
        v = {k: cell_text(x) for k, x in row.values.items()}
        err = row.errors.append
        fields: dict[str, Any] = {
            "name": v.get("name", ""), "workplace": v.get("workplace", ""), "phone": v.get("phone", ""),
            "gender": "", "member_type": "", "building": None, "community": None, "organisation": None,
            "joined_on": None, "id_hash": "",
        }  # fmt: skip
        gender = v.get("gender", "")
        if gender and gender not in GENDERS:
            err(("性别", _("性别应填“男”或“女”。")))
        fields["gender"] = GENDERS.get(gender, "")
        member_type = v.get("member_type", "")
        if not member_type:
            err(("党员类型", _("党员类型不能为空。")))
        elif member_type not in MEMBER_TYPES:
            err(("党员类型", _("党员类型应为%(types)s之一。") % {"types": "、".join(MEMBER_TYPES)}))
        fields["member_type"] = MEMBER_TYPES.get(member_type, "")
        id_number = v.get("id_number", "")
        if not id_number:  # with one, name and gender may come from the resident's file
            if not fields["name"]:
                err(("姓名", _("姓名不能为空。")))
            if not gender:
                err(("性别", _("没有公民身份号码时，性别不能为空。")))
        if id_number:
            try:
                number, _born, _sex = identity.parse_id_number(id_number, self.today)
            except ValidationError as exc:
                err(("公民身份号码", " ".join(exc.messages)))
            else:
                fields["id_hash"] = blind_index(number, "id_number")
                first = self.seen_ids.setdefault(fields["id_hash"], row.number)
                if first != row.number:
                    err(("公民身份号码", _("与第 %(n)s 行的公民身份号码重复。") % {"n": first}))
        code = v.get("building_code", "")
        if code:
            fields["building"] = self.buildings.get(code)
            if fields["building"] is None:
                err(("楼栋编码", _("找不到楼栋“%(b)s”，或它不在您的管辖范围内。") % {"b": code}))
        community = v.get("community", "")
        if community:
            found = (
                [self.community_codes[community]] if community in self.community_codes else []
            ) or self.community_names.get(community, [])
            if not found:
                err(("所在社区", _("找不到社区“%(c)s”，或它不在您的管辖范围内。") % {"c": community}))
            elif len(found) > 1:
                err(("所在社区", _("有多个名为“%(c)s”的社区，请填写 12 位社区代码。") % {"c": community}))
            else:
                fields["community"] = found[0]
        organisation = v.get("organisation", "")
        if organisation:
            orgs = self.organisations.get(organisation, [])
            if not orgs:
                err(("所在组织", _("找不到党组织“%(o)s”，或它不在您的管辖范围内。") % {"o": organisation}))
            elif len(orgs) > 1:
                err(("所在组织", _("有多个名为“%(o)s”的党组织，请核对名称。") % {"o": organisation}))
            else:
                fields["organisation"] = orgs[0]
        joined = v.get("joined_on", "")
        if joined:
            try:
                fields["joined_on"] = parse_date(joined)
            except ValueError:
                err(("入党日期", _("入党日期“%(d)s”无法识别，请写成 2001-07-01。") % {"d": joined}))
        return fields

    def _build(self, row: Row, fields: dict[str, Any], resident: Resident | None) -> None:
        """Validate as create_member would; report its errors on columns not already reported."""
        taken = {column for column, _m in row.errors}
        if taken & PLACEMENT:
            taken |= PLACEMENT | {"所在组织"}
        try:
            member = services.build_member(
                member_type=fields["member_type"],
                name=fields["name"],
                gender=fields["gender"],
                organisation=fields["organisation"],
                building=fields["building"],
                community=fields["community"],
                resident=resident,
                workplace=fields["workplace"],
                phone=fields["phone"],
                joined_on=fields["joined_on"],
                bulk=True,
            )
        except ValidationError as exc:
            problems = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for key, messages in problems.items():
                column = FIELD_COLUMNS.get(key, "")
                if column not in taken:
                    row.errors.extend((column, message) for message in messages)
            return
        if not row.errors:
            row.building = member.building
            row.data = {"member": member}


def _write_chunk(job: ImportJob, rows: list[Row], state: dict) -> int:
    """Insert the members of one chunk of good rows (keys reserved up front, one statement)."""
    now = timezone.now()
    members: list[PartyMember] = [row.data["member"] for row in rows]
    for member, pk in zip(members, reserve_ids(PartyMember, len(members)), strict=True):
        member.pk = pk
        member.source_import_id = job.pk
        member.created = member.updated = now
    return insert_rows(PartyMember, MEMBER_FIELDS, members)


@transaction.atomic
def _undo(job: ImportJob) -> None:
    PartyMember.objects.filter(source_import=job).delete()


class PartyMemberImporter:
    """党员名册: one party member per row."""

    columns = COLUMNS
    aliases = ALIASES

    def missing_columns(self, present: set[str]) -> list[str]:
        missing = [h for h, k in COLUMNS.items() if k in {"name", "member_type"} and k not in present]
        if not present & {"building_code", "community"}:
            missing.append(_("楼栋编码（或 所在社区）"))
        return missing

    def checker(self, user) -> MemberChecker:
        return MemberChecker(user)

    def write(self, job: ImportJob, rows: list[Row], state: dict) -> dict[str, int]:
        return {"created_members": _write_chunk(job, rows, state)}

    def undo(self, job: ImportJob) -> None:
        _undo(job)


PARTY_MEMBERS = PartyMemberImporter()
