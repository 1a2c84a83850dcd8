"""Every list exports to Excel as filtered, within scope, personal data masked."""

import io

import pytest
from django.urls import reverse

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.population import services
from gongzhi.population.models import Resident

pytestmark = pytest.mark.django_db


def sheet(response):
    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.fixture
def worker(tree, client):
    user = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")
    client.force_login(user)
    return user


def test_households_export_filtered_and_scoped(tree, worker, client):
    rows = sheet(client.get(reverse("population:households"), {"export": "xlsx"}))
    assert rows[0] == ("社区", "网格", "小区", "楼栋", "门牌", "人数", "标签")
    assert [r[:6] for r in rows[1:]] == [("测试1社区", "测试1社区第1网格", "测试1花园", "1幢", "1单元101室", 1)]
    assert len(sheet(client.get(reverse("population:households"), {"export": "xlsx", "q": "9单元"}))) == 1


def test_reveal_log_and_audit_export(tree, worker, client):
    services.reveal(actor=worker, resident=Resident.objects.get(name="张三"), field="phone", reason="入户走访联系")
    rows = sheet(client.get(reverse("population:reveals"), {"export": "xlsx"}))
    assert [r[2:] for r in rows[1:]] == [("张三", "手机号码", "入户走访联系")]
    changes = sheet(client.get(reverse("audit:list"), {"export": "xlsx"}))
    assert changes[0][:3] == ("时间", "操作人", "动作")
    assert "李四" not in {r[4] for r in changes[1:]}  # another community's rows stay out
    assert "张三" in {r[4] for r in changes[1:]}


def test_care_and_party_exports(tree, worker, client):
    from gongzhi.care import services as care
    from gongzhi.party import services as party

    member = party.create_member(
        actor=None, member_type="direct", name="党员甲", gender="female", building=tree.a.building, phone="13700001234"
    )
    care.open_profile(actor=None, resident=Resident.objects.get(name="张三"), kind="elderly_alone", risk_level="high",
                      paired_member=member, opened=__import__("datetime").date(2026, 1, 1))  # fmt: skip
    rows = sheet(client.get(reverse("care:list"), {"export": "xlsx"}))
    assert [r[:4] for r in rows[1:]] == [("张三", "独居老人", "高风险", "党员甲")]
    members = sheet(client.get(reverse("party:members"), {"export": "xlsx"}))
    assert [(r[0], r[4]) for r in members[1:]] == [("党员甲", "137****1234")]
