"""What a failed unit of work says about the database itself: its tables gone or its
connections lost (which `Database.recover` repairs), or SQLite unable to write (which the
user is told in their words). Only error codes are read, never messages: they may quote data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy.exc import DBAPIError

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
