"""Delivery under Telegram's limits, on virtual time: minutes of waiting run in milliseconds
and every timestamp is exact, so the limits are checked to the millisecond."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Iterable
from typing import Any

import pytest

from bot.contract import Action, AnswerButton, EditText, SendFile, SendPicture, SendText
from bot.transports.common import is_group_chat
from scheduler.delivery import (
    UNCONFIRMED,
    BadRequest,
    Delivery,
    Forbidden,
    NotModified,
    RetryAfter,
    TransientError,
)
from scheduler.limits import Limits

SECRET = "机密文本"  # message text that must never reach a log line
GROUP, OTHER_GROUP, PRIVATE, OTHER_PRIVATE = "-100", "-200", "7", "8"


class VirtualTime:
    """A clock that moves only when every task is waiting on it, to the earliest wake-up."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, awaitable: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(awaitable)
        while True:
            await _settle()
            if task.done():
                return task.result()
            assert self._timers, "deadlock: no task can run and none is sleeping"
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            if not future.done():
                future.set_result(None)


async def _settle() -> None:
    """Yields until no other callback is ready (CPython's loop keeps them in `_ready`)."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0)
    for _ in range(100_000):
        if not getattr(loop, "_ready", ()):
            return
        await asyncio.sleep(0)


class FakeSender:
    """Records (chat_id, action, time) of every call; raises the errors scripted per chat."""

    def __init__(self, vt: VirtualTime, errors: dict[int, Iterable[Exception]] | None = None):
        self.vt = vt
        self.calls: list[tuple[int, Action, float]] = []
        self.errors = {chat: list(errs) for chat, errs in (errors or {}).items()}
        self.ids = itertools.count(1)

    async def perform(self, chat_id: str, action: Action) -> int | None:
        self.calls.append((chat_id, action, self.vt.now))
        await asyncio.sleep(0)  # a real call suspends; let others interleave
        if self.errors.get(chat_id):
            raise self.errors[chat_id].pop(0)
        return None if isinstance(action, AnswerButton) else next(self.ids)

    def times(self, chat_id: str | None = None) -> list[float]:
        return [t for c, _, t in self.calls if chat_id is None or c == chat_id]


def make(
    errors: dict[int, Iterable[Exception]] | None = None, **kwargs: Any
) -> tuple[VirtualTime, FakeSender, Delivery]:
    vt = VirtualTime()
    raw = FakeSender(vt, errors)
    kwargs.setdefault("is_group", is_group_chat)
    return vt, raw, Delivery(raw, clock=vt.clock, sleep=vt.sleep, **kwargs)


def max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < seconds) for i, start in enumerate(times))


async def test_order_is_kept_within_a_chat() -> None:
    # The first message needs a retry: the others must wait for it, not overtake it.
    vt, raw, delivery = make({PRIVATE: [TransientError("timeout")]})
    texts = [f"m{i}" for i in range(10)]
    ids = await vt.run(asyncio.gather(*(delivery.send(PRIVATE, SendText(t)) for t in texts)))
    assert [a.text for _, a, _ in raw.calls] == ["m0", *texts]
    assert ids == sorted(ids) and None not in ids
    batch = [SendText("a"), EditText(1, "b"), SendText("c")]
    assert len(await vt.run(delivery.send_all(GROUP, batch))) == 3
    assert [a for c, a, _ in raw.calls if c == GROUP] == batch


async def test_global_limit_across_many_chats() -> None:
    vt, raw, delivery = make()
    await vt.run(
        asyncio.gather(*(delivery.send(chat, SendText("x")) for chat in map(str, range(1, 61))))
    )
    assert len(raw.calls) == 60
    assert vt.now >= 1.0
    assert max_in_window(raw.times(), 1.0) <= 30


@pytest.mark.parametrize(
    ("chat", "count", "expected"),
    [
        # A group: 20 at once, then the 21st once the first has left the (stretched) minute.
        (GROUP, 25, [0.0] * 20 + [63.0] * 5),
        # A private chat: a burst of 3, then 3 more per stretched second.
        (PRIVATE, 8, [0.0] * 3 + [1.05] * 3 + [2.1] * 2),
    ],
)
async def test_chat_limits(chat: str, count: int, expected: list[float]) -> None:
    vt, raw, delivery = make()
    await vt.run(asyncio.gather(*(delivery.send(chat, SendText(str(i))) for i in range(count))))
    assert raw.times(chat) == pytest.approx(expected)


async def test_edits_count_like_messages() -> None:
    vt, raw, delivery = make()
    sends = [delivery.send(PRIVATE, EditText(i, "x")) for i in range(4)]
    await vt.run(asyncio.gather(*sends))
    assert raw.times() == pytest.approx([0.0, 0.0, 0.0, 1.05])


async def test_answer_button_is_not_rate_limited_and_takes_no_slot() -> None:
    vt, raw, delivery = make()
    answers = [delivery.send(PRIVATE, AnswerButton(str(i))) for i in range(50)]
    others = [delivery.send(str(chat), SendText("x")) for chat in range(100, 130)]
    await vt.run(asyncio.gather(*answers, *others))
    assert len(raw.calls) == 80
    assert set(raw.times()) == {0.0}


async def test_retry_after_is_honoured_for_the_chat_and_everyone() -> None:
    vt, raw, delivery = make({PRIVATE: [RetryAfter(5)]})

    async def scenario() -> list[int | None]:
        first = asyncio.ensure_future(delivery.send(PRIVATE, SendText("one")))
        await vt.sleep(0.1)  # the 429 has arrived
        return await asyncio.gather(
            first,
            delivery.send(PRIVATE, SendText("two")),
            delivery.send(OTHER_PRIVATE, SendText("elsewhere")),
        )

    ids = await vt.run(scenario())
    assert None not in ids
    times = raw.times(PRIVATE)
    assert times[0] == 0.0 and all(t >= 5.0 for t in times[1:])
    assert [a.text for c, a, _ in raw.calls if c == PRIVATE] == ["one", "one", "two"]
    assert raw.times(OTHER_PRIVATE) == [pytest.approx(5.0)]  # flood control is per bot
    assert delivery.stats.retried_429 == 1 and delivery.stats.sent == 3


@pytest.mark.parametrize(("floods", "delivered"), [(12, True), (16, False)])
async def test_repeated_429s_only_fail_after_ten(floods: int, delivered: bool) -> None:
    vt, raw, delivery = make({PRIVATE: [RetryAfter(1)] * floods})
    message_id = await vt.run(delivery.send(PRIVATE, SendText("x")))
    assert (message_id is not None) is delivered
    assert len(raw.calls) == (floods + 1 if delivered else floods)


async def test_forbidden_marks_the_chat_dead_once() -> None:
    dead: list[int] = []

    async def on_forbidden(chat_id: str) -> None:
        dead.append(chat_id)

    vt, raw, delivery = make({GROUP: [Forbidden("kicked")]}, on_forbidden=on_forbidden)
    results = await vt.run(
        asyncio.gather(
            *(delivery.send(GROUP, SendText(str(i))) for i in range(4)),
            delivery.send(OTHER_GROUP, SendText("fine")),
        )
    )
    assert results[:4] == [None] * 4 and results[4] is not None
    assert dead == [GROUP]
    assert raw.times(GROUP) == [0.0]  # the rest were dropped without a call
    assert await vt.run(delivery.send(GROUP, SendText("later"))) is None
    assert len(raw.calls) == 2
    assert delivery.stats.forbidden == 1 and delivery.stats.dropped == 4
    delivery.revive(GROUP)
    assert await vt.run(delivery.send(GROUP, SendText("back"))) is not None


async def test_failing_on_forbidden_hook_does_not_raise() -> None:
    async def broken(chat_id: str) -> None:
        raise RuntimeError("database down")

    vt, _, delivery = make({PRIVATE: [Forbidden("blocked")]}, on_forbidden=broken)
    assert await vt.run(delivery.send(PRIVATE, SendText("x"))) is None


@pytest.mark.parametrize(
    ("failures", "delivered", "times"),
    [
        (2, True, [0.0, 0.5, 1.5]),
        (6, False, [0.0, 0.5, 1.5, 3.5, 7.5, 15.5]),
    ],
)
async def test_transient_errors_back_off_then_give_up(
    failures: int, delivered: bool, times: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    vt, raw, delivery = make({PRIVATE: [TransientError("timeout")] * failures})
    with caplog.at_level(logging.DEBUG, logger="scheduler.delivery"):
        message_id = await vt.run(delivery.send(PRIVATE, SendText(SECRET)))
    assert (message_id is not None) is delivered
    assert raw.times() == pytest.approx(times)
    assert any(r.levelno == logging.ERROR for r in caplog.records) is not delivered
    assert SECRET not in caplog.text


async def test_backoff_is_capped() -> None:
    vt, raw, delivery = make({PRIVATE: [TransientError("5xx")] * 7}, limits=Limits(max_attempts=8))
    assert await vt.run(delivery.send(PRIVATE, SendText("x"))) is not None
    gaps = [b - a for a, b in itertools.pairwise(raw.times())]
    assert gaps == pytest.approx([0.5, 1, 2, 4, 8, 8, 8])


@pytest.mark.parametrize(
    ("error", "level"),
    [
        (NotModified("message is not modified"), None),
        (BadRequest("can't parse entities"), logging.WARNING),
        (RuntimeError("transport bug"), logging.ERROR),
    ],
)
async def test_failures_that_are_not_retried(
    error: Exception, level: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    vt, raw, delivery = make({PRIVATE: [error]})
    with caplog.at_level(logging.DEBUG, logger="scheduler.delivery"):
        assert await vt.run(delivery.send(PRIVATE, EditText(1, SECRET))) is None
    assert len(raw.calls) == 1
    assert [r.levelno for r in caplog.records] == ([level] if level else [])
    assert SECRET not in caplog.text and str(error) not in caplog.text


@pytest.mark.parametrize(
    "action",
    [
        SendText(SECRET, chat_id=PRIVATE),
        SendFile("a.xlsx", b"x", chat_id=PRIVATE),
        SendPicture(b"x", chat_id=PRIVATE),
    ],
)
async def test_an_action_addressed_elsewhere_is_limited_as_its_own_chat(action: Action) -> None:
    vt, raw, delivery = make()
    await vt.run(asyncio.gather(*(delivery.send(GROUP, action) for _ in range(4))))
    assert {c for c, _, _ in raw.calls} == {PRIVATE}
    assert raw.times() == pytest.approx([0.0, 0.0, 0.0, 1.05])


async def test_fan_out_to_a_thousand_groups() -> None:
    vt, raw, delivery = make()
    groups = [str(-1000 - i) for i in range(1000)]
    ids = await vt.run(asyncio.gather(*(delivery.send(g, SendText("提醒")) for g in groups)))
    assert 33.0 <= vt.now <= 38.0
    assert sorted(c for c, _, _ in raw.calls) == sorted(groups)
    assert None not in ids and len(set(ids)) == 1000
    assert max_in_window(raw.times(), 1.0) <= 30
    assert delivery.stats.sent == 1000


async def test_state_of_quiet_chats_is_forgotten() -> None:
    vt, _, delivery = make()
    await vt.run(asyncio.gather(*(delivery.send(str(-i), SendText("x")) for i in range(1, 101))))
    await vt.run(vt.sleep(64))
    await vt.run(delivery.send(GROUP, SendText("x")))
    assert set(delivery._chats) == {GROUP}


def test_a_window_counts_a_send_from_its_answer_when_that_came_late() -> None:
    """A request that reached the server late (a busy loop, a slow network) must not let the
    next one in early: the server may have seen it as late as its answer."""
    from scheduler.delivery import _Window

    window = _Window(limit=2, seconds=1.0)
    window.times.extend([0.0, 0.1])
    assert window.wait(1.0) == pytest.approx(0.0)
    window.settle(0.0, 0.6)
    assert window.wait(1.0) == pytest.approx(0.6)
    window.settle(0.1, 0.05)  # an answer cannot make a send earlier than it was granted
    assert list(window.times) == [0.6, 0.1]


@pytest.mark.parametrize(
    ("action", "attempts", "result"),
    [
        # A new message whose answer was lost may have arrived: never sent a second time.
        (SendText("x"), 1, UNCONFIRMED),
        (SendFile(b"data", "a.xlsx"), 1, UNCONFIRMED),
        # Edits and button answers are idempotent: repeated until they get through.
        (EditText(5, "x"), 2, 5),
        (AnswerButton("q1"), 2, None),
    ],
)
async def test_a_send_that_may_have_arrived_is_not_repeated(
    action: Action, attempts: int, result: int | None
) -> None:
    vt, raw, delivery = make({GROUP: [TransientError("read timeout", maybe_sent=True)]})
    raw.ids = itertools.count(5)
    assert await vt.run(delivery.send(GROUP, action)) == result
    assert len(raw.calls) == attempts
    assert delivery.stats.unconfirmed == (attempts == 1)


async def test_a_refused_connection_is_retried_for_every_kind() -> None:
    vt, raw, delivery = make({GROUP: [TransientError("connection refused", maybe_sent=False)]})
    assert await vt.run(delivery.send(GROUP, SendText("x"))) == 1
    assert len(raw.calls) == 2
