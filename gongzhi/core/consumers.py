"""WebSocket endpoint for live notifications: each signed-in user joins their own group.

Services publish with `notify_user(user_id, payload)`; later capabilities (cases, alarms)
push through it.
"""

import logging

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notify(self, event):
        await self.send_json(event["payload"])


def push_many(messages: list[tuple[str, dict]]) -> None:
    """Send each (group, payload) to every socket in its group, in one hop to the channel layer.
    Never raises: a push is a courtesy on top of what is stored, and a channel layer outage must
    not fail the request that caused it. From a thread that runs an event loop (a test driving a
    browser), the sends run in a helper thread."""
    import threading

    if not messages:
        return

    async def send_all() -> None:
        layer = get_channel_layer()
        for group, payload in messages:
            await layer.group_send(group, {"type": "notify", "payload": payload})

    def send() -> None:
        async_to_sync(send_all)()

    try:
        try:
            send()
        except RuntimeError:  # "You cannot use AsyncToSync in the same thread as an async event loop"
            worker = threading.Thread(target=send, daemon=True)
            worker.start()
            worker.join(timeout=5)
    except Exception:
        logger.warning("WebSocket push to %s failed", ", ".join(g for g, _p in messages[:3]), exc_info=True)


def push(group: str, payload: dict) -> None:
    push_many([(group, payload)])


def notify_user(user_id: int, payload: dict) -> None:
    """Push `payload` to every open socket of the user (call after commit)."""
    push(user_group(user_id), payload)
