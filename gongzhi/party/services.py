"""Writes to the party organisation. Every function is atomic and audited in its transaction.

Territory keys (the anchor of an organisation, the residence of a member) are derived here from
what the organisation covers or where the member lives, never taken from input. Validation
errors are Chinese and keyed by the field they concern; nothing is written when one is raised.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.population.identity import parse_phone
from gongzhi.population.models import Household
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

from . import rules
from .choices import OrgKind, OrgLevel, PartyRoleKind, ReportStatus
from .models import LEVELS_TOP_DOWN, CentralHouseholdLink, PartyMember, PartyOrganisation, PartyRole, ReportIn

LEVEL_MODELS: dict[str, type] = {
    OrgLevel.DISTRICT: District,
    OrgLevel.STREET: Street,
    OrgLevel.COMMUNITY: Community,
    OrgLevel.GRID: Grid,
    OrgLevel.COMPOUND: Compound,
}
ORGANISATION_EDITABLE = {"name", "compounds", "buildings"}
MEMBER_EDITABLE = {
    "name",
    "gender",
    "member_type",
    "workplace",
    "joined_on",
    "phone",
    "organisation",
    "building",
    "community",
    "resident",
    "user",
}
MAX_NAMES = 3


def _names(objs: Iterable[Any]) -> str:
    items = [str(o) for o in objs]
    text = "、".join(items[:MAX_NAMES])
    return text + (_("等") if len(items) > MAX_NAMES else "")


def _audit(*, actor, obj, action: str, before: dict | None = None, extra: dict | None = None) -> None:
    """log_change, with the many-to-many lists (`extra`) added to the after snapshot."""
    change = log_change(actor=actor, obj=obj, action=action, before=before)
    if extra and change.postchange_data is not None:
        change.postchange_data.update(extra)
        change.save(update_fields=["postchange_data"])


# -- organisations ---------------------------------------------------------------------------


def _coverage_ids(org: PartyOrganisation) -> dict[str, list[int]]:
    if org.pk is None:
        return {"compounds": [], "buildings": []}
    return {
        "compounds": sorted(org.compounds.values_list("pk", flat=True)),
        "buildings": sorted(org.buildings.values_list("pk", flat=True)),
    }


def _set_anchor(org: PartyOrganisation, level: str, node) -> None:
    """Set `level` and the territory keys down to `node`; clear the ones below it."""
    org.level = level
    depth = LEVELS_TOP_DOWN.index(level)
    for lvl in LEVELS_TOP_DOWN[:depth]:
        setattr(org, f"{lvl}_id", getattr(node, f"{lvl}_id"))
    setattr(org, f"{level}_id", node.pk)
    for lvl in LEVELS_TOP_DOWN[depth + 1 :]:
        setattr(org, f"{lvl}_id", None)


def _compound_place(compound: Compound) -> tuple[int, int, int]:
    return (compound.community_id, compound.grid_id, compound.pk)


def _anchor_for(kind: OrgKind, node, parent, compounds: list[Compound], buildings: list[Building]):
    """(level, node) of a new or changed organisation, from its kind and what it covers."""
    fixed = rules.FIXED_LEVEL[kind]
    label = kind.label
    if fixed is not None:
        if kind == OrgKind.COMPOUND_BRANCH and node is None and len(compounds) == 1:
            node = compounds[0]
        model = LEVEL_MODELS[fixed]
        if not isinstance(node, model):
            raise ValidationError(
                {"node": _("%(kind)s应对应一个%(level)s。") % {"kind": label, "level": OrgLevel(fixed).label}}
            )
        return fixed, node
    if node is not None:
        raise ValidationError({"node": _("%(kind)s的位置由其覆盖范围决定，不能另行指定。") % {"kind": label}})
    if kind == OrgKind.BUILDING_GROUP:
        if not buildings:
            raise ValidationError({"buildings": _("楼栋党小组至少覆盖 1 个楼栋。")})
        covered = [b.compound for b in buildings]
    elif compounds:
        covered = compounds
    else:  # a functional branch of a whole community (e.g. of floating members)
        if parent is None or parent.community_id is None:
            raise ValidationError({"parent": _("功能型党支部须设在社区党组织之下。")})
        return OrgLevel.COMMUNITY, parent.community
    level = rules.common_level(_compound_place(c) for c in covered)
    if level is None:
        field = "buildings" if kind == OrgKind.BUILDING_GROUP else "compounds"
        raise ValidationError({field: _("%(kind)s覆盖的范围须在同一个社区内。") % {"kind": label}})
    first = covered[0]
    return level, {OrgLevel.COMPOUND: first, OrgLevel.GRID: first.grid, OrgLevel.COMMUNITY: first.community}[level]


def _within(child: PartyOrganisation, parent: PartyOrganisation) -> bool:
    """Is the child's anchor inside the parent's anchor?"""
    depth = LEVELS_TOP_DOWN.index(parent.level)
    if LEVELS_TOP_DOWN.index(child.level) < depth:
        return False
    return all(getattr(child, f"{lvl}_id") == getattr(parent, f"{lvl}_id") for lvl in LEVELS_TOP_DOWN[: depth + 1])


def _check_group_buildings(buildings: list[Building], parent: PartyOrganisation) -> None:
    """A party group's buildings lie in what its branch covers."""
    if parent.kind in rules.COMPOUND_COVERING_KINDS:
        covered = set(parent.compounds.values_list("pk", flat=True))
        if covered:
            outside = [b for b in buildings if b.compound_id not in covered]
            if outside:
                raise ValidationError(
                    {
                        "buildings": _("楼栋%(names)s不在上级组织“%(parent)s”覆盖的小区内。")
                        % {"names": _names(outside), "parent": parent.name}
                    }
                )


def _check_exclusive(org: PartyOrganisation, compounds: list[Compound], buildings: list[Building]) -> None:
    """一小区一支部、一楼栋一党小组: a compound has one covering branch, a building one group."""
    if compounds:
        taken = (
            PartyOrganisation.compounds.through.objects.filter(
                compound__in=compounds, partyorganisation__kind__in=sorted(rules.COMPOUND_COVERING_KINDS)
            )
            .exclude(partyorganisation=org.pk)
            .select_related("compound", "partyorganisation")
            .first()
        )
        if taken is not None:
            raise ValidationError(
                {
                    "compounds": _("小区“%(compound)s”已由“%(org)s”覆盖，一个小区只设一个党支部。")
                    % {"compound": taken.compound.name, "org": taken.partyorganisation.name}
                }
            )
    if buildings:
        taken_b = (
            PartyOrganisation.buildings.through.objects.filter(building__in=buildings)
            .exclude(partyorganisation=org.pk)
            .select_related("building__compound", "partyorganisation")
            .first()
        )
        if taken_b is not None:
            raise ValidationError(
                {
                    "buildings": _("楼栋“%(building)s”已属于党小组“%(org)s”。")
                    % {"building": str(taken_b.building), "org": taken_b.partyorganisation.name}
                }
            )


def _check_unique_anchor(org: PartyOrganisation) -> None:
    """One committee per district and street, one community-level organisation per community."""
    level = rules.FIXED_LEVEL[OrgKind(org.kind)]
    if level not in (OrgLevel.DISTRICT, OrgLevel.STREET, OrgLevel.COMMUNITY):
        return
    same_level_kinds = sorted(k for k, lvl in rules.FIXED_LEVEL.items() if lvl == level)
    existing = (
        PartyOrganisation.objects.filter(kind__in=same_level_kinds, **{f"{level}_id": getattr(org, f"{level}_id")})
        .exclude(pk=org.pk)
        .first()
    )
    if existing is not None:
        raise ValidationError(
            {"node": _("“%(node)s”已有党组织“%(org)s”。") % {"node": str(org.anchor), "org": existing.name}}
        )


def _validate_coverage(kind: OrgKind, compounds: list[Compound], buildings: list[Building]) -> None:
    if kind in rules.COMPOUND_COUNT:
        low, high = rules.COMPOUND_COUNT[kind]
        if len(compounds) < low or (high is not None and len(compounds) > high):
            if kind == OrgKind.COMPOUND_BRANCH:
                message = _("小区党支部覆盖且只覆盖 1 个小区。")
            else:
                message = _("联合党支部至少覆盖 2 个小区。")
            raise ValidationError({"compounds": message})
    elif compounds:
        raise ValidationError({"compounds": _("%(kind)s不覆盖小区。") % {"kind": kind.label}})
    if kind != OrgKind.BUILDING_GROUP and buildings:
        raise ValidationError({"buildings": _("只有楼栋党小组覆盖楼栋。")})


def _check_still_holds(org: PartyOrganisation, compounds: list[Compound]) -> None:
    """A changed organisation still holds its sub-organisations and its members (all problems listed)."""
    problems = []
    covered = {c.pk for c in compounds}
    for child in org.children.all():
        if not _within(child, org):
            problems.append(_("下级组织“%(child)s”将超出本组织的范围。") % {"child": child.name})
        elif child.kind == OrgKind.BUILDING_GROUP and org.kind in rules.COMPOUND_COVERING_KINDS and covered:
            outside = [b for b in child.buildings.select_related("compound") if b.compound_id not in covered]
            if outside:
                problems.append(
                    _("党小组“%(group)s”的楼栋%(names)s将不在本支部覆盖的小区内。")
                    % {"group": child.name, "names": _names(outside)}
                )
    if org.kind in rules.COMPOUND_COVERING_KINDS and covered:
        stray = org.members.exclude(compound__isnull=True).exclude(compound__in=covered).order_by("name", "pk")
        if stray.exists():
            problems.append(
                _("党员%(names)s居住的小区将不在本支部覆盖范围内。") % {"names": _names(stray[: MAX_NAMES + 1])}
            )
    if problems:
        raise ValidationError({"compounds": problems})


@transaction.atomic
def create_organisation(
    *,
    actor,
    kind: str,
    name: str,
    parent: PartyOrganisation | None = None,
    node=None,
    compounds: Sequence[Compound] = (),
    buildings: Sequence[Building] = (),
) -> PartyOrganisation:
    """Create an organisation under `parent`, bound to `node` (fixed-level kinds) or to what it covers.

    区委, 街道党工委, 社区党组织 and 网格党支部 take their district/street/community/grid as
    `node`; a 小区党支部 its compound (as `node` or the one item of `compounds`); a 联合党支部 two
    or more compounds of one community; a 功能型党支部 the compounds it serves (or none: then the
    whole community of its parent); a 楼栋党小组 its buildings.
    """
    try:
        kind = OrgKind(kind)
    except ValueError:
        raise ValidationError({"kind": _("未知的组织类型：%(kind)s") % {"kind": kind}}) from None
    if not rules.parent_allowed(kind, parent.kind if parent else None):
        if parent is None:
            raise ValidationError({"parent": _("%(kind)s必须指定上级组织。") % {"kind": kind.label}})
        raise ValidationError(
            {
                "parent": _("“%(parent)s”（%(parent_kind)s）下不能设立%(kind)s。")
                % {"parent": parent.name, "parent_kind": OrgKind(parent.kind).label, "kind": kind.label}
            }
        )
    compounds = list(dict.fromkeys(compounds))
    buildings = list(
        dict.fromkeys(Building.objects.select_related("compound__grid").filter(pk__in=[b.pk for b in buildings]))
    )
    if kind == OrgKind.COMPOUND_BRANCH and node is not None and not compounds:
        compounds = [node]
    _validate_coverage(kind, compounds, buildings)
    level, anchor = _anchor_for(kind, node, parent, compounds, buildings)
    org = PartyOrganisation(kind=kind, name=(name or "").strip(), parent=parent)
    _set_anchor(org, level, anchor)
    if kind == OrgKind.BUILDING_GROUP and parent is not None:
        _check_group_buildings(buildings, parent)
    if parent is not None and not _within(org, parent):
        raise ValidationError({"parent": _("所覆盖的区域不在上级组织“%(parent)s”的范围内。") % {"parent": parent.name}})
    _check_exclusive(org, compounds, buildings)
    _check_unique_anchor(org)
    org.full_clean()
    org.save()
    org.compounds.set(compounds)
    org.buildings.set(buildings)
    _audit(actor=actor, obj=org, action=ChangeAction.CREATE, extra=_coverage_ids(org))
    return org


@transaction.atomic
def update_organisation(org: PartyOrganisation, *, actor, **data: Any) -> PartyOrganisation:
    """Rename, or change what a branch or group covers. Kind and parent are fixed once created."""
    unknown = set(data) - ORGANISATION_EDITABLE
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    org = PartyOrganisation.objects.select_for_update().get(pk=org.pk)
    before = {**serialize_object(org), **_coverage_ids(org)}
    kind = OrgKind(org.kind)
    if "name" in data:
        org.name = (data["name"] or "").strip()
    compounds = list(dict.fromkeys(data["compounds"])) if "compounds" in data else list(org.compounds.all())
    building_ids = (
        [b.pk for b in data["buildings"]] if "buildings" in data else list(org.buildings.values_list("pk", flat=True))
    )
    buildings = list(Building.objects.select_related("compound__grid").filter(pk__in=building_ids))
    if "compounds" in data or "buildings" in data:
        _validate_coverage(kind, compounds, buildings)
        node = org.anchor if rules.FIXED_LEVEL[kind] is not None else None
        if kind == OrgKind.COMPOUND_BRANCH:
            node = compounds[0]
        level, anchor = _anchor_for(kind, node, org.parent, compounds, buildings)
        _set_anchor(org, level, anchor)
        if kind == OrgKind.BUILDING_GROUP and org.parent is not None:
            _check_group_buildings(buildings, org.parent)
        if org.parent is not None and not _within(org, org.parent):
            raise ValidationError(
                {"parent": _("所覆盖的区域不在上级组织“%(parent)s”的范围内。") % {"parent": org.parent.name}}
            )
        _check_exclusive(org, compounds, buildings)
    org.full_clean()
    org.save()
    if "compounds" in data:
        org.compounds.set(compounds)
    if "buildings" in data:
        org.buildings.set(buildings)
    _check_still_holds(org, compounds)
    _audit(actor=actor, obj=org, action=ChangeAction.UPDATE, before=before, extra=_coverage_ids(org))
    return org


# -- members ---------------------------------------------------------------------------------


def _place_member(member: PartyMember) -> None:
    """Derive the residence keys from the building (or the community for members living elsewhere)."""
    building = member.building if member.building_id is not None else None
    if building is not None:
        if member.community_id is not None and member.community_id != building.community_id:
            raise ValidationError({"community": _("所在社区应为居住楼栋所在的社区。")})
        member.compound_id = building.compound_id
        member.grid_id = building.grid_id
        member.community_id = building.community_id
        member.street_id = building.street_id
        member.district_id = building.district_id
        return
    if member.community_id is None:
        raise ValidationError({"community": _("请填写居住楼栋或所在社区。")})
    member.compound_id = member.grid_id = None
    community = member.community
    member.street_id = community.street_id
    member.district_id = community.district_id


def _check_member(member: PartyMember, phone: str | None) -> None:
    resident = member.resident if member.resident_id is not None else None
    if resident is not None:
        if member.building_id != resident.building_id:
            raise ValidationError(
                {"building": _("居住楼栋应与居民档案一致（%(building)s）。") % {"building": str(resident.building)}}
            )
        if member.name != resident.name:
            raise ValidationError({"name": _("姓名应与居民档案一致（%(name)s）。") % {"name": resident.name}})
    if member.member_type in rules.WORKPLACE_TYPES and not member.workplace:
        raise ValidationError({"workplace": _("在职党员和结对单位党员须填写工作单位。")})
    if phone is not None:
        if phone.strip():
            try:
                member.set_phone(parse_phone(phone))
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
        else:
            member.phone, member.phone_hash = "", ""
    org = member.organisation
    if org is None:
        return
    if org.kind not in rules.MEMBER_ORG_KINDS:
        raise ValidationError(
            {
                "organisation": _("党员不能直接编入%(kind)s，请编入党支部或社区党组织。")
                % {"kind": OrgKind(org.kind).label}
            }
        )
    if org.community_id != member.community_id:
        raise ValidationError({"organisation": _("“%(org)s”不在该党员所在的社区。") % {"org": org.name}})
    if member.compound_id is None:
        return
    if org.level == OrgLevel.GRID and org.grid_id != member.grid_id:
        outside = True
    elif org.kind in rules.COMPOUND_COVERING_KINDS:
        covered = {c.pk for c in org.compounds.all()}  # .all(): uses compounds prefetched by an import
        outside = bool(covered) and member.compound_id not in covered
    else:
        outside = False
    if outside:
        raise ValidationError(
            {
                "organisation": _("该党员居住在“%(compound)s”，不在“%(org)s”的覆盖范围内。")
                % {"compound": str(member.compound), "org": org.name}
            }
        )


# Fields whose related rows an importer has already fetched from the user's scope: not looked
# up again row by row (see `build_member(bulk=True)`).
MEMBER_RELATIONS = [
    "organisation",
    "resident",
    "user",
    "building",
    "compound",
    "grid",
    "community",
    "street",
    "district",
]


def validate_member(member: PartyMember, phone: str | None, *, bulk: bool = False) -> None:
    """Place a member (territory keys from the residence) and check them; ValidationError keyed by field.

    `bulk`: the related objects come from scoped queries and uniqueness is checked for a whole
    chunk by the caller (the roll import), so no query is made per member.
    """
    _place_member(member)
    _check_member(member, phone)
    if bulk:
        member.full_clean(exclude=["phone_hash", *MEMBER_RELATIONS], validate_unique=False, validate_constraints=False)
    else:
        member.full_clean(exclude=["phone_hash"])


def build_member(
    *,
    member_type: str,
    name: str = "",
    gender: str = "",
    organisation: PartyOrganisation | None = None,
    building: Building | None = None,
    community: Community | None = None,
    resident=None,
    workplace: str = "",
    phone: str = "",
    joined_on: datetime.date | None = None,
    user=None,
    bulk: bool = False,
) -> PartyMember:
    """The member `create_member` would save, validated but unsaved (the roll import writes it in bulk).

    With a `resident`, a missing name, gender or building comes from the resident's file.
    """
    if resident is not None:
        building = building or resident.building
        name = name or resident.name
        gender = gender or resident.gender
    member = PartyMember(
        name=(name or "").strip(),
        gender=gender,
        member_type=member_type,
        workplace=(workplace or "").strip(),
        joined_on=joined_on,
        organisation=organisation,
        building=building,
        community=community,
        resident=resident,
        user=user,
    )
    validate_member(member, phone, bulk=bulk)
    return member


@transaction.atomic
def create_member(
    *,
    actor,
    member_type: str,
    name: str = "",
    gender: str = "",
    organisation: PartyOrganisation | None = None,
    building: Building | None = None,
    community: Community | None = None,
    resident=None,
    workplace: str = "",
    phone: str = "",
    joined_on: datetime.date | None = None,
    user=None,
) -> PartyMember:
    """Register a party member. With a `resident`, name, gender and building come from the file."""
    if resident is not None and PartyMember.objects.filter(resident=resident).exists():
        raise ValidationError({"resident": _("该居民已登记为党员。")})
    member = build_member(
        member_type=member_type,
        name=name,
        gender=gender,
        organisation=organisation,
        building=building,
        community=community,
        resident=resident,
        workplace=workplace,
        phone=phone,
        joined_on=joined_on,
        user=user,
    )
    member.save()
    _audit(actor=actor, obj=member, action=ChangeAction.CREATE)
    return member


@transaction.atomic
def update_member(member: PartyMember, *, actor, **data: Any) -> PartyMember:
    """Change a member's details, type, branch or residence; the territory keys follow."""
    unknown = set(data) - MEMBER_EDITABLE
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    before = serialize_object(member)
    phone = data.pop("phone", None)
    if "building" in data and "community" not in data:
        data["community"] = None  # follows the new building
    for key, value in data.items():
        setattr(member, key, value.strip() if isinstance(value, str) and key in ("name", "workplace") else value)
    if (
        data.get("resident") is not None
        and PartyMember.objects.filter(resident=data["resident"]).exclude(pk=member.pk).exists()
    ):
        raise ValidationError({"resident": _("该居民已登记为党员。")})
    validate_member(member, phone)
    member.save()
    _audit(actor=actor, obj=member, action=ChangeAction.UPDATE, before=before)
    return member


# -- roles and central households -----------------------------------------------------------------


def _belongs_to(member: PartyMember, org: PartyOrganisation) -> bool:
    """Is the member in `org` or in an organisation below it (a walk up the member's branch)?"""
    current = member.organisation
    for _step in range(len(OrgKind.values) + 1):
        if current is None:
            return False
        if current.pk == org.pk:
            return True
        current = current.parent
    return False


@transaction.atomic
def assign_party_role(
    *,
    actor,
    member: PartyMember,
    role: str,
    organisation: PartyOrganisation | None = None,
    building: Building | None = None,
    compound: Compound | None = None,
) -> PartyRole:
    """Give a member a role. Assigning the same role twice returns the existing one (no audit row)."""
    try:
        role = PartyRoleKind(role)
    except ValueError:
        raise ValidationError({"role": _("未知的职务：%(role)s") % {"role": role}}) from None
    if role in rules.ORG_ROLES:
        if organisation is None or building is not None or compound is not None:
            raise ValidationError({"organisation": _("%(role)s须对应一个党组织。") % {"role": role.label}})
        if not rules.role_fits_organisation(role, organisation.kind):
            raise ValidationError(
                {"role": _("%(kind)s不设%(role)s。") % {"kind": OrgKind(organisation.kind).label, "role": role.label}}
            )
        if role == PartyRoleKind.GROUP_LEADER:
            member_fits = member.organisation_id is not None and member.organisation_id == organisation.parent_id
        else:
            member_fits = _belongs_to(member, organisation)
        if not member_fits:
            raise ValidationError(
                {"member": _("%(member)s不是“%(org)s”的党员。") % {"member": member.name, "org": organisation.name}}
            )
    elif role in rules.BUILDING_ROLES:
        if building is None or organisation is not None or compound is not None:
            raise ValidationError({"building": _("%(role)s须对应一个楼栋。") % {"role": role.label}})
        if role == PartyRoleKind.CENTRAL_HOUSEHOLD and building.pk != member.building_id:
            raise ValidationError({"building": _("党员中心户应为居住在本楼栋的党员。")})
        if building.community_id != member.community_id:
            raise ValidationError({"building": _("楼栋应在该党员所在的社区。")})
    else:
        if compound is None or organisation is not None or building is not None:
            raise ValidationError({"compound": _("%(role)s须对应一个小区。") % {"role": role.label}})
        if compound.community_id != member.community_id:
            raise ValidationError({"compound": _("小区应在该党员所在的社区。")})
    existing = PartyRole.objects.filter(
        member=member, role=role, organisation=organisation, building=building, compound=compound
    ).first()
    if existing is not None:
        return existing
    if organisation is not None and role in (PartyRoleKind.SECRETARY, PartyRoleKind.GROUP_LEADER):
        holder = PartyRole.objects.filter(role=role, organisation=organisation).select_related("member").first()
        if holder is not None:
            raise ValidationError(
                {
                    "organisation": _("“%(org)s”已有%(role)s%(name)s。")
                    % {"org": organisation.name, "role": role.label, "name": holder.member.name}
                }
            )
    party_role = PartyRole(member=member, role=role, organisation=organisation, building=building, compound=compound)
    party_role.full_clean()
    party_role.save()
    _audit(actor=actor, obj=party_role, action=ChangeAction.CREATE)
    return party_role


@transaction.atomic
def remove_party_role(*, actor, party_role: PartyRole) -> None:
    """Remove a role; a central household's links to households go with it (each audited)."""
    if party_role.role == PartyRoleKind.CENTRAL_HOUSEHOLD:
        for link in CentralHouseholdLink.objects.filter(member=party_role.member_id):
            _delete_link(link, actor)
    before = serialize_object(party_role)
    pk = party_role.pk
    party_role.delete()
    party_role.pk = pk
    _audit(actor=actor, obj=party_role, action=ChangeAction.DELETE, before=before)


def _delete_link(link: CentralHouseholdLink, actor) -> None:
    before = serialize_object(link)
    pk = link.pk
    link.delete()
    link.pk = pk
    _audit(actor=actor, obj=link, action=ChangeAction.DELETE, before=before)


@transaction.atomic
def set_linked_households(*, actor, member: PartyMember, households: Sequence[Household]) -> list[CentralHouseholdLink]:
    """The households a central household keeps in touch with: 1–15, in their building's grid.

    Replaces the member's list: links no longer listed are removed, new ones created.
    """
    if not PartyRole.objects.filter(member=member, role=PartyRoleKind.CENTRAL_HOUSEHOLD).exists():
        raise ValidationError({"member": _("只有党员中心户才能联系住户。")})
    wanted = list({h.pk: h for h in households}.values())
    if not 1 <= len(wanted) <= rules.CENTRAL_HOUSEHOLD_LINKS_MAX:
        raise ValidationError(
            {"households": _("一名党员中心户联系 1 至 %(max)s 户。") % {"max": rules.CENTRAL_HOUSEHOLD_LINKS_MAX}}
        )
    building = member.building if member.building_id is not None else None
    grid_id = building.grid_id if building is not None else None
    outside = [h for h in wanted if h.grid_id != grid_id]
    if outside:
        raise ValidationError(
            {"households": _("住户%(rooms)s不在该中心户所在楼栋的网格内。") % {"rooms": _names(outside)}}
        )
    taken = (
        CentralHouseholdLink.objects.filter(household__in=wanted)
        .exclude(member=member)
        .select_related("member", "household")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {
                "households": _("住户%(room)s已由党员中心户%(name)s联系。")
                % {"room": str(taken.household), "name": taken.member.name}
            }
        )
    current = {link.household_id: link for link in CentralHouseholdLink.objects.filter(member=member)}
    wanted_ids = {h.pk for h in wanted}
    for household_id, link in current.items():
        if household_id not in wanted_ids:
            _delete_link(link, actor)
    links = [current[h.pk] for h in wanted if h.pk in current]
    for household in wanted:
        if household.pk in current:
            continue
        link = CentralHouseholdLink(member=member, household=household)
        link.full_clean()
        link.save()
        _audit(actor=actor, obj=link, action=ChangeAction.CREATE)
        links.append(link)
    return links


# -- 双报到 ----------------------------------------------------------------------------------------


@transaction.atomic
def report_in(
    *,
    actor,
    member: PartyMember,
    reported_on: datetime.date,
    skills: Iterable[str] = (),
    community: Community | None = None,
) -> ReportIn:
    """An in-service member reports to their home community (the one they live in) with skills."""
    if member.member_type not in rules.REPORT_IN_TYPES:
        raise ValidationError({"member": _("只有在职党员需要到居住地社区报到（双报到）。")})
    community = community or member.community
    if community.pk != member.community_id:
        raise ValidationError({"community": _("在职党员应向居住地所在社区报到。")})
    skill_list = rules.normalise_skills(skills)
    report = ReportIn(
        member=member,
        community=community,
        grid_id=member.grid_id,
        street_id=community.street_id,
        district_id=community.district_id,
        reported_on=reported_on,
        skills=",".join(skill_list),
    )
    duplicate = ValidationError({"member": _("该党员已向本社区报到，不能重复报到。")})
    if ReportIn.objects.filter(member=member, community=community).exclude(status=ReportStatus.ENDED).exists():
        raise duplicate
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:  # a concurrent report of the same member
        raise duplicate from exc
    _audit(actor=actor, obj=report, action=ChangeAction.CREATE)
    return report


@transaction.atomic
def change_report_status(report: ReportIn, *, actor, status: str) -> ReportIn:
    """Confirm or end a report-in (rules.REPORT_TRANSITIONS)."""
    report = ReportIn.objects.select_for_update().get(pk=report.pk)
    try:
        target = ReportStatus(status)
    except ValueError:
        raise ValidationError({"status": _("未知的状态：%(status)s") % {"status": status}}) from None
    if not rules.report_transition_allowed(report.status, target):
        raise ValidationError(
            {
                "status": _("不能从“%(from)s”改为“%(to)s”。")
                % {"from": ReportStatus(report.status).label, "to": target.label}
            }
        )
    before = serialize_object(report)
    report.status = target
    report.save(update_fields=["status", "updated"])
    _audit(actor=actor, obj=report, action=ChangeAction.UPDATE, before=before)
    return report
