"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (asyncpg).

The ledger holds personal data, so a SQLite database and its directory are private to the
owner (0600 / 0700), and no engine puts SQL parameters (names, texts) into its error
messages (`hide_parameters`)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
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
HEAD_REVISION = "0003"
# Any constant: taken for the migration's transaction, so processes starting (or recovering)
# together upgrade one after the other instead of creating the same tables twice.
MIGRATION_LOCK_KEY = 0x6272_616E_6368  # "branch"
# SQLite keeps these beside the database; they hold the same data.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


class DatabasePathError(Exception):
    """The SQLite database's directory or file cannot be made or written: found at start,
    before any work, so the command can say which path and why instead of a traceback."""

    def __init__(self, path: Path, is_directory: bool, code: int, blocker: Path | None = None):
        super().__init__(path, errno.errorcode.get(code, str(code)))
        self.path = path
        self.is_directory = is_directory
        self.code = code
        self.blocker = blocker  # for ENOTDIR: the path component that is a file


def _not_a_directory(path: Path) -> Path | None:
    """The nearest existing path component of `path` that is not a directory, if any."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def _unwritable_code(path: Path) -> int:
    """Why a path that `os.access` refuses cannot be written: read-only mount or permission."""
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return errno.EROFS if read_only else errno.EACCES


def _shared_directory(directory: Path) -> bool:
    """Directories that are not the database's own and must keep their mode: sticky ones
    (/tmp), the working directory and its parents (a checkout, a home), the home directory."""
    try:
        if directory.stat().st_mode & stat.S_ISVTX:
            return True
        resolved = directory.resolve()
        cwd = Path.cwd().resolve()
    except OSError:
        return True
    return resolved == cwd or resolved in cwd.parents or resolved == Path.home().resolve()


def _make_private(path: Path) -> None:
    """Drops the group and other bits of a path we own; others' paths are left alone."""
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and info.st_mode & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass  # gone meanwhile, or not ours to change: SQLite reports what matters


def prepare_sqlite_file(database: Path) -> None:
    """Makes the database's directory (0700) and file (0600, so SQLite's -wal and -shm, which
    copy its mode, are private too), tightens them when they exist with wider modes, and
    checks they can be written. Raises DatabasePathError saying which path and why."""
    directory = database.parent
    blocker = _not_a_directory(directory)
    if blocker is not None:
        raise DatabasePathError(directory, True, errno.ENOTDIR, blocker)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabasePathError(directory, True, exc.errno or errno.EIO) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabasePathError(directory, True, _unwritable_code(directory))
    if database.is_dir():
        raise DatabasePathError(database, False, errno.EISDIR)
    files = [database, *(Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS)]
    for path in files:
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise DatabasePathError(path, False, _unwritable_code(path))
    if not database.exists():
        try:  # an empty file is an empty database to SQLite
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabasePathError(database, False, exc.errno or errno.EIO) from exc
    if not _shared_directory(directory):
        _make_private(directory)
    for path in files:
        _make_private(path)


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


def _guard_shared_memory(database: str) -> Callable[[Connection], None]:
    """SQLite maps a WAL database's `-shm` file into memory. If that file stops being
    writable under the running process (an immutable flag set on it), the next transaction
    touching the mapping kills the process with SIGBUS, beyond any handler. So each
    transaction first checks the file can still be written (one syscall) and fails with
    SQLite's own "read-only" error instead: the user gets an answer, the log says why."""
    shm = f"{database}-shm"

    def check(_connection: Connection) -> None:
        if not os.access(shm, os.W_OK) and os.path.exists(shm):
            error = sqlite3.OperationalError("attempt to write a readonly database")
            error.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
            error.sqlite_errorname = "SQLITE_READONLY"  # type: ignore[attr-defined]
            raise error

    return check


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


Failure = Literal["schema missing", "connection lost"]
RESET_INTERVAL_SECONDS = 1.0
# PostgreSQL: undefined_table; admin_shutdown, crash_shutdown, cannot_connect_now, and a
# database that does not exist (yet: dropped and being created again).
_SCHEMA_SQLSTATES = frozenset({"42P01"})
_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "3D000"})
# asyncpg's names for a connection gone or a statement cache made stale by a schema change.
_CONNECTION_ERRORS = frozenset(
    {"ConnectionDoesNotExistError", "InvalidCachedStatementError", "OutdatedSchemaCacheError"}
)


def _related(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `.orig`) and what it was raised from."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack and len(seen) < 32:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [current.__cause__, current.__context__, getattr(current, "orig", None)]


def failure_kind(exc: BaseException) -> Failure | None:
    """Whether a failed unit of work failed for the database's state (which `recover`
    repairs) rather than its own: tables missing, or a connection gone or stale."""
    kinds: set[str] = set()
    for current in _related(exc):
        sqlstate = getattr(current, "sqlstate", None)
        name = type(current).__name__
        if sqlstate in _SCHEMA_SQLSTATES or (
            name == "OperationalError"
            and type(current).__module__ == "sqlite3"
            and str(current).startswith("no such table")
        ):
            kinds.add("schema missing")
        elif (
            sqlstate in _CONNECTION_SQLSTATES
            or (isinstance(sqlstate, str) and sqlstate.startswith("08"))
            or name in _CONNECTION_ERRORS
            or (isinstance(current, DBAPIError) and current.connection_invalidated)
        ):
            kinds.add("connection lost")
    if "schema missing" in kinds:
        return "schema missing"
    return "connection lost" if kinds else None


# SQLite's result codes (by their names, Python 3.11+) for a database that cannot be written.
_SQLITE_UNWRITABLE = {
    "SQLITE_READONLY": "read-only",
    "SQLITE_CANTOPEN": "cannot open",
    "SQLITE_IOERR": "I/O error",
    "SQLITE_FULL": "disk full",
    "SQLITE_PERM": "permission denied",
}


def unwritable_reason(exc: BaseException) -> str | None:
    """Why SQLite could not write (`read-only`, `cannot open`, `I/O error`, `disk full`,
    `permission denied`), when that is why `exc` happened; for a log line and for choosing
    the user's answer. The codes say nothing of the data."""
    for current in _related(exc):
        name = getattr(current, "sqlite_errorname", None)
        if isinstance(name, str):
            for prefix, reason in _SQLITE_UNWRITABLE.items():
                if name == prefix or name.startswith(prefix + "_"):
                    return reason
    return None


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
            event.listen(engine, "begin", _guard_shared_memory(str(parsed.database)))

    def _sqlite_file(self) -> bool:
        database = make_url(self.url).database
        return bool(database) and database != ":memory:"  # elsewhere: another database

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
