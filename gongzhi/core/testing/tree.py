"""A small, fully valid territory built through the services, for tests.

Two streets, each with one community, one grid, one compound and one building; households
and residents in both. Geometry: rectangles in a local kilometre plane, as the demo uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import User
from gongzhi.accounts.services import assign_role, create_user
from gongzhi.demo.plan import rect_geojson
from gongzhi.population import services as population
from gongzhi.territory import services
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street


@dataclass
class Branch:
    street: Street
    community: Community
    grid: Grid
    compound: Compound
    building: Building


@dataclass
class Tree:
    district: District
    a: Branch
    b: Branch


def _branch(district, seq, x0, actor) -> Branch:
    street = services.create_node(
        Street,
        actor=actor,
        parent=district,
        name=f"测试{seq}街道",
        code=f"330199{seq:03d}000",
        geometry=rect_geojson((x0, 0, x0 + 2, 2)),
    )
    community = services.create_node(
        Community,
        actor=actor,
        parent=street,
        name=f"测试{seq}社区",
        code=f"330199{seq:03d}001",
        geometry=rect_geojson((x0, 0, x0 + 2, 2)),
    )
    grid = services.create_node(
        Grid,
        actor=actor,
        parent=community,
        name=f"测试{seq}社区第1网格",
        code=f"330199{seq:03d}001001",
        geometry=rect_geojson((x0, 0, x0 + 2, 2)),
    )
    compound = services.create_node(
        Compound,
        actor=actor,
        parent=grid,
        name=f"测试{seq}花园",
        code=f"330199{seq:03d}001-001",
        geometry=rect_geojson((x0 + 0.2, 0.2, x0 + 1.8, 1.8)),
        property_management="company",
        property_company="测试物业有限公司",
    )
    from gongzhi.demo.plan import to_lonlat

    lon, lat = to_lonlat(x0 + 1, 1)
    building = services.create_node(
        Building,
        actor=actor,
        parent=compound,
        name="1幢",
        code=f"330199{seq:03d}001-001-001",
        lon=lon,
        lat=lat,
        floors=6,
        units=2,
    )
    return Branch(street, community, grid, compound, building)


def build_tree(with_people: bool = True) -> Tree:
    district = services.create_node(
        District, actor=None, name="临江区", code="330199", geometry=rect_geojson((0, 0, 4, 2))
    )
    a = _branch(district, 1, 0, None)
    b = _branch(district, 2, 2, None)
    if with_people:
        for branch, (name, id_number) in ((a, ("张三", "330199198001010017")), (b, ("李四", "330199199002020035"))):
            household = population.create_household(actor=None, building=branch.building, room="1单元101室")
            population.create_resident(
                actor=None,
                household=household,
                name=name,
                gender="male",
                id_number=id_number,
                phone="13800001111",
            )
    return Tree(district, a, b)


def user_with(role: str | None, node=None, username: str | None = None) -> User:
    user = create_user(actor=None, username=username or f"u-{role}-{getattr(node, 'pk', 0)}", password="x-Passw0rd!")
    if role:
        assign_role(actor=None, user=user, role=role, node=node)
    return User.objects.get(pk=user.pk)


__all__ = ["Role", "Tree", "build_tree", "user_with"]
