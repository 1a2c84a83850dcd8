"""The live case feed: a dispatcher's desk (and the command centre) joins the channel of every
street the user dispatches or watches over, and receives each case event as it happens.

The command centre names its node: `/ws/cases/live/?level=district|street|community&id=<pk>`.
The node must be one the user holds cases.view over (checked on subscribe); a district joins the
district's group, a street its street's, a community its street's group with every event of
another community dropped here, on the server. Bad parameters close with 4400, a node out of
scope (or unknown) with 4404."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .notify import district_group, street_group


def _street_ids(user) -> list[int]:
    from gongzhi.territory.models import Street

    return list(Street.objects.restrict(user, "view", app="cases").values_list("pk", flat=True)[:500])


def _node_subscription(user, level: str, pk: int) -> tuple[list[str], int | None] | None:
    """The groups to join for a node in the user's scope, and the community to keep (or None);
    None when the node is out of scope or does not exist."""
    from gongzhi.command.figures import node_in_scope

    node = node_in_scope(user, level, pk)
    if node is None:
        return None
    if level == "district":
        return [district_group(node.pk)], None
    if level == "street":
        return [street_group(node.pk)], None
    return [street_group(node.street_id)], node.pk


def _node_params(query_string: bytes) -> tuple[str, int] | None:
    """(level, id) from the query string, or None when it names no node; ValueError when malformed."""
    from gongzhi.command.figures import LEVELS

    params = parse_qs(query_string.decode("latin-1"))
    level = (params.get("level") or [""])[0]
    raw = (params.get("id") or [""])[0]
    if not level and not raw:
        return None
    if level not in LEVELS or not raw.isdigit() or len(raw) > 9:
        raise ValueError(query_string)
    return level, int(raw)


class CaseFeedConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            node = _node_params(self.scope.get("query_string", b""))
        except ValueError:
            await self.close(code=4400)
            return
        self.community = None
        if node is not None:
            level, pk = node
            subscription = await database_sync_to_async(_node_subscription)(user, level, pk)
            if subscription is None:
                await self.close(code=4404)
                return
            self.groups_joined, self.community = subscription
            hello = {"type": "hello", "level": level, "id": pk}
        else:
            streets = await database_sync_to_async(_street_ids)(user)
            if not streets:
                await self.close(code=4403)
                return
            self.groups_joined = [street_group(s) for s in streets]
            hello = {"type": "hello", "streets": streets}
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(hello)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def notify(self, event):
        payload = event["payload"]
        community = getattr(self, "community", None)
        if community is not None and payload.get("community") != community:
            return
        await self.send_json(payload)
