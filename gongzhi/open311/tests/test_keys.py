"""The partners' keys: created by `manage.py open311 create-key` (shown once, stored hashed),
listed, revoked; checked in constant time; usable at once; each with its own service account."""

import datetime
import hashlib
import hmac
import re
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from gongzhi.cases.models import Case
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.tree import user_with
from gongzhi.open311 import services
from gongzhi.open311.models import ApiKey

from .conftest import NOW, point

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command("open311", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_key_prints_the_key_last_and_stores_only_a_hash(api, desk):
    admin = user_with(None, username="sysadmin")
    lines = run("create-key", "--name", "  12345 热线 ", "--by", "sysadmin")

    raw = lines[-1]
    key = ApiKey.objects.get()
    assert len(raw) == 40 and raw.isascii() and raw.isalnum()
    assert lines[:-1] == [
        f"Created Open311 key {raw[:8]} for 12345 热线 (service account Open311·12345 热线).",
        "Store it now: it is not kept and cannot be shown again.",
    ]
    assert (key.name, key.key_prefix, key.created_by, key.street, key.revoked_at) == (
        "12345 热线",
        raw[:8],
        admin,
        None,
        None,
    )
    assert key.key_hash == hmac.new(b"test-secret-key", raw.encode(), hashlib.sha256).hexdigest()
    assert key.key_hash != hashlib.sha256(raw.encode()).hexdigest()  # keyed, not a plain digest
    stored = [str(v) for v in ApiKey.objects.values().get().values()]
    assert not any(raw in v for v in stored)
    user = key.user
    assert (user.username, user.display_name, user.organisation, user.has_usable_password(), user.is_active) == (
        f"open311-{raw[:8]}",
        "Open311·12345 热线",
        "12345 热线",
        False,
        True,
    )
    audit = ObjectChange.objects.get(content_type=ContentType.objects.get_for_model(ApiKey))
    assert (audit.action, audit.user, audit.object_id) == ("create", admin, str(key.pk))
    assert "key_hash" not in audit.postchange_data and raw not in str(audit.postchange_data)

    # usable right away, for reading and for reporting
    assert api.get("requests.json", {"api_key": raw}).status_code == 200
    report = {"api_key": raw, "service_code": "other", "description": "小区门口井盖松动", **point(1, 1)}
    response = api.post("requests.json", report)
    assert response.status_code == 200
    assert Case.objects.get().created_by == user


def test_create_key_limited_to_a_street_and_bad_options(desk):
    lines = run("create-key", "--name", "测试1街道小程序", "--street", desk.tree.a.street.code)
    assert ApiKey.objects.get(key_prefix=lines[-1][:8]).street == desk.tree.a.street
    with pytest.raises(CommandError, match=re.escape("No street with code '123'.")):
        run("create-key", "--name", "x", "--street", "123")
    with pytest.raises(CommandError, match=re.escape("No user 'ghost'.")):
        run("create-key", "--name", "x", "--by", "ghost")
    with pytest.raises(CommandError, match="请填写合作方名称。"):
        run("create-key", "--name", "   ")
    with pytest.raises(CommandError):
        run("create-key")
    assert ApiKey.objects.count() == 1


def test_list_and_revoke(api, desk):
    assert run("list-keys") == ["No keys."]
    first = run("create-key", "--name", "居民App")[-1]
    second = run("create-key", "--name", "热线系统")[-1]
    api.get("requests.json", {"api_key": first})  # last used at the clock's NOW (10:00)

    listing = run("list-keys")
    assert [line.split("  ")[:2] for line in listing] == [[first[:8], "居民App"], [second[:8], "热线系统"]]
    assert listing[0].endswith("last used 2026-12-01 10:00  active")
    assert "last used never  active" in listing[1]

    assert run("revoke-key", first[:8]) == [f"Revoked {first[:8]} (居民App)."]
    key = ApiKey.objects.get(key_prefix=first[:8])
    assert key.revoked_at is not None and not key.user.is_active
    assert "  revoked " in run("list-keys")[0]
    response = api.get("requests.json", {"api_key": first})
    assert (response.status_code, api.errors(response)) == (403, [(403, "api_key 无效或已吊销，无法继续。")])
    assert api.get("requests.json", {"api_key": second}).status_code == 200  # the other key still works
    with pytest.raises(CommandError, match="该密钥已于"):
        run("revoke-key", first[:8])
    with pytest.raises(CommandError, match=re.escape("No key with prefix 'nothere1'.")):
        run("revoke-key", "nothere1")


def test_authenticate_checks_the_whole_key_and_touches_last_used_once_a_minute(desk):
    key, raw = services.create_key(actor=None, name="居民App", now=NOW)
    same_prefix = raw[:8] + "0" * 32 if raw[8:] != "0" * 32 else raw[:8] + "1" * 32
    for wrong in (
        "",
        None,
        raw[:8],
        raw + "x",
        raw[:-1],
        same_prefix,
        raw.lower() if raw != raw.lower() else raw.upper(),
    ):
        assert services.authenticate(wrong, now=NOW) is None
    assert ApiKey.objects.get().last_used is None

    assert services.authenticate(raw, now=NOW) == key
    assert services.authenticate(raw, now=NOW + datetime.timedelta(seconds=30)).last_used == NOW
    later = NOW + datetime.timedelta(minutes=2)
    services.authenticate(raw, now=later)
    assert ApiKey.objects.get().last_used == later


def test_create_key_rules(desk):
    with pytest.raises(ValidationError) as exc:
        services.create_key(actor=None, name="", now=NOW)
    assert exc.value.message_dict == {"name": ["请填写合作方名称。"]}
    with pytest.raises(ValidationError) as exc:
        services.create_key(actor=None, name="名" * 101, now=NOW)
    assert exc.value.message_dict == {"name": ["合作方名称不能超过 100 字。"]}
    assert ApiKey.objects.count() == 0
    a, raw_a = services.create_key(actor=None, name="同名合作方", now=NOW)
    b, raw_b = services.create_key(actor=None, name="同名合作方", now=NOW)
    assert raw_a != raw_b and a.user != b.user and a.key_prefix != b.key_prefix


def test_the_admin_lists_keys_and_revokes_through_the_services(client, desk):
    key, raw = services.create_key(actor=None, name="居民App", now=NOW)
    admin = user_with(None, username="root")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    page = client.get("/admin/open311/apikey/")
    assert page.status_code == 200
    assert key.key_prefix in page.content.decode() and raw not in page.content.decode()
    assert client.get("/admin/open311/apikey/add/").status_code == 403
    response = client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert ObjectChange.objects.filter(content_type__model="apikey", action="update", user=admin).count() == 1
