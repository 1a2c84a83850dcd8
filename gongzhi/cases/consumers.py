"""The live case feed: a dispatcher's desk (and the command centre) joins the channel of every
street the user dispatches or watches over, and receives each case event as it happens."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .notify import street_group


def _street_ids(user) -> list[int]:
    from gongzhi.territory.models import Street

    return list(Street.objects.restrict(user, "view", app="cases").values_list("pk", flat=True)[:500])


class CaseFeedConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        streets = await database_sync_to_async(_street_ids)(user)
        if not streets:
            await self.close(code=4403)
            return
        self.groups_joined = [street_group(s) for s in streets]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "streets": streets})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def notify(self, event):
        await self.send_json(event["payload"])
