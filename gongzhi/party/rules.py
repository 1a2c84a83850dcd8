"""The rules of party organisation, as pure functions and tables (tested exhaustively).

Seed S4's branch-building rule (004_*.txt, line 8): "有3名以上直管党员的小区，单独建立党支部；
直管党员不足3名的，联合建立党支部；暂不具备组建条件的，组织直管党员、在职党员、离退休党员和流动
党员等，组建功能型党支部". Read for one compound, with d = directly-managed members living in it
and o = the other members living in it (in-service, retired, floating, paired-unit):

    d ≥ 3            → its own branch          (小区党支部)
    1 ≤ d ≤ 2        → a joint branch          (联合党支部, with neighbouring compounds)
    d = 0, o ≥ 1     → a functional branch     (功能型党支部)
    d = 0, o = 0     → nothing to build yet    (暂无党员: a coverage gap of another kind)

Seed S2: a party group (党小组) covers 3–5 buildings; every building has 2–3 central
households (党员中心户). The tree's shape (which kind may sit under which) is the usual one:
区委 → 街道党工委 → 社区党委/总支/支部 → 小区/网格/联合/功能型党支部 → 楼栋党小组.
"""

from __future__ import annotations

from collections.abc import Iterable

from .choices import CoverageStatus, ExpectedBranch, MemberType, OrgKind, OrgLevel, PartyRoleKind, ReportStatus

OWN_BRANCH_MIN_DIRECT = 3
GROUP_BUILDINGS_MIN = 3
GROUP_BUILDINGS_MAX = 5
CENTRAL_HOUSEHOLDS_PER_BUILDING = (2, 3)
CENTRAL_HOUSEHOLD_LINKS_MAX = 15


def expected_branch(direct: int, others: int) -> ExpectedBranch:
    """What S4 asks of a compound with `direct` directly-managed and `others` other members."""
    if direct < 0 or others < 0:
        raise ValueError("member counts cannot be negative")
    if direct >= OWN_BRANCH_MIN_DIRECT:
        return ExpectedBranch.OWN
    if direct >= 1:
        return ExpectedBranch.JOINT
    if others >= 1:
        return ExpectedBranch.FUNCTIONAL
    return ExpectedBranch.NONE


# The organisation kind that satisfies each answer of the rule.
BRANCH_FOR: dict[ExpectedBranch, OrgKind] = {
    ExpectedBranch.OWN: OrgKind.COMPOUND_BRANCH,
    ExpectedBranch.JOINT: OrgKind.JOINT_BRANCH,
    ExpectedBranch.FUNCTIONAL: OrgKind.FUNCTIONAL_BRANCH,
}


def assess(expected: ExpectedBranch, actual: OrgKind | str | None) -> CoverageStatus:
    """Compare the rule's answer with the kind of the branch that covers the compound (or None)."""
    if actual is None:
        return CoverageStatus.NO_MEMBERS if expected == ExpectedBranch.NONE else CoverageStatus.MISSING
    if expected == ExpectedBranch.NONE:
        return CoverageStatus.OK  # covered ahead of need: not a gap
    return CoverageStatus.OK if actual == BRANCH_FOR[expected] else CoverageStatus.MISMATCH


def group_oversized(buildings: int) -> bool:
    """A party group over S2's 3–5 buildings: allowed, but flagged."""
    return buildings > GROUP_BUILDINGS_MAX


# -- the shape of the tree ----------------------------------------------------------------

COMMUNITY_KINDS = frozenset({OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMMUNITY_GENERAL_BRANCH, OrgKind.COMMUNITY_BRANCH})
# Branches that cover compounds (the S4 coverage): their `compounds` list says which.
COMPOUND_COVERING_KINDS = frozenset({OrgKind.COMPOUND_BRANCH, OrgKind.JOINT_BRANCH, OrgKind.FUNCTIONAL_BRANCH})
BRANCH_KINDS = frozenset(
    {
        OrgKind.COMMUNITY_BRANCH,
        OrgKind.COMPOUND_BRANCH,
        OrgKind.GRID_BRANCH,
        OrgKind.JOINT_BRANCH,
        OrgKind.FUNCTIONAL_BRANCH,
    }
)
_BELOW_COMMUNITY_COMMITTEE = frozenset({OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMMUNITY_GENERAL_BRANCH})

# Which kind of parent each kind may have (None: a root).
ALLOWED_PARENTS: dict[OrgKind, frozenset[OrgKind | None]] = {
    OrgKind.DISTRICT_COMMITTEE: frozenset({None}),
    OrgKind.STREET_COMMITTEE: frozenset({OrgKind.DISTRICT_COMMITTEE}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset({OrgKind.STREET_COMMITTEE}),
    OrgKind.COMMUNITY_GENERAL_BRANCH: frozenset({OrgKind.STREET_COMMITTEE}),
    OrgKind.COMMUNITY_BRANCH: frozenset({OrgKind.STREET_COMMITTEE}),
    OrgKind.COMPOUND_BRANCH: _BELOW_COMMUNITY_COMMITTEE,
    OrgKind.GRID_BRANCH: _BELOW_COMMUNITY_COMMITTEE,
    OrgKind.JOINT_BRANCH: _BELOW_COMMUNITY_COMMITTEE,
    OrgKind.FUNCTIONAL_BRANCH: _BELOW_COMMUNITY_COMMITTEE,
    OrgKind.BUILDING_GROUP: BRANCH_KINDS,
}

# The level each kind is anchored at; None: derived from what it covers.
FIXED_LEVEL: dict[OrgKind, OrgLevel | None] = {
    OrgKind.DISTRICT_COMMITTEE: OrgLevel.DISTRICT,
    OrgKind.STREET_COMMITTEE: OrgLevel.STREET,
    OrgKind.COMMUNITY_COMMITTEE: OrgLevel.COMMUNITY,
    OrgKind.COMMUNITY_GENERAL_BRANCH: OrgLevel.COMMUNITY,
    OrgKind.COMMUNITY_BRANCH: OrgLevel.COMMUNITY,
    OrgKind.GRID_BRANCH: OrgLevel.GRID,
    OrgKind.COMPOUND_BRANCH: OrgLevel.COMPOUND,
    OrgKind.JOINT_BRANCH: None,
    OrgKind.FUNCTIONAL_BRANCH: None,
    OrgKind.BUILDING_GROUP: None,
}

# How many compounds a compound-covering kind covers: (minimum, maximum or None).
COMPOUND_COUNT: dict[OrgKind, tuple[int, int | None]] = {
    OrgKind.COMPOUND_BRANCH: (1, 1),
    OrgKind.JOINT_BRANCH: (2, None),
    OrgKind.FUNCTIONAL_BRANCH: (0, None),
}


def parent_allowed(kind: OrgKind | str, parent_kind: OrgKind | str | None) -> bool:
    return parent_kind in ALLOWED_PARENTS[OrgKind(kind)]


def common_level(places: Iterable[tuple[int, int, int]]) -> OrgLevel | None:
    """The lowest level shared by every (community, grid, compound) in `places`.

    COMPOUND when all are one compound, GRID when they share a grid, COMMUNITY when they share a
    community; None when they span communities or `places` is empty.
    """
    items = list(places)
    if not items:
        return None
    for index, level in ((2, OrgLevel.COMPOUND), (1, OrgLevel.GRID), (0, OrgLevel.COMMUNITY)):
        if len({p[index] for p in items}) == 1:
            return level
    return None


# -- members and roles --------------------------------------------------------------------

# An organisation a member may belong to: community level and below, except a party group
# (members belong to the branch; the group is where they meet).
MEMBER_ORG_KINDS = COMMUNITY_KINDS | BRANCH_KINDS
# Member types that name a workplace (在职: their employer; 结对单位: the paired unit).
WORKPLACE_TYPES = frozenset({MemberType.IN_SERVICE, MemberType.PAIRED_UNIT})
# 双报到 is for in-service members.
REPORT_IN_TYPES = frozenset({MemberType.IN_SERVICE})

# What each role is attached to.
ORG_ROLES = frozenset({PartyRoleKind.SECRETARY, PartyRoleKind.COMMITTEE_MEMBER, PartyRoleKind.GROUP_LEADER})
BUILDING_ROLES = frozenset({PartyRoleKind.BUILDING_HEAD, PartyRoleKind.CENTRAL_HOUSEHOLD})
COMPOUND_ROLES = frozenset({PartyRoleKind.RED_STEWARD})


def role_fits_organisation(role: PartyRoleKind | str, kind: OrgKind | str) -> bool:
    """书记/委员 lead organisations; a 党小组长 leads a party group."""
    if role == PartyRoleKind.GROUP_LEADER:
        return kind == OrgKind.BUILDING_GROUP
    if role in (PartyRoleKind.SECRETARY, PartyRoleKind.COMMITTEE_MEMBER):
        return kind != OrgKind.BUILDING_GROUP
    return False


# -- 双报到 ---------------------------------------------------------------------------------

REPORT_TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.REPORTED: frozenset({ReportStatus.CONFIRMED, ReportStatus.ENDED}),
    ReportStatus.CONFIRMED: frozenset({ReportStatus.ENDED}),
    ReportStatus.ENDED: frozenset(),
}


def report_transition_allowed(current: ReportStatus | str, target: ReportStatus | str) -> bool:
    return ReportStatus(target) in REPORT_TRANSITIONS[ReportStatus(current)]


def normalise_skills(skills: Iterable[str]) -> list[str]:
    """Free tags: stripped, commas and 、 split, empties and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for raw in skills:
        for part in str(raw).replace("、", ",").replace("，", ",").split(","):
            tag = part.strip()[:20]
            if tag:
                seen.setdefault(tag, None)
    return list(seen)
