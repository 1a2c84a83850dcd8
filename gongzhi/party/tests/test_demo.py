"""The demo district's party tree follows seed S4 for every compound except the deliberate gaps,
and the coverage report lists exactly those gaps."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from gongzhi.accounts.models import User
from gongzhi.party import rules
from gongzhi.party.choices import CoverageStatus, ExpectedBranch, MemberType, OrgKind, PartyRoleKind
from gongzhi.party.coverage import compute
from gongzhi.party.models import CentralHouseholdLink, PartyMember, PartyOrganisation, PartyRole, ReportIn
from gongzhi.territory.models import Compound

pytestmark = pytest.mark.django_db
SCALE = 0.02


@pytest.fixture
def loaded(capsys):
    call_command("load_demo", scale=SCALE)
    out = capsys.readouterr().out
    figures = {}
    for line in out.splitlines():
        key, _, value = line.strip().partition(": ")
        if key.startswith("party_"):
            figures[key] = int(value.replace(",", ""))
    return figures


def test_every_compound_follows_s4_except_the_deliberate_gaps(loaded):
    coverage = compute(Compound.objects.all())
    summary = coverage.summary
    # the gaps the loader made on purpose are exactly the gaps the report shows
    assert {
        "compounds_missing": summary["compounds_missing"],
        "compounds_mismatch": summary["compounds_mismatch"],
        "compounds_without_members": summary["compounds_without_members"],
        "buildings_without_group": summary["buildings_without_group"],
        "buildings_without_central_household": summary["buildings_without_central_household"],
        "oversized_groups": summary["oversized_groups"],
    } == {key.removeprefix("party_gap_"): value for key, value in loaded.items() if key.startswith("party_gap_")}
    # each kind of gap is there, and they are few
    assert all(summary[k] >= 1 for k in ("compounds_missing", "compounds_mismatch", "compounds_without_members"))
    assert summary["oversized_groups"] >= 1
    gaps = [r for r in coverage.compounds if r.status != CoverageStatus.OK]
    assert (
        len(gaps) == summary["compounds_missing"] + summary["compounds_mismatch"] + summary["compounds_without_members"]
    )
    assert len(gaps) <= 0.3 * len(coverage.compounds)
    # every other compound has exactly the branch kind the rule asks for
    for row in coverage.compounds:
        if row.status == CoverageStatus.OK and row.expected != ExpectedBranch.NONE:
            assert row.organisation_kind == rules.BRANCH_FOR[row.expected], row
    assert {r.expected for r in coverage.compounds} == set(ExpectedBranch)


def test_the_rule_recomputed_from_the_members(loaded):
    """Independent of coverage.py: count the members per compound and type, apply the rule."""
    direct = Counter()
    others = Counter()
    for compound_id, member_type, n in (
        PartyMember.objects.exclude(compound=None).values_list("compound_id", "member_type").annotate(n=Count("id"))
    ):
        (direct if member_type == MemberType.DIRECT else others)[compound_id] += n
    branch_kind = {}
    for org in PartyOrganisation.objects.filter(kind__in=rules.COMPOUND_COVERING_KINDS).prefetch_related("compounds"):
        for compound in org.compounds.all():
            assert compound.pk not in branch_kind, "one branch per compound"
            branch_kind[compound.pk] = org.kind
    follows = 0
    occupied = Compound.objects.filter(is_occupied=True)
    for compound in occupied:
        expected = rules.expected_branch(direct[compound.pk], others[compound.pk])
        if expected != ExpectedBranch.NONE and branch_kind.get(compound.pk) == rules.BRANCH_FOR[expected]:
            follows += 1
    gaps = loaded["party_gap_compounds_missing"] + loaded["party_gap_compounds_mismatch"]
    gaps += loaded["party_gap_compounds_without_members"]
    assert follows == occupied.count() - gaps


def test_the_tree_keeps_the_services_invariants(loaded):
    orgs = list(PartyOrganisation.objects.select_related("parent"))
    kinds = Counter(o.kind for o in orgs)
    assert kinds[OrgKind.DISTRICT_COMMITTEE] == 1
    assert kinds[OrgKind.COMMUNITY_COMMITTEE] == 2
    for org in orgs:
        assert rules.parent_allowed(org.kind, org.parent.kind if org.parent else None), org
        if org.parent is not None:  # the child's anchor lies inside its parent's
            for level in ("district", "street", "community", "grid", "compound")[
                : ["district", "street", "community", "grid", "compound"].index(org.parent.level) + 1
            ]:
                assert getattr(org, f"{level}_id") == getattr(org.parent, f"{level}_id"), (org, level)
    through = PartyOrganisation.buildings.through
    per_building = Counter(through.objects.values_list("building_id", flat=True))
    assert max(per_building.values()) == 1, "one group per building"
    sizes = Counter(through.objects.values_list("partyorganisation_id", flat=True))
    assert max(sizes.values()) <= 7
    assert sum(1 for n in sizes.values() if n > 5) == loaded["party_gap_oversized_groups"]
    for group in PartyOrganisation.objects.filter(kind=OrgKind.BUILDING_GROUP).prefetch_related("buildings"):
        covered = set(group.parent.compounds.values_list("pk", flat=True))
        assert {b.compound_id for b in group.buildings.all()} <= covered


def test_members(loaded):
    members = list(PartyMember.objects.select_related("organisation", "resident"))
    mix = Counter(m.member_type for m in members)
    total = len(members)
    assert 0.38 <= mix[MemberType.DIRECT] / total <= 0.55  # S4: about half directly managed
    assert 0.22 <= mix[MemberType.RETIRED] / total <= 0.38
    assert 0.10 <= mix[MemberType.IN_SERVICE] / total <= 0.20
    assert 0.02 <= mix[MemberType.FLOATING] / total <= 0.10
    assert 0.01 <= mix[MemberType.PAIRED_UNIT] / total <= 0.06
    from gongzhi.population.models import Resident

    adults = Resident.objects.filter(birth_date__lte="2008-11-01").count()
    assert 0.04 <= total / adults <= 0.09
    for m in members:
        if m.resident_id:
            assert (m.name, m.gender, m.building_id) == (m.resident.name, m.resident.gender, m.resident.building_id)
        if m.member_type in rules.WORKPLACE_TYPES:
            assert m.workplace
        assert m.organisation.community_id == m.community_id
        if m.compound_id and m.organisation.kind in rules.COMPOUND_COVERING_KINDS:
            assert m.organisation.compounds.filter(pk=m.compound_id).exists()
    party = User.objects.get(username="demo-party").party_member
    assert (party.name, party.member_type, party.workplace) == ("孙敏", MemberType.IN_SERVICE, "临江区教育局")
    assert party.report_ins.get().skill_list == ["教育", "文艺"]


def test_central_households_and_report_ins(loaded):
    per_building = Counter(
        PartyRole.objects.filter(role=PartyRoleKind.CENTRAL_HOUSEHOLD).values_list("building_id", flat=True)
    )
    assert set(per_building.values()) <= {1, 2, 3}
    for role in PartyRole.objects.filter(role=PartyRoleKind.CENTRAL_HOUSEHOLD).select_related("member"):
        assert role.building_id == role.member.building_id
    links = Counter(CentralHouseholdLink.objects.values_list("member_id", flat=True))
    assert max(links.values()) <= rules.CENTRAL_HOUSEHOLD_LINKS_MAX
    for link in CentralHouseholdLink.objects.select_related("household", "member__building")[:200]:
        assert link.household.grid_id == link.member.building.grid_id
    secretaries = PartyRole.objects.filter(role=PartyRoleKind.SECRETARY).values_list("organisation_id", flat=True)
    assert len(secretaries) == len(set(secretaries))
    reports = ReportIn.objects.select_related("member")
    assert reports.count() == loaded["party_report_ins"] >= 1
    assert all(
        r.member.member_type == MemberType.IN_SERVICE and r.community_id == r.member.community_id for r in reports
    )
