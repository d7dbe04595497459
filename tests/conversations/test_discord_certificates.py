"""/attestation on Discord: a body sends the insurance certificate a delivery asked, staff
accept or refuse it there; the same services and words as Telegram's (decision 0043)."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD
from bot.domain.roles import Role
from bot.services import certificates, registration
from handlers.discord.render import markdown
from tests.conversations.conftest import DiscordSide, World

PDF = b"%PDF-1.4 attestation"


def _text(side: DiscordSide, record: Any) -> str:
    from tests.conversations.test_discord_fuzz import _answered

    return _answered(side, record)


def _md(world: World, key: str, **params: object) -> str:
    return markdown(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _asked(world: World, agent_user_id: int) -> int:
    """The agent's body asked for its certificate, as a delivery asks it."""
    person = await registration.find_person(world.db, DISCORD, agent_user_id)
    assert person is not None and person.body_id is not None
    async with world.db.uow() as uow:
        await certificates.ask(uow, person.body_id, now=world.clock.now(), actor_id=None)
        await uow.commit()
    return person.body_id


def _last_with(side: DiscordSide, record: Any, custom_prefix: str) -> tuple[int, str]:
    for message_id in reversed([record.original_id, *record.followup_ids]):
        if message_id is None:
            continue
        for custom_id in side.discord.message(message_id).custom_ids:
            if custom_id.startswith(custom_prefix):
                return message_id, custom_id
    raise AssertionError(f"no {custom_prefix} button")


async def test_a_body_sends_its_certificate_on_discord_and_staff_accept_it_there(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    agent = await side.registered(world, "claude", Role.COMMUNE)
    staff = await side.registered(world, "sacha", Role.STAFF)
    teacher = await side.registered(world, "zoe", Role.TEACHER)
    await _asked(world, agent.id)

    # Without the document: how to send it, and what is on file.
    how = await d.slash(agent, "attestation", channel=side.hall)
    assert "Saint-Étienne" in _text(side, how) and "debut:" in _text(side, how)
    # A teacher may not.
    refused = await d.slash(teacher, "attestation", channel=side.hall)
    assert _text(side, refused) == _md(world, "common.error.forbidden")

    doc = d.file("attestation.pdf", PDF, "application/pdf")
    bad = await d.slash(
        agent,
        "attestation",
        {"document": doc, "debut": "bientôt", "fin": "31/12/2026"},
        channel=side.hall,
    )
    assert _text(side, bad) == _md(world, "cert.error.date_unreadable")
    summary = await d.slash(
        agent,
        "attestation",
        {"document": doc, "debut": "01/01/2026", "fin": "31/12/2026"},
        channel=side.hall,
    )
    assert "attestation.pdf" in _text(side, summary)
    message_id, send = _last_with(side, summary, "cert:send:")
    sent = await d.tap(agent, message_id, send)
    assert _text(side, sent) == _md(world, "cert.done", body="Saint-Étienne")
    # A second tap of the same « Envoyer » sends nothing again.
    again = await d.tap(agent, message_id, send)
    assert _text(side, again) == _md(world, "common.stale_button")

    # Staff list the certificates and accept this one, with a confirmation naming it.
    listing = await d.slash(staff, "attestation", channel=side.hall)
    message_id, accept = _last_with(side, listing, "cert:acc:")
    # The teacher cannot use staff's button, even forged.
    forged = await d.tap(teacher, message_id, accept)
    assert _text(side, forged) == _md(world, "common.error.forbidden")
    asked = await d.tap(staff, message_id, accept)
    assert "Accepter l'attestation d'assurance de Saint-Étienne" in _text(side, asked)
    message_id, confirm = _last_with(side, asked, "cert:acck:")
    done = await d.tap(staff, message_id, confirm)
    assert _text(side, done).startswith(markdown("✅ Attestation de Saint-Étienne acceptée, "))
    # The agent hears it in their private channel (through the router).
    told = d.last_message(d.dm_channel(agent))
    assert "acceptée par la SEM" in told.content
    # Decided: its buttons no longer act.
    late = await d.tap(staff, message_id, confirm)
    assert _text(side, late) == _md(world, "cert.error.not_sent.accepted")
    assert d.sent(ok=False) == []


async def test_staff_refuse_a_certificate_with_a_reason_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    agent = await side.registered(world, "claude", Role.COMMUNE)
    staff = await side.registered(world, "sacha", Role.STAFF)
    await _asked(world, agent.id)
    doc = d.file("vieille.pdf", PDF, "application/pdf")
    summary = await d.slash(
        agent,
        "attestation",
        {"document": doc, "debut": "01/01/2026", "fin": "31/12/2026"},
        channel=side.hall,
    )
    message_id, send = _last_with(side, summary, "cert:send:")
    await d.tap(agent, message_id, send)
    listing = await d.slash(staff, "attestation", channel=side.hall)
    message_id, no = _last_with(side, listing, "cert:no:")
    form = await d.tap(staff, message_id, no)
    assert form.modal is not None
    blank = await d.submit_modal(staff, {"reason": "   "}, origin=form)
    try:
        certificates.checked_reason("   ")
    except DomainError as error:
        assert _text(side, blank) == _md(world, error.code, **error.params)
    else:
        raise AssertionError("a blank reason must be refused")
    form = await d.tap(staff, message_id, no)
    reasoned = await d.submit_modal(staff, {"reason": "Le nom de l'école manque"}, origin=form)
    message_id, ok = _last_with(side, reasoned, "cert:rok:")
    done = await d.tap(staff, message_id, ok)
    assert _text(side, done) == _md(world, "cert.refused.done", body="Saint-Étienne")
    told = d.last_message(d.dm_channel(agent))
    assert "Le nom de l'école manque" in told.content
    assert d.sent(ok=False) == []
