"""reminders say what they are

The kind of a reminder (a group reminder, a secretary's digest, the attendance confirmation)
was read from the sign of its chat id and of its offset, a Telegram convention standing in
for a fact. Existing rows are labelled here, once, by that old reading.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="group"))
    op.execute(
        "UPDATE reminders SET kind = CASE WHEN chat_id < 0 THEN 'group' "
        "WHEN offset_minutes < 0 THEN 'confirm' ELSE 'digest' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("kind")
