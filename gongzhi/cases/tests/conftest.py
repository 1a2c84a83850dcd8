"""Fixtures for the cases tests: the test territory with handling bodies and the people who use them."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from gongzhi.accounts.choices import Role
from gongzhi.cases import services
from gongzhi.cases.choices import BodyKind, Channel, Tier
from gongzhi.cases.models import HandlingBody
from gongzhi.core.testing.tree import user_with

SH = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-12-01 10:00 China time: a working day, inside office hours
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SH)


@dataclass
class Desk:
    tree: object
    property_company: HandlingBody
    mediation: HandlingBody
    committee: HandlingBody
    social_work: HandlingBody
    service_centre: HandlingBody
    enforcement: HandlingBody
    police: HandlingBody
    construction: HandlingBody
    department: HandlingBody
    other_street_body: HandlingBody
    dispatcher: object
    dispatcher2: object
    community_worker: object
    grid_worker: object
    handler: object
    mediator: object
    officer: object
    resident: object
    outsider: object  # a dispatcher of the other street
    nobody: object  # signed in, no role


def body(name, kind, tier, node, members=(), compounds=()):
    fields = {"district": node.district if tier != Tier.DISTRICT else node}
    if tier in (Tier.STREET, Tier.COMMUNITY, Tier.GRID):
        fields["street"] = node if tier == Tier.STREET else node.street
    if tier in (Tier.COMMUNITY, Tier.GRID):
        fields["community"] = node if tier == Tier.COMMUNITY else node.community
    if tier == Tier.GRID:
        fields["grid"] = node
    b = HandlingBody.objects.create(name=name, kind=kind, tier=tier, **fields)
    b.members.set(members)
    b.compounds.set(compounds)
    return b


@pytest.fixture
def desk(tree):
    a, b = tree.a, tree.b
    handler = user_with(None, username="wuye")
    mediator = user_with(None, username="tiaojie")
    officer = user_with(Role.HANDLER, a.street, "chengguan")
    community_worker = user_with(Role.COMMUNITY_WORKER, a.community, "shegong")
    services.clear_caches()
    return Desk(
        tree=tree,
        property_company=body(
            "测试物业有限公司", BodyKind.PROPERTY_COMPANY, Tier.COMMUNITY, a.community, [handler], [a.compound]
        ),
        mediation=body("测试1社区人民调解委员会", BodyKind.MEDIATION, Tier.COMMUNITY, a.community, [mediator]),
        committee=body(
            "测试1社区居委会", BodyKind.RESIDENTS_COMMITTEE, Tier.COMMUNITY, a.community, [community_worker]
        ),
        social_work=body("测试1社区社工站", BodyKind.SOCIAL_WORK, Tier.COMMUNITY, a.community),
        service_centre=body("测试1街道政务服务中心", BodyKind.SERVICE_CENTRE, Tier.STREET, a.street),
        enforcement=body("测试1街道城管执法中队", BodyKind.ENFORCEMENT, Tier.STREET, a.street, [officer]),
        police=body("测试1派出所", BodyKind.POLICE, Tier.STREET, a.street),
        construction=body("测试1街道城建办", BodyKind.CONSTRUCTION_OFFICE, Tier.STREET, a.street),
        department=body("临江区住房和城乡建设局", BodyKind.DEPARTMENT, Tier.DISTRICT, tree.district),
        other_street_body=body("测试2街道城管执法中队", BodyKind.ENFORCEMENT, Tier.STREET, b.street),
        dispatcher=user_with(Role.DISPATCHER, a.street, "diaodu"),
        dispatcher2=user_with(Role.DISPATCHER, a.street, "diaodu2"),
        community_worker=community_worker,
        grid_worker=user_with(Role.GRID_WORKER, a.grid, "wangge"),
        handler=handler,
        mediator=mediator,
        officer=officer,
        resident=user_with(Role.RESIDENT, a.building, "jumin"),
        outsider=user_with(Role.DISPATCHER, b.street, "diaodu-b"),
        nobody=user_with(None, username="nobody"),
    )


@pytest.fixture
def make_case(desk):
    """A case reported by the grid worker at building a (property-managed compound) unless told otherwise."""

    def make(description="3单元楼道的灯坏了一个星期了，晚上黑漆漆的老人下楼不方便", *, now=NOW, **kw):
        kw.setdefault("actor", desk.grid_worker)
        kw.setdefault("channel", Channel.GRID_APP)
        if "lon" not in kw and "grid" not in kw and "address" not in kw:
            kw.setdefault("building", desk.tree.a.building)
        return services.report_case(description=description, now=now, **kw)

    return make
