"""Personal data is encrypted at rest and searchable by keyed hash; the audit trail is written
in the same transaction with the request id; the trail itself is scoped."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.core import crypto
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.tree import user_with
from gongzhi.population.models import Resident

pytestmark = pytest.mark.django_db


def test_id_number_and_phone_are_not_stored_in_clear(tree):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash, phone_hash FROM population_resident")
        rows = cursor.fetchall()
    assert len(rows) == 2
    for id_number, phone, id_hash, phone_hash in rows:
        assert id_number.startswith("v1:") and phone.startswith("v1:")
        for plain in ("330199198001010017", "330199199002020035", "13800001111"):
            assert plain not in id_number + phone + id_hash + phone_hash
    resident = Resident.objects.get(name="张三")
    assert resident.id_number == "330199198001010017"
    assert resident.phone == "13800001111"


def test_encryption_is_randomised_and_authenticated():
    a, b = crypto.encrypt("13800001111"), crypto.encrypt("13800001111")
    assert a != b
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13800001111"
    tampered = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag or a decoding error
        crypto.decrypt(tampered)


def test_exact_search_by_blind_index(tree):
    digest = crypto.blind_index(" 330199198001010017 ", "id_number")
    assert list(Resident.objects.filter(id_number_hash=digest).values_list("name", flat=True)) == ["张三"]
    # lower-case x and spaces normalise to the same digest
    assert crypto.blind_index("11010519491231002x", "id_number") == crypto.blind_index(
        "11010519491231002X", "id_number"
    )
    # the phone index is a different key: same value, different digest
    assert crypto.blind_index("13800001111", "phone") != crypto.blind_index("13800001111", "id_number")


def test_duplicate_id_number_is_refused(tree):
    from django.core.exceptions import ValidationError

    from gongzhi.population.services import create_resident

    household = Resident.objects.get(name="张三").household
    with pytest.raises(ValidationError) as exc:
        create_resident(actor=None, household=household, name="张三丰", gender="male", id_number="330199198001010017")
    assert exc.value.message_dict == {"id_number": ["该公民身份号码已登记，不能重复录入。"]}
    assert Resident.objects.count() == 2


def test_audit_rows_never_hold_personal_data(tree):
    change = ObjectChange.objects.get(content_type__model="resident", object_repr="张三")
    assert change.postchange_data["id_number"] == "***"
    assert change.postchange_data["phone"] == "***"
    assert "id_number_hash" not in change.postchange_data


def test_api_write_records_request_id(tree):
    admin = user_with(Role.STREET_ADMIN, tree.a.street, "sa")
    api = APIClient()
    api.force_login(admin)
    response = api.patch(
        reverse("territory-grid-detail", args=[tree.a.grid.pk]),
        {"name": "东片网格"},
        format="json",
        HTTP_X_REQUEST_ID="req-0123456789abcdef",
    )
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    change = ObjectChange.objects.filter(action="update").get()
    assert (change.request_id, change.user, change.diff) == (
        "req-0123456789abcdef",
        admin,
        {"name": ("测试1社区第1网格", "东片网格")},
    )


def test_audit_trail_is_scoped(tree):
    worker_a = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")
    worker_b = user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b")
    a_rows = ObjectChange.objects.restrict(worker_a, "view")
    assert a_rows.exists()
    assert not a_rows.filter(community_id=tree.b.community.pk).exists()
    change = a_rows.filter(object_repr="张三").get()
    client = APIClient()
    client.force_login(worker_b)
    assert client.get(reverse("audit-change-detail", args=[change.pk])).status_code == 404
    client.force_login(worker_a)
    assert client.get(reverse("audit-change-detail", args=[change.pk])).status_code == 200
    page = client.get(reverse("audit:detail", args=[change.pk]))
    assert page.status_code == 200 and "张三" in page.content.decode()


def test_ciphertext_is_bound_to_its_column(tree):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE population_resident SET phone = id_number WHERE name = %s", ["张三"])
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag: a value moved to another column does not open
        Resident.objects.get(name="张三")


def test_unusable_field_key_fails_the_system_check(settings):
    from gongzhi.core.apps import check_field_key

    crypto._master_key.cache_clear()
    try:
        settings.GONGZHI_FIELD_KEY = "c2hvcnQ="  # base64 of "short"
        errors = check_field_key()
        assert [e.id for e in errors] == ["gongzhi.E001"]
        assert "32 bytes" in errors[0].msg
    finally:
        crypto._master_key.cache_clear()
        crypto._aead.cache_clear()
        crypto._index_key.cache_clear()


def test_error_log_lines_carry_the_request_id(tree, client, caplog):
    from gongzhi.core.context import RequestIdLogFilter

    user = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-log")
    client.force_login(user)
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.get(
            reverse("territory:node", args=["grid", tree.b.grid.pk]), HTTP_X_REQUEST_ID="req-log-000000000001"
        )
    assert response.status_code == 404
    record = next(r for r in caplog.records if r.name == "django.request")
    RequestIdLogFilter().filter(record)
    assert record.request_id == "req-log-000000000001"
