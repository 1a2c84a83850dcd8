"""Demo care files: residents' labels from their households and ages, a care profile for each
vulnerable resident, pairings with party members of their community, and four months of visit
history in which some pairs have lapsed (so the overdue lists have something true to show)."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.db.models import Count

from gongzhi.party.models import PartyMember
from gongzhi.population.models import Resident, ResidentTagLink

from . import rules
from .choices import RiskLevel, VisitOutcome
from .models import CareProfile, FollowUp, Visit

FINDINGS = {
    VisitOutcome.WELL: [
        "身体状况良好，生活能自理",
        "精神不错，家中整洁",
        "按时服药，情绪稳定",
        "已与子女通话，无特殊需求",
    ],
    VisitOutcome.CONCERN: ["血压偏高，提醒按时服药", "家中燃气灶老化", "近期食欲下降", "独自在家时间长，情绪低落"],
    VisitOutcome.URGENT: ["发现摔倒后行动困难，已联系家属送医"],
    VisitOutcome.NOT_MET: ["敲门无人应答，已电话联系确认外出"],
}
NEEDS = [
    "需要助餐服务",
    "需要更换燃气软管",
    "需要陪同就医",
    "申请居家适老化改造",
    "需要代购生活用品",
    "需要办理残疾人补贴",
]


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def load_care(rng: random.Random, today: datetime.date, visitors: dict[int, int]) -> dict[str, int]:
    """`visitors`: the grid worker's user id per grid id (who makes the visits)."""
    sizes = dict(Resident.objects.values_list("household_id").annotate(n=Count("id")))
    people = list(Resident.objects.values_list("pk", "household_id", "birth_date", "gender", "community_id", "grid_id",
                                               "street_id", "district_id"))  # fmt: skip
    household_ages: dict[int, list[int]] = defaultdict(list)
    for _pk, household, birth, *_rest in people:
        household_ages[household].append(_age(birth, today))
    tags: list[ResidentTagLink] = []
    kinds: dict[int, tuple[str, str]] = {}
    for pk, household, birth, gender, *_rest in people:
        age = _age(birth, today)
        mine: list[str] = []
        if sizes[household] == 1 and age >= 70:
            mine.append("elderly_alone")
        elif sizes[household] == 2 and min(household_ages[household]) >= 65:
            mine.append("empty_nest")
        if age >= 75 and rng.random() < 0.06:
            mine.append("incapacitated")
        if age >= 18 and rng.random() < 0.012:
            mine.append("disabled")
        if rng.random() < 0.008:
            mine.append("low_income")
        if age < 16 and sizes[household] <= 2 and max(household_ages[household]) >= 60 and rng.random() < 0.5:
            mine.append("left_behind_child")
        if gender == "male" and age >= 40 and rng.random() < 0.02:
            mine.append("veteran")
        tags += [ResidentTagLink(resident_id=pk, tag=t) for t in mine]
        for kind in ("incapacitated", "elderly_alone", "disabled", "left_behind_child", "empty_nest", "low_income"):
            if kind in mine and (kind not in ("empty_nest", "low_income") or rng.random() < 0.5):
                risk = RiskLevel.HIGH if kind == "incapacitated" or age >= 85 else (
                    RiskLevel.KEY if kind in ("elderly_alone", "disabled", "left_behind_child") else RiskLevel.ORDINARY
                )  # fmt: skip
                kinds[pk] = (kind, risk)
                break
    ResidentTagLink.objects.bulk_create(tags, batch_size=5_000)

    members: dict[int, list[int]] = defaultdict(list)
    for pk, community in PartyMember.objects.exclude(member_type="paired_unit").values_list("pk", "community_id"):
        members[community].append(pk)
    place = {p[0]: p[4:] for p in people}
    profiles = []
    for pk, (kind, risk) in kinds.items():
        community, grid, street, district = place[pk]
        pool = members.get(community) or []
        profiles.append(
            CareProfile(
                resident_id=pk,
                kind=kind,
                risk_level=risk,
                opened=today - datetime.timedelta(days=rng.randint(120, 900)),
                paired_member_id=rng.choice(pool) if pool and rng.random() < 0.93 else None,
                needs=rng.choice(["", "行动不便", "子女在外地", "需要定期测血压", "希望有人陪同聊天"]),
                grid_id=grid,
                community_id=community,
                street_id=street,
                district_id=district,
            )
        )
    plans: list[tuple[CareProfile, list[tuple[datetime.date, str, str]]]] = []
    lapsed = 0
    for profile in profiles:
        step = rules.DEFAULT_INTERVAL_DAYS[profile.risk_level]
        lapse = rng.random() < 0.15  # this pair has stopped visiting: the file is overdue now
        lapsed += lapse
        start = max(profile.opened, today - datetime.timedelta(days=180))
        if lapse:
            last = today - datetime.timedelta(days=step * 2 + rng.randint(1, 10))
        else:
            last = today - datetime.timedelta(days=rng.randint(0, step - 1))
        day, dates = max(last, start), []
        while day >= start:  # back from the last visit, one interval at a time
            outcome = rng.choices(list(FINDINGS), [80, 14, 1, 5])[0]
            dates.append((day, outcome, rng.choice(FINDINGS[outcome])))
            day -= datetime.timedelta(days=max(1, step + rng.randint(-1, 2)))
        profile.last_visit = dates[0][0] if dates else None
        profile.next_due = rules.next_due(profile.opened, profile.last_visit, profile.risk_level)
        plans.append((profile, dates))
    CareProfile.objects.bulk_create(profiles, batch_size=5_000)
    visits = [
        Visit(profile=profile, date=day, visitor_id=visitors[profile.grid_id], outcome=outcome, findings=text)
        for profile, dates in plans
        for day, outcome, text in dates
    ]
    Visit.objects.bulk_create(visits, batch_size=5_000)
    follow_ups = [
        FollowUp(
            visit=v,
            profile=v.profile,
            need=rng.choice(NEEDS),
            status="open" if rng.random() < 0.4 else "done",
            resolution="已协调解决",
        )
        for v in visits
        if v.outcome in (VisitOutcome.CONCERN, VisitOutcome.URGENT)
    ]
    for item in follow_ups:
        if item.status == "open":
            item.resolution = ""
    FollowUp.objects.bulk_create(follow_ups, batch_size=5_000)
    return {
        "resident_tags": len(tags),
        "care_profiles": len(profiles),
        "care_visits": len(visits),
        "care_lapsed_pairs": lapsed,
        "care_kinds": len({k for k, _r in kinds.values()}),
        "care_high_risk": sum(1 for _k, r in kinds.values() if r == RiskLevel.HIGH),
    }
