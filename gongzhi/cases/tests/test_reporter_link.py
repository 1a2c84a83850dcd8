"""The reporter's SMS link: a caller without an account follows and rates their case."""

import re

import pytest
from django.test import Client

from gongzhi.cases import reporter_link, services
from gongzhi.cases.models import Case
from gongzhi.core.models import ObjectChange
from gongzhi.core.sms import MemoryBackend

from .conftest import NOW

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/cases/r/[^/\s]+/)")


def verified_case(desk, make_case, capture):
    case = make_case(category="facility", reporter_name="王阿姨", reporter_phone="13912345678")
    case = services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    case = services.accept_case(case, actor=desk.handler, now=NOW)
    case = services.handle_case(case, actor=desk.handler, now=NOW, note="已更换灯泡")
    with capture(execute=True):
        return services.verify_case(case, actor=desk.grid_worker, now=NOW)


def test_the_sms_carries_a_link_that_rates_the_case(desk, make_case, settings, django_capture_on_commit_callbacks):
    settings.GONGZHI_PUBLIC_URL = "http://testserver"
    MemoryBackend.outbox.clear()
    case = verified_case(desk, make_case, django_capture_on_commit_callbacks)
    phone, text = MemoryBackend.outbox[-1]
    assert phone == "13912345678" and "请确认是否解决并评价" in text
    path = LINK.search(text).group(1)
    client = Client()  # no sign-in
    page = client.get(path)
    assert page.status_code == 200 and case.number in page.content.decode()
    assert "13912345678" not in page.content.decode()
    response = client.post(
        path,
        {"action": "rate", "solved": "yes", "satisfaction": "basic", "comment": "修得挺快", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.satisfaction, case.solved, case.rating_comment) == ("closed", "basic", True, "修得挺快")
    rate = case.events.get(action="rate")
    assert (rate.actor, rate.actor_name, rate.data["on_behalf"]) == (None, "反映人（短信链接）", False)
    audit = ObjectChange.objects.filter(object_id=str(case.pk), content_type__model="case").order_by("-pk").first()
    assert (audit.user, audit.user_name) == (None, "反映人（短信链接）")
    # then, within the window, the reporter says it broke again
    response = client.post(path, {"action": "reopen", "note": "又不亮了", "version": case.version})
    case.refresh_from_db()
    assert (response.status_code, case.state, case.reopen_count) == (302, "dispatched", 1)


def test_a_bad_or_foreign_link_shows_nothing(desk, make_case, django_capture_on_commit_callbacks):
    case = verified_case(desk, make_case, django_capture_on_commit_callbacks)
    client = Client()
    token = reporter_link.make_token(case)
    assert client.get(f"/cases/r/{token[:-2]}xx/").status_code == 404
    assert client.get("/cases/r/nonsense/").status_code == 404
    other = make_case(category="facility", reporter_phone="13700001111")
    Case.objects.filter(pk=other.pk).update(reporter_phone_hash=case.reporter_phone_hash[:3] + "0" * 61)
    assert client.get(f"/cases/r/{reporter_link.make_token(other)}/").status_code == 404
    # the link only acts on its own case: moves are still refused after a state change elsewhere
    response = client.post(f"/cases/r/{token}/", {"action": "rate", "solved": "yes", "satisfaction": "x", "version": 1})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == "verified"


def test_a_link_actor_cannot_touch_another_case(desk, make_case):
    case = make_case(category="facility")
    other = make_case(category="facility")
    actor = services.ReporterLink(other.pk, "反映人（短信链接）")
    assert services.roles_on(case, actor) == set()
    assert services.roles_on(other, actor) == {services.Actor.REPORTER}
