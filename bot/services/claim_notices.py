"""What is told to whom as a claim moves on, for every front end.

Each function returns the messages (neutral :class:`Outgoing`, about the claim) that a use
case's outcome owes to the people concerned: the agents of the school's body, the staff
(their group or each member), the reporter. A front end only sends them; a second front
end gets the same notices without any rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from bot.cards.claims import ClaimCard
from bot.config import Settings
from bot.i18n import I18n, Safe
from bot.services import audiences
from bot.services.audiences import StaffRoom
from bot.services.claims import ClaimView, Reported
from bot.services.delivery import Actions, Outgoing
from storage.uow import Database


async def _staff(db: Database, settings: Settings) -> tuple[audiences.Recipient, ...]:
    async with db.uow() as uow:
        return await audiences.staff(uow, StaffRoom.of(settings))


async def _body_agents(db: Database, claim: ClaimView) -> tuple[audiences.Recipient, ...]:
    async with db.uow() as uow:
        return await audiences.body_agents(uow, claim.body_id)


async def after_report(
    db: Database, i18n: I18n, settings: Settings, reported: Reported
) -> list[Outgoing]:
    """A new claim: the body's agents get their duties with a button each; staff are told."""
    claim = reported.claim
    messages: list[Outgoing] = []
    for agent in reported.body_agents:
        card = ClaimCard(i18n, agent.language)
        messages.append(
            Outgoing(
                agent.chat_id,
                card.commune_notice(claim),
                card.duty_actions(claim),
                claim.id,
                agent.platform,
            )
        )
    for target in await _staff(db, settings):
        card = ClaimCard(i18n, target.language)
        messages.append(
            Outgoing(
                target.chat_id,
                card.staff_notice(claim),
                card.staff_actions(claim),
                claim.id,
                target.platform,
            )
        )
    return messages


async def to_body(
    db: Database, i18n: I18n, claim: ClaimView, key: str, **params: Any
) -> list[Outgoing]:
    """A message of the catalog to the agents of the claim's body (completion, payment…),
    worded for an OGEC or an institute when the catalog has a ``_body`` variant."""
    messages = []
    for agent in await _body_agents(db, claim):
        lang = agent.language
        extra = {
            "body": claim.body_name,
            "pay_by": i18n.date(lang, claim.payment_deadline) if claim.payment_deadline else "",
            "amount": i18n.money(lang, claim.amount_due or Decimal(0)),
        }
        text = i18n.t(
            lang,
            ClaimCard(i18n, lang).for_body(key, claim.body_kind),
            number=claim.number,
            school=claim.school_name,
            **{**extra, **params},
        )
        messages.append(Outgoing(agent.chat_id, text, ticket_id=claim.id, platform=agent.platform))
    return messages


async def after_close(
    db: Database, i18n: I18n, claim: ClaimView, reason: str | None, *, closed_by: int
) -> list[Outgoing]:
    """Staff closed the claim: its reporter and the body's agents learn it, and why."""
    async with db.uow() as uow:
        reporter = audiences.recipient(await uow.people.get(claim.reporter_id))
        agents = await audiences.body_agents(uow, claim.body_id)
    told = [r for r in (reporter, *agents) if r is not None and r.person_id != closed_by]
    messages = []
    seen: set[int] = set()
    for person in told:
        if person.chat_id in seen:
            continue
        seen.add(person.chat_id)
        text = i18n.t(
            person.language,
            "claim.notify.closed",
            number=claim.number,
            school=claim.school_name,
            reason=reason or "—",
        )
        messages.append(
            Outgoing(person.chat_id, text, ticket_id=claim.id, platform=person.platform)
        )
    return messages


async def to_staff(
    db: Database, i18n: I18n, settings: Settings, claim: ClaimView, key: str, *, amount: Decimal
) -> list[Outgoing]:
    """A message of the catalog to the staff (a pledge received…), with their actions."""
    messages = []
    for target in await _staff(db, settings):
        card = ClaimCard(i18n, target.language)
        text = card.t(
            card.for_body(key, claim.body_kind),
            number=claim.number,
            commune=claim.commune_name,
            body=claim.body_name,
            amount=card.money(amount),
        )
        messages.append(
            Outgoing(target.chat_id, text, card.staff_actions(claim), claim.id, target.platform)
        )
    return messages


async def pledged(db: Database, i18n: I18n, settings: Settings, claim: ClaimView) -> list[Outgoing]:
    """A pledge received: the plan's assistant (else the staff) gets its amount, payment
    mode and planned date, with the staff's actions."""
    pledge = claim.pledge
    if pledge is None:
        return []
    async with db.uow() as uow:
        targets = await audiences.assistants_or_staff(uow, StaffRoom.of(settings))
    messages = []
    for target in targets:
        card = ClaimCard(i18n, target.language)
        text = card.t(
            card.for_body("claim.notify.pledge_to_assistant", claim.body_kind),
            number=claim.number,
            school=claim.school_name,
            commune=claim.commune_name,
            body=claim.body_name,
            amount=card.money(pledge.amount),
            mode=card.mode(pledge.mode.value, claim.body_kind),
            planned=i18n.date(target.language, pledge.planned_on),
        )
        messages.append(
            Outgoing(target.chat_id, text, card.staff_actions(claim), claim.id, target.platform)
        )
    return messages


async def installed(db: Database, i18n: I18n, claim: ClaimView) -> list[Outgoing]:
    """Art. 6: SEM sends the body the list of what was installed, with its new value."""
    agents = await _body_agents(db, claim)
    done = [
        (i.asset_tag or "", i.replacement_installed_on, i.new_value, i.replacement_tag)
        for i in claim.items
        if i.replacement_installed_on is not None and i.new_value is not None
    ]
    total = sum((value for _, _, value, _ in done), Decimal(0))
    messages = []
    for agent in agents:
        card = ClaimCard(i18n, agent.language)
        lines = "\n".join(
            card.t(
                "claim.card.installed_as" if new_tag else "claim.card.installed",
                tag=tag,
                new_tag=new_tag or "",
                on=i18n.date(agent.language, on),
                value=card.money(value),
            )
            for tag, on, value, new_tag in done
        )
        text = card.t(
            "claim.notify.installed",
            number=claim.number,
            school=claim.school_name,
            lines=Safe(lines),
            total=card.money(total),
        )
        messages.append(Outgoing(agent.chat_id, text, ticket_id=claim.id, platform=agent.platform))
    return messages


# --- who paid, the indemnity, recovered items ----------------------------------------------

Params = Callable[[ClaimCard], dict[str, Any]]
ActionsOf = Callable[[ClaimCard], Actions]


def _said(
    i18n: I18n,
    people: Sequence[audiences.Recipient],
    claim: ClaimView,
    key: str,
    params: Params | None,
    actions_of: ActionsOf | None,
    *,
    skip: int | None = None,
) -> list[Outgoing]:
    messages = []
    seen: set[int] = set()
    for person in people:
        if person.person_id == skip or person.chat_id in seen:
            continue
        seen.add(person.chat_id)
        card = ClaimCard(i18n, person.language)
        text = card.t(
            card.for_body(key, claim.body_kind),
            number=claim.number,
            school=claim.school_name,
            body=claim.body_name,
            commune=claim.commune_name,
            **(params(card) if params else {}),
        )
        buttons = actions_of(card) if actions_of else ()
        messages.append(Outgoing(person.chat_id, text, buttons, claim.id, person.platform))
    return messages


async def tell_body(
    db: Database,
    i18n: I18n,
    claim: ClaimView,
    key: str,
    params: Params | None = None,
    actions_of: ActionsOf | None = None,
    *,
    skip: int | None = None,
) -> list[Outgoing]:
    """A message to the body's agents, its values shown in each one's language."""
    return _said(i18n, await _body_agents(db, claim), claim, key, params, actions_of, skip=skip)


async def tell_staff(
    db: Database,
    i18n: I18n,
    settings: Settings,
    claim: ClaimView,
    key: str,
    params: Params | None = None,
    actions_of: ActionsOf | None = None,
) -> list[Outgoing]:
    """A message to the staff, with the claim's staff actions unless told otherwise."""
    return _said(
        i18n,
        await _staff(db, settings),
        claim,
        key,
        params,
        actions_of or (lambda card: card.staff_actions(claim)),
    )
