"""meetings of a branch's organisational life

Events get a kind (theme_day, or the meeting kind of an event of its own), the meeting kinds
they count for (a theme day may hold the quarter's 党员大会) and, for a meeting of its own, the
rule date it was generated for, unique per branch and kind (a 支委会 may share its date with
the theme day). Columns and an index only: SQLite would rebuild `events` to change its unique
constraint, dropping the table reminders and attendance rows point at. Branches keep their
meeting rules as JSON, and each meeting's 会议记录 is a row.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("kind", sa.String(length=20), nullable=False, server_default="theme_day"),
    )
    op.add_column("events", sa.Column("meetings", sa.JSON(), nullable=True))
    op.add_column("events", sa.Column("meeting_date", sa.Date(), nullable=True))
    op.create_index(
        "ix_events_branch_kind_meeting_date",
        "events",
        ["branch_id", "kind", "meeting_date"],
        unique=True,
    )
    op.add_column("branches", sa.Column("organisational_life", sa.JSON(), nullable=True))
    op.create_table(
        "meeting_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("recorder", sa.String(length=100), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("votes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_meeting_records_event_id_events"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_records"),
        sa.UniqueConstraint("event_id", "kind", name="uq_meeting_records_event_kind"),
    )
    op.create_index("ix_meeting_records_event_id", "meeting_records", ["event_id"], unique=False)


def downgrade() -> None:
    """Meetings of their own go with their reminders and attendance: the older schema has no
    way to tell them from theme days."""
    op.drop_index("ix_meeting_records_event_id", "meeting_records")
    op.drop_table("meeting_records")
    op.drop_column("branches", "organisational_life")
    meetings = "SELECT id FROM events WHERE kind != 'theme_day'"
    for table in ("reminders", "attendance"):
        op.execute(f"DELETE FROM {table} WHERE event_id IN ({meetings})")
    op.execute("DELETE FROM events WHERE kind != 'theme_day'")
    op.drop_index("ix_events_branch_kind_meeting_date", "events")
    for column in ("meeting_date", "meetings", "kind"):
        op.drop_column("events", column)
