"""indexes for the committee's review: each of its queries reads an index of its own

The review over 100,000 claims read whole tables several times: the period's claims and
their items through the tickets' rows, every payment ever made to sum those of the open
claims, every duty to find the few done late, every item's move through its row. These
indexes hold what each query reads (decision 0085):

* ``ix_tickets_kind_created_place`` (kind, created_at, commune_id, school_id) replaces
  ``ix_tickets_kind_created``, its first two columns: the period's and the window's
  claims are counted per commune and school from the index alone;
* ``ix_tickets_open_claims``: the open claims, a partial index (the refunds in progress,
  overdue duties and payments read those alone);
* ``ix_payments_claim_confirmed`` (claim_id, status, amount_cents): an open claim's
  confirmed payments summed from the index;
* ``ix_claim_items_claim_refund`` (claim_id, refund_cents): a claim's estimated refunds;
* ``ix_claim_duties_pending`` (claim_id, deadline_at), the duties not done, and
  ``ix_claim_duties_done_late`` (done_at, claim_id), those done after their deadline:
  partial indexes, a small share of the duties each;
* ``ix_equipment_moves_review`` (to_state, at, from_state, body_id, equipment_id,
  ticket_id): the equipment side counted from the index, not the moves' rows.

No row changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
# Written after 0011; 0012 (the open tickets' queue index) comes first once both are in.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_CLAIM = sa.text("kind = 'claim' AND closed_at IS NULL")
PENDING = sa.text("done_at IS NULL")
DONE_LATE = sa.text("done_at > deadline_at")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_kind_created")
        batch_op.create_index(
            "ix_tickets_kind_created_place", ["kind", "created_at", "commune_id", "school_id"]
        )
        batch_op.create_index(
            "ix_tickets_open_claims",
            ["id"],
            sqlite_where=OPEN_CLAIM,
            postgresql_where=OPEN_CLAIM,
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_claim_confirmed", ["claim_id", "status", "amount_cents"])
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.create_index("ix_claim_items_claim_refund", ["claim_id", "refund_cents"])
    with op.batch_alter_table("claim_duties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_duties_pending",
            ["claim_id", "deadline_at"],
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.create_index(
            "ix_claim_duties_done_late",
            ["done_at", "claim_id"],
            sqlite_where=DONE_LATE,
            postgresql_where=DONE_LATE,
        )
    with op.batch_alter_table("equipment_moves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_equipment_moves_review",
            ["to_state", "at", "from_state", "body_id", "equipment_id", "ticket_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("equipment_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_moves_review")
    with op.batch_alter_table("claim_duties", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_duties_done_late")
        batch_op.drop_index("ix_claim_duties_pending")
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_items_claim_refund")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_claim_confirmed")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open_claims")
        batch_op.drop_index("ix_tickets_kind_created_place")
        batch_op.create_index("ix_tickets_kind_created", ["kind", "created_at"], unique=False)
