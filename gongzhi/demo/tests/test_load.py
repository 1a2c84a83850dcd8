"""Loading a small demo district: what the plan says is what the database holds."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment, User
from gongzhi.demo.loader import DEMO_USERS
from gongzhi.demo.plan import make_plan
from gongzhi.population.identity import id_checksum
from gongzhi.population.models import Household, Resident
from gongzhi.territory import geometry
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street
from gongzhi.territory.resolve import resolve_grid_id

pytestmark = pytest.mark.django_db
SCALE = 0.01


@pytest.fixture
def loaded(capsys):
    call_command("load_demo", scale=SCALE)
    return capsys.readouterr().out


def test_counts_equal_the_plan(loaded):
    plan = make_plan(SCALE)
    communities = plan.communities
    assert District.objects.count() == 1
    assert Street.objects.count() == len(plan.streets)
    assert Community.objects.count() == len(communities)
    assert Grid.objects.count() == sum(len(c.grids) for c in communities)
    assert Compound.objects.count() == plan.targets["compounds"]
    assert Compound.objects.filter(is_occupied=True).count() == plan.targets["occupied_compounds"]
    assert Household.objects.count() == plan.targets["households"] == 1_201
    assert Resident.objects.count() == plan.targets["residents"] == 3_045
    per_community = dict(Resident.objects.values_list("community__name").annotate(n=Count("id")))
    assert per_community == {c.name: c.residents for c in communities}
    assert "Demo district loaded" in loaded


def test_every_building_resolves_to_its_own_grid(loaded):
    for building in Building.objects.all():
        assert resolve_grid_id(building.lon, building.lat) == building.grid_id
    for grid in Grid.objects.select_related("community"):
        assert geometry.contains(geometry.parse_polygon(grid.community.geometry), geometry.parse_polygon(grid.geometry))
        assert grid.code.startswith(grid.community.code) and len(grid.code) == 15


def test_residents_have_valid_encrypted_identity(loaded):
    today = datetime.date(2026, 11, 1)
    seen = set()
    for resident in Resident.objects.all()[:500]:
        number = resident.id_number
        assert len(number) == 18 and id_checksum(number[:17]) == number[17]
        assert number[6:14] == resident.birth_date.strftime("%Y%m%d")
        assert (int(number[16]) % 2 == 1) == (resident.gender == "male")
        assert resident.birth_date <= today
        seen.add(number)
        if resident.phone:
            assert len(resident.phone) == 11 and resident.phone.startswith("1")
    assert len(seen) == 500
    assert Resident.objects.filter(relation="head").count() == Household.objects.count()


def test_a_demo_user_for_every_role(loaded):
    roles = set(Assignment.objects.filter(user__username__startswith="demo-").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(username="admin").is_superuser
    assert {u for u, *_ in DEMO_USERS} <= set(User.objects.values_list("username", flat=True))
    workers = Assignment.objects.filter(user__username__startswith="sg")
    assert workers.filter(role=Role.GRID_WORKER).count() == Grid.objects.count()
    assert workers.count() == make_plan(SCALE).targets["social_workers"]


def test_load_refuses_a_non_empty_database_and_reuses_with_if_empty(loaded, capsys):
    with pytest.raises(CommandError):
        call_command("load_demo", scale=SCALE)
    call_command("load_demo", scale=SCALE, if_empty=True)
    assert "reusing" in capsys.readouterr().out
    assert District.objects.count() == 1


def test_bad_scale_is_refused():
    with pytest.raises(CommandError):
        call_command("load_demo", scale=0)
