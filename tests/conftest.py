"""Shared fixtures: a migrated database on a real SQLite file, and on PostgreSQL when
TEST_POSTGRES_URL is set (CI sets it; an unreachable server then fails the tests); a bot of
either framework running against the local Bot API server. Helpers live in modules of their
own (tests/databases.py, telegram_bots.py, processes.py, hostile.py, flow_scripts.py): no
test module imports another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from storage.db import Database
from tests.databases import (
    BACKENDS,
    drop_postgres_database,
    migrated_postgres_database,
    migrated_sqlite_file,
)
from tests.telegram_bots import FRAMEWORKS, WEBHOOK_SECRET, Bot, Running, free_port, start_bot
from tests.telegram_server import FakeTelegram


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or writes into ./data."""
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_USER_IDS", "BOT_FRAMEWORK", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRANCHBOT_DOTENV", str(tmp_path / "absent.env"))


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database; parametrised over SQLite and (when configured) PostgreSQL."""
    if request.param == "sqlite":
        await migrated_sqlite_file(tmp_path / "test.db")
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        url = await migrated_postgres_database()
    db = Database(url)
    await db.migrate()
    try:
        yield db
    finally:
        await db.close()
        if request.param == "postgresql":
            await drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database's URL, for tests that start and restart whole services on it."""
    if request.param == "sqlite":
        await migrated_sqlite_file(tmp_path / "bot.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    url = await migrated_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    await migrated_sqlite_file(tmp_path / "test.db")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await db.migrate()
    yield db
    await db.close()


TELEGRAM_ADMIN = "909"  # a 工委 admin of the `telegram` fixture's bot


@pytest.fixture
async def telegram(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    framework, mode = request.param
    server = await FakeTelegram.start()
    webhook = f"http://127.0.0.1:{free_port()}/telegram/hook" if mode == "webhook" else ""
    settings = Settings(
        bot_token="123456:TEST",
        bot_framework=framework,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        webhook_url=webhook,
        webhook_secret=WEBHOOK_SECRET if webhook else "",
        webhook_listen=webhook.split("/")[2] if webhook else "127.0.0.1:8080",
        cache_dir=tmp_path / "cache",
        admin_user_ids=frozenset({TELEGRAM_ADMIN}),
    )
    server.calls.clear()
    running = Running(server, settings, *await start_bot(server, settings))
    try:
        yield running
    finally:
        running.stop.set()
        await asyncio.wait_for(running.task, 20)
        await server.stop()


@pytest.fixture(params=FRAMEWORKS)
async def bot(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bot]:
    server = await FakeTelegram.start()
    settings = Settings(
        bot_token="123456:TEST",
        bot_framework=request.param,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        cache_dir=tmp_path / "cache",
    )
    running = Bot(server, settings, *await start_bot(server, settings, tick_seconds=0.2))
    try:
        yield running
    finally:  # the running bot: a test may have restarted it
        running.stop.set()
        await asyncio.wait_for(running.task, 20)
        await server.stop()
