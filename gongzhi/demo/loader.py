"""Writing the demo district plan into the database, fast (bulk inserts in one transaction).

This is a bulk import, so it does not go through the one-object services; it keeps their
invariants (ancestor keys, computed areas and centroids, encrypted personal data) and writes
one audit row per territory node and per account it creates.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment, User
from gongzhi.assessment.services import assess_month
from gongzhi.care.demo import load_care
from gongzhi.cases import cache as cases_cache
from gongzhi.cases.demo import load_bodies, load_cases
from gongzhi.core.audit import object_scope, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.core.models import ObjectChange
from gongzhi.grids.demo import load_members as load_grid_members
from gongzhi.grids.demo import load_patrols as load_grid_patrols
from gongzhi.party.demo import load_party
from gongzhi.population.choices import Gender, Relation
from gongzhi.population.models import Household, Resident
from gongzhi.territory import geometry, resolve
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

from .people import PeopleFactory
from .plan import DistrictPlan, rect_geojson, to_lonlat

DEMO_PASSWORD = "Gongzhi@2026"  # noqa: S105 - the published demo password
BATCH = 5_000
TODAY = datetime.date(2026, 11, 1)

# One demo login per role (DOMAIN.md "Who uses it"); the node each is assigned to is chosen below.
DEMO_USERS = [
    ("demo-district", "区委组织部 周建华", Role.DISTRICT_ADMIN, "district"),
    ("demo-street", "街道党工委 陈立新", Role.STREET_ADMIN, "street"),
    ("demo-dispatcher", "指挥中心 李晓燕", Role.DISPATCHER, "street"),
    ("demo-community", "社区书记 王秀英", Role.COMMUNITY_WORKER, "community"),
    ("demo-community2", "社区社工 赵磊", Role.COMMUNITY_WORKER, "community2"),
    ("demo-grid", "专职网格员 张伟", Role.GRID_WORKER, "grid"),
    ("demo-handler", "综合执法队 刘强", Role.HANDLER, "street"),
    ("demo-property", "物业客服 王芳", Role.HANDLER, "community"),
    ("demo-mediator", "人民调解员 黄桂兰", Role.HANDLER, "community"),
    ("demo-police", "社区民警 马骏", Role.HANDLER, "street"),
    ("demo-centre", "政务服务中心 林静", Role.HANDLER, "street"),
    ("demo-party", "在职党员 孙敏", Role.PARTY_MEMBER, "community"),
    ("demo-building", "楼栋长 吴德明", Role.BUILDING_HEAD, "building"),
    ("demo-resident", "居民 郑小红", Role.RESIDENT, "building"),
    ("demo-partner", "结对共建单位 临江城投集团", Role.PARTNER, "community"),
]


def _area_fields(geojson: dict) -> dict:
    geom = geometry.parse_polygon(geojson)
    lon, lat = geometry.centroid(geom)
    return {
        "geometry": geojson,
        "area_km2": round(geometry.area_km2(geom), 6),
        "centroid_lon": lon,
        "centroid_lat": lat,
    }


class DemoLoader:
    def __init__(self, plan: DistrictPlan, seed: int, log: Callable[[str], None] = print) -> None:
        self.plan = plan
        self.people = PeopleFactory(seed)
        self.seed = seed
        self.log = log
        self.created: list = []
        self.t0 = time.monotonic()

    def _step(self, message: str) -> None:
        self.log(f"[{time.monotonic() - self.t0:6.1f}s] {message}")

    @transaction.atomic
    def load(self) -> dict:
        plan = self.plan
        district = District.objects.create(name=plan.name, code=plan.code, **_area_fields(rect_geojson(plan.rect)))
        self.created.append(district)
        streets, communities, grids, compounds = [], [], [], []
        for sp in plan.streets:
            streets.append(
                Street(
                    district=district,
                    name=sp.name,
                    code=f"{plan.code}{sp.seq:03d}000",
                    **_area_fields(rect_geojson(sp.rect)),
                )
            )
        Street.objects.bulk_create(streets)
        for sp, street in zip(plan.streets, streets, strict=True):
            for cp in sp.communities:
                communities.append(
                    Community(
                        street=street,
                        district=district,
                        name=cp.name,
                        code=f"{street.code[:9]}{cp.seq:03d}",
                        **_area_fields(rect_geojson(cp.rect)),
                    )
                )
        Community.objects.bulk_create(communities)
        community_plans = plan.communities
        for cp, community in zip(community_plans, communities, strict=True):
            for gp in cp.grids:
                grids.append(
                    Grid(
                        community=community,
                        street_id=community.street_id,
                        district=district,
                        name=f"{community.name}第{gp.seq}网格",
                        code=f"{community.code}{gp.seq:03d}",
                        **_area_fields(rect_geojson(gp.rect)),
                    )
                )
        Grid.objects.bulk_create(grids)
        resolve.invalidate()  # bulk inserts send no signals: the point-to-grid index must be rebuilt
        self._step(f"{len(streets)} streets, {len(communities)} communities, {len(grids)} grids")

        grid_plans = [gp for cp in community_plans for gp in cp.grids]
        street_names = {s.id: s.name for s in streets}
        seq_in_community: dict[int, int] = {}
        compound_plans = []
        for gp, grid in zip(grid_plans, grids, strict=True):
            for kp in gp.compounds:
                n = seq_in_community[grid.community_id] = seq_in_community.get(grid.community_id, 0) + 1
                compounds.append(
                    Compound(
                        grid=grid,
                        community_id=grid.community_id,
                        street_id=grid.street_id,
                        district=district,
                        name=kp.name,
                        code=f"{grid.code[:12]}-{n:03d}",
                        address=f"{plan.name}{street_names[grid.street_id]}{kp.name}",
                        property_management="company" if kp.property_company else "none",
                        property_company=kp.property_company,
                        owners_organisation=kp.owners_organisation,
                        is_three_no=kp.three_no,
                        is_occupied=kp.occupied,
                        **_area_fields(rect_geojson(kp.rect)),
                    )
                )
                compound_plans.append(kp)
        Compound.objects.bulk_create(compounds)
        buildings, building_plans = [], []
        for kp, compound in zip(compound_plans, compounds, strict=True):
            for i, bp in enumerate(kp.buildings, start=1):
                lon, lat = to_lonlat(bp.x, bp.y)
                buildings.append(
                    Building(
                        compound=compound,
                        grid_id=compound.grid_id,
                        community_id=compound.community_id,
                        street_id=compound.street_id,
                        district=district,
                        name=bp.name,
                        code=f"{compound.code}-{i:03d}",
                        lon=lon,
                        lat=lat,
                        floors=bp.floors,
                        units=bp.units,
                    )
                )
                building_plans.append(bp)
        Building.objects.bulk_create(buildings, batch_size=BATCH)
        cases_cache.clear()  # nor do they reach the caches of configuration read on each intake
        self._step(f"{len(compounds)} compounds, {len(buildings)} buildings")
        self.created += streets + communities + grids + compounds + buildings

        households = self._load_population(community_plans, communities, buildings, building_plans)
        users = self._load_users(district, streets, communities, grids, buildings)
        self._audit(users)
        self._step("audit trail written")
        # -- party organisation (gongzhi.party.demo): members, the S4 tree, groups, 双报到 --
        party = load_party(district, self.people.rng, today=TODAY)
        self._step(f"party: {party['party_organisations']} organisations, {party['party_members']} members")
        # -- care files (gongzhi.care.demo): labels, profiles paired with members, visit history --
        visitors = dict(
            Assignment.objects.filter(role=Role.GRID_WORKER, user__username__startswith="sg").values_list(
                "grid_id", "user_id"
            )
        )
        # visits are dated back from the real date, since "overdue" is judged against it
        care = load_care(self.people.rng, timezone.localdate(), visitors)
        self._step(f"care: {care['care_profiles']} profiles, {care['care_visits']} visits")
        # -- cases (gongzhi.cases.demo): handling bodies, and a month of cases through the services --
        bodies = load_bodies(district)
        cases = load_cases(
            district, self.people.rng, timezone.now(), count=max(30, round(240 * len(self.plan.communities) / 36))
        )
        self._step(f"cases: {bodies['handling_bodies']} bodies, {cases['cases']} cases")
        # -- grid staffing (gongzhi.grids.demo): full-time, part-time workers and liaison cadres --
        staff = load_grid_members(district, self.seed + 5, TODAY)
        patrols = load_grid_patrols(district, self.seed + 6, timezone.localdate())
        self._step(f"grids: {staff['grid_members']} grid members, {patrols['patrols']} patrols in the last 30 days")
        # -- assessment (gongzhi.assessment): last month and this month, as the hourly job would --
        now = timezone.now()
        this_month = timezone.localdate(now).replace(day=1)
        for month in ((this_month - datetime.timedelta(days=1)).replace(day=1), this_month):
            assess_month(month=month, now=now, district=district)
        self._step("assessment: last month and this month computed")
        return {
            "streets": len(streets),
            "communities": len(communities),
            "grids": len(grids),
            "compounds": len(compounds),
            "occupied_compounds": sum(1 for c in compounds if c.is_occupied),
            "buildings": len(buildings),
            "households": households,
            "residents": Resident.objects.count(),
            "users": len(users),
            **party,
            **care,
            **bodies,
            **cases,
        }

    # -- population ---------------------------------------------------------------------

    def _household_sizes(self, households: int, residents: int) -> list[int]:
        rng = self.people.rng
        sizes = rng.choices([1, 2, 3, 4, 5, 6], [22, 31, 25, 13, 6, 3], k=households)
        diff = residents - sum(sizes)
        while diff != 0:
            i = rng.randrange(households)
            if diff > 0 and sizes[i] < 8:
                sizes[i] += 1
                diff -= 1
            elif diff < 0 and sizes[i] > 1:
                sizes[i] -= 1
                diff += 1
        return sizes

    def _load_population(self, community_plans, communities, buildings, building_plans) -> int:
        by_community: dict[int, list[tuple[Building, int]]] = {}
        for b, bp in zip(buildings, building_plans, strict=True):
            if bp.households:
                by_community.setdefault(b.community_id, []).append((b, bp.households))
        total_households = 0
        for cp, community in zip(community_plans, communities, strict=True):
            sizes = self._household_sizes(cp.households, cp.residents)
            households: list[Household] = []
            for building, count in by_community.get(community.id, []):
                per_unit = building.floors * 2  # two households per floor and unit
                for k in range(count):
                    unit, within = divmod(k, per_unit)
                    floor, door = divmod(within, 2)
                    room = f"{unit + 1}单元{floor + 1}{door + 1:02d}室"
                    households.append(
                        Household.in_building(
                            building,
                            room=room,
                        )
                    )
            Household.objects.bulk_create(households, batch_size=BATCH)
            residents = []
            for household, size in zip(households, sizes, strict=True):
                residents.extend(self._family(household, size))
            Resident.objects.bulk_create(residents, batch_size=BATCH)
            total_households += len(households)
        self._step(f"{total_households} households, {sum(c.residents for c in community_plans)} residents")
        return total_households

    def _family(self, household: Household, size: int) -> list[Resident]:
        people, rng = self.people, self.people.rng
        head_age = rng.randint(24, 88) if size == 1 else rng.randint(30, 75)
        members = [(Relation.HEAD, head_age, rng.choice([Gender.MALE, Gender.FEMALE]))]
        if size >= 2:
            spouse_gender = Gender.FEMALE if members[0][2] == Gender.MALE else Gender.MALE
            members.append((Relation.SPOUSE, max(20, head_age + rng.randint(-4, 4)), spouse_gender))
        for _ in range(size - len(members)):
            if head_age >= 45 and rng.random() < 0.25:
                members.append((Relation.PARENT, min(100, head_age + rng.randint(22, 30)), rng.choice(list(Gender))))
            elif head_age >= 62 and rng.random() < 0.5:
                members.append((Relation.GRANDCHILD, rng.randint(0, 17), rng.choice(list(Gender))))
            else:
                members.append((Relation.CHILD, max(0, head_age - rng.randint(22, 34)), rng.choice(list(Gender))))
        result = []
        for relation, age, gender in members:
            birth = people.birth_date(age, TODAY)
            resident = Resident.in_household(
                household,
                name=people.name(gender),
                gender=gender,
                birth_date=birth,
                relation=relation,
            )
            resident.set_id_number(people.id_number(birth, gender))
            if age >= 16:
                resident.set_phone(people.mobile())
            result.append(resident)
        return result

    # -- accounts -------------------------------------------------------------------------

    def _load_users(self, district, streets, communities, grids, buildings) -> list[User]:
        password = make_password(DEMO_PASSWORD)
        people = self.people
        users: list[User] = []
        assignments: list[Assignment] = []
        nodes = {
            "district": district,
            "street": streets[0],
            "community": communities[0],
            "community2": communities[1],
            "grid": next(g for g in grids if g.community_id == communities[0].id),
            "building": next(b for b in buildings if b.community_id == communities[0].id),
        }
        admin = User(username="admin", display_name="系统管理员", is_superuser=True, is_staff=True, password=password)
        users.append(admin)
        for username, display, _role, _node in DEMO_USERS:
            users.append(User(username=username, display_name=display, password=password))
        # social workers: one full-time grid worker per grid, the rest community workers
        plan_by_community = {c.id: cp for c, cp in zip(communities, self.plan.communities, strict=True)}
        worker_nodes: list[tuple[str, object]] = [(Role.GRID_WORKER, g) for g in grids]
        for community in communities:
            extra = plan_by_community[community.id].social_workers - len(plan_by_community[community.id].grids)
            worker_nodes += [(Role.COMMUNITY_WORKER, community)] * extra
        for i, _ in enumerate(worker_nodes, start=1):
            gender = people.rng.choice([Gender.MALE, Gender.FEMALE])
            users.append(User(username=f"sg{i:04d}", display_name=people.name(gender), password=password))
        User.objects.bulk_create(users)
        by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
        for username, _display, role, node_key in DEMO_USERS:
            node = nodes[node_key]
            assignments.append(Assignment(user=by_name[username], role=role, level=node.level, **{node.level: node}))
        for i, (role, node) in enumerate(worker_nodes, start=1):
            assignments.append(
                Assignment(user=by_name[f"sg{i:04d}"], role=role, level=node.level, **{node.level: node})
            )
        Assignment.objects.bulk_create(assignments)
        self.created += assignments
        self._step(f"{len(users)} users ({len(worker_nodes)} social workers), {len(assignments)} assignments")
        return list(by_name.values())

    def _audit(self, users) -> None:
        rows = []
        types: dict[type, ContentType] = {}
        for obj in [*self.created, *users]:
            model = type(obj)
            if model not in types:
                types[model] = ContentType.objects.get_for_model(model)
            rows.append(
                ObjectChange(
                    user=None,
                    user_name="load_demo",
                    action=ChangeAction.CREATE,
                    content_type=types[model],
                    object_id=str(obj.pk),
                    object_repr=str(obj.name if hasattr(obj, "name") else obj)[:200],
                    postchange_data=serialize_object(obj),
                    **object_scope(obj),
                )
            )
        ObjectChange.objects.bulk_create(rows, batch_size=BATCH)
