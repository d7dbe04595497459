"""notices: works, fibre, class changes, the school network; training needs; rooms

A notice (one ticket) of works, shared premises or a move, fibre news, a class opening or
closure, or SEM's request to take the body's own equipment off the school's network, with
the collection planned from it; the teachers' training needs by school; the room or
class an item of equipment is in (optional, from the inventory).

No existing row changes: the new tables start empty, the new column is empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_training_needs_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["people.id"], name=op.f("fk_training_needs_done_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_training_needs_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_training_needs_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_needs")),
    )
    with op.batch_alter_table("training_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_needs_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "notices",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subkind", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("rooms", sa.Text(), nullable=True),
        sa.Column("class_name", sa.String(length=80), nullable=True),
        sa.Column("class_level", sa.String(length=20), nullable=True),
        sa.Column("new_school_id", sa.Integer(), nullable=True),
        sa.Column("new_address", sa.Text(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["people.id"], name=op.f("fk_notices_acknowledged_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.ticket_id"],
            name=op.f("fk_notices_collection_id_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["people.id"], name=op.f("fk_notices_done_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["new_school_id"], ["schools.id"], name=op.f("fk_notices_new_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_notices_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_kind"), ["kind"], unique=False)

    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_column("room")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_kind"))

    op.drop_table("notices")
    with op.batch_alter_table("training_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_needs_school_id"))

    op.drop_table("training_needs")
