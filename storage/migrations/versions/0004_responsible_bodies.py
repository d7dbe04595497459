"""responsible bodies

Each school has a responsible body (art. 1): its commune when public, an OGEC or an
institute when private. This revision makes one body per commune (code
``commune:<INSEE>``, kind ``commune``) and points every school, every commune agent,
every invitation of a commune agent and every ticket to its commune's body. The data
holds no OGEC yet, so the private schools start under their commune's body too
(decision 0013); the directory import moves them to their OGEC.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMUNE_BODY = "(SELECT bodies.id FROM bodies WHERE bodies.commune_id = {table}.commune_id)"


def upgrade() -> None:
    op.create_table(
        "bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["communes.id"], name=op.f("fk_bodies_commune_id_communes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bodies")),
        sa.UniqueConstraint("code", name=op.f("uq_bodies_code")),
        sa.UniqueConstraint("commune_id", name=op.f("uq_bodies_commune_id")),
    )
    for table in ("schools", "people", "invitations", "tickets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("body_id", sa.Integer(), nullable=True))

    # One body per commune, then every row to its commune's body.
    op.execute(
        "INSERT INTO bodies (code, name, kind, commune_id, created_at) "
        "SELECT 'commune:' || insee, name, 'commune', id, created_at FROM communes"
    )
    op.execute(f"UPDATE schools SET body_id = {_COMMUNE_BODY.format(table='schools')}")  # noqa: S608
    for table in ("people", "invitations"):
        op.execute(
            f"UPDATE {table} SET body_id = {_COMMUNE_BODY.format(table=table)} "  # noqa: S608
            "WHERE role = 'commune' AND commune_id IS NOT NULL"
        )
    # A ticket's body is its school's (the same commune's, here); without a school, the
    # body of the ticket's commune.
    school_body = "(SELECT schools.body_id FROM schools WHERE schools.id = tickets.school_id)"
    ticket_body = f"COALESCE({school_body}, {_COMMUNE_BODY.format(table='tickets')})"
    op.execute(f"UPDATE tickets SET body_id = {ticket_body}")  # noqa: S608

    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.alter_column("body_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_schools_body_id"), ["body_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_schools_body_id_bodies"), "bodies", ["body_id"], ["id"]
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_body_id"), ["body_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_people_body_id_bodies"), "bodies", ["body_id"], ["id"]
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_body_id_bodies"), "bodies", ["body_id"], ["id"]
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("body_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_tickets_body_id"), ["body_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_body_id_bodies"), "bodies", ["body_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_body_id_bodies"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_body_id"))
        batch_op.drop_column("body_id")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitations_body_id_bodies"), type_="foreignkey")
        batch_op.drop_column("body_id")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_people_body_id_bodies"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_people_body_id"))
        batch_op.drop_column("body_id")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_schools_body_id_bodies"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_schools_body_id"))
        batch_op.drop_column("body_id")
    op.drop_table("bodies")
