"""GET endpoints: discovery, services, service definitions, requests (list, one), tokens; both
formats, exact fields; our states as open/closed with status_notes; the filters and paging."""

import datetime

import pytest
from django.test import override_settings

from gongzhi.cases import services as cases
from gongzhi.cases.choices import Category, Satisfaction
from gongzhi.demo.plan import to_lonlat
from gongzhi.open311 import catalogue, services

from .conftest import NOW, fields, point

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
T0 = NOW - datetime.timedelta(hours=1)  # 09:00: cases are reported before the clock's NOW (10:00)
NOTICE = "处理单位将在规定时限内上门查看维修；电梯困人请先拨打轿厢内的救援电话。"


def at(minutes: int) -> datetime.datetime:
    return T0 + minutes * MIN


def handled(desk, case, start: int, note="已更换楼道灯泡，恢复照明"):
    cases.dispatch_case(case, actor=desk.dispatcher, now=at(start), body=desk.property_company)
    cases.accept_case(case, actor=desk.handler, now=at(start + 1))
    cases.handle_case(case, actor=desk.handler, now=at(start + 2), note=note)
    cases.verify_case(case, actor=desk.grid_worker, now=at(start + 3))
    return case


# -- discovery and services ------------------------------------------------------------------------


def test_discovery_in_both_formats(api):
    response = api.get("discovery.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert api.json(response) == {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": "",
        "key_service": "api_key 由平台管理员签发（manage.py open311 create-key --name 合作方名称）。",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "http://testserver/open311/v2/",
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    root = api.xml(api.get("discovery.xml"))
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.findtext("url") == "http://testserver/open311/v2/"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert api.xml(api.get("discovery")).tag == "discovery"  # the bare URL the discovery spec names
    assert api.http.head("/open311/v2/discovery.json").status_code == 200


def test_service_list_one_service_per_category(api):
    rows = api.json(api.get("services.json"))
    assert [r["service_code"] for r in rows] == Category.values
    assert rows[1] == {
        "service_code": "facility",
        "service_name": "设施损坏",
        "description": "电梯、路灯、楼道灯、供水管道、门禁等公共设施损坏或故障。",
        "metadata": True,
        "type": "realtime",
        "keywords": "电梯,路灯,楼道灯,水管,门禁,维修",
        "group": "环境与设施",
    }
    private = [r["service_code"] for r in rows if "private" in r["keywords"].split(",")]
    assert private == ["dispute", "welfare"]
    root = api.xml(api.get("services.xml", {"jurisdiction_id": "gongzhi.local"}))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == Category.values
    assert fields(root.findall("service")[1]) == {
        "service_code": "facility",
        "service_name": "设施损坏",
        "description": "电梯、路灯、楼道灯、供水管道、门禁等公共设施损坏或故障。",
        "metadata": "true",
        "type": "realtime",
        "keywords": "电梯,路灯,楼道灯,水管,门禁,维修",
        "group": "环境与设施",
    }


def test_the_catalogue_covers_every_category_with_valid_definitions():
    assert set(catalogue.BY_CODE) == set(Category.values)
    for service in catalogue.SERVICES:
        assert service.attributes, service.code
        codes = [a.code for a in service.attributes]
        assert len(codes) == len(set(codes))
        for a in service.attributes:
            assert a.datatype in catalogue.DATATYPES
            assert bool(a.values) == (a.datatype in catalogue.LIST_TYPES), (service.code, a.code)


def test_service_definition_in_both_formats(api):
    document = api.json(api.get("services/fire_safety.json"))
    assert document == {
        "service_code": "fire_safety",
        "attributes": [
            {
                "variable": True,
                "code": "open_flame",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "单选，填写选项的 key",
                "order": 1,
                "description": "是否有明火",
                "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}],
            },
            {
                "variable": True,
                "code": "hazard_type",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "单选，填写选项的 key",
                "order": 2,
                "description": "隐患类型",
                "values": [
                    {"key": "blocked_exit", "name": "堵塞消防通道"},
                    {"key": "ebike_charging", "name": "电动自行车楼道充电"},
                    {"key": "equipment", "name": "消防设施损坏"},
                    {"key": "fire_use", "name": "违规用火用电"},
                    {"key": "other", "name": "其他"},
                ],
            },
        ],
    }
    root = api.xml(api.get("services/parking.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "parking"
    plate = root.findall("attributes/attribute")[1]
    assert fields(plate) == {
        "variable": "true",
        "code": "plate",
        "datatype": "string",
        "required": "false",
        "datatype_description": "如 浙A12345（新能源车为 6 位）",
        "order": "2",
        "description": "车牌号",
        "values": "",
    }
    facility = api.xml(api.get("services/facility.xml")).findall("attributes/attribute")[0]
    assert [(v.findtext("key"), v.findtext("name")) for v in facility.findall("values/value")] == [
        ("elevator", "电梯"), ("street_light", "路灯"), ("stair_light", "楼道灯"),
        ("water_pipe", "水管"), ("access_control", "门禁"), ("other", "其他"),
    ]  # fmt: skip
    # the PyPI open311 client asks for service/{code} (singular)
    assert api.json(api.get("service/facility.json"))["service_code"] == "facility"


def test_unknown_service_code_jurisdiction_and_token_are_404(api):
    for fmt in ("json", "xml"):
        response = api.get(f"services/pothole.{fmt}")
        assert (response.status_code, api.errors(response, fmt)) == (404, [(404, "未知的 service_code：pothole。")])
        response = api.get(f"services.{fmt}", {"jurisdiction_id": "sfgov.org"})
        assert (response.status_code, api.errors(response, fmt)) == (
            404,
            [(404, "未找到 jurisdiction_id“sfgov.org”。")],
        )
        response = api.get(f"tokens/12345.{fmt}")
        assert response.status_code == 404
        assert api.errors(response, fmt) == [
            (404, "未找到 token“12345”：本平台的服务均为实时（realtime）受理，不签发 token。")
        ]


def test_bad_formats_addresses_and_methods(api):
    response = api.get("services.html")
    assert (response.status_code, api.errors(response, "xml")) == (
        400,
        [(400, "不支持的格式“html”：请使用 .xml 或 .json。")],
    )
    response = api.get("nothing/here.json")
    assert (response.status_code, api.errors(response)) == (
        400,
        [(400, "无效的地址：/open311/v2/nothing/here.json。接口说明见 discovery.xml。")],
    )
    response = api.http.post("/open311/v2/services.json", {})
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD, OPTIONS")
    assert api.errors(response) == [(405, "不支持 POST 方法。")]
    response = api.http.options("/open311/v2/requests.json")
    assert (response.status_code, response["Access-Control-Allow-Headers"]) == (204, "X-Api-Key")


# -- requests ---------------------------------------------------------------------------------------


def test_one_request_in_both_formats_with_exact_fields(api, partner, desk, make_case):
    case = make_case("3单元楼道灯坏了", category=Category.FACILITY)
    lon, lat = to_lonlat(1, 1)
    expected = {
        "service_request_id": case.number,
        "status": "open",
        "status_notes": "待受理",
        "service_name": "设施损坏",
        "service_code": "facility",
        "description": "3单元楼道灯坏了",
        "agency_responsible": "测试1街道",
        "service_notice": NOTICE,
        "requested_datetime": "2026-12-01T10:00:00+08:00",
        "updated_datetime": "2026-12-01T10:00:00+08:00",
        "expected_datetime": "2026-12-10T17:30:00+08:00",
        "address": "测试1花园1幢",
        "address_id": "330199001001-001-001",
        "zipcode": "",
        "lat": round(lat, 4),
        "long": round(lon, 4),
    }
    response = api.get(f"requests/{case.number}.json", {"api_key": partner.raw})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert api.json(response) == [expected]
    root = api.xml(api.get(f"requests/{case.number}.xml", {"api_key": partner.raw}))
    assert root.tag == "service_requests"
    assert [r.tag for r in root] == ["request"]
    assert [c.tag for c in root[0]] == list(expected)
    assert fields(root[0]) == {k: "" if v is None else str(v) for k, v in expected.items()}

    cases.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    row = api.json(api.get("requests.json", {"api_key": partner.raw}))[0]
    assert (row["status"], row["status_notes"], row["agency_responsible"]) == ("open", "待签收", "测试物业有限公司")


def test_unknown_malformed_and_wrong_date_numbers_are_404(api, partner, make_case):
    case = make_case()
    wrong_day = f"20261130-{case.pk:06d}"
    for number in ("20261201-999999", "12345", wrong_day):
        for fmt in ("json", "xml"):
            response = api.get(f"requests/{number}.{fmt}", {"api_key": partner.raw})
            assert response.status_code == 404
            assert api.errors(response, fmt) == [(404, f"未找到服务请求 {number}。")]


def test_states_map_to_open_and_closed_with_status_notes(api, partner, desk, make_case):
    target = make_case("1幢门口垃圾堆了好几天没人清", category=Category.SANITATION, now=at(0))
    merged = make_case("1幢门口垃圾没人清运，臭得很", category=Category.SANITATION, now=at(1))
    rejected = make_case("想问问隔壁小区的房价", category=Category.OTHER, now=at(2))
    rated = make_case("路灯不亮", category=Category.FACILITY, now=at(3))
    closed = make_case("门禁坏了", category=Category.FACILITY, now=at(4))
    suspended = make_case("楼顶漏水需要大修", category=Category.FACILITY, now=at(5))
    cases.merge_case(merged, actor=desk.dispatcher, now=at(10), into=target)
    cases.reject_case(rejected, actor=desk.dispatcher, now=at(10), note="不属于受理范围，请咨询房产中介")
    handled(desk, rated, start=11)
    cases.rate_case(
        rated, actor=desk.dispatcher, now=at(20), solved=True, satisfaction=Satisfaction.SATISFIED, comment="谢谢王师傅"
    )
    handled(desk, closed, start=21, note="门禁主板已更换")
    cases.close_case(closed, actor=desk.dispatcher, now=at(30), note="多次联系反映人未接通，现场核实已修复，结案")
    cases.dispatch_case(suspended, actor=desk.dispatcher, now=at(31), body=desk.property_company)
    cases.accept_case(suspended, actor=desk.handler, now=at(32))
    cases.suspend_case(suspended, actor=desk.dispatcher, now=at(33), note="需动用维修资金，待业主表决")

    rows = {r["service_request_id"]: r for r in api.json(api.get("requests.json", {"api_key": partner.raw}))}
    seen = {
        c.number: (rows[c.number]["status"], rows[c.number]["status_notes"], rows[c.number]["updated_datetime"])
        for c in (target, merged, rejected, rated, closed, suspended)
    }
    assert seen == {
        target.number: ("open", "待受理", "2026-12-01T09:00:00+08:00"),  # merged_in is a staff-only note
        merged.number: ("closed", f"已并单：并入 {target.number}", "2026-12-01T09:10:00+08:00"),
        rejected.number: ("closed", "不予立案：不属于受理范围，请咨询房产中介", "2026-12-01T09:10:00+08:00"),
        rated.number: ("closed", "已结案：已更换楼道灯泡，恢复照明", "2026-12-01T09:20:00+08:00"),
        closed.number: ("closed", "已结案：多次联系反映人未接通，现场核实已修复，结案", "2026-12-01T09:30:00+08:00"),
        suspended.number: ("open", "缓办挂账", "2026-12-01T09:33:00+08:00"),
    }
    assert [rows[c.number]["expected_datetime"] is None for c in (target, rejected, suspended)] == [False, True, True]
    root = api.xml(api.get(f"requests/{merged.number}.xml", {"api_key": partner.raw}))
    assert (root.findtext("request/status"), root.findtext("request/status_notes")) == (
        "closed",
        f"已并单：并入 {target.number}",
    )
    assert root.findtext("request/expected_datetime") == ""


def test_filters_by_code_status_and_ids(api, partner, desk, make_case):
    facility = make_case("路灯不亮", category=Category.FACILITY, now=at(0))
    sanitation = make_case("垃圾没人清", category=Category.SANITATION, now=at(1))
    parking = make_case("车堵了消防通道", category=Category.PARKING, now=at(2))
    cases.reject_case(parking, actor=desk.dispatcher, now=at(3), note="已自行挪走")

    def numbers(**params):
        response = api.get("requests.json", {"api_key": partner.raw, **params})
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in api.json(response)]

    assert numbers() == [parking.number, sanitation.number, facility.number]
    assert numbers(service_code="facility,sanitation") == [sanitation.number, facility.number]
    assert numbers(service_code=["facility", "parking"]) == [parking.number, facility.number]
    assert numbers(status="open") == [sanitation.number, facility.number]
    assert numbers(status="closed") == [parking.number]
    assert numbers(status="open,closed") == [parking.number, sanitation.number, facility.number]
    # service_request_id overrides every other filter, even an impossible one
    ids = f"{facility.number},{parking.number}"
    assert numbers(service_request_id=ids, status="open", start_date="2020-01-01T00:00:00Z") == [
        parking.number,
        facility.number,
    ]
    for params, status, message in [
        ({"status": "pending"}, 400, "status 只能为 open、closed 或 open,closed。"),
        ({"service_code": "facility,pothole"}, 404, "未知的 service_code：pothole。"),
        ({"service_request_id": "42"}, 400, "service_request_id “42” 不是有效的案卷号（如 20261201-000123）。"),
    ]:
        response = api.get("requests.json", {"api_key": partner.raw, **params})
        assert (response.status_code, api.errors(response)) == (status, [(status, message)])


def test_date_filters_and_the_90_day_span(api, partner, make_case):
    old = make_case("早就反映过的灯", now=NOW - datetime.timedelta(days=100))
    recent = make_case("路灯不亮", now=NOW - datetime.timedelta(days=10))
    today = make_case("门禁坏了")

    def numbers(**params):
        response = api.get("requests.json", {"api_key": partner.raw, **params})
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in api.json(response)]

    assert numbers() == [today.number, recent.number]  # default: the last 90 days
    assert numbers(start_date="2026-08-01T00:00:00+08:00") == [old.number]  # up to start + 90 days (10-30)
    assert numbers(end_date="2026-11-30T00:00:00Z") == [recent.number]  # from end - 90 days
    assert numbers(start_date="2026-08-25T00:00:00+08:00", end_date="2026-11-22T00:00:00+08:00") == [recent.number]
    assert numbers(start_date="2026-12-01", end_date="2026-12-01T10:00:00+08:00") == [today.number]  # date only: 00:00
    for params, message in [
        (
            {"start_date": "2026-08-01T00:00:00+08:00", "end_date": "2026-12-01T00:00:00+08:00"},
            "start_date 与 end_date 的跨度不能超过 90 天。",
        ),
        ({"start_date": "2026-12-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "end_date 不能早于 start_date。"),
        ({"start_date": "2026-11-01T00:00:00"}, "start_date 应为带时区的 W3C 时间，如 2026-11-01T00:00:00+08:00。"),
        ({"end_date": "yesterday"}, "end_date 应为带时区的 W3C 时间，如 2026-11-01T00:00:00+08:00。"),
        ({"end_date": "9999-12-31T23:59:59Z"}, "end_date 应为带时区的 W3C 时间，如 2026-11-01T00:00:00+08:00。"),
    ]:
        for fmt in ("json", "xml"):
            response = api.get(f"requests.{fmt}", {"api_key": partner.raw, **params})
            assert (response.status_code, api.errors(response, fmt)) == (400, [(400, message)])


def test_paging_extension(api, partner, make_case):
    made = [make_case(f"第{i}盏路灯不亮", now=at(i)) for i in range(5)]
    newest_first = [c.number for c in reversed(made)]

    response = api.get("requests.json", {"api_key": partner.raw, "page_size": "2", "page": "2", "status": ""})
    assert [r["service_request_id"] for r in api.json(response)] == newest_first[2:4]
    assert response["Link"] == '<http://testserver/open311/v2/requests.json?page_size=2&page=3&status=>; rel="next"'
    last = api.get("requests.json", {"api_key": partner.raw, "page_size": "2", "page": "3"})
    assert [r["service_request_id"] for r in api.json(last)] == newest_first[4:]
    assert "Link" not in last
    assert api.json(api.get("requests.json", {"api_key": partner.raw, "page": "9"})) == []
    for params, message in [
        ({"page_size": "1001"}, "page_size 应为 1 到 1000 之间的整数。"),
        ({"page_size": "0"}, "page_size 应为 1 到 1000 之间的整数。"),
        ({"page": "-1"}, "page 应为 1 到 100000 之间的整数。"),
        ({"page": "99999999999999999999"}, "page 应为 1 到 100000 之间的整数。"),
    ]:
        response = api.get("requests.json", {"api_key": partner.raw, **params})
        assert (response.status_code, api.errors(response)) == (400, [(400, message)])


def test_empty_parameters_are_treated_as_absent(api, partner, make_case):
    case = make_case()
    names = ("jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status", "page")
    empty = dict.fromkeys((*names, "page_size"), "")
    for path in ("requests.json", f"requests/{case.number}.json"):
        response = api.get(path, {"api_key": partner.raw, **empty})
        assert [r["service_request_id"] for r in api.json(response)] == [case.number]
    for path in ("discovery.xml", "services.xml", "services/facility.xml"):
        assert api.get(path, {"jurisdiction_id": ""}).status_code == 200


def test_the_list_runs_a_fixed_number_of_queries(api, partner, desk, make_case, django_assert_max_num_queries):
    for i in range(6):
        case = make_case(f"第{i}处问题", now=at(i))
        if i % 2:
            cases.reject_case(case, actor=desk.dispatcher, now=at(10 + i), note="重复反映")
    # the key (and its last_used, once a minute), the page of cases, the closing notes
    with django_assert_max_num_queries(4):
        rows = api.json(api.get("requests.json", {"api_key": partner.raw}))
    assert len(rows) == 6
    with django_assert_max_num_queries(3):
        api.get("requests.xml", {"api_key": partner.raw})


# -- who may read ----------------------------------------------------------------------------------


def test_reading_requests_needs_a_valid_key(api, partner, make_case):
    case = make_case()
    for path in ("requests.json", f"requests/{case.number}.json"):
        response = api.get(path)
        assert (response.status_code, api.errors(response)) == (
            403,
            [(403, "缺少 api_key，无法继续。请向平台管理员申请密钥。")],
        )
        assert response["Access-Control-Allow-Origin"] == "*"
        response = api.get(path, {"api_key": "nope"})
        assert (response.status_code, api.errors(response)) == (403, [(403, "api_key 无效或已吊销，无法继续。")])
        assert api.get(path, HTTP_X_API_KEY=partner.raw).status_code == 200
    services.revoke_key(partner.key, actor=None, now=NOW)
    assert api.get("requests.json", {"api_key": partner.raw}).status_code == 403
    # discovery and services stay public
    assert [api.get(p).status_code for p in ("discovery.json", "services.json", "services/other.json")] == [200] * 3


@override_settings(GONGZHI_OPEN311_PUBLIC_READ=True)
def test_public_read_setting_opens_the_reads(api, make_case):
    case = make_case()
    assert [r["service_request_id"] for r in api.json(api.get("requests.json"))] == [case.number]
    assert api.get(f"requests/{case.number}.xml").status_code == 200
    assert api.get("requests.json", {"api_key": "nope"}).status_code == 403  # a bad key is still refused


@override_settings(GONGZHI_OPEN311_JURISDICTION="lj.gov.cn")
def test_the_jurisdiction_setting(api, partner):
    assert api.get("services.json", {"jurisdiction_id": "lj.gov.cn"}).status_code == 200
    assert api.get("services.json", {"jurisdiction_id": "gongzhi.local"}).status_code == 404


def test_a_key_limited_to_a_street_reads_that_street_only(api, desk, make_case):
    mine = make_case()
    other = make_case("测试2花园门口路灯不亮", building=desk.tree.b.building, actor=desk.outsider)
    _key, raw = services.create_key(actor=None, name="测试1街道小程序", now=NOW, street=desk.tree.a.street)
    assert [r["service_request_id"] for r in api.json(api.get("requests.json", {"api_key": raw}))] == [mine.number]
    assert api.get(f"requests/{other.number}.json", {"api_key": raw}).status_code == 404


def test_a_posted_request_reads_back(api, partner, desk):
    response = api.post(
        "requests.json",
        {"api_key": partner.raw, "service_code": "parking", "attribute[parking_issue]": "abandoned",
         "description": "小区门口一辆僵尸车停了半年", **point(1, 1)},
    )  # fmt: skip
    number = api.json(response)[0]["service_request_id"]
    row = api.json(api.get(f"requests/{number}.json", {"api_key": partner.raw}))[0]
    assert (row["service_code"], row["status"], row["description"], row["address"]) == (
        "parking",
        "open",
        "小区门口一辆僵尸车停了半年",
        "测试1花园1幢",  # the point is at the building, so the case knows it
    )
