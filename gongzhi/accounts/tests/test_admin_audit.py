"""Changes made in the admin site are audited like service calls."""

import pytest
from django.urls import reverse

from gongzhi.accounts.models import Assignment, User
from gongzhi.core.models import ObjectChange

pytestmark = pytest.mark.django_db


def test_admin_assignment_and_user_changes_are_audited(tree, client):
    root = User.objects.create(username="root", is_superuser=True, is_staff=True)
    target = User.objects.create(username="worker", display_name="网格员甲")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "display_name": "网格员乙",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "08:00:00",
            "assignments-TOTAL_FORMS": "1",
            "assignments-INITIAL_FORMS": "0",
            "assignments-MIN_NUM_FORMS": "0",
            "assignments-MAX_NUM_FORMS": "1000",
            "assignments-0-role": "grid_worker",
            "assignments-0-level": "grid",
            "assignments-0-grid": str(tree.a.grid.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assignment = Assignment.objects.get(user=target)
    assert (assignment.role, assignment.grid_id) == ("grid_worker", tree.a.grid.pk)
    user_change = ObjectChange.objects.get(content_type__model="user", object_id=str(target.pk), action="update")
    assert user_change.user == root and user_change.diff["display_name"] == ("网格员甲", "网格员乙")
    created = ObjectChange.objects.get(content_type__model="assignment", action="create")
    assert (created.object_id, created.grid_id, created.community_id) == (
        str(assignment.pk),
        tree.a.grid.pk,
        tree.a.community.pk,
    )


def test_admin_password_change_and_delete_are_audited(tree, client):
    root = User.objects.create(username="root", is_superuser=True, is_staff=True)
    target = User.objects.create(username="leaver", display_name="离职社工")
    Assignment.objects.create(user=target, role="grid_worker", level="grid", grid=tree.a.grid)
    client.force_login(root)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(
        url, {"password1": "N3w-Str0ng-Pass!", "password2": "N3w-Str0ng-Pass!", "usable_password": "true"}
    )
    assert response.status_code == 302
    change = ObjectChange.objects.get(content_type__model="user", object_id=str(target.pk), action="update")
    assert change.user == root and "password" not in change.postchange_data
    response = client.post(reverse("admin:accounts_user_delete", args=[target.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=target.pk).exists()
    deleted = set(ObjectChange.objects.filter(action="delete").values_list("content_type__model", flat=True))
    assert deleted == {"user", "assignment"}
    from django.contrib import admin

    assert "delete_selected" not in dict(admin.site.actions)
