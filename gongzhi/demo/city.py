"""City-scale demo data: the city of seed S4 (DOMAIN.md "Real scale") with a year of cases.

`make_city_plan(fraction, seed)` lays out the territory without touching the database: 10
districts of one prefecture (江州市, codes 331202–331211), 120 streets, 1,500 communities, 18,100
grids, 3,800 compounds with their buildings, and the people who staff the grids (39,300 grid
workers: one full-time worker per grid, the rest part-time, 6,957 of them building heads). The
compound attributes follow S4 too: 754 managed by a property company (121 of them with an owners'
committee), 1,466 with a self-management committee, the rest 三无.

`CityLoader(plan, seed=..., now=...).load()` writes it, the handling bodies, the accounts, one
month of patrols (the last complete calendar month) and one year of cases ending at `now`
(1,050,000 at full scale), each taken through the workflow in time order with the SLA clocks of
`gongzhi.cases.sla` (the default policies, or the database's SlaPolicy rows, on the working
calendar of `cases.services.calendar()`): registered, dispatched (a Dispatch row per dispatch),
accepted, planned, handled, verified, then rated, closed by the centre or expired; some rejected,
merged, returned and re-dispatched, escalated, reworked, suspended or stalled (overdue), some with
a whistle. Every case has its timeline (CaseEvent rows, one per move).

It is a bulk import: rows are streamed in chunks, with ids assigned here, through COPY on
PostgreSQL (psycopg 3 `cursor.copy()`, the data formatted in this thread and sent by a writer
thread, so the server works on one chunk while the next is made) and `executemany` elsewhere
(the small test cities on SQLite). On PostgreSQL the session runs with
`session_replication_role = replica` while it loads (no per-row foreign-key triggers; nothing the
migrations own is dropped), and every foreign key of every table it wrote is then checked with
one anti-join each before the transaction commits.

Everything is deterministic for (fraction, seed, now), except the random nonces of encrypted
values.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import io
import itertools
import json
import math
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from gongzhi.cases.models import case_number

from .plan import apportion, split_rect, west_east_north_south

UTC = datetime.UTC

# --- the city of seed S4 ---------------------------------------------------------------------
CITY_NAME = "江州市"
PREFECTURE_CODE = "3312"  # 浙江省 33, an unassigned prefecture-level 12
CITY_ORIGIN = (120.42, 29.62)  # south-west corner (lon, lat)
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CITY_ORIGIN[1] + 0.25))

CITY = {
    "districts": 10,
    "streets": 120,
    "communities": 1_500,
    "grids": 18_100,
    "compounds": 3_800,
    "managed_compounds": 754,
    "owners_committees": 121,
    "self_management": 1_466,
    "grid_workers": 39_300,
    "building_heads": 6_957,
    "cases": 1_050_000,
    "area_km2": 2_400.0,
}

# (name, code suffix, density: grids per km² relative to the city, share of compounds)
DISTRICTS = [
    ("江城区", "02", 3.0, 1.8),
    ("望江区", "03", 2.6, 1.7),
    ("东港区", "04", 2.0, 1.4),
    ("北塘区", "05", 1.6, 1.2),
    ("滨湖区", "06", 1.2, 1.0),
    ("西陵区", "07", 1.0, 0.9),
    ("南山区", "08", 0.8, 0.7),
    ("云溪区", "09", 0.6, 0.6),
    ("临海区", "10", 0.5, 0.5),
    ("高桥区", "11", 0.4, 0.4),
]
STREET_FIRST = "东西南北新长和平安福兴华永龙凤金银玉锦翠清明春丰宁康乐泰德文"
STREET_SECOND = "湖江河桥山塘港园林城门溪浦湾坝"
COMMUNITY_FIRST = "朝阳光明幸福和睦长乐安泰春晖文澜桂花梅园兰亭荷塘星桥运河白鹭金沙银杏翠竹枫林松涛柳岸杏坛芳草"
COMMUNITY_SECOND = ["里", "苑", "坊", "村", "湾", "桥", "园", "庄", "巷", "街", "岭", "塘"]
COMPOUND_FIRST = [
    "锦绣", "阳光", "翠竹", "金桂", "银杏", "碧水", "明珠", "和园", "景秀", "春江", "星河", "紫荆", "梧桐", "香樟",
    "枫林", "桃源", "嘉禾", "丽水", "湖畔", "滨江", "云栖", "九溪", "观澜", "颐和", "聚贤", "怡景", "芳华", "润泽",
    "东方", "钱塘", "江南", "新华", "建设", "红旗", "工人", "电力", "纺织", "铁路", "机械", "教师",
]  # fmt: skip
COMPOUND_SECOND = ["花园", "家园", "苑", "小区", "新村", "公寓", "雅苑", "名邸", "府", "里", "嘉园", "华庭", "宿舍"]
PROPERTY_COMPANIES = [
    "绿城物业服务集团有限公司",
    "滨江物业管理有限公司",
    "南都物业服务集团股份有限公司",
    "开元物业管理有限公司",
    "江州城投物业服务有限公司",
    "万科物业服务有限公司",
    "金茂物业服务有限公司",
    "江州安居物业管理有限公司",
    "保利物业服务股份有限公司",
    "望江物业服务有限公司",
    "东港物业管理有限公司",
    "中海物业管理有限公司",
]

# --- how cases spread ------------------------------------------------------------------------
CATEGORY_WEIGHTS = {
    "sanitation": 17,
    "facility": 15,
    "parking": 11,
    "dispute": 10,
    "property_service": 9,
    "urban_order": 9,
    "fire_safety": 6,
    "welfare": 6,
    "public_security": 5,
    "policy": 5,
    "renovation": 4,
    "other": 3,
}
CHANNEL_WEIGHTS = {
    "grid_app": 52,
    "hotline": 22,
    "resident": 11,
    "visit": 4,
    "courtyard": 3,
    "iot": 3,
    "api": 3,
    "open311": 2,
}
PRIORITY_WEIGHTS = {"normal": 82, "urgent": 9, "emergency": 3, "complex": 6}
# reports by hour of the day (local time): quiet at night, peaks mid-morning and mid-afternoon
HOURLY = [0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.5, 3.5, 5, 5.5, 4.5,
          3, 3.5, 4.5, 4.8, 4.5, 3.8, 3, 3, 2.8, 2.2, 1.4, 0.7]  # fmt: skip
REPORTER_NAMES = ["王阿姨", "李师傅", "张先生", "陈女士", "刘大爷", "赵女士", "黄先生", "周阿姨", "吴师傅", "徐女士"]
# small matters a dispatcher keeps in the grid (微事不出格): the grid station handles them
GRID_MATTERS = {"sanitation", "facility", "dispute", "urban_order", "parking", "other"}
WHISTLE_CATEGORIES = {"fire_safety", "urban_order", "public_security", "renovation", "property_service", "facility"}

# shares of the cases that take each turn of the workflow (given they got that far)
SHARE = {
    "reject": 0.03,
    "merge": 0.01,
    "grid_station": 0.4,  # of the small matters found by grid workers
    "return": 0.04,
    "escalate": 0.025,
    "plan": 0.7,
    "suspend": 0.01,
    "stall": 0.006,
    "rework": 0.06,
    "whistle": 0.007,  # of the harder matters at community or street level
    "rated": 0.84,
    "closed_by_centre": 0.04,
}
PLAN_NOTES = ["已现场查看，制定处置方案并安排人员", "已联系相关方，约定处置时间", "列入本周维修计划", "已制定整改方案"]
HANDLE_NOTES = ["已处置完毕，现场恢复正常", "已维修完成", "已协调双方达成一致", "已清理完毕", "已答复反映人并办结"]
RATING_COMMENTS = ["", "", "", "电话回访", "处理及时，谢谢", "满意", "希望以后多巡查"]
PATROL_NOTES = [
    "巡查楼道，消防通道畅通",
    "检查电动车充电点，未发现飞线充电",
    "走访独居老人，身体状况良好",
    "提醒商户门前三包",
    "查看垃圾分类投放点，桶边干净",
    "走访新入住住户，登记基本信息",
    "检查窨井盖，完好",
]


# --- the plan ---------------------------------------------------------------------------------


def city_targets(fraction: float = 1.0) -> dict:
    """The city's counts at `fraction` of S4 (1.0 = the whole city)."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    t = dict(CITY)
    if fraction == 1:
        return t
    t["districts"] = max(1, round(CITY["districts"] * fraction))
    t["streets"] = max(t["districts"], round(CITY["streets"] * fraction))
    t["communities"] = max(t["streets"], round(CITY["communities"] * fraction))
    t["grids"] = max(t["communities"], round(CITY["grids"] * fraction))
    t["compounds"] = max(1, round(CITY["compounds"] * fraction))
    t["managed_compounds"] = min(t["compounds"], round(CITY["managed_compounds"] * fraction))
    t["owners_committees"] = min(t["managed_compounds"], round(CITY["owners_committees"] * fraction))
    t["self_management"] = min(t["compounds"] - t["managed_compounds"], round(CITY["self_management"] * fraction))
    t["grid_workers"] = max(t["grids"], round(CITY["grid_workers"] * fraction))
    t["building_heads"] = min(t["grid_workers"] - t["grids"], round(CITY["building_heads"] * fraction))
    t["cases"] = max(1, round(CITY["cases"] * fraction))
    t["area_km2"] = round(CITY["area_km2"] * t["grids"] / CITY["grids"], 2)
    return t


@dataclass
class CityBuilding:
    x: float
    y: float
    floors: int
    units: int


@dataclass
class CityCompound:
    name: str
    rect: tuple[float, float, float, float]
    property_company: str
    owners_organisation: str
    three_no: bool
    households: int
    buildings: list[CityBuilding] = field(default_factory=list)


@dataclass
class CityGrid:
    seq: int
    rect: tuple[float, float, float, float]
    weight: float  # how many cases it sees, relative to the others
    open_rect: tuple[float, float, float, float] = (0, 0, 0, 0)  # the part outside its compounds
    compounds: list[CityCompound] = field(default_factory=list)
    part_time: int = 0


@dataclass
class CityCommunity:
    seq: int
    name: str
    rect: tuple[float, float, float, float] = (0, 0, 0, 0)
    grids: list[CityGrid] = field(default_factory=list)


@dataclass
class CityStreet:
    seq: int
    name: str
    rect: tuple[float, float, float, float] = (0, 0, 0, 0)
    communities: list[CityCommunity] = field(default_factory=list)


@dataclass
class CityDistrict:
    name: str
    code: str
    rect: tuple[float, float, float, float] = (0, 0, 0, 0)
    streets: list[CityStreet] = field(default_factory=list)


@dataclass
class CityPlan:
    fraction: float
    seed: int
    targets: dict
    districts: list[CityDistrict]

    @property
    def streets(self) -> list[CityStreet]:
        return [s for d in self.districts for s in d.streets]

    @property
    def communities(self) -> list[CityCommunity]:
        return [c for s in self.streets for c in s.communities]

    @property
    def grids(self) -> list[CityGrid]:
        return [g for c in self.communities for g in c.grids]

    @property
    def compounds(self) -> list[CityCompound]:
        return [k for g in self.grids for k in g.compounds]

    def counts(self) -> dict[str, int]:
        """What the load writes of the territory and its staff, exactly."""
        grids = self.grids
        compounds = self.compounds
        return {
            "districts": len(self.districts),
            "streets": len(self.streets),
            "communities": len(self.communities),
            "grids": len(grids),
            "compounds": len(compounds),
            "buildings": sum(len(k.buildings) for k in compounds),
            "managed_compounds": sum(1 for k in compounds if k.property_company),
            "owners_committees": sum(1 for k in compounds if k.owners_organisation == "owners_committee"),
            "self_management": sum(1 for k in compounds if k.owners_organisation == "self_management"),
            "three_no": sum(1 for k in compounds if k.three_no),
            "grid_workers": len(grids) + sum(g.part_time for g in grids),
            "building_heads": self.targets["building_heads"],
            "cases": self.targets["cases"],
        }


def _unique_names(rng: random.Random, n: int, make: Callable[[], str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = make()
        if name in seen:
            name = f"{name}{len(names) + 1}"  # past the pool: numbered, still unique
            if name in seen:
                continue
        seen.add(name)
        names.append(name)
    return names


def make_city_plan(fraction: float = 1.0, seed: int = 20221231) -> CityPlan:
    """The whole city, deterministic for (fraction, seed)."""
    rng = random.Random(seed * 7 + 4)
    t = city_targets(fraction)
    districts_used = DISTRICTS[: t["districts"]]
    density = [d[2] for d in districts_used]
    compound_share = [d[3] for d in districts_used]
    # grids follow density × area; the central districts are small and dense
    area_weights = [1 / (0.35 + d) for d in density]
    grid_weights = [a * d for a, d in zip(area_weights, density, strict=True)]
    streets_per = apportion(t["streets"], grid_weights, minimum=1)
    street_pool = [a + b for a in STREET_FIRST for b in STREET_SECOND]
    rng.shuffle(street_pool)
    street_names = _unique_names(rng, t["streets"], iter(street_pool).__next__)
    community_pool = [COMMUNITY_FIRST[i : i + 2] for i in range(0, len(COMMUNITY_FIRST), 2)]

    # communities: lognormal sizes; grids and compounds apportioned by size
    street_sizes = [rng.lognormvariate(0, 0.35) for _ in range(t["streets"])]
    communities_per_street = apportion(t["communities"], street_sizes, minimum=1)
    street_district = [i for i, n in enumerate(streets_per) for _ in range(n)]
    community_weights = []
    community_street = []
    for s, n in enumerate(communities_per_street):
        d = street_district[s]
        for _ in range(n):
            community_weights.append(rng.lognormvariate(0, 0.5) * density[d])
            community_street.append(s)
    grids_per_community = apportion(t["grids"], community_weights, minimum=1)
    compound_weights = [
        w * compound_share[street_district[community_street[i]]] / density[street_district[community_street[i]]]
        for i, w in enumerate(community_weights)
    ]
    compounds_per_community = apportion(t["compounds"], compound_weights)

    # compound attributes, exactly as many of each as the targets say
    kinds = (
        ["managed_oc"] * t["owners_committees"]
        + ["managed"] * (t["managed_compounds"] - t["owners_committees"])
        + ["self"] * t["self_management"]
    )
    kinds += ["none"] * (t["compounds"] - len(kinds))
    rng.shuffle(kinds)
    kind_iter = iter(kinds)

    width = math.sqrt(t["area_km2"] * 1.3)
    city_rect = (0.0, 0.0, width, t["area_km2"] / width)
    district_rects = split_rect(city_rect, [a * n for a, n in zip(area_weights, streets_per, strict=True)])
    plan_districts: list[CityDistrict] = []
    k_street = k_community = 0
    for di, (name, suffix, _d, _c) in enumerate(districts_used):
        district = CityDistrict(name=name, code=PREFECTURE_CODE + suffix, rect=district_rects[di])
        plan_districts.append(district)
        n_streets = streets_per[di]
        street_ids = list(range(k_street, k_street + n_streets))
        k_street += n_streets
        street_rects = split_rect(district.rect, [street_sizes[s] * communities_per_street[s] for s in street_ids])
        used_compound_names: set[str] = set()
        for seq, (s, srect) in enumerate(zip(street_ids, street_rects, strict=True), start=1):
            street = CityStreet(seq=seq, name=street_names[s] + "街道", rect=srect)
            district.streets.append(street)
            n = communities_per_street[s]
            idx = list(range(k_community, k_community + n))
            k_community += n
            names = _unique_names(
                rng, n, lambda: rng.choice(community_pool) + rng.choice(COMMUNITY_SECOND) + "社区"
            )  # fmt: skip
            crects = split_rect(srect, [community_weights[i] for i in idx])
            for cseq, (ci, crect, cname) in enumerate(zip(idx, crects, names, strict=True), start=1):
                community = CityCommunity(seq=cseq, name=cname, rect=crect)
                street.communities.append(community)
                _plan_grids(rng, community, grids_per_community[ci], compounds_per_community[ci], kind_iter,
                            used_compound_names)  # fmt: skip
    plan = CityPlan(fraction=fraction, seed=seed, targets=t, districts=plan_districts)
    # part-time workers: the rest of the grid workers, spread by grid weight (some grids have none)
    grids = plan.grids
    part_time = t["grid_workers"] - len(grids)
    shares = apportion(part_time, [g.weight * rng.uniform(0.3, 1.7) for g in grids])
    for grid, n in zip(grids, shares, strict=True):
        grid.part_time = n
    return plan


def _plan_grids(rng, community: CityCommunity, n_grids: int, n_compounds: int, kinds, used: set[str]) -> None:
    rects = split_rect(community.rect, [rng.uniform(0.6, 1.4) for _ in range(n_grids)])
    order = west_east_north_south(rects)
    grids = [CityGrid(seq=seq, rect=rects[gi], weight=rng.lognormvariate(0, 0.6)) for seq, gi in enumerate(order, 1)]
    per_grid = [0] * n_grids
    hosts = rng.sample(range(n_grids), min(n_grids, n_compounds))
    for i in range(n_compounds):
        per_grid[hosts[i % len(hosts)]] += 1
    for grid, k in zip(grids, per_grid, strict=True):
        community.grids.append(grid)
        if not k:
            grid.open_rect = grid.rect
            continue
        grid.weight *= 1.6  # people live there: more matters
        weights = [rng.uniform(0.6, 1.4) for _ in range(k)]
        cells = split_rect(grid.rect, [*weights, sum(weights) * rng.uniform(0.4, 1.0)])
        grid.open_rect = cells[-1]
        for cell in cells[:-1]:
            x0, y0, x1, y1 = cell
            mx, my = (x1 - x0) * 0.08, (y1 - y0) * 0.08
            kind = next(kinds)
            company = rng.choice(PROPERTY_COMPANIES) if kind.startswith("managed") else ""
            owners = {"managed_oc": "owners_committee", "self": "self_management"}.get(kind, "none")
            compound = CityCompound(
                name=_compound_name(rng, used),
                rect=(x0 + mx, y0 + my, x1 - mx, y1 - my),
                property_company=company,
                owners_organisation=owners,
                three_no=kind == "none",
                households=int(min(6_000, max(60, rng.lognormvariate(math.log(480), 0.8)))),
            )
            _buildings(rng, compound)
            grid.compounds.append(compound)


def _compound_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(50):
        name = rng.choice(COMPOUND_FIRST) + rng.choice(COMPOUND_SECOND)
        for suffix in ("", "二期", "三期", "北区", "南区", "东区", "西区"):
            if name + suffix not in used:
                used.add(name + suffix)
                return name + suffix
    name = f"{rng.choice(COMPOUND_FIRST)}{len(used) + 1}号院"
    used.add(name)
    return name


def _buildings(rng: random.Random, compound: CityCompound) -> None:
    hh = compound.households
    high_rise = rng.random() < 0.45
    per = rng.choice([66, 72, 88, 96, 132]) if high_rise else rng.choice([18, 24, 30, 36, 48])
    count = min(60, max(1, math.ceil(hh / per)))
    x0, y0, x1, y1 = compound.rect
    cols = max(1, round(math.sqrt(count * (x1 - x0) / max(y1 - y0, 1e-6))))
    rows = math.ceil(count / cols)
    per_building = math.ceil(hh / count)
    for i in range(count):
        c, r = i % cols, i // cols
        units = rng.choice([1, 2]) if high_rise else rng.choice([2, 3, 4])
        floors = max(math.ceil(per_building / (units * 2)), 11 if high_rise else 4)
        compound.buildings.append(
            CityBuilding(
                x=x0 + (x1 - x0) * (c + 0.5) / cols,
                y=y1 - (y1 - y0) * (r + 0.5) / rows,
                floors=min(floors, 33 if high_rise else 7),
                units=units,
            )
        )


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return (round(CITY_ORIGIN[0] + x / KM_PER_DEG_LON, 7), round(CITY_ORIGIN[1] + y / KM_PER_DEG_LAT, 7))


def rect_geojson(rect) -> dict:
    x0, y0, x1, y1 = rect
    ring = [to_lonlat(x0, y0), to_lonlat(x1, y0), to_lonlat(x1, y1), to_lonlat(x0, y1), to_lonlat(x0, y0)]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def rect_area_fields(rect) -> tuple[str, float, float, float]:
    """(geometry JSON, area km², centroid lon, centroid lat) of a rectangle of the plan."""
    from gongzhi.territory import geometry

    geojson = rect_geojson(rect)
    geom = geometry.parse_polygon(geojson)
    lon, lat = geometry.centroid(geom)
    return json.dumps(geojson), round(geometry.area_km2(geom), 6), lon, lat


# --- the working clock, fast -------------------------------------------------------------------


class FastClock:
    """`sla.deadline` for many starts: the calendar's working periods between two dates as sorted
    UTC seconds with their cumulative working time, so adding working time is two bisections.

    Gives the same instants as `sla.deadline(start, duration, cal)` for starts in [first, last]
    whose deadlines fall before `last` (checked by the tests); times are whole UTC seconds.
    """

    def __init__(self, cal, first: datetime.date, last: datetime.date) -> None:
        self.cal = cal
        starts: list[int] = []
        ends: list[int] = []
        cum: list[int] = []
        self.workdays: list[int] = []
        self.closes: list[int] = []
        total = 0
        day = first
        while day <= last:
            if cal.is_workday(day):
                self.workdays.append(day.toordinal())
                for start, end in cal.periods:
                    a = int(datetime.datetime.combine(day, start, tzinfo=cal.tz).timestamp())
                    b = int(datetime.datetime.combine(day, end, tzinfo=cal.tz).timestamp())
                    starts.append(a)
                    ends.append(b)
                    cum.append(total)
                    total += b - a
                self.closes.append(ends[-1])
            day += datetime.timedelta(days=1)
        self.starts, self.ends, self.cum = starts, ends, cum
        self.cum_end = [c + (e - s) for s, e, c in zip(starts, ends, cum, strict=True)]
        self.first = first

    def local_date(self, ts: int) -> int:
        return datetime.datetime.fromtimestamp(ts, self.cal.tz).date().toordinal()

    def add_work(self, ts: int, seconds: int) -> int:
        """`ts` plus `seconds` of working time (office periods half-open; an exact fill ends at the end)."""
        if seconds <= 0:
            return ts
        i = bisect.bisect_right(self.ends, ts)
        begin = max(self.starts[i], ts)
        target = self.cum[i] + (begin - self.starts[i]) + seconds
        j = bisect.bisect_left(self.cum_end, target, lo=i)
        return self.starts[j] + (target - self.cum[j])

    def add_work_days(self, ts: int, n: int) -> int:
        """Closing time of the n-th working day after the local date of `ts` (n = 0: of the day of the
        next working moment)."""
        if n == 0:
            i = bisect.bisect_right(self.ends, ts)
            return self.closes[bisect.bisect_left(self.workdays, self.local_date(self.starts[i]))]
        k = bisect.bisect_right(self.workdays, self.local_date(ts)) + n - 1
        return self.closes[k]

    def deadline(self, ts: int, duration) -> int:
        unit, amount = duration.unit.value, duration.amount
        if unit == "work_hours":
            return self.add_work(ts, amount * 3600)
        if unit == "work_days":
            return self.add_work_days(ts, amount)
        return ts + amount * {"minutes": 60, "hours": 3600, "days": 86400}[unit]


# --- writing rows ------------------------------------------------------------------------------


class Sink:
    """Buffers rows per table and writes them in chunks: COPY on PostgreSQL, executemany elsewhere.

    On PostgreSQL the rows of a chunk are turned into COPY text here (psycopg's documented
    `FileWriter`: no database I/O) and a writer thread sends them, so the server parses them and
    updates the indexes on the other core while this thread makes the next rows. Within
    `background()` the caller must `drain()` before it uses the connection itself.
    """

    CHUNK = 20_000

    def __init__(self, connection) -> None:
        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self.tables: dict[str, tuple[str, list[str], list]] = {}
        self.buffers: dict[str, list[tuple]] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)  # writing (the server's part, on PostgreSQL)
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        self._raw = None
        self._formatting = None

    def register(self, key: str, model, columns: list[str]) -> None:
        """A table to write: `model`'s db_table (or an auto-created through table) and its columns."""
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        adapters = [self._adapter(fields[name]) for name in columns]
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in columns)
        # table and column names come from the models' _meta, never from input
        if self.pg:
            sql = f"COPY {qn(meta.db_table)} ({cols}) FROM STDIN"
        else:
            sql = f"INSERT INTO {qn(meta.db_table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        self.tables[key] = (sql, columns, adapters)
        self.buffers[key] = []

    def _adapter(self, f):
        """How a Python value of this column is written by executemany (COPY takes them as they are)."""
        from django.db import models

        ops = self.connection.ops
        if isinstance(f, models.DateTimeField):
            return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
        if isinstance(f, models.DateField):
            return lambda v: None if v is None else ops.adapt_datefield_value(v)
        if isinstance(f, models.UUIDField):
            return lambda v: f.get_db_prep_value(v, self.connection)
        if isinstance(f, models.BooleanField):
            return lambda v: None if v is None else bool(v)
        return None

    def add(self, key: str, row: tuple) -> None:
        buffer = self.buffers[key]
        buffer.append(row)
        if len(buffer) >= self.CHUNK:
            self.flush(key)

    def flush(self, key: str | None = None) -> None:
        """Write the buffered rows of one table (or of all)."""
        for k in [key] if key else list(self.buffers):
            rows = self.buffers[k]
            if not rows:
                continue
            self.buffers[k] = []
            self.written[k] += len(rows)
            sql, _columns, adapters = self.tables[k]
            if not self.pg:
                started = time.monotonic()
                with self.connection.cursor() as cursor:
                    cursor.executemany(
                        sql, [tuple(a(v) if a else v for a, v in zip(adapters, row, strict=True)) for row in rows]
                    )
                self.seconds[k] += time.monotonic() - started
                continue
            data = self._copy_data(rows)
            if self._queue is None:
                self._send(k, sql, data)
            else:
                self._check()
                self._queue.put((k, sql, data))  # waits while two chunks are queued: memory stays bounded

    def _copy_data(self, rows: list[tuple]) -> bytes:
        from psycopg import Copy
        from psycopg.copy import FileWriter

        if self._formatting is None:
            self.connection.ensure_connection()
            self._formatting = self.connection.connection.cursor()  # never executes anything
        out = io.BytesIO()
        with Copy(self._formatting, writer=FileWriter(out)) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        return out.getvalue()

    def _send(self, key: str, sql: str, data: bytes) -> None:
        started = time.monotonic()
        raw = self._raw or self.connection.connection  # the psycopg connection (Django's wrapper is per thread)
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(data)
        self.seconds[key] += time.monotonic() - started

    @contextlib.contextmanager
    def background(self):
        """Send COPY data from a writer thread while the block runs (PostgreSQL; a no-op elsewhere)."""
        if not self.pg:
            yield
            return
        self.connection.ensure_connection()
        self._raw = self.connection.connection
        self._queue, self._error = queue.Queue(maxsize=2), None
        writer = threading.Thread(target=self._drain_queue, name="city-copy", daemon=True)
        writer.start()
        try:
            yield
            self.flush()
        finally:
            self._queue.put(None)
            writer.join()
            self._queue = self._raw = None
        self._check()

    def drain(self) -> None:
        """Wait until every queued chunk is written (before this thread uses the connection)."""
        if self._queue is not None:
            self._queue.join()
            self._check()

    def _check(self) -> None:
        if self._error is not None:
            raise RuntimeError("city load: writing rows failed") from self._error

    def _drain_queue(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    self._send(*item)
            except BaseException as exc:  # handed to the main thread at its next flush or drain
                self._error = exc
            finally:
                self._queue.task_done()


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def dt(ts: int | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, UTC)


def _lognormal_seconds(rng: random.Random, median_s: float, sigma: float) -> int:
    return max(30, int(rng.lognormvariate(math.log(median_s), sigma)))


# --- the loader ---------------------------------------------------------------------------------

LEVEL_INDEX = {"district": 0, "street": 1, "community": 2, "grid": 3, "building": 4}
TIERS = ["grid", "community", "street", "district"]
EXPLICIT_IDS = (
    "district", "street", "community", "grid", "compound", "building", "user", "assignment", "member", "body",
    "case", "whistle", "patrol",
)  # fmt: skip


@dataclass
class GridRef:
    """A grid as the loader needs it after writing it: ids, rectangles, compounds, staff."""

    id: int
    community_id: int
    street_id: int
    district_id: int
    rect: tuple
    open_rect: tuple
    # (compound id, rect, property_management, owners_organisation, [(building id, lon, lat, name)], name)
    compounds: list
    full_time: int = 0  # the full-time worker's user id
    part_time: list = field(default_factory=list)
    station: int = 0  # the grid station's body id


class CityLoader:
    """Writes a CityPlan, its bodies, staff, patrols and a year of cases (see the module docstring)."""

    def __init__(self, plan: CityPlan, *, seed: int, now: datetime.datetime, log: Callable[[str], None] = print):
        from django.db import connection

        self.plan = plan
        self.seed = seed
        self.now = now
        self.now_ts = int(now.timestamp())
        self.log = log
        self.connection = connection
        self.sink = Sink(connection)
        self.t0 = self.step_started = time.monotonic()
        self.timings: list[tuple[str, float]] = []
        self.counts: dict[str, int] = {}
        self.created = now.astimezone(UTC)
        self.audit_rows = 0

    def _step(self, message: str) -> None:
        now = time.monotonic()
        self.timings.append((message, now - self.step_started))
        self.log(f"[{now - self.t0:7.1f}s] (+{now - self.step_started:6.1f}s) {message}")
        self.step_started = now

    def load(self) -> dict[str, int]:
        """Everything in one transaction; returns the counts written."""
        from django.db import transaction

        with transaction.atomic():
            replica = self._fast_session()
            self._register_tables()
            with self.sink.background():
                # each step reads what it needs first (after the rows before it are written), then
                # only makes rows
                for step in (self._territory, self._accounts, self._bodies, self._patrols, self._cases):
                    self.sink.drain()
                    step()
            self._finish(replica)
        return self.counts

    # -- session and tables ----------------------------------------------------------------------

    def _fast_session(self) -> bool:
        """PostgreSQL: no per-row foreign-key triggers while loading (all keys are checked at the end)."""
        if not self.sink.pg:
            return False
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(), self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            self.log("  (session_replication_role not allowed: foreign keys are checked row by row)")
            return False
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        return True

    def _register_tables(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        from gongzhi.accounts.models import Assignment, User
        from gongzhi.cases.models import Case, CaseEvent, Dispatch, HandlingBody, Summons, Whistle
        from gongzhi.core.models import ObjectChange
        from gongzhi.grids.models import GridMember, Patrol, PatrolEntry
        from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

        self.models = {
            "district": District, "street": Street, "community": Community, "grid": Grid, "compound": Compound,
            "building": Building, "user": User, "assignment": Assignment, "member": GridMember,
            "body": HandlingBody, "case": Case, "whistle": Whistle, "patrol": Patrol, "dispatch": Dispatch,
            "event": CaseEvent, "summons": Summons, "entry": PatrolEntry, "change": ObjectChange,
        }  # fmt: skip
        for key, model in self.models.items():
            skip = () if key in EXPLICIT_IDS else ("id",)
            self.sink.register(key, model, [f.attname for f in model._meta.concrete_fields if f.attname not in skip])
        self.sink.register("body_member", HandlingBody.members.through, ["handlingbody_id", "user_id"])
        self.sink.register("body_compound", HandlingBody.compounds.through, ["handlingbody_id", "compound_id"])
        self.ids = {key: next_id(self.models[key]) for key in EXPLICIT_IDS}
        self._first_user = self.ids["user"]
        self.columns = {key: self.sink.tables[key][1] for key in self.sink.tables}
        self.content_types = {k: ContentType.objects.get_for_model(m).pk for k, m in self.models.items()}

    def _take_id(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] = value + 1
        return value

    def _add(self, key: str, row: tuple, audit: str | None = None, scope: tuple = (None,) * 4) -> None:
        """Write a row; with `audit` (the object's text) also its audit row, as load_demo writes one per
        territory node, account and assignment (the snapshot of `core.audit.serialize_object`)."""
        self.sink.add(key, row)
        if audit is None:
            return
        data = {}
        for name, value in zip(self.columns[key], row, strict=True):
            if name == "password" or name.endswith("_hash"):
                continue
            if isinstance(value, (datetime.datetime, datetime.date)):
                value = value.isoformat()
            elif name == "geometry" and value is not None:
                value = json.loads(value)
            data[name] = value
        self.sink.add("change", (self.created, None, "load_demo", "", "create", self.content_types[key], str(row[0]),
                                 audit[:200], None, json.dumps(data, ensure_ascii=False), *scope))  # fmt: skip
        self.audit_rows += 1

    # -- territory -------------------------------------------------------------------------------

    def _territory(self) -> None:
        plan, created = self.plan, self.created
        self.grid_refs: list[GridRef] = []
        self.district_ids: list[int] = []
        self.street_ids: list[int] = []
        self.community_ids: list[int] = []
        self.names: dict[tuple[str, int], str] = {}
        self.company_of: dict[int, str] = {}
        n_compounds = n_buildings = 0
        for dp in plan.districts:
            did = self._take_id("district")
            self.district_ids.append(did)
            self.names[("district", did)] = dp.name
            self._add("district", (did, created, created, dp.name, *rect_area_fields(dp.rect), dp.code),
                      dp.name, (did, None, None, None))  # fmt: skip
            for sp in dp.streets:
                sid = self._take_id("street")
                self.street_ids.append(sid)
                self.names[("street", sid)] = sp.name
                scode = f"{dp.code}{sp.seq:03d}000"
                self._add("street", (sid, created, created, sp.name, *rect_area_fields(sp.rect), did, scode),
                          sp.name, (did, sid, None, None))  # fmt: skip
                for cp in sp.communities:
                    cid = self._take_id("community")
                    self.community_ids.append(cid)
                    self.names[("community", cid)] = cp.name
                    ccode = f"{scode[:9]}{cp.seq:03d}"
                    self._add("community", (cid, created, created, cp.name, *rect_area_fields(cp.rect), sid, did,
                                            ccode), cp.name, (did, sid, cid, None))  # fmt: skip
                    n_in_community = 0
                    for gp in cp.grids:
                        gid = self._take_id("grid")
                        gname = f"{cp.name}第{gp.seq}网格"
                        self.names[("grid", gid)] = gname
                        self._add("grid", (gid, created, created, gname, *rect_area_fields(gp.rect), cid, sid, did,
                                           f"{ccode}{gp.seq:03d}", None), gname, (did, sid, cid, gid))  # fmt: skip
                        ref = GridRef(gid, cid, sid, did, gp.rect, gp.open_rect, [])
                        self.grid_refs.append(ref)
                        for kp in gp.compounds:
                            n_in_community += 1
                            n_compounds += 1
                            kid = self._take_id("compound")
                            kcode = f"{ccode}-{n_in_community:03d}"
                            pm = "company" if kp.property_company else "none"
                            self.company_of[kid] = kp.property_company
                            self._add("compound", (
                                kid, created, created, kp.name, *rect_area_fields(kp.rect), gid, cid, sid, did, kcode,
                                f"{CITY_NAME}{dp.name}{sp.name}{kp.name}", pm, kp.property_company,
                                kp.owners_organisation, kp.three_no, True,
                            ), kp.name, (did, sid, cid, gid))  # fmt: skip
                            buildings = []
                            for bi, bp in enumerate(kp.buildings, start=1):
                                bid = self._take_id("building")
                                lon, lat = to_lonlat(bp.x, bp.y)
                                self._add("building", (
                                    bid, created, created, kid, gid, cid, sid, did, f"{bi}幢", f"{kcode}-{bi:03d}",
                                    lon, lat, None, bp.floors, bp.units,
                                ), f"{kp.name}{bi}幢", (did, sid, cid, gid))  # fmt: skip
                                buildings.append((bid, lon, lat, f"{bi}幢"))
                            n_buildings += len(buildings)
                            ref.compounds.append((kid, kp.rect, pm, kp.owners_organisation, buildings, kp.name))
        for key in ("district", "street", "community", "grid", "compound", "building"):
            self.sink.flush(key)
        self.counts.update(
            districts=len(self.district_ids), streets=len(self.street_ids), communities=len(self.community_ids),
            grids=len(self.grid_refs), compounds=n_compounds, buildings=n_buildings,
        )  # fmt: skip
        self._step(
            f"territory: {len(self.district_ids)} districts, {len(self.street_ids)} streets, "
            f"{len(self.community_ids):,} communities, {len(self.grid_refs):,} grids, {n_compounds:,} compounds, "
            f"{n_buildings:,} buildings"
        )

    # -- accounts and grid staff -------------------------------------------------------------------

    def _user(self, username: str, display: str, *, organisation: str = "", superuser: bool = False) -> int:
        uid = self._take_id("user")
        self._add("user", (uid, self.password, None, superuser, username, "", "", "", superuser, True, self.created,
                           display, organisation), display or username)  # fmt: skip
        self.user_names[uid] = display or username
        return uid

    def _assign(self, uid: int, role: str, level: str, node: int, scope: tuple) -> None:
        nodes: list[int | None] = [None] * 5
        nodes[LEVEL_INDEX[level]] = node
        aid = self._take_id("assignment")
        self._add("assignment", (aid, self.created, self.created, uid, role, level, *nodes),
                  f"{self.user_names[uid]} · {role}", scope)  # fmt: skip

    def _accounts(self) -> None:
        from django.contrib.auth.hashers import make_password

        from gongzhi.accounts.models import User
        from gongzhi.grids.models import GridMember

        from .loader import DEMO_PASSWORD
        from .people import PeopleFactory

        people = self.people = PeopleFactory(self.seed + 41)
        rng = people.rng
        self.password = make_password(DEMO_PASSWORD)
        self.user_names: dict[int, str] = {}
        first_user = self.ids["user"]
        if not User.objects.filter(username="admin").exists():
            self._user("admin", "系统管理员", superuser=True)
        self.district_admin: dict[int, int] = {}
        self.street_admin: dict[int, int] = {}
        self.dispatcher: dict[int, int] = {}
        self.community_worker: dict[int, int] = {}
        parent = {}
        for g in self.grid_refs:
            parent[("street", g.street_id)] = g.district_id
            parent[("community", g.community_id)] = (g.street_id, g.district_id)
        for i, did in enumerate(self.district_ids, start=1):
            uid = self._user(f"city-d{i:02d}", f"{people.name('male')}（{self.names[('district', did)]}）")
            self._assign(uid, "district_admin", "district", did, (did, None, None, None))
            self.district_admin[did] = uid
        for i, sid in enumerate(self.street_ids, start=1):
            did = parent[("street", sid)]
            uid = self._user(f"city-s{i:03d}", f"{people.name('female')}（{self.names[('street', sid)]}）")
            self._assign(uid, "street_admin", "street", sid, (did, sid, None, None))
            self.street_admin[sid] = uid
            uid = self._user(f"city-s{i:03d}-ddy", f"{people.name('female')}（{self.names[('street', sid)]}指挥中心）")
            self._assign(uid, "dispatcher", "street", sid, (did, sid, None, None))
            self.dispatcher[sid] = uid
        for i, cid in enumerate(self.community_ids, start=1):
            sid, did = parent[("community", cid)]
            uid = self._user(f"city-c{i:04d}", people.name(rng.choice(["male", "female"])))
            self._assign(uid, "community_worker", "community", cid, (did, sid, cid, None))
            self.community_worker[cid] = uid
        # grid workers: the full-time worker of each grid, then its part-time workers
        seal = GridMember._meta.get_field("phone").seal
        part_total = sum(gp.part_time for gp in self.plan.grids)
        head_slots = set(rng.sample(range(part_total), self.plan.targets["building_heads"]))
        today = self.now.date()
        n = k_part = 0
        for ref, gp in zip(self.grid_refs, self.plan.grids, strict=True):
            scope = (ref.district_id, ref.street_id, ref.community_id, ref.id)
            for j in range(1 + gp.part_time):
                n += 1
                name = people.name(rng.choice(["male", "female"]))
                uid = self._user(f"wg{n:05d}", name)
                self._assign(uid, "grid_worker", "grid", ref.id, scope)
                if j == 0:
                    kind, party = "full_time", rng.random() < 0.9
                    ref.full_time = uid
                else:
                    kind, party = ("building_head" if k_part in head_slots else "volunteer"), rng.random() < 0.45
                    k_part += 1
                    ref.part_time.append(uid)
                started = today - datetime.timedelta(days=rng.randint(400, 3000))
                self._add("member", (
                    self._take_id("member"), self.created, self.created, ref.id, ref.community_id, ref.street_id,
                    ref.district_id, kind, name, uid, seal(people.mobile()), party, "", started, None,
                ))  # fmt: skip
        for key in ("user", "assignment", "member"):
            self.sink.flush(key)
        self.counts.update(grid_workers=n, grid_members=n, building_heads=len(head_slots))
        self._step(f"accounts: {self.ids['user'] - first_user:,} users ({n:,} grid workers with their "
                   f"assignments and grid-member rows, {len(head_slots):,} of them building heads)")  # fmt: skip

    # -- handling bodies -------------------------------------------------------------------------

    def _bodies(self) -> None:
        from gongzhi.cases import cache as cases_cache
        from gongzhi.cases.demo import COMMUNITY_BODIES, DISTRICT_BODIES, STREET_BODIES, ensure_default_rules

        ensure_default_rules()
        created, people = self.created, self.people
        first_user = self.ids["user"]
        self.body_info: dict[int, tuple] = {}  # id → (name, kind, tier, node id, staff user id)
        self.bodies_at: dict[tuple[str, int], list[int]] = defaultdict(list)  # (tier, node id) → ids, pk order
        members = 0

        def body(name, kind, tier, did, sid=None, cid=None, gid=None, member=None) -> int:
            nonlocal members
            bid = self._take_id("body")
            self.sink.add("body", (bid, created, created, name, kind, tier, did, sid, cid, gid, "", True))
            node = {"district": did, "street": sid, "community": cid, "grid": gid}[tier]
            self.body_info[bid] = (name, kind, tier, node, member)
            self.bodies_at[(tier, node)].append(bid)
            if member:
                self.sink.add("body_member", (bid, member))
                members += 1
            return bid

        def staff(organisation: str, level: str, node: int, scope: tuple) -> int:
            uid = self._user(f"city-h{self.ids['user']:06d}", people.name(people.rng.choice(["male", "female"])),
                             organisation=organisation)  # fmt: skip
            self._assign(uid, "handler", level, node, scope)
            return uid

        street_district = {g.street_id: g.district_id for g in self.grid_refs}
        for did in self.district_ids:
            for kind, pattern in DISTRICT_BODIES:
                name = pattern.format(district=self.names[("district", did)])
                body(name, kind, "district", did, member=staff(name, "district", did, (did, None, None, None)))
        for sid in self.street_ids:
            did, sname = street_district[sid], self.names[("street", sid)]
            for kind, pattern in STREET_BODIES:
                name = pattern.format(street=sname, short=sname.removesuffix("街道"))
                body(name, kind, "street", did, sid, member=staff(name, "street", sid, (did, sid, None, None)))
        by_community: dict[int, list[GridRef]] = defaultdict(list)
        for g in self.grid_refs:
            by_community[g.community_id].append(g)
        for cid in self.community_ids:
            grids = by_community[cid]
            sid, did = grids[0].street_id, grids[0].district_id
            cname, worker = self.names[("community", cid)], self.community_worker[cid]
            for kind, pattern in COMMUNITY_BODIES:
                body(pattern.format(community=cname), kind, "community", did, sid, cid, member=worker)
            self_managed = [k[0] for g in grids for k in g.compounds if k[3] == "self_management"]
            if self_managed:
                bid = body(f"{cname}小区自管会", "owners_committee", "community", did, sid, cid, member=worker)
                for kid in self_managed:
                    self.sink.add("body_compound", (bid, kid))
            companies: dict[str, list[int]] = defaultdict(list)
            for g in grids:
                for k in g.compounds:
                    if k[2] == "company":
                        companies[self.company_of[k[0]]].append(k[0])
            for company, kids in sorted(companies.items()):
                name = f"{company}（{cname}）"
                bid = body(name, "property_company", "community", did, sid, cid,
                           member=staff(name, "community", cid, (did, sid, cid, None)))  # fmt: skip
                for kid in kids:
                    self.sink.add("body_compound", (bid, kid))
        for g in self.grid_refs:
            g.station = body(f"{self.names[('grid', g.id)]}工作站", "grid_station", "grid", g.district_id,
                             g.street_id, g.community_id, g.id, member=g.full_time)  # fmt: skip
        for key in ("user", "assignment", "body", "body_member", "body_compound"):
            self.sink.flush(key)
        cases_cache.clear()
        self.counts.update(handling_bodies=len(self.body_info), body_members=members)
        self._step(f"handling bodies: {len(self.body_info):,} ({members:,} members, "
                   f"{self.ids['user'] - first_user:,} handler accounts)")  # fmt: skip

    # -- patrols (the last complete calendar month) -----------------------------------------------

    def _patrols(self) -> None:
        from gongzhi.cases import services as case_services
        from gongzhi.grids.patrols import route_distance_m

        rng = random.Random(self.seed + 43)
        cal = case_services.calendar()
        tz = cal.tz
        last = self.now.astimezone(tz).date().replace(day=1) - datetime.timedelta(days=1)
        first = last.replace(day=1)
        self.patrol_month = (first, last)
        days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
        workday = [cal.is_workday(d) for d in days]
        midnight = [int(datetime.datetime.combine(d, datetime.time(0), tzinfo=tz).timestamp()) for d in days]
        # (worker, day ordinal) → patrol id; by patrol id: its window and client id (to file problems on it)
        self.patrol_of: dict[tuple[int, int], int] = {}
        self.patrol_window: dict[int, tuple[int, int, str]] = {}
        n = entries = 0
        for ref in self.grid_refs:
            x0, y0, x1, y1 = ref.rect
            for uid, full in [(ref.full_time, True)] + [(u, False) for u in ref.part_time]:
                diligence = rng.choice([0.97, 0.93, 0.9, 0.8, 0.6]) if full else rng.uniform(0.1, 0.3)
                for di, day in enumerate(days):
                    if rng.random() > (diligence if (workday[di] or not full) else diligence * 0.15):
                        continue
                    if full:
                        minutes = rng.randint(40, 100) if rng.random() < 0.1 else max(30, int(rng.gauss(128, 22)))
                    else:
                        minutes = rng.randint(30, 90)
                    start = midnight[di] + 8 * 3600 + rng.randint(0, 150) * 60
                    end = start + minutes * 60
                    x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
                    steps = max(3, minutes // 20)
                    route = []
                    for step in range(steps + 1):
                        x = min(x1, max(x0, x + rng.uniform(-0.12, 0.12)))
                        y = min(y1, max(y0, y + rng.uniform(-0.12, 0.12)))
                        lon, lat = to_lonlat(x, y)
                        route.append([lon, lat, start + step * (end - start) // steps, rng.choice([5, 8, 10, 15])])
                    pid = self._take_id("patrol")
                    client = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    note = rng.choice(PATROL_NOTES) if rng.random() < 0.3 else ""
                    self.sink.add("patrol", (
                        pid, client, uid, ref.id, ref.community_id, ref.street_id, ref.district_id, "done", dt(start),
                        dt(end), json.dumps(route), int(route_distance_m(route)), note, dt(end + rng.randint(5, 600)),
                    ))  # fmt: skip
                    self.patrol_of[(uid, day.toordinal())] = pid
                    self.patrol_window[pid] = (start, end, client)
                    n += 1
                    if rng.random() < 0.25:
                        lon, lat = route[len(route) // 2][:2]
                        entry = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                        text = rng.choice(PATROL_NOTES)
                        self.sink.add("entry", (pid, entry, "visit", text, dt((start + end) // 2), lon, lat, "", None))
                        entries += 1
        self.sink.flush("patrol")
        self.counts["patrols"] = n
        self._step(f"patrols: {n:,} in {first:%Y-%m} ({entries:,} visit entries)")

    # -- cases -------------------------------------------------------------------------------------

    def _texts(self) -> dict[str, list[tuple[str, str]]]:
        """Case texts by category from the classifier's corpus, each with its suggestions (JSON)."""
        from gongzhi.cases import classifier

        by_category: dict[str, list[tuple[str, str]]] = defaultdict(list)
        seen: set[str] = set()
        for category, text in [*classifier.shipped_examples(), *classifier.holdout_examples()]:
            if text not in seen and category in CATEGORY_WEIGHTS:
                seen.add(text)
                by_category[category].append((text, json.dumps(classifier.suggest(text), ensure_ascii=False)))
        missing = set(CATEGORY_WEIGHTS) - set(by_category)
        if missing:
            raise RuntimeError(f"no corpus texts for {sorted(missing)}")
        return by_category

    def _routes(self) -> tuple[dict, dict]:
        """The body the rules suggest per (category, community, compound), and per tier above (escalation),
        from `cases.routing` once for each place rather than once per case."""
        from gongzhi.cases import routing

        suggested: dict[tuple, int | None] = {}
        upward: dict[tuple, int | None] = {}
        seen: set[tuple] = set()
        for g in self.grid_refs:
            places = [None, *g.compounds]
            for compound in places:
                key = (g.community_id, compound[0] if compound else None)
                if key in seen:
                    continue
                seen.add(key)
                place = routing.Place(
                    district_id=g.district_id, street_id=g.street_id, community_id=g.community_id, grid_id=g.id,
                    compound_id=key[1], property_management=compound[2] if compound else "",
                    owners_organisation=compound[3] if compound else "",
                )  # fmt: skip
                nodes = {"community": g.community_id, "street": g.street_id, "district": g.district_id}
                for category in CATEGORY_WEIGHTS:
                    found, _rule = routing.route(category, place)
                    suggested[(category, *key)] = found.pk if found else None
                    for tier in ("community", "street", "district"):
                        # route_upward without its database fallback: the lowest-pk body of the tier
                        found, _rule = routing.route(category, place, tier)
                        fallback = self.bodies_at.get((tier, nodes[tier]))
                        upward[(category, *key, tier)] = found.pk if found else (fallback[0] if fallback else None)
        return suggested, upward

    def _cases(self) -> None:
        from gongzhi.cases import services as case_services
        from gongzhi.cases.models import Case
        from gongzhi.core.crypto import blind_index

        rng = random.Random(self.seed + 47)
        cal = case_services.calendar()
        tz = cal.tz
        now_ts = self.now_ts
        start_ts = now_ts - 365 * 86400
        first_day = datetime.datetime.fromtimestamp(start_ts, tz).date()
        last_day = datetime.datetime.fromtimestamp(now_ts, tz).date()
        clock = self.clock = FastClock(cal, first_day - datetime.timedelta(days=3), last_day + datetime.timedelta(120))
        texts = self._texts()
        suggested_at, upward_at = self._routes()
        self._step(f"case texts ({sum(len(v) for v in texts.values()):,}) and routes ({len(suggested_at):,}) ready")
        policies = {(c, p): case_services.policy_for(c, p) for c in CATEGORY_WEIGHTS for p in PRIORITY_WEIGHTS}
        seal = Case._meta.get_field("reporter_phone").seal

        # the days: weights by season, weekday, holiday and trend; the first and last days are partial
        days = []
        day = first_day
        while day <= last_day:
            midnight = int(datetime.datetime.combine(day, datetime.time(0), tzinfo=tz).timestamp())
            lo, hi = max(start_ts, midnight), min(now_ts, midnight + 86400)
            if hi > lo:
                season = 1 + 0.18 * math.sin((day.timetuple().tm_yday - 110) / 365 * 2 * math.pi)
                weekday = (1.08, 1.05, 1.04, 1.03, 1.0, 0.8, 0.72)[day.weekday()]
                holiday = 0.7 if day in cal.holidays else 1.0
                trend = 0.9 + 0.2 * (midnight - start_ts) / (365 * 86400)
                days.append((day, midnight, lo, hi, _hourly_mass(lo - midnight, hi - midnight) * season * weekday
                             * holiday * trend))  # fmt: skip
            day += datetime.timedelta(days=1)
        per_day = apportion(self.plan.targets["cases"], [d[4] for d in days])

        grids = self.grid_refs
        grid_cum = list(itertools.accumulate(g.weight for g in self.plan.grids))
        pick = _picker
        categories, cat_cum = tuple(CATEGORY_WEIGHTS), _cum(CATEGORY_WEIGHTS)
        channels, ch_cum = tuple(CHANNEL_WEIGHTS), _cum(CHANNEL_WEIGHTS)
        priorities, pr_cum = tuple(PRIORITY_WEIGHTS), _cum(PRIORITY_WEIGHTS)
        hours_cum = list(itertools.accumulate(HOURLY))
        patrol_first, patrol_last = (d.toordinal() for d in self.patrol_month)
        body_info, names, add = self.body_info, self.user_names, self.sink.add
        first_id = case_id = self.ids["case"]
        last_in_grid: dict[int, tuple] = {}  # grid → (case id, category, reported, closed or None, number)
        states: dict[str, int] = defaultdict(int)
        problems = 0
        progress_every = max(1, len(days) // 12)
        world = _World(self, rng, clock, now_ts, upward_at, last_in_grid)

        for di, ((day, midnight, lo, hi, _weight), n_day) in enumerate(zip(days, per_day, strict=True)):
            day_ord = day.toordinal()
            in_patrol_month = patrol_first <= day_ord <= patrol_last
            drafts = []
            for gi in rng.choices(range(len(grids)), cum_weights=grid_cum, k=n_day):
                g = grids[gi]
                channel = pick(rng, channels, ch_cum)
                reporter = patrol = None
                if channel == "grid_app":
                    reporter = g.full_time if (not g.part_time or rng.random() < 0.75) else rng.choice(g.part_time)
                    if in_patrol_month and rng.random() < 0.85:
                        patrol = self.patrol_of.get((reporter, day_ord))
                if patrol is not None:
                    p_start, p_end, _client = self.patrol_window[patrol]
                    reported = rng.randint(p_start, p_end)
                else:
                    reported = _sample_time(rng, midnight, lo, hi, hours_cum)
                drafts.append((reported, gi, channel, reporter or 0, patrol or 0))
            drafts.sort()
            for reported, gi, channel, reporter, patrol in drafts:
                g = grids[gi]
                cid = case_id
                case_id += 1
                # what and where
                if channel == "iot":
                    category = "fire_safety" if rng.random() < 0.6 else "facility"
                else:
                    category = pick(rng, categories, cat_cum)
                if channel == "iot" or category == "fire_safety":
                    priority = rng.choices(("emergency", "urgent", "normal"), (20, 40, 40))[0]
                else:
                    priority = pick(rng, priorities, pr_cum)
                text, suggestions = rng.choice(texts[category])
                compound = building = None
                if g.compounds and rng.random() < 0.72:
                    compound = rng.choice(g.compounds)
                    building = rng.choice(compound[4])
                if building is not None:
                    lon = round(building[1] + rng.uniform(-0.00005, 0.00005), 7)
                    lat = round(building[2] + rng.uniform(-0.00005, 0.00005), 7)
                    address = compound[5] + building[3]
                else:
                    x0, y0, x1, y1 = g.open_rect
                    lon, lat = to_lonlat(rng.uniform(x0, x1), rng.uniform(y0, y1))
                    address = ""
                # who reported it
                reporter_name = phone = ""
                created_by = None
                if channel == "grid_app":
                    created_by = reporter
                elif channel == "hotline":
                    created_by = self.dispatcher[g.street_id]
                    reporter_name, phone = rng.choice(REPORTER_NAMES), self.people.mobile()
                elif channel in ("visit", "courtyard"):
                    created_by = self.community_worker[g.community_id]
                    reporter_name = rng.choice(REPORTER_NAMES)
                elif channel in ("resident", "open311"):
                    reporter_name, phone = rng.choice(REPORTER_NAMES), self.people.mobile()
                elif channel == "api":
                    reporter_name = "12345政务服务便民热线"
                else:
                    reporter_name = "物联感知平台"
                suggested = suggested_at[(category, g.community_id, compound[0] if compound else None)]
                c = _Case(cid, reported, policies[(category, priority)], clock, tz)
                c.suggested = suggested
                c.tier = body_info[suggested][2] if suggested else "community"
                data = {"channel": channel}
                if patrol:
                    client = self.patrol_window[patrol][2]
                    entry_client = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    data.update(patrol=client, patrol_entry=entry_client, found_at=dt(reported).isoformat())
                    add("entry", (patrol, entry_client, "problem", text, dt(reported), lon, lat, "", cid))
                    problems += 1
                c.event(reported, created_by, names[created_by] if created_by else (reporter_name or "系统"), "report",
                        "", "reported", text, json.dumps(data, ensure_ascii=False))  # fmt: skip
                world.simulate(c, g, compound, category, channel)
                if c.state not in ("rejected", "merged"):
                    last_in_grid[g.id] = (cid, category, reported, c.closed_at, c.number)
                states[c.state] += 1
                t = c.times
                add("case", (
                    cid, dt(reported), dt(c.last), channel, text, address, lon, lat, g.id, g.community_id,
                    g.street_id, g.district_id, compound[0] if compound else None, building[0] if building else None,
                    None, reporter_name, seal(phone) if phone else "", blind_index(phone, "phone") if phone else "",
                    None, created_by, category, c.state != "reported", suggestions, suggested, priority, c.state,
                    c.tier, c.body, c.merged_into, c.resume_state, dt(reported), dt(t.get("registered")),
                    dt(t.get("dispatched")), dt(t.get("first_dispatched")), dt(t.get("accepted")),
                    dt(t.get("planned")), dt(t.get("handled")), dt(t.get("verified")), dt(c.closed_at),
                    dt(t.get("suspended")), dt(c.dispatch_due), dt(c.accept_due), dt(c.plan_due), dt(c.resolve_due),
                    c.handled_on_time, c.solved, c.satisfaction, c.rating_comment, dt(c.rated_at), c.rework_count, 0,
                    c.return_count, c.escalation_count, 0, 1 + c.moves,
                ))  # fmt: skip
                for row in c.dispatches:
                    add("dispatch", row)
                for row in c.events:
                    add("event", row)
                for whistle, summonses, _evaluator in c.whistles:
                    add("whistle", whistle)
                    for row in summonses:
                        add("summons", row)
            if di % progress_every == 0 or di == len(days) - 1:
                self.log(f"           {day:%Y-%m-%d}: {case_id - first_id:,} cases generated")
        self.ids["case"] = case_id
        for key in ("case", "dispatch", "event", "whistle", "summons", "entry"):
            self.sink.flush(key)
        self.counts.update(
            cases=case_id - first_id, dispatches=self.sink.written["dispatch"], case_events=self.sink.written["event"],
            whistles=self.sink.written["whistle"], summonses=self.sink.written["summons"],
            patrol_entries=self.sink.written["entry"], patrol_problems=problems,
        )  # fmt: skip
        self.counts.update({f"cases_{state}": n for state, n in sorted(states.items())})
        spread = ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda kv: -kv[1]))
        self._step(f"cases: {case_id - first_id:,} ({spread}); {self.counts['dispatches']:,} dispatches, "
                   f"{self.counts['case_events']:,} events, {self.counts['whistles']:,} whistles, "
                   f"{problems:,} found on patrol")  # fmt: skip

    # -- the end -----------------------------------------------------------------------------------

    def _finish(self, replica: bool) -> None:
        from django.core.management.color import no_style

        from gongzhi.cases import cache as cases_cache
        from gongzhi.territory import resolve

        self.counts["users"] = self.ids["user"] - self._first_user
        self.counts["audit_rows"] = self.audit_rows
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), list(self.models.values())):
                cursor.execute(statement)
            if replica:
                cursor.execute("SET LOCAL session_replication_role = origin")
        self._step(f"rows written ({sum(self.sink.written.values()):,} in all); sequences moved past the new ids")
        if replica:
            broken = self.check_foreign_keys()
            if broken:
                raise RuntimeError("city load: broken foreign keys: " + "; ".join(broken))
            self._step("foreign keys checked (one anti-join per key)")
        resolve.invalidate()  # bulk inserts send no signals
        cases_cache.clear()

    def check_foreign_keys(self) -> list[str]:
        """Every foreign key of every table written: "table.column: n" for n rows whose target is missing."""
        from gongzhi.cases.models import HandlingBody

        qn = self.connection.ops.quote_name
        broken = []
        tables = [*self.models.values(), HandlingBody.members.through, HandlingBody.compounds.through]
        with self.connection.cursor() as cursor:
            for model in tables:
                for f in model._meta.concrete_fields:
                    if not f.is_relation or not f.db_constraint:
                        continue
                    target = f.remote_field.model._meta.db_table
                    table, column, key = model._meta.db_table, f.column, f.target_field.column
                    cursor.execute(  # names from the models' _meta
                        f"SELECT count(*) FROM {qn(table)} a WHERE a.{qn(column)} IS NOT NULL AND NOT EXISTS "  # noqa: S608
                        f"(SELECT 1 FROM {qn(target)} b WHERE b.{qn(key)} = a.{qn(column)})"
                    )
                    missing = cursor.fetchone()[0]
                    if missing:
                        broken.append(f"{table}.{column}: {missing}")
        return broken


def _cum(weights: dict) -> list[float]:
    return list(itertools.accumulate(weights.values()))


def _picker(rng: random.Random, values, cum: list[float]):
    return values[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _hourly_mass(lo: int, hi: int) -> float:
    """The sum of the hourly weights over the seconds of the day [lo, hi)."""
    total = 0.0
    for h, w in enumerate(HOURLY):
        a, b = max(lo, h * 3600), min(hi, (h + 1) * 3600)
        if b > a:
            total += w * (b - a) / 3600
    return total


def _sample_time(rng: random.Random, midnight: int, lo: int, hi: int, hours_cum: list[float]) -> int:
    """A report time in [lo, hi) of one day, following the hourly weights."""
    for _ in range(1000):
        h = bisect.bisect_right(hours_cum, rng.random() * hours_cum[-1])
        ts = midnight + h * 3600 + rng.randrange(3600)
        if lo <= ts < hi:
            return ts
    return rng.randrange(lo, hi)


class _Case:
    """One case on its way through the workflow: its clocks and the rows it will be written as."""

    __slots__ = (
        "accept_due",
        "body",
        "clock",
        "closed_at",
        "dispatch_due",
        "dispatches",
        "escalation_count",
        "events",
        "handled_on_time",
        "id",
        "last",
        "merged_into",
        "moves",
        "natural",
        "number",
        "open_dispatch",
        "plan_due",
        "policy",
        "rated_at",
        "rating_comment",
        "reported",
        "resolve_due",
        "resume_state",
        "return_count",
        "rework_count",
        "satisfaction",
        "solved",
        "state",
        "suggested",
        "tier",
        "times",
        "whistles",
    )  # fmt: skip

    def __init__(self, case_id: int, reported: int, policy, clock: FastClock, tz) -> None:
        self.id = case_id
        self.reported = reported
        self.policy = policy
        self.clock = clock
        # emergencies and urgent matters run on natural time, the rest on office hours
        self.natural = policy.resolve.unit.value in ("minutes", "hours", "days")
        self.number = case_number(case_id, datetime.datetime.fromtimestamp(reported, tz))
        self.state = "reported"
        self.times: dict[str, int] = {}
        self.events: list[tuple] = []
        self.dispatches: list[list] = []
        self.whistles: list[tuple] = []
        self.body = self.suggested = self.merged_into = None
        self.tier = "community"
        self.resume_state = ""
        self.closed_at = self.accept_due = self.plan_due = self.rated_at = None
        self.dispatch_due = clock.deadline(reported, policy.dispatch)
        self.resolve_due = clock.deadline(reported, policy.resolve)
        self.handled_on_time = self.solved = None
        self.satisfaction = self.rating_comment = ""
        self.rework_count = self.return_count = self.escalation_count = self.moves = 0
        self.last = reported
        self.open_dispatch: list | None = None

    def later(self, t: int, median_s: float, sigma: float, rng: random.Random) -> int:
        """A lag after `t`: in natural time for emergencies, else in office hours."""
        lag = _lognormal_seconds(rng, median_s, sigma)
        return t + lag if self.natural else self.clock.add_work(t, lag)

    def event(self, t, actor, actor_name, action, from_state, to_state, note="", data="{}", public=True) -> None:
        self.events.append((self.id, dt(t), actor, actor_name, action, from_state, to_state, note, data, public))
        self.last = max(self.last, t)

    def move(self, t, actor, actor_name, action, to_state, note="", data="{}") -> None:
        self.event(t, actor, actor_name, action, self.state, to_state, note, data)
        self.state = to_state
        self.moves += 1

    def dispatch(self, t, body, actor, actor_name, body_info) -> None:
        if self.open_dispatch is not None:
            self.open_dispatch[8] = dt(t)  # ended_at
        self.body = body
        self.tier = body_info[body][2]
        self.times["dispatched"] = t
        self.times.setdefault("first_dispatched", t)
        self.times.pop("accepted", None)
        self.accept_due = self.clock.deadline(t, self.policy.accept)
        self.plan_due = self.clock.deadline(t, self.policy.plan)
        # case, body, dispatched_at, dispatched_by, accept_due, accepted_at, returned_at, return_reason, ended_at
        self.open_dispatch = [self.id, body, dt(t), actor, dt(self.accept_due), None, None, "", None]
        self.dispatches.append(self.open_dispatch)
        data = {"body": body, "body_name": body_info[body][0]}
        if self.suggested and self.suggested != body:
            data["suggested_body"] = self.suggested
        self.move(t, actor, actor_name, "dispatch", "dispatched", "", json.dumps(data, ensure_ascii=False))

    def accept(self, t, actor, actor_name) -> None:
        self.times["accepted"] = t
        self.open_dispatch[5] = dt(t)
        self.move(t, actor, actor_name, "accept", "accepted")

    def return_(self, t, actor, actor_name, body_info) -> None:
        note = "不属于本单位职责范围，请改派"
        d = self.open_dispatch
        d[6], d[7], d[8] = dt(t), note, dt(t)
        self.open_dispatch = None
        self.return_count += 1
        body, self.body = self.body, None
        self.accept_due = self.plan_due = None
        data = {"body": body, "body_name": body_info[body][0]}
        self.move(t, actor, actor_name, "return", "returned", note, json.dumps(data, ensure_ascii=False))

    def escalate(self, t, actor, actor_name, above, body_info) -> None:
        if self.open_dispatch is not None:
            self.open_dispatch[8] = dt(t)
            self.open_dispatch = None
        current = self.tier
        to_tier = TIERS[min(3, TIERS.index(current) + 1)]
        if above is not None and TIERS.index(body_info[above][2]) > TIERS.index(current):
            to_tier = body_info[above][2]
        self.tier, self.suggested, self.body = to_tier, above, None
        self.escalation_count += 1
        self.accept_due = self.plan_due = None
        self.dispatch_due = self.clock.deadline(t, self.policy.dispatch)
        data = {"from_tier": current, "to_tier": to_tier, "suggested_body": above}
        self.move(t, actor, actor_name, "escalate", "registered", "超出本级处置能力，上报上级协调", json.dumps(data))

    def resume(self, t, actor, actor_name) -> None:
        """恢复办理: the resolve clock goes on with what was left at the suspension."""
        from gongzhi.cases import sla

        due = sla.resume_deadline(
            dt(self.resolve_due), dt(self.times.pop("suspended")), dt(t), self.policy.resolve.unit, self.clock.cal
        )
        self.resolve_due = int(due.timestamp())
        state, self.resume_state = self.resume_state, ""
        self.move(t, actor, actor_name, "resume", state)

    def handle(self, t, actor, actor_name, note) -> None:
        self.times["handled"] = t
        self.times.setdefault("planned", t)
        self.handled_on_time = t <= self.resolve_due
        self.move(t, actor, actor_name, "handle", "handled", note)

    def rework(self, t, actor, actor_name) -> None:
        self.rework_count += 1
        self.times.pop("handled", None)
        self.handled_on_time = None
        self.move(t, actor, actor_name, "rework", "accepted", "现场核实未处理到位，请返工")

    def close_whistles(self, t) -> None:
        """The case is verified: its open whistles end, the departments that came are rated."""
        for whistle, summonses, evaluator in self.whistles:
            if whistle[8] is None:
                whistle[8] = dt(t)
                for s in summonses:  # whistle, body, due, arrived, arrived_by, note, reminded, score, eval, by
                    if s[3] is not None:
                        on_time = s[3] <= s[2]
                        s[7], s[9] = (5 if on_time else 3), evaluator
                        s[8] = "按时到场，配合处置" if on_time else "到场迟缓"


class _World:
    """The people and bodies around the cases, and the workflow that moves each case."""

    def __init__(self, loader: CityLoader, rng, clock, now_ts, upward_at, last_in_grid) -> None:
        self.loader = loader
        self.rng = rng
        self.clock = clock
        self.now_ts = now_ts
        self.upward_at = upward_at
        self.last_in_grid = last_in_grid
        self.body_info = loader.body_info
        self.bodies_at = loader.bodies_at
        self.names = loader.user_names

    def simulate(self, c: _Case, g: GridRef, compound, category: str, channel: str) -> None:
        """Take one case through the workflow while its steps stay before `now`."""
        rng, now_ts, body_info, names = self.rng, self.now_ts, self.body_info, self.names
        dispatcher = self.loader.dispatcher[g.street_id]
        d_name = names[dispatcher]
        # 案卷建立: registered (or rejected, or merged into an open case of the same grid)
        t = c.later(c.reported, 360 if c.natural else 1200, 0.9, rng)
        if t >= now_ts:
            return
        roll = rng.random()
        if roll < SHARE["reject"]:
            c.move(t, dispatcher, d_name, "reject", "rejected", "重复反映或非本辖区事项，已电话告知反映人")
            c.closed_at = t
            return
        target = self.last_in_grid.get(g.id)
        if (
            roll < SHARE["reject"] + SHARE["merge"]
            and target is not None
            and target[1] == category
            and c.reported - target[2] < 3 * 86400
            and (target[3] is None or target[3] > t)
        ):
            note = "同一事项已有人反映，并入办理"
            c.move(t, dispatcher, d_name, "merge", "merged", note,
                   json.dumps({"into": target[0], "into_number": target[4]}))  # fmt: skip
            c.events.append((target[0], dt(t), dispatcher, d_name, "merged_in", "", "", note,
                             json.dumps({"from": c.id, "from_number": c.number}), False))  # fmt: skip
            c.merged_into, c.closed_at = target[0], t
            return
        c.times["registered"] = t
        c.move(t, dispatcher, d_name, "register", "registered")
        # 任务派遣: small matters kept in the grid (微事不出格), the rest where the rules say
        if rng.random() >= 0.7:
            t += _lognormal_seconds(rng, 300, 0.8)
        if t >= now_ts:
            return
        body = c.suggested
        if channel == "grid_app" and category in GRID_MATTERS and rng.random() < SHARE["grid_station"]:
            body = g.station
        if body is None:
            body = self.bodies_at[("community", g.community_id)][0]
        c.dispatch(t, body, dispatcher, d_name, body_info)
        # 退单 and 改派 to another body of the same tier
        if body_info[body][2] != "grid" and rng.random() < SHARE["return"]:
            t = c.later(t, 2400, 0.7, rng)
            if t >= now_ts:
                return
            handler = body_info[body][4]
            c.return_(t, handler, names.get(handler, "处理主体"), body_info)
            t = c.later(t, 1800, 0.8, rng)
            if t >= now_ts:
                return
            tier, node = body_info[body][2], body_info[body][3]
            others = [b for b in self.bodies_at[(tier, node)] if b != body and body_info[b][1] != "property_company"]
            body = rng.choice(others) if others else body
            c.dispatch(t, body, dispatcher, d_name, body_info)
        # 签收
        handler = body_info[c.body][4]
        t = c.later(t, 480 if c.natural else 1500, 0.9, rng)
        if t >= now_ts:
            return
        c.accept(t, handler, names.get(handler, "处理主体"))
        # 上报上级: the level above takes it over
        if body_info[c.body][2] != "district" and rng.random() < SHARE["escalate"]:
            t = t + _lognormal_seconds(rng, 86400, 0.8)
            if t >= now_ts:
                return
            above = self.upward_at[(category, g.community_id, compound[0] if compound else None,
                                    TIERS[TIERS.index(c.tier) + 1])]  # fmt: skip
            c.escalate(t, handler, names.get(handler, "处理主体"), above, body_info)
            t = c.later(t, 1800, 0.8, rng)
            if t >= now_ts or above is None:
                return
            c.dispatch(t, above, dispatcher, d_name, body_info)
            handler = body_info[above][4]
            t = c.later(t, 480 if c.natural else 1500, 0.9, rng)
            if t >= now_ts:
                return
            c.accept(t, handler, names.get(handler, "处理主体"))
        h_name = names.get(handler, "处理主体")
        # 吹哨报到, on a few of the harder matters
        if category in WHISTLE_CATEGORIES and c.tier in ("community", "street") and rng.random() < SHARE["whistle"]:
            self.whistle(c, g, t)
        # 方案, and 缓办 of a few
        if rng.random() < SHARE["plan"]:
            t += _lognormal_seconds(rng, 900 if c.natural else 3 * 3600, 1.0)
            if t >= now_ts:
                return
            c.times["planned"] = t
            c.move(t, handler, h_name, "plan", "planned", rng.choice(PLAN_NOTES))
            if not c.natural and rng.random() < SHARE["suspend"]:  # (emergencies are not suspended)
                t += _lognormal_seconds(rng, 86400, 1.0)
                if t >= now_ts:
                    return
                c.times["suspended"] = t
                c.resume_state = c.state
                c.move(t, dispatcher, d_name, "suspend", "suspended", "需协调资金与多方意见，经批准缓办")
                t += _lognormal_seconds(rng, 20 * 86400, 0.8)
                if t >= now_ts:
                    return
                c.resume(t, dispatcher, d_name)
        # 处置反馈: mostly well within the resolve clock, some late, a few stalled for weeks
        budget = max(600, c.resolve_due - c.reported)
        t = max(t + 600, c.reported + int(rng.lognormvariate(math.log(0.33), 0.7) * budget))
        if rng.random() < SHARE["stall"]:
            t += rng.randint(15, 150) * 86400
        if t >= now_ts:
            return
        c.handle(t, handler, h_name, rng.choice(HANDLE_NOTES))
        # 核实 by the grid's full-time worker (返工 first for some)
        verifier = g.full_time
        v_name = names[verifier]
        t += _lognormal_seconds(rng, 4 * 3600, 0.8)
        if t >= now_ts:
            return
        if rng.random() < SHARE["rework"]:
            c.rework(t, verifier, v_name)
            t += _lognormal_seconds(rng, 86400, 0.8)
            if t >= now_ts:
                return
            c.handle(t, handler, h_name, "已按要求返工整改")
            t += _lognormal_seconds(rng, 3 * 3600, 0.8)
            if t >= now_ts:
                return
        c.times["verified"] = t
        c.move(t, verifier, v_name, "verify", "verified", "现场核实已解决")
        c.close_whistles(t)
        # 综合评价: rated by the reporter, closed by the centre, or expired after the 7-day window
        roll = rng.random()
        if roll < SHARE["rated"]:
            t += min(6 * 86400, _lognormal_seconds(rng, 10 * 3600, 1.0))
            if t >= now_ts:
                return
            r = rng.random()
            if r < 0.78:
                satisfaction, solved = "satisfied", True
            elif r < 0.93:
                satisfaction, solved = "basic", rng.random() < 0.95
            else:
                satisfaction, solved = "unsatisfied", rng.random() < 0.3
            comment = rng.choice(RATING_COMMENTS)
            by_phone = rng.random() < 0.6  # a dispatcher's follow-up call (回访), else the SMS link
            actor, actor_name = (dispatcher, d_name) if by_phone else (None, "反映人（短信链接）")
            c.solved, c.satisfaction, c.rating_comment, c.rated_at = solved, satisfaction, comment, t
            data = {"solved": solved, "satisfaction": satisfaction, "on_behalf": by_phone}
            c.move(t, actor, actor_name, "rate", "closed", comment, json.dumps(data))
        elif roll < SHARE["rated"] + SHARE["closed_by_centre"]:
            t += min(7 * 86400 - 60, _lognormal_seconds(rng, 2 * 86400, 0.6))
            if t >= now_ts:
                return
            c.move(t, dispatcher, d_name, "close", "closed", "多次联系反映人未果，经核实已办结")
        else:
            t += 7 * 86400
            if t >= now_ts:
                return
            c.move(t, None, "系统", "expire", "closed", "评价期已过，自动结案。")
        c.closed_at = t

    def whistle(self, c: _Case, g: GridRef, t: int) -> None:
        """吹哨: the community (or the street) summons two or three departments to the case."""
        rng, now_ts, body_info, loader = self.rng, self.now_ts, self.body_info, self.loader
        t = t + _lognormal_seconds(rng, 4 * 3600, 0.8)
        if t >= now_ts:
            return
        if c.tier == "street":
            blower, tier = loader.street_admin[g.street_id], "street"
        else:
            blower, tier = loader.community_worker[g.community_id], "community"
        pool = [b for b in self.bodies_at[("street", g.street_id)] + self.bodies_at[("district", g.district_id)]
                if b != c.body]  # fmt: skip
        summoned = rng.sample(pool, min(len(pool), rng.choice([2, 2, 3])))
        reason = rng.choice(["beyond_power", "joint_enforcement", "joint_enforcement", "emergency"])
        wid = loader._take_id("whistle")
        due = t + 30 * 60
        note = "涉及多部门职责，需联合处置"
        summonses, arrivals = [], []
        for b in summoned:
            r = rng.random()
            arrived = t + rng.randint(5, 30) * 60 if r < 0.8 else t + rng.randint(31, 90) * 60 if r < 0.95 else None
            if arrived is not None and arrived >= now_ts:
                arrived = None
            member = body_info[b][4]
            summonses.append([wid, b, dt(due), dt(arrived), member if arrived else None, "已到场" if arrived else "",
                              None, None, "", None])  # fmt: skip
            if arrived is not None:
                arrivals.append((arrived, member, b))
        whistle = [wid, c.id, reason, note, blower, dt(t), tier, 30, None, g.id, g.community_id, g.street_id,
                   g.district_id]  # fmt: skip
        c.whistles.append((whistle, summonses, loader.street_admin[g.street_id]))
        data = {"whistle": wid, "reason": reason, "bodies": summoned,
                "names": "、".join(body_info[b][0] for b in summoned), "due": dt(due).isoformat()}  # fmt: skip
        c.event(t, blower, self.names[blower], "whistle", "", "", note, json.dumps(data, ensure_ascii=False))
        for arrived, member, b in sorted(arrivals):
            data = {"whistle": wid, "body": b, "body_name": body_info[b][0], "late": arrived > due}
            c.event(arrived, member, self.names.get(member, "处理主体"), "report_in", "", "", "已到场",
                    json.dumps(data, ensure_ascii=False), public=False)  # fmt: skip
