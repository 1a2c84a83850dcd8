"""Population pages and API: the permission matrix, masking, search, reveal, export."""

import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.population import services
from gongzhi.population.models import Resident, RevealLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "in_scope": user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"),
        "out_of_scope": user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b"),
        "no_role": user_with(Role.HANDLER, tree.a.street, "handler"),  # a role without population.view
    }


@pytest.fixture
def zhang(tree):
    return Resident.objects.get(name="张三")


@pytest.mark.parametrize("name", ["population:resident", "population:resident-edit"])
def test_resident_pages_matrix(zhang, people, name):
    check_matrix(reverse(name, args=[zhang.pk]), **people)


def test_household_pages_matrix(zhang, people):
    check_matrix(reverse("population:household", args=[zhang.household_id]), **people)
    check_matrix(reverse("population:resident-new", args=[zhang.household_id]), **people)


@pytest.mark.parametrize("basename", ["population-resident", "population-household"])
def test_api_detail_matrix(zhang, people, basename):
    pk = zhang.pk if basename == "population-resident" else zhang.household_id
    check_matrix(reverse(f"{basename}-detail", args=[pk]), api=True, **people)


@pytest.mark.parametrize("name", ["population:residents", "population:households", "population:reveals"])
def test_list_pages_gate(tree, people, client, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(people["no_role"])
    assert client.get(reverse(name)).status_code == 403
    client.force_login(people["in_scope"])
    assert client.get(reverse(name)).status_code == 200


def test_list_is_masked_scoped_and_searchable(tree, people, client):
    client.force_login(people["in_scope"])
    html = client.get(reverse("population:residents")).content.decode()
    assert "3301********0017" in html and "138****1111" in html
    assert "330199198001010017" not in html and "13800001111" not in html
    assert "李四" not in html  # another community
    by_id = client.get(reverse("population:residents"), {"q": "330199198001010017"})
    assert [r["resident"].name for r in by_id.context["rows"]] == ["张三"]
    assert [r["resident"].name for r in client.get(reverse("population:residents"), {"q": "张"}).context["rows"]] == [
        "张三"
    ]
    assert client.get(reverse("population:residents"), {"q": "330199199002020035"}).context["rows"] == []
    by_phone = client.get(reverse("population:residents"), {"q": "138 0000 1111"})
    assert [r["resident"].name for r in by_phone.context["rows"]] == ["张三"]


def test_health_tags_only_for_roles_that_need_them(tree, zhang, client):
    services.update_resident(zhang, actor=None, tags=["disabled", "low_income"])
    client.force_login(user_with(Role.DISPATCHER, tree.a.street, "disp"))
    html = client.get(reverse("population:resident", args=[zhang.pk])).content.decode()
    assert "低保对象" in html and "残疾人" not in html
    client.force_login(user_with(Role.GRID_WORKER, tree.a.grid, "gw"))
    assert "残疾人" in client.get(reverse("population:resident", args=[zhang.pk])).content.decode()
    api = APIClient()
    api.force_login(user_with(Role.DISPATCHER, tree.a.street, "disp2"))
    assert api.get(reverse("population-resident-detail", args=[zhang.pk])).json()["tags"] == ["low_income"]


def test_reveal_page_flow(zhang, people, client):
    url = reverse("population:reveal", args=[zhang.pk])
    client.force_login(people["out_of_scope"])
    assert client.post(url, {"field": "id_number", "reason": "入户走访联系"}).status_code == 404
    client.force_login(people["in_scope"])
    short = client.post(url, {"field": "id_number", "reason": "看"})
    assert short.status_code == 400 and "请填写查看事由（至少 4 个字）。" in short.content.decode()
    ok = client.post(url, {"field": "id_number", "reason": "入户走访联系"})
    assert ok.status_code == 200 and "330199198001010017" in ok.content.decode()
    assert list(RevealLog.objects.values_list("user__username", "resident__name", "reason")) == [
        ("cw-a", "张三", "入户走访联系")
    ]
    page = client.get(reverse("population:reveals")).content.decode()
    assert "入户走访联系" in page


def test_reveal_api(zhang, people):
    api = APIClient()
    api.force_login(people["in_scope"])
    detail = api.get(reverse("population-resident-detail", args=[zhang.pk])).json()
    assert (detail["id_number_masked"], detail["phone_masked"]) == ("3301********0017", "138****1111")
    assert "id_number" not in detail and "phone" not in detail
    url = reverse("population-resident-reveal", args=[zhang.pk])
    assert api.post(url, {"field": "phone", "reason": ""}, format="json").status_code == 400
    response = api.post(url, {"field": "phone", "reason": "回访来电群众"}, format="json")
    assert response.json() == {"field": "phone", "value": "13800001111"}
    api.force_login(people["out_of_scope"])
    assert api.post(url, {"field": "phone", "reason": "回访来电群众"}, format="json").status_code == 404
    assert RevealLog.objects.count() == 1


def test_create_resident_via_api_with_chinese_errors(tree, zhang, people):
    api = APIClient()
    api.force_login(people["in_scope"])
    url = reverse("population-resident-list")
    bad = api.post(
        url, {"household": zhang.household_id, "name": "新人", "id_number": "330199198001010018"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"id_number": ["公民身份号码校验位不正确，请核对是否录错。"]}
    good = api.post(
        url,
        {"household": zhang.household_id, "name": "新人", "id_number": "330199199510120024", "phone": "13900002222",
         "relation": "spouse", "tags": ["veteran"]},
        format="json",
    )  # fmt: skip
    assert good.status_code == 201, good.content
    assert (good.json()["gender"], good.json()["birth_date"], good.json()["tags"]) == (
        "female",
        "1995-10-12",
        ["veteran"],
    )
    other = api.post(url, {"household": Resident.objects.get(name="李四").household_id, "name": "越权"}, format="json")
    assert other.status_code == 400 and "household" in other.json()


def test_resident_form_page(tree, zhang, people, client):
    client.force_login(people["in_scope"])
    url = reverse("population:resident-new", args=[zhang.household_id])
    bad = client.post(
        url, {"name": "王芳", "id_number": "330199199510120020", "relation": "spouse", "residence_type": "registered"}
    )
    assert bad.status_code == 400 and "公民身份号码校验位不正确" in bad.content.decode()
    assert not Resident.objects.filter(name="王芳").exists()
    ok = client.post(
        url,
        {
            "name": "王芳",
            "id_number": "330199199510120024",
            "relation": "spouse",
            "residence_type": "registered",
            "tags": ["veteran"],
        },
    )
    assert ok.status_code == 302
    created = Resident.objects.get(name="王芳")
    assert (created.gender, sorted(created.tag_links.values_list("tag", flat=True))) == ("female", ["veteran"])
    edit = client.post(
        reverse("population:resident-edit", args=[created.pk]),
        {"name": "王芳芳", "relation": "spouse", "residence_type": "registered", "id_number": "", "phone": ""},
    )
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.name, created.id_number) == ("王芳芳", "330199199510120024")  # blank keeps the number


def test_excel_export_is_masked_and_filtered(tree, people, client):
    from openpyxl import load_workbook

    client.force_login(people["in_scope"])
    response = client.get(reverse("population:residents"), {"export": "xlsx", "q": "张三"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("姓名", "性别", "出生日期", "公民身份号码", "手机号码")
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [("张三", "3301********0017", "138****1111")]
