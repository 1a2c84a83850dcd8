"""The demo district as a plan: every number and polygon, computed without touching the database.

Scale 1.0 reproduces the district of seed S0 (DOMAIN.md "Real scale"): 36 communities on
105.68 km², 179 grids, 661 compounds (558 occupied), 120,100 occupied households, 304,500
residents, 336 social workers; communities from 0.7 to 10.6 km² and 1,920 to 23,540 residents;
21 communities above 3,000 households, 3 above 5,000. The plan is seeded: the same scale and
seed give the same district, to the coordinate.

Geometry is built in a local plane in kilometres by recursive proportional splits (each cut is
one float shared by both sides), so streets tile the district, communities tile their street,
grids tile their community, and every point falls in exactly one grid. Compounds sit inside
their grid with a margin for roads; buildings are points inside their compound.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

# --- the district of seed S0 -------------------------------------------------------------
DISTRICT_NAME = "临江区"
DISTRICT_CODE = "330199"  # 浙江省 33, a prefecture-level 01, an unassigned county-level 99
ORIGIN_LON, ORIGIN_LAT = 120.18, 30.22  # south-west corner
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(ORIGIN_LAT + 0.05))

FULL = {
    "area_km2": 105.68,
    "streets": 6,
    "communities": 36,
    "grids": 179,
    "compounds": 661,
    "occupied_compounds": 558,
    "households": 120_100,
    "residents": 304_500,
    "social_workers": 336,
    "min_area": 0.7,
    "max_area": 10.6,
    "min_residents": 1_920,
    "max_residents": 23_540,
    "over_3000": 21,
    "over_5000": 3,
}

STREET_NAMES = ["东湖街道", "临江街道", "望湖街道", "新塘街道", "丰收湖街道", "南苑街道"]
COMMUNITY_NAMES = [
    "东湖",
    "湖滨",
    "临江",
    "江南",
    "望潮",
    "新塘",
    "塘北",
    "丰收",
    "南苑",
    "景苑",
    "杨柳",
    "翠苑",
    "白鹭",
    "金沙",
    "银湖",
    "星桥",
    "运河",
    "龙湾",
    "桂花",
    "梅园",
    "兰亭",
    "荷花池",
    "文澜",
    "春晖",
    "朝阳",
    "天成",
    "和睦",
    "幸福",
    "长乐",
    "安泰",
    "御道",
    "沿山",
    "清泰",
    "枫桥",
    "松涛",
    "花园",
]
COMPOUND_FIRST = [
    "锦绣",
    "阳光",
    "翠竹",
    "金桂",
    "银杏",
    "碧水",
    "明珠",
    "和园",
    "景秀",
    "春江",
    "星河",
    "紫荆",
    "梧桐",
    "香樟",
    "枫林",
    "桃源",
    "嘉禾",
    "丽水",
    "湖畔",
    "滨江",
    "云栖",
    "九溪",
    "观澜",
    "颐和",
    "聚贤",
    "怡景",
    "芳华",
    "润泽",
    "东方",
    "钱塘",
]
COMPOUND_SECOND = ["花园", "家园", "苑", "小区", "新村", "公寓", "雅苑", "名邸", "府", "里", "嘉园", "华庭"]
PROPERTY_COMPANIES = [
    "绿城物业服务集团有限公司",
    "滨江物业管理有限公司",
    "南都物业服务集团股份有限公司",
    "开元物业管理有限公司",
    "临江城投物业服务有限公司",
    "东湖物业服务有限公司",
    "金茂物业服务有限公司",
    "浙大网新物业管理有限公司",
]


@dataclass
class BuildingPlan:
    name: str
    x: float
    y: float
    floors: int
    units: int
    households: int


@dataclass
class CompoundPlan:
    name: str
    rect: tuple[float, float, float, float]
    occupied: bool
    property_company: str
    owners_organisation: str
    three_no: bool
    households: int
    buildings: list[BuildingPlan] = field(default_factory=list)


@dataclass
class GridPlan:
    seq: int
    rect: tuple[float, float, float, float]
    households: int
    compounds: list[CompoundPlan] = field(default_factory=list)


@dataclass
class CommunityPlan:
    seq: int
    name: str
    area_km2: float
    households: int
    residents: int
    social_workers: int
    rect: tuple[float, float, float, float] = (0, 0, 0, 0)
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class StreetPlan:
    seq: int
    name: str
    rect: tuple[float, float, float, float]
    communities: list[CommunityPlan] = field(default_factory=list)


@dataclass
class DistrictPlan:
    name: str
    code: str
    rect: tuple[float, float, float, float]
    streets: list[StreetPlan]
    targets: dict

    @property
    def communities(self) -> list[CommunityPlan]:
        return [c for s in self.streets for c in s.communities]


# --- helpers -------------------------------------------------------------------------------


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), each ≥ minimum."""
    n = len(weights)
    if total < minimum * n:
        raise ValueError("total too small for the minimum")
    rest = total - minimum * n
    wsum = sum(weights)
    raw = [rest * w / wsum for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(n), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def split_rect(rect, weights):
    """Cut `rect` into len(weights) rectangles with areas proportional to `weights`."""
    if len(weights) == 1:
        return [rect]
    x0, y0, x1, y1 = rect
    total = sum(weights)
    acc, k, best = 0.0, 1, float("inf")
    for i in range(1, len(weights)):
        acc += weights[i - 1]
        gap = abs(acc - total / 2)
        if gap < best:
            best, k = gap, i
    frac = sum(weights[:k]) / total
    if (x1 - x0) >= (y1 - y0):
        cut = x0 + (x1 - x0) * frac
        return split_rect((x0, y0, cut, y1), weights[:k]) + split_rect((cut, y0, x1, y1), weights[k:])
    cut = y1 - (y1 - y0) * frac  # first part to the north
    return split_rect((x0, cut, x1, y1), weights[:k]) + split_rect((x0, y0, x1, cut), weights[k:])


def west_east_north_south(rects):
    """Indices of rects in the grid-numbering order of the standards: west→east, north→south."""
    return sorted(range(len(rects)), key=lambda i: (-round((rects[i][1] + rects[i][3]) / 2, 1), rects[i][0]))


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return (round(ORIGIN_LON + x / KM_PER_DEG_LON, 7), round(ORIGIN_LAT + y / KM_PER_DEG_LAT, 7))


def rect_geojson(rect) -> dict:
    x0, y0, x1, y1 = rect
    ring = [to_lonlat(x0, y0), to_lonlat(x1, y0), to_lonlat(x1, y1), to_lonlat(x0, y1), to_lonlat(x0, y0)]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def _scaled(scale: float) -> dict:
    if scale >= 1:
        return dict(FULL)
    t = dict(FULL)
    t["communities"] = max(2, round(36 * scale))
    t["streets"] = max(1, min(6, round(t["communities"] / 6)))
    t["grids"] = max(t["communities"], round(179 * scale))
    t["compounds"] = max(t["grids"], round(661 * scale))
    t["occupied_compounds"] = max(t["grids"], round(558 * scale))
    t["households"] = max(t["occupied_compounds"] * 4, round(120_100 * scale))
    t["residents"] = max(t["households"], round(304_500 * scale))
    t["social_workers"] = max(t["grids"] + t["communities"], round(336 * scale))
    t["area_km2"] = round(105.68 * t["communities"] / 36, 2)
    t["min_area"], t["max_area"] = 0.7, max(0.7, min(10.6, t["area_km2"] - 0.7 * (t["communities"] - 1)))
    t["min_residents"] = max(1, min(1_920, t["residents"] // t["communities"]))
    t["max_residents"] = t["residents"]
    t["over_3000"] = t["over_5000"] = 0
    return t


def _community_areas(rng: random.Random, t: dict) -> list[float]:
    """Areas in km² (two decimals) with the seed's extremes, summing exactly to the total."""
    n = t["communities"]
    total = round(t["area_km2"] * 100)
    if n <= 3:
        return [a / 100 for a in apportion(total, [1.0] * n)]
    fixed = [70, 70, 70, round(t["max_area"] * 100)]
    rest_total = total - sum(fixed)
    weights = [rng.lognormvariate(0, 0.45) for _ in range(n - len(fixed))]
    rest = apportion(rest_total, weights, minimum=80)
    # keep the rest strictly inside (0.7, 10.6): move any excess to the smallest
    for i, a in enumerate(rest):
        if a >= fixed[3]:
            excess = a - (fixed[3] - 10)
            rest[i] -= excess
            rest[rest.index(min(rest))] += excess
    areas = fixed + rest
    rng.shuffle(areas)
    return [a / 100 for a in areas]


def _community_households(rng: random.Random, t: dict) -> list[int]:
    n = t["communities"]
    total = t["households"]
    if t["over_5000"] == 0:
        return apportion(total, [rng.uniform(0.6, 1.4) for _ in range(n)], minimum=1)
    big = [9_200, 6_400, 5_600]  # the three 特大社区
    mid_count = t["over_3000"] - t["over_5000"]
    small_count = n - t["over_3000"]
    mid = [rng.randint(3_150, 4_900) for _ in range(mid_count)]
    small_total = total - sum(big) - sum(mid)
    small = apportion(small_total - 760, [rng.uniform(0.5, 1.5) for _ in range(small_count - 1)], 1)
    small = [760, *small]
    # rebalance so every "small" community stays under 3,000 households
    for i, h in enumerate(small):
        if h >= 3_000:
            raise ValueError("demo plan: small community over 3,000 households; adjust seed")
        small[i] = h
    return big + mid + small


def _community_residents(rng: random.Random, t: dict, households: list[int]) -> list[int]:
    n = len(households)
    total = t["residents"]
    if t["over_5000"] == 0:
        return [h + extra for h, extra in zip(households, apportion(total - sum(households), households), strict=True)]
    largest = households.index(max(households))
    smallest = households.index(min(households))
    residents = [0] * n
    residents[largest] = t["max_residents"]
    residents[smallest] = t["min_residents"]
    others = [i for i in range(n) if i not in (largest, smallest)]
    ratios = [households[i] * rng.uniform(2.3, 2.75) for i in others]
    shares = apportion(total - residents[largest] - residents[smallest], ratios)
    for i, r in zip(others, shares, strict=True):
        residents[i] = max(households[i], r)
    return residents


def _compound_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(COMPOUND_FIRST) + rng.choice(COMPOUND_SECOND)
        if name not in used:
            used.add(name)
            return name
        for suffix in ("二期", "三期", "北区", "南区", "东区", "西区"):
            if name + suffix not in used:
                used.add(name + suffix)
                return name + suffix


def _buildings(rng: random.Random, compound: CompoundPlan) -> None:
    hh = compound.households
    high_rise = rng.random() < 0.55
    if compound.occupied:
        per = rng.choice([66, 72, 88, 96, 132]) if high_rise else rng.choice([24, 30, 36, 48])
        count = max(1, math.ceil(hh / per))
    else:
        count = rng.randint(3, 8)
    counts = apportion(hh, [1.0] * count) if hh else [0] * count
    x0, y0, x1, y1 = compound.rect
    cols = max(1, round(math.sqrt(count * (x1 - x0) / max(y1 - y0, 1e-6))))
    rows = math.ceil(count / cols)
    for i, n in enumerate(counts):
        c, r = i % cols, i // cols
        x = x0 + (x1 - x0) * (c + 0.5) / cols
        y = y1 - (y1 - y0) * (r + 0.5) / rows
        max_floors = 33 if high_rise else 7
        units = max(rng.choice([1, 2]) if high_rise else rng.choice([2, 3, 4]), math.ceil(n / (max_floors * 2)))
        floors = max(math.ceil(n / (units * 2)), 11 if high_rise else 5) if n else (18 if high_rise else 6)
        compound.buildings.append(BuildingPlan(f"{i + 1}幢", x, y, floors, units, n))


def make_plan(scale: float = 1.0, seed: int = 20221231) -> DistrictPlan:
    """The whole district, deterministic for (scale, seed)."""
    rng = random.Random(seed)
    t = _scaled(scale)
    n = t["communities"]
    areas = _community_areas(rng, t)
    households = _community_households(rng, t)
    rng.shuffle(households)
    residents = _community_residents(rng, t, households)
    grids = apportion(t["grids"], households, minimum=1)
    compounds = apportion(t["compounds"] - t["occupied_compounds"], [1.0] * n)
    occupied = apportion(t["occupied_compounds"], households, minimum=1)
    for i in range(n):  # each grid needs at least one occupied compound
        while occupied[i] < grids[i]:
            j = max(range(n), key=lambda k: occupied[k] - grids[k])
            occupied[j] -= 1
            occupied[i] += 1
    workers = apportion(t["social_workers"] - sum(grids), households, minimum=1)

    community_plans = [
        CommunityPlan(
            seq=i + 1,
            name=COMMUNITY_NAMES[i % len(COMMUNITY_NAMES)] + ("社区" if i < len(COMMUNITY_NAMES) else f"{i}社区"),
            area_km2=areas[i],
            households=households[i],
            residents=residents[i],
            social_workers=grids[i] + workers[i],
        )
        for i in range(n)
    ]
    # streets: contiguous groups of communities
    street_sizes = apportion(n, [1.0] * t["streets"], minimum=1)
    width = math.sqrt(t["area_km2"] * 1.3)
    district_rect = (0.0, 0.0, width, t["area_km2"] / width)
    street_groups, k = [], 0
    for size in street_sizes:
        street_groups.append(community_plans[k : k + size])
        k += size
    street_rects = split_rect(district_rect, [sum(c.area_km2 for c in g) for g in street_groups])
    used_names: set[str] = set()
    streets = []
    for si, (group, srect) in enumerate(zip(street_groups, street_rects, strict=True)):
        street = StreetPlan(seq=si + 1, name=STREET_NAMES[si % len(STREET_NAMES)], rect=srect, communities=group)
        streets.append(street)
        crects = split_rect(srect, [c.area_km2 for c in group])
        for community, crect in zip(group, crects, strict=True):
            community.rect = crect
            idx = community_plans.index(community)
            _plan_grids(rng, community, grids[idx], occupied[idx], compounds[idx], used_names)
    return DistrictPlan(DISTRICT_NAME, DISTRICT_CODE, district_rect, streets, t)


def _plan_grids(rng, community: CommunityPlan, n_grids: int, n_occupied: int, n_empty: int, used: set[str]) -> None:
    grid_households = apportion(community.households, [rng.uniform(0.7, 1.3) for _ in range(n_grids)], minimum=1)
    rects = split_rect(community.rect, [1.0] * n_grids)
    order = west_east_north_south(rects)
    per_grid_occupied = apportion(n_occupied, [1.0] * n_grids, minimum=1)
    per_grid_empty = apportion(n_empty, [1.0] * n_grids) if n_empty else [0] * n_grids
    for seq, gi in enumerate(order, start=1):
        grid = GridPlan(seq=seq, rect=rects[gi], households=grid_households[gi])
        k_occ, k_empty = per_grid_occupied[gi], per_grid_empty[gi]
        # compound sizes are heavy-tailed, as in a real district: many small 院落 and old estates,
        # a few large commercial compounds (the biggest are split by building when grids are drawn)
        weights = [rng.lognormvariate(0, 1.0) for _ in range(k_occ)]
        hh = apportion(grid.households, weights, minimum=min(4, grid.households // k_occ))
        cells = split_rect(grid.rect, [1.0] * (k_occ + k_empty))
        for ci, cell in enumerate(cells):
            x0, y0, x1, y1 = cell
            mx, my = (x1 - x0) * 0.08, (y1 - y0) * 0.08
            is_occupied = ci < k_occ
            managed = rng.random() < 0.72
            old = not managed and rng.random() < 0.5
            owners = (
                "owners_committee"
                if managed and rng.random() < 0.3
                else "self_management"
                if (not managed and not old)
                else "none"
            )
            compound = CompoundPlan(
                name=_compound_name(rng, used),
                rect=(x0 + mx, y0 + my, x1 - mx, y1 - my),
                occupied=is_occupied,
                property_company=rng.choice(PROPERTY_COMPANIES) if managed else "",
                owners_organisation=owners,
                three_no=(not managed and owners == "none" and old),
                households=hh[ci] if is_occupied else 0,
            )
            _buildings(rng, compound)
            grid.compounds.append(compound)
        community.grids.append(grid)
