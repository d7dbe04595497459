"""The ticket kinds beyond claims on Discord: /collecte and a flagging's card, /ami
(school side), the notices and a notice's card, each in its own module; their slash
commands added to the client's tree and their buttons registered (``@on``) when the
modules are imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord


def register(client: PneDiscord) -> None:
    from handlers.discord import (
        call_create,
        call_delivery,
        call_staff,
        calls,
        collection_card,  # noqa: F401  (its buttons: ``@on("col")``)
        collections,
        notice_card,  # noqa: F401  (its buttons: ``@on("ntc")``)
        notices,
    )

    collections.register(client)
    calls.register(client)
    notices.register(client)
    call_create.register(client)
    call_staff.register(client)
    call_delivery.register(client)
