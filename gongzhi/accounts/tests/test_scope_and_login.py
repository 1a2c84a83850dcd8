"""Scope: each role sees exactly its subtree. Login: argon2, lockout after repeated failures."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import override_settings
from django.urls import reverse

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment
from gongzhi.accounts.services import assign_role, create_user
from gongzhi.core.testing.tree import user_with
from gongzhi.population.models import Household, Resident
from gongzhi.territory.models import Building, Community, Compound, Grid, Street

pytestmark = pytest.mark.django_db


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


def test_district_admin_sees_everything_below(tree):
    user = user_with(Role.DISTRICT_ADMIN, tree.district, "da")
    assert ids(Street.objects.restrict(user)) == sorted([tree.a.street.pk, tree.b.street.pk])
    assert ids(Building.objects.restrict(user)) == sorted([tree.a.building.pk, tree.b.building.pk])
    assert Resident.objects.restrict(user).count() == 2


@pytest.mark.parametrize(
    ("role", "level"),
    [
        (Role.STREET_ADMIN, "street"),
        (Role.DISPATCHER, "street"),
        (Role.COMMUNITY_WORKER, "community"),
        (Role.GRID_WORKER, "grid"),
    ],
)
def test_staff_see_exactly_their_subtree(tree, role, level):
    user = user_with(role, getattr(tree.a, level), f"u-{role}")
    expect_street = [tree.a.street.pk] if level == "street" else []
    assert ids(Street.objects.restrict(user)) == expect_street
    assert ids(Grid.objects.restrict(user)) == [tree.a.grid.pk]
    assert ids(Compound.objects.restrict(user)) == [tree.a.compound.pk]
    assert ids(Building.objects.restrict(user)) == [tree.a.building.pk]
    assert [r.name for r in Resident.objects.restrict(user)] == ["张三"]
    assert ids(Household.objects.restrict(user)) == ids(Household.objects.filter(building=tree.a.building))


def test_grid_worker_does_not_see_community_node(tree):
    user = user_with(Role.GRID_WORKER, tree.a.grid, "gw")
    assert ids(Community.objects.restrict(user)) == []


def test_handler_sees_territory_but_not_residents(tree):
    user = user_with(Role.HANDLER, tree.a.street, "handler")
    assert ids(Grid.objects.restrict(user)) == [tree.a.grid.pk]
    assert Resident.objects.restrict(user).count() == 0
    assert user.has_scope_perm("territory.view") and not user.has_scope_perm("population.view")


def test_building_head_sees_only_building(tree):
    user = user_with(Role.BUILDING_HEAD, tree.a.building, "bh")
    assert ids(Building.objects.restrict(user)) == [tree.a.building.pk]
    assert ids(Grid.objects.restrict(user)) == []


def test_no_role_and_anonymous_see_nothing(tree):
    from django.contrib.auth.models import AnonymousUser

    nobody = user_with(None, None, "nobody")
    assert Street.objects.restrict(nobody).count() == 0
    assert Street.objects.restrict(AnonymousUser()).count() == 0


def test_inactive_user_sees_nothing(tree):
    user = user_with(Role.DISTRICT_ADMIN, tree.district, "gone")
    user.is_active = False
    assert Street.objects.restrict(user).count() == 0
    assert not user.has_scope_perm("territory.view")


def test_two_assignments_union(tree):
    user = user_with(Role.COMMUNITY_WORKER, tree.a.community, "two")
    assign_role(actor=None, user=user, role=Role.GRID_WORKER, node=tree.b.grid)
    assert ids(Grid.objects.restrict(user)) == sorted([tree.a.grid.pk, tree.b.grid.pk])
    assert ids(Community.objects.restrict(user)) == [tree.a.community.pk]


def test_assignment_needs_a_territory_node(tree):
    from django.core.exceptions import ValidationError

    user = user_with(None, None, "x")
    with pytest.raises(ValidationError):
        assign_role(actor=None, user=user, role=Role.COMMUNITY_WORKER, node=tree.a.compound)
    assert Assignment.objects.filter(user=user).count() == 0


def test_assigning_twice_keeps_one_row(tree):
    user = user_with(Role.COMMUNITY_WORKER, tree.a.community, "twice")
    assign_role(actor=None, user=user, role=Role.COMMUNITY_WORKER, node=tree.a.community)
    assert Assignment.objects.filter(user=user).count() == 1


def test_passwords_are_hashed_with_argon2_in_production_settings():
    assert settings.PASSWORD_HASHERS  # the test settings use MD5 for speed; check the base module
    from gongzhi.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = create_user(actor=None, username="argon", password="Str0ng-Passw0rd")
        assert identify_hasher(user.password).algorithm == "argon2"


def test_login_works_and_lockout_after_repeated_failures(tree, client):
    create_user(actor=None, username="worker", password="Corr3ct-Horse")
    url = reverse("accounts:login")
    ok = client.post(url, {"username": "worker", "password": "Corr3ct-Horse"})
    assert ok.status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        bad = client.post(url, {"username": "worker", "password": "wrong"})
        assert bad.status_code == 200
        assert "用户名或密码不正确" in bad.content.decode()
    locked = client.post(url, {"username": "worker", "password": "wrong"})
    assert locked.status_code == 429
    assert "登录失败次数过多，账号已暂时锁定" in locked.content.decode()
    # even the right password is refused while locked
    still = client.post(url, {"username": "worker", "password": "Corr3ct-Horse"})
    assert still.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username(tree, client):
    create_user(actor=None, username="alice", password="Corr3ct-Horse")
    create_user(actor=None, username="bob", password="Corr3ct-Horse")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "alice", "password": "wrong"})
    assert client.post(url, {"username": "bob", "password": "Corr3ct-Horse"}).status_code == 302


def test_me_api(tree):
    from rest_framework.test import APIClient

    user = user_with(Role.GRID_WORKER, tree.a.grid, "me")
    api = APIClient()
    assert api.get(reverse("accounts-me")).status_code == 401
    api.force_login(user)
    data = api.get(reverse("accounts-me")).json()
    assert data["username"] == "me"
    assert data["assignments"] == [
        {
            "id": user.assignments.get().pk,
            "role": "grid_worker",
            "level": "grid",
            "node_id": tree.a.grid.pk,
            "node_name": "测试1社区第1网格",
        }
    ]
    assert data["permissions"] == [
        "assessment.view",
        "care.change",
        "care.view",
        "cases.report",
        "cases.verify",
        "cases.view",
        "grids.patrol",
        "party.view",
        "population.change",
        "population.reveal_phone",
        "population.view",
        "population.view_health",
        "territory.view",
    ]
