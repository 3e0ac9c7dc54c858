"""Outbound delivery: every message the bot sends goes through here, whichever framework is
the transport, so Telegram's limits, retries and failure handling behave identically.

A transport only implements `RawSender.perform` and translates its framework's errors into
the exceptions below. `Delivery` never raises to its caller: a reminder fan-out must go on to
the other groups when one of them fails. Logs carry chat ids, method names and counts only,
never message text or names.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.contract import Action, AnswerButton, EditText
from scheduler.limits import Limits

if TYPE_CHECKING:
    from scheduler.shared_rate import SharedGate

log = logging.getLogger(__name__)
DEFAULT_LIMITS = Limits()
Result = TypeVar("Result")

# Tolerance for float round-off between `clock() + wait` and the instant a window frees.
_EPS = 1e-9
FREE_429_RETRIES = 10  # flood waits are expected under load; only a storm of them is a failure
# What `send` returns for a message whose request reached Telegram but whose answer never came
# back: it was probably sent, so it is never sent again (a duplicate is worse than a lost
# message id); its id is unknown.
UNCONFIRMED = 0


class DeliveryError(Exception):
    """Base of the errors a transport raises from `perform`."""


class RetryAfter(DeliveryError):
    """429: flood control; the request may be repeated after `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = float(seconds)


class Forbidden(DeliveryError):
    """403: the bot was removed from the group or blocked by the user."""


class NotModified(DeliveryError):
    """400 "message is not modified": the edit is already in place, so it counts as done."""


class BadRequest(DeliveryError):
    """Any other 400: repeating the same request cannot succeed."""


class TransientError(DeliveryError):
    """Network errors, timeouts, 5xx: worth repeating after a pause.

    `maybe_sent` when the request may have reached Telegram (a read timeout, a dropped
    connection after sending): repeating a new message then risks sending it twice."""

    def __init__(self, message: str = "", *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class RawSender(Protocol):
    async def perform(self, chat_id: str, action: Action) -> int | None:
        """One Bot API call; the new message id for SendText/SendFile/SendPicture."""
        ...


@dataclass
class DeliveryStats:
    sent: int = 0
    unconfirmed: int = 0
    retried_429: int = 0
    transient_retries: int = 0
    forbidden: int = 0
    dropped: int = 0


class _Window:
    """The last `limit` send times: a slot is free once the oldest of them leaves the window."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.seconds = seconds
        self.times: deque[float] = deque(maxlen=limit)

    def wait(self, now: float) -> float:
        if len(self.times) < (self.times.maxlen or 0):
            return 0.0
        return self.times[0] + self.seconds - now

    def idle(self, now: float) -> bool:
        return not self.times or self.times[-1] + self.seconds <= now

    def settle(self, stamp: float, now: float) -> None:
        """The send granted at `stamp` got its answer at `now`: the server saw it in between,
        so counting from `now` stays safe however late the request reached the wire."""
        for index in range(len(self.times) - 1, -1, -1):
            if self.times[index] == stamp:
                self.times[index] = max(stamp, now)
                return


@dataclass
class _Chat:
    window: _Window
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # keeps the chat's order
    users: int = 0  # senders holding or awaiting the lock: the state must outlive them


async def _unless_unavailable(call: Awaitable[Result]) -> Result | None:
    """A shared-limit call; Redis gone is logged and read as "count locally" (None)."""
    try:
        return await call
    except Exception as exc:
        log.warning("shared rate limit unavailable (%s): counting locally", type(exc).__name__)
        return None


class Delivery:
    """The Messenger every transport and the scheduler send through."""

    def __init__(
        self,
        raw: RawSender,
        *,
        is_group: Callable[[int], bool],  # the platform knows which chats have group limits
        on_forbidden: Callable[[int], Awaitable[None]] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        shared: SharedGate | None = None,
    ) -> None:
        self.raw = raw
        self.shared = shared  # several processes of one bot: the limits are counted in Redis
        self.is_group = is_group
        self.on_forbidden = on_forbidden
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.stats = DeliveryStats()
        self._global = _Window(limits.global_messages, limits.global_seconds * limits.margin)
        # Slots are handed out in arrival order: asyncio.Lock wakes its waiters FIFO.
        self._global_lock = asyncio.Lock()
        self._paused_until = 0.0  # flood control is per bot: one 429 pauses everybody
        self._chats: dict[int, _Chat] = {}
        self._dead: set[int] = set()
        self._swept = clock()

    async def send(self, chat_id: str, action: Action) -> int | None:
        target = getattr(action, "chat_id", None) or chat_id
        if target in self._dead:
            self.stats.dropped += 1
            return None
        if isinstance(action, AnswerButton):
            return await self._deliver(target, action, None)  # not a message: no limits
        chat = self._chats.get(target) or self._new_chat(target)
        chat.users += 1
        try:
            async with chat.lock:
                return await self._deliver(target, action, chat)
        finally:
            chat.users -= 1
            self._forget_idle()

    async def send_all(self, chat_id: str, actions: Iterable[Action]) -> list[int | None]:
        """One after another, so a reply's messages arrive in the order the core produced."""
        return [await self.send(chat_id, action) for action in actions]

    def revive(self, chat_id: str) -> None:
        """The chat talks to the bot again (re-added, unblocked): deliver there once more."""
        self._dead.discard(chat_id)

    def _new_chat(self, chat_id: str) -> _Chat:
        lim = self.limits
        if self.is_group(chat_id):
            window = _Window(lim.group_messages, lim.group_seconds * lim.margin)
        else:
            window = _Window(lim.private_messages, lim.private_seconds * lim.margin)
        self._chats[chat_id] = _Chat(window)
        return self._chats[chat_id]

    async def _deliver(self, chat_id: str, action: Action, chat: _Chat | None) -> int | None:
        kind = type(action).__name__
        failures = floods = 0
        while chat_id not in self._dead:  # it may die while this send waits its turn
            stamp = shared = None
            if chat is not None:
                shared = await self._shared_slot(chat_id)
                stamp = None if shared is not None else await self._slot(chat)
            try:
                message_id = await self.raw.perform(chat_id, action)
            except RetryAfter as exc:
                # The chat lock keeps this chat's other senders behind us during the wait.
                self._paused_until = max(self._paused_until, self.clock() + exc.seconds)
                await self._shared_pause(exc.seconds)
                log.warning("429 %s chat=%s retry_after=%.1fs", kind, chat_id, exc.seconds)
                self.stats.retried_429 += 1
                floods += 1
                failures += floods > FREE_429_RETRIES
                delay, error = exc.seconds, "RetryAfter"
            except TransientError as exc:
                if exc.maybe_sent and not isinstance(action, AnswerButton | EditText):
                    # Edits and button answers are idempotent; a new message is not.
                    log.warning(
                        "no answer to %s chat=%s: may have been sent; not resent", kind, chat_id
                    )
                    self.stats.unconfirmed += 1
                    return UNCONFIRMED
                failures += 1
                self.stats.transient_retries += failures < self.limits.max_attempts
                delay = min(self.limits.backoff_base * 2 ** (failures - 1), self.limits.backoff_max)
                error = "TransientError"
            except Forbidden:
                await self._forbid(chat_id)
                return None
            except NotModified:
                return None
            except BadRequest:
                log.warning("bad request %s chat=%s: not retried", kind, chat_id)
                self.stats.dropped += 1
                return None
            except Exception as exc:  # a transport bug must not stop a fan-out either
                return self._give_up(kind, chat_id, failures + 1, type(exc).__name__)
            else:
                self.stats.sent += 1
                return message_id
            finally:
                if stamp is not None and chat is not None:
                    now = self.clock()
                    self._global.settle(stamp, now)
                    chat.window.settle(stamp, now)
                if shared is not None:
                    await self._shared_settle(chat_id, shared)
            if failures >= self.limits.max_attempts:
                return self._give_up(kind, chat_id, failures, error)
            await self.sleep(delay)
        self.stats.dropped += 1
        return None

    async def _shared_slot(self, chat_id: str) -> str | None:
        """A slot in the windows all processes share; None (this process's own windows
        instead) without Redis, or while Redis does not answer."""
        if self.shared is None:
            return None
        return await _unless_unavailable(self.shared.acquire(chat_id, self.is_group(chat_id)))

    async def _shared_settle(self, chat_id: str, member: str) -> None:
        assert self.shared is not None
        await _unless_unavailable(self.shared.settle(chat_id, member))

    async def _shared_pause(self, seconds: float) -> None:
        if self.shared is not None:
            await _unless_unavailable(self.shared.pause(seconds))

    async def _slot(self, chat: _Chat) -> float:
        """Waits for the chat's window, then for a global one; the caller holds the chat lock,
        so the chat window can only have freed further by the time the global slot is ours."""
        await self._wait(chat.window.wait)
        async with self._global_lock:
            await self._wait(lambda now: max(self._paused_until - now, self._global.wait(now)))
            now = self.clock()
            self._global.times.append(now)
            chat.window.times.append(now)
            return now

    async def _wait(self, remaining: Callable[[float], float]) -> None:
        while (wait := remaining(self.clock())) > _EPS:
            await self.sleep(wait)

    async def _forbid(self, chat_id: str) -> None:
        if chat_id in self._dead:
            return
        self._dead.add(chat_id)
        self.stats.forbidden += 1
        log.warning("forbidden chat=%s: the bot was removed or blocked; dropping", chat_id)
        if self.on_forbidden is not None:
            try:
                await self.on_forbidden(chat_id)
            except Exception:
                log.exception("on_forbidden failed chat=%s", chat_id)

    def _give_up(self, kind: str, chat_id: str, attempts: int, error: str) -> None:
        log.error("giving up %s chat=%s after %d attempts (%s)", kind, chat_id, attempts, error)
        self.stats.dropped += 1

    def _forget_idle(self) -> None:
        """Drops the state of chats quiet for a whole window, so memory follows activity,
        not the number of chats ever written to."""
        now = self.clock()
        if now - self._swept < self.limits.group_seconds * self.limits.margin:
            return
        self._swept = now
        for chat_id, chat in list(self._chats.items()):
            if chat.users == 0 and chat.window.idle(now):
                del self._chats[chat_id]
