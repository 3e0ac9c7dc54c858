"""organisation merges

A 工委 admin merges two ledger records of one organisation: the merged record points at the
kept one (`merged_into`) and a row of `organisation_merges` keeps who merged it, when, and the
record as it was.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_organisations_merged_into_organisations", "organisations", ["merged_into"], ["id"]
        )
        batch.create_index("ix_organisations_merged_into", ["merged_into"], unique=False)
    op.create_table(
        "organisation_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("merged_by_name", sa.String(length=100), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_id"], ["organisations.id"], name="fk_organisation_merges_kept_id_organisations"
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["organisations.id"],
            name="fk_organisation_merges_merged_id_organisations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organisation_merges"),
    )
    op.create_index(
        "ix_organisation_merges_kept_id", "organisation_merges", ["kept_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_organisation_merges_kept_id", "organisation_merges")
    op.drop_table("organisation_merges")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_index("ix_organisations_merged_into")
        batch.drop_constraint("fk_organisations_merged_into_organisations", type_="foreignkey")
        batch.drop_column("merged_into")
