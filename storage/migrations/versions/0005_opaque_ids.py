"""chat and user ids are text

The core treats a chat's and a user's id as an opaque string that the messenger writes
(Telegram's numbers, the console's names), so the columns holding them become text; the
member's `telegram_user_id` becomes `user_id`. Existing numbers are kept, written as text.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite rebuilds a table to change a column's type; these options must survive it (dialog
# ids are never reused, so an abandoned dialog's buttons stay invalid).
TABLE_OPTIONS = {"dialog_states": {"sqlite_autoincrement": True}}
# table -> its id columns (the member column is renamed as well)
COLUMNS = {
    "organisations": ("registered_by",),
    "group_bindings": ("chat_id", "bound_by"),
    "dialog_states": ("chat_id", "user_id"),
    "reminders": ("chat_id",),
    "selfcheck_results": ("user_id",),
    "plans": ("created_by",),
    "plan_milestones": ("responsible_user_id",),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    existing_type=sa.BigInteger(),
                    type_=sa.String(64),
                    postgresql_using=f"{column}::varchar(64)",
                )
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_telegram_user_id")
        batch.alter_column(
            "telegram_user_id",
            new_column_name="user_id",
            existing_type=sa.BigInteger(),
            type_=sa.String(64),
            postgresql_using="telegram_user_id::varchar(64)",
        )
    op.create_index("ix_members_user_id", "members", ["user_id"], unique=False)


def downgrade() -> None:
    """Back to numbers: only possible while every id is one (Telegram's are)."""
    op.drop_index("ix_members_user_id", "members")
    with op.batch_alter_table("members") as batch:
        batch.alter_column(
            "user_id",
            new_column_name="telegram_user_id",
            existing_type=sa.String(64),
            type_=sa.BigInteger(),
            postgresql_using="user_id::bigint",
        )
    op.create_index("ix_members_telegram_user_id", "members", ["telegram_user_id"], unique=False)
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    existing_type=sa.String(64),
                    type_=sa.BigInteger(),
                    postgresql_using=f"{column}::bigint",
                )
