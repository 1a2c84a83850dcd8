"""The party pages as a user sees them: the matrix, the tree with its gaps, coverage, members."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.party import services
from gongzhi.party.choices import MemberType

pytestmark = pytest.mark.django_db

PAGES_WITHOUT_OBJECT = ["party:tree", "party:coverage", "party:members", "party:report_ins"]


@pytest.mark.parametrize("url_name", PAGES_WITHOUT_OBJECT)
def test_pages_without_object(world, people, url_name, client):
    url = reverse(url_name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(people["no_role"])
    assert client.get(url).status_code == 403
    client.force_login(user_with(None, None, "nobody"))
    assert client.get(url).status_code == 403
    client.force_login(people["in_scope"])
    assert client.get(url).status_code == 200


def test_organisation_page_matrix(world, people):
    for key in ("社区a", "测试1花园党支部", "联合党支部", "测试1花园第一党小组"):
        check_matrix(reverse("party:organisation", args=[world.orgs[key].pk]), **people)


def test_member_page_matrix(world, people):
    check_matrix(reverse("party:member", args=[world.members["甲1"].pk]), **people)


def test_coverage_of_a_community_matrix(world, people):
    check_matrix(reverse("party:coverage") + f"?community={world.tree.a.community.pk}", **people)


def test_the_tree_shows_the_gaps(world, client):
    client.force_login(user_with(Role.DISTRICT_ADMIN, world.tree.district, "da"))
    response = client.get(reverse("party:tree"))
    html = response.content.decode()
    (root,) = response.context["roots"]
    assert root.org.name == "中共临江区委员会"
    assert root.total == 17 and root.members == 0
    street_a = root.children[0]
    (community_a,) = street_a.children
    assert (community_a.org.name, community_a.members, community_a.total, community_a.gaps) == (
        "中共测试1社区委员会",
        2,
        17,
        18,
    )
    assert [(n.org.name, n.members, n.groups, n.secretary) for n in community_a.children] == [
        ("二号院党支部", 3, 1, ""),
        ("测试1花园党支部", 4, 1, "甲4"),
        ("三号院联合党支部", 8, 1, ""),
    ]
    assert community_a.children[0].depth == 3
    assert response.context["summary"]["compounds_missing"] == 1
    assert response.context["gap_count"] == 21
    assert "覆盖缺口 18 处" in html and "覆盖缺口 3 处" in html
    assert f"{reverse('party:coverage')}?community={world.tree.a.community.pk}" in html
    assert "辖区内共有 21 处党组织覆盖缺口。" in html
    assert 'data-gap="compounds_mismatch">1<' in html


def test_tree_in_a_community_scope(world, client, people):
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:tree"))
    assert [n.org.name for n in response.context["roots"]] == ["中共测试1社区委员会"]
    assert response.context["expand_all"] is True and response.context["groups_listed"] is True
    (community,) = response.context["roots"]
    groups = {n.org.name: (n.buildings, n.members, n.secretary) for b in community.children for n in b.children}
    assert groups == {"测试1花园第一党小组": (6, 4, ""), "二号院第一党小组": (1, 3, ""), "三号院第一党小组": (2, 4, "")}
    assert community.total == 17  # a group's members are counted once, in their branch
    html = response.content.decode()
    assert "超过 5 栋" in html
    assert "中共测试2社区委员会" not in html and "中共临江区委员会" not in html


def test_coverage_page(world, client, people):
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:coverage"))
    html = response.content.decode()
    assert [r.name for r in response.context["compounds_rows"]] == ["五号院", "六号院", "七号院"]
    assert [b.name for b in response.context["without_group_rows"]] == ["7幢", "1幢", "1幢", "1幢"]
    assert len(response.context["without_central_rows"]) == 10
    assert "测试1花园第一党小组" in html and "组织形式与规则不符" in html
    assert reverse("territory:node", args=["compound", world.compounds["五号院"].pk]) in html
    filtered = client.get(reverse("party:coverage"), {"community": world.tree.a.community.pk})
    assert len(filtered.context["coverage"].compounds) == 7
    assert 'data-testid="all-compounds"' in filtered.content.decode()


@pytest.mark.parametrize("value", ["abc", "-1", "99999999"])
def test_coverage_with_a_bad_community_is_404(world, client, people, value):
    client.force_login(people["in_scope"])
    assert client.get(reverse("party:coverage"), {"community": value}).status_code == 404


def test_group_page_lists_buildings_and_central_households(world, client, people):
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:organisation", args=[world.orgs["测试1花园第一党小组"].pk]))
    html = response.content.decode()
    assert response.context["oversized"] is True
    assert [(r["building"].name, r["central"]) for r in response.context["group_buildings"]][:2] == [
        ("1幢", ["甲1"]),
        ("2幢", []),
    ]
    assert [c["org"].name for c in response.context["crumbs"]] == [
        "中共临江区委员会",
        "中共测试1街道工作委员会",
        "中共测试1社区委员会",
        "测试1花园党支部",
    ]
    assert [c["visible"] for c in response.context["crumbs"]] == [False, False, True, True]
    assert "超过 5 个楼栋，建议拆分党小组" in html


def test_branch_page_shows_the_rule_for_its_compounds(world, client, people):
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:organisation", args=[world.orgs["联合党支部"].pk]))
    assert [(r.name, r.status) for r in response.context["coverage_rows"]] == [
        ("三号院", "ok"),
        ("四号院", "ok"),
        ("七号院", "mismatch"),
    ]
    assert response.context["page"].paginator.count == 8


def test_member_list_masks_phones_and_searches(world, client, people):
    services.update_member(world.members["甲1"], actor=None, phone="13812345678")
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:members"))
    html = response.content.decode()
    assert response.context["page"].paginator.count == 17
    assert "138****5678" in html and "13812345678" not in html
    assert [m.name for m in client.get(reverse("party:members"), {"q": "13812345678"}).context["page"]] == ["甲1"]
    assert [m.name for m in client.get(reverse("party:members"), {"q": "戊"}).context["page"]] == ["戊1", "戊2"]
    by_type = client.get(reverse("party:members"), {"member_type": MemberType.RETIRED}).context["page"]
    assert sorted(m.name for m in by_type) == ["丁2", "甲4"]
    by_role = client.get(reverse("party:members"), {"role": "central_household"}).context["page"]
    assert sorted(m.name for m in by_role) == ["丙1", "乙1", "甲1"]
    partial = client.get(reverse("party:members"), {"q": "甲"}, HTTP_HX_REQUEST="true")
    assert partial.templates[0].name == "party/_member_table.html"


def test_member_page(world, client, people):
    member = services.update_member(world.members["甲1"], actor=None, phone="13812345678")
    client.force_login(people["in_scope"])
    html = client.get(reverse("party:member", args=[member.pk])).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert "党员中心户" in html and "测试1花园党支部" in html


def test_scope_of_lists(world, client, people):
    client.force_login(people["out_of_scope"])
    assert client.get(reverse("party:members")).context["page"].paginator.count == 0
    head = user_with(Role.BUILDING_HEAD, world.buildings["二号院1幢"], "head")
    client.force_login(head)
    assert sorted(m.name for m in client.get(reverse("party:members")).context["page"]) == ["乙1", "乙2", "乙3"]
    assert client.get(reverse("party:tree")).context["roots"] == []


def test_list_queries_are_constant(world, client, people):
    for i in range(60):
        services.create_member(
            actor=None,
            name=f"新{i:02d}",
            gender="female",
            member_type=MemberType.RETIRED,
            building=world.buildings["二号院1幢"],
            organisation=world.orgs["二号院党支部"],
        )
    client.force_login(people["in_scope"])
    # the organisation page also runs the coverage of its compounds (7 queries)
    for url, most in (
        (reverse("party:members"), 14),
        (reverse("party:organisation", args=[world.orgs["二号院党支部"].pk]), 24),
    ):
        with CaptureQueriesContext(connection) as first:
            page1 = client.get(url)
        with CaptureQueriesContext(connection) as second:
            page2 = client.get(url, {"page": 2})
        assert len(page1.context["page"]) == 50 and len(page2.context["page"]) > 0
        assert len(first.captured_queries) == len(second.captured_queries) <= most, url


def test_tree_and_coverage_queries_do_not_grow(world, client):
    admin = user_with(Role.DISTRICT_ADMIN, world.tree.district, "da")
    client.force_login(admin)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("party:tree"))
    services.create_organisation(
        actor=None,
        kind="functional_branch",
        name="五号院功能型党支部",
        parent=world.orgs["社区a"],
        compounds=[world.compounds["五号院"]],
    )
    with CaptureQueriesContext(connection) as after:
        response = client.get(reverse("party:tree"))
    assert len(before.captured_queries) == len(after.captured_queries) <= 20
    assert response.context["summary"]["compounds_missing"] == 0


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "-1"}, {"community": "x"}, {"member_type": "alien"}, {"q": "'; --"}, {"q": "😀" * 80}],
)
def test_no_500_for_typed_input(world, client, people, params):
    client.force_login(people["in_scope"])
    for name in ("party:members", "party:report_ins"):
        assert client.get(reverse(name), params).status_code == 200


def test_menu_follows_the_permission(world, client, people):
    client.force_login(people["in_scope"])
    assert reverse("party:tree") in client.get(reverse("home")).content.decode()
    client.force_login(people["no_role"])
    assert reverse("party:tree") not in client.get(reverse("home")).content.decode()


def test_report_in_list(world, client, people):
    import datetime

    services.report_in(
        actor=None, member=world.members["戊1"], reported_on=datetime.date(2026, 3, 10), skills=["医疗", "法律"]
    )
    client.force_login(people["in_scope"])
    response = client.get(reverse("party:report_ins"), {"skill": "法律"})
    assert [r.member.name for r in response.context["page"]] == ["戊1"]
    assert list(client.get(reverse("party:report_ins"), {"skill": "法"}).context["page"]) == []
    client.force_login(people["out_of_scope"])
    assert list(client.get(reverse("party:report_ins")).context["page"]) == []
