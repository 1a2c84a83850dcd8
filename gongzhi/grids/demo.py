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


PATROL_NOTES = [
    "巡查楼道，消防通道畅通",
    "检查电动车充电点，未发现飞线充电",
    "走访独居老人，身体状况良好",
    "提醒商户门前三包",
    "小区门口共享单车乱停，已劝导整理",
    "查看垃圾分类投放点，桶边干净",
    "走访新入住住户，登记基本信息",
    "检查窨井盖，完好",
]


def load_patrols(district, seed: int, today: datetime.date, days: int = 30) -> dict[str, int]:
    """A month of daily patrols (日巡查) by the full-time grid workers, with routes inside their grids.

    Most workers patrol on most days for about two hours; some days are short or missed, so the
    hours report and the map's patrol coverage have something to show.
    """
    import uuid
    from zoneinfo import ZoneInfo

    import shapely

    from gongzhi.territory import geometry

    from .choices import PatrolStatus
    from .models import Patrol, PatrolEntry
    from .patrols import route_distance_m

    rng = random.Random(seed)
    zone = ZoneInfo("Asia/Shanghai")
    members = (
        GridMember.objects.filter(
            district=district, kind=MemberKind.FULL_TIME, user__isnull=False, ended_on__isnull=True
        )
        .select_related("grid")
        .order_by("grid__code")
    )
    patrols: list[Patrol] = []
    notes: list[tuple[int, PatrolEntry]] = []
    for member in members:
        grid = member.grid
        if not grid.geometry:
            continue
        shape = geometry.parse_polygon(grid.geometry)
        minx, miny, maxx, maxy = shape.bounds
        diligence = rng.choice([0.95, 0.9, 0.85, 0.7, 0.5])
        for back in range(days, 0, -1):
            day = today - datetime.timedelta(days=back)
            if rng.random() > diligence:
                continue
            minutes = max(30, int(rng.gauss(125, 25))) if rng.random() > 0.12 else rng.randint(40, 90)
            start = datetime.datetime.combine(day, datetime.time(8, 30), zone) + datetime.timedelta(
                minutes=rng.randint(0, 90)
            )
            end = start + datetime.timedelta(minutes=minutes)
            # a random walk inside the grid: a point every 3 minutes, about 150 m apart
            x, y = shape.representative_point().coords[0]
            route = []
            for step in range(minutes // 3 + 1):
                for _try in range(6):
                    nx = x + rng.uniform(-0.0015, 0.0015)
                    ny = y + rng.uniform(-0.0013, 0.0013)
                    if minx <= nx <= maxx and miny <= ny <= maxy and shape.contains(shapely.Point(nx, ny)):
                        x, y = nx, ny
                        break
                at = int((start + datetime.timedelta(minutes=3 * step)).timestamp())
                route.append([round(x, 6), round(y, 6), at, rng.choice([5, 8, 10, 15])])
            patrol = Patrol(
                client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                worker_id=member.user_id,
                grid=grid,
                community_id=grid.community_id,
                street_id=grid.street_id,
                district_id=grid.district_id,
                status=PatrolStatus.DONE,
                started_at=start,
                ended_at=end,
                route=route,
                distance_m=int(route_distance_m(route)),
                note=rng.choice(PATROL_NOTES) if rng.random() < 0.4 else "",
            )
            patrols.append(patrol)
            if rng.random() < 0.5:
                lon, lat = route[len(route) // 2][:2]
                notes.append(
                    (
                        len(patrols) - 1,
                        PatrolEntry(
                            kind=rng.choice(["note", "visit"]),
                            text=rng.choice(PATROL_NOTES),
                            time=start + datetime.timedelta(minutes=minutes // 2),
                            lon=lon,
                            lat=lat,
                        ),
                    )
                )
    Patrol.objects.bulk_create(patrols, batch_size=1000)
    entries = []
    for index, entry in notes:
        entry.patrol = patrols[index]
        entries.append(entry)
    PatrolEntry.objects.bulk_create(entries, batch_size=2000)
    return {"patrols": len(patrols), "patrol_entries": len(entries)}
