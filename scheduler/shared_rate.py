"""Telegram's sending limits shared by every process of one bot, through Redis.

Telegram counts a bot's messages per bot, not per process: three webhook workers and the
scheduler that each kept their own 30/s window would together send up to 120/s and be
flood-limited. Each send asks Redis for a slot instead; one Lua script checks and takes it
atomically, with Redis's own clock, so the workers' clocks never have to agree. The windows
are sliding logs (sorted sets), the same shape `Delivery` keeps locally, and a 429 seen by
one worker pauses them all.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from scheduler.limits import Limits

IN_FLIGHT_MS = 40_000  # longer than any request may take (the transports give up at 30 s)

# KEYS: global window, chat window, pause key.
# ARGV: global limit, global window ms, chat limit, chat window ms, member, in-flight ms.
# Returns 0 when the slot is taken, else milliseconds to wait before asking again.
# A send counts from the moment its answer comes back (`_SETTLE`); until then it is in
# flight and stamped in the future, so it never leaves a window early however long it takes
# to reach Telegram (a busy machine can hold a request back for a second). A process that
# dies mid-send frees its slot once the in-flight time has passed.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return paused - now end
local wait = 0
local limits = {{KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])},
                {KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4])}}
for _, w in ipairs(limits) do
  redis.call('ZREMRANGEBYSCORE', w[1], '-inf', now - w[3])
  local count = redis.call('ZCARD', w[1])
  if count >= w[2] then
    local oldest = redis.call('ZRANGE', w[1], count - w[2], count - w[2], 'WITHSCORES')
    local stamp = tonumber(oldest[2])
    if stamp > now then
      wait = math.max(wait, 20)
    else
      wait = math.max(wait, stamp + w[3] - now)
    end
  end
end
if wait > 0 then return math.max(1, wait) end
for _, w in ipairs(limits) do
  redis.call('ZADD', w[1], now + tonumber(ARGV[6]), ARGV[5])
  redis.call('PEXPIRE', w[1], w[3] + tonumber(ARGV[6]) + 1000)
end
return 0
"""

# A send's stamp moves to the moment its answer came back (see `_Window.settle`).
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1])
return now
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000)
end
return until_ms
"""


def process_tag() -> str:
    """Distinguishes this process's stamps from another worker's in the shared windows."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SharedGate:
    """The slots of `Delivery`, taken in Redis instead of in this process's memory."""

    def __init__(
        self,
        redis: Any,
        namespace: str,
        limits: Limits,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:rate"
        self.limits = limits
        self.sleep = sleep
        self._tag = f"{process_tag()}:{id(self):x}"
        self._numbers = itertools.count(1)
        self._acquire = redis.register_script(_ACQUIRE)
        self._settle = redis.register_script(_SETTLE)
        self._pause = redis.register_script(_PAUSE)

    def _keys(self, chat_id: str) -> tuple[str, str]:
        return f"{self.prefix}:global", f"{self.prefix}:chat:{chat_id}"

    async def acquire(self, chat_id: str, is_group: bool) -> str:
        """Waits for a slot in the bot's window and the chat's; returns the stamp's name."""
        lim = self.limits
        if is_group:
            chat_limit, chat_seconds = lim.group_messages, lim.group_seconds
        else:
            chat_limit, chat_seconds = lim.private_messages, lim.private_seconds
        global_key, chat_key = self._keys(chat_id)
        member = f"{self._tag}:{next(self._numbers)}"
        args = [
            lim.global_messages,
            round(lim.global_seconds * lim.margin * 1000),
            chat_limit,
            round(chat_seconds * lim.margin * 1000),
            member,
            IN_FLIGHT_MS,
        ]
        while wait_ms := int(
            await self._acquire(keys=[global_key, chat_key, f"{self.prefix}:pause"], args=args)
        ):
            await self.sleep(wait_ms / 1000)
        return member

    async def settle(self, chat_id: str, member: str) -> None:
        await self._settle(keys=list(self._keys(chat_id)), args=[member])

    async def pause(self, seconds: float) -> None:
        """A 429 holds back every worker, as Telegram's flood control is per bot."""
        await self._pause(keys=[f"{self.prefix}:pause"], args=[max(1, round(seconds * 1000))])
