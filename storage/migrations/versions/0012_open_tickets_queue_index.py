"""open tickets queue index: the staff's queue read in the order of one partial index

The queue lists open tickets by their next deadline, then their creation, then their id.
An index over exactly those columns, limited to open tickets, lets both engines read the
first page without sorting every open ticket. The index on (closed_at, next_deadline_at)
it replaces could only narrow to open tickets, never give their order.

No row changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_tickets_open_deadline", table_name="tickets")
    op.create_index(
        "ix_tickets_open_queue",
        "tickets",
        ["next_deadline_at", "created_at", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_open_queue", table_name="tickets")
    op.create_index("ix_tickets_open_deadline", "tickets", ["closed_at", "next_deadline_at"])
