"""calls for expression of interest: campaigns, applications, teachers who follow calls

A campaign (not a ticket: it is about no one school) with its nature, quantity, reach,
window and questions; each school's application to one (a ticket of kind ``ami``) with
its answers and the selection's outcome; whether a teacher chose to hear of the calls.

No existing row changes: the new tables start empty, the new column is false for all.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:12:30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("nature", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity_count", sa.Integer(), nullable=False),
        sa.Column("kit_size", sa.Integer(), nullable=True),
        sa.Column("reach", sa.String(length=10), nullable=False),
        sa.Column("reach_body_ids", sa.JSON(), nullable=False),
        sa.Column("reach_levels", sa.JSON(), nullable=False),
        sa.Column("opens_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("allow_teachers", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_call_campaigns_created_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_campaigns")),
    )
    with op.batch_alter_table("call_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_campaigns_state"), ["state"], unique=False)

    op.create_table(
        "call_applications",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("quantity_given", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("waiting_rank", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["call_campaigns.id"],
            name=op.f("fk_call_applications_campaign_id_call_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_call_applications_decided_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_call_applications_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_call_applications_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_call_applications")),
        sa.UniqueConstraint(
            "campaign_id", "school_id", name=op.f("uq_call_applications_campaign_id")
        ),
    )
    with op.batch_alter_table("call_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_applications_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_applications_school_id"), ["school_id"], unique=False
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follows_calls", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("follows_calls")

    with op.batch_alter_table("call_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_applications_school_id"))
        batch_op.drop_index(batch_op.f("ix_call_applications_campaign_id"))

    op.drop_table("call_applications")
    with op.batch_alter_table("call_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_campaigns_state"))

    op.drop_table("call_campaigns")
