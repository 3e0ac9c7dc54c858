"""PostgreSQL for the tests: CI sets TEST_POSTGRES_URL (an unreachable server then fails the
tests); each test gets a database of its own, created empty and dropped after."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


async def _new_database(server_url: str, template: str | None = None) -> str:
    """A database of a new name, empty or a copy of `template`; its URL."""
    base = make_url(server_url)
    name = f"branchbot_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


async def fresh_postgres_database(server_url: str = POSTGRES_URL) -> str:
    """A new empty database per test, so tests never see each other's rows."""
    return await _new_database(server_url)


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


# ----- migrated templates: each test's database starts at the newest schema by a copy, not by
# running every migration again (about 0.1 s a test on PostgreSQL, over a thousand tests) ----

_templates: dict[str, str] = {}


def _migrations_digest() -> str:
    """Names the templates after the migrations' text, so a stale one is never reused."""
    import hashlib

    from storage.db import MIGRATIONS_DIR

    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def migrated_postgres_database(server_url: str = POSTGRES_URL) -> str:
    """A new database per test, created from a migrated template (CREATE DATABASE … TEMPLATE)."""
    from storage.db import Database

    base = make_url(server_url)
    template = f"branchbot_template_{_migrations_digest()}"
    if template not in _templates:
        admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            exists = await connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": template}
            )
            if exists.first() is None:
                await connection.execute(text(f'CREATE DATABASE "{template}"'))
                db = Database(base.set(database=template).render_as_string(hide_password=False))
                await db.migrate()
                await db.close()
        await admin.dispose()
        _templates[template] = template
    return await _new_database(server_url, template)


async def migrated_sqlite_file(path: Path) -> None:
    """`path` becomes a copy of a migrated SQLite database made once per test run."""
    import shutil
    import tempfile

    from storage.db import Database

    template = _templates.get("sqlite")
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="branchbot-template-"))
        template = str(folder / "template.db")
        db = Database(f"sqlite+aiosqlite:///{template}")
        await db.migrate()
        await db.close()
        _templates["sqlite"] = template
    shutil.copyfile(template, path)
    path.chmod(0o600)
