"""A hand-made party world with known coverage answers, built through the services.

Community A (tree.a) gets seven occupied compounds in its grid and one not yet occupied:

| compound | members living there        | S4 asks     | organisation            | status     |
|----------|-----------------------------|-------------|-------------------------|------------|
| 测试1花园 | 3 direct, 1 retired         | own branch  | 测试1花园党支部          | ok         |
| 二号院    | 3 direct                    | own branch  | 二号院党支部             | ok         |
| 三号院    | 2 direct                    | joint       | 三号院联合党支部 (with 四号院, 七号院) | ok |
| 四号院    | 1 direct, 1 retired         | joint       | the joint branch        | ok         |
| 五号院    | 1 in-service, 1 floating    | functional  | none                    | missing    |
| 六号院    | none                        | none        | none                    | no_members |
| 七号院    | 4 direct                    | own branch  | the joint branch        | mismatch   |
| 八号院    | (not occupied)              | —           | —                       | not counted |

Buildings with households: 测试1花园 1幢–7幢, and one in each other occupied compound (13).
Party groups: 测试1花园第一党小组 over 1幢–6幢 (six: oversized), 二号院第一党小组, and a group
of the joint branch over 三号院 and 四号院. Central households in 测试1花园1幢, 二号院 and 三号院.
So: 4 buildings without a group (测试1花园7幢, 五号院, 六号院, 七号院), 10 without a central
household, 1 oversized group. Community B has its committee and one compound with no members.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import Tree, user_with
from gongzhi.demo.plan import to_lonlat
from gongzhi.party import services
from gongzhi.party.choices import MemberType, OrgKind, PartyRoleKind
from gongzhi.party.models import PartyMember, PartyOrganisation
from gongzhi.population import services as population
from gongzhi.territory import services as territory
from gongzhi.territory.models import Building, Compound


@dataclass
class World:
    tree: Tree
    orgs: dict[str, PartyOrganisation] = field(default_factory=dict)
    compounds: dict[str, Compound] = field(default_factory=dict)
    buildings: dict[str, Building] = field(default_factory=dict)
    members: dict[str, PartyMember] = field(default_factory=dict)


def add_compound(tree: Tree, name: str, seq: int, occupied: bool = True) -> Compound:
    return territory.create_node(
        Compound,
        actor=None,
        parent=tree.a.grid,
        name=name,
        code=f"330199001001-{seq:03d}",
        property_management="none",
        is_occupied=occupied,
    )


def add_building(compound: Compound, seq: int, households: int = 1, x: float = 1.0) -> Building:
    lon, lat = to_lonlat(x, 1.0 + seq * 0.01)
    building = territory.create_node(
        Building, actor=None, parent=compound, name=f"{seq}幢", code=f"{compound.code}-{seq:03d}", lon=lon, lat=lat
    )
    for i in range(households):
        population.create_household(actor=None, building=building, room=f"1单元{i + 1:02d}室")
    return building


def add_members(world: World, building: Building, prefix: str, types: list[str]) -> list[PartyMember]:
    made = []
    for i, member_type in enumerate(types, start=1):
        member = services.create_member(
            actor=None,
            name=f"{prefix}{i}",
            gender="male" if i % 2 else "female",
            member_type=member_type,
            building=building,
            workplace="临江区人民医院" if member_type in (MemberType.IN_SERVICE, MemberType.PAIRED_UNIT) else "",
        )
        world.members[member.name] = member
        made.append(member)
    return made


def build_world(tree: Tree) -> World:
    w = World(tree)
    d, s = MemberType.DIRECT, MemberType.RETIRED
    w.orgs["区委"] = services.create_organisation(
        actor=None, kind=OrgKind.DISTRICT_COMMITTEE, name="中共临江区委员会", node=tree.district
    )
    for key, branch in (("a", tree.a), ("b", tree.b)):
        w.orgs[f"街道{key}"] = services.create_organisation(
            actor=None,
            kind=OrgKind.STREET_COMMITTEE,
            name=f"中共{branch.street.name}工作委员会",
            parent=w.orgs["区委"],
            node=branch.street,
        )
        w.orgs[f"社区{key}"] = services.create_organisation(
            actor=None,
            kind=OrgKind.COMMUNITY_COMMITTEE,
            name=f"中共{branch.community.name}委员会",
            parent=w.orgs[f"街道{key}"],
            node=branch.community,
        )
    c1 = w.compounds["测试1花园"] = tree.a.compound
    w.buildings["测试1花园1幢"] = tree.a.building
    population.create_household(actor=None, building=tree.a.building, room="1单元102室")  # 2 households
    for i in range(2, 8):
        w.buildings[f"测试1花园{i}幢"] = add_building(c1, i, x=0.3 + i * 0.15)
    names = ["二号院", "三号院", "四号院", "五号院", "六号院", "七号院"]
    for seq, name in enumerate(names, start=2):
        w.compounds[name] = add_compound(tree, name, seq)
        w.buildings[f"{name}1幢"] = add_building(w.compounds[name], 1, x=0.3 + seq * 0.2)
    w.buildings["二号院2幢"] = add_building(w.compounds["二号院"], 2, households=0, x=0.5)
    w.compounds["八号院"] = add_compound(tree, "八号院", 8, occupied=False)
    add_building(w.compounds["八号院"], 1, households=0, x=1.9)

    community = w.orgs["社区a"]
    w.orgs["测试1花园党支部"] = services.create_organisation(
        actor=None, kind=OrgKind.COMPOUND_BRANCH, name="测试1花园党支部", parent=community, node=c1
    )
    w.orgs["二号院党支部"] = services.create_organisation(
        actor=None,
        kind=OrgKind.COMPOUND_BRANCH,
        name="二号院党支部",
        parent=community,
        compounds=[w.compounds["二号院"]],
    )
    w.orgs["联合党支部"] = services.create_organisation(
        actor=None,
        kind=OrgKind.JOINT_BRANCH,
        name="三号院联合党支部",
        parent=community,
        compounds=[w.compounds["三号院"], w.compounds["四号院"], w.compounds["七号院"]],
    )
    w.orgs["测试1花园第一党小组"] = services.create_organisation(
        actor=None,
        kind=OrgKind.BUILDING_GROUP,
        name="测试1花园第一党小组",
        parent=w.orgs["测试1花园党支部"],
        buildings=[w.buildings[f"测试1花园{i}幢"] for i in range(1, 7)],
    )
    w.orgs["二号院第一党小组"] = services.create_organisation(
        actor=None,
        kind=OrgKind.BUILDING_GROUP,
        name="二号院第一党小组",
        parent=w.orgs["二号院党支部"],
        buildings=[w.buildings["二号院1幢"]],
    )
    w.orgs["联合第一党小组"] = services.create_organisation(
        actor=None,
        kind=OrgKind.BUILDING_GROUP,
        name="三号院第一党小组",
        parent=w.orgs["联合党支部"],
        buildings=[w.buildings["三号院1幢"], w.buildings["四号院1幢"]],
    )

    def members(building_key: str, prefix: str, types: list[str], org_key: str | None) -> list[PartyMember]:
        made = add_members(w, w.buildings[building_key], prefix, types)
        if org_key:
            made = [services.update_member(m, actor=None, organisation=w.orgs[org_key]) for m in made]
            w.members.update({m.name: m for m in made})
        return made

    members("测试1花园1幢", "甲", [d, d, d, s], "测试1花园党支部")
    members("二号院1幢", "乙", [d, d, d], "二号院党支部")
    members("三号院1幢", "丙", [d, d], "联合党支部")
    members("四号院1幢", "丁", [d, s], "联合党支部")
    members("五号院1幢", "戊", [MemberType.IN_SERVICE, MemberType.FLOATING], "社区a")
    members("七号院1幢", "庚", [d, d, d, d], "联合党支部")
    for name in ("甲1", "乙1", "丙1"):
        member = PartyMember.objects.get(name=name)
        services.assign_party_role(
            actor=None, member=member, role=PartyRoleKind.CENTRAL_HOUSEHOLD, building=member.building
        )
    services.assign_party_role(
        actor=None, member=w.members["甲4"], role=PartyRoleKind.SECRETARY, organisation=w.orgs["测试1花园党支部"]
    )
    for key in w.members:
        w.members[key].refresh_from_db()
    return w


@pytest.fixture
def world(tree) -> World:
    return build_world(tree)


@pytest.fixture
def people(tree):
    return {
        "in_scope": user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"),
        "out_of_scope": user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b"),
        "no_role": user_with(Role.DISPATCHER, tree.a.street, "dispatcher-a"),
    }
