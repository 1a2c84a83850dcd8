"""Resident services: validation against the ID number, duplicates, tags, reveal with a log."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gongzhi.accounts.choices import Role
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.tree import user_with
from gongzhi.population import services
from gongzhi.population.models import Resident, RevealLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(tree):
    return Resident.objects.get(name="张三").household


def test_birth_date_and_gender_come_from_the_id_number(household):
    r = services.create_resident(actor=None, household=household, name="王芳", id_number="330199199510120024")
    assert (str(r.birth_date), r.gender) == ("1995-10-12", "female")


def test_inconsistent_birth_date_and_gender_are_refused(household):
    import datetime

    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            actor=None,
            household=household,
            name="王芳",
            gender="male",
            birth_date=datetime.date(1995, 1, 1),
            id_number="330199199510120024",
        )
    assert exc.value.message_dict == {
        "birth_date": ["出生日期与公民身份号码不一致（号码中为 1995-10-12）。"],
        "gender": ["性别与公民身份号码不一致（第 17 位奇数为男、偶数为女）。"],
    }
    assert not Resident.objects.filter(name="王芳").exists()


def test_bad_phone_and_id_reported_together(household):
    with pytest.raises(ValidationError) as exc:
        services.create_resident(actor=None, household=household, name="错号", id_number="123", phone="555")
    assert set(exc.value.message_dict) == {"id_number", "phone"}
    assert Resident.objects.count() == 2


def test_duplicate_id_number_refused_on_update_too(household):
    other = services.create_resident(actor=None, household=household, name="王芳", id_number="330199199510120024")
    with pytest.raises(ValidationError) as exc:
        services.update_resident(other, actor=None, id_number="330199198001010017")
    assert exc.value.message_dict == {"id_number": ["该公民身份号码已登记，不能重复录入。"]}
    other.refresh_from_db()
    assert other.id_number == "330199199510120024"


def test_tags_are_set_and_audited(household):
    r = Resident.objects.get(name="张三")
    services.update_resident(r, actor=None, tags=["elderly_alone", "disabled"])
    assert sorted(r.tag_links.values_list("tag", flat=True)) == ["disabled", "elderly_alone"]
    change = ObjectChange.objects.filter(action="update", object_id=str(r.pk)).get()
    assert change.prechange_data["tags"] == [] and change.postchange_data["tags"] == ["disabled", "elderly_alone"]
    with pytest.raises(ValidationError):
        services.update_resident(r, actor=None, tags=["vip"])
    assert r.tag_links.count() == 2


def test_reveal_needs_a_reason_permission_and_scope(tree):
    r = Resident.objects.get(name="张三")
    worker = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")
    with pytest.raises(ValidationError) as exc:
        services.reveal(actor=worker, resident=r, field="id_number", reason="看看")
    assert exc.value.message_dict == {"reason": ["请填写查看事由（至少 4 个字）。"]}
    assert (
        services.reveal(actor=worker, resident=r, field="id_number", reason="办理低保核验身份") == "330199198001010017"
    )
    log = RevealLog.objects.get()
    assert (log.user, log.resident, log.field, log.reason, log.community_id) == (
        worker,
        r,
        "id_number",
        "办理低保核验身份",
        tree.a.community.pk,
    )
    dispatcher = user_with(Role.DISPATCHER, tree.a.street, "disp")
    assert services.reveal(actor=dispatcher, resident=r, field="phone", reason="回访来电群众") == "13800001111"
    with pytest.raises(PermissionDenied):
        services.reveal(actor=dispatcher, resident=r, field="id_number", reason="回访来电群众")
    other = user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b")
    with pytest.raises(PermissionDenied):
        services.reveal(actor=other, resident=r, field="phone", reason="越权查看测试")
    assert RevealLog.objects.count() == 2


def test_reveal_log_is_scoped(tree):
    r = Resident.objects.get(name="张三")
    worker = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")
    services.reveal(actor=worker, resident=r, field="phone", reason="入户走访联系")
    assert RevealLog.objects.restrict(worker).count() == 1
    assert RevealLog.objects.restrict(user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b")).count() == 0
