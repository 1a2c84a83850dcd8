"""POST requests.{fmt}: a partner's service request becomes one case, entered by the key's
service account on the Open311 channel — or, on any fault, a spec error and nothing written."""

import pytest
from django.contrib.contenttypes.models import ContentType

from gongzhi.cases.choices import Category, Channel, Priority, State
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core.models import ObjectChange
from gongzhi.open311 import services

from .conftest import NOW, point

pytestmark = pytest.mark.django_db

FACILITY = {"service_code": "facility", "attribute[facility_type]": "stair_light"}


def counts():
    return Case.objects.count(), CaseEvent.objects.count(), ObjectChange.objects.count()


def post(api, partner, fmt="json", **data):
    return api.post(f"requests.{fmt}", {"api_key": partner.raw, **data})


def test_a_valid_request_creates_one_case_in_the_right_grid(api, partner, desk):
    tree = desk.tree
    before = ObjectChange.objects.count()
    response = post(
        api,
        partner,
        **FACILITY,
        **point(1, 1),
        description="3单元楼道灯坏了一个星期，晚上很黑",
        first_name="芳",
        last_name="王",
        phone="139 1234 5678",
        email="wangfang@example.com",
        account_id="u-778",
        device_id="dev-42",
        media_url="https://img.example.com/a.jpg",
        **{"attribute[trapped]": "no", "attribute[fixmystreet_id]": "99"},
    )

    assert response.status_code == 200
    case = Case.objects.get()
    assert api.json(response) == [
        {
            "service_request_id": case.number,
            "service_notice": "处理单位将在规定时限内上门查看维修；电梯困人请先拨打轿厢内的救援电话。",
            "account_id": "u-778",
        }
    ]
    assert case.number == f"20261201-{case.pk:06d}"
    assert (case.grid, case.street, case.channel) == (tree.a.grid, tree.a.street, Channel.OPEN311)
    assert (case.category, case.priority, case.state) == (Category.FACILITY, Priority.NORMAL, State.REPORTED)
    assert (case.description, case.reporter_name, case.reporter_phone) == (
        "3单元楼道灯坏了一个星期，晚上很黑",
        "王芳",
        "13912345678",
    )
    assert (case.created_by, case.reporter_user, case.reported_at) == (partner.key.user, None, NOW)
    event = case.events.get()
    assert (event.action, event.actor, event.actor_name) == ("report", partner.key.user, "Open311·测试居民App")
    assert event.data == {
        "channel": "open311",
        "open311": {
            "api_key": partner.key.key_prefix,
            "partner": "测试居民App",
            "service_code": "facility",
            "attributes": [
                {"code": "facility_type", "label": "设施类型", "value": "stair_light", "display": "楼道灯"},
                {"code": "trapped", "label": "是否有人被困", "value": "no", "display": "否"},
            ],
            "account_id": "u-778",
            "device_id": "dev-42",
            "media_url": "https://img.example.com/a.jpg",
        },
    }
    assert "wangfang@example.com" not in str(event.data)  # e-mail is not collected
    audit = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk))
    assert [(a.action, a.user, a.user_name) for a in audit] == [("create", partner.key.user, "Open311·测试居民App")]
    assert ObjectChange.objects.count() == before + 1


def test_xml_answer_and_the_pypi_client_style_query_string(api, partner, desk):
    # the PyPI open311 client: api_key and an empty jurisdiction_id in the query string, fields in the body
    response = api.post(
        "requests.xml",
        {**FACILITY, **point(1, 1), "description": "路灯不亮", "jurisdiction_id": ""},
        query=f"api_key={partner.raw}&jurisdiction_id=",
    )

    assert response.status_code == 200
    case = Case.objects.get()
    root = api.xml(response)
    assert root.tag == "service_requests"
    assert [r.tag for r in root] == ["request"]
    assert [(c.tag, c.text) for c in root[0]] == [
        ("service_request_id", case.number),
        ("service_notice", "处理单位将在规定时限内上门查看维修；电梯困人请先拨打轿厢内的救援电话。"),
        ("account_id", None),
    ]


def test_a_building_code_as_address_id_and_an_address_string(api, partner, desk):
    tree = desk.tree
    post(api, partner, **FACILITY, address_id=tree.b.building.code, description="门禁坏了")
    post(api, partner, **FACILITY, address_string="测试1花园1幢", description="水管漏水")

    by_building, by_address = Case.objects.order_by("pk")
    assert (by_building.building, by_building.grid) == (tree.b.building, tree.b.grid)
    assert (by_address.building, by_address.address, by_address.grid) == (tree.a.building, "测试1花园1幢", tree.a.grid)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "缺少 api_key，无法继续。请向平台管理员申请密钥。"),
        ({"api_key": ""}, "缺少 api_key，无法继续。请向平台管理员申请密钥。"),
        ({"api_key": "x" * 40}, "api_key 无效或已吊销，无法继续。"),
    ],
)
def test_a_missing_or_bad_key_is_403_and_writes_nothing(api, partner, data, message):
    before = counts()
    for fmt in ("json", "xml"):
        response = api.post(f"requests.{fmt}", {**FACILITY, **point(1, 1), "description": "灯坏了", **data})
        assert response.status_code == 403
        assert api.errors(response, fmt) == [(403, message)]
    assert counts() == before


def test_a_key_of_the_right_prefix_but_wrong_rest_is_refused(api, partner):
    forged = partner.raw[:8] + ("A" if partner.raw[8] != "A" else "B") + partner.raw[9:]
    response = post(api, partner, **FACILITY, **point(1, 1), description="灯坏了", api_key=forged)
    assert (response.status_code, Case.objects.count()) == (403, 0)


def test_a_revoked_key_is_403_and_writes_nothing(api, partner, desk):
    services.revoke_key(partner.key, actor=None, now=NOW)
    before = counts()
    response = post(api, partner, **FACILITY, **point(1, 1), description="灯坏了")
    assert response.status_code == 403
    assert api.errors(response) == [(403, "api_key 无效或已吊销，无法继续。")]
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 400, "缺少参数 service_code。"),
        ({"service_code": ""}, 400, "缺少参数 service_code。"),
        ({"service_code": "pothole"}, 404, "未知的 service_code：pothole。"),
    ],
)
def test_service_code_missing_or_unknown(api, partner, data, status, message):
    for fmt in ("json", "xml"):
        response = post(api, partner, fmt, **point(1, 1), description="路面坑洼", **data)
        assert response.status_code == status
        assert api.errors(response, fmt) == [(status, message)]
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            {"service_code": "facility", "attribute[facility_type]": "boiler"},
            ["属性“设施类型”（attribute[facility_type]）的值“boiler”不在可选范围内"
             "（elevator、street_light、stair_light、water_pipe、access_control、other）。"],
        ),
        ({"service_code": "facility"}, ["缺少必填属性“设施类型”（attribute[facility_type]）。"]),
        (
            {"service_code": "fire_safety", "attribute[hazard_type]": "equipment"},
            ["缺少必填属性“是否有明火”（attribute[open_flame]）。"],
        ),
        (
            {"service_code": "parking", "attribute[parking_issue]": "disorder", "attribute[plate]": "ABC"},
            ["属性“车牌号”（attribute[plate]）的格式不正确：如 浙A12345（新能源车为 6 位）。"],
        ),
        (
            {"service_code": "welfare", "attribute[needs][]": "meals", "attribute[household_size]": "2.5"},
            ["属性“家庭人数”（attribute[household_size]）应为整数。"],
        ),
        (
            {"service_code": "welfare", "attribute[needs][]": "meals", "attribute[household_size]": "30"},
            ["属性“家庭人数”（attribute[household_size]）超出范围：整数，1–20。"],
        ),
        (
            {"service_code": "public_security", "attribute[occurred_at]": "2026-12-01 08:30"},
            ["属性“发生时间”（attribute[occurred_at]）应为带时区的时间，如 2026-12-01T08:30:00+08:00。"],
        ),
        (
            {"service_code": "facility", "attribute[facility_type]": ["elevator", "stair_light"]},
            ["属性“设施类型”（attribute[facility_type]）只能填写一个值。"],
        ),
        (
            {"service_code": "sanitation", "attribute[sanitation_issue][]": ["garbage", "smoke"], "attribute[x]": ""},
            ["属性“问题类型”（attribute[sanitation_issue]）的值“smoke”不在可选范围内"
             "（garbage、sorting、sewage、odour、corner）。"],
        ),
    ],
)  # fmt: skip
def test_attribute_values_are_checked_against_the_definition(api, partner, data, messages):
    response = post(api, partner, **point(1, 1), description="情况说明", **data)
    assert response.status_code == 400
    assert api.errors(response) == [(400, m) for m in messages]
    assert Case.objects.count() == 0


def test_valid_attributes_of_every_datatype_are_stored(api, partner):
    response = post(
        api,
        partner,
        service_code="public_security",
        description="楼下有人撬电动车",
        **point(1, 1),
        **{"attribute[security_issue]": "theft", "attribute[occurred_at]": "2026-12-01T08:30:00+08:00"},
    )
    assert response.status_code == 200
    response = post(
        api,
        partner,
        service_code="sanitation",
        **point(1, 1),
        **{"attribute[sanitation_issue][]": ["garbage", "odour", "garbage"]},
    )
    assert response.status_code == 200
    response = post(
        api,
        partner,
        service_code="parking",
        description="消防通道被占",
        **point(1, 1),
        **{"attribute[parking_issue]": "fire_lane", "attribute[plate]": "浙a12345"},
    )
    assert response.status_code == 200
    security, sanitation, parking = Case.objects.order_by("pk")
    answers = [
        [(a["code"], a["value"]) for a in c.events.get().data["open311"]["attributes"]]
        for c in (security, sanitation, parking)
    ]
    assert answers == [
        [("security_issue", "theft"), ("occurred_at", "2026-12-01T08:30:00+08:00")],
        [("sanitation_issue", ["garbage", "odour"])],
        [("parking_issue", "fire_lane"), ("plate", "浙A12345")],
    ]
    # no description: the choices say what it is (free-text answers such as a plate stay out)
    assert sanitation.description == "【环境卫生】问题类型：垃圾堆积、异味"


def test_an_urgent_answer_makes_the_case_an_emergency(api, partner):
    fire = {"service_code": "fire_safety", **point(1, 1)}
    post(api, partner, **fire, description="楼道里电瓶车起火了", **{"attribute[open_flame]": "yes"})
    # an option's name is accepted as well as its key
    post(api, partner, **fire, description="楼道堆满杂物", **{"attribute[open_flame]": "否"})
    assert list(Case.objects.order_by("pk").values_list("priority", flat=True)) == [Priority.EMERGENCY, Priority.NORMAL]


NO_PLACE = "缺少位置：请提供 lat 和 long，或 address_string，或 address_id（楼栋编码）。"
WHERE = "lat/long/address_string/address_id："


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, NO_PLACE),
        ({"lat": "", "long": "", "address_string": ""}, NO_PLACE),
        ({"lat": "30.2"}, "lat 和 long 须同时提供。"),
        (point(10, 10), WHERE + "该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。"),
        ({"lat": "abc", "long": "120"}, "经纬度必须是数字。"),
        ({"lat": "nan", "long": "inf"}, "坐标超出中国范围（经度 73–136，纬度 3–54），请检查经纬度是否写反。"),
        ({"address_id": "no-such-building"}, "address_id：未找到楼栋编码“no-such-building”。"),
        (
            {"address_string": "火星路1号"},
            WHERE + "无法根据地址确定所属网格：请在地图上选点，或写明小区和楼栋（如“东湖花园3幢”）。",
        ),
    ],
)  # fmt: skip
def test_a_location_outside_every_grid_or_missing_is_400(api, partner, data, message):
    response = post(api, partner, **FACILITY, description="灯坏了", **data)
    assert response.status_code == 400
    assert api.errors(response) == [(400, message)]
    assert Case.objects.count() == 0


def test_html_in_the_description_is_stripped(api, partner):
    html = "<p>楼道灯<b>坏了</b></p><p>已经&lt;一周&gt;了</p><script>alert(1)</script>"
    post(api, partner, **FACILITY, **point(1, 1), description=html)
    # tags go (line breaks of <p> and <br> kept); "<一周>" decoded from entities is text, not a tag
    assert Case.objects.get().description == "楼道灯坏了\n已经<一周>了\nalert(1)"


def test_description_limits(api, partner):
    response = post(api, partner, **FACILITY, **point(1, 1), description="灯" * (services.MAX_DESCRIPTION + 1))
    assert response.status_code == 400
    assert api.errors(response) == [(400, f"description 不能超过 {services.MAX_DESCRIPTION} 字。")]
    response = post(api, partner, **FACILITY, **point(1, 1), description="<b></b>")
    assert response.status_code == 200
    assert Case.objects.get().description == "【设施损坏】设施类型：楼道灯"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "12345"}, "phone：电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"),
        ({"media_url": "javascript:alert(1)"}, "media_url 应为不超过 500 个字符的 http(s) 地址。"),
        ({"account_id": "a" * 101}, "参数 account_id 不能超过 100 个字符。"),
        ({"first_name": "名" * 30, "last_name": "姓" * 30}, "first_name/last_name：姓名不能超过 50 字。"),
        ({"jurisdiction_id": "sfgov.org"}, "未找到 jurisdiction_id“sfgov.org”。"),
    ],
)
def test_invalid_optional_fields_are_400_and_write_nothing(api, partner, data, message):
    response = post(api, partner, **FACILITY, **point(1, 1), description="灯坏了", **data)
    status = 404 if "jurisdiction_id" in data else 400
    assert response.status_code == status
    assert api.errors(response) == [(status, message)]
    assert Case.objects.count() == 0


def test_a_key_limited_to_a_street_cannot_report_elsewhere(api, desk):
    _key, raw = services.create_key(actor=None, name="测试1街道小程序", now=NOW, street=desk.tree.a.street)
    before = counts()
    response = api.post("requests.json", {"api_key": raw, **FACILITY, **point(3, 1), "description": "灯坏了"})
    assert response.status_code == 400
    assert api.errors(response) == [(400, "该位置不在本密钥的服务范围（测试1街道）内。")]
    assert counts() == before
    response = api.post("requests.json", {"api_key": raw, **FACILITY, **point(1, 1), "description": "灯坏了"})
    assert (response.status_code, Case.objects.get().street) == (200, desk.tree.a.street)


@pytest.mark.parametrize(
    "body",
    [
        b"service_code=facility&description=%00&lat=30&long=120",
        b"service_code=%ff%fe&lat=30&long=120",
        b"attribute%5B=1&attribute%5Bfacility_type%5D%5B%5D%5B%5D=x&service_code=facility&lat=1e400&long=-1e400",
        b"service_code=facility&attribute%5Bfacility_type%5D=elevator&address_id=%00",
        b"service_code=other&address_string=" + b"%E5%9C%B0" * 3000,
        b"&&&===&service_code=facility&lat=30.22&long=120.19",
    ],
)
def test_garbage_never_makes_a_500(api, partner, body):
    response = api.http.post(
        f"/open311/v2/requests.json?api_key={partner.raw}",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 404)
    assert api.errors(response)[0][0] == response.status_code
    assert Case.objects.count() == 0


def test_a_json_body_is_not_a_form(api, partner):
    response = api.http.post(
        f"/open311/v2/requests.json?api_key={partner.raw}",
        {"service_code": "facility"},
        content_type="application/json",
    )
    assert (response.status_code, api.errors(response)) == (400, [(400, "缺少参数 service_code。")])
