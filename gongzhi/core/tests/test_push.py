"""Pushes to the channel layer from a plain thread (a WSGI server's, the task worker's) go through
one publisher thread per process, in order; under ASGI they go to the server's loop inline."""

import asyncio
import threading

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from gongzhi.core import consumers
from gongzhi.core.tests.aio import in_thread, run


def _listen(group: str):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def test_pushes_from_a_plain_thread_arrive_in_order_through_one_publisher_thread():
    in_thread(_pushes_arrive_in_order)


def _pushes_arrive_in_order():
    layer, channel = _listen(consumers.user_group(4242))
    for n in range(5):
        consumers.notify_user(4242, {"type": "test", "n": n})
    assert consumers.wait_for_pushes(timeout=5)
    received = [async_to_sync(layer.receive)(channel)["payload"]["n"] for _ in range(5)]
    assert received == [0, 1, 2, 3, 4]
    publishers = [t for t in threading.enumerate() if t.name == "gongzhi-push"]
    assert len(publishers) == 1 and publishers[0].daemon


def test_a_failing_channel_layer_does_not_fail_the_caller_nor_stop_the_publisher(monkeypatch):
    in_thread(_failure_is_contained, monkeypatch)


def _failure_is_contained(monkeypatch):
    layer, channel = _listen(consumers.user_group(4343))
    calls = []
    real_send_all = consumers._send_all

    async def flaky(messages):
        calls.append(messages)
        if len(calls) == 1:
            raise ConnectionError("redis is down")
        await real_send_all(messages)

    monkeypatch.setattr(consumers, "_send_all", flaky)
    consumers.notify_user(4343, {"type": "test", "n": "lost"})
    consumers.notify_user(4343, {"type": "test", "n": "kept"})
    assert consumers.wait_for_pushes(timeout=5)
    assert len(calls) == 2
    assert async_to_sync(layer.receive)(channel)["payload"]["n"] == "kept"


def test_a_publisher_thread_that_ended_is_started_again():
    in_thread(_restarted)


def _restarted():
    import time

    layer, channel = _listen(consumers.user_group(4545))
    consumers.notify_user(4545, {"type": "test", "n": 1})
    assert consumers.wait_for_pushes(timeout=5)
    old = consumers._publisher._thread
    consumers._publisher._loop.call_soon_threadsafe(consumers._publisher._loop.stop)
    for _ in range(100):
        if not old.is_alive():
            break
        time.sleep(0.02)
    assert not old.is_alive()
    consumers.notify_user(4545, {"type": "test", "n": 2})
    assert consumers.wait_for_pushes(timeout=5)
    assert consumers._publisher._thread is not old and consumers._publisher._thread.is_alive()
    assert [async_to_sync(layer.receive)(channel)["payload"]["n"] for _ in range(2)] == [1, 2]


def test_under_asgi_the_push_is_sent_before_it_returns():
    in_thread(_inline_under_asgi)


def _inline_under_asgi():
    layer, channel = _listen(consumers.user_group(4444))

    def view_code():
        assert consumers._under_asgi()
        consumers.notify_user(4444, {"type": "test", "n": "inline"})

    async def scenario():
        await sync_to_async(view_code)()
        # no wait_for_pushes(): the message is already in the layer
        return await layer.receive(channel)

    assert asyncio.run(scenario())["payload"]["n"] == "inline"
    assert not consumers._under_asgi()


def test_a_command_that_pushes_and_exits_still_delivers_through_redis(tmp_path):
    """The production channel layer (channels_redis on the real Redis): a process that pushes from a
    plain thread and exits at once (a sweep, a job) delivers before it exits."""
    import os
    import sys
    import uuid
    from pathlib import Path

    import pytest
    import redis
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("GONGZHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError:
        pytest.fail(f"Redis is not answering at {url} (scripts/ensure-test-services starts it)")
    user_id = uuid.uuid4().int % 10**9
    script = tmp_path / "push_and_exit.py"
    script.write_text(
        "import django\n"
        "django.setup()\n"
        "from gongzhi.core.consumers import notify_user\n"
        f"notify_user({user_id}, {{'type': 'test', 'n': 'from a command'}})\n"
    )
    root = Path(__file__).resolve().parents[3]

    async def scenario():
        layer = RedisChannelLayer(hosts=[url])
        channel = await layer.new_channel()
        await layer.group_add(consumers.user_group(user_id), channel)
        env = {**os.environ, "GONGZHI_REDIS_URL": url, "PYTHONPATH": str(root)}
        env["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings.test"
        proc = await asyncio.create_subprocess_exec(sys.executable, str(script), cwd=root, env=env)
        assert await proc.wait() == 0
        message = await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.group_discard(consumers.user_group(user_id), channel)
        return message

    assert run(scenario())["payload"] == {"type": "test", "n": "from a command"}
