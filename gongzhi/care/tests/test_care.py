"""Care files: opening, pairing, visits and follow-ups; overdue lists that match the visit
history; reminders; the printable list; the permission matrix."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.care import services
from gongzhi.care.models import CareProfile, FollowUp, Reminder
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.party import services as party
from gongzhi.population.models import Resident, RevealLog

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 22)


@pytest.fixture
def care(tree):
    zhang, li = Resident.objects.get(name="张三"), Resident.objects.get(name="李四")
    member_user = user_with(Role.PARTY_MEMBER, tree.a.community, "pm-a")
    member = party.create_member(
        actor=None, member_type="direct", name="党员甲", gender="female", building=tree.a.building, user=member_user
    )
    high = services.open_profile(actor=None, resident=zhang, kind="elderly_alone", risk_level="high",
                                 needs="行动不便，需要代购", paired_member=member, opened=D(2026, 10, 1))  # fmt: skip
    other = services.open_profile(
        actor=None, resident=li, kind="disabled", risk_level="ordinary", opened=D(2026, 10, 1)
    )
    return {"high": high, "other": other, "member": member, "member_user": member_user}


def test_opening_rules(tree, care):
    zhang = Resident.objects.get(name="张三")
    with pytest.raises(ValidationError) as exc:
        services.open_profile(actor=None, resident=zhang, kind="elderly_alone", opened=TODAY)
    assert exc.value.message_dict == {"resident": ["该居民已建立关爱档案。"]}
    with pytest.raises(ValidationError) as exc:
        services.update_profile(care["other"], actor=None, paired_member=care["member"])
    assert exc.value.message_dict == {"paired_member": ["结对党员应为本社区的党员。"]}
    assert (care["high"].community_id, care["high"].grid_id) == (tree.a.community.pk, tree.a.grid.pk)


def test_visits_and_overdue_list_follow_the_history(tree, care):
    high = care["high"]
    rows = {r.profile.pk: r for r in services.due_rows(CareProfile.objects.all(), TODAY)}
    # never visited: due a week after opening, 45 days overdue; ordinary: due 2026-12-30
    assert (rows[high.pk].due, rows[high.pk].overdue_days) == (D(2026, 10, 8), 45)
    assert (rows[care["other"].pk].due, rows[care["other"].pk].overdue_days) == (D(2026, 12, 30), 0)
    worker = user_with(Role.GRID_WORKER, tree.a.grid, "gw")
    services.record_visit(actor=worker, profile=high, date=D(2026, 11, 20), findings="精神尚可", outcome="concern",
                          needs=["需要助餐服务", " ", "需要修理门锁"], today=TODAY)  # fmt: skip
    row = services.due_rows(CareProfile.objects.filter(pk=high.pk), TODAY)[0]
    assert (row.last_visit, row.due, row.overdue_days) == (D(2026, 11, 20), D(2026, 11, 27), 0)
    assert list(FollowUp.objects.values_list("need", "status")) == [("需要修理门锁", "open"), ("需要助餐服务", "open")]
    assert ObjectChange.objects.filter(content_type__model="visit").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.record_visit(actor=worker, profile=high, date=D(2026, 11, 23), findings="x", today=TODAY)
    assert exc.value.message_dict == {"date": ["走访日期不能晚于今天。"]}
    item = FollowUp.objects.get(need="需要助餐服务")
    services.close_follow_up(actor=worker, item=item, resolution="已接入社区食堂", today=TODAY)
    with pytest.raises(ValidationError):
        services.close_follow_up(actor=worker, item=item, resolution="again", today=TODAY)


def test_reminders_once_a_day_to_the_paired_member(tree, care):
    assert services.send_reminders(today=TODAY) == 1  # the high-risk, never-visited file
    assert services.send_reminders(today=TODAY) == 0
    reminder = Reminder.objects.get()
    assert (reminder.profile, reminder.member, reminder.due) == (care["high"], care["member"], D(2026, 10, 8))
    assert services.send_reminders(today=TODAY + datetime.timedelta(days=1)) == 1


def test_pages_matrix_and_pairing_access(tree, care, client):
    people = {
        "in_scope": user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"),
        "out_of_scope": user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b"),
        "no_role": user_with(Role.DISPATCHER, tree.a.street, "disp"),
    }
    check_matrix(reverse("care:detail", args=[care["high"].pk]), **people)
    check_matrix(reverse("care:print", args=[tree.a.grid.pk]), **people)
    check_matrix(reverse("care-profile-detail", args=[care["high"].pk]), api=True, **people)
    # the paired party member sees their pair and records a visit, but nothing else
    client.force_login(care["member_user"])
    assert client.get(reverse("care:detail", args=[care["high"].pk])).status_code == 200
    assert client.get(reverse("care:detail", args=[care["other"].pk])).status_code == 404
    response = client.post(reverse("care:visit", args=[care["high"].pk]),
                           {"date": "2026-11-01", "findings": "上门看望", "outcome": "well"})  # fmt: skip
    assert response.status_code == 302 and care["high"].visits.count() == 1


def test_list_page_shows_overdue_by_grid_and_member(tree, care, client):
    client.force_login(user_with(Role.STREET_ADMIN, tree.a.street, "sa"))
    response = client.get(reverse("care:list"))
    assert response.context["overdue_count"] >= 1
    names = [name for name, _gid, _n in response.context["overdue_by_grid"]]
    assert names == ["测试1社区第1网格"]
    assert response.context["overdue_by_member"] == [("党员甲", 1)]
    only = client.get(reverse("care:list"), {"overdue": "1"})
    assert [r.profile.pk for r in only.context["rows"]] == [care["high"].pk]


def test_print_list_logs_full_phones(tree, care, client):
    services.add_contact(actor=None, profile=care["high"], name="张小三", relation="儿子", phone="13911112222")
    client.force_login(user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"))
    html = client.get(reverse("care:print", args=[tree.a.grid.pk])).content.decode()
    assert "13911112222" in html and "13800001111" in html
    assert list(RevealLog.objects.values_list("resident__name", "reason")) == [("张三", "打印应急名单")]
    client.force_login(user_with(Role.GRID_WORKER, tree.b.grid, "gw-b"))
    assert client.get(reverse("care:print", args=[tree.a.grid.pk])).status_code == 404


def test_api_overdue(tree, care):
    api = APIClient()
    api.force_login(user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"))
    data = api.get(reverse("care-profile-overdue")).json()
    assert [r["resident_name"] for r in data["results"]] == ["张三"]
    assert data["results"][0]["overdue_days"] > 0


def test_demo_overdue_list_matches_its_visit_history():
    from django.core.management import call_command
    from django.utils import timezone

    call_command("load_demo", scale=0.02)
    rows = services.due_rows(CareProfile.objects.all(), timezone.localdate())
    overdue = [r for r in rows if r.overdue_days]
    assert rows and overdue
    lapsed_ids = set()
    for r in rows:
        last = r.profile.visits.order_by("-date").values_list("date", flat=True).first()
        assert r.last_visit == last
        step = services.intervals()[r.profile.risk_level]
        if last and (timezone.localdate() - last).days > step:
            lapsed_ids.add(r.profile.pk)
    assert {r.profile.pk for r in overdue} == lapsed_ids


def test_paired_member_sees_pairs_on_the_home_page(tree, care, client):
    client.force_login(care["member_user"])
    response = client.get(reverse("home"))
    rows = response.context["my_pairs"]
    assert [r.profile.resident.name for r in rows] == ["张三"]
    assert rows[0].overdue_days > 0
    assert "我的结对走访" in response.content.decode()


def test_schedule_follows_visits_and_risk_changes(tree, care):
    high = care["high"]
    assert (high.last_visit, high.next_due) == (None, D(2026, 10, 8))
    worker = user_with(Role.GRID_WORKER, tree.a.grid, "gw2")
    services.record_visit(actor=worker, profile=high, date=D(2026, 11, 10), findings="好", today=TODAY)
    services.record_visit(
        actor=worker, profile=high, date=D(2026, 11, 3), findings="补录", today=TODAY
    )  # older: no change
    high.refresh_from_db()
    assert (high.last_visit, high.next_due) == (D(2026, 11, 10), D(2026, 11, 17))
    services.update_profile(high, actor=None, risk_level="key")
    high.refresh_from_db()
    assert high.next_due == D(2026, 12, 10)


def test_reschedule_after_interval_change(tree, care, settings):
    from django.core.management import call_command

    settings.GONGZHI_CARE_VISIT_DAYS = {"high": 3, "key": 30, "ordinary": 90}
    call_command("care_reschedule")
    care["high"].refresh_from_db()
    assert care["high"].next_due == D(2026, 10, 4)


def test_open_a_care_file_from_the_resident_page(tree, client):
    from gongzhi.population.models import Resident

    member = party.create_member(
        actor=None, member_type="retired", name="党员乙", gender="male", building=tree.a.building
    )
    zhang = Resident.objects.get(name="张三")
    worker = user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-open")
    client.force_login(worker)
    assert "建立关爱档案" in client.get(reverse("population:resident", args=[zhang.pk])).content.decode()
    url = reverse("care:open", args=[zhang.pk])
    bad = client.post(url, {"kind": "", "risk_level": "high"})
    assert bad.status_code == 400 and not CareProfile.objects.exists()
    ok = client.post(
        url,
        {
            "kind": "elderly_alone",
            "risk_level": "high",
            "paired_member": member.pk,
            "needs": "行动不便",
            "contact_name": "张小三",
            "contact_relation": "儿子",
            "contact_phone": "13911112222",
        },
    )
    profile = CareProfile.objects.get()
    assert ok["Location"] == reverse("care:detail", args=[profile.pk])
    assert (profile.kind, profile.risk_level, profile.paired_member, profile.contacts.get().phone) == (
        "elderly_alone",
        "high",
        member,
        "13911112222",
    )
    client.post(
        reverse("care:add-contact", args=[profile.pk]), {"name": "李四", "relation": "邻居", "phone": "13700000000"}
    )
    assert profile.contacts.count() == 2
    # another community's worker may not open a file for this resident
    client.force_login(user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-other"))
    assert client.get(url).status_code == 404
