"""insurance certificates: what each responsible body is asked for, sends, and SEM decides

A body's insurance certificate (art. 6), asked at a delivery of new equipment or again
before the one on file ends: the document the body sent, the days it covers, its state
(asked, sent, accepted, refused) and who decided, when, and why a refusal.

No existing row changes: the new table starts empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insurance_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("renews_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=10), nullable=True),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("file_unique_id", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_insurance_certificates_body_id_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
            name=op.f("fk_insurance_certificates_decided_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["renews_id"],
            ["insurance_certificates.id"],
            name=op.f("fk_insurance_certificates_renews_id_insurance_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["people.id"], name=op.f("fk_insurance_certificates_sent_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_insurance_certificates_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_certificates")),
    )
    with op.batch_alter_table("insurance_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insurance_certificates_body_id"), ["body_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insurance_certificates_state"), ["state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("insurance_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insurance_certificates_state"))
        batch_op.drop_index(batch_op.f("ix_insurance_certificates_body_id"))

    op.drop_table("insurance_certificates")
