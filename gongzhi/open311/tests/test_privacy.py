"""What partners can read (ADR 0004): no reporter name, phone or e-mail anywhere; numbers and
names masked inside free text; the private categories (邻里纠纷, 民生帮扶) never listed."""

import pytest
from django.db import connection

from gongzhi.cases import services as cases
from gongzhi.cases.choices import Category, Channel
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core.models import ObjectChange
from gongzhi.open311.queries import scrub

from .conftest import point

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
NAME = "王小芳"
ID_NUMBER = "330199198001010017"


@pytest.fixture
def reported(api, partner, desk, make_case):
    hotline = make_case(
        f"我是{NAME}，电话 139-1234-5678，身份证{ID_NUMBER}，3单元楼道灯坏了",
        actor=desk.dispatcher,
        channel=Channel.HOTLINE,
        category=Category.FACILITY,
        reporter_name=NAME,
        reporter_phone=PHONE,
    )
    rejected = make_case("楼下停车乱", category=Category.PARKING, reporter_name=NAME, reporter_phone=PHONE)
    note = f"已电话联系{NAME}（{PHONE}），车辆已挪走"
    cases.reject_case(rejected, actor=desk.dispatcher, now=hotline.reported_at, note=note)
    dispute = make_case("楼上邻居天天半夜剁肉，沟通无果", category=Category.DISPUTE)
    welfare = make_case("独居老人家里断粮了，需要帮助", category=Category.WELFARE)
    response = api.post(
        "requests.json",
        {"api_key": partner.raw, "service_code": "facility", "attribute[facility_type]": "elevator",
         "description": "2号电梯停了", "first_name": "小芳", "last_name": "王", "phone": PHONE,
         "email": "xiaofang@example.com", **point(1, 1)},
    )  # fmt: skip
    assert response.status_code == 200
    posted = Case.objects.get(channel=Channel.OPEN311)
    return {"hotline": hotline, "rejected": rejected, "dispute": dispute, "welfare": welfare, "posted": posted}


def test_no_personal_data_in_any_read(api, partner, reported):
    visible = [reported[k] for k in ("hotline", "rejected", "posted")]
    bodies = []
    for fmt in ("json", "xml"):
        bodies.append(api.get(f"requests.{fmt}", {"api_key": partner.raw}).content.decode())
        for case in visible:
            bodies.append(api.get(f"requests/{case.number}.{fmt}", {"api_key": partner.raw}).content.decode())
        ids = ",".join(c.number for c in Case.objects.all())
        bodies.append(api.get(f"requests.{fmt}", {"api_key": partner.raw, "service_request_id": ids}).content.decode())
    for body in bodies:
        for secret in (PHONE, "139-1234-5678", NAME, ID_NUMBER, "xiaofang@example.com", "半夜剁肉", "断粮"):
            assert secret not in body
    listing = api.json(api.get("requests.json", {"api_key": partner.raw}))
    assert sorted(r["service_request_id"] for r in listing) == sorted(c.number for c in visible)
    hotline = next(r for r in listing if r["service_request_id"] == reported["hotline"].number)
    assert hotline["description"] == "我是王**，电话 139****5678，身份证3301**********0017，3单元楼道灯坏了"
    rejected = next(r for r in listing if r["service_request_id"] == reported["rejected"].number)
    assert rejected["status_notes"] == "不予立案：已电话联系王**（139****5678），车辆已挪走"
    assert set(hotline) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
    }  # no media_url: attachments are served to signed-in staff only


def test_private_categories_are_never_listed(api, partner, reported):
    for fmt in ("json", "xml"):
        for code in ("dispute", "welfare"):
            response = api.get(f"requests.{fmt}", {"api_key": partner.raw, "service_code": code})
            assert response.status_code == 200
            if fmt == "json":
                assert api.json(response) == []
            else:
                assert list(api.xml(response)) == []
            number = reported[code].number
            response = api.get(f"requests/{number}.{fmt}", {"api_key": partner.raw})
            assert (response.status_code, api.errors(response, fmt)) == (404, [(404, f"未找到服务请求 {number}。")])
        ids = f"{reported['dispute'].number},{reported['hotline'].number}"
        response = api.get(f"requests.{fmt}", {"api_key": partner.raw, "service_request_id": ids})
        assert response.status_code == 200


def test_the_email_is_not_kept(reported):
    assert not CaseEvent.objects.filter(data__icontains="xiaofang").exists()
    assert not any("xiaofang" in str(c.postchange_data) for c in ObjectChange.objects.all())
    # the phone is kept for the reporter's SMS, encrypted like every other reporter's
    assert reported["posted"].reporter_phone == PHONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [reported["posted"].pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and PHONE not in stored


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812345678", "电话138****5678"),
        ("手机 138 1234 5678。", "手机 138****5678。"),
        ("座机0571-88001234", "座机0571-****1234"),
        ("身份证号 11010519491231002X", "身份证号 1101**********002X"),
        ("订单号 2026120112345678901 不是电话", "订单号 2026120112345678901 不是电话"),
        ("王小芳说楼道灯坏了，王小芳的邻居也说", "王**说楼道灯坏了，王**的邻居也说"),
    ],
)
def test_scrub(text, masked):
    assert scrub(text, ["王小芳"]) == masked
