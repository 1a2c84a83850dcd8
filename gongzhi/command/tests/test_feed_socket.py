"""The live feed of the command centre: /ws/cases/live/?level=&id= checks the node's scope on
subscribe, a district hears every street's events, a community only its own; a case reported
through the services reaches the subscribers of its street and district after commit."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from gongzhi.asgi import application
from gongzhi.cases import services
from gongzhi.cases.choices import Category, Channel
from gongzhi.cases.notify import district_group, street_group
from gongzhi.core.tests.aio import run

from .conftest import NOW

# committed writes (the socket reads in another thread); the data the migrations load is restored
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


async def cookie_for(user):
    from django.test import Client

    client = Client()
    await sync_to_async(client.force_login)(user)
    return client.cookies["sessionid"].value


async def socket(user, query=""):
    headers = [ORIGIN]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await cookie_for(user)}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/cases/live/{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def push(group, payload):
    await get_channel_layer().group_send(group, {"type": "notify", "payload": payload})


def test_subscribe_checks_the_node_scope(centre):
    tree = centre.tree

    async def scenario():
        _s, connected, code = await socket(None, f"?level=street&id={tree.a.street.pk}")
        assert (connected, code) == (False, 4401)
        _s, connected, code = await socket(centre.dispatcher, f"?level=street&id={tree.b.street.pk}")
        assert (connected, code) == (False, 4404)
        _s, connected, code = await socket(centre.dispatcher, f"?level=district&id={tree.district.pk}")
        assert (connected, code) == (False, 4404)
        _s, connected, code = await socket(centre.dispatcher, "?level=grid&id=1")
        assert (connected, code) == (False, 4400)
        _s, connected, code = await socket(centre.dispatcher, "?level=street&id=abc")
        assert (connected, code) == (False, 4400)
        _s, connected, code = await socket(centre.nobody, f"?level=street&id={tree.a.street.pk}")
        assert (connected, code) == (False, 4404)
        own, connected, _code = await socket(centre.dispatcher, f"?level=street&id={tree.a.street.pk}")
        assert connected
        assert await own.receive_json_from() == {"type": "hello", "level": "street", "id": tree.a.street.pk}
        # another street's events never arrive
        await push(
            street_group(tree.b.street.pk), {"type": "case.reported", "case": 1, "community": tree.b.community.pk}
        )
        await push(
            street_group(tree.a.street.pk), {"type": "case.reported", "case": 2, "community": tree.a.community.pk}
        )
        assert (await own.receive_json_from())["case"] == 2
        await own.disconnect()
        # without a node: the desk's behaviour, every street the user watches
        desk, connected, _code = await socket(centre.dispatcher)
        assert connected and await desk.receive_json_from() == {"type": "hello", "streets": [tree.a.street.pk]}
        await desk.disconnect()

    run(scenario())


def test_district_hears_every_street_and_community_only_its_own(centre):
    tree = centre.tree

    async def scenario():
        district, connected, _c = await socket(centre.district_admin, f"?level=district&id={tree.district.pk}")
        assert connected and (await district.receive_json_from())["level"] == "district"
        community, connected, _c = await socket(centre.community_worker, f"?level=community&id={tree.a.community.pk}")
        assert connected and (await community.receive_json_from())["level"] == "community"
        await push(street_group(tree.a.street.pk), {"type": "case.dispatch", "case": 3, "community": 999_999})
        await push(
            street_group(tree.a.street.pk), {"type": "case.dispatch", "case": 4, "community": tree.a.community.pk}
        )
        assert (await community.receive_json_from())["case"] == 4  # case 3 (another community) was dropped
        await push(district_group(tree.district.pk), {"type": "case.whistle", "case": 5})
        assert (await district.receive_json_from())["case"] == 5
        assert await community.receive_nothing(timeout=0.2)
        await district.disconnect()
        await community.disconnect()

    run(scenario())


def test_a_reported_case_reaches_its_street_and_district_after_commit(centre):
    tree = centre.tree

    def report():
        services.clear_caches()
        return services.report_case(
            actor=centre.grid_worker,
            channel=Channel.GRID_APP,
            description="小区门口的路灯不亮了",
            now=NOW,
            building=tree.a.building,
            category=Category.FACILITY,
        )

    async def scenario():
        street, _ok, _c = await socket(centre.dispatcher, f"?level=street&id={tree.a.street.pk}")
        await street.receive_json_from()
        district, _ok, _c = await socket(centre.district_admin, f"?level=district&id={tree.district.pk}")
        await district.receive_json_from()
        other, _ok, _c = await socket(centre.outsider, f"?level=street&id={tree.b.street.pk}")
        await other.receive_json_from()
        case = await sync_to_async(report)()
        for communicator in (street, district):
            message = await communicator.receive_json_from(timeout=3)
            assert message["type"] == "case.reported"
            assert (message["case"], message["number"], message["state"]) == (case.pk, case.number, "reported")
            assert (message["street"], message["community"], message["district"]) == (
                tree.a.street.pk, tree.a.community.pk, tree.district.pk,
            )  # fmt: skip
            assert message["message"].startswith(f"新事项 {case.number}（设施损坏）")
        assert await other.receive_nothing(timeout=0.2)
        for communicator in (street, district, other):
            await communicator.disconnect()

    run(scenario())
