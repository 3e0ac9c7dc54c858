"""events remember the rule date they were generated for

A moved or cancelled theme day keeps its occurrence date, so expanding the rule again never
recreates it; the unique constraint also stops two processes expanding the same month twice.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("occurrence_date", sa.Date(), nullable=True))
        batch.create_unique_constraint(
            "uq_events_branch_occurrence", ["branch_id", "occurrence_date"]
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_branch_occurrence", type_="unique")
        batch.drop_column("occurrence_date")
