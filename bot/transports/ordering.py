"""Each chat's updates handled one at a time, in the order they arrived, and each chat's
replies sent in order, without one waiting for the other.

Why two queues: Telegram paces a group to about 20 messages a minute. If handling the next
update waited until the previous reply had gone out, one member's flood would hold every
other member's button press for a minute. So handling only queues replies (`Outbox`), and
the chat's next update is handled at once.

Why Redis: several webhook workers behind a proxy each receive some of a chat's updates.
`/bind` on one worker and `/themeday` a moment later on another must still be handled in
that order, and their replies sent in that order. With `REDIS_URL`, a worker appends each
update to its chat's list in Redis before answering Telegram (so arrival order is kept and
nothing is lost), and one worker at a time owns the chat: it handles the list in order and
keeps the ownership until its replies for the chat are sent, so another worker's replies
cannot overtake them. Without Redis (one process, the default) the same happens in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from bot.contract import Action
from scheduler.delivery import Delivery
from scheduler.shared_rate import process_tag

log = logging.getLogger(__name__)

Update = dict[str, Any]
Handle = Callable[[Update], Awaitable[None]]
Key = TypeVar("Key")
Item = TypeVar("Item")


async def _safely(handle: Handle, update: Update) -> None:
    """One update's failure must not end its chat's queue (the ones behind it would be lost)."""
    try:
        await handle(update)
    except Exception:
        log.exception("update handling failed")


class Lanes(Generic[Key, Item]):
    """Per key, one task works through the queued items in order and ends when none are
    left; `work` must not raise (a failure would drop the items behind it)."""

    def __init__(self, work: Callable[[Key, Item], Awaitable[object]]) -> None:
        self.work = work
        self._queues: dict[Key, deque[Item]] = {}
        self._workers: dict[Key, asyncio.Task[None]] = {}

    def put(self, key: Key, items: Iterable[Item]) -> None:
        queue = self._queues.setdefault(key, deque())
        queue.extend(items)
        if not queue:
            del self._queues[key]
        elif key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key))

    def busy(self, key: Key) -> bool:
        return key in self._workers

    async def idle(self, key: Key) -> None:
        worker = self._workers.get(key)
        if worker is not None:
            await asyncio.shield(worker)

    async def _drain(self, key: Key) -> None:
        queue = self._queues[key]
        try:
            while queue:
                await self.work(key, queue[0])
                queue.popleft()
        finally:
            del self._queues[key]
            del self._workers[key]

    async def close(self, timeout: float) -> int:
        """Lets the work under way finish, for a while; returns how many keys it cut off."""
        workers = list(self._workers.values())
        if not workers:
            return 0
        _, late = await asyncio.wait(workers, timeout=timeout)
        for task in late:
            task.cancel()
        return len(late)


class Outbox(Lanes[int, Action]):
    """Each chat's replies, sent in order by one task per chat (`Delivery.send` never raises)."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(delivery.send)

    async def close(self, timeout: float) -> int:
        """At a stop, what was already answered is still sent, for a while."""
        late = await super().close(timeout)
        if late:
            log.warning("stopping: %d chats' replies not sent", late)
        return late


class LocalOrder(Lanes[str, Update]):
    """One process: each chat's updates handled by one task at a time, in arrival order."""

    def __init__(self, handle: Handle) -> None:
        super().__init__(lambda _key, update: _safely(handle, update))

    async def submit(self, key: str, update: Update) -> None:
        self.put(key, (update,))

    async def start(self) -> None:
        return None


# KEYS: seen marker, the chat's inbox. ARGV: the update as JSON, seconds to remember it.
# Telegram repeats an update whose answer it did not get: the marker drops the repeat.
_PUSH = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[2])) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""
# KEYS: owner key. ARGV: our tag, lease ms. Extends the lease only while it is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisOrder:
    """Several processes: each chat's inbox is a Redis list; its owner holds a lease."""

    lease_ms = 30_000
    seen_seconds = 24 * 3600
    sweep_seconds = 2.0  # how soon a crashed owner's chats are taken over
    poll_seconds = 0.05  # while our replies go out, how often the inbox is looked at

    def __init__(self, redis: Any, namespace: str, handle: Handle, outbox: Outbox) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:chat"
        self.handle = handle
        self.outbox = outbox
        self.tag = f"{process_tag()}:{id(self):x}"
        self._push = redis.register_script(_PUSH)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._drains: dict[str, asyncio.Task[None]] = {}
        self._recheck: set[str] = set()  # pushed to while its drain was ending
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    def _inbox(self, key: str) -> str:
        return f"{self.prefix}:{key}:inbox"

    def _owner(self, key: str) -> str:
        return f"{self.prefix}:{key}:owner"

    async def submit(self, key: str, update: Update) -> None:
        """Returns once the update is in Redis: only then may Telegram be told it arrived."""
        seen = f"{self.prefix}:seen:{update.get('update_id', '')}"
        payload = json.dumps(update, ensure_ascii=False, separators=(",", ":"))
        await self._push(keys=[seen, self._inbox(key)], args=[payload, self.seen_seconds])
        self._spawn(key)

    def _spawn(self, key: str) -> None:
        if self._closing:
            return
        if key in self._drains:
            self._recheck.add(key)
        else:
            self._drains[key] = asyncio.create_task(self._drain(key))

    async def _drain(self, key: str) -> None:
        try:
            while not self._closing:
                self._recheck.discard(key)
                owner = self._owner(key)
                if not await self.redis.set(owner, self.tag, nx=True, px=self.lease_ms):
                    return  # another worker owns the chat and will see the update
                try:
                    await self._own(key)
                finally:
                    await self._release(keys=[owner], args=[self.tag])
                # An update pushed while we were letting go found the chat owned by us.
                if not await self.redis.llen(self._inbox(key)) and key not in self._recheck:
                    return
        except Exception as exc:  # Redis gone: the sweeper picks the chat up again
            log.warning("chat queue unavailable (%s)", type(exc).__name__)
        finally:
            del self._drains[key]
            self._recheck.discard(key)

    async def _own(self, key: str) -> None:
        inbox, owner = self._inbox(key), self._owner(key)
        chat_id = int(key) if key.lstrip("-").isdigit() else None
        renewed = time.monotonic()
        while not self._closing:
            if time.monotonic() - renewed > self.lease_ms / 3000:
                if not await self._renew(keys=[owner], args=[self.tag, self.lease_ms]):
                    log.warning("lost a chat's lease; another worker goes on")
                    return
                renewed = time.monotonic()
            raw = await self.redis.lindex(inbox, 0)
            if raw is None:
                if chat_id is None or not self.outbox.busy(chat_id):
                    return
                # Ours until our replies are out, so another worker's cannot overtake them.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.outbox.idle(chat_id), self.poll_seconds)
                continue
            try:
                update = json.loads(raw)
            except ValueError:
                update = None
            if isinstance(update, dict):
                await _safely(self.handle, update)
            await self.redis.lpop(inbox)

    async def start(self) -> None:
        """Takes over the chats whose owner stopped (crash, deploy) with updates left."""
        self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        pattern = f"{self.prefix}:*:inbox"
        while not self._closing:
            try:
                async for name in self.redis.scan_iter(match=pattern, count=500):
                    text = name.decode() if isinstance(name, bytes) else str(name)
                    self._spawn(text[len(self.prefix) + 1 : -len(":inbox")])
            except Exception as exc:
                log.warning("chat queue sweep failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.sweep_seconds)

    async def close(self, timeout: float) -> None:
        """Stops taking chats; the ones being handled finish their current update."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        drains = list(self._drains.values())
        if drains:
            _, late = await asyncio.wait(drains, timeout=timeout)
            for task in late:
                task.cancel()
