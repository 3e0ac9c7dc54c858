"""Alembic environment: always runs on a connection handed in by `Database.migrate`, so the
same code path serves `branchbot migrate`, start-up and the tests on SQLite and PostgreSQL."""

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `branchbot migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
