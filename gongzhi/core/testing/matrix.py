"""The permission matrix every endpoint runs: anonymous → login, no role → 403,
out of scope → 404, in scope → 200 (STYLE.md convention 8)."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient


def _client(user, api: bool):
    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def check_matrix(url: str, *, in_scope, out_of_scope, no_role, api: bool = False) -> None:
    """Assert the four rows of the matrix for one URL that names an object."""
    anonymous = _client(None, api).get(url)
    if api:
        assert anonymous.status_code == 401, (url, anonymous.status_code)
    else:
        assert anonymous.status_code == 302, (url, anonymous.status_code)
        assert anonymous["Location"].startswith(reverse(settings.LOGIN_URL)), anonymous["Location"]
    denied = _client(no_role, api).get(url)
    assert denied.status_code == 403, (url, denied.status_code)
    if out_of_scope is not None:
        hidden = _client(out_of_scope, api).get(url)
        assert hidden.status_code == 404, (url, hidden.status_code)
    allowed = _client(in_scope, api).get(url)
    assert allowed.status_code == 200, (url, allowed.status_code)
