"""The party API: the matrix on every endpoint, scoped lists, writes through the services."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.party import services
from gongzhi.party.choices import PartyRoleKind, ReportStatus
from gongzhi.party.models import CentralHouseholdLink, PartyOrganisation, PartyRole, ReportIn
from gongzhi.population.models import Household, Resident

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def report(world):
    return services.report_in(
        actor=None, member=world.members["戊1"], reported_on=datetime.date(2026, 5, 1), skills=["维修"]
    )


def test_detail_matrix(world, people, report):
    check_matrix(reverse("party-organisation-detail", args=[world.orgs["联合党支部"].pk]), api=True, **people)
    check_matrix(reverse("party-member-detail", args=[world.members["甲1"].pk]), api=True, **people)
    check_matrix(reverse("party-report-in-detail", args=[report.pk]), api=True, **people)
    check_matrix(reverse("party-coverage") + f"?community={world.tree.a.community.pk}", api=True, **people)


@pytest.mark.parametrize(
    "name", ["party-organisation-list", "party-member-list", "party-report-in-list", "party-coverage"]
)
def test_lists_need_a_role(world, people, name):
    assert api().get(reverse(name)).status_code == 401
    assert api(people["no_role"]).get(reverse(name)).status_code == 403
    assert api(people["in_scope"]).get(reverse(name)).status_code == 200


def test_lists_are_scoped(world, people, report):
    a, b = api(people["in_scope"]), api(people["out_of_scope"])
    names_a = [o["name"] for o in a.get(reverse("party-organisation-list")).json()["results"]]
    assert "中共测试1社区委员会" in names_a and "中共测试2社区委员会" not in names_a
    assert "中共测试1街道工作委员会" not in names_a  # above the caller
    assert [o["name"] for o in b.get(reverse("party-organisation-list")).json()["results"]] == ["中共测试2社区委员会"]
    assert a.get(reverse("party-member-list")).json()["count"] == 17
    assert b.get(reverse("party-member-list")).json()["count"] == 0
    assert [r["id"] for r in a.get(reverse("party-report-in-list")).json()["results"]] == [report.pk]
    assert b.get(reverse("party-report-in-list")).json()["count"] == 0
    assert b.get(reverse("party-coverage")).json()["summary"]["compounds"] == 1


def test_member_reads_mask_the_phone(world, people):
    member = services.update_member(world.members["甲1"], actor=None, phone="13812345678")
    data = api(people["in_scope"]).get(reverse("party-member-detail", args=[member.pk])).json()
    assert data["phone_masked"] == "138****5678" and "phone" not in data
    assert data["roles"] == [
        {
            "id": PartyRole.objects.get(member=member).pk,
            "role": "central_household",
            "role_label": "党员中心户",
            "organisation": None,
            "building": world.buildings["测试1花园1幢"].pk,
            "compound": None,
        }
    ]
    assert (data["compound"], data["community"], data["organisation"]) == (
        world.tree.a.compound.pk,
        world.tree.a.community.pk,
        world.orgs["测试1花园党支部"].pk,
    )


def test_filters(world, people):
    client = api(people["in_scope"])
    url = reverse("party-member-list")
    assert client.get(url, {"member_type": "retired"}).json()["count"] == 2
    assert client.get(url, {"role": "central_household"}).json()["count"] == 3
    assert client.get(url, {"compound": world.compounds["七号院"].pk}).json()["count"] == 4
    orgs = client.get(reverse("party-organisation-list"), {"kind": "building_group"}).json()
    assert orgs["count"] == 3
    assert client.get(reverse("party-organisation-list"), {"q": "联合"}).json()["results"][0]["compounds"] == sorted(
        [world.compounds["三号院"].pk, world.compounds["四号院"].pk, world.compounds["七号院"].pk]
    )


@pytest.mark.parametrize(
    "query",
    [{"page": "abc"}, {"page_size": "-5"}, {"community": "abc"}, {"kind": "alien"}, {"q": "\x00"}, {"status": "x"}],
)
def test_typed_filters_never_500(world, people, query):
    client = api(people["in_scope"])
    for name in ("party-organisation-list", "party-member-list", "party-report-in-list", "party-coverage"):
        assert client.get(reverse(name), query).status_code in (200, 400, 404), (name, query)


def test_create_a_branch(world, people):
    client = api(people["in_scope"])
    response = client.post(
        reverse("party-organisation-list"),
        {
            "kind": "functional_branch",
            "name": "五号院功能型党支部",
            "parent": world.orgs["社区a"].pk,
            "compounds": [world.compounds["五号院"].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["level"], data["compound"], data["grid"], data["kind_label"]) == (
        "compound",
        world.compounds["五号院"].pk,
        world.tree.a.grid.pk,
        "功能型党支部",
    )
    org = PartyOrganisation.objects.get(pk=data["id"])
    change = ObjectChange.objects.filter(object_id=str(org.pk), content_type__model="partyorganisation").get()
    assert change.user == people["in_scope"]


def test_create_with_a_node(world, people):
    admin = user_with(Role.STREET_ADMIN, world.tree.a.street, "sa")
    response = api(admin).post(
        reverse("party-organisation-list"),
        {
            "kind": "grid_branch",
            "name": "第1网格党支部",
            "parent": world.orgs["社区a"].pk,
            "node_level": "grid",
            "node_id": world.tree.a.grid.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["grid"] == world.tree.a.grid.pk


def test_create_outside_scope_is_refused(world, people):
    client = api(people["in_scope"])
    before = PartyOrganisation.objects.count()
    response = client.post(
        reverse("party-organisation-list"),
        {"kind": "functional_branch", "name": "x", "parent": world.orgs["社区b"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": [f"{world.orgs['社区b'].pk} 不存在或不在您的管辖范围内。"]}
    response = client.post(
        reverse("party-organisation-list"),
        {
            "kind": "grid_branch",
            "name": "x",
            "parent": world.orgs["社区a"].pk,
            "node_level": "grid",
            "node_id": world.tree.b.grid.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"node_id": [f"{world.tree.b.grid.pk} 不存在或不在您的管辖范围内。"]}
    assert PartyOrganisation.objects.count() == before


def test_service_errors_come_back_as_400(world, people):
    response = api(people["in_scope"]).post(
        reverse("party-organisation-list"),
        {
            "kind": "joint_branch",
            "name": "x",
            "parent": world.orgs["社区a"].pk,
            "compounds": [world.compounds["五号院"].pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"compounds": ["联合党支部至少覆盖 2 个小区。"]}


def test_view_only_roles_cannot_write(world):
    grid_worker = user_with(Role.GRID_WORKER, world.tree.a.grid, "gw")
    client = api(grid_worker)
    assert client.get(reverse("party-organisation-detail", args=[world.orgs["联合党支部"].pk])).status_code == 200
    response = client.patch(
        reverse("party-organisation-detail", args=[world.orgs["联合党支部"].pk]), {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert PartyOrganisation.objects.get(pk=world.orgs["联合党支部"].pk).name == "三号院联合党支部"


def test_update_an_organisation(world, people):
    client = api(people["in_scope"])
    url = reverse("party-organisation-detail", args=[world.orgs["联合党支部"].pk])
    assert client.patch(url, {"name": "三号院等三个小区联合党支部"}, format="json").status_code == 200
    assert PartyOrganisation.objects.get(pk=world.orgs["联合党支部"].pk).name == "三号院等三个小区联合党支部"
    response = client.patch(url, {"kind": "functional_branch"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"kind": ["组织类型、上级组织和对应区域创建后不可修改。"]}
    other = api(people["out_of_scope"]).patch(url, {"name": "x"}, format="json")
    assert other.status_code == 404


def test_create_a_member_from_a_resident(world, people):
    resident = Resident.objects.get(name="张三")
    response = api(people["in_scope"]).post(
        reverse("party-member-list"),
        {
            "member_type": "direct",
            "resident": resident.pk,
            "phone": "13900001234",
            "organisation": world.orgs["测试1花园党支部"].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["name"], data["gender"], data["building"], data["phone_masked"]) == (
        "张三",
        "male",
        world.tree.a.building.pk,
        "139****1234",
    )
    assert "13900001234" not in response.content.decode()
    out = api(people["out_of_scope"]).post(
        reverse("party-member-list"), {"member_type": "direct", "resident": resident.pk}, format="json"
    )
    assert out.status_code == 400 and "resident" in out.json()


def test_roles_and_households_actions(world, people):
    client = api(people["in_scope"])
    member = world.members["乙2"]
    url = reverse("party-member-roles", args=[member.pk])
    response = client.post(
        url, {"role": "central_household", "building": world.buildings["二号院1幢"].pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    households = list(Household.objects.filter(building=world.buildings["二号院1幢"]).values_list("pk", flat=True))
    response = client.put(
        reverse("party-member-households", args=[member.pk]), {"households": households}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"households": sorted(households)}
    assert CentralHouseholdLink.objects.filter(member=member).count() == len(households)
    role = PartyRole.objects.get(member=member, role=PartyRoleKind.CENTRAL_HOUSEHOLD)
    response = client.delete(reverse("party-member-remove-role", args=[member.pk, role.pk]))
    assert response.status_code == 204
    assert not CentralHouseholdLink.objects.filter(member=member).exists()
    bad = client.post(
        reverse("party-member-roles", args=[world.members["甲1"].pk]),
        {"role": "secretary", "organisation": world.orgs["测试1花园党支部"].pk},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"organisation": ["“测试1花园党支部”已有书记甲4。"]}


def test_report_in_api(world, people):
    client = api(people["in_scope"])
    member = world.members["戊1"]
    response = client.post(
        reverse("party-report-in-list"),
        {"member": member.pk, "reported_on": "2026-10-10", "skills": ["医疗", "心理"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["skills"], data["status"], data["community"], data["member_name"]) == (
        ["医疗", "心理"],
        "reported",
        world.tree.a.community.pk,
        "戊1",
    )
    url = reverse("party-report-in-status", args=[data["id"]])
    assert client.post(url, {"status": "confirmed"}, format="json").json()["status"] == "confirmed"
    assert client.post(url, {"status": "reported"}, format="json").json() == {
        "status": ["不能从“已确认”改为“已报到”。"]
    }
    assert ReportIn.objects.get(pk=data["id"]).status == ReportStatus.CONFIRMED
    assert client.get(reverse("party-report-in-list"), {"skill": "心理"}).json()["count"] == 1
    direct = client.post(
        reverse("party-report-in-list"),
        {"member": world.members["甲1"].pk, "reported_on": "2026-10-10"},
        format="json",
    )
    assert direct.json() == {"member": ["只有在职党员需要到居住地社区报到（双报到）。"]}


def test_coverage_api(world, people):
    data = api(people["in_scope"]).get(reverse("party-coverage")).json()
    assert data["summary"]["compounds_mismatch"] == 1
    assert [c["name"] for c in data["compounds"] if c["status"] != "ok"] == ["五号院", "六号院", "七号院"]
    assert [b["compound_name"] for b in data["buildings_without_group"]] == ["测试1花园", "五号院", "六号院", "七号院"]
    assert [g["name"] for g in data["oversized_groups"]] == ["测试1花园第一党小组"]
    assert len(data["buildings_without_central_household"]) == 10
    hidden = api(people["in_scope"]).get(reverse("party-coverage"), {"community": world.tree.b.community.pk})
    assert hidden.status_code == 404
