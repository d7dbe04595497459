"""Every button and select of the Discord front end, dispatched by its ``custom_id``.

A button's ``custom_id`` is the services' action id (``clm:duty:42:insurer``), as on
Telegram its callback data. One persistent dynamic item (discord.py's ``DynamicItem``,
added at start-up) matches every id of the known namespaces, so a button still works after
a restart and nothing is kept in memory; the handler of the namespace parses the rest and
re-checks on arrival that the person may act (a custom id is never trusted).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.ids import forged_number, has_nul
from handlers.discord.context import Ctx, answer, context_of

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

Handler = Callable[[Ctx, str], Awaitable[None]]

# namespace (the part before the first colon) → handler; filled by each flow's module.
HANDLERS: dict[str, Handler] = {}


def on(namespace: str) -> Callable[[Handler], Handler]:
    """Register the handler of a namespace's buttons and selects (``clm``, ``tk``…)."""

    def add(handler: Handler) -> Handler:
        if namespace in HANDLERS and HANDLERS[namespace] is not handler:
            raise ValueError(f"the namespace {namespace!r} already has a handler")
        HANDLERS[namespace] = handler
        return handler

    return add


Step = Callable[[Ctx, list[str]], Awaitable[None]]


class Steps:
    """One namespace's steps: ``<ns>:<step>:<args…>`` goes to the step named, with its
    arguments (``@steps("pledge")`` registers one); an id that names no step is refused
    with ``unknown`` and never honoured. Who may tap at all is the namespace's handler's
    check, made before ``run``."""

    def __init__(self, *, unknown: str = "common.stale_button") -> None:
        self._by_name: dict[str, Step] = {}
        self.unknown = unknown

    def __call__(self, name: str) -> Callable[[Step], Step]:
        def add(handler: Step) -> Step:
            if name in self._by_name and self._by_name[name] is not handler:
                raise ValueError(f"the step {name!r} already has a handler")
            self._by_name[name] = handler
            return handler

        return add

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    async def run(self, ctx: Ctx, action: str) -> None:
        parts = action.split(":")
        handler = self._by_name.get(parts[1]) if len(parts) > 1 else None
        if handler is None:
            await refuse(ctx, self.unknown)
            return
        await handler(ctx, parts[2:])


class Action(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?P<action>[a-z]{2,8}:.{1,90})"
):
    """Any tapped button or chosen option whose id belongs to a registered namespace."""

    def __init__(self, action: str) -> None:
        super().__init__(discord.ui.Button(label="·", custom_id=action))
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Action:
        return cls(match["action"])

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return self.action.split(":", 1)[0] in HANDLERS

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client: PneDiscord = interaction.client
        ctx = await context_of(client, interaction)
        handler = HANDLERS[self.action.split(":", 1)[0]]
        action = self.action
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values")
        if isinstance(values, list) and values:
            action = f"{action}:{values[0]}"  # a select: its chosen option's value
        if forged_number(action) or has_nul(action):  # an id no record can have
            await refuse(ctx, "common.stale_button")
            return
        try:
            await handler(ctx, action)
        except Exception:
            log.exception("discord: button %s failed", action)
            from handlers.discord.context import answer_error

            await answer_error(client, interaction)


async def refuse(ctx: Ctx, key: str, **params: Any) -> None:
    """A tap the person may not make, or that is no longer pending: said, only to them."""
    await answer(ctx, ctx.t(key, **params), ephemeral=True)


def install(client: PneDiscord) -> None:
    client.add_dynamic_items(Action)
