"""claim payment due instant

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:01:40.612001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Generated from storage/models.py, then reviewed.
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payment_due_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Generated from storage/models.py, then reviewed.
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("payment_due_at")
