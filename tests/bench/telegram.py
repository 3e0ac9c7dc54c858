"""Telegram figures against the local Bot API server (python -m tests.bench.telegram):

- update handling through the whole stack (update queued at the server -> reply recorded
  there), p50/p99 per framework, next to that framework's bare echo bot in the same run;
- start of a `branchbot run` process to its first update handled, per framework;
- resident memory of a ptb bot process after 10,000 updates from 1,000 users.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.app import build_core
from bot.config import Settings
from bot.transports.run import run_telegram
from tests.telegram_server import FakeTelegram

TOKEN = "123456:BENCH"
SAMPLES = 300
SPACING = 0.04  # 25 updates/s: under Telegram's 30/s, so no reply waits for a send slot


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(server: FakeTelegram, text: str, first_user: int) -> list[float]:
    """Latency of one reply per update, each from a new user (no per-chat pacing)."""
    timings = []
    for i in range(SAMPLES + 20):
        user = await server.user(first_user + i, f"用户{i}")
        chat = await server.private_chat(user)
        count = len(server.messages_to(chat["id"]))
        queued = time.monotonic()
        await server.send_text(user, chat, text)
        reply = await server.wait_for(
            lambda _, c=chat["id"], n=count: (
                len(server.messages_to(c)) > n and server.messages_to(c)[n]
            ),
            timeout=10,
        )
        if i >= 20:  # warm-up excluded
            timings.append((reply["at"] - queued) * 1000)
        await asyncio.sleep(max(0.0, SPACING - (time.monotonic() - queued)))
    return timings


async def our_bot(framework: str, workdir: Path) -> list[float]:
    server = await FakeTelegram.start()
    settings = Settings(
        bot_token=TOKEN,
        bot_framework=framework,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{workdir / f'{framework}.db'}",
        cache_dir=workdir / "cache",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(build_core(settings), stop))
    await server.wait_for(lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 30)
    try:
        return await measure(server, "/help", 1_000_000)
    finally:
        stop.set()
        await task
        await server.stop()


async def echo_ptb(server: FakeTelegram, stop: asyncio.Event) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    app = ApplicationBuilder().token(TOKEN).base_url(f"{server.url}/bot").build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message and update.message.text:
            await context.bot.send_message(update.message.chat_id, update.message.text)

    app.add_handler(TypeHandler(Update, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await stop.wait()
        await app.updater.stop()
        await app.stop()


async def echo_aiogram(server: FakeTelegram, stop: asyncio.Event) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await bot.send_message(chat_id=message.chat.id, text=message.text or "")

    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=True)
    )
    await stop.wait()
    await dispatcher.stop_polling()
    await polling


async def echo_bot(run: Callable[[FakeTelegram, asyncio.Event], Awaitable[None]]) -> list[float]:
    server = await FakeTelegram.start()
    stop = asyncio.Event()
    task = asyncio.create_task(run(server, stop))
    try:
        return await measure(server, "hello", 2_000_000)
    finally:
        stop.set()
        await task
        await server.stop()


def bot_process_env(
    server: FakeTelegram, framework: str, workdir: Path, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_FRAMEWORK=framework,
        TELEGRAM_API_URL=server.url,
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / f'proc-{framework}.db'}",
        CACHE_DIR=str(workdir / "cache"),
        WEBHOOK_URL="",
        LOG_LEVEL="WARNING",
        BRANCHBOT_DOTENV=str(workdir / "none.env"),
        **extra,
    )
    return env


async def start_to_first_update(framework: str, workdir: Path) -> float:
    server = await FakeTelegram.start()
    user = await server.user(42, "书记")
    chat = await server.private_chat(user)
    await server.send_text(user, chat, "/start")
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=bot_process_env(server, framework, workdir)
    )
    try:
        reply = await server.wait_for(lambda _: server.last_message(chat["id"]), timeout=60)
        return reply["at"] - started
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
        await server.stop()


async def memory_after_load(
    workdir: Path, users: int = 1000, per_user: int = 10
) -> tuple[float, float]:
    """RSS (MB) of a ptb bot process after `users × per_user` updates, and the run's seconds."""
    server = await FakeTelegram.start()
    server.rate_limits = False
    env = bot_process_env(server, "ptb", workdir, TELEGRAM_MAX_PER_SECOND="1000")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env)
    texts = [
        "/start",
        "/help",
        "党员活动室六有标准是什么",
        "/menu",
        "三会一课多久开一次",
        "/ledger",
        "今天天气怎么样",
        "/ask 党费按什么比例交",
        "/start",
        "/help",
    ]
    try:
        await server.wait_for(
            lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 60
        )
        started = time.monotonic()
        people: list[tuple[Any, Any]] = []
        for i in range(users):
            user = await server.user(3_000_000 + i, f"党员{i}")
            people.append((user, await server.private_chat(user)))
        for round_ in range(per_user):
            for user, chat in people:
                await server.send_text(user, chat, texts[round_ % len(texts)])
            await server.wait_for(
                lambda _, r=round_: all(len(server.messages_to(c["id"])) > r for _, c in people),
                timeout=300,
            )
        elapsed = time.monotonic() - started
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kb = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        return rss_kb / 1024, elapsed
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
        await server.stop()


def report(name: str, ours: list[float], bare: list[float]) -> None:
    p50, p99 = statistics.median(ours), percentile(ours, 0.99)
    b50, b99 = statistics.median(bare), percentile(bare, 0.99)
    print(
        f"  {name}: ours p50 {p50:.1f} ms p99 {p99:.1f} ms; bare echo p50 {b50:.1f} ms "
        f"p99 {b99:.1f} ms; overhead ×{p50 / b50:.2f} (p50) ×{p99 / b99:.2f} (p99)"
    )


async def main() -> None:
    print("telegram (local Bot API server, real HTTP):")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        report("ptb", await our_bot("ptb", workdir), await echo_bot(echo_ptb))
        report("aiogram", await our_bot("aiogram", workdir), await echo_bot(echo_aiogram))
        for framework in ("ptb", "aiogram"):
            seconds = await start_to_first_update(framework, workdir)
            print(f"  start to first update handled ({framework}): {seconds:.2f} s")
        rss, elapsed = await memory_after_load(workdir)
        print(f"  ptb process after 10,000 updates from 1,000 users: RSS {rss:.0f} MB", end="")
        print(f" ({elapsed:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
