"""Coverage on the hand-made world (conftest.py table): exact answers, scope, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.party import services
from gongzhi.party.choices import CoverageStatus, ExpectedBranch, MemberType, OrgKind
from gongzhi.party.coverage import compute, coverage_for, party_scoped
from gongzhi.territory.models import Compound

from .conftest import World, add_building, add_compound, add_members

pytestmark = pytest.mark.django_db


def rows(coverage):
    return {r.name: (r.direct, r.others, r.expected, r.organisation_kind or None, r.status) for r in coverage.compounds}


def test_compounds_against_the_rule(world):
    coverage = compute(Compound.objects.filter(community=world.tree.a.community))
    assert rows(coverage) == {
        "测试1花园": (3, 1, ExpectedBranch.OWN, OrgKind.COMPOUND_BRANCH, CoverageStatus.OK),
        "二号院": (3, 0, ExpectedBranch.OWN, OrgKind.COMPOUND_BRANCH, CoverageStatus.OK),
        "三号院": (2, 0, ExpectedBranch.JOINT, OrgKind.JOINT_BRANCH, CoverageStatus.OK),
        "四号院": (1, 1, ExpectedBranch.JOINT, OrgKind.JOINT_BRANCH, CoverageStatus.OK),
        "五号院": (0, 2, ExpectedBranch.FUNCTIONAL, None, CoverageStatus.MISSING),
        "六号院": (0, 0, ExpectedBranch.NONE, None, CoverageStatus.NO_MEMBERS),
        "七号院": (4, 0, ExpectedBranch.OWN, OrgKind.JOINT_BRANCH, CoverageStatus.MISMATCH),
    }
    joint = world.orgs["联合党支部"]
    assert {r.name: r.organisation_id for r in coverage.compounds if r.organisation_kind == OrgKind.JOINT_BRANCH} == {
        "三号院": joint.pk,
        "四号院": joint.pk,
        "七号院": joint.pk,
    }


def test_buildings_and_groups(world):
    coverage = compute(Compound.objects.filter(community=world.tree.a.community))
    assert [f"{b.compound_name}{b.name}" for b in coverage.buildings_without_group] == [
        "测试1花园7幢",
        "五号院1幢",
        "六号院1幢",
        "七号院1幢",
    ]
    assert sorted(f"{b.compound_name}{b.name}" for b in coverage.buildings if b.central_households) == [
        "三号院1幢",
        "二号院1幢",
        "测试1花园1幢",
    ]
    assert [(g.name, g.buildings, g.parent_name) for g in coverage.oversized_groups] == [
        ("测试1花园第一党小组", 6, "测试1花园党支部")
    ]
    first = next(b for b in coverage.buildings if b.id == world.buildings["测试1花园1幢"].pk)
    assert (first.households, first.central_households, first.group_id) == (
        2,
        1,
        world.orgs["测试1花园第一党小组"].pk,
    )


def test_summary_and_per_community(world):
    coverage = compute(Compound.objects.all())
    assert coverage.summary == {
        "compounds": 8,
        "compounds_with_members": 6,
        "compounds_covered": 5,
        "coverage_rate": 83.3,
        "compounds_ok": 4,
        "compounds_missing": 1,
        "compounds_mismatch": 1,
        "compounds_without_members": 2,
        "buildings": 14,
        "buildings_without_group": 5,
        "buildings_without_central_household": 11,
        "oversized_groups": 1,
    }
    assert coverage.gap_count == 1 + 1 + 2 + 5 + 11 + 1
    a, b = coverage.communities
    assert (a.name, a.compounds, a.ok, a.missing, a.mismatch, a.no_members) == ("测试1社区", 7, 4, 1, 1, 1)
    assert (a.buildings, a.without_group, a.without_central_household, a.oversized_groups, a.gaps) == (
        13,
        4,
        10,
        1,
        18,
    )
    assert (b.name, b.compounds, b.no_members, b.buildings, b.without_group, b.gaps) == ("测试2社区", 1, 1, 1, 1, 3)


def test_unoccupied_and_empty_buildings_are_not_counted(world):
    coverage = compute(Compound.objects.filter(community=world.tree.a.community))
    assert "八号院" not in rows(coverage)
    assert "二号院2幢" not in {f"{b.compound_name}{b.name}" for b in coverage.buildings}


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ([MemberType.PAIRED_UNIT], ExpectedBranch.FUNCTIONAL),
        ([MemberType.RETIRED, MemberType.IN_SERVICE, MemberType.FLOATING, MemberType.PAIRED_UNIT] * 3, "functional"),
        ([MemberType.DIRECT] + [MemberType.RETIRED] * 9, ExpectedBranch.JOINT),
        ([MemberType.DIRECT] * 2 + [MemberType.IN_SERVICE] * 20, ExpectedBranch.JOINT),
        ([MemberType.DIRECT] * 3, ExpectedBranch.OWN),
        ([MemberType.DIRECT] * 3 + [MemberType.FLOATING], ExpectedBranch.OWN),
    ],
)
def test_mixed_member_types_only_direct_ones_count_towards_a_branch(tree, types, expected):
    compound = add_compound(tree, "混合小区", 20)
    building = add_building(compound, 1)
    add_members(World(tree), building, "混", types)
    (row,) = compute(Compound.objects.filter(pk=compound.pk)).compounds
    assert row.expected == expected
    assert (row.direct, row.others) == (types.count(MemberType.DIRECT), len(types) - types.count(MemberType.DIRECT))


def test_members_living_elsewhere_do_not_count(tree):
    compound = add_compound(tree, "空小区", 21)
    add_building(compound, 1)
    services.create_member(
        actor=None,
        name="外单位",
        gender="male",
        member_type=MemberType.PAIRED_UNIT,
        workplace="临江城投集团",
        community=tree.a.community,
    )
    (row,) = compute(Compound.objects.filter(pk=compound.pk)).compounds
    assert (row.direct, row.others, row.status) == (0, 0, CoverageStatus.NO_MEMBERS)


def test_scope(world):
    worker_b = user_with(Role.COMMUNITY_WORKER, world.tree.b.community, "cw-b")
    assert [r.name for r in coverage_for(worker_b).compounds] == ["测试2花园"]
    grid_worker = user_with(Role.GRID_WORKER, world.tree.a.grid, "gw-a")
    assert len(coverage_for(grid_worker).compounds) == 7
    dispatcher = user_with(Role.DISPATCHER, world.tree.a.street, "disp")
    assert coverage_for(dispatcher).compounds == []
    assert coverage_for(worker_b, community=world.tree.b.community).summary["compounds"] == 1
    head = user_with(Role.BUILDING_HEAD, world.tree.a.building, "head")
    assert list(party_scoped(Compound.objects.all(), head)) == []


def test_queries_do_not_grow_with_the_scope(world):
    small = Compound.objects.filter(pk=world.compounds["二号院"].pk)
    with CaptureQueriesContext(connection) as one:
        compute(small)
    with CaptureQueriesContext(connection) as all_:
        compute(Compound.objects.all())
    assert len(one.captured_queries) == len(all_.captured_queries) == 7
