"""The bot facing the internet, both frameworks, against the local Bot API server: a webhook
never runs without its secret and refuses junk, one member's flood holds nobody else's
buttons, a slow Telegram gets each reply once, and a bot started before Telegram is
reachable (or while it rejects the token) comes up by itself, and a PostgreSQL database
dropped and created again under it is repaired without a restart."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.app import build_core
from bot.config import Settings
from bot.transports import aiogram_transport, common, ptb_transport
from bot.transports.run import App, run_telegram
from tests.databases import (
    POSTGRES_URL,
    drop_postgres_database,
    fresh_postgres_database,
    recreate_postgres_database,
)
from tests.telegram_bots import (
    FRAMEWORKS,
    Bot,
    all_answered,
    bound_group,
    flood_then_press,
    free_port,
    message_with,
    rule_two_days_ahead,
)
from tests.telegram_server import FakeTelegram

TOKEN = "123456:SAFETY-TOKEN-never-logged"


def settings_for(framework: str, api_url: str, tmp_path: Path, **extra: Any) -> Settings:
    fields: dict[str, Any] = {
        "bot_token": TOKEN,
        "bot_framework": framework,
        "telegram_api_url": api_url,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "cache_dir": tmp_path / "cache",
    }
    return Settings(**(fields | extra))


async def started(server: FakeTelegram, settings: Settings) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(build_core(settings), stop))
    await server.wait_for(lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 20)
    return stop, task


async def stopped(stop: asyncio.Event, task: asyncio.Task) -> None:
    stop.set()
    await asyncio.wait_for(task, 20)


def replies_to(server: FakeTelegram, chat_ids: set[int]) -> list[dict[str, Any]]:
    return [m for m in server.sent if m["method"] == "sendMessage" and m["chat_id"] in chat_ids]


# --- 1. the webhook ---------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_webhook_without_a_secret_does_not_start(framework: str, tmp_path: Path) -> None:
    server = await FakeTelegram.start()
    try:
        port = free_port()
        settings = settings_for(
            framework, server.url, tmp_path,
            webhook_url=f"http://127.0.0.1:{port}/hook", webhook_listen=f"127.0.0.1:{port}",
        )  # fmt: skip
        with pytest.raises(common.StartupError, match="WEBHOOK_SECRET"):
            await asyncio.wait_for(run_telegram(build_core(settings), asyncio.Event()), 10)
        assert not [c for c in server.calls if c["method"] in ("getMe", "setWebhook")]
        with pytest.raises(OSError):  # nothing listens where the webhook would have
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
    finally:
        await server.stop()


def test_branchbot_run_says_what_to_set_and_exits_2(tmp_path: Path) -> None:
    """The command a user runs, as a process: a clear Chinese message, no traceback."""
    env = {
        "PATH": "/usr/bin:/bin",
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
        "WEBHOOK_URL": "https://bot.example.org/hook",
        "BRANCHBOT_DOTENV": str(tmp_path / "absent.env"),
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "branchbot"), "run"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "WEBHOOK_SECRET" in done.stderr and "Traceback" not in done.stderr
    assert TOKEN not in done.stderr + done.stdout


async def test_a_weak_secret_is_refused_before_anything_starts() -> None:
    common.check_webhook_settings("https://example.org/hook", "a" * 16)
    for secret in ("", "short", "has space in it 12345", "中文密钥中文密钥中文密钥中文密钥"):
        with pytest.raises(common.StartupError):
            common.check_webhook_settings("https://example.org/hook", secret)
    common.check_webhook_settings("", "")  # long polling needs none


async def test_webhook_receiver_refuses_forged_and_junk_posts() -> None:
    secret = "receiver-secret-0123456789"
    accepted: list[dict[str, Any]] = []

    async def accept(update: dict[str, Any]) -> None:
        accepted.append(update)

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    with pytest.raises(common.StartupError):
        await common.start_webhook_receiver(url, "", f"127.0.0.1:{port}", accept)
    stop = await common.start_webhook_receiver(url, secret, f"127.0.0.1:{port}", accept)
    forged = {"update_id": 1, "message": {"chat": {"id": -1, "type": "group"}, "text": "/bind"}}
    deep = "[" * 100_000 + "]" * 100_000
    nested = {"update_id": 2, "message": {}}
    node: dict[str, Any] = nested["message"]  # type: ignore[assignment]
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    try:
        async with ClientSession() as http:

            async def post(body: str, headers: dict[str, str]) -> int:
                kind = {"Content-Type": "application/json"}
                async with http.post(url, data=body, headers=kind | headers) as response:
                    return response.status

            good = {common.SECRET_HEADER: secret}
            assert await post(json.dumps(forged), {}) == 403
            assert await post(json.dumps(forged), {common.SECRET_HEADER: "wrong"}) == 403
            assert await post(deep, good) == 400
            assert await post(json.dumps(nested), good) == 400
            assert await post("[1, 2]", good) == 400
            assert await post("not json", good) == 400
            assert accepted == []
            assert await post(json.dumps(forged), good) == 200
            assert accepted == [forged]
    finally:
        await stop()


# --- 3. one member's flood --------------------------------------------------------------------


async def test_a_flooding_member_holds_back_nobody(bot: Bot) -> None:
    server = bot.server
    group = await bound_group(bot, -100700, 1, "第七支部群")
    await server.send_text(1, group, f"/themeday {rule_two_days_ahead()}")
    reminder = await server.wait_for(lambda s: message_with(s, -100700, "【支部主题党日提醒】"), 10)
    pressed = await flood_then_press(server, group, reminder, flooder_id=2000, first_member=3000)
    answers = await all_answered(server, pressed, timeout=20)
    delays = [m["at"] - pressed[m["callback_query_id"]] for m in answers]
    assert max(delays) <= 1.0, delays
    # Another member's question is answered at once: the flood was throttled, not queued.
    asked = time.monotonic()
    await server.send_text(3001, group, "/help")
    help_text = bot.services.content.text("help")[:20]

    def help_after(sent: list[dict[str, Any]]) -> bool:
        return any(
            m["chat_id"] == -100700 and (m.get("text") or "").startswith(help_text)
            and m["at"] > asked
            for m in sent
        )  # fmt: skip

    await server.wait_for(help_after, timeout=5)
    helps = [m for m in replies_to(server, {-100700}) if (m["text"] or "").startswith(help_text)]
    assert len(helps) <= 6  # the flooder's burst and the other member's one


# --- 4. a slow Telegram -----------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_slow_answers_send_each_reply_once(framework: str, tmp_path: Path) -> None:
    """Answers slower than python-telegram-bot's own 5 s default once made it send again."""
    server = await FakeTelegram.start()
    stop, task = await started(server, settings_for(framework, server.url, tmp_path))
    try:
        chats = set()
        for i in range(6):
            user = await server.user(4000 + i, f"用户{i}")
            chats.add((await server.private_chat(user))["id"])
        server.slow("sendMessage", 7.0, times=6)
        for chat_id in chats:
            await server.send_text(chat_id, chat_id, "/help")
        await server.wait_for(lambda _: len(replies_to(server, chats)) >= 6, timeout=20)
        # A second message in each chat: replies go out in order per chat, so a wrong second
        # attempt of the first would land before the answer to this one.
        for chat_id in chats:
            await server.send_text(chat_id, chat_id, "/menu")
        await server.wait_for(lambda _: len(replies_to(server, chats)) >= 12, timeout=20)
        assert sorted(m["chat_id"] for m in replies_to(server, chats)) == sorted([*chats, *chats])
    finally:
        await stopped(stop, task)
        await server.stop()


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_an_answer_that_never_comes_is_not_sent_twice(
    framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hang past the framework's timeout: the message may have arrived, so it is not sent
    again; the next message goes out as usual."""
    for module in (ptb_transport, aiogram_transport):
        monkeypatch.setattr(module, "REQUEST_TIMEOUT", 1.0)
    server = await FakeTelegram.start()
    stop, task = await started(server, settings_for(framework, server.url, tmp_path))
    try:
        user = await server.user(4100, "用户")
        chat_id = (await server.private_chat(user))["id"]
        server.slow("sendMessage", 3.0, times=1)
        await server.send_text(user, chat_id, "/help")
        await server.wait_for(lambda _: replies_to(server, {chat_id}), timeout=10)
        # Replies go out in order per chat: a wrong second attempt would come before /menu's.
        await server.send_text(user, chat_id, "/menu")
        await server.wait_for(lambda _: len(replies_to(server, {chat_id})) >= 2, timeout=10)
        first, second = replies_to(server, {chat_id})
        assert first["text"] != second["text"]  # the help, then the menu: no repeat between
    finally:
        await stopped(stop, task)
        await server.stop()


# --- 6. start-up while Telegram is away -------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_started_before_telegram_is_reachable_it_comes_up(
    framework: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(common, "STARTUP_FIRST_DELAY", 0.2)
    port = free_port()
    settings = settings_for(framework, f"http://127.0.0.1:{port}", tmp_path)
    stop = asyncio.Event()
    app = App(build_core(settings), stop)
    task = asyncio.create_task(app.serve())
    server = None
    try:
        caplog.set_level(logging.WARNING, logger="bot.transports.common")

        def failed_attempts() -> int:
            return sum("connecting to Telegram failed" in r.getMessage() for r in caplog.records)

        deadline = time.monotonic() + 10
        while failed_attempts() < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert failed_attempts() >= 3 and not task.done(), "gave up while Telegram was unreachable"
        # Nothing can send yet: no services are connected and no scheduler runs.
        assert app.services is None and app.scheduling == []
        server = await FakeTelegram.start(port=port)
        await server.wait_for(
            lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 20
        )
        assert app.services is not None and len(app.scheduling) == 1
        user = await server.user(4200, "用户")
        await server.private_chat(user)
        await server.send_text(user, user["id"], "/help")
        await server.wait_for(lambda _: replies_to(server, {user["id"]}), timeout=10)
    finally:
        await stopped(stop, task)
        if server is not None:
            await server.stop()


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_rejected_token_is_retried_and_never_logged(
    framework: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(common, "STARTUP_FIRST_DELAY", 0.2)
    caplog.set_level(logging.DEBUG)
    server = await FakeTelegram.start()
    server.fail_next("getMe", 401, times=2, description="Unauthorized")
    stop, task = await started(server, settings_for(framework, server.url, tmp_path))
    try:
        # Libraries' own lines are the logging set-up's concern (tests/test_logs.py).
        ours = "\n".join(
            logging.Formatter().format(r) for r in caplog.records if r.name.startswith("bot")
        )
        assert "rejected BOT_TOKEN" in ours
        assert TOKEN.split(":")[1] not in ours
    finally:
        await stopped(stop, task)
        await server.stop()


# --- 6. the database recreated under the bot --------------------------------------------------


@pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_POSTGRES_URL")
async def test_a_database_recreated_under_the_bot_is_repaired(tmp_path: Path) -> None:
    url = await fresh_postgres_database()
    server = await FakeTelegram.start()
    stop, task = await started(server, settings_for("ptb", server.url, tmp_path, database_url=url))
    try:
        user = await server.user(4300, "用户")
        chat_id = (await server.private_chat(user))["id"]
        apology = build_core(Settings()).content.text("handler_failed")
        for round_ in range(3):
            if round_ == 1:
                await recreate_postgres_database(url)
            before = len(replies_to(server, {chat_id}))
            await server.send_text(user, chat_id, "党费怎么交")  # reads the dialog table first
            await server.wait_for(lambda _, n=before: len(replies_to(server, {chat_id})) > n, 15)
            assert replies_to(server, {chat_id})[-1]["text"] != apology
    finally:
        await stopped(stop, task)
        await server.stop()
        await drop_postgres_database(url)
