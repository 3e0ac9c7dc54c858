"""A bot running against the local Bot API server (tests/telegram_server/), and what the
Telegram tests do with it: start it, wait for what it said, press its buttons."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_core
from bot.config import Settings
from bot.services import Services
from bot.transports.run import App
from tests.telegram_server import FakeTelegram

WEBHOOK_SECRET = "test-webhook-secret-0123456789"

MODES = [
    pytest.param((framework, mode), id=f"{framework}-{mode}")
    for framework in ("ptb", "aiogram")
    for mode in ("polling", "webhook")
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    server: FakeTelegram
    settings: Settings
    stop: asyncio.Event
    task: asyncio.Task[None]
    app: App

    @property
    def services(self) -> Services:
        """What the running bot's handlers use (connected once it has started)."""
        assert self.app.services is not None
        return self.app.services

    async def restart(self) -> None:
        """Stops the bot process and starts a new one on the same database."""
        self.stop.set()
        await asyncio.wait_for(self.task, 20)
        self.stop, self.task, self.app = await start_bot(
            self.server, self.settings, self.app.tick_seconds
        )


async def start_bot(
    server: FakeTelegram, settings: Settings, tick_seconds: float | None = None
) -> tuple[asyncio.Event, asyncio.Task[None], App]:
    """A bot on a fresh core, running until its stop is set; returns once it has started."""
    stop = asyncio.Event()
    app = App(build_core(settings), stop, tick_seconds)
    task = asyncio.create_task(app.serve())
    method = "setWebhook" if settings.webhook_url else "setMyCommands"
    await server.wait_for(lambda _: any(c["method"] == method for c in server.calls), timeout=15)
    return stop, task, app


def texts(server: FakeTelegram, chat_id: int) -> list[str]:
    return [
        m["text"] or ""
        for m in server.sent
        if m["chat_id"] == chat_id and m["method"] == "sendMessage"
    ]


async def said(
    server: FakeTelegram, chat_id: int, needle: str, timeout: float = 10
) -> dict[str, Any]:
    """Waits for a message (sent or edited) in the chat containing `needle`."""

    def found(sent: list[dict[str, Any]]) -> bool:
        return any(needle in (m.get("text") or "") for m in sent if m["chat_id"] == chat_id)

    await server.wait_for(found, timeout=timeout)
    return next(
        m
        for m in reversed(server.sent)
        if m["chat_id"] == chat_id and needle in (m.get("text") or "")
    )


def button(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise AssertionError(f"no button {label!r} in {message.get('reply_markup')}")


async def survey(server: FakeTelegram, user: dict, chat: dict, answers: list[str]) -> None:
    for answer in answers:
        before = len(server.sent)
        await server.send_text(user, chat, answer)
        await server.wait_for(lambda sent, before=before: len(sent) > before, timeout=10)


FRAMEWORKS = ["ptb", "aiogram"]


Bot = Running  # the `bot` fixture's: one framework, a fast scheduler tick


async def after_ticks(bot: Running, count: int) -> None:
    """Waits until the running bot's scheduler has ticked `count` more times: what it would
    send twice, it would have sent by then."""
    await bot.server.wait_for(lambda _: bot.app.dispatcher is not None, 10)
    assert bot.app.dispatcher is not None
    await asyncio.wait_for(bot.app.dispatcher.after_ticks(count), 10)


def rule_two_days_ahead() -> str:
    """A rule whose next date is two days away: its 3-day reminder is due at once."""
    day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).day
    return f"每月{day}日 23:50"  # that date exists in its own month: no clamping involved


async def bound_group(bot: Bot, chat_id: int, owner_id: int, title: str) -> dict[str, Any]:
    server = bot.server
    owner = await server.user(owner_id, f"书记{owner_id}")
    group = await server.group(chat_id, title, {owner_id: "creator"})
    await server.send_text(owner, group, "/bind")
    await server.wait_for(lambda s: message_with(s, chat_id, "已将本群绑定"), 10)
    return group


def message_with(sent: list[dict[str, Any]], chat_id: int, needle: str) -> dict[str, Any] | None:
    for m in reversed(sent):
        if m["chat_id"] == chat_id and needle in (m.get("text") or ""):
            return m
    return None


async def flood_then_press(
    server: FakeTelegram,
    group: dict[str, Any],
    reminder: dict[str, Any],
    flooder_id: int,
    first_member: int,
) -> dict[str, float]:
    """One member sends /help 30 times, then 10 others press ✅ on the reminder; returns
    each press's query id with the moment it was made."""
    yes = reminder["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    flooder = await server.user(flooder_id, "刷屏的人")
    for _ in range(30):
        await server.send_text(flooder, group, "/help")
    pressed: dict[str, float] = {}
    for i in range(10):
        member = await server.user(first_member + i, f"党员{i}")
        query = await server.press_button(member, group, reminder["message_id"], yes)
        pressed[query] = time.monotonic()
    return pressed


async def all_answered(
    server: FakeTelegram, pressed: dict[str, float], timeout: float
) -> list[dict[str, Any]]:
    """The server's answerCallbackQuery records, once every press in `pressed` has one."""

    def found(sent: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        answers = [m for m in sent if m.get("callback_query_id") in pressed]
        return answers if len(answers) == len(pressed) else None

    return await server.wait_for(found, timeout=timeout)


async def until(get, expected, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Waits until `await get()` equals `expected` (what the bot has written settles)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await get()) != expected:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{value} != {expected}")
        await asyncio.sleep(0.05)
