"""A hand-made street for the command centre: cases at known times, taken through the real services.

The test territory (gongzhi.core.testing.tree): 临江区 with 测试1街道 (street a: 测试1社区, one grid) and
测试2街道 (street b). NOW is Tuesday 2026-12-01 10:00 China time; the normal policy gives 1 working
hour to dispatch, 2 to accept, 24 natural hours to plan and 7 working days to resolve (office hours
08:30–12:00, 13:30–17:30).

Street a, at NOW (class = the map's colour class):

| case | reported    | what happened                                       | at NOW                                |
|------|-------------|-----------------------------------------------------|---------------------------------------|
| c1   | 12-01 08:00 | dispatched 08:30                                    | within 1 h; accept due 10:30: soon    |
| c2   | 12-01 08:00 | dispatched 09:30                                    | late; accept due 11:30: soon          |
| c3   | 12-01 08:30 | —                                                   | late; dispatch due 09:30: overdue     |
| c4   | 12-01 09:30 | — (hotline)                                         | not judged; dispatch due 10:30: soon  |
| c5   | 12-01 08:10 | rejected 08:20                                      | intake only                           |
| c6   | 11-30 23:30 | dispatched 12-01 00:10, accepted 08:40              | plan due 12-02 00:10: on time         |
| c7   | 11-24 09:00 | dispatched, accepted, handled, verified 11-27       | awaiting rating: stopped              |
| c8   | 11-24 09:00 | … verified 11-27, closed by the centre 12-01 09:00  | closed today without rating           |
| c9   | 11-24 09:00 | … verified 11-27, rated 12-01 09:10                 | closed today, rated                   |
| c10  | 11-20 10:00 | dispatched 10:05, never accepted                    | accept due 11-20 13:35: overdue       |
| c11  | 11-30 14:00 | dispatched 14:10, escalated 12-01 09:30             | dispatch due 10:30: escalated         |
| c12  | 11-30 10:00 | dispatched, accepted, planned; whistle 12-01 09:00  | whistle                               |

Street b: cb reported 12-01 09:50 (not dispatched).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from gongzhi.accounts.choices import Role
from gongzhi.cases import services
from gongzhi.cases.choices import BodyKind, Category, Channel, Satisfaction, Tier, WhistleReason
from gongzhi.cases.models import Case, HandlingBody
from gongzhi.core.testing.tree import user_with

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SH)
TODAY = NOW.date()


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SH)


@dataclass
class Centre:
    tree: object
    company: HandlingBody
    enforcement: HandlingBody
    company_b: HandlingBody
    dispatcher: object
    outsider: object  # a dispatcher of street b
    district_admin: object
    community_worker: object
    grid_worker: object
    handler: object
    officer: object
    nobody: object
    cases: dict[str, Case] = field(default_factory=dict)


def _body(name, kind, tier, node, members=()):
    fields = {"district": node.district}
    fields["street"] = node if tier == Tier.STREET else node.street
    if tier == Tier.COMMUNITY:
        fields["community"] = node
    body = HandlingBody.objects.create(name=name, kind=kind, tier=tier, **fields)
    body.members.set(members)
    return body


@pytest.fixture
def centre(tree):
    a, b = tree.a, tree.b
    handler = user_with(None, username="wuye")
    officer = user_with(None, username="chengguan")
    services.clear_caches()
    return Centre(
        tree=tree,
        company=_body("测试物业有限公司", BodyKind.PROPERTY_COMPANY, Tier.COMMUNITY, a.community, [handler]),
        enforcement=_body("测试1街道综合执法中队", BodyKind.ENFORCEMENT, Tier.STREET, a.street, [officer]),
        company_b=_body("测试2物业有限公司", BodyKind.PROPERTY_COMPANY, Tier.COMMUNITY, b.community),
        dispatcher=user_with(Role.DISPATCHER, a.street, "diaodu"),
        outsider=user_with(Role.DISPATCHER, b.street, "diaodu-b"),
        district_admin=user_with(Role.DISTRICT_ADMIN, tree.district, "quji"),
        community_worker=user_with(Role.COMMUNITY_WORKER, a.community, "shegong"),
        grid_worker=user_with(Role.GRID_WORKER, a.grid, "wangge"),
        handler=handler,
        officer=officer,
        nobody=user_with(None, username="nobody"),
    )


@pytest.fixture
def street(centre):
    """The cases of the table above, in street a (and cb in street b)."""
    c = centre
    a = c.tree.a

    def report(when, category=Category.FACILITY, channel=Channel.GRID_APP, actor=None, building=None):
        return services.report_case(
            actor=actor or c.grid_worker,
            channel=channel,
            description="3单元楼道的灯坏了一个星期了，晚上黑漆漆的老人下楼不方便",
            now=when,
            building=building or a.building,
            category=category,
        )

    def dispatch(case, when, body=None):
        return services.dispatch_case(case, actor=c.dispatcher, now=when, body=body or c.company)

    def to_verified(case, start):
        """Dispatch, accept, handle and verify on the days after `start`."""
        case = dispatch(case, start + datetime.timedelta(minutes=10))
        case = services.accept_case(case, actor=c.handler, now=start + datetime.timedelta(minutes=30))
        case = services.handle_case(case, actor=c.handler, now=start + datetime.timedelta(days=2), note="已修好")
        return services.verify_case(case, actor=c.grid_worker, now=at(11, 27, 10))

    cases = c.cases
    cases["c1"] = dispatch(report(at(12, 1, 8)), at(12, 1, 8, 30))
    cases["c2"] = dispatch(report(at(12, 1, 8), category=Category.SANITATION), at(12, 1, 9, 30))
    cases["c3"] = report(at(12, 1, 8, 30), category=Category.DISPUTE)
    cases["c4"] = report(at(12, 1, 9, 30), channel=Channel.HOTLINE, actor=c.dispatcher)
    cases["c5"] = services.reject_case(
        report(at(12, 1, 8, 10), category=Category.OTHER), actor=c.dispatcher, now=at(12, 1, 8, 20), note="重复反映"
    )
    c6 = dispatch(report(at(11, 30, 23, 30)), at(12, 1, 0, 10))
    cases["c6"] = services.accept_case(c6, actor=c.handler, now=at(12, 1, 8, 40))
    cases["c7"] = to_verified(report(at(11, 24, 9)), at(11, 24, 9))
    c8 = to_verified(report(at(11, 24, 9)), at(11, 24, 9))
    cases["c8"] = services.close_case(c8, actor=c.dispatcher, now=at(12, 1, 9), note="多次联系反映人未果")
    c9 = to_verified(report(at(11, 24, 9)), at(11, 24, 9))
    cases["c9"] = services.rate_case(
        c9, actor=c.dispatcher, now=at(12, 1, 9, 10), solved=True, satisfaction=Satisfaction.SATISFIED
    )
    cases["c10"] = dispatch(report(at(11, 20, 10)), at(11, 20, 10, 5))
    c11 = dispatch(report(at(11, 30, 14)), at(11, 30, 14, 10))
    cases["c11"] = services.escalate_case(c11, actor=c.dispatcher, now=at(12, 1, 9, 30), note="需街道协调")
    c12 = dispatch(report(at(11, 30, 10), category=Category.URBAN_ORDER), at(11, 30, 10, 10), body=c.enforcement)
    c12 = services.accept_case(c12, actor=c.officer, now=at(11, 30, 10, 30))
    c12 = services.plan_case(c12, actor=c.officer, now=at(11, 30, 11), note="联合执法")
    services.blow_whistle(
        c12,
        actor=c.dispatcher,
        now=at(12, 1, 9),
        reason=WhistleReason.JOINT_ENFORCEMENT,
        bodies=[c.enforcement],
        note="需要城管、市场监管联合执法",
    )
    cases["c12"] = Case.objects.get(pk=c12.pk)
    cases["cb"] = report(at(12, 1, 9, 50), actor=c.outsider, channel=Channel.HOTLINE, building=c.tree.b.building)
    for key, case in list(cases.items()):
        cases[key] = Case.objects.get(pk=case.pk)
    return c
