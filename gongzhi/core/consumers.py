"""WebSocket endpoint for live notifications: each signed-in user joins their own group.

Services publish with `notify_user(user_id, payload)`; later capabilities (cases, alarms)
push through it.
"""

import asyncio
import atexit
import logging
import os
import threading

from asgiref.sync import SyncToAsync, async_to_sync
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


class _Publisher:
    """One event loop per process, in a daemon thread, that sends the pushes to the channel layer
    one batch after another (in the order they were handed over), so that a request thread hands
    over its batch and goes on. (`async_to_sync` from a plain thread — a WSGI server's, the task
    worker's — would start a new thread and a new event loop for every push: about a millisecond
    of CPU and a thread per request.) Started on first use, and again in a forked child or if its
    thread has ended; at exit the process waits (up to 5 s) for what it handed over."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._thread: threading.Thread | None = None
        self._waits_at_exit = False

    def submit(self, messages: list[tuple[str, dict]]) -> None:
        loop, queue = self._running()
        loop.call_soon_threadsafe(queue.put_nowait, messages)

    def _running(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if self._loop is None or self._queue is None or self._pid != os.getpid() or not alive:
                loop = asyncio.new_event_loop()
                queue: asyncio.Queue = asyncio.Queue()
                started = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(started.set)
                    try:
                        loop.run_until_complete(self._drain(queue))
                    except BaseException:  # the next push starts a new publisher
                        logger.warning("the WebSocket publisher thread stopped", exc_info=True)

                thread = threading.Thread(target=run, name="gongzhi-push", daemon=True)
                thread.start()
                started.wait(timeout=5)
                self._loop, self._queue, self._pid, self._thread = loop, queue, os.getpid(), thread
                if not self._waits_at_exit:
                    # a command or job that pushes and then exits still delivers what it handed over
                    atexit.register(self.wait)
                    self._waits_at_exit = True
            return self._loop, self._queue

    @staticmethod
    async def _drain(queue: asyncio.Queue) -> None:
        while True:
            messages = await queue.get()
            try:
                await _send_all(messages)
            except Exception:
                logger.warning("WebSocket push to %s failed", ", ".join(g for g, _p in messages[:3]), exc_info=True)
            finally:
                queue.task_done()

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every batch handed over so far has been sent (tests, shutdown)."""
        if self._loop is None or self._queue is None or self._pid != os.getpid():
            return True
        future = asyncio.run_coroutine_threadsafe(self._queue.join(), self._loop)
        try:
            future.result(timeout)
        except TimeoutError:
            return False
        return True


_publisher = _Publisher()


async def _send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    for group, payload in messages:
        await layer.group_send(group, {"type": "notify", "payload": payload})


def push_many(messages: list[tuple[str, dict]]) -> None:
    """Send each (group, payload) to every socket in its group, in one hop to the channel layer.
    Never raises: a push is a courtesy on top of what is stored, and a channel layer outage must
    not fail the request that caused it.

    Under an ASGI server (the request's synchronous code runs in a thread beside the server's loop)
    the sends go to that loop through `async_to_sync`, before this returns. From a plain thread (a
    WSGI server's, the task worker's, a command's) the batch goes to the process's publisher
    thread and this returns at once; `wait_for_pushes()` waits until it is sent."""
    if not messages:
        return
    try:
        if _under_asgi():
            _send_inline(messages)
        else:
            _publisher.submit(list(messages))
    except Exception:
        logger.warning("WebSocket push to %s failed", ", ".join(g for g, _p in messages[:3]), exc_info=True)


def _under_asgi() -> bool:
    """True in the thread of a synchronous view or consumer under an ASGI server (or sync_to_async):
    there `async_to_sync` hands the sends to the server's own running loop, without a new thread."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return False
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop is not None and loop.is_running()


def _send_inline(messages: list[tuple[str, dict]]) -> None:
    def send() -> None:
        async_to_sync(_send_all)(messages)

    try:
        send()
    except RuntimeError:  # "You cannot use AsyncToSync in the same thread as an async event loop"
        worker = threading.Thread(target=send, daemon=True)
        worker.start()
        worker.join(timeout=5)


def wait_for_pushes(timeout: float = 5.0) -> bool:
    """Wait until the pushes handed to the publisher so far have reached the channel layer."""
    return _publisher.wait(timeout)


def push(group: str, payload: dict) -> None:
    push_many([(group, payload)])


def notify_user(user_id: int, payload: dict) -> None:
    """Push `payload` to every open socket of the user (call after commit)."""
    push(user_group(user_id), payload)
