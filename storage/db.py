"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (asyncpg).

The ledger holds personal data, so a SQLite database and its directory are private to the
owner (0600 / 0700), and no engine puts SQL parameters (names, texts) into its error
messages (`hide_parameters`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.db_failures import RESET_INTERVAL_SECONDS, failure_kind
from storage.db_failures import unwritable_reason as unwritable_reason
from storage.sqlite_files import DatabasePathError as DatabasePathError
from storage.sqlite_files import guard_shared_memory, prepare_sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration; a test keeps it equal to Alembic's head. Checking it with one query
# spares importing Alembic (about half a second) at every start of an up-to-date database.
HEAD_REVISION = "0007"
# Any constant: taken for the migration's transaction, so processes starting (or recovering)
# together upgrade one after the other instead of creating the same tables twice.
MIGRATION_LOCK_KEY = 0x6272_616E_6368  # "branch"
log = logging.getLogger(__name__)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """The write lock is taken at BEGIN, so what a batch reads cannot change before it writes
    (a deferred BEGIN would let another writer in between, and fail the upgrade)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _own_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN is replaced by ours


Result = TypeVar("Result")


async def _in_thread(
    where: tuple[Engine, ThreadPoolExecutor], work: Callable[..., Result], args: tuple[Any, ...]
) -> Result:
    """`work` in one transaction on that engine, in its thread (one hop from the loop)."""
    engine, thread = where

    def in_transaction() -> Result:
        with engine.begin() as connection:
            return work(connection, *args)

    return await asyncio.get_running_loop().run_in_executor(thread, in_transaction)


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
        # Worked out once: every write asks, and parsing the URL costs 20 µs a press.
        self._on_file = bool(parsed.database) and parsed.database != ":memory:"
        if self.is_sqlite and self._sqlite_file() and parsed.query.get("uri") != "true":
            prepare_sqlite_file(Path(parsed.database or ""))  # a `file:` URI is left as given
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=not self.is_sqlite, hide_parameters=True
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
            self._guard_file(self.engine.sync_engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer: tuple[Engine, ThreadPoolExecutor] | None = None
        self._reader: tuple[Engine, ThreadPoolExecutor] | None = None
        self._writer_engine: AsyncEngine | None = None
        self._recovering: asyncio.Lock | None = None
        self._reset_at = float("-inf")

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

    async def write(self, work: Callable[..., Result], *args: Any, atomic: bool = True) -> Result:
        """`work(connection, *args)` for the hot write paths, in one transaction.

        On a SQLite file the whole transaction runs in one hop to a writer thread, on the
        standard driver: aiosqlite makes every statement, fetch and commit a hop of its own
        (about 18 for one press), and those hops, not SQLite, were most of a reply's time.

        Elsewhere it runs on an async connection of the writer's own pool, which skips the
        ping before each use (half a millisecond) and instead, when the server turns out to
        have dropped the connection, runs the work once more on a fresh one. `atomic=False`
        lets each statement commit by itself there, saving the BEGIN and COMMIT round trips
        (on PostgreSQL a third of a reply's time); only for work that is safe to run again
        after a failure half-way, since the caller retries it."""
        if self.is_sqlite and self._sqlite_file():
            if self._writer is None:
                self._writer = self._sqlite_thread("writer", writes=True)
            return await _in_thread(self._writer, work, args)
        for attempt in range(2):
            try:
                async with self._async_writer().connect() as connection:
                    if not atomic:
                        connection = await connection.execution_options(
                            isolation_level="AUTOCOMMIT"
                        )
                    result = await connection.run_sync(work, *args)
                    await connection.commit()
                    return result
            except DBAPIError as exc:
                if attempt or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def read(self, work: Callable[..., Result], *args: Any) -> Result:
        """`work(connection, *args)` for a hot read (the live counts): on a SQLite file in one
        hop to a reader thread with its own connection, which WAL lets read while the writer
        writes; elsewhere on the main pool, so the writer's stays with the writer (a new
        connection takes some 20 ms to make)."""
        if self.is_sqlite and self._sqlite_file():
            if self._reader is None:
                self._reader = self._sqlite_thread("reader", writes=False)
            return await _in_thread(self._reader, work, args)
        async with self.engine.connect() as connection:
            return await connection.run_sync(work, *args)

    def _guard_file(self, engine: Engine) -> None:
        parsed = make_url(self.url)
        if self._sqlite_file() and parsed.query.get("uri") != "true":
            event.listen(engine, "begin", guard_shared_memory(str(parsed.database)))

    def _sqlite_file(self) -> bool:
        return self._on_file  # not in memory (where another connection sees another database)

    def _sqlite_thread(self, name: str, writes: bool) -> tuple[Engine, ThreadPoolExecutor]:
        """A connection on the standard driver with the one thread that uses it."""
        engine = create_engine(make_url(self.url).set(drivername="sqlite"), hide_parameters=True)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        self._guard_file(engine)
        if writes:
            event.listen(engine, "connect", _own_transactions)
            event.listen(engine, "begin", _begin_immediate)
        return engine, ThreadPoolExecutor(1, thread_name_prefix=f"sqlite-{name}")

    def _async_writer(self) -> AsyncEngine:
        if self.is_sqlite:
            return self.engine  # an in-memory database: the one engine there is
        if self._writer_engine is None:
            # The writer's few statements are index lookups whatever their values: one plan
            # made once beats planning each execution (0.1 ms of a press on PostgreSQL).
            self._writer_engine = create_async_engine(
                self.url,
                pool_size=2,
                max_overflow=2,
                pool_use_lifo=True,
                hide_parameters=True,
                connect_args={"server_settings": {"plan_cache_mode": "force_generic_plan"}},
            )
        return self._writer_engine

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
            if not self.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(upgrade)

    async def recover(self, exc: BaseException) -> bool:
        """Called after a unit of work failed with `exc`. True when the failure came from the
        database's state rather than from the work, and that state has been repaired, so the
        caller should run the unit of work once more:

        - the tables are missing (the database was dropped and created again under the
          running bot): migrations run again, on fresh connections;
        - connections were dropped by the server, or their cached statements are stale:
          the pools are emptied, so the next unit of work connects afresh.

        False for anything else (a constraint, a bug, a repair that failed): the caller
        handles `exc` as before. Safe to call from many tasks at once: one repair runs at a
        time, and the pools are emptied at most once a second however many units of work
        report the same event."""
        failure = failure_kind(exc)
        if failure is None:
            return False
        if self._recovering is None:
            self._recovering = asyncio.Lock()
        async with self._recovering:
            try:
                if time.monotonic() - self._reset_at > RESET_INTERVAL_SECONDS:
                    await self._reset_connections()
                    self._reset_at = time.monotonic()
                    log.warning("database connections reset after %s", failure)
                if failure == "schema missing":
                    await self.migrate()
            except Exception:
                log.exception("database recovery failed after %s", failure)
                return False
        return True

    async def _reset_connections(self) -> None:
        """Closes the idle connections of every pool; ones in use are dropped when returned."""
        loop = asyncio.get_running_loop()
        for engine, thread in filter(None, (self._writer, self._reader)):
            await loop.run_in_executor(thread, engine.dispose)
        if self._writer_engine is not None:
            await self._writer_engine.dispose()
        await self.engine.dispose()

    async def close(self) -> None:
        for engine, thread in filter(None, (self._writer, self._reader)):
            await asyncio.get_running_loop().run_in_executor(thread, engine.dispose)
            thread.shutdown()
        self._writer = self._reader = None
        if self._writer_engine is not None:
            await self._writer_engine.dispose()
            self._writer_engine = None
        await self.engine.dispose()
