"""The database's files and their failures: private modes, an unwritable directory named
with its reason, SQL parameters kept out of errors, and a PostgreSQL database dropped and
created again under a running bot."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from storage.db import (
    Database,
    DatabasePathError,
    failure_kind,
    prepare_sqlite_file,
    unwritable_reason,
)
from storage.models import Member
from tests.databases import (
    POSTGRES_URL,
    drop_postgres_database,
    fresh_postgres_database,
    recreate_postgres_database,
)
from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.processes import ROOT

# The installed command, importing the tree under test (PYTHONPATH below).
BRANCHBOT = str(Path(sys.executable).with_name("branchbot"))
NAME = "王小明"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def branchbot(
    tmp_path: Path, *args: str, database: Path | str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "LOG_LEVEL")}
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database or tmp_path / 'data' / 'b.db'}",
        "BRANCHBOT_DOTENV": str(tmp_path / "absent.env"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [BRANCHBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=90,
    )


# -- B: private files


def test_database_directory_exports_and_cache_are_private(tmp_path: Path) -> None:
    os.umask(0o022)  # as a login shell leaves it
    migrated = branchbot(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    data = tmp_path / "data"
    assert mode(data) == 0o700
    assert mode(data / "b.db") == 0o600
    branchbot(tmp_path, "console", stdin="\n".join(["/menu", "1", *ENTERPRISE_ANSWERS]) + "\n")
    out = tmp_path / "exports" / "台账.xlsx"
    exported = branchbot(tmp_path, "export", "ledger", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert mode(out) == 0o600 and mode(out.parent) == 0o700
    cached = [p for p in (data / "cache").iterdir() if p.is_file()]
    assert cached, "jieba wrote its cache"
    assert {mode(p) for p in cached} == {0o600} and mode(data / "cache") == 0o700


def test_existing_loose_modes_are_tightened_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("b.db", "b.db-wal", "b.db-shm"):
        (data / name).touch()
        (data / name).chmod(0o644)
    out = tmp_path / "old.xlsx"
    out.write_bytes(b"")
    out.chmod(0o644)
    result = branchbot(tmp_path, "export", "ledger", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert mode(data) == 0o700
    for name in ("b.db", "b.db-wal", "b.db-shm"):
        if (data / name).exists():  # SQLite removes -wal and -shm at its last close
            assert mode(data / name) == 0o600, name
    assert mode(out) == 0o600


def test_shared_directories_keep_their_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    prepare_sqlite_file(sticky / "b.db")
    assert stat.S_IMODE(sticky.stat().st_mode) == 0o1777
    assert mode(sticky / "b.db") == 0o600
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    checkout.chmod(0o755)
    monkeypatch.chdir(checkout)
    prepare_sqlite_file(Path("b.db"))
    assert mode(checkout) == 0o755


# -- C: a directory that cannot be written, said in Chinese with the path and the reason


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["export", "ledger", "--out", "x.xlsx"],
        ["console"],
        ["run"],
    ],
    ids=["migrate", "export", "console", "run"],
)
def test_unwritable_database_directory_is_named_with_its_reason(
    tmp_path: Path, command: list[str]
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")  # fails even for root, unlike a chmod
    result = branchbot(tmp_path, *command, database=blocker / "data" / "b.db", stdin="/menu\n")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"无法写入数据库目录 {blocker / 'data'}：{blocker} 不是目录" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_export_into_a_file_path_says_why(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = branchbot(tmp_path, "export", "ledger", "--out", str(tmp_path / "afile" / "x.xlsx"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"无法写入 {tmp_path / 'afile' / 'x.xlsx'}：" in result.stderr


def _file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")


@pytest.mark.parametrize(
    ("setup", "database", "failing", "is_directory", "code"),
    [
        (lambda t: _file(t / "f"), "f/data/b.db", "f/data", True, errno.ENOTDIR),
        (lambda t: _file(t / "f"), "f/b.db", "f", True, errno.ENOTDIR),
        (lambda t: (t / "d" / "b.db").mkdir(parents=True), "d/b.db", "d/b.db", False, errno.EISDIR),
        (lambda t: None, "new/deeper/b.db", None, False, 0),
    ],
    ids=["file-above", "file-as-directory", "database-is-a-directory", "fine"],
)
def test_prepare_sqlite_file(
    tmp_path: Path, setup, database: str, failing: str | None, is_directory: bool, code: int
) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    if failing is None:
        prepare_sqlite_file(tmp_path / database)
        assert mode((tmp_path / database).parent) == 0o700
        assert mode(tmp_path / database) == 0o600
        return
    with pytest.raises(DatabasePathError) as raised:
        prepare_sqlite_file(tmp_path / database)
    assert raised.value.path == tmp_path / failing
    assert (raised.value.is_directory, raised.value.code) == (is_directory, code)


@pytest.mark.parametrize(("read_only", "code"), [(False, errno.EACCES), (True, errno.EROFS)])
def test_an_unwritable_directory_is_told_apart_from_a_read_only_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_only: bool, code: int
) -> None:
    """Root may write anywhere, so the refusal is simulated where the check asks."""
    real_statvfs = os.statvfs

    class Flags:
        def __init__(self, path: Path) -> None:
            self.f_flag = real_statvfs(path).f_flag | (os.ST_RDONLY if read_only else 0)

    monkeypatch.setattr(os, "access", lambda *_args, **_kw: False)
    monkeypatch.setattr(os, "statvfs", Flags)
    with pytest.raises(DatabasePathError) as raised:
        prepare_sqlite_file(tmp_path / "data" / "b.db")
    assert (raised.value.path, raised.value.code) == (tmp_path / "data", code)


# -- A: SQL parameters never in an error's text


async def test_a_failing_insert_does_not_quote_its_parameters(database: Database) -> None:
    row = {"user_id": "1", "display_name": NAME, "branch_id": 999_999, "role": "member"}
    with pytest.raises(IntegrityError) as raised:
        async with database.session() as session:
            await session.execute(insert(Member).values(**row))
    assert NAME not in str(raised.value)

    def write(connection: Connection) -> None:
        connection.execute(insert(Member).values(**row))

    with pytest.raises(IntegrityError) as raised:
        await database.write(write)
    assert NAME not in str(raised.value)


# -- D: which failures `recover` repairs


def _asyncpg(name: str) -> BaseException:
    import asyncpg.exceptions

    return getattr(asyncpg.exceptions, name)("x")


def _wrapped(orig: BaseException, kind: type[DBAPIError] = ProgrammingError) -> DBAPIError:
    try:
        raise kind("SELECT 1", {}, orig) from orig
    except DBAPIError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (lambda: _asyncpg("UndefinedTableError"), "schema missing"),
        (lambda: _wrapped(_asyncpg("UndefinedTableError")), "schema missing"),
        (lambda: _wrapped(_asyncpg("AdminShutdownError")), "connection lost"),
        (lambda: _wrapped(_asyncpg("InvalidCatalogNameError")), "connection lost"),
        (lambda: _asyncpg("InvalidCachedStatementError"), "connection lost"),
        (lambda: _asyncpg("ConnectionDoesNotExistError"), "connection lost"),
        (lambda: _wrapped(_asyncpg("UniqueViolationError"), IntegrityError), None),
        (
            lambda: _wrapped(sqlite3.OperationalError("no such table: members"), OperationalError),
            "schema missing",
        ),
        (lambda: _wrapped(sqlite3.IntegrityError("FOREIGN KEY constraint failed")), None),
        (
            lambda: DBAPIError("SELECT 1", {}, OSError(), connection_invalidated=True),
            "connection lost",
        ),
        (lambda: ValueError(NAME), None),
    ],
    ids=[
        "undefined-table",
        "undefined-table-wrapped",
        "admin-shutdown",
        "database-missing",
        "stale-statement-cache",
        "connection-gone",
        "unique-violation",
        "sqlite-no-such-table",
        "sqlite-constraint",
        "invalidated",
        "other",
    ],
)
def test_failure_kind(exc, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    assert failure_kind(exc()) == expected


async def test_recover_refuses_what_it_cannot_repair(sqlite_database: Database) -> None:
    assert await sqlite_database.recover(ValueError(NAME)) is False


pg = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set")


def _insert_member(connection: Connection, user_id: str) -> int:
    return connection.execute(
        insert(Member)
        .values(user_id=user_id, display_name="书记", role="member")
        .returning(Member.id)
    ).scalar_one()


async def _count(db: Database) -> int:
    async with db.session() as session:
        return len((await session.execute(select(Member.id))).all())


@pg
async def test_a_recreated_database_recovers_for_sessions_and_the_writer() -> None:
    url = await fresh_postgres_database()
    db = Database(url)
    try:
        await db.migrate()
        await db.write(_insert_member, "1")  # both pools hold live connections now
        assert await _count(db) == 1

        await recreate_postgres_database(url)
        with pytest.raises(DBAPIError) as failed:
            await _count(db)
        assert await db.recover(failed.value) is True
        assert await _count(db) == 0  # the retried unit of work succeeds, on the new database

        await recreate_postgres_database(url)
        with pytest.raises(DBAPIError) as failed:
            await db.write(_insert_member, "2")
        assert await db.recover(failed.value) is True
        assert await db.write(_insert_member, "2") >= 1
        assert await _count(db) == 1
    finally:
        await db.close()
        await drop_postgres_database(url)


@pg
async def test_a_scheduler_run_after_the_database_was_recreated_is_repaired() -> None:
    from scheduler.service import repairing

    url = await fresh_postgres_database()
    db = Database(url)
    runs: list[int] = []

    async def tick() -> int:  # any run of the scheduler reads the database first
        runs.append(1)
        return await _count(db)

    async def broken() -> int:
        raise ValueError(NAME)

    try:
        await db.migrate()
        await _count(db)  # the pool holds a connection to the old database
        await recreate_postgres_database(url)
        assert await repairing(tick, db)() == 0
        assert len(runs) == 2  # failed once, repaired, ran again
        with pytest.raises(ValueError):  # a failure that is not the database's stays one
            await repairing(broken, db)()
    finally:
        await db.close()
        await drop_postgres_database(url)


@pg
async def test_many_failures_at_once_migrate_once() -> None:
    import asyncio

    url = await fresh_postgres_database()
    db = Database(url)
    try:
        await db.migrate()
        await recreate_postgres_database(url)
        failures = []
        for _ in range(5):
            try:
                await _count(db)
            except DBAPIError as exc:
                failures.append(exc)
        assert len(failures) == 5
        assert all(await asyncio.gather(*(db.recover(exc) for exc in failures)))
        assert await _count(db) == 0
    finally:
        await db.close()
        await drop_postgres_database(url)


# -- E: a database that cannot be written is reported by its reason


async def test_a_read_only_database_is_reported_as_such(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    await db.migrate()
    await db.close()
    read_only = Database(f"sqlite+aiosqlite:///file:{tmp_path / 'b.db'}?mode=ro&uri=true")
    try:
        with pytest.raises(OperationalError) as raised:
            await read_only.write(_insert_member, "1")
    finally:
        await read_only.close()
    assert unwritable_reason(raised.value) == "read-only"
    assert unwritable_reason(ValueError("x")) is None


def test_a_database_that_cannot_be_written_is_said_in_chinese(tmp_path: Path) -> None:
    """Opened read-only (root-proof): the first answer that must be saved fails, and the
    user is told so instead of the console ending."""
    assert branchbot(tmp_path, "migrate").returncode == 0
    read_only = f"file:{tmp_path / 'data' / 'b.db'}?mode=ro&uri=true"
    result = branchbot(tmp_path, "console", database=read_only, stdin="/menu\n1\n/help\n")
    assert result.returncode == 0  # the console goes on, as the bot does
    assert "可能没有保存" in result.stdout  # the answer says so, in Chinese
    assert "/help 显示本帮助" in result.stdout  # and the next line is answered
    assert "[SQLITE_READONLY" in result.stderr  # the log line names the reason, not the data


def _chattr(flag: str, path: Path) -> bool:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


def test_shared_memory_made_immutable_mid_run_is_an_answer_not_a_sigbus(tmp_path: Path) -> None:
    """The attack of the report: the database's -shm file made unwritable (immutable, which
    binds root too) while the process runs. SQLite's memory map of it used to kill the
    process with SIGBUS and nothing logged."""
    assert branchbot(tmp_path, "migrate").returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "LOG_LEVEL")}
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'b.db'}",
        "BRANCHBOT_DOTENV": str(tmp_path / "absent.env"),
        "PYTHONPATH": str(ROOT),
    }
    console = subprocess.Popen(
        [BRANCHBOT, "console"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert console.stdin and console.stdout
    shm = tmp_path / "data" / "b.db-shm"
    try:
        console.stdin.write("党费怎么交\n")  # reads the dialog table: the -shm file is mapped
        console.stdin.flush()
        while "党费" not in console.stdout.readline():
            pass
        if not _chattr("+i", shm):
            pytest.skip("this file system has no immutable flag")
        # Starting the 摸底 dialog writes its state.
        out, err = console.communicate("/menu\n1\n/help\n", timeout=60)
    finally:
        _chattr("-i", shm)
        if console.poll() is None:
            console.kill()
    assert console.returncode == 0, (console.returncode, err[-2000:])
    assert "可能没有保存" in out
    assert "/help 显示本帮助" in out  # the console went on
    assert "[SQLITE_READONLY" in err and "党费" not in err
