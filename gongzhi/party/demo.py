"""The party organisation of the demo district: members drawn from its residents, a tree that
follows seed S4's branch rule, party groups and central households per seed S2, 双报到 — and a
few deliberate gaps so that the coverage report has something real to show.

This is a bulk import (like `gongzhi.demo.loader`): it writes with `bulk_create` and keeps the
services' invariants itself (territory keys, one branch per compound, one group per building,
members inside their branch's compounds, central households in their own building, 1–15 linked
households in the building's grid). Organisations get a `load_demo` audit row each; members,
roles and links do not (tens of thousands of rows, like residents).

Deterministic for a given district and `rng` state.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from gongzhi.accounts.models import User
from gongzhi.core.audit import object_scope, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.core.models import ObjectChange
from gongzhi.demo.people import PeopleFactory
from gongzhi.population.models import Household, Resident
from gongzhi.territory.models import Building, Community, Compound, District, Street

from . import rules
from .choices import ExpectedBranch, MemberType, OrgKind, OrgLevel, PartyRoleKind, ReportStatus
from .models import CentralHouseholdLink, PartyMember, PartyOrganisation, PartyRole, ReportIn

BATCH = 5_000
TODAY = datetime.date(2026, 11, 1)
CHINESE_NUMERALS = "一二三四五六七八九十"
SKILLS = ["医疗", "法律", "维修", "教育", "心理", "文艺", "理发", "家电维修", "助老", "消防", "摄影", "书法"]
WORKPLACES = [
    "临江区人民医院",
    "临江区教育局",
    "临江区税务局",
    "临江区市场监督管理局",
    "临江区第一中学",
    "临江区城市管理局",
    "国网临江供电公司",
    "临江城投集团",
    "临江区人民法院",
    "临江区卫生健康局",
    "临江农商银行",
    "临江区住房和城乡建设局",
]
PAIRED_UNITS = ["临江城投集团", "临江区人民医院", "国网临江供电公司", "临江区税务局", "临江农商银行"]
# Shares of the occupied compounds by what S4 asks of them (the rest: their own branch).
SHARE_NONE, SHARE_FUNCTIONAL, SHARE_JOINT = 0.05, 0.14, 0.20
# Deliberate gaps, as shares (each at least one when the district is big enough to have one).
SHARE_MISSING, SHARE_MISMATCH = 0.03, 0.02
SHARE_NO_GROUP, SHARE_NO_CENTRAL, SHARE_OVERSIZED = 0.05, 0.08, 0.02
# Among the members living in a compound (by S4 category): the share that is directly managed.
OTHER_TYPES = [MemberType.RETIRED, MemberType.IN_SERVICE, MemberType.FLOATING]
OTHER_WEIGHTS = [30, 15, 7]


@dataclass
class Adult:
    id: int
    name: str
    gender: str
    birth: datetime.date
    building_id: int


@dataclass
class Branch:
    kind: OrgKind
    compounds: list[Compound]
    org: PartyOrganisation | None = None
    members: list[PartyMember] = field(default_factory=list)
    groups: list[tuple[PartyOrganisation, list[int]]] = field(default_factory=list)


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _at_least_one(share: float, n: int) -> int:
    return max(1, round(share * n)) if n else 0


def _chunks(items: list, rng: random.Random) -> list[list]:
    """Split into runs of 3–5 (S2); fewer than 3 stay one run."""
    n = len(items)
    if n < rules.GROUP_BUILDINGS_MIN:
        return [items] if items else []
    k = -(-n // rules.GROUP_BUILDINGS_MAX)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    rng.shuffle(sizes)
    out, start = [], 0
    for size in sizes:
        out.append(items[start : start + size])
        start += size
    return out


def _numeral(i: int) -> str:
    return CHINESE_NUMERALS[i - 1] if i <= len(CHINESE_NUMERALS) else str(i)


class PartyLoader:
    def __init__(self, district: District, rng: random.Random, today: datetime.date) -> None:
        self.district = district
        self.rng = rng
        self.today = today
        self.people = PeopleFactory(rng.randrange(2**31))
        self.orgs: list[PartyOrganisation] = []
        self.gaps: dict[str, int] = defaultdict(int)

    # -- reading the district ---------------------------------------------------------------

    def _read(self) -> None:
        d = self.district
        self.streets = list(Street.objects.filter(district=d).order_by("code"))
        self.communities = list(Community.objects.filter(district=d).order_by("code"))
        self.compounds = list(Compound.objects.filter(district=d, is_occupied=True).order_by("code"))
        self.compound_by_id = {c.pk: c for c in self.compounds}
        self.buildings: dict[int, list[int]] = defaultdict(list)  # compound → buildings with households
        self.building_grid: dict[int, int] = {}
        self.building_compound: dict[int, int] = {}
        households: dict[int, list[int]] = defaultdict(list)
        for household_id, building_id in (
            Household.objects.filter(district=d).order_by("pk").values_list("pk", "building_id")
        ):
            households[building_id].append(household_id)
        self.households = households
        for b_id, compound_id, grid_id in (
            Building.objects.filter(district=d).order_by("code").values_list("pk", "compound_id", "grid_id")
        ):
            self.building_grid[b_id] = grid_id
            self.building_compound[b_id] = compound_id
            if households.get(b_id) and compound_id in self.compound_by_id:
                self.buildings[compound_id].append(b_id)
        adult_born_before = self.today.replace(year=self.today.year - 18)
        self.adults: dict[int, list[Adult]] = defaultdict(list)  # compound → adults
        for pk, name, gender, birth, building_id in (
            Resident.objects.filter(district=d, birth_date__lte=adult_born_before)
            .order_by("pk")
            .values_list("pk", "name", "gender", "birth_date", "building_id")
        ):
            compound_id = self.building_compound[building_id]
            self.adults[compound_id].append(Adult(pk, name, gender, birth, building_id))

    # -- what S4 will ask of each compound ------------------------------------------------------

    def _categories(self) -> dict[int, ExpectedBranch]:
        rng = self.rng
        n = len(self.compounds)
        by_community: dict[int, list[Compound]] = defaultdict(list)
        for c in self.compounds:
            by_community[c.community_id].append(c)
        category: dict[int, ExpectedBranch] = {}
        joint_target = max(2, round(SHARE_JOINT * n)) if n >= 4 else 0
        communities = [cid for cid, cs in by_community.items() if len(cs) >= 2]
        rng.shuffle(communities)
        while joint_target > 0 and communities:
            progress = False
            for cid in communities:
                free = [c for c in by_community[cid] if c.pk not in category]
                if len(free) < 2 or joint_target <= 0:
                    continue
                size = min(len(free), rng.choice([2, 2, 3]))
                start = rng.randrange(len(free) - size + 1)
                for c in free[start : start + size]:
                    category[c.pk] = ExpectedBranch.JOINT
                joint_target -= size
                progress = True
            if not progress:
                break
        rest = [c for c in self.compounds if c.pk not in category]
        smallest = sorted(rest, key=lambda c: (len(self.adults[c.pk]), c.code))
        pool = smallest[: max(3, len(smallest) // 3)]
        for c in rng.sample(pool, min(len(pool), _at_least_one(SHARE_NONE, n))):
            category[c.pk] = ExpectedBranch.NONE
        rest = [c for c in rest if c.pk not in category]
        for c in rng.sample(rest, min(len(rest), _at_least_one(SHARE_FUNCTIONAL, n))):
            category[c.pk] = ExpectedBranch.FUNCTIONAL
        for c in self.compounds:
            category.setdefault(c.pk, ExpectedBranch.OWN)
        return category

    # -- members --------------------------------------------------------------------------------

    def _member_types(self, category: ExpectedBranch, adults: int) -> list[MemberType]:
        rng = self.rng
        if category == ExpectedBranch.NONE:
            return []
        if category == ExpectedBranch.OWN:
            n = max(4, round(adults * rng.uniform(0.06, 0.09)))
            direct = max(rules.OWN_BRANCH_MIN_DIRECT, round(n * rng.uniform(0.62, 0.8)))
        elif category == ExpectedBranch.JOINT:
            n = max(3, round(adults * rng.uniform(0.04, 0.07)))
            direct = rng.choice([1, 2])
        else:
            n = max(1, round(adults * rng.uniform(0.02, 0.05)))
            direct = 0
        others = max(n - direct, 1 if category == ExpectedBranch.FUNCTIONAL else 0)
        return [MemberType.DIRECT] * direct + rng.choices(OTHER_TYPES, OTHER_WEIGHTS, k=others)

    def _pick(self, pool: list[Adult], member_type: MemberType) -> Adult | None:
        ages = {
            MemberType.RETIRED: (55, 120),
            MemberType.IN_SERVICE: (23, 59),
            MemberType.FLOATING: (18, 55),
            MemberType.DIRECT: (18, 120),
        }[member_type]
        for i, adult in enumerate(pool):
            if ages[0] <= _age(adult.birth, self.today) <= ages[1]:
                return pool.pop(i)
        return pool.pop() if pool else None

    def _joined_on(self, birth: datetime.date) -> datetime.date:
        start = birth.replace(year=birth.year + 18) if not (birth.month == 2 and birth.day == 29) else birth
        end = self.today - datetime.timedelta(days=365)
        if end <= start:
            return end
        return start + datetime.timedelta(days=self.rng.randrange((end - start).days))

    def _members(self, category: dict[int, ExpectedBranch]) -> dict[int, list[PartyMember]]:
        rng = self.rng
        by_compound: dict[int, list[PartyMember]] = defaultdict(list)
        chosen: list[tuple[PartyMember, int]] = []
        for c in self.compounds:
            pool = list(self.adults[c.pk])
            rng.shuffle(pool)
            for member_type in self._member_types(category[c.pk], len(pool)):
                adult = self._pick(pool, member_type)
                if adult is None:
                    break
                member = PartyMember(
                    name=adult.name,
                    gender=adult.gender,
                    member_type=member_type,
                    workplace=rng.choice(WORKPLACES) if member_type == MemberType.IN_SERVICE else "",
                    joined_on=self._joined_on(adult.birth),
                    building_id=adult.building_id,
                    compound_id=c.pk,
                    grid_id=self.building_grid[adult.building_id],
                    community_id=c.community_id,
                    street_id=c.street_id,
                    district_id=c.district_id,
                    resident_id=adult.id,
                )
                by_compound[c.pk].append(member)
                chosen.append((member, adult.id))
        phones: dict[int, str] = {}
        ids = [resident_id for _m, resident_id in chosen]
        for start in range(0, len(ids), BATCH):
            phones.update(Resident.objects.filter(pk__in=ids[start : start + BATCH]).values_list("pk", "phone"))
        for member, resident_id in chosen:
            if phones.get(resident_id):
                member.set_phone(phones[resident_id])
        return by_compound

    # -- organisations -----------------------------------------------------------------------------

    def _org(
        self, kind: OrgKind, name: str, parent: PartyOrganisation | None, level: str, **ids: int
    ) -> PartyOrganisation:
        """An unsaved organisation anchored at `level`; `ids` are the territory keys down to it."""
        org = PartyOrganisation(kind=kind, name=name, parent=parent, level=level, district_id=self.district.pk)
        for key, value in ids.items():
            setattr(org, f"{key}_id", value)
        self.orgs.append(org)
        return org

    def _anchor_ids(self, compounds: list[Compound]) -> tuple[str, dict[str, int]]:
        """The level and keys of the lowest node holding all `compounds` (one community)."""
        level = rules.common_level((c.community_id, c.grid_id, c.pk) for c in compounds)
        if level is None:
            raise ValueError("compounds of one organisation must share a community")
        first = compounds[0]
        ids = {"street": first.street_id, "community": first.community_id}
        if level in (OrgLevel.GRID, OrgLevel.COMPOUND):
            ids["grid"] = first.grid_id
        if level == OrgLevel.COMPOUND:
            ids["compound"] = first.pk
        return level, ids

    def _branches(self, category: dict[int, ExpectedBranch]) -> tuple[list[Branch], set[int]]:
        """Branches per S4, with the deliberate gaps: some compounds left out, some kept in a joint branch."""
        rng = self.rng
        n = len(self.compounds)
        by_community: dict[int, list[Compound]] = defaultdict(list)
        for c in self.compounds:
            by_community[c.community_id].append(c)
        branches: list[Branch] = []
        joints_by_community: dict[int, list[Branch]] = defaultdict(list)
        for cid, compounds in by_community.items():
            # the joint compounds of a community, in code order, in runs of 2–3 (never one alone)
            run = [c for c in compounds if category[c.pk] == ExpectedBranch.JOINT]
            while run:
                take = run[:2] if len(run) == 4 else run[:3]
                branch = Branch(OrgKind.JOINT_BRANCH, take)
                branches.append(branch)
                joints_by_community[cid].append(branch)
                run = run[len(take) :]
        candidates = [c for c in self.compounds if category[c.pk] in (ExpectedBranch.OWN, ExpectedBranch.FUNCTIONAL)]
        mismatch_pool = [
            c for c in candidates if category[c.pk] == ExpectedBranch.OWN and joints_by_community[c.community_id]
        ]
        mismatched = set()
        if mismatch_pool:
            for c in rng.sample(mismatch_pool, min(len(mismatch_pool), _at_least_one(SHARE_MISMATCH, n))):
                rng.choice(joints_by_community[c.community_id]).compounds.append(c)
                mismatched.add(c.pk)
        missing_pool = [c for c in candidates if c.pk not in mismatched]
        missing = {c.pk for c in rng.sample(missing_pool, min(len(missing_pool), _at_least_one(SHARE_MISSING, n)))}
        self.gaps["compounds_mismatch"] = len(mismatched)
        self.gaps["compounds_missing"] = len(missing)
        self.gaps["compounds_without_members"] = sum(1 for v in category.values() if v == ExpectedBranch.NONE)
        for c in self.compounds:
            if c.pk in missing or c.pk in mismatched:
                continue
            if category[c.pk] == ExpectedBranch.OWN:
                branches.append(Branch(OrgKind.COMPOUND_BRANCH, [c]))
            elif category[c.pk] == ExpectedBranch.FUNCTIONAL:
                branches.append(Branch(OrgKind.FUNCTIONAL_BRANCH, [c]))
        for b in branches:
            b.compounds.sort(key=lambda c: c.code)
        branches.sort(key=lambda b: b.compounds[0].code)
        return branches, missing

    def _tree(self, branches: list[Branch]) -> dict[int, PartyOrganisation]:
        district = self._org(OrgKind.DISTRICT_COMMITTEE, f"中共{self.district.name}委员会", None, OrgLevel.DISTRICT)
        PartyOrganisation.objects.bulk_create([district])
        street_orgs = [
            self._org(OrgKind.STREET_COMMITTEE, f"中共{s.name}工作委员会", district, OrgLevel.STREET, street=s.pk)
            for s in self.streets
        ]
        PartyOrganisation.objects.bulk_create(street_orgs)
        by_street = {o.street_id: o for o in street_orgs}
        community_orgs = [
            self._org(
                OrgKind.COMMUNITY_COMMITTEE,
                f"中共{c.name}委员会",
                by_street[c.street_id],
                OrgLevel.COMMUNITY,
                street=c.street_id,
                community=c.pk,
            )
            for c in self.communities
        ]
        PartyOrganisation.objects.bulk_create(community_orgs)
        by_community = {o.community_id: o for o in community_orgs}
        for b in branches:
            first = b.compounds[0]
            parent = by_community[first.community_id]
            if b.kind == OrgKind.JOINT_BRANCH:
                names = [c.name for c in b.compounds]
                name = (
                    "、".join(names) + "联合党支部" if len(names) <= 2 else f"{names[0]}等{len(names)}个小区联合党支部"
                )
            elif b.kind == OrgKind.FUNCTIONAL_BRANCH:
                name = f"{first.name}功能型党支部"
            else:
                name = f"{first.name}党支部"
            level, ids = self._anchor_ids(b.compounds)
            b.org = self._org(b.kind, name, parent, level, **ids)
        PartyOrganisation.objects.bulk_create([b.org for b in branches if b.org is not None], batch_size=BATCH)
        through = PartyOrganisation.compounds.through
        through.objects.bulk_create(
            [through(partyorganisation_id=b.org.pk, compound_id=c.pk) for b in branches if b.org for c in b.compounds],
            batch_size=BATCH,
        )
        return by_community

    def _groups(self, branches: list[Branch]) -> set[int]:
        """楼栋党小组 of 3–5 buildings per branch; some oversized, some buildings left out. Returns
        the buildings that have a group."""
        rng = self.rng
        plans: list[tuple[Branch, list[int]]] = []
        for b in branches:
            buildings = [bid for c in b.compounds for bid in self.buildings[c.pk]]
            for chunk in _chunks(buildings, rng):
                plans.append((b, chunk))

        # a few groups over five buildings: merge two neighbouring runs of one branch into 6–7 (in a
        # small district without such a pair, take 6–9 buildings and leave what is over 7 in a group)
        def pairs(low: int, high: int) -> list[int]:
            return [
                i
                for i in range(len(plans) - 1)
                if plans[i][0] is plans[i + 1][0] and low <= len(plans[i][1]) + len(plans[i + 1][1]) <= high
            ]

        mergeable = pairs(6, 7) or pairs(6, 9)
        oversized = 0
        merged: set[int] = set()
        for i in sorted(rng.sample(mergeable, min(len(mergeable), _at_least_one(SHARE_OVERSIZED, len(plans))))):
            if i in merged or i + 1 in merged:
                continue
            joined = plans[i][1] + plans[i + 1][1]
            plans[i] = (plans[i][0], joined[:7])  # at most seven: over five, not absurdly so
            plans[i + 1] = (plans[i + 1][0], joined[7:])
            merged |= {i, i + 1}
            oversized += 1
        plans = [p for p in plans if p[1]]
        all_buildings = [bid for c in self.compounds for bid in self.buildings[c.pk]]
        grouped = [bid for _b, chunk in plans for bid in chunk]
        target = _at_least_one(SHARE_NO_GROUP, len(all_buildings))
        natural = len(all_buildings) - len(grouped)
        in_oversized = {bid for _b, chunk in plans if len(chunk) > rules.GROUP_BUILDINGS_MAX for bid in chunk}
        removable = [bid for bid in grouped if bid not in in_oversized]
        dropped = set(rng.sample(removable, min(len(removable), max(1, target - natural))))
        self.gaps["oversized_groups"] = oversized
        through = PartyOrganisation.buildings.through
        rows = []
        counters: dict[tuple[int, str], int] = defaultdict(int)
        for branch, chunk in plans:
            kept = [bid for bid in chunk if bid not in dropped]
            if not kept:
                continue
            if branch.org is None:
                continue
            compounds = list({self.building_compound[bid]: None for bid in kept})
            level, ids = self._anchor_ids([self.compound_by_id[cid] for cid in compounds])
            label = self.compound_by_id[compounds[0]].name
            counters[(branch.org.pk, label)] += 1
            org = self._org(
                OrgKind.BUILDING_GROUP,
                f"{label}第{_numeral(counters[(branch.org.pk, label)])}党小组",
                branch.org,
                level,
                **ids,
            )
            branch.groups.append((org, kept))
        groups = [g for b in branches for g, _k in b.groups]
        PartyOrganisation.objects.bulk_create(groups, batch_size=BATCH)
        for b in branches:
            for g, kept in b.groups:
                rows += [through(partyorganisation_id=g.pk, building_id=bid) for bid in kept]
        through.objects.bulk_create(rows, batch_size=BATCH)
        covered = {r.building_id for r in rows}
        self.gaps["buildings_without_group"] = len(all_buildings) - len(covered)
        return covered

    # -- the whole load -------------------------------------------------------------------------------

    def load(self) -> dict[str, int]:
        rng = self.rng
        self._read()
        category = self._categories()
        members_by_compound = self._members(category)
        branches, _missing = self._branches(category)
        by_community = self._tree(branches)
        branch_of: dict[int, Branch] = {c.pk: b for b in branches for c in b.compounds}
        for compound_id, members in members_by_compound.items():
            branch = branch_of.get(compound_id)
            for m in members:
                if branch is not None and branch.org is not None:
                    m.organisation_id = branch.org.pk
                    branch.members.append(m)
                else:
                    m.organisation_id = by_community[m.community_id].pk
        # paired-unit members (结对共建单位的党员): not residents, attached to a branch of the community
        community_branches: dict[int, list[Branch]] = defaultdict(list)
        for b in branches:
            community_branches[b.compounds[0].community_id].append(b)
        paired: list[PartyMember] = []
        by_community_count: dict[int, int] = defaultdict(int)
        for members in members_by_compound.values():
            for m in members:
                by_community_count[m.community_id] += 1
        for community in self.communities:
            for _ in range(round(by_community_count[community.pk] * 0.03)):
                gender = rng.choice(["male", "female"])
                branch = rng.choice(community_branches[community.pk]) if community_branches[community.pk] else None
                member = PartyMember(
                    name=self.people.name(gender),
                    gender=gender,
                    member_type=MemberType.PAIRED_UNIT,
                    workplace=rng.choice(PAIRED_UNITS),
                    joined_on=self._joined_on(self.people.birth_date(rng.randint(25, 55), self.today)),
                    community_id=community.pk,
                    street_id=community.street_id,
                    district_id=community.district_id,
                    organisation_id=branch.org.pk if branch and branch.org else by_community[community.pk].pk,
                )
                member.set_phone(self.people.mobile())
                paired.append(member)
        demo_member = self._demo_party_member(branch_of, by_community)
        all_members = [m for ms in members_by_compound.values() for m in ms] + paired
        if demo_member is not None:
            all_members.append(demo_member)
        PartyMember.objects.bulk_create(all_members, batch_size=BATCH)
        grouped = self._groups(branches)
        roles, links = self._roles(branches, by_community, members_by_compound, grouped)
        reports = self._report_ins(all_members, demo_member)
        self._audit()
        return {
            "party_organisations": len(self.orgs),
            "party_branches": len(branches),
            "party_groups": sum(len(b.groups) for b in branches),
            "party_members": len(all_members),
            "party_roles": roles,
            "party_household_links": links,
            "party_report_ins": reports,
            **{f"party_gap_{k}": v for k, v in sorted(self.gaps.items())},
        }

    def _demo_party_member(self, branch_of, by_community) -> PartyMember | None:
        """The demo login `demo-party` (在职党员 孙敏) as a member of her community."""
        user = User.objects.filter(username="demo-party").first()
        assignment = user.assignments.first() if user else None
        if user is None or assignment is None or assignment.community_id is None:
            return None
        compounds = [c for c in self.compounds if c.community_id == assignment.community_id and self.buildings[c.pk]]
        if not compounds:
            return None
        compound = compounds[0]
        building_id = self.buildings[compound.pk][0]
        branch = branch_of.get(compound.pk)
        member = PartyMember(
            name="孙敏",
            gender="female",
            member_type=MemberType.IN_SERVICE,
            workplace="临江区教育局",
            joined_on=datetime.date(2008, 7, 1),
            user=user,
            building_id=building_id,
            compound_id=compound.pk,
            grid_id=self.building_grid[building_id],
            community_id=compound.community_id,
            street_id=compound.street_id,
            district_id=compound.district_id,
            organisation_id=branch.org.pk if branch and branch.org else by_community[compound.community_id].pk,
        )
        member.set_phone(self.people.mobile())
        return member

    def _roles(self, branches, by_community, members_by_compound, grouped: set[int]) -> tuple[int, int]:
        rng = self.rng
        roles: list[PartyRole] = []
        community_members: dict[int, list[PartyMember]] = defaultdict(list)
        for members in members_by_compound.values():
            for m in members:
                community_members[m.community_id].append(m)
        for community_id, org in by_community.items():
            pool = sorted(community_members[community_id], key=lambda m: m.pk)
            direct = [m for m in pool if m.member_type == MemberType.DIRECT] or pool
            if not direct:
                continue
            secretary = rng.choice(direct)
            roles.append(PartyRole(member=secretary, role=PartyRoleKind.SECRETARY, organisation=org))
            others = [m for m in pool if m is not secretary]
            for m in rng.sample(others, min(4, len(others))):
                roles.append(PartyRole(member=m, role=PartyRoleKind.COMMITTEE_MEMBER, organisation=org))
        for b in branches:
            if not b.members or b.org is None:
                continue
            # S4: 优先选拔小区居民中的离退休党员担任小区党支部书记
            retired = [m for m in b.members if m.member_type == MemberType.RETIRED]
            secretary = rng.choice(retired or b.members)
            roles.append(PartyRole(member=secretary, role=PartyRoleKind.SECRETARY, organisation=b.org))
            if len(b.members) >= 7:
                others = [m for m in b.members if m is not secretary]
                for m in rng.sample(others, 2):
                    roles.append(PartyRole(member=m, role=PartyRoleKind.COMMITTEE_MEMBER, organisation=b.org))
            for group, buildings in b.groups:
                inside = [m for m in b.members if m.building_id in set(buildings)]
                leader = rng.choice(inside or b.members)
                roles.append(PartyRole(member=leader, role=PartyRoleKind.GROUP_LEADER, organisation=group))
        # 党员中心户: 2–3 per grouped building, from the members living there; some buildings left out
        living: dict[int, list[PartyMember]] = defaultdict(list)
        for members in members_by_compound.values():
            for m in members:
                living[m.building_id].append(m)
        all_buildings = [bid for c in self.compounds for bid in self.buildings[c.pk]]
        eligible = [bid for bid in all_buildings if bid in grouped and living[bid]]
        natural = len(all_buildings) - len(eligible)
        target = _at_least_one(SHARE_NO_CENTRAL, len(all_buildings))
        skipped = set(rng.sample(eligible, min(len(eligible), max(1, target - natural))))
        links: list[CentralHouseholdLink] = []
        with_central = 0
        for bid in eligible:
            if bid in skipped:
                continue
            chosen = rng.sample(living[bid], min(len(living[bid]), rng.choice(rules.CENTRAL_HOUSEHOLDS_PER_BUILDING)))
            with_central += 1
            households = list(self.households[bid])
            rng.shuffle(households)
            for i, m in enumerate(chosen):
                roles.append(PartyRole(member=m, role=PartyRoleKind.CENTRAL_HOUSEHOLD, building_id=bid))
                share = households[i :: len(chosen)][: rng.randint(8, rules.CENTRAL_HOUSEHOLD_LINKS_MAX)]
                links += [CentralHouseholdLink(member=m, household_id=h) for h in share]
        self.gaps["buildings_without_central_household"] = len(all_buildings) - with_central
        # 楼栋长 in two of five buildings with members; 红色管家 in half the managed compounds
        for bid in all_buildings:
            if living[bid] and rng.random() < 0.4:
                roles.append(
                    PartyRole(member=rng.choice(living[bid]), role=PartyRoleKind.BUILDING_HEAD, building_id=bid)
                )
        for c in self.compounds:
            residents = members_by_compound.get(c.pk, [])
            if c.property_company and residents and rng.random() < 0.5:
                roles.append(PartyRole(member=rng.choice(residents), role=PartyRoleKind.RED_STEWARD, compound=c))
        PartyRole.objects.bulk_create(roles, batch_size=BATCH)
        CentralHouseholdLink.objects.bulk_create(links, batch_size=BATCH)
        return len(roles), len(links)

    def _report_ins(self, members: list[PartyMember], demo_member: PartyMember | None) -> int:
        rng = self.rng
        reports = []
        start = datetime.date(2023, 1, 1)
        span = (self.today - start).days
        for m in members:
            if m.member_type != MemberType.IN_SERVICE:
                continue
            if m is not demo_member and rng.random() >= 0.7:
                continue
            skills = ["教育", "文艺"] if m is demo_member else rng.sample(SKILLS, rng.choice([1, 1, 2, 3]))
            status = rng.choices(list(ReportStatus), [15, 80, 5])[0] if m is not demo_member else ReportStatus.CONFIRMED
            reports.append(
                ReportIn(
                    member=m,
                    community_id=m.community_id,
                    grid_id=m.grid_id,
                    street_id=m.street_id,
                    district_id=m.district_id,
                    reported_on=start + datetime.timedelta(days=rng.randrange(span)),
                    skills=",".join(skills),
                    status=status,
                )
            )
        ReportIn.objects.bulk_create(reports, batch_size=BATCH)
        return len(reports)

    def _audit(self) -> None:
        content_type = ContentType.objects.get_for_model(PartyOrganisation)
        ObjectChange.objects.bulk_create(
            [
                ObjectChange(
                    user=None,
                    user_name="load_demo",
                    action=ChangeAction.CREATE,
                    content_type=content_type,
                    object_id=str(org.pk),
                    object_repr=org.name[:200],
                    postchange_data=serialize_object(org),
                    **object_scope(org),
                )
                for org in self.orgs
            ],
            batch_size=BATCH,
        )


def load_party(district: District, rng: random.Random, today: datetime.date = TODAY) -> dict[str, int]:
    """Build the demo district's party organisation; returns the counts, deliberate gaps included
    (`party_gap_*`, which the coverage report lists exactly)."""
    return PartyLoader(district, rng, today).load()
