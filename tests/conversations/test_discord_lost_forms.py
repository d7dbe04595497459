"""A form opened on Discord, the bot restarted, the form sent: answered all the same.

discord.py keeps the modals it showed in memory, so the submission of one shown before a
restart reaches no form of the new process. A claim's form (a report's, a duty's) or a
call's page is rebuilt from its custom id and the database, and what was typed is read
as the form would have read it (refusals included); any other form is said to have
expired, in the person's language, and its button opens it again. Forged submissions
are checked like forged buttons (decision 0057).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import registration
from handlers.discord.offline.api import MODAL_SUBMIT, InteractionRecord, SimUser
from storage.models import CallApplication, ClaimDuty, Person, Ticket
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_long_call import EIGHT, PAGE_ONE

EPHEMERAL = 1 << 6
EXPIRED = "Ce formulaire a expiré (le bot a redémarré) : touchez à nouveau le bouton."


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _ephemeral(record: InteractionRecord) -> bool:
    return bool(((record.response or {}).get("data") or {}).get("flags", 0) & EPHEMERAL)


def _by_label(message: Any, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert len(found) == 1, message.buttons
    return str(found[0])


def _id(message: Any, prefix: str) -> str:
    found = [c for c in message.custom_ids if c.startswith(prefix)]
    assert len(found) == 1, message.custom_ids
    return str(found[0])


async def _restart(world: World, side: DiscordSide) -> None:
    """The bot stops and a new process connects to the same Discord and database: the
    forms it showed are gone with the old client."""
    from handlers.discord.app import PneDiscord

    await side.client.close()
    side.client = PneDiscord(world.app.bot_data["services"])
    await side.discord.connect(side.client)


async def _forged(side: DiscordSide, user: SimUser, custom_id: str, **fields: str) -> Any:
    """A form's submission Discord never showed this person (an old or forged id)."""
    offline = side.discord
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
        for key, value in fields.items()
    ]
    data = {"custom_id": custom_id, "components": rows}
    return await offline._play(offline._interaction(MODAL_SUBMIT, user, side.hall, data))


async def test_a_claims_forms_sent_after_a_restart_are_rebuilt_and_read(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)

    # The report's form, opened before the restart and sent after it: its draft answers.
    await offline.slash(zoe, "signaler", {"materiel": "SEM-0001"}, channel=hall)
    menu = offline.last_message(hall)
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["theft"])
    assert form.modal is not None
    await _restart(world, side)
    summary = await offline.submit_modal(
        zoe, {"when": "aujourd'hui 8h", "what": "Armoire fracturée"}, origin=form
    )
    assert "Armoire fracturée" in _text(summary) and _ephemeral(summary)
    posted = offline.message(summary.original_id or 0)
    done = await offline.tap(zoe, posted, _by_label(posted, "✅ Confirmer l'envoi"))
    told = offline.message(done.original_id or 0).content
    assert told.startswith("✅ Sinistre **S-2026-0001** enregistré.")

    # A duty's form: a bad moment after a restart is refused as the form refuses it…
    notice = offline.last_message(offline.dm_channel(claude))
    insurer = next(c for c in notice.custom_ids if c.endswith(":insurer_declaration"))
    complaint = next(c for c in notice.custom_ids if c.endswith(":complaint"))
    shown = await offline.tap(claude, notice, insurer)
    await _restart(world, side)
    early = await offline.submit_modal(claude, {"done_at": "hier 20h"}, origin=shown)
    assert _text(early) == "Une démarche ne peut pas précéder la constatation du sinistre."
    refusal = offline.message(early.original_id or 0)
    assert refusal.buttons == [("✏️ Corriger", insurer)]
    # … and a good one is written: nothing typed is lost.
    shown = await offline.tap(claude, notice, complaint)
    await _restart(world, side)
    saved = await offline.submit_modal(
        claude, {"done_at": "aujourd'hui 9h30", "reference": "PV 2026/77"}, origin=shown
    )
    assert "✅ dépôt de plainte — le mardi 10 mars 2026 à 09:30 (réf. PV 2026/77)" in _text(saved)
    async with world.db.uow() as uow:
        duty = await uow.session.scalar(select(ClaimDuty).where(ClaimDuty.duty == "complaint"))
        assert duty is not None and duty.reference == "PV 2026/77"
        claim_id = duty.claim_id
    # The same form sent once more (a copy from before): the duty is done, said so.
    again = await _forged(
        side, claude, f"clm:dm:{claim_id}:complaint", done_at="aujourd'hui 9h", reference="X"
    )
    assert _text(again) == "Cette démarche du sinistre S-2026-0001 est déjà confirmée."

    # Forged submissions are checked like forged buttons.
    teacher = await _forged(side, zoe, f"clm:cf:{claim_id}", reason="Clos")
    assert _text(teacher) == "Vous n'avez pas accès à cette action."
    other = await _forged(side, claude, "clm:dm:99999:complaint", done_at="maintenant")
    assert _text(other) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    stale = await _forged(side, zoe, "clm:rm:deadbeef", when="hier", what="Rien du tout")
    assert _text(stale) == "Ce bouton n'est plus valable."
    stranger = await _forged(side, side.user("inconnu"), f"clm:cf:{claim_id}", reason="x")
    assert _text(stranger).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    async with world.db.uow() as uow:
        ticket = await uow.session.get(Ticket, claim_id)
        assert ticket is not None and ticket.closed_at is None


async def test_a_calls_page_sent_after_a_restart_is_read_against_its_draft(
    both: tuple[World, DiscordSide],
) -> None:
    from tests.conversations.test_discord_flows import _publish

    world, side = both
    d = side.discord
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    campaign = await _publish(world, questions=EIGHT)
    intro = await d.tap(dora, d.last_message(d.dm_channel(dora)), f"ami:apply:{campaign.id}")
    first = await d.tap(dora, intro.original_id, f"ami:form:{campaign.id}")
    await _restart(world, side)
    kept = await d.submit_modal(dora, PAGE_ONE, origin=first)  # page 1, rebuilt
    posted = d.message(kept.original_id or 0)
    second = await d.tap(dora, posted, _by_label(posted, "📝 Suite (questions 6 à 8)"))
    await _restart(world, side)
    sent = await d.submit_modal(
        dora, {"q5": "30", "q6": "Salle A", "q7": "Dora"}, origin=second
    )  # page 2, rebuilt against its draft: the application goes
    assert _text(sent).startswith("✅ Candidature A-2026-0001 envoyée.")
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None
        assert application.answers["0"] == "Une classe numérique"
        assert application.answers["5"] == 30
    # A copy of the page sent again: its draft is gone.
    late = await _forged(side, dora, second.modal["custom_id"] if second.modal else "", q5="31")
    assert _text(late) == "Ce bouton n'est plus valable."


async def test_another_form_sent_after_a_restart_is_said_expired_in_the_persons_language(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d, hall = side.discord, side.hall
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    summary = await d.slash(dora, "fibre", {"nouvelle": "eligible"}, channel=hall)
    posted = d.message(summary.original_id or 0)
    [_, comment, _] = posted.custom_ids
    shown = await d.tap(dora, posted, comment)
    assert shown.modal is not None
    await _restart(world, side)
    expired = await d.submit_modal(dora, {"comment": "Le technicien est passé."}, origin=shown)
    assert _text(expired) == EXPIRED and _ephemeral(expired)
    # Nothing was told; the summary's button opens the form again, and it is read.
    reopened = await d.tap(dora, posted, comment)
    done = await d.submit_modal(dora, {"comment": "Le technicien est passé."}, origin=reopened)
    assert "N-2026-0001" in _text(done)

    # In English for a person who chose English; a forged id of no known form likewise.
    async with world.db.uow() as uow:
        dora_id = await uow.session.scalar(select(Person.id).where(Person.full_name == "dora"))
    assert dora_id is not None
    await registration.set_language(
        world.db, person_id=dora_id, language="en", now=world.clock.now()
    )
    english = await _forged(side, dora, "zz:m:1:2", comment="x")
    assert _text(english) == "This form has expired (the bot restarted): tap the button again."
    stranger = await _forged(side, side.user("someone", locale="en-US"), "ntc:m:fib:1:x:y")
    assert _text(stranger) == "This form has expired (the bot restarted): tap the button again."
