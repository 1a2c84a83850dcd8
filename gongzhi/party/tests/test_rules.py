"""The pure rules, exhaustively: S4's branch rule at its boundaries, the tree's shape, roles,
report-in transitions."""

import itertools

import pytest

from gongzhi.party import rules
from gongzhi.party.choices import CoverageStatus, ExpectedBranch, OrgKind, OrgLevel, PartyRoleKind, ReportStatus

E = ExpectedBranch


# -- S4: 有3名以上直管党员的小区单独建立党支部；不足3名的联合建立；暂不具备条件的组建功能型党支部 --

S4_TABLE = {
    # (direct, others): answer — every boundary of d (0, 1, 2, 3) against o = 0, 1, many
    (0, 0): E.NONE,
    (0, 1): E.FUNCTIONAL,
    (0, 2): E.FUNCTIONAL,
    (0, 50): E.FUNCTIONAL,
    (1, 0): E.JOINT,
    (1, 1): E.JOINT,
    (1, 50): E.JOINT,
    (2, 0): E.JOINT,
    (2, 1): E.JOINT,
    (2, 50): E.JOINT,
    (3, 0): E.OWN,
    (3, 1): E.OWN,
    (3, 50): E.OWN,
    (4, 0): E.OWN,
    (120, 300): E.OWN,
}


@pytest.mark.parametrize(("counts", "answer"), S4_TABLE.items())
def test_s4_rule_table(counts, answer):
    assert rules.expected_branch(*counts) == answer


def test_s4_rule_on_every_small_combination():
    for direct, others in itertools.product(range(6), range(6)):
        answer = rules.expected_branch(direct, others)
        if direct >= 3:
            assert answer == E.OWN
        elif direct >= 1:
            assert answer == E.JOINT, (direct, others)
        elif others >= 1:
            assert answer == E.FUNCTIONAL
        else:
            assert answer == E.NONE


def test_other_members_never_make_up_for_direct_ones():
    """Retired, in-service, floating and paired-unit members do not count towards the three."""
    assert rules.expected_branch(2, 10_000) == E.JOINT
    assert rules.expected_branch(0, 10_000) == E.FUNCTIONAL


@pytest.mark.parametrize("counts", [(-1, 0), (0, -1), (-3, 5)])
def test_negative_counts_are_refused(counts):
    with pytest.raises(ValueError, match="negative"):
        rules.expected_branch(*counts)


def test_branch_kind_for_each_answer():
    assert rules.BRANCH_FOR == {
        E.OWN: OrgKind.COMPOUND_BRANCH,
        E.JOINT: OrgKind.JOINT_BRANCH,
        E.FUNCTIONAL: OrgKind.FUNCTIONAL_BRANCH,
    }


def test_assess_every_answer_against_every_kind():
    for expected, actual in itertools.product(E, [None, *OrgKind]):
        status = rules.assess(expected, actual)
        if actual is None:
            want = CoverageStatus.NO_MEMBERS if expected == E.NONE else CoverageStatus.MISSING
        elif expected == E.NONE or rules.BRANCH_FOR[expected] == actual:
            want = CoverageStatus.OK
        else:
            want = CoverageStatus.MISMATCH
        assert status == want, (expected, actual)
    assert rules.assess(E.OWN, "joint_branch") == CoverageStatus.MISMATCH
    assert rules.assess(E.JOINT, "compound_branch") == CoverageStatus.MISMATCH
    assert rules.assess(E.FUNCTIONAL, "functional_branch") == CoverageStatus.OK


@pytest.mark.parametrize(
    ("buildings", "flagged"), [(0, False), (1, False), (3, False), (5, False), (6, True), (7, True)]
)
def test_group_size_flag(buildings, flagged):
    assert rules.group_oversized(buildings) is flagged


# -- the shape of the tree ---------------------------------------------------------------------

K = OrgKind
EXPECTED_PARENTS = {
    K.DISTRICT_COMMITTEE: {None},
    K.STREET_COMMITTEE: {K.DISTRICT_COMMITTEE},
    K.COMMUNITY_COMMITTEE: {K.STREET_COMMITTEE},
    K.COMMUNITY_GENERAL_BRANCH: {K.STREET_COMMITTEE},
    K.COMMUNITY_BRANCH: {K.STREET_COMMITTEE},
    K.COMPOUND_BRANCH: {K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH},
    K.GRID_BRANCH: {K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH},
    K.JOINT_BRANCH: {K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH},
    K.FUNCTIONAL_BRANCH: {K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH},
    K.BUILDING_GROUP: {K.COMMUNITY_BRANCH, K.COMPOUND_BRANCH, K.GRID_BRANCH, K.JOINT_BRANCH, K.FUNCTIONAL_BRANCH},
}


def test_every_parent_child_pair():
    assert set(rules.ALLOWED_PARENTS) == set(OrgKind)
    for kind, parent in itertools.product(OrgKind, [None, *OrgKind]):
        assert rules.parent_allowed(kind, parent) == (parent in EXPECTED_PARENTS[kind]), (kind, parent)


def test_fixed_levels():
    assert rules.FIXED_LEVEL == {
        K.DISTRICT_COMMITTEE: OrgLevel.DISTRICT,
        K.STREET_COMMITTEE: OrgLevel.STREET,
        K.COMMUNITY_COMMITTEE: OrgLevel.COMMUNITY,
        K.COMMUNITY_GENERAL_BRANCH: OrgLevel.COMMUNITY,
        K.COMMUNITY_BRANCH: OrgLevel.COMMUNITY,
        K.GRID_BRANCH: OrgLevel.GRID,
        K.COMPOUND_BRANCH: OrgLevel.COMPOUND,
        K.JOINT_BRANCH: None,
        K.FUNCTIONAL_BRANCH: None,
        K.BUILDING_GROUP: None,
    }


@pytest.mark.parametrize(
    ("places", "level"),
    [
        ([], None),
        ([(1, 10, 100)], OrgLevel.COMPOUND),
        ([(1, 10, 100), (1, 10, 100)], OrgLevel.COMPOUND),
        ([(1, 10, 100), (1, 10, 101)], OrgLevel.GRID),
        ([(1, 10, 100), (1, 11, 101)], OrgLevel.COMMUNITY),
        ([(1, 10, 100), (2, 20, 200)], None),
    ],
)
def test_common_level(places, level):
    assert rules.common_level(places) == level


def test_who_may_be_a_member_of_what():
    assert set(OrgKind) - {K.DISTRICT_COMMITTEE, K.STREET_COMMITTEE, K.BUILDING_GROUP} == rules.MEMBER_ORG_KINDS


def test_roles_fit_organisations():
    for role, kind in itertools.product(PartyRoleKind, OrgKind):
        fits = rules.role_fits_organisation(role, kind)
        if role == PartyRoleKind.GROUP_LEADER:
            assert fits == (kind == K.BUILDING_GROUP)
        elif role in (PartyRoleKind.SECRETARY, PartyRoleKind.COMMITTEE_MEMBER):
            assert fits == (kind != K.BUILDING_GROUP)
        else:
            assert fits is False
    assert set(PartyRoleKind) == rules.ORG_ROLES | rules.BUILDING_ROLES | rules.COMPOUND_ROLES


# -- 双报到 ------------------------------------------------------------------------------------------


def test_report_transitions():
    allowed = {
        (ReportStatus.REPORTED, ReportStatus.CONFIRMED),
        (ReportStatus.REPORTED, ReportStatus.ENDED),
        (ReportStatus.CONFIRMED, ReportStatus.ENDED),
    }
    for current, target in itertools.product(ReportStatus, ReportStatus):
        assert rules.report_transition_allowed(current, target) == ((current, target) in allowed)


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        (["医疗"], ["医疗"]),
        (["医疗, 法律", "法律"], ["医疗", "法律"]),
        (["维修、教育，心理"], ["维修", "教育", "心理"]),
        (["", "  ", ","], []),
        (["很长的特长名称超过二十个字符的部分会被截断掉而不会保存"], ["很长的特长名称超过二十个字符的部分会被截"]),
    ],
)
def test_skills_are_normalised(raw, tags):
    assert rules.normalise_skills(raw) == tags
