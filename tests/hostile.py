"""Hostile input shared by the console and Telegram tests: names with control and direction
characters, and a database that refuses one statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError

from storage.db import Database

HOSTILE_ORG = "楚雄\x00某某\u202e科技\u200b有限公司\u2066"

CLEAN_ORG = "楚雄某某科技有限公司"

# Characters that must never reach a handler, the database or a reply.
FORBIDDEN = ("\x00", "\x1b", "\x7f", "\x85", "\u200b", "\u200e", "\u202e", "\u2066", "\ufeff")


@contextmanager
def refused_once(db: Database, statement: str) -> Iterator[list[str]]:
    """The database refuses the first statement that starts with `statement`, as a full disk
    or a dropped connection would."""
    refused: list[str] = []

    def before(conn, cursor, sql, params, context, executemany):  # type: ignore[no-untyped-def]
        if not refused and sql.lstrip().upper().startswith(statement):
            refused.append(sql)
            raise OperationalError(sql, params, Exception("disk I/O error"))

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield refused
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", before)
