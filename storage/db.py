"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration; a test keeps it equal to Alembic's head. Checking it with one query
# spares importing Alembic (about half a second) at every start of an up-to-date database.
HEAD_REVISION = "0002"


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config() -> Config:
    from alembic.config import Config  # Alembic is imported only when migrating

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


class _LazySession:
    """Stands in for an AsyncSession until something is asked of it, then is that session."""

    def __init__(self, make: async_sessionmaker[AsyncSession]) -> None:
        self.make = make
        self.made: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self.made is None:
            self.made = self.make()
        return getattr(self.made, name)


class Database:
    """One engine per process; `session()` is one unit of work (commit on success)."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The session is made on first use: many events (a button press handed to the reply
        writer, a help text) never touch the database, and making one costs a fraction of a
        millisecond that shows at a thousand presses a second."""
        lazy = _LazySession(self.sessions)
        try:
            yield lazy  # type: ignore[misc]
        except BaseException:
            if lazy.made is not None:
                await lazy.made.rollback()
                await lazy.made.close()
            raise
        if lazy.made is not None:
            try:
                await lazy.made.commit()
            finally:
                await lazy.made.close()

    async def current_revision(self) -> str | None:
        async with self.engine.connect() as connection:
            try:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            except DBAPIError:
                return None
            return result.scalar_one_or_none()

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        if await self.current_revision() == HEAD_REVISION:
            return
        from alembic import command

        def upgrade(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        async with self.engine.begin() as connection:
            await connection.run_sync(upgrade)

    async def close(self) -> None:
        await self.engine.dispose()
