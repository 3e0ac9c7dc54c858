"""Per-chat order and sending limits shared through a real Redis by several "workers" (here,
several instances in one process), and the flood allowance that keeps one member from
using up a group's budget. Redis tests need TEST_REDIS_URL (CI sets it)."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.contract import Action, SendText
from bot.rules import flood
from bot.transports.common import is_group_chat
from bot.transports.ordering import LocalOrder, Outbox, RedisOrder
from scheduler.delivery import Delivery, Limits
from scheduler.shared_rate import SharedGate

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL")


@pytest.mark.parametrize(
    ("times", "allowance", "admitted"),
    [
        # A group member: five at once, then one every 12 s.
        ([0.0] * 7, flood.GROUP, [True] * 5 + [False] * 2),
        ([0, 0, 0, 0, 0, 11.9, 12.1], flood.GROUP, [True] * 5 + [False, True]),
        ([0, 0, 0, 0, 0, 60, 60, 60, 60, 60, 60], flood.GROUP, [True] * 10 + [False]),
        # A secretary typing quickly in private is never held back.
        ([i * 0.5 for i in range(60)], flood.PRIVATE, [True] * 60),
        ([0.0] * 21, flood.PRIVATE, [True] * 20 + [False]),
    ],
)
def test_flood_allowance(times: list[float], allowance: flood.Allowance, admitted: list[bool]):
    bucket = None
    seen = []
    for now in times:
        ok, bucket = flood.admit(bucket, now, allowance)
        seen.append(ok)
    assert seen == admitted


def test_a_refilled_bucket_is_forgotten() -> None:
    _, bucket = flood.admit(None, 0.0, flood.GROUP)
    assert not flood.full_again(bucket, 11.0, flood.GROUP)
    assert flood.full_again(bucket, 12.0, flood.GROUP)


class Recorder:
    """What `Delivery` needs of a transport; records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def perform(self, chat_id: int, action: Action) -> int | None:
        await asyncio.sleep(random.random() / 200)
        self.sent.append((chat_id, getattr(action, "text", "")))
        return len(self.sent)


async def test_local_order_handles_a_chat_in_order_and_chats_in_parallel() -> None:
    handled: list[tuple[str, int]] = []
    running = set()
    overlap = []

    async def handle(update: dict[str, Any]) -> None:
        running.add(update["chat"])
        overlap.append(len(running))
        await asyncio.sleep(random.random() / 100)
        handled.append((update["chat"], update["n"]))
        running.discard(update["chat"])

    order = LocalOrder(handle)
    for n in range(20):
        for chat in ("a", "b", "c"):
            await order.submit(chat, {"chat": chat, "n": n})
    await order.close(10)
    for chat in ("a", "b", "c"):
        assert [n for c, n in handled if c == chat] == list(range(20))
    assert max(overlap) > 1  # other chats were not kept waiting


async def test_outbox_keeps_a_chats_replies_in_order_without_holding_the_caller() -> None:
    raw = Recorder()
    outbox = Outbox(Delivery(raw, is_group=is_group_chat))
    started = time.monotonic()
    for n in range(10):
        outbox.put("-1", [SendText(f"m{n}"), SendText(f"n{n}")])
    assert time.monotonic() - started < 0.01
    assert outbox.busy("-1")
    await outbox.idle("-1")
    assert [text for _, text in raw.sent] == [f"{p}{n}" for n in range(10) for p in "mn"]
    assert not outbox.busy("-1")


@pytest.fixture
async def redis_client() -> AsyncIterator[Any]:
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.from_url(REDIS_URL)
    yield client
    await client.aclose()


def namespace() -> str:
    return f"branchbot-test:{uuid.uuid4().hex[:8]}"


async def cleanup(client: Any, prefix: str) -> None:
    names = [name async for name in client.scan_iter(match=f"{prefix}:*")]
    if names:
        await client.delete(*names)


@needs_redis
async def test_workers_sharing_redis_handle_each_chat_in_order_once(redis_client: Any) -> None:
    prefix = namespace()
    handled: list[tuple[str, int, str]] = []

    def worker(name: str) -> RedisOrder:
        async def handle(update: dict[str, Any]) -> None:
            await asyncio.sleep(random.random() / 100)
            handled.append((update["chat"], update["n"], name))

        return RedisOrder(
            redis_client, prefix, handle, Outbox(Delivery(Recorder(), is_group=is_group_chat))
        )

    workers = [worker(name) for name in "ABC"]
    try:
        update_id = 0
        for n in range(30):
            for chat in ("-1", "-2", "7"):
                update_id += 1
                update = {"update_id": update_id, "chat": chat, "n": n}
                await workers[update_id % 3].submit(chat, update)
        # Telegram repeats an update whose answer it missed: handled once all the same.
        await workers[0].submit("-1", {"update_id": 1, "chat": "-1", "n": 0})
        # A later update of that chat is handled after the repeat: once it is, the repeat
        # has had its turn (handled or dropped), with no need to wait and see.
        await workers[1].submit("-1", {"update_id": update_id + 1, "chat": "-1", "n": 30})
        deadline = time.monotonic() + 20
        while len(handled) < 91 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [n for c, n, _ in handled if c == "-1"] == list(range(31))
        for chat in ("-2", "7"):
            assert [n for c, n, _ in handled if c == chat] == list(range(30))
        assert len(handled) == 91
        assert len({name for *_, name in handled}) > 1  # the work was shared
    finally:
        for order in workers:
            await order.close(5)
        await cleanup(redis_client, prefix)


@needs_redis
async def test_a_crashed_owners_chat_is_taken_over(redis_client: Any) -> None:
    prefix = namespace()
    handled: list[int] = []

    async def handle(update: dict[str, Any]) -> None:
        handled.append(update["n"])

    survivor = RedisOrder(
        redis_client, prefix, handle, Outbox(Delivery(Recorder(), is_group=is_group_chat))
    )
    survivor.sweep_seconds = 0.1
    try:
        # A worker took the chat and died: its lease and the chat's updates are left.
        await redis_client.set(f"{prefix}:chat:-5:owner", "dead", px=500)
        for n in range(3):
            await redis_client.rpush(f"{prefix}:chat:-5:inbox", f'{{"update_id": {n}, "n": {n}}}')
        await survivor.start()
        deadline = time.monotonic() + 5
        while len(handled) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert handled == [0, 1, 2]
    finally:
        await survivor.close(5)
        await cleanup(redis_client, prefix)


@needs_redis
async def test_shared_gate_holds_every_worker_to_one_limit(redis_client: Any) -> None:
    prefix = namespace()
    limits = Limits(global_messages=5, private_messages=100)
    gates = [SharedGate(redis_client, prefix, limits) for _ in range(3)]
    granted: list[float] = []

    async def send(gate: SharedGate, chat_id: int) -> None:
        member = await gate.acquire(chat_id, is_group=False)
        granted.append(time.monotonic())
        await gate.settle(chat_id, member)

    try:
        started = time.monotonic()
        await asyncio.gather(*(send(gates[i % 3], 100 + i) for i in range(15)))
        assert time.monotonic() - started >= 2.0  # 15 sends at 5 per (stretched) second
        granted.sort()
        for i in range(len(granted) - 5):
            assert granted[i + 5] - granted[i] >= 1.0, granted
        # A 429 seen by one worker holds back the others.
        await gates[0].pause(1.0)
        paused = time.monotonic()
        await send(gates[1], 999)
        assert time.monotonic() - paused >= 0.9
    finally:
        await cleanup(redis_client, prefix)


async def test_one_failing_update_does_not_end_its_chats_queue() -> None:
    handled: list[int] = []

    async def handle(update: dict[str, Any]) -> None:
        if update["n"] == 3:
            raise KeyError("a shape nobody expected")
        handled.append(update["n"])

    order = LocalOrder(handle)
    for n in range(6):
        await order.submit("-1", {"n": n})
    await order.close(5)
    assert handled == [0, 1, 2, 4, 5]


async def test_an_update_of_an_unexpected_shape_is_ignored(tmp_path: Any) -> None:
    from bot.app import build_core, connect
    from bot.config import Settings
    from bot.console import ConsoleDirectory
    from bot.transports.common import TelegramRuntime

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    core = build_core(settings)
    runtime = TelegramRuntime(
        settings,
        Recorder(),
        1,
        ConsoleDirectory(),
        lambda messenger, directory: connect(core, messenger, directory, coalesce_edits=True),
    )
    for odd in (
        {"update_id": 1, "message": {"chat": {"id": -1}, "from": "x", "text": "/help"}},
        {"update_id": 2, "message": {"chat": {"id": -1, "type": 5}, "from": {}, "text": 7}},
        {"update_id": 3, "callback_query": {"id": "q", "message": {"chat": {"id": -1}}}},
    ):
        await runtime.handle(odd)  # no exception, nothing sent
    await runtime.close(1)
    await core.db.close()
