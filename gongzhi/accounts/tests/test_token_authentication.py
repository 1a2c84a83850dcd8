"""API tokens: the token, its user and the user's assignments in one query; refusals as DRF's."""

import pytest
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from gongzhi.accounts.authentication import TokenAuthentication
from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment
from gongzhi.core.testing.tree import user_with


def test_one_query_reads_the_token_the_user_and_the_assignments(tree, django_assert_num_queries):
    user = user_with(Role.GRID_WORKER, tree.a.grid, "tok-worker")
    Assignment.objects.create(user=user, role=Role.DISPATCHER, level="street", street=tree.a.street)
    key = Token.objects.create(user=user).key
    with django_assert_num_queries(1):
        authed, token = TokenAuthentication().authenticate_credentials(key)
        # the scope checks of the request then read nothing more
        assert authed.has_scope_perm("cases.report")
        nodes = authed.scope_nodes("cases.view")
    assert (authed.pk, token.key, token.user_id) == (user.pk, key, user.pk)
    expected = sorted(user.assignments.values_list("pk", "role", "level", "grid_id", "street_id"))
    assert sorted((a.pk, a.role, a.level, a.grid_id, a.street_id) for a in authed._assignments) == expected
    assert nodes["street"] == {tree.a.street.pk} and nodes["grid"] == {tree.a.grid.pk}
    assert authed.check_password("x") is False and authed.username == "tok-worker"


def test_a_user_without_assignments_and_the_refusals(tree, django_user_model):
    plain = django_user_model.objects.create(username="tok-plain")
    key = Token.objects.create(user=plain).key
    authed, _token = TokenAuthentication().authenticate_credentials(key)
    assert authed._assignments == [] and not authed.has_scope_perm("cases.view")
    with pytest.raises(exceptions.AuthenticationFailed):
        TokenAuthentication().authenticate_credentials("0" * 40)
    plain.is_active = False
    plain.save()
    with pytest.raises(exceptions.AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(key)


def test_a_removed_assignment_counts_on_the_next_request(tree, client):
    user = user_with(Role.GRID_WORKER, tree.a.grid, "tok-removed")
    key = Token.objects.create(user=user).key
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/cases/cases/", **headers).status_code == 200
    Assignment.objects.filter(user=user).delete()
    assert client.get("/api/cases/cases/", **headers).status_code == 403
    assert client.get("/api/cases/cases/", HTTP_AUTHORIZATION="Token nope").status_code == 401
