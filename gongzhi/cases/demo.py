"""Demo handling bodies and a month of cases for the demo district.

Bodies: district departments; per street the service centre, property office, construction office,
enforcement squad, police station and sanitation station; per community the residents' committee,
mediation committee and social-work station (and a self-management committee where compounds
have one); one body per property company and community, serving its compounds; a grid station
per grid. Members: the social workers of each community and grid, and the demo handler logins.

Cases: reported over the last 30 days by each grid's worker, with texts from the classifier's
held-out corpus, and taken through the real services to a spread of states (most closed and
rated, some reworked, returned, escalated, suspended, overdue), so that lists, timelines and
rates show something true. Deterministic for a given `rng` state and `now`.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.contrib.auth import get_user_model

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

from . import classifier, services
from .choices import BodyKind, Channel, Tier
from .models import CaseEvent, HandlingBody

STREET_BODIES = [
    (BodyKind.SERVICE_CENTRE, "{street}政务服务中心"),
    (BodyKind.PROPERTY_OFFICE, "{street}物业办"),
    (BodyKind.CONSTRUCTION_OFFICE, "{street}城建办"),
    (BodyKind.ENFORCEMENT, "{street}综合执法中队"),
    (BodyKind.POLICE, "{short}派出所"),
    (BodyKind.SANITATION, "{street}环卫所"),
]
COMMUNITY_BODIES = [
    (BodyKind.RESIDENTS_COMMITTEE, "{community}居委会"),
    (BodyKind.MEDIATION, "{community}人民调解委员会"),
    (BodyKind.SOCIAL_WORK, "{community}社工站"),
]
DISTRICT_BODIES = [
    (BodyKind.DEPARTMENT, "{district}住房和城乡建设局"),
    (BodyKind.DEPARTMENT, "{district}综合行政执法局"),
    (BodyKind.DEPARTMENT, "{district}民政局"),
    (BodyKind.DEPARTMENT, "{district}市场监督管理局"),
    (BodyKind.FIRE, "{district}应急管理局"),
    (BodyKind.FIRE, "{district}消防救援大队"),
    (BodyKind.POLICE, "{district}公安分局交警大队"),
]
# demo handler logins → the kind of body they work for in the first street / community
HANDLER_LOGINS = {
    "demo-handler": [BodyKind.ENFORCEMENT],
    "demo-property": [BodyKind.PROPERTY_COMPANY],
    "demo-mediator": [BodyKind.MEDIATION],
    "demo-police": [BodyKind.POLICE],
    "demo-centre": [
        BodyKind.SERVICE_CENTRE,
        BodyKind.PROPERTY_OFFICE,
        BodyKind.CONSTRUCTION_OFFICE,
        BodyKind.SANITATION,
    ],
}


def ensure_default_rules() -> int:
    """The routing table of DOMAIN.md for everywhere (migration 0002 loads it; a database flushed
    since, as by a test, gets it back). Returns how many rules were added."""
    from .defaults import DEFAULT_RULES
    from .models import RoutingRule

    if RoutingRule.objects.filter(district=None, street=None, community=None, body=None).exists():
        return 0
    RoutingRule.objects.bulk_create(
        RoutingRule(
            category=category, property_management=pm, owners_organisation=oo, body_kind=kind, tier=tier, note=note
        )
        for category, pm, oo, kind, tier, note in DEFAULT_RULES
    )
    return len(DEFAULT_RULES)


def load_bodies(district: District) -> dict[str, int]:
    ensure_default_rules()
    User = get_user_model()
    bodies: list[HandlingBody] = []
    for kind, pattern in DISTRICT_BODIES:
        bodies.append(
            HandlingBody(name=pattern.format(district=district.name), kind=kind, tier=Tier.DISTRICT, district=district)
        )
    streets = list(Street.objects.filter(district=district).order_by("code"))
    for street in streets:
        short = street.name.removesuffix("街道").removesuffix("镇")
        for kind, pattern in STREET_BODIES:
            bodies.append(HandlingBody(name=pattern.format(street=street.name, short=short), kind=kind,
                                       tier=Tier.STREET, district=district, street=street))  # fmt: skip
    communities = list(Community.objects.filter(district=district).order_by("code"))
    self_managed: dict[int, list[int]] = defaultdict(list)
    companies: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, community_id, company, owners in Compound.objects.filter(district=district).values_list(
        "pk", "community_id", "property_company", "owners_organisation"
    ):
        if company:
            companies[(community_id, company)].append(pk)
        elif owners == "self_management":
            self_managed[community_id].append(pk)
    compounds_of: dict[int, list[int]] = {}
    for community in communities:
        for kind, pattern in COMMUNITY_BODIES:
            bodies.append(
                HandlingBody(
                    name=pattern.format(community=community.name),
                    kind=kind,
                    tier=Tier.COMMUNITY,
                    district=district,
                    street_id=community.street_id,
                    community=community,
                )
            )
        if self_managed.get(community.pk):
            bodies.append(HandlingBody(name=f"{community.name}小区自管会", kind=BodyKind.OWNERS_COMMITTEE,
                                       tier=Tier.COMMUNITY, district=district, street_id=community.street_id,
                                       community=community))  # fmt: skip
            compounds_of[len(bodies) - 1] = self_managed[community.pk]
    by_community = {c.pk: c for c in communities}
    for (community_id, company), compound_ids in sorted(companies.items()):
        community = by_community[community_id]
        bodies.append(HandlingBody(name=f"{company}（{community.name}）", kind=BodyKind.PROPERTY_COMPANY,
                                   tier=Tier.COMMUNITY, district=district, street_id=community.street_id,
                                   community=community))  # fmt: skip
        compounds_of[len(bodies) - 1] = compound_ids
    grids = list(Grid.objects.filter(district=district).order_by("code"))
    for grid in grids:
        bodies.append(HandlingBody(name=f"{grid.name}工作站", kind=BodyKind.GRID_STATION, tier=Tier.GRID,
                                   district=district, street_id=grid.street_id, community_id=grid.community_id,
                                   grid=grid))  # fmt: skip
    HandlingBody.objects.bulk_create(bodies)

    Compounds = HandlingBody.compounds.through
    Compounds.objects.bulk_create(
        [Compounds(handlingbody_id=bodies[i].pk, compound_id=c) for i, ids in compounds_of.items() for c in ids]
    )
    # members: the community's workers staff its committee and social-work station; each grid's
    # worker its grid station; the demo handler logins their bodies in the first street/community
    Members = HandlingBody.members.through
    members: set[tuple[int, int]] = set()
    workers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for role, level, community_id, grid_id, user_id in Assignment.objects.filter(
        role__in=[Role.COMMUNITY_WORKER, Role.GRID_WORKER]
    ).values_list("role", "level", "community_id", "grid_id", "user_id"):
        if role == Role.COMMUNITY_WORKER and level == "community":
            workers[("community", community_id)].append(user_id)
        elif role == Role.GRID_WORKER and level == "grid":
            workers[("grid", grid_id)].append(user_id)
    first_street, first_community = streets[0], communities[0]
    logins = dict(User.objects.filter(username__in=HANDLER_LOGINS).values_list("username", "pk"))
    for body in bodies:
        if body.kind in (BodyKind.RESIDENTS_COMMITTEE, BodyKind.SOCIAL_WORK, BodyKind.OWNERS_COMMITTEE):
            members |= {(body.pk, u) for u in workers[("community", body.community_id)]}
        elif body.kind == BodyKind.GRID_STATION:
            members |= {(body.pk, u) for u in workers[("grid", body.grid_id)]}
        for username, kinds in HANDLER_LOGINS.items():
            if body.kind not in kinds or username not in logins:
                continue
            in_first_street = body.tier == Tier.STREET and body.street_id == first_street.pk
            if in_first_street or (body.tier == Tier.COMMUNITY and body.community_id == first_community.pk):
                members.add((body.pk, logins[username]))
    Members.objects.bulk_create([Members(handlingbody_id=b, user_id=u) for b, u in sorted(members)])
    return {"handling_bodies": len(bodies), "body_members": len(members)}


def _texts() -> list[tuple[str, str]]:
    return classifier.holdout_examples()


def load_cases(district: District, rng: random.Random, now: datetime.datetime, count: int) -> dict[str, int]:
    """`count` cases over the last 30 days, each taken through the services to a plausible state."""
    User = get_user_model()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    named = {u.username: u for u in User.objects.filter(username__in=["demo-dispatcher", *HANDLER_LOGINS])}
    grid_workers = dict(
        Assignment.objects.filter(role=Role.GRID_WORKER, level="grid", user__username__startswith="sg").values_list(
            "grid_id", "user_id"
        )
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=grid_workers.values())}
    first_street = Street.objects.filter(district=district).order_by("code").first()
    buildings = list(
        Building.objects.filter(district=district).values_list("pk", "grid_id", "street_id").order_by("pk")
    )
    if not buildings or admin is None:
        return {"cases": 0}
    # half the cases in the first street, where the demo logins work
    in_first = [b for b in buildings if b[2] == first_street.pk]
    texts = _texts()
    made = 0
    services.clear_caches()
    # the buildings cases are reported at, with the grid and compound intake reads (one query)
    places = Building.objects.filter(district=district).select_related("grid", "compound").in_bulk()
    for i in range(count):
        pool = in_first if (i % 2 == 0 and in_first) else buildings
        building_id, grid_id, street_id = rng.choice(pool)
        _category, text = rng.choice(texts)
        reported = now - datetime.timedelta(days=rng.uniform(0.05, 30), minutes=rng.randrange(60))
        reporter = users.get(grid_workers.get(grid_id)) or admin
        case = services.report_case(
            actor=reporter, channel=rng.choice([Channel.GRID_APP] * 3 + [Channel.HOTLINE]),
            description=text, now=reported, building=places[building_id],
            reporter_name=rng.choice(["", "王阿姨", "李师傅", "张先生", "陈女士"]),
        )  # fmt: skip
        made += 1
        _progress(case, rng, reported, now, admin, named, users, street_id == first_street.pk)
    return {"cases": made, "case_events": CaseEvent.objects.count()}


def _progress(case, rng, t, now, admin, named, users, first_street: bool) -> None:
    """Take a case through the services, step by step, while the steps stay in the past."""
    dispatcher = named.get("demo-dispatcher") if first_street else admin
    dispatcher = dispatcher or admin
    age = now - t

    def step(hours: float) -> datetime.datetime | None:
        nonlocal t
        t = t + datetime.timedelta(hours=hours)
        return t if t < now else None

    def member(case):
        body = case.body
        staff = list(body.members.all()) if body else []
        return staff[0] if staff else admin

    when = step(rng.uniform(0.1, 1.5))
    if when is None or (age < datetime.timedelta(hours=2) and rng.random() < 0.5):
        return
    if rng.random() < 0.03:
        services.reject_case(case, actor=dispatcher, now=when, note="重复反映或非本辖区事项，已电话告知反映人")
        return
    body = case.suggested_body
    if body is None:
        return
    case = services.dispatch_case(case, actor=dispatcher, now=when, body=body)
    handler = member(case)
    when = step(rng.uniform(0.2, 3))
    if when is None:
        return
    if rng.random() < 0.06:
        case = services.return_case(case, actor=handler, now=when, note="不属于本单位职责范围，请改派")
        when = step(rng.uniform(0.2, 2))
        nearby = services.routing.nearby_bodies(services.routing.Place.of(case)).filter(tier=body.tier)
        alternatives = [b for b in nearby
                        if b.pk != body.pk][:1]  # fmt: skip
        if when is None or not alternatives:
            return
        case = services.dispatch_case(case, actor=dispatcher, now=when, body=alternatives[0])
        handler = member(case)
        when = step(rng.uniform(0.2, 2))
        if when is None:
            return
    case = services.accept_case(case, actor=handler, now=when)
    when = step(rng.uniform(1, 20))
    if when is None:
        return
    case = services.plan_case(case, actor=handler, now=when, note="已现场查看，制定处置方案并安排人员")
    if rng.random() < 0.04:
        services.suspend_case(case, actor=dispatcher, now=step(0.5) or when, note="需协调资金与多方意见，经批准缓办")
        return
    when = step(rng.uniform(4, 24 * 8))
    if when is None:
        return
    case = services.handle_case(case, actor=handler, now=when, note="已处置完毕，现场恢复正常")
    when = step(rng.uniform(1, 24))
    if when is None:
        return
    verifier = users.get(case.created_by_id) or admin
    if rng.random() < 0.08:
        case = services.rework_case(case, actor=verifier, now=when, note="现场核实未处理到位，请返工")
        when = step(rng.uniform(4, 48))
        if when is None:
            return
        case = services.handle_case(case, actor=handler, now=when, note="已按要求返工整改")
        when = step(rng.uniform(1, 12))
        if when is None:
            return
    case = services.verify_case(case, actor=verifier, now=when, note="现场核实已解决")
    when = step(rng.uniform(2, 72))
    if when is None:
        return
    roll = rng.random()
    satisfaction, solved = (
        ("satisfied", True) if roll < 0.78 else ("basic", True) if roll < 0.94 else ("unsatisfied", False)
    )
    services.rate_case(case, actor=dispatcher, now=when, solved=solved, satisfaction=satisfaction, comment="电话回访")
