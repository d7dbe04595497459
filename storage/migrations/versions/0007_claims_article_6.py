"""claims as article 6 means them

Who paid a claim and when (the insurer's indemnity decides whether a recovery comes
before or after it); payments a body records, pending until staff confirm them, with
their proof; recoveries of some of a claim's items, each with its own 15-day window,
request and SEM's agreement; the damage a recovered item suffered; the cause of a damage
(vandalism or an accident); the new equipment a replacement puts in the inventory, and
installation dates; security holds on a school; the plan's assistant among staff.

Existing data: every payment was recorded by staff, so it is ``confirmed`` and, lacking
a word on who paid, ``body_funds``; a claim's single recovery becomes one confirmed
recovery of the items marked recovered, before or after the indemnity as the old rule
decided it (any payment recorded meant « after »).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("assistant", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("installed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_equipment_replaced_by_id_equipment"),
            "equipment",
            ["replaced_by_id"],
            ["id"],
        )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damage_cause", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("indemnity_paid_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("indemnity_payee", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("indemnity_cents", sa.Integer(), nullable=True))

    op.create_table(
        "claim_recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("told_at", _WHEN, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", _WHEN, nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", _WHEN, nullable=True),
        sa.Column("requested_at", _WHEN, nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("expired_at", _WHEN, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.ticket_id"], name=op.f("fk_claim_recoveries_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["people.id"],
            name=op.f("fk_claim_recoveries_reported_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["people.id"],
            name=op.f("fk_claim_recoveries_confirmed_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["people.id"],
            name=op.f("fk_claim_recoveries_requested_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
            name=op.f("fk_claim_recoveries_decided_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_recoveries")),
    )
    with op.batch_alter_table("claim_recoveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_recoveries_claim_id"), ["claim_id"])

    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replacement_equipment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recovery_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("damage_cents", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_items_replacement_equipment_id_equipment"),
            "equipment",
            ["replacement_equipment_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_items_recovery_id_claim_recoveries"),
            "claim_recoveries",
            ["recovery_id"],
            ["id"],
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payer", sa.String(length=16), nullable=False, server_default="body_funds")
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="confirmed")
        )
        batch_op.add_column(sa.Column("proof_attachment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", _WHEN, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_proof_attachment_id_attachments"),
            "attachments",
            ["proof_attachment_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_confirmed_by_id_people"),
            "people",
            ["confirmed_by_id"],
            ["id"],
        )
    op.execute("UPDATE payments SET confirmed_by_id = recorded_by_id, confirmed_at = recorded_at")
    # The defaults were for the rows already there; the models give them from now on.
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("payer", existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column("status", existing_type=sa.String(length=10), server_default=None)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("assistant", existing_type=sa.Boolean(), server_default=None)

    op.create_table(
        "security_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", _WHEN, nullable=False),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", _WHEN, nullable=True),
        sa.Column("lift_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_security_holds_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["people.id"], name=op.f("fk_security_holds_placed_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"], ["people.id"], name=op.f("fk_security_holds_lifted_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_holds")),
    )
    with op.batch_alter_table("security_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_holds_school_id"), ["school_id"])

    # A claim's one recovery becomes a confirmed recovery of the items marked recovered.
    op.execute(
        """
        INSERT INTO claim_recoveries
            (claim_id, told_at, outcome, state, reported_at, confirmed_at)
        SELECT c.ticket_id, c.recovery_told_at,
               CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.claim_id = c.ticket_id)
                    THEN 'after_indemnity' ELSE 'before_indemnity' END,
               'confirmed', c.recovery_told_at, c.recovery_told_at
        FROM claims AS c
        WHERE c.recovery_told_at IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE claim_items SET recovery_id = (
            SELECT r.id FROM claim_recoveries AS r WHERE r.claim_id = claim_items.claim_id
        )
        WHERE recovered_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_claim_items_recovery_id_claim_recoveries"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_claim_items_replacement_equipment_id_equipment"), type_="foreignkey"
        )
        batch_op.drop_column("damage_cents")
        batch_op.drop_column("recovery_id")
        batch_op.drop_column("replacement_equipment_id")
    with op.batch_alter_table("security_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_holds_school_id"))
    op.drop_table("security_holds")
    with op.batch_alter_table("claim_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_recoveries_claim_id"))
    op.drop_table("claim_recoveries")
    # The old schema has no pending or rejected payments: only confirmed ones stay.
    op.execute("DELETE FROM payments WHERE status <> 'confirmed'")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payments_confirmed_by_id_people"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_payments_proof_attachment_id_attachments"), type_="foreignkey"
        )
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmed_by_id")
        batch_op.drop_column("proof_attachment_id")
        batch_op.drop_column("status")
        batch_op.drop_column("payer")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("indemnity_cents")
        batch_op.drop_column("indemnity_payee")
        batch_op.drop_column("indemnity_paid_on")
        batch_op.drop_column("damage_cause")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_equipment_replaced_by_id_equipment"), type_="foreignkey"
        )
        batch_op.drop_column("replaced_by_id")
        batch_op.drop_column("installed_on")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("assistant")
