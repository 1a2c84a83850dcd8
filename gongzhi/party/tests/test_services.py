"""Services: what they derive, what they refuse (in Chinese, keyed by field), what they audit,
and that nothing is written when they refuse."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from gongzhi.core.choices import ChangeAction
from gongzhi.core.models import ObjectChange
from gongzhi.party import services
from gongzhi.party.choices import MemberType, OrgKind, OrgLevel, PartyRoleKind, ReportStatus
from gongzhi.party.models import CentralHouseholdLink, PartyMember, PartyOrganisation, PartyRole, ReportIn
from gongzhi.population import services as population
from gongzhi.population.models import Household, Resident

from .conftest import add_building, add_compound

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 1)


def counts():
    return (
        PartyOrganisation.objects.count(),
        PartyMember.objects.count(),
        PartyRole.objects.count(),
        CentralHouseholdLink.objects.count(),
        ReportIn.objects.count(),
        ObjectChange.objects.count(),
    )


def refused(call, field, message):
    """The call raises a ValidationError on `field` with `message`, and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as exc:
        call()
    expected = message if isinstance(message, list) else [message]
    if field is None:
        assert exc.value.messages == expected
    else:
        assert exc.value.message_dict == {field: expected}
    assert counts() == before


def changes(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("pk")


# -- organisations ------------------------------------------------------------------------------


def test_anchor_keys_are_derived(world):
    t = world.tree
    branch = world.orgs["测试1花园党支部"]
    assert (branch.level, branch.district_id, branch.street_id, branch.community_id, branch.grid_id) == (
        OrgLevel.COMPOUND,
        t.district.pk,
        t.a.street.pk,
        t.a.community.pk,
        t.a.grid.pk,
    )
    assert branch.compound_id == t.a.compound.pk
    assert list(branch.compounds.all()) == [t.a.compound]
    community = world.orgs["社区a"]
    assert (community.level, community.community_id, community.grid_id, community.compound_id) == (
        OrgLevel.COMMUNITY,
        t.a.community.pk,
        None,
        None,
    )
    joint = world.orgs["联合党支部"]  # three compounds of one grid
    assert (joint.level, joint.grid_id, joint.compound_id) == (OrgLevel.GRID, t.a.grid.pk, None)
    group = world.orgs["联合第一党小组"]  # buildings in two compounds of that grid
    assert (group.level, group.grid_id) == (OrgLevel.GRID, t.a.grid.pk)
    assert world.orgs["测试1花园第一党小组"].level == OrgLevel.COMPOUND


def test_create_is_audited_with_coverage_and_scope(world, people):
    joint = world.orgs["联合党支部"]
    (change,) = changes(joint)
    assert change.action == ChangeAction.CREATE
    assert change.postchange_data["compounds"] == sorted(
        [world.compounds["三号院"].pk, world.compounds["四号院"].pk, world.compounds["七号院"].pk]
    )
    assert change.postchange_data["kind"] == "joint_branch"
    assert (change.district_id, change.street_id, change.community_id, change.grid_id) == (
        world.tree.district.pk,
        world.tree.a.street.pk,
        world.tree.a.community.pk,
        world.tree.a.grid.pk,
    )
    (group_change,) = changes(world.orgs["测试1花园第一党小组"])
    assert len(group_change.postchange_data["buildings"]) == 6


def test_unknown_kind(world):
    refused(
        lambda: services.create_organisation(actor=None, kind="cell", name="x", parent=world.orgs["社区a"]),
        "kind",
        "未知的组织类型：cell",
    )


def test_tree_shape_is_enforced(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.COMPOUND_BRANCH,
            name="x",
            parent=world.orgs["街道a"],
            node=world.compounds["五号院"],
        ),
        "parent",
        "“中共测试1街道工作委员会”（街道党工委）下不能设立小区党支部。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None, kind=OrgKind.STREET_COMMITTEE, name="x", node=world.tree.a.street
        ),
        "parent",
        "街道党工委必须指定上级组织。",
    )


def test_node_must_match_the_kind(world):
    refused(
        lambda: services.create_organisation(
            actor=None, kind=OrgKind.GRID_BRANCH, name="x", parent=world.orgs["社区a"], node=world.tree.a.community
        ),
        "node",
        "网格党支部应对应一个网格。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.JOINT_BRANCH,
            name="x",
            parent=world.orgs["社区a"],
            node=world.tree.a.grid,
            compounds=[world.compounds["五号院"], world.compounds["六号院"]],
        ),
        "node",
        "联合党支部的位置由其覆盖范围决定，不能另行指定。",
    )


def test_anchor_inside_parent(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.COMMUNITY_COMMITTEE,
            name="x",
            parent=world.orgs["街道a"],
            node=world.tree.b.community,
        ),
        "parent",
        "所覆盖的区域不在上级组织“中共测试1街道工作委员会”的范围内。",
    )


def test_one_organisation_per_community(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.COMMUNITY_GENERAL_BRANCH,
            name="x",
            parent=world.orgs["街道a"],
            node=world.tree.a.community,
        ),
        "node",
        "“测试1社区”已有党组织“中共测试1社区委员会”。",
    )


def test_one_branch_per_compound(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.FUNCTIONAL_BRANCH,
            name="x",
            parent=world.orgs["社区a"],
            compounds=[world.compounds["七号院"]],
        ),
        "compounds",
        "小区“七号院”已由“三号院联合党支部”覆盖，一个小区只设一个党支部。",
    )


def test_joint_branch_needs_two_compounds_of_one_community(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.JOINT_BRANCH,
            name="x",
            parent=world.orgs["社区a"],
            compounds=[world.compounds["五号院"]],
        ),
        "compounds",
        "联合党支部至少覆盖 2 个小区。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.JOINT_BRANCH,
            name="x",
            parent=world.orgs["社区a"],
            compounds=[world.compounds["五号院"], world.tree.b.compound],
        ),
        "compounds",
        "联合党支部覆盖的范围须在同一个社区内。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.COMPOUND_BRANCH,
            name="x",
            parent=world.orgs["社区a"],
            compounds=[world.compounds["五号院"], world.compounds["六号院"]],
        ),
        "compounds",
        "小区党支部覆盖且只覆盖 1 个小区。",
    )


def test_group_buildings_inside_the_branch_and_only_once(world):
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.BUILDING_GROUP,
            name="x",
            parent=world.orgs["二号院党支部"],
            buildings=[world.buildings["五号院1幢"]],
        ),
        "buildings",
        "楼栋五号院1幢不在上级组织“二号院党支部”覆盖的小区内。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None,
            kind=OrgKind.BUILDING_GROUP,
            name="x",
            parent=world.orgs["测试1花园党支部"],
            buildings=[world.buildings["测试1花园7幢"], world.buildings["测试1花园6幢"]],
        ),
        "buildings",
        "楼栋“测试1花园6幢”已属于党小组“测试1花园第一党小组”。",
    )
    refused(
        lambda: services.create_organisation(
            actor=None, kind=OrgKind.BUILDING_GROUP, name="x", parent=world.orgs["测试1花园党支部"]
        ),
        "buildings",
        "楼栋党小组至少覆盖 1 个楼栋。",
    )


def test_a_functional_branch_of_a_whole_community(world):
    org = services.create_organisation(
        actor=None, kind=OrgKind.FUNCTIONAL_BRANCH, name="流动党员功能型党支部", parent=world.orgs["社区a"]
    )
    assert (org.level, org.community_id, list(org.compounds.all())) == (
        OrgLevel.COMMUNITY,
        world.tree.a.community.pk,
        [],
    )


def test_update_renames_and_recovers(world):
    joint = world.orgs["联合党支部"]
    services.update_organisation(joint, actor=None, name="  三号院等联合党支部 ")
    joint.refresh_from_db()
    assert joint.name == "三号院等联合党支部"
    change = changes(joint).last()
    assert change.action == ChangeAction.UPDATE
    assert change.diff == {"name": ("三号院联合党支部", "三号院等联合党支部")}


def test_update_coverage_keeps_members_and_groups_inside(world):
    joint = world.orgs["联合党支部"]
    refused(
        lambda: services.update_organisation(
            joint, actor=None, compounds=[world.compounds["三号院"], world.compounds["七号院"]]
        ),
        "compounds",
        [
            "党小组“三号院第一党小组”的楼栋四号院1幢将不在本支部覆盖的小区内。",
            "党员丁1、丁2居住的小区将不在本支部覆盖范围内。",
        ],
    )
    assert sorted(c.name for c in joint.compounds.all()) == ["七号院", "三号院", "四号院"]
    refused(
        lambda: services.update_organisation(joint, actor=None, kind=OrgKind.FUNCTIONAL_BRANCH),
        None,
        "不能修改这些字段：kind",
    )


def test_update_coverage_audits_before_and_after(world):
    compound = add_compound(world.tree, "九号院", 9)
    add_building(compound, 1)
    joint = world.orgs["联合党支部"]
    wanted = [world.compounds["三号院"], world.compounds["四号院"], world.compounds["七号院"], compound]
    services.update_organisation(joint, actor=None, compounds=wanted)
    change = changes(joint).last()
    assert len(change.prechange_data["compounds"]) == 3
    assert change.postchange_data["compounds"] == sorted(c.pk for c in wanted)


# -- members --------------------------------------------------------------------------------------


def test_member_from_a_resident(world):
    resident = Resident.objects.get(name="张三")
    member = services.create_member(
        actor=None,
        member_type=MemberType.RETIRED,
        resident=resident,
        phone="138 0000 5678",
        organisation=world.orgs["测试1花园党支部"],
    )
    member = PartyMember.objects.get(pk=member.pk)
    t = world.tree
    assert (member.name, member.gender, member.building_id, member.compound_id, member.grid_id) == (
        "张三",
        "male",
        t.a.building.pk,
        t.a.compound.pk,
        t.a.grid.pk,
    )
    assert (member.community_id, member.street_id, member.district_id) == (
        t.a.community.pk,
        t.a.street.pk,
        t.district.pk,
    )
    assert member.phone == "13800005678" and member.phone_masked == "138****5678"
    assert PartyMember.objects.filter(phone_hash__isnull=False).exclude(phone_hash="").count() == 1
    (change,) = changes(member)
    assert change.postchange_data["phone"] == "***"
    assert "phone_hash" not in change.postchange_data
    assert change.community_id == t.a.community.pk and change.grid_id == t.a.grid.pk


def test_member_refusals(world):
    resident = Resident.objects.get(name="张三")
    building = world.buildings["五号院1幢"]
    refused(
        lambda: services.create_member(
            actor=None, name="王五", gender="male", member_type=MemberType.IN_SERVICE, building=building
        ),
        "workplace",
        "在职党员和结对单位党员须填写工作单位。",
    )
    refused(
        lambda: services.create_member(actor=None, name="王五", gender="male", member_type=MemberType.DIRECT),
        "community",
        "请填写居住楼栋或所在社区。",
    )
    refused(
        lambda: services.create_member(
            actor=None, name="王五", gender="male", member_type=MemberType.DIRECT, building=building, phone="12345"
        ),
        "phone",
        "电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。",
    )
    refused(
        lambda: services.create_member(
            actor=None,
            name="王五",
            gender="male",
            member_type=MemberType.DIRECT,
            building=building,
            organisation=world.orgs["二号院党支部"],
        ),
        "organisation",
        "该党员居住在“五号院”，不在“二号院党支部”的覆盖范围内。",
    )
    refused(
        lambda: services.create_member(
            actor=None,
            name="王五",
            gender="male",
            member_type=MemberType.DIRECT,
            building=building,
            organisation=world.orgs["二号院第一党小组"],
        ),
        "organisation",
        "党员不能直接编入楼栋党小组，请编入党支部或社区党组织。",
    )
    refused(
        lambda: services.create_member(
            actor=None,
            name="王五",
            gender="male",
            member_type=MemberType.DIRECT,
            building=building,
            organisation=world.orgs["社区b"],
        ),
        "organisation",
        "“中共测试2社区委员会”不在该党员所在的社区。",
    )
    refused(
        lambda: services.create_member(actor=None, name="李四", member_type=MemberType.DIRECT, resident=resident),
        "name",
        "姓名应与居民档案一致（张三）。",
    )
    services.create_member(actor=None, member_type=MemberType.DIRECT, resident=resident)
    refused(
        lambda: services.create_member(actor=None, member_type=MemberType.DIRECT, resident=resident),
        "resident",
        "该居民已登记为党员。",
    )


def test_moving_house_moves_the_keys(world):
    member = world.members["戊1"]
    moved = services.update_member(member, actor=None, building=world.tree.b.building, organisation=world.orgs["社区b"])
    assert (moved.compound_id, moved.grid_id, moved.community_id, moved.street_id) == (
        world.tree.b.compound.pk,
        world.tree.b.grid.pk,
        world.tree.b.community.pk,
        world.tree.b.street.pk,
    )
    change = changes(member).last()
    assert change.diff["community_id"] == (world.tree.a.community.pk, world.tree.b.community.pk)
    assert change.community_id == world.tree.b.community.pk


# -- roles and central households ---------------------------------------------------------------------


def test_roles(world):
    secretary = PartyRole.objects.get(role=PartyRoleKind.SECRETARY, organisation=world.orgs["测试1花园党支部"])
    assert secretary.member.name == "甲4"
    (change,) = changes(secretary)
    assert change.community_id == world.tree.a.community.pk
    # the same role again is a no-op without an audit row
    before = counts()
    again = services.assign_party_role(
        actor=None,
        member=world.members["甲4"],
        role=PartyRoleKind.SECRETARY,
        organisation=world.orgs["测试1花园党支部"],
    )
    assert again.pk == secretary.pk and counts() == before
    # a community committee's secretary may come from any branch below it
    services.assign_party_role(
        actor=None, member=world.members["乙1"], role=PartyRoleKind.SECRETARY, organisation=world.orgs["社区a"]
    )
    services.assign_party_role(
        actor=None,
        member=world.members["乙2"],
        role=PartyRoleKind.GROUP_LEADER,
        organisation=world.orgs["二号院第一党小组"],
    )
    services.assign_party_role(
        actor=None, member=world.members["甲2"], role=PartyRoleKind.RED_STEWARD, compound=world.tree.a.compound
    )
    services.assign_party_role(
        actor=None,
        member=world.members["甲3"],
        role=PartyRoleKind.BUILDING_HEAD,
        building=world.buildings["测试1花园2幢"],
    )


def test_role_refusals(world):
    m = world.members
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["甲1"], role=PartyRoleKind.SECRETARY, organisation=world.orgs["测试1花园党支部"]
        ),
        "organisation",
        "“测试1花园党支部”已有书记甲4。",
    )
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["乙1"], role=PartyRoleKind.COMMITTEE_MEMBER, organisation=world.orgs["测试1花园党支部"]
        ),
        "member",
        "乙1不是“测试1花园党支部”的党员。",
    )
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["甲1"], role=PartyRoleKind.GROUP_LEADER, organisation=world.orgs["二号院第一党小组"]
        ),
        "member",
        "甲1不是“二号院第一党小组”的党员。",
    )
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["甲1"], role=PartyRoleKind.GROUP_LEADER, organisation=world.orgs["测试1花园党支部"]
        ),
        "role",
        "小区党支部不设党小组长。",
    )
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["甲1"], role=PartyRoleKind.CENTRAL_HOUSEHOLD, building=world.buildings["测试1花园2幢"]
        ),
        "building",
        "党员中心户应为居住在本楼栋的党员。",
    )
    refused(
        lambda: services.assign_party_role(
            actor=None, member=m["甲1"], role=PartyRoleKind.BUILDING_HEAD, building=world.tree.b.building
        ),
        "building",
        "楼栋应在该党员所在的社区。",
    )
    refused(
        lambda: services.assign_party_role(actor=None, member=m["甲1"], role=PartyRoleKind.SECRETARY),
        "organisation",
        "书记须对应一个党组织。",
    )
    refused(
        lambda: services.assign_party_role(actor=None, member=m["甲1"], role="mayor"),
        "role",
        "未知的职务：mayor",
    )


def households_of(building):
    return list(Household.objects.filter(building=building).order_by("room"))


def test_linked_households(world):
    member = world.members["甲1"]
    building = world.buildings["测试1花园1幢"]
    first = households_of(building)
    others = households_of(world.buildings["测试1花园2幢"]) + households_of(world.buildings["二号院1幢"])
    links = services.set_linked_households(actor=None, member=member, households=first + others)
    assert sorted(link.household_id for link in links) == sorted(h.pk for h in first + others)
    assert ObjectChange.objects.filter(content_type__model="centralhouseholdlink", action="create").count() == 4
    # replace: keep one, drop three, add none
    services.set_linked_households(actor=None, member=member, households=first[:1])
    assert list(CentralHouseholdLink.objects.filter(member=member).values_list("household_id", flat=True)) == [
        first[0].pk
    ]
    assert ObjectChange.objects.filter(content_type__model="centralhouseholdlink", action="delete").count() == 3


def test_linked_household_refusals(world):
    member = world.members["甲1"]
    refused(
        lambda: services.set_linked_households(
            actor=None, member=world.members["甲2"], households=households_of(world.buildings["测试1花园1幢"])
        ),
        "member",
        "只有党员中心户才能联系住户。",
    )
    refused(
        lambda: services.set_linked_households(actor=None, member=member, households=[]),
        "households",
        "一名党员中心户联系 1 至 15 户。",
    )
    building = world.buildings["测试1花园7幢"]
    many = [population.create_household(actor=None, building=building, room=f"2单元{i:02d}室") for i in range(16)]
    refused(
        lambda: services.set_linked_households(actor=None, member=member, households=many),
        "households",
        "一名党员中心户联系 1 至 15 户。",
    )
    outside = households_of(world.tree.b.building)
    refused(
        lambda: services.set_linked_households(actor=None, member=member, households=outside),
        "households",
        f"住户{outside[0]}不在该中心户所在楼栋的网格内。",
    )
    taken = households_of(world.buildings["二号院1幢"])
    services.set_linked_households(actor=None, member=world.members["乙1"], households=taken)
    refused(
        lambda: services.set_linked_households(actor=None, member=member, households=taken),
        "households",
        f"住户{taken[0]}已由党员中心户乙1联系。",
    )


def test_removing_a_central_household_removes_its_links(world):
    member = world.members["甲1"]
    services.set_linked_households(actor=None, member=member, households=households_of(world.buildings["测试1花园1幢"]))
    role = PartyRole.objects.get(member=member, role=PartyRoleKind.CENTRAL_HOUSEHOLD)
    services.remove_party_role(actor=None, party_role=role)
    assert not CentralHouseholdLink.objects.filter(member=member).exists()
    assert not PartyRole.objects.filter(pk=role.pk).exists()
    assert changes(role).last().action == ChangeAction.DELETE


# -- 双报到 -----------------------------------------------------------------------------------------


def test_report_in(world):
    member = world.members["戊1"]  # in-service, lives in 五号院
    report = services.report_in(actor=None, member=member, reported_on=TODAY, skills=["医疗", "法律、医疗", " "])
    report.refresh_from_db()
    assert (report.community_id, report.grid_id, report.street_id, report.skills, report.status) == (
        world.tree.a.community.pk,
        world.tree.a.grid.pk,
        world.tree.a.street.pk,
        "医疗,法律",
        ReportStatus.REPORTED,
    )
    assert report.skill_list == ["医疗", "法律"]
    assert changes(report).get().community_id == world.tree.a.community.pk
    refused(
        lambda: services.report_in(actor=None, member=member, reported_on=TODAY),
        "member",
        "该党员已向本社区报到，不能重复报到。",
    )
    services.change_report_status(report, actor=None, status=ReportStatus.CONFIRMED)
    services.change_report_status(report, actor=None, status=ReportStatus.ENDED)
    refused(
        lambda: services.change_report_status(report, actor=None, status=ReportStatus.CONFIRMED),
        "status",
        "不能从“已结束”改为“已确认”。",
    )
    again = services.report_in(actor=None, member=member, reported_on=TODAY + datetime.timedelta(days=1))
    assert again.status == ReportStatus.REPORTED


def test_report_in_refusals(world):
    refused(
        lambda: services.report_in(actor=None, member=world.members["甲1"], reported_on=TODAY),
        "member",
        "只有在职党员需要到居住地社区报到（双报到）。",
    )
    refused(
        lambda: services.report_in(
            actor=None, member=world.members["戊1"], reported_on=TODAY, community=world.tree.b.community
        ),
        "community",
        "在职党员应向居住地所在社区报到。",
    )
    report = services.report_in(actor=None, member=world.members["戊1"], reported_on=TODAY)
    refused(
        lambda: services.change_report_status(report, actor=None, status="lost"),
        "status",
        "未知的状态：lost",
    )
