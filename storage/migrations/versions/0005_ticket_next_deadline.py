"""ticket next deadline

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:30:00

Every ticket keeps its next deadline, whatever its kind, so that the staff's queue sorts
and flags overdue tickets of every kind in one indexed query. Open claims get theirs from
their open duties (48 h) and their payment window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_deadline_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_tickets_open_deadline", ["closed_at", "next_deadline_at"])
    # Both engines compare these timestamps as stored (UTC), so the earliest wins in SQL.
    op.execute(
        """
        UPDATE tickets SET next_deadline_at = (
            SELECT CASE
                WHEN d.first IS NULL THEN c.payment_due_at
                WHEN c.payment_due_at IS NULL THEN d.first
                WHEN d.first < c.payment_due_at THEN d.first
                ELSE c.payment_due_at
            END
            FROM claims AS c
            LEFT JOIN (
                SELECT claim_id, MIN(deadline_at) AS first
                FROM claim_duties
                WHERE done_at IS NULL
                GROUP BY claim_id
            ) AS d ON d.claim_id = c.ticket_id
            WHERE c.ticket_id = tickets.id
        )
        WHERE kind = 'claim' AND closed_at IS NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open_deadline")
        batch_op.drop_column("next_deadline_at")
