"""PostgreSQL for the tests: CI sets TEST_POSTGRES_URL (an unreachable server then fails the
tests); each test gets a database of its own, created empty and dropped after."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


async def fresh_postgres_database(server_url: str = POSTGRES_URL) -> str:
    """A new empty database per test, so tests never see each other's rows."""
    base = make_url(server_url)
    name = f"branchbot_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_async_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def recreate_postgres_database(url: str) -> None:
    """What an operator did: the database dropped (its connections cut) and created empty."""
    await drop_postgres_database(url)
    admin = create_async_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    await admin.dispose()
