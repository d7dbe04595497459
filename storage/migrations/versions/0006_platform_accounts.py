"""platform accounts

A person may be reachable on Telegram, on Discord, or both (decision 0016). Their
accounts move to a table of their own (``accounts``: platform, user id there, private
chat), one per platform per person; message references, attachments and wrong-code
counters are tagged with their platform, since ids mean something only on their own.
Invitations may name the person whose account they add (``person_id``): a code registers
one account, either a new person's or a registered person's on another platform.
Every existing id is Telegram's: the people's ``telegram_user_id`` and ``chat_id`` become
their Telegram account (a ``discord_user_id``, never written so far, a Discord account),
and every message reference, attachment and counter is tagged ``telegram``.

The downgrade puts the ids back on ``people``. What the old schema cannot hold is
dropped: message references and wrong-code counters of another platform than Telegram,
and which person an unused account code was made for.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNT = (
    "(SELECT accounts.{column} FROM accounts"
    " WHERE accounts.person_id = people.id AND accounts.platform = '{platform}')"
)


def _tag_telegram(table: str) -> None:
    """Add ``platform`` to ``table``, set to ``telegram`` on every existing row."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", sa.String(length=10), nullable=True))
    op.execute(f"UPDATE {table} SET platform = 'telegram'")  # noqa: S608
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("platform", existing_type=sa.String(length=10), nullable=False)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("external_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_accounts_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("person_id", "platform", name=op.f("uq_accounts_person_id")),
        sa.UniqueConstraint("platform", "external_user_id", name=op.f("uq_accounts_platform")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_person_id"), ["person_id"], unique=False)

    # Every id on people so far is Telegram's; the private chat is the Telegram account's
    # (a Discord id alone, never written by the bot, keeps it if there is no Telegram id).
    op.execute(
        "INSERT INTO accounts (person_id, platform, external_user_id, chat_id, created_at) "
        "SELECT id, 'telegram', telegram_user_id, chat_id, created_at FROM people "
        "WHERE telegram_user_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO accounts (person_id, platform, external_user_id, chat_id, created_at) "
        "SELECT id, 'discord', discord_user_id,"
        " CASE WHEN telegram_user_id IS NULL THEN chat_id END, created_at FROM people "
        "WHERE discord_user_id IS NOT NULL"
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_platform", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE people SET preferred_platform = CASE"
        " WHEN telegram_user_id IS NOT NULL THEN 'telegram'"
        " WHEN discord_user_id IS NOT NULL THEN 'discord' END"
    )

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_person_id_people"), "people", ["person_id"], ["id"]
        )

    _tag_telegram("message_refs")
    with op.batch_alter_table("message_refs", schema=None) as batch_op:
        batch_op.drop_constraint("pk_message_refs", type_="primary")
        batch_op.create_primary_key("pk_message_refs", ["platform", "chat_id", "message_id"])

    _tag_telegram("attachments")

    # The key changes in one batch and the column is renamed in another: SQLite's batch
    # mode loses the primary key when both happen in the same copy of the table.
    _tag_telegram("code_attempts")
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("pk_code_attempts", type_="primary")
        batch_op.create_primary_key("pk_code_attempts", ["platform", "telegram_user_id"])
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "telegram_user_id",
            new_column_name="external_user_id",
            existing_type=sa.BigInteger(),
            existing_nullable=False,
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint("uq_people_telegram_user_id", type_="unique")
        batch_op.drop_constraint("uq_people_discord_user_id", type_="unique")
        batch_op.drop_column("telegram_user_id")
        batch_op.drop_column("discord_user_id")
        batch_op.drop_column("chat_id")


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("discord_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    telegram_id = _ACCOUNT.format(column="external_user_id", platform="telegram")
    discord_id = _ACCOUNT.format(column="external_user_id", platform="discord")
    telegram_chat = _ACCOUNT.format(column="chat_id", platform="telegram")
    discord_chat = _ACCOUNT.format(column="chat_id", platform="discord")
    op.execute(
        f"UPDATE people SET telegram_user_id = {telegram_id}, discord_user_id = {discord_id},"  # noqa: S608
        f" chat_id = COALESCE({telegram_chat}, {discord_chat})"
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_people_telegram_user_id", ["telegram_user_id"])
        batch_op.create_unique_constraint("uq_people_discord_user_id", ["discord_user_id"])
        batch_op.drop_column("preferred_platform")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitations_person_id_people"), type_="foreignkey")
        batch_op.drop_column("person_id")

    op.execute("DELETE FROM code_attempts WHERE platform <> 'telegram'")
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "external_user_id",
            new_column_name="telegram_user_id",
            existing_type=sa.BigInteger(),
            existing_nullable=False,
        )
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("pk_code_attempts", type_="primary")
        batch_op.create_primary_key("pk_code_attempts", ["telegram_user_id"])
        batch_op.drop_column("platform")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("platform")

    op.execute("DELETE FROM message_refs WHERE platform <> 'telegram'")
    with op.batch_alter_table("message_refs", schema=None) as batch_op:
        batch_op.drop_constraint("pk_message_refs", type_="primary")
        batch_op.create_primary_key("pk_message_refs", ["chat_id", "message_id"])
        batch_op.drop_column("platform")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_person_id"))
    op.drop_table("accounts")
