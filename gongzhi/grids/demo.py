"""Demo staffing of the grids: the full-time worker of each grid, part-time workers, liaison cadres.

Most grids meet the 1 + 2 standard; some lack a part-time worker or have a full-time worker who
is not (yet) a party member, so the staffing report has gaps to show.
"""

from __future__ import annotations

import datetime
import random

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment, User
from gongzhi.demo.people import PeopleFactory
from gongzhi.population.choices import Gender
from gongzhi.territory.models import Grid

from .choices import MemberKind
from .models import GridMember

LIAISON_UNITS = [
    "区城管局",
    "区住建局",
    "区市场监管局",
    "区卫健局",
    "区民政局",
    "街道综合行政执法队",
    "区退役军人事务局",
]


def load_members(district, seed: int, today: datetime.date) -> dict[str, int]:
    rng = random.Random(seed)
    people = PeopleFactory(seed)
    workers = dict(
        Assignment.objects.filter(role=Role.GRID_WORKER, level="grid", grid__district=district).values_list(
            "grid_id", "user_id"
        )
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=workers.values())}
    members: list[GridMember] = []
    for grid in Grid.objects.filter(district=district, retired_on__isnull=True).order_by("code"):
        place = {
            "grid": grid,
            "community_id": grid.community_id,
            "street_id": grid.street_id,
            "district_id": grid.district_id,
        }
        start = today - datetime.timedelta(days=rng.randint(60, 1500))
        user = users.get(workers.get(grid.pk))
        if user is not None:
            members.append(
                GridMember(
                    **place,
                    kind=MemberKind.FULL_TIME,
                    name=user.display_name,
                    user=user,
                    phone=people.mobile(),
                    is_party_member=rng.random() < 0.92,
                    started_on=start,
                )
            )
        part_time = rng.choices([2, 1, 3, 0], weights=[70, 18, 8, 4])[0]
        for _ in range(part_time):
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            members.append(
                GridMember(
                    **place,
                    kind=rng.choice([MemberKind.BUILDING_HEAD, MemberKind.BUILDING_HEAD, MemberKind.VOLUNTEER]),
                    name=people.name(gender),
                    phone=people.mobile(),
                    is_party_member=rng.random() < 0.45,
                    started_on=today - datetime.timedelta(days=rng.randint(30, 2000)),
                )
            )
        if rng.random() < 0.5:
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            members.append(
                GridMember(
                    **place,
                    kind=MemberKind.LIAISON,
                    name=people.name(gender),
                    phone=people.mobile(),
                    is_party_member=True,
                    organisation=rng.choice(LIAISON_UNITS),
                    started_on=today - datetime.timedelta(days=rng.randint(30, 700)),
                )
            )
    GridMember.objects.bulk_create(members, batch_size=2000)
    return {"grid_members": len(members)}
