"""The notification socket: signed-in users join their own group and receive pushes."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from gongzhi.asgi import application
from gongzhi.core.consumers import user_group
from gongzhi.core.tests.aio import run

# committed writes (the socket reads in another thread); serialized_rollback as every transactional test
# here: its flush then leaves the rows the migrations load to be restored, not recreated (a mix of the
# two kinds fails the next serialized test with a duplicate content type)
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def _session_cookie(user):
    from django.test import Client

    client = Client()
    await sync_to_async(client.force_login)(user)
    return client.cookies["sessionid"].value


def test_socket_requires_login_and_delivers(django_user_model):

    from channels.layers import get_channel_layer

    user = django_user_model.objects.create(username="ws-user")

    async def scenario():
        anonymous = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", b"http://127.0.0.1")])
        connected, code = await anonymous.connect()
        assert not connected and code == 4401
        cookie = await _session_cookie(user)
        socket = WebsocketCommunicator(
            application,
            "/ws/notifications/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())],
        )
        connected, _ = await socket.connect()
        assert connected
        assert await socket.receive_json_from() == {"type": "hello", "user": "ws-user"}
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from() == {"type": "pong"}
        await get_channel_layer().group_send(
            user_group(user.pk), {"type": "notify", "payload": {"type": "case", "id": 7}}
        )
        assert await socket.receive_json_from() == {"type": "case", "id": 7}
        await socket.disconnect()

    run(scenario())
