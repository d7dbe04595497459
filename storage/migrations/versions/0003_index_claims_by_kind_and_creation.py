"""index claims by kind and creation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 16:26:50.631101
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Generated from storage/models.py, then reviewed.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_kind_created", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    # Generated from storage/models.py, then reviewed.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_kind_created")
