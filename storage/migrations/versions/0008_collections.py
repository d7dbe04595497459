"""unused and broken equipment: collections, rounds, the items' history, reassignments

A collection (one flagging at one school) with its items, each routed by its owner; the
rounds SEM plans to collect or repair, with the schools they stop at; every change of an
item's state or school (``equipment_moves``, with the recycling centre's receipt); items
of SEM's stock sent to another school until its head confirms reception; an index on the
equipment's state for the stock.

No existing row changes: the new tables start empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("in_holidays", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("receipt_ref", sa.String(length=80), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_collection_rounds_created_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_rounds")),
    )
    with op.batch_alter_table("collection_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_rounds_day"), ["day"], unique=False)

    op.create_table(
        "reassignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("from_school_id", sa.Integer(), nullable=False),
        sa.Column("to_school_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_reassignments_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name=op.f("fk_reassignments_equipment_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["from_school_id"], ["schools.id"], name=op.f("fk_reassignments_from_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["people.id"], name=op.f("fk_reassignments_received_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["to_school_id"], ["schools.id"], name=op.f("fk_reassignments_to_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reassignments")),
    )
    with op.batch_alter_table("reassignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reassignments_equipment_id"), ["equipment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reassignments_to_school_id"), ["to_school_id"], unique=False
        )

    op.create_table(
        "collections",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("weekdays", sa.String(length=13), nullable=True),
        sa.Column("hours", sa.String(length=120), nullable=True),
        sa.Column("in_holidays", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_collections_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_collections")),
    )
    op.create_table(
        "equipment_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("from_school_id", sa.Integer(), nullable=True),
        sa.Column("to_school_id", sa.Integer(), nullable=True),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_equipment_moves_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_equipment_moves_body_id_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_moves_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["from_school_id"],
            ["schools.id"],
            name=op.f("fk_equipment_moves_from_school_id_schools"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_equipment_moves_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["to_school_id"], ["schools.id"], name=op.f("fk_equipment_moves_to_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_moves")),
    )
    with op.batch_alter_table("equipment_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_moves_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_moves_body_id"), ["body_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_equipment_moves_equipment_id"), ["equipment_id"], unique=False
        )

    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("route", sa.String(length=14), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("missing_note", sa.Text(), nullable=True),
        sa.Column("receipt_ref", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.ticket_id"],
            name=op.f("fk_collection_items_collection_id_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["people.id"], name=op.f("fk_collection_items_done_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_collection_items_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["collection_rounds.id"],
            name=op.f("fk_collection_items_round_id_collection_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_items_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_items_equipment_id"), ["equipment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_items_round_id"), ["round_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_collection_items_status"), ["status"], unique=False)

    op.create_table(
        "round_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("other_date_asked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("other_date_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.ticket_id"],
            name=op.f("fk_round_stops_collection_id_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["collection_rounds.id"],
            name=op.f("fk_round_stops_round_id_collection_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_stops")),
        sa.UniqueConstraint("round_id", "collection_id", name=op.f("uq_round_stops_round_id")),
    )
    with op.batch_alter_table("round_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_stops_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_round_stops_round_id"), ["round_id"], unique=False)

    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_state"))

    with op.batch_alter_table("round_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_stops_round_id"))
        batch_op.drop_index(batch_op.f("ix_round_stops_collection_id"))

    op.drop_table("round_stops")
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_items_status"))
        batch_op.drop_index(batch_op.f("ix_collection_items_round_id"))
        batch_op.drop_index(batch_op.f("ix_collection_items_equipment_id"))
        batch_op.drop_index(batch_op.f("ix_collection_items_collection_id"))

    op.drop_table("collection_items")
    with op.batch_alter_table("equipment_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_moves_equipment_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_moves_body_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_moves_at"))

    op.drop_table("equipment_moves")
    op.drop_table("collections")
    with op.batch_alter_table("reassignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reassignments_to_school_id"))
        batch_op.drop_index(batch_op.f("ix_reassignments_equipment_id"))

    op.drop_table("reassignments")
    with op.batch_alter_table("collection_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_rounds_day"))

    op.drop_table("collection_rounds")
