"""A claim's card, its replacement, its cause and the insurer's indemnity on Discord.

A teacher reports a theft on Discord; staff, on Discord too, open it with /sinistre (the
card, its timeline and their buttons), record the replacement ordered then installed (a
menu for the item, a form, a confirmation naming what is written; a bad date and a tag
already taken refused, corrected; a confirmation tapped twice refused) and the insurer's
indemnity; the commune's agent, on Telegram, is told as Telegram's flows tell him. Staff
correct a damage's cause; a commune's agent on Discord records the indemnity himself and
staff hear of it. A teacher with the buttons' ids is refused; a school whose replacements
are held gets none recorded, even from a confirmation shown before the hold.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord
from storage.models import ClaimItem
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_claims import _by_label, _id, _modal_fields, _text


def _options(message: Any, prefix: str) -> list[tuple[str, str]]:
    """A select's options (label, value) under ``message``."""
    return [(o["label"], o["value"]) for o in message.component(_id(message, prefix))["options"]]


async def _report(side: DiscordSide, user: Any, tags: str, kind: str, what: str) -> None:
    """``user`` reports on Discord from the hall: the tags, the kind (a damage is an
    accident: « casse accidentelle »), the form, the confirmation."""
    offline, hall = side.discord, side.hall
    await offline.slash(user, "signaler", {"materiel": tags}, channel=hall)
    menu = offline.last_message(hall)
    form: InteractionRecord = await offline.choose(user, menu, _id(menu, "clm:rk:"), [kind])
    if kind == "damage":
        causes = offline.last_message(hall)
        form = await offline.choose(user, causes, _id(causes, "clm:rc:"), ["breakage"])
    await offline.submit_modal(user, {"when": "aujourd'hui 8h", "what": what}, origin=form)
    summary = offline.last_message(hall)
    await offline.tap(user, summary, _by_label(summary, "✅ Confirmer l'envoi"))


async def test_staff_open_a_theft_with_sinistre_and_record_its_replacement_and_indemnity(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline, hall = world.api, side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claude = await world.registered("Claude", Role.COMMUNE)
    await _report(side, zoe, "SEM-0001, SEM-0002", "theft", "Armoire fracturée")
    dm = offline.dm_channel(sacha)

    # /sinistre: a number outside the records is not found; the claim's card is shown.
    unknown = await offline.slash(sacha, "sinistre", {"numero": "S-2026-0099"}, channel=dm)
    assert _text(unknown) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    shown = await offline.slash(sacha, "sinistre", {"numero": "S-2026-0001"}, channel=dm)
    text = _text(shown)
    assert "S-2026-0001" in text and "École du Soleil" in text
    assert "**Historique**" in text  # the timeline
    card = offline.last_message(dm)
    labels = [label for label, _ in card.buttons]
    assert "🔁 Remplacement" in labels and "🛡 Indemnité de l'assureur versée" in labels
    assert "🔧 Corriger la cause" not in labels  # a theft has no cause
    repl = _by_label(card, "🔁 Remplacement")
    indem = _by_label(card, "🛡 Indemnité de l'assureur versée")

    # The reporter sees her claim, with no staff button; with their ids she is refused.
    hers = await offline.slash(zoe, "sinistre", {"numero": "S-2026-0001"}, channel=hall)
    assert "S-2026-0001" in _text(hers) and offline.last_message(hall).buttons == []
    for forged in (repl, indem):
        refused = await offline.tap(zoe, card, forged)
        assert _text(refused) == "Vous n'avez pas accès à cette action.", forged

    # The replacement ordered: which item, ordered or installed, the day, a confirmation.
    asked = await offline.tap(sacha, card, repl)
    assert _text(asked) == "Remplacement pour le sinistre S-2026-0001 : quel matériel ?"
    items = offline.last_message(dm)
    assert _options(items, "clm:rpit:") == [("SEM-0001", "0"), ("SEM-0002", "1")]
    what = await offline.choose(sacha, items, _id(items, "clm:rpit:"), ["0"])
    assert _text(what) == "SEM-0001 : commandé ou installé ?"
    choice = offline.last_message(dm)
    form = await offline.tap(sacha, choice, _by_label(choice, "Commandé"))
    assert _modal_fields(form) == {"day": "Aujourd'hui"}
    bad = await offline.submit_modal(sacha, {"day": "mardi prochain peut-être"}, origin=form)
    assert _text(bad) == (
        "Je n'ai pas compris cette date. Exemples : « aujourd'hui 8h », « hier »,"
        " « 12/03/2026 8h30 »."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    assert _modal_fields(form) == {"day": "mardi prochain peut-être"}  # kept as typed
    ask = await offline.submit_modal(sacha, {"day": "aujourd'hui"}, origin=form)
    assert _text(ask) == (
        "Enregistrer la commande du remplacement de SEM-0001, le mardi 10 mars 2026"
        " (sinistre S-2026-0001) ?"
    )
    confirm = offline.last_message(dm)
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer la commande"))
    assert _text(saved) == "🔁 Remplacement de SEM-0001 enregistré (sinistre S-2026-0001)."
    twice = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer la commande"))
    assert _text(twice) == "Ce bouton n'est plus valable."
    # Another's confirmation names no draft of hers: the teacher changes nothing.
    hers = await offline.tap(zoe, confirm, _by_label(confirm, "✅ Enregistrer la commande"))
    assert _text(hers) == "Ce bouton n'est plus valable."

    # Installed twenty days later: its value, the new item's tag and model (the old one's).
    world.clock.advance(timedelta(days=20))
    await offline.tap(sacha, card, repl)
    items = offline.last_message(dm)
    await offline.choose(sacha, items, _id(items, "clm:rpit:"), ["0"])
    choice = offline.last_message(dm)
    form = await offline.tap(sacha, choice, _by_label(choice, "Installé"))
    assert _modal_fields(form) == {
        "day": "Aujourd'hui",
        "value": None,
        "new_tag": None,
        "model": "iPad 9",
    }
    taken = await offline.submit_modal(
        sacha, {"day": "25/03/2026", "value": "429,90", "new_tag": "SEM-0002"}, origin=form
    )
    assert _text(taken) == (
        "L'étiquette SEM-0002 est déjà celle d'un autre matériel : écrivez l'étiquette du nouveau."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    assert _modal_fields(form) == {
        "day": "25/03/2026",
        "value": "429,90",
        "new_tag": "SEM-0002",
        "model": "iPad 9",
    }
    ask = await offline.submit_modal(sacha, {"new_tag": "sem 0420"}, origin=form)
    assert _text(ask) == (
        "Remplacement installé pour le sinistre S-2026-0001 :\n"
        "• ancien matériel : SEM-0001 (retiré de l'inventaire)\n"
        "• nouveau matériel : **SEM0420**, iPad 9, propriété de SEM\n"
        "• installé le mercredi 25 mars 2026, valeur 429,90\xa0€\n"
        "L'ajouter à l'inventaire ?"
    )
    confirm = offline.last_message(dm)
    assert [label for label, _ in confirm.buttons] == [
        "✅ Ajouter à l'inventaire",
        "✏️ Corriger",
        "✖️ Annuler",
    ]
    before = len(api.sent_to(claude.id))
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Ajouter à l'inventaire"))
    assert _text(saved) == (
        "🔁 SEM-0001 est remplacé par SEM0420, ajouté à l'inventaire (sinistre S-2026-0001)."
    )
    twice = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Ajouter à l'inventaire"))
    assert _text(twice) == "Ce bouton n'est plus valable."
    # The commune, on Telegram, gets the list of what was installed, once.
    assert len(api.sent_to(claude.id)) == before + 1
    assert world.last_text(claude) == (
        "📦 Remplacement du sinistre S-2026-0001 (École du Soleil) — matériel installé :\n"
        "• SEM-0001 remplacé par SEM0420, installé le mercredi 25 mars 2026, nouvelle valeur"
        " 429,90\xa0€\n"
        "Valeur totale : 429,90\xa0€ (à reporter dans vos contrats d'assurance)."
    )
    async with world.db.uow() as uow:
        new = await uow.directory.equipment_by_tag("SEM0420")
        old = await uow.directory.equipment_by_tag("SEM-0001")
    assert new is not None and old is not None
    assert (new.type, new.model, new.installed_on, new.value_cents) == (
        "tablet",
        "iPad 9",
        date(2026, 3, 25),
        42990,
    )
    assert (old.state, old.replaced_by_id) == ("stolen", new.id)

    # The insurer's indemnity: to whom, then the day (not ahead) and the amount (above 0).
    asked = await offline.tap(sacha, card, indem)
    assert _text(asked) == (
        "Indemnité de l'assureur pour le sinistre S-2026-0001 : à qui a-t-elle été versée ?"
    )
    payees = offline.last_message(dm)
    assert _options(payees, "clm:ipy:") == [("à SEM", "sem"), ("à la commune", "body")]
    form = await offline.choose(sacha, payees, _id(payees, "clm:ipy:"), ["sem"])
    assert _modal_fields(form) == {"paid_on": "Aujourd'hui", "amount": None}
    ahead = await offline.submit_modal(
        sacha, {"paid_on": "15/04/2026", "amount": "640"}, origin=form
    )
    assert _text(ahead) == (
        "Le mercredi 15 avril 2026 n'est pas encore passé : "
        "indiquez le jour où l'assureur a versé l'indemnité."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    zero = await offline.submit_modal(sacha, {"amount": "0"}, origin=form)
    assert _text(zero) == (
        "Le montant doit être supérieur à 0 € : tapez un montant en euros "
        "(ex. « 120 » ou « 120,50 »)."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    ask = await offline.submit_modal(sacha, {"amount": "640"}, origin=form)
    assert _text(ask) == (
        "Enregistrer l'indemnité de l'assureur pour le sinistre S-2026-0001 : 640,00\xa0€,"
        " versée à SEM le lundi 30 mars 2026 ?"
    )
    confirm = offline.last_message(dm)
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer l'indemnité"))
    assert _text(saved) == "🛡 Indemnité de l'assureur enregistrée pour le sinistre S-2026-0001."
    assert world.last_text(claude) == (
        "Sinistre S-2026-0001 (École du Soleil) : 🛡 Indemnité de l'assureur : 640,00\xa0€, "
        "versée à SEM le lundi 30 mars 2026."
    )
    twice = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer l'indemnité"))
    assert _text(twice) == "Ce bouton n'est plus valable."
    known = await offline.tap(sacha, card, indem)
    assert _text(known) == (
        "L'indemnité de l'assureur est déjà enregistrée pour le sinistre S-2026-0001."
    )

    # Closed, its card offers « 🔎 Voir le sinistre »: the card in full again, with what
    # was recorded, and no indemnity to record any more.
    close = await offline.tap(sacha, card, _by_label(card, "🗂 Clore"))
    await offline.submit_modal(sacha, {"reason": "Indemnisé par l'assureur"}, origin=close)
    asked = offline.last_message(dm)
    await offline.tap(sacha, asked, _by_label(asked, "🗂 Clore"))
    await offline.slash(sacha, "sinistre", {"numero": "S-2026-0001"}, channel=dm)
    closed = offline.last_message(dm)
    assert "🛡 Indemnité de l'assureur versée" not in [label for label, _ in closed.buttons]
    again = await offline.tap(sacha, closed, _by_label(closed, "🔎 Voir le sinistre"))
    text = _text(again)
    assert "• SEM-0001 remplacé par SEM0420, installé le mercredi 25 mars 2026" in text
    assert "🛡 Indemnité de l'assureur : 640,00\xa0€, versée à SEM le lundi 30 mars 2026." in text
    api.assert_no_refusals()


async def test_staff_correct_an_accident_to_vandalism_and_the_commune_is_told(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline = world.api, side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claude = await world.registered("Claude", Role.COMMUNE)
    await _report(side, zoe, "SEM-0003", "damage", "Écran fissuré")
    dm = offline.dm_channel(sacha)
    await offline.slash(sacha, "sinistre", {"numero": "S-2026-0001"}, channel=dm)
    card = offline.last_message(dm)
    cause = _by_label(card, "🔧 Corriger la cause")

    # The teacher may not, even with the button's id.
    forbidden = await offline.tap(zoe, card, cause)
    assert _text(forbidden) == "Vous n'avez pas accès à cette action."

    asked = await offline.tap(sacha, card, cause)
    assert _text(asked) == (
        "Quelle est la cause de la dégradation du sinistre S-2026-0001 ? "
        "Cause enregistrée : casse accidentelle."
    )
    causes = offline.last_message(dm)
    assert [label for label, _ in _options(causes, "clm:czv:")] == [
        "Vandalisme (acte de malveillance)",
        "Accident : panne électrique, surtension",
        "Accident : dégât des eaux",
    ]
    ask = await offline.choose(sacha, causes, _id(causes, "clm:czv:"), ["vandalism"])
    assert _text(ask) == (
        "Corriger la cause de la dégradation du sinistre S-2026-0001 : casse accidentelle → "
        "vandalisme ?\nDémarches dues ensuite : déclarer le sinistre par écrit à son assureur, "
        "prévenir la police ou la gendarmerie et déposer plainte."
    )
    # Cancelled, nothing changes; asked again and confirmed.
    first = offline.last_message(dm)
    cancelled = await offline.tap(sacha, first, _by_label(first, "✖️ Annuler"))
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
    stale = await offline.tap(sacha, first, _by_label(first, "✅ Corriger la cause"))
    assert _text(stale) == "Ce bouton n'est plus valable."
    await offline.choose(sacha, causes, _id(causes, "clm:czv:"), ["vandalism"])
    confirm = offline.last_message(dm)
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Corriger la cause"))
    assert _text(saved).startswith("🔧 Cause du sinistre S-2026-0001 corrigée : vandalisme.\n")
    assert "⏳ dépôt de plainte" in _text(saved)
    assert world.last_text(claude).startswith(
        "🔧 Sinistre S-2026-0001 (École du Soleil) : l'équipe du Plan numérique a corrigé "
        "la cause de la dégradation : vandalisme."
    )
    twice = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Corriger la cause"))
    assert _text(twice) == "Ce bouton n'est plus valable."
    # The old menu, once more: the cause it would set is the one recorded now.
    same = await offline.choose(sacha, causes, _id(causes, "clm:czv:"), ["vandalism"])
    assert _text(same).startswith("C'est déjà la cause enregistrée")
    # The commune now owes the complaint: its button on his card (Telegram's /sinistre).
    await api.send_text(claude, "/sinistre S-2026-0001")
    assert "✅ Fait : dépôt de plainte" in api.last(claude.id).button_texts
    api.assert_no_refusals()


async def test_a_commune_agent_on_discord_records_the_indemnity_and_staff_are_told(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    sacha = await world.registered("Sacha", Role.STAFF)
    await _report(side, zoe, "SEM-0001", "loss", "Tablette introuvable après la sortie")
    dm = offline.dm_channel(claude)

    # His card: the body's buttons (its duties, the indemnity), no staff button.
    await offline.slash(claude, "sinistre", {"numero": "S-2026-0001"}, channel=dm)
    card = offline.last_message(dm)
    labels = [label for label, _ in card.buttons]
    assert "🛡 Indemnité de l'assureur versée" in labels and "🔁 Remplacement" not in labels
    indem = _by_label(card, "🛡 Indemnité de l'assureur versée")
    # Another commune's agent does not find it, by number or by the button's id.
    other = await offline.slash(dana, "sinistre", {"numero": "S-2026-0001"}, channel=side.hall)
    assert _text(other) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    forged = await offline.tap(dana, card, indem)
    assert _text(forged) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    await offline.tap(claude, card, indem)
    payees = offline.last_message(dm)
    form = await offline.choose(claude, payees, _id(payees, "clm:ipy:"), ["body"])
    early = await offline.submit_modal(
        claude, {"paid_on": "01/03/2026", "amount": "abc"}, origin=form
    )
    assert _text(early) == "montant invalide « abc » (ex. 459,90 ou 459.90)"
    refusal = offline.last_message(dm)
    form = await offline.tap(claude, refusal, _by_label(refusal, "✏️ Corriger"))
    early = await offline.submit_modal(
        claude, {"paid_on": "01/03/2026", "amount": "600"}, origin=form
    )
    assert _text(early) == (
        "Le dimanche 1 mars 2026 est avant la découverte du sinistre : "
        "indiquez le jour où l'assureur a versé l'indemnité."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(claude, refusal, _by_label(refusal, "✏️ Corriger"))
    await offline.submit_modal(claude, {"amount": "600"}, origin=form)
    confirm = offline.last_message(dm)
    assert confirm.content == (
        "Enregistrer l'indemnité de l'assureur pour le sinistre S-2026-0001 : 600,00\xa0€,"
        " versée à la commune le mardi 10 mars 2026 ?"
    )
    saved = await offline.tap(claude, confirm, _by_label(confirm, "✅ Enregistrer l'indemnité"))
    assert _text(saved) == "🛡 Indemnité de l'assureur enregistrée pour le sinistre S-2026-0001."
    # Staff, on Telegram, hear of it (Telegram's flow tells staff when the body records it).
    assert world.last_text(sacha) == (
        "Sinistre S-2026-0001 (École du Soleil) : 🛡 Indemnité de l'assureur : 600,00\xa0€, "
        "versée à la commune le mardi 10 mars 2026."
    )
    world.api.assert_no_refusals()


async def test_a_held_schools_replacement_is_refused_at_the_confirmation_and_at_once_after(
    both: tuple[World, DiscordSide],
) -> None:
    from bot.domain.platforms import DISCORD
    from bot.services import holds, registration

    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    # Three thefts and damage within a year: the school is flagged (art. 6).
    await _report(side, zoe, "SEM-0001", "theft", "Tablette volée dans la classe")
    await _report(side, zoe, "SEM-0002", "theft", "Fenêtre forcée, tablette volée")
    await _report(side, zoe, "SEM-0003", "damage", "Écran fêlé")
    dm = offline.dm_channel(sacha)
    await offline.slash(sacha, "sinistre", {"numero": "S-2026-0001"}, channel=dm)
    card = offline.last_message(dm)
    await offline.tap(sacha, card, _by_label(card, "🔁 Remplacement"))
    items = offline.last_message(dm)
    await offline.choose(sacha, items, _id(items, "clm:rpit:"), ["0"])
    choice = offline.last_message(dm)
    form = await offline.tap(sacha, choice, _by_label(choice, "Commandé"))
    await offline.submit_modal(sacha, {}, origin=form)
    confirm = offline.last_message(dm)

    # Meanwhile the school's replacements are held (art. 6, the security condition).
    staff = await registration.find_actor(world.db, DISCORD, sacha.id)
    assert staff is not None
    await holds.place_hold(
        world.db,
        staff.id,
        world.ids["soleil"],
        reason="Trois effractions en un mois",
        now=world.clock.now(),
    )
    refused = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer la commande"))
    assert _text(refused).startswith(
        "⛔ Les remplacements de l'école École du Soleil sont suspendus depuis le mardi"
        " 10 mars 2026"
    )
    async with world.db.uow() as uow:  # nothing recorded
        ordered = await uow.session.scalars(
            select(ClaimItem.id).where(ClaimItem.replacement_ordered_on.is_not(None))
        )
        assert ordered.all() == []
    # Asked again, it is said at once: no menu of items.
    again = await offline.tap(sacha, card, _by_label(card, "🔁 Remplacement"))
    assert _text(again) == _text(refused)
    assert offline.last_message(dm).custom_ids == []
