"""Importing a resident ledger: every bad row reported, nothing written unless chosen."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.population import imports, services
from gongzhi.population.models import Household, ImportJob, Resident

pytestmark = pytest.mark.django_db

HEADERS = ["楼栋编码", "门牌", "姓名", "性别", "出生日期", "公民身份号码", "手机号码", "与户主关系", "标签"]


def workbook(rows, headers=HEADERS) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("台账.xlsx", buffer.getvalue())


@pytest.fixture
def worker(tree):
    return user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a")


def good_rows(tree):
    code = tree.a.building.code
    return [
        [code, "2单元201室", "赵敏", "", "", "330199199510120024", "13900002222", "户主", "独居老人"],
        [code, "2单元201室", "钱多", "男", "1960-05-05", "", "", "配偶", ""],
    ]


def start(worker, rows, django_capture_on_commit_callbacks, headers=HEADERS):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(actor=worker, upload=workbook(rows, headers))
    job.refresh_from_db()
    return job


def test_clean_ledger_is_checked_then_imported_whole(tree, worker, django_capture_on_commit_callbacks):
    job = start(worker, good_rows(tree), django_capture_on_commit_callbacks)
    assert (job.status, job.total_rows, job.good_rows, job.bad_rows, job.errors) == ("validated", 2, 2, 0, [])
    assert Resident.objects.count() == 2  # the check wrote nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=worker, job=job, mode="all")
    job.refresh_from_db()
    assert (job.status, job.created_residents, job.created_households) == ("done", 2, 1)
    zhao = Resident.objects.get(name="赵敏")
    assert (zhao.gender, str(zhao.birth_date), zhao.phone, zhao.id_number) == (
        "female",
        "1995-10-12",
        "13900002222",
        "330199199510120024",
    )
    assert list(zhao.tag_links.values_list("tag", flat=True)) == ["elderly_alone"]
    assert zhao.household == Resident.objects.get(name="钱多").household
    assert (zhao.community_id, zhao.grid_id, zhao.source_import_id) == (tree.a.community.pk, tree.a.grid.pk, job.pk)
    # new rows are ordinary rows: found by exact ID number, scoped
    assert Resident.objects.restrict(worker).filter(name="赵敏").exists()


def test_bad_rows_reported_row_by_row_and_nothing_written(tree, worker, django_capture_on_commit_callbacks):
    code = tree.a.building.code
    rows = [
        *good_rows(tree),
        [code, "3单元301室", "孙错", "", "", "330199199510120025", "", "户主", ""],  # checksum
        [tree.b.building.code, "1单元101室", "越界", "男", "", "", "", "户主", ""],  # other community
        [code, "", "", "女", "", "", "12345", "表哥", "贵宾"],  # room, name, phone, relation, tag
        [code, "3单元302室", "重号", "", "", "330199198001010017", "", "户主", ""],  # already registered
        [code, "3单元303室", "又重", "", "", "330199199510120024", "", "户主", ""],  # same as row 2
    ]
    job = start(worker, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total_rows, job.good_rows, job.bad_rows) == ("validated", 7, 2, 5)
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (4, "公民身份号码"), (5, "楼栋编码"), (6, "门牌"), (6, "姓名"), (6, "手机号码"), (6, "与户主关系"), (6, "标签"),
        (7, "公民身份号码"), (8, "公民身份号码"),
    ]  # fmt: skip
    assert job.errors[0]["message"] == "公民身份号码校验位不正确，请核对是否录错。"
    assert job.errors[1]["message"].startswith("找不到楼栋“" + tree.b.building.code)
    assert job.errors[-1]["message"] == "与第 2 行的公民身份号码重复。"
    before = Resident.objects.count()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.confirm_import(actor=worker, job=job, mode="all")
    assert Resident.objects.count() == before
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=worker, job=job, mode="good_rows")
    job.refresh_from_db()
    assert (job.status, job.created_residents) == ("done", 2)
    assert Resident.objects.count() == before + 2


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (["姓名", "门牌", "爱好"], "无法识别的列：爱好。可用的列见导入模板。"),
        (["姓名", "性别"], "缺少必需的列：门牌、楼栋编码（或 小区 + 楼栋）。"),
    ],
)
def test_file_level_problems(tree, worker, django_capture_on_commit_callbacks, headers, message):
    job = start(worker, [["x"] * len(headers)], django_capture_on_commit_callbacks, headers)
    assert (job.status, job.file_error) == ("failed", message)


def test_not_a_workbook(tree, worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(actor=worker, upload=SimpleUploadedFile("x.xlsx", b"not a zip"))
    job.refresh_from_db()
    assert job.file_error == "无法读取该文件，请上传 Excel 工作簿（.xlsx）。"


def test_failure_while_writing_undoes_everything(tree, worker, django_capture_on_commit_callbacks, monkeypatch):
    rows = [
        [tree.a.building.code, f"9单元{i:03d}室", f"居民{i}", "男", "1970-01-01", "", "", "户主", ""] for i in range(12)
    ]
    job = start(worker, rows, django_capture_on_commit_callbacks)
    monkeypatch.setattr(imports, "CHUNK", 5)
    calls = {"n": 0}
    real = imports._write_chunk

    def flaky(job, rows, households):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(job, rows, households)

    monkeypatch.setattr(imports, "_write_chunk", flaky)
    before_r, before_h = Resident.objects.count(), Household.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=worker, job=job, mode="all")
    job.refresh_from_db()
    assert job.status == "failed" and "已撤销本次导入写入的全部数据" in job.file_error
    assert (Resident.objects.count(), Household.objects.count()) == (before_r, before_h)


def test_import_pages(tree, worker, client, django_capture_on_commit_callbacks):
    client.force_login(worker)
    assert client.get(reverse("population:imports")).status_code == 200
    template = client.get(reverse("population:import-template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("population:imports"), {"file": workbook(good_rows(tree))})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("population:import", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "检查完成" in page and "导入全部 2 行" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("population:import-action", args=[job.pk, "run"]), {"mode": "all"})
    assert "已导入" in client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    other = user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b")
    client.force_login(other)
    assert client.get(reverse("population:import", args=[job.pk])).status_code == 404
    client.force_login(user_with(Role.DISPATCHER, tree.a.street, "disp"))
    assert client.get(reverse("population:imports")).status_code == 403


def test_wrong_file_type_is_refused(tree, worker, client):
    client.force_login(worker)
    response = client.post(reverse("population:imports"), {"file": SimpleUploadedFile("a.csv", b"x")}, follow=True)
    assert "请上传 Excel 工作簿（.xlsx）。" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_stalled_import_can_be_undone(tree, worker, django_capture_on_commit_callbacks, client):
    import datetime

    from django.utils import timezone

    job = start(worker, good_rows(tree), django_capture_on_commit_callbacks)
    # the worker wrote one chunk, then was killed: the job still says 导入中
    rows = [r for chunk in imports._chunks(job.file.path) for r in chunk]
    imports.Checker(worker).check_chunk(rows)
    imports._write_chunk(job, rows, {})
    ImportJob.objects.filter(pk=job.pk).update(
        status="importing", heartbeat=timezone.now() - datetime.timedelta(minutes=6)
    )
    job.refresh_from_db()
    assert Resident.objects.filter(source_import=job).count() == 2
    client.force_login(worker)
    page = client.get(reverse("population:import", args=[job.pk])).content.decode()
    assert "撤销已写入的数据" in page
    client.post(reverse("population:import-action", args=[job.pk, "recover"]))
    job.refresh_from_db()
    assert (job.status, Resident.objects.filter(source_import=job).count()) == ("failed", 0)
    assert job.file_error == "导入中断，已撤销本次导入写入的全部数据，可以重新导入。"
    # a healthy import cannot be "recovered"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.recover_import(actor=worker, job=job, now=timezone.now())
