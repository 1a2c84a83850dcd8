"""Importing a party roll (党员名册): every bad row reported, nothing written unless chosen."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.party import imports, services
from gongzhi.party.choices import MemberType, OrgKind
from gongzhi.party.models import PartyMember
from gongzhi.population import imports as ledger
from gongzhi.population import services as jobs
from gongzhi.population.choices import ImportKind
from gongzhi.population.models import ImportJob, Resident

pytestmark = pytest.mark.django_db

HEADERS = [
    "姓名",
    "性别",
    "党员类型",
    "工作单位",
    "手机号码",
    "公民身份号码",
    "楼栋编码",
    "所在社区",
    "所在组织",
    "入党日期",
]
ZHANG_SAN = "330199198001010017"  # a resident of community A (the test tree)
LI_SI = "330199199002020035"  # a resident of community B


def workbook(rows, headers=HEADERS) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("党员名册.xlsx", buffer.getvalue())


@pytest.fixture
def orgs(tree):
    district = services.create_organisation(
        actor=None, kind=OrgKind.DISTRICT_COMMITTEE, name="中共临江区委员会", node=tree.district
    )
    made = {}
    for key, branch in (("a", tree.a), ("b", tree.b)):
        street = services.create_organisation(
            actor=None, kind=OrgKind.STREET_COMMITTEE, name=f"{key}街道党工委", parent=district, node=branch.street
        )
        made[key] = services.create_organisation(
            actor=None,
            kind=OrgKind.COMMUNITY_COMMITTEE,
            name=f"中共{branch.community.name}委员会",
            parent=street,
            node=branch.community,
        )
    made["branch"] = services.create_organisation(
        actor=None, kind=OrgKind.COMPOUND_BRANCH, name="测试1花园党支部", parent=made["a"], node=tree.a.compound
    )
    return made


@pytest.fixture
def worker(tree, orgs):
    return user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")


def good_rows(tree):
    return [
        ["王五", "男", "在职党员", "临江区人民医院", "13900002222", "", tree.a.building.code, "", "测试1花园党支部",
         "2001-07-01"],
        ["张三", "", "直管党员", "", "", ZHANG_SAN, "", "", "测试1花园党支部", ""],
        ["赵六", "女", "流动党员", "", "", "", "", "测试1社区", "", ""],
    ]  # fmt: skip


def start(worker, rows, capture, headers=HEADERS) -> ImportJob:
    with capture(execute=True):
        job = jobs.start_import(actor=worker, upload=workbook(rows, headers), kind=ImportKind.PARTY_MEMBERS)
    job.refresh_from_db()
    return job


def confirm(worker, job, mode, capture) -> ImportJob:
    with capture(execute=True):
        jobs.confirm_import(actor=worker, job=job, mode=mode)
    job.refresh_from_db()
    return job


def test_clean_roll_is_checked_then_imported_whole(tree, worker, django_capture_on_commit_callbacks):
    job = start(worker, good_rows(tree), django_capture_on_commit_callbacks)
    assert (job.kind, job.status, job.total_rows, job.good_rows, job.bad_rows, job.errors) == (
        ImportKind.PARTY_MEMBERS, "validated", 3, 3, 0, [],
    )  # fmt: skip
    assert PartyMember.objects.count() == 0  # the check wrote nothing
    job = confirm(worker, job, "all", django_capture_on_commit_callbacks)
    assert (job.status, job.created_members, job.created_residents) == ("done", 3, 0)
    wang = PartyMember.objects.get(name="王五")
    assert (wang.gender, wang.member_type, wang.workplace, wang.joined_on, wang.phone) == (
        "male", MemberType.IN_SERVICE, "临江区人民医院", datetime.date(2001, 7, 1), "13900002222",
    )  # fmt: skip
    assert PartyMember.objects.filter(phone_hash=wang.phone_hash).get() == wang  # found by phone, like any member
    assert (wang.building, wang.compound, wang.grid, wang.community, wang.street, wang.district) == (
        tree.a.building, tree.a.compound, tree.a.grid, tree.a.community, tree.a.street, tree.district,
    )  # fmt: skip
    assert (wang.organisation.name, wang.source_import_id) == ("测试1花园党支部", job.pk)
    zhang = PartyMember.objects.get(name="张三")
    assert (zhang.resident, zhang.gender, zhang.building) == (
        Resident.objects.get(name="张三"), "male", tree.a.building,
    )  # fmt: skip
    zhao = PartyMember.objects.get(name="赵六")
    assert (zhao.building, zhao.compound, zhao.community, zhao.street) == (None, None, tree.a.community, tree.a.street)
    assert PartyMember.objects.restrict(worker).count() == 3


def test_bad_rows_reported_row_by_row_and_nothing_written(tree, worker, django_capture_on_commit_callbacks):
    code_b = tree.b.building.code
    rows = [
        *good_rows(tree),
        ["钱七", "男", "在职党员", "", "", "", tree.a.building.code, "", "", ""],  # 5: no workplace
        ["孙八", "男", "直管党员", "", "", "", code_b, "", "", ""],  # 6: other community's building
        ["吴十", "女", "直管党员", "", "", "", "", "测试1社区", "中共测试2社区委员会", ""],  # 7: other's organisation
        ["", "妖", "党员", "", "12345", "", tree.a.building.code, "", "", "2001-13-01"],  # 8: five problems
        ["张三", "", "直管党员", "", "", ZHANG_SAN, "", "", "", ""],  # 9: same ID as row 3
        ["李四", "", "直管党员", "", "", LI_SI, "", "", "", ""],  # 10: resident out of scope
        ["周九", "男", "直管党员", "", "", "", "", "", "", ""],  # 11: lives nowhere
        ["郑一", "男", "直管党员", "", "", "330199198001010018", "", "测试1社区", "", ""],  # 12: checksum
    ]
    job = start(worker, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total_rows, job.good_rows, job.bad_rows) == ("validated", 11, 3, 8)
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (5, "工作单位", "在职党员和结对单位党员须填写工作单位。"),
        (6, "楼栋编码", f"找不到楼栋“{code_b}”，或它不在您的管辖范围内。"),
        (7, "所在组织", "找不到党组织“中共测试2社区委员会”，或它不在您的管辖范围内。"),
        (8, "姓名", "姓名不能为空。"),
        (8, "性别", "性别应填“男”或“女”。"),
        (8, "党员类型", "党员类型应为直管党员、在职党员、离退休党员、流动党员、结对单位党员之一。"),
        (8, "手机号码", "电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"),
        (8, "入党日期", "入党日期“2001-13-01”无法识别，请写成 2001-07-01。"),
        (9, "公民身份号码", "与第 3 行的公民身份号码重复。"),
        (10, "公民身份号码", "找不到该公民身份号码的居民档案，或其不在您的管辖范围内。"),
        (11, "所在社区", "请填写居住楼栋或所在社区。"),
        (12, "公民身份号码", "公民身份号码校验位不正确，请核对是否录错。"),
    ]
    with pytest.raises(ValidationError):
        jobs.confirm_import(actor=worker, job=job, mode="all")
    assert PartyMember.objects.count() == 0


def test_only_the_good_rows_and_a_registered_resident(tree, worker, django_capture_on_commit_callbacks):
    rows = [*good_rows(tree), ["钱七", "男", "结对单位党员", "", "", "", tree.a.building.code, "", "", ""]]
    job = start(worker, rows, django_capture_on_commit_callbacks)
    assert (job.good_rows, job.bad_rows) == (3, 1)
    job = confirm(worker, job, "good_rows", django_capture_on_commit_callbacks)
    assert (job.status, job.created_members) == ("done", 3)
    assert sorted(PartyMember.objects.values_list("name", flat=True)) == ["张三", "王五", "赵六"]
    # the same roll again: 张三 is now a registered party member; a name that differs from the file
    again = start(
        worker,
        [["张三", "", "直管党员", "", "", ZHANG_SAN, "", "", "", ""], ["张三丰", "男", "直管党员", "", "", "",
         "", "测试1社区", "测试1花园党支部", ""]],
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert [(e["row"], e["column"], e["message"]) for e in again.errors] == [
        (2, "公民身份号码", "该居民已登记为党员。"),
    ]
    assert again.good_rows == 1  # 张三丰 lives in the community, his branch covers only a compound: fine


def test_file_level_problems(tree, worker, django_capture_on_commit_callbacks):
    job = start(worker, [["x", "y"]], django_capture_on_commit_callbacks, ["姓名", "性别"])
    assert (job.status, job.file_error) == ("failed", "缺少必需的列：党员类型、楼栋编码（或 所在社区）。")


def test_failure_while_writing_undoes_everything(tree, worker, django_capture_on_commit_callbacks, monkeypatch):
    rows = [[f"党员{i}", "男", "直管党员", "", "", "", tree.a.building.code, "", "", ""] for i in range(12)]
    job = start(worker, rows, django_capture_on_commit_callbacks)
    monkeypatch.setattr(ledger, "CHUNK", 5)
    calls = {"n": 0}
    real = imports._write_chunk

    def flaky(job, rows, state):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(job, rows, state)

    monkeypatch.setattr(imports, "_write_chunk", flaky)
    job = confirm(worker, job, "all", django_capture_on_commit_callbacks)
    assert job.status == "failed" and "已撤销本次导入写入的全部数据" in job.file_error
    assert calls["n"] == 3 and PartyMember.objects.count() == 0


def test_a_stalled_import_can_be_undone(tree, worker, django_capture_on_commit_callbacks):
    job = start(worker, good_rows(tree), django_capture_on_commit_callbacks)
    rows = [r for chunk in ledger._chunks(job.file.path, imports.PARTY_MEMBERS) for r in chunk]
    imports.MemberChecker(worker).check_chunk(rows)
    imports._write_chunk(job, rows, {})
    ImportJob.objects.filter(pk=job.pk).update(
        status="importing", heartbeat=timezone.now() - datetime.timedelta(minutes=6)
    )
    job.refresh_from_db()
    assert PartyMember.objects.filter(source_import=job).count() == 3
    jobs.recover_import(actor=worker, job=job, now=timezone.now())
    job.refresh_from_db()
    assert (job.status, PartyMember.objects.count()) == ("failed", 0)


def test_import_pages(tree, worker, client, django_capture_on_commit_callbacks):
    client.force_login(worker)
    assert 'href="/party/imports/"' in client.get(reverse("party:members")).content.decode()
    assert client.get(reverse("party:imports")).status_code == 200
    template = client.get(reverse("party:import-template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    rows = [*good_rows(tree), ["钱七", "男", "在职党员", "", "", "", tree.a.building.code, "", "", ""]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("party:imports"), {"file": workbook(rows)})
    job = ImportJob.objects.get()
    assert job.kind == ImportKind.PARTY_MEMBERS
    assert response["Location"] == reverse("party:import", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "检查完成" in page and "只导入无误的 3 行" in page and "在职党员和结对单位党员须填写工作单位。" in page
    errors = client.get(reverse("party:import-errors", args=[job.pk]))
    assert errors.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("party:import-action", args=[job.pk, "run"]), {"mode": "good_rows"})
    page = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已导入" in page and 'data-testid="created-members">3<' in page
    # a party roll is not a resident ledger: not on the population pages
    assert client.get(reverse("population:import", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["party:imports", "party:import-template", "party:import", "party:import-errors", "party:import-action"],
)
def test_permission_matrix(tree, worker, client, name, django_capture_on_commit_callbacks):
    job = start(worker, good_rows(tree), django_capture_on_commit_callbacks)
    args = {"party:import": [job.pk], "party:import-errors": [job.pk], "party:import-action": [job.pk, "cancel"]}
    url = reverse(name, args=args.get(name, []))
    send = client.post if name == "party:import-action" else client.get
    assert send(url).status_code == 302 and "/login" in send(url)["Location"]  # anonymous
    client.force_login(user_with(Role.GRID_WORKER, tree.a.grid, "gw-a"))  # party.view, no party.change
    assert send(url).status_code == 403
    if name in args:  # another user's job, even in the same community
        client.force_login(user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a2"))
        assert send(url).status_code == 404
    client.force_login(worker)
    assert send(url).status_code == (302 if name == "party:import-action" else 200)
    job.refresh_from_db()
    assert job.status == ("cancelled" if name == "party:import-action" else "validated")
