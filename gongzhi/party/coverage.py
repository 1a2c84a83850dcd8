"""Coverage (全覆盖) of compounds and buildings by party organisations, per seed S4 and S2.

For the occupied compounds of a scope: the S4 rule's answer (from the members living in each
compound) against the branch that covers it; the buildings with households that no party group
covers, and those without a central household; the party groups over 5 buildings.

A fixed handful of grouped queries whatever the size of the scope (no query per compound).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from gongzhi.territory.models import Building, Compound

from . import rules
from .choices import CoverageStatus, ExpectedBranch, MemberType, OrgKind, PartyRoleKind
from .models import PartyMember, PartyOrganisation, PartyRole

GAP_STATUSES = (CoverageStatus.MISSING, CoverageStatus.MISMATCH, CoverageStatus.NO_MEMBERS)


@dataclass
class CompoundRow:
    id: int
    name: str
    code: str
    community_id: int
    community_name: str
    direct: int
    others: int
    expected: ExpectedBranch
    organisation_id: int | None
    organisation_name: str
    organisation_kind: str
    status: CoverageStatus

    @property
    def expected_kind(self) -> OrgKind | None:
        return rules.BRANCH_FOR.get(self.expected)

    @property
    def organisation_kind_label(self) -> str:
        return str(OrgKind(self.organisation_kind).label) if self.organisation_kind else ""


@dataclass
class BuildingRow:
    id: int
    name: str
    compound_id: int
    compound_name: str
    community_id: int
    community_name: str
    households: int
    central_households: int = 0
    group_id: int | None = None


@dataclass
class GroupRow:
    id: int
    name: str
    buildings: int
    community_id: int | None
    community_name: str
    parent_name: str


@dataclass
class CommunitySummary:
    id: int
    name: str
    compounds: int = 0
    ok: int = 0
    missing: int = 0
    mismatch: int = 0
    no_members: int = 0
    buildings: int = 0
    without_group: int = 0
    without_central_household: int = 0
    oversized_groups: int = 0

    @property
    def gaps(self) -> int:
        return (
            self.missing
            + self.mismatch
            + self.no_members
            + self.without_group
            + self.without_central_household
            + self.oversized_groups
        )


@dataclass
class Coverage:
    compounds: list[CompoundRow]
    buildings: list[BuildingRow]
    oversized_groups: list[GroupRow]
    communities: list[CommunitySummary] = field(default_factory=list)

    def with_status(self, *statuses: CoverageStatus) -> list[CompoundRow]:
        return [row for row in self.compounds if row.status in statuses]

    @property
    def compounds_missing(self) -> list[CompoundRow]:
        return self.with_status(CoverageStatus.MISSING)

    @property
    def compounds_mismatch(self) -> list[CompoundRow]:
        return self.with_status(CoverageStatus.MISMATCH)

    @property
    def compounds_without_members(self) -> list[CompoundRow]:
        return self.with_status(CoverageStatus.NO_MEMBERS)

    @property
    def buildings_without_group(self) -> list[BuildingRow]:
        return [b for b in self.buildings if b.group_id is None]

    @property
    def buildings_without_central_household(self) -> list[BuildingRow]:
        return [b for b in self.buildings if b.central_households == 0]

    @property
    def summary(self) -> dict[str, int | float | None]:
        needing = [row for row in self.compounds if row.expected != ExpectedBranch.NONE]
        covered = [row for row in needing if row.organisation_id is not None]
        ok = self.with_status(CoverageStatus.OK)
        return {
            "compounds": len(self.compounds),
            "compounds_with_members": len(needing),
            "compounds_covered": len(covered),
            "coverage_rate": round(100 * len(covered) / len(needing), 1) if needing else None,
            "compounds_ok": len(ok),
            "compounds_missing": len(self.compounds_missing),
            "compounds_mismatch": len(self.compounds_mismatch),
            "compounds_without_members": len(self.compounds_without_members),
            "buildings": len(self.buildings),
            "buildings_without_group": len(self.buildings_without_group),
            "buildings_without_central_household": len(self.buildings_without_central_household),
            "oversized_groups": len(self.oversized_groups),
        }

    @property
    def gap_count(self) -> int:
        s = self.summary
        return sum(
            int(s[key] or 0)
            for key in (
                "compounds_missing",
                "compounds_mismatch",
                "compounds_without_members",
                "buildings_without_group",
                "buildings_without_central_household",
                "oversized_groups",
            )
        )


# When two branches cover one compound (which the services refuse), report the first of these.
KIND_PRIORITY = [OrgKind.COMPOUND_BRANCH, OrgKind.JOINT_BRANCH, OrgKind.FUNCTIONAL_BRANCH]


def compute(compounds: QuerySet[Compound]) -> Coverage:
    """Coverage of the occupied compounds in `compounds` and of their buildings (7 queries)."""
    scope = compounds.filter(is_occupied=True)
    ids = scope.values("pk")
    rows = list(scope.order_by("code").values("id", "name", "code", "community_id", "community__name"))

    members: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for compound_id, member_type, n in (
        PartyMember.objects.filter(compound__in=ids)
        .order_by()
        .values_list("compound_id", "member_type")
        .annotate(n=Count("*"))
    ):
        members[compound_id][0 if member_type == MemberType.DIRECT else 1] += n

    covering: dict[int, tuple[int | None, str, str]] = {}
    through = PartyOrganisation.compounds.through
    links = through.objects.filter(
        compound__in=ids, partyorganisation__kind__in=sorted(rules.COMPOUND_COVERING_KINDS)
    ).values_list("compound_id", "partyorganisation_id", "partyorganisation__name", "partyorganisation__kind")
    for link in sorted(links, key=lambda r: (KIND_PRIORITY.index(OrgKind(r[3])), r[1])):
        covering.setdefault(link[0], (link[1], link[2], link[3]))

    compound_rows = []
    for row in rows:
        direct, others = members[row["id"]]
        expected = rules.expected_branch(direct, others)
        covering_org, org_name, kind = covering.get(row["id"], (None, "", ""))
        compound_rows.append(
            CompoundRow(
                id=row["id"],
                name=row["name"],
                code=row["code"],
                community_id=row["community_id"],
                community_name=row["community__name"],
                direct=direct,
                others=others,
                expected=expected,
                organisation_id=covering_org,
                organisation_name=org_name,
                organisation_kind=kind,
                status=rules.assess(expected, kind or None),
            )
        )

    buildings = [
        BuildingRow(
            id=b["id"],
            name=b["name"],
            compound_id=b["compound_id"],
            compound_name=b["compound__name"],
            community_id=b["community_id"],
            community_name=b["community__name"],
            households=b["n"],
        )
        for b in Building.objects.filter(compound__in=ids)
        .annotate(n=Count("households"))
        .filter(n__gt=0)
        .order_by("code")
        .values("id", "name", "compound_id", "compound__name", "community_id", "community__name", "n")
    ]
    group_links = PartyOrganisation.buildings.through.objects.filter(building__compound__in=ids)
    group_of = dict(group_links.values_list("building_id", "partyorganisation_id"))
    central = dict(
        PartyRole.objects.filter(role=PartyRoleKind.CENTRAL_HOUSEHOLD, building__compound__in=ids)
        .order_by()
        .values_list("building_id")
        .annotate(n=Count("*"))
    )
    for b in buildings:
        b.group_id = group_of.get(b.id)
        b.central_households = central.get(b.id, 0)

    oversized = [
        GroupRow(
            id=g["id"],
            name=g["name"],
            buildings=g["n"],
            community_id=g["community_id"],
            community_name=g["community__name"] or "",
            parent_name=g["parent__name"] or "",
        )
        for g in PartyOrganisation.objects.filter(
            kind=OrgKind.BUILDING_GROUP, pk__in=group_links.values("partyorganisation_id")
        )
        .annotate(n=Count("buildings", distinct=True))
        .filter(n__gt=rules.GROUP_BUILDINGS_MAX)
        .order_by("pk")
        .values("id", "name", "community_id", "community__name", "parent__name", "n")
    ]
    coverage = Coverage(compounds=compound_rows, buildings=buildings, oversized_groups=oversized)
    coverage.communities = _by_community(coverage)
    return coverage


def _by_community(coverage: Coverage) -> list[CommunitySummary]:
    summaries: dict[int, CommunitySummary] = {}

    def get(community_id: int, name: str) -> CommunitySummary:
        if community_id not in summaries:
            summaries[community_id] = CommunitySummary(id=community_id, name=name)
        return summaries[community_id]

    for row in coverage.compounds:
        s = get(row.community_id, row.community_name)
        s.compounds += 1
        setattr(s, row.status.value, getattr(s, row.status.value) + 1)
    for b in coverage.buildings:
        s = get(b.community_id, b.community_name)
        s.buildings += 1
        s.without_group += b.group_id is None
        s.without_central_household += b.central_households == 0
    for g in coverage.oversized_groups:
        if g.community_id is not None:
            get(g.community_id, g.community_name).oversized_groups += 1
    return list(summaries.values())  # in the order of their first compound's code


def party_scoped(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """A territory queryset restricted to where `user` holds `party.<action>` (territory nodes
    are listed here because party coverage is about them)."""
    return queryset.restrict(user, action, app="party")  # type: ignore[attr-defined]


def coverage_for(user, community=None) -> Coverage:
    """Coverage of the compounds in the user's party scope, or of one community in it."""
    compounds = party_scoped(Compound.objects.all(), user)
    if community is not None:
        compounds = compounds.filter(community=community)
    return compute(compounds)
