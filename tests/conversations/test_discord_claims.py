"""Claims (art. 6) on Discord, beside Telegram on the same services.

A teacher reports on Discord: the tags from the command's autocomplete (only her school's),
the kind from a menu, one form for the tags, the discovery time and what happened (refused
in the domain's words and offered again, filled as it was), a summary to confirm; the
commune's agent, on Telegram, gets the duties with their buttons, staff are told there.
A commune's agent on Discord picks the school from a menu, confirms the duties from the
notice's buttons (a modal each) and sends the pledge (a menu, a modal, a confirmation).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.roles import Role
from handlers.discord.offline.api import AUTOCOMPLETE, InteractionRecord
from storage.models import School
from tests.conversations.conftest import DiscordSide, World

EPHEMERAL = 1 << 6


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _id(message: Any, prefix: str) -> str:
    """The custom id of ``message``'s component that starts with ``prefix``."""
    found = [c for c in message.custom_ids if c.startswith(prefix)]
    assert len(found) == 1, message.custom_ids
    return str(found[0])


def _by_label(message: Any, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert len(found) == 1, message.buttons
    return str(found[0])


def _modal_fields(record: InteractionRecord) -> dict[str, str | None]:
    assert record.modal is not None
    fields: dict[str, str | None] = {}
    for top in record.modal["components"]:
        inner = top["components"][0] if top.get("type") == 1 else top["component"]
        fields[inner["custom_id"]] = inner.get("value")
    return fields


async def _autocomplete(side: DiscordSide, user: Any, typed: str) -> list[str]:
    """What Discord shows under /signaler's ``materiel`` as the user types ``typed``."""
    offline = side.discord
    registered = offline._find_command("signaler", side.hall.guild_id)
    data = {
        "id": registered["id"],
        "name": "signaler",
        "type": 1,
        "options": [{"type": 3, "name": "materiel", "value": typed, "focused": True}],
    }
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(AUTOCOMPLETE, user, side.hall, data))
    assert record.response_type == 8
    return [c["value"] for c in record.response["data"]["choices"]]


async def test_a_theft_reported_on_discord_reaches_the_commune_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline, hall = world.api, side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    sacha = await world.registered("Sacha", Role.STAFF)

    # The autocomplete offers her school's tags only, keeping those typed before.
    assert await _autocomplete(side, zoe, "sem-00") == [
        "SEM-0001",
        "SEM-0002",
        "SEM-0003",
        "SEM-0004",
        "SEM-0005",
    ]
    assert "SEM-0001, SEM-0002" in await _autocomplete(side, zoe, "SEM-0001, SEM-000")
    assert await _autocomplete(side, zoe, "SEM-01") == []  # Forges' tablet: not hers

    # Another school's tag is refused at once, in the domain's words.
    other = await offline.slash(zoe, "signaler", {"materiel": "SEM-0101"}, channel=hall)
    assert _text(other) == (
        "L'étiquette SEM-0101 appartient à une autre école : je ne peux pas l'ajouter."
    )

    started = await offline.slash(zoe, "signaler", {"materiel": "SEM-0001, SEM-0002"}, channel=hall)
    assert _text(started) == "Que s'est-il passé ?"
    menu = offline.last_message(hall)
    assert menu.ephemeral
    kinds = menu.component(_id(menu, "clm:rk:"))
    assert [o["label"] for o in kinds["options"]] == ["Vol", "Perte", "Dégradation"]
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["theft"])
    assert form.response_type == 9  # the form, as the answer to the menu
    assert _modal_fields(form)["tags"] == "SEM-0001, SEM-0002"

    # A discovery in the future: refused, the form offered again as it was filled.
    story = "Armoire de la classe fracturée **pendant** le week-end & rien d'autre"
    future = await offline.submit_modal(zoe, {"when": "12/03/2026 8h", "what": story}, origin=form)
    assert _text(future).startswith("Cette date est dans le futur")
    refusal = offline.last_message(hall)
    again = await offline.tap(zoe, refusal, _by_label(refusal, "✏️ Corriger"))
    kept = _modal_fields(again)
    assert kept["what"] == story and kept["when"] == "12/03/2026 8h"

    # An unknown tag wants its description; a typed line gives it.
    unknown = await offline.submit_modal(
        zoe, {"tags": "SEM-0001, SEM-0002, XYZ-9", "when": "aujourd'hui 8h"}, origin=again
    )
    assert _text(unknown) == "Le matériel XYZ-9 est inconnu : il faut le décrire."
    third = await offline.tap(
        zoe, offline.last_message(hall), _by_label(offline.last_message(hall), "✏️ Corriger")
    )
    assert _modal_fields(third)["tags"] == "SEM-0001, SEM-0002, XYZ-9"
    summary = await offline.submit_modal(zoe, {"tags": "SEM-0001 SEM-0002"}, origin=third)
    text = _text(summary)
    assert "**Vol** — École du Soleil" in text
    assert "Constaté le mardi 10 mars 2026 à 08:00" in text
    assert "• **SEM-0001** tablette — iPad 9 : valeur 400,00\xa0€, 80 % → 320,00\xa0€" in text
    assert "Remboursement estimé : **640,00\xa0€**" in text
    assert "avant le jeudi 12 mars 2026 à 08:00" in text
    assert "*Armoire de la classe fracturée \\*\\*pendant\\*\\* le week-end & rien" in text
    shown = offline.last_message(hall)
    assert [label for label, _ in shown.buttons] == [
        "✅ Confirmer l'envoi",
        "✏️ Corriger",
        "✖️ Annuler",
    ]
    assert api.sent_to(claude.id) == []  # nothing sent before the confirmation

    done = await offline.tap(zoe, shown, _by_label(shown, "✅ Confirmer l'envoi"))
    reply = offline.message(done.original_id or 0)  # the deferred answer, filled
    assert reply.content.startswith("✅ Sinistre **S-2026-0001** enregistré.") and reply.ephemeral
    # Tapped again: the draft is gone, nothing is reported twice.
    twice = await offline.tap(zoe, shown, _by_label(shown, "✅ Confirmer l'envoi"))
    assert _text(twice) == "Ce bouton n'est plus valable."

    # The commune's agent, on Telegram, gets the duties with a button each; staff are told.
    notice = api.last(claude.id)
    assert notice.text is not None and "Vos démarches, avant le jeudi 12 mars 2026" in notice.text
    assert "✅ Fait : dépôt de plainte" in notice.button_texts
    assert world.last_text(sacha).startswith(
        "🆕 Sinistre S-2026-0001 (vol) — École du Soleil, Saint-Étienne"
    )
    # He confirms a duty there, through the same services.
    world.clock.advance(timedelta(hours=3))
    await api.tap(claude, notice, "✅ Fait : déclaration écrite à l'assureur")
    await api.tap(claude, api.last(claude.id), "Maintenant")
    assert "✅ déclaration écrite à l'assureur — le mardi 10 mars 2026 à 13:00" in (
        world.last_text(claude)
    )
    await api.tap(claude, notice, "✅ Fait : information de la police ou de la gendarmerie")
    await api.tap(claude, api.last(claude.id), "Maintenant")
    await api.tap(claude, notice, "✅ Fait : dépôt de plainte")
    await api.send_text(claude, "aujourd'hui 12h")
    await api.send_text(claude, "PV 2026/123")
    assert world.last_text(claude).startswith(
        "✅ Toutes les démarches du sinistre S-2026-0001 sont faites."
    )

    # Followed to payment on Telegram: the pledge, the complete dossier, the payment.
    await api.tap(claude, api.last(claude.id), "📝 Envoyer la fiche d'engagement")
    await api.tap(claude, api.last(claude.id), "Retenir 640,00\xa0€")
    await api.tap(claude, api.last(claude.id), "versement par la commune")
    await api.send_text(claude, "15/06/2026")
    await api.tap(claude, api.last(claude.id), "✅ Envoyer la fiche")
    pledged = api.last(sacha.id)
    assert (pledged.text or "").startswith("📝 Fiche d'engagement de versement reçue")
    await api.tap(sacha, pledged, "📁 Dossier complet")
    await api.tap(sacha, api.last(sacha.id), "✅ Oui, complet malgré tout")
    assert (
        "640,00\xa0€ à verser à Saint-Étienne Métropole au plus tard le mercredi 10 mars 2027"
        in (world.last_text(claude))
    )
    await api.tap(sacha, pledged, "💶 Enregistrer un paiement")
    await api.tap(sacha, api.last(sacha.id), "Retenir 640,00\xa0€")
    await api.tap(sacha, api.last(sacha.id), "Aujourd'hui")
    await api.tap(sacha, api.last(sacha.id), "la commune, sur ses fonds propres")
    await api.tap(sacha, api.last(sacha.id), "✅ Enregistrer le paiement")
    assert world.last_text(sacha) == (
        "✅ Le sinistre S-2026-0001 est remboursé intégralement : il est clos."
    )
    assert world.last_text(claude).startswith(
        "✅ Le sinistre S-2026-0001 (École du Soleil) est remboursé intégralement et clos."
    )
    # The service tells the body of the payment, not the reporter: Zoé's channel is quiet.
    assert offline.messages(offline.dm_channel(zoe)) == []
    api.assert_no_refusals()


async def test_a_claim_closed_by_staff_on_telegram_is_told_to_its_reporter_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline, hall = world.api, side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await offline.slash(zoe, "signaler", {"materiel": "SEM-0003"}, channel=hall)
    menu = offline.last_message(hall)
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["loss"])
    await offline.submit_modal(
        zoe, {"when": "hier", "what": "Portable introuvable après la sortie"}, origin=form
    )
    summary = offline.last_message(hall)
    await offline.tap(zoe, summary, _by_label(summary, "✅ Confirmer l'envoi"))

    await api.tap(sacha, api.last(sacha.id), "🗂 Clore")
    await api.send_text(sacha, "Doublon du sinistre S-2026-0002")
    await api.tap(sacha, api.last(sacha.id), "🗂 Clore")
    assert world.last_text(sacha) == "🗂 Sinistre S-2026-0001 clos. Ses relances sont annulées."
    told = offline.last_message(offline.dm_channel(zoe))
    assert "S-2026-0001" in told.content and "Doublon du sinistre S-2026-0002" in told.content
    api.assert_no_refusals()


async def test_a_commune_agent_on_discord_picks_the_school_confirms_the_duties_and_pledges(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    claude = await side.registered(world, "claude", Role.COMMUNE)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)

    await offline.slash(claude, "signaler", {"materiel": "SEM-0003"}, channel=hall)
    menu = offline.last_message(hall)
    await offline.choose(claude, menu, _id(menu, "clm:rk:"), ["damage"])
    causes = offline.last_message(hall)
    await offline.choose(claude, causes, _id(causes, "clm:rc:"), ["vandalism"])
    schools = offline.last_message(hall)
    offered = schools.component(_id(schools, "clm:rs:"))["options"]
    assert [o["label"] for o in offered] == [
        "École de la Lune (0420002Z)",
        "École du Soleil (0420001Y)",
    ]
    # An old menu (the kind's) no longer changes the draft.
    stale = await offline.choose(claude, menu, _id(menu, "clm:rk:"), ["loss"])
    assert _text(stale) == "Ce bouton n'est plus valable."
    # The Moon's school: SEM-0003 is not one of its tags.
    lune = next(o["value"] for o in offered if "Lune" in o["label"])
    form = await offline.choose(claude, schools, _id(schools, "clm:rs:"), [lune])
    refused = await offline.submit_modal(
        claude, {"when": "hier 17h", "what": "Écran fendu à coups de pied"}, origin=form
    )
    assert _text(refused) == (
        "L'étiquette SEM-0003 appartient à une autre école : je ne peux pas l'ajouter."
    )
    # Back to the menu of schools? No: the form is the Moon's; he cancels and starts again.
    cancelled = await offline.tap(claude, offline.message(schools.id), _id(schools, "clm:rno:"))
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."

    await offline.slash(claude, "signaler", {"materiel": "SEM-0003"}, channel=hall)
    menu = offline.last_message(hall)
    await offline.choose(claude, menu, _id(menu, "clm:rk:"), ["theft"])
    schools = offline.last_message(hall)
    soleil = next(
        o["value"]
        for o in schools.component(_id(schools, "clm:rs:"))["options"]
        if "Soleil" in o["label"]
    )
    form = await offline.choose(claude, schools, _id(schools, "clm:rs:"), [soleil])
    await offline.submit_modal(
        claude,
        {"when": "aujourd'hui 8h", "what": "Portable volé en salle des maîtres"},
        origin=form,
    )
    summary = offline.last_message(hall)
    await offline.tap(claude, summary, _by_label(summary, "✅ Confirmer l'envoi"))

    # His notice comes to his private channel, with the duties' buttons.
    dm = offline.dm_channel(claude)
    notice = offline.last_message(dm)
    assert "S-2026-0001" in notice.content and "Vos démarches" in notice.content
    assert world.last_text(sacha).startswith("🆕 Sinistre S-2026-0001 (vol) — École du Soleil")
    insurer = next(c for c in notice.custom_ids if c.endswith(":insurer_declaration"))
    complaint = next(c for c in notice.custom_ids if c.endswith(":complaint"))

    # Another commune's agent and the teacher may not confirm his duties.
    forged = await offline.tap(dana, notice, insurer)
    assert _text(forged) == "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
    teacher = await offline.tap(zoe, notice, insurer)
    assert _text(teacher) == "Vous n'avez pas accès à cette action."

    world.clock.advance(timedelta(hours=2))
    shown = await offline.tap(claude, notice, insurer)
    assert _modal_fields(shown) == {"done_at": "Maintenant"}
    # Before the discovery: refused in the domain's words, the form offered again.
    early = await offline.submit_modal(claude, {"done_at": "hier 20h"}, origin=shown)
    assert _text(early) == "Une démarche ne peut pas précéder la constatation du sinistre."
    refusal = offline.last_message(dm)
    again = await offline.tap(claude, refusal, _by_label(refusal, "✏️ Corriger"))
    saved = await offline.submit_modal(claude, {}, origin=again)
    assert "✅ déclaration écrite à l'assureur — le mardi 10 mars 2026 à 12:00" in _text(saved)

    # The complaint wants its reference.
    shown = await offline.tap(claude, notice, complaint)
    assert set(_modal_fields(shown)) == {"done_at", "reference"}
    saved = await offline.submit_modal(
        claude, {"done_at": "aujourd'hui 10h30", "reference": "PV 2026/77"}, origin=shown
    )
    assert "✅ dépôt de plainte — le mardi 10 mars 2026 à 10:30 (réf. PV 2026/77)" in _text(saved)
    # A duty already confirmed: said so, no form.
    done_twice = await offline.tap(claude, notice, complaint)
    assert _text(done_twice) == "Cette démarche du sinistre S-2026-0001 est déjà confirmée."

    # The pledge: who pays, then the amount (the refund by age offered) and the day.
    pledge = next(c for c in notice.custom_ids if c.startswith("clm:pledge:"))
    await offline.tap(claude, notice, pledge)
    modes = offline.last_message(dm)
    options = modes.component(_id(modes, "clm:pmode:"))["options"]
    assert [o["label"] for o in options] == [
        "versement direct par l'assureur",
        "versement par la commune",
    ]
    form = await offline.choose(claude, modes, _id(modes, "clm:pmode:"), ["via_commune"])
    assert _modal_fields(form)["amount"] == "360,00\xa0€"  # 900 € bought in 2023: 40 %
    past = await offline.submit_modal(claude, {"planned": "01/03/2026"}, origin=form)
    assert _text(past) == (
        "Le dimanche 1 mars 2026 est déjà passé : la date prévisionnelle du versement doit"
        " être aujourd'hui (mardi 10 mars 2026) ou plus tard."
    )
    refusal = offline.last_message(dm)
    form = await offline.tap(claude, refusal, _by_label(refusal, "✏️ Corriger"))
    ask = await offline.submit_modal(
        claude, {"amount": "720", "planned": "15/06/2026"}, origin=form
    )
    assert _text(ask) == (
        "Envoyer la fiche d'engagement du sinistre S-2026-0001 ?\nMontant : 720,00\xa0€\n"
        "Mode : versement par la commune\nVersement prévu le lundi 15 juin 2026"
    )
    confirm = offline.last_message(dm)
    sent = await offline.tap(claude, confirm, _by_label(confirm, "✅ Envoyer la fiche"))
    assert _text(sent).startswith("📝 Fiche d'engagement du sinistre S-2026-0001 envoyée")
    assert world.last_text(sacha).startswith(
        "📝 Fiche d'engagement de versement reçue — sinistre S-2026-0001"
    )
    assert "Montant estimé : 720,00\xa0€" in world.last_text(sacha)


async def test_staff_on_discord_record_a_payment_and_close_the_claim(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline, hall = world.api, side.discord, side.hall
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claude = await world.registered("Claude", Role.COMMUNE)
    await offline.slash(zoe, "signaler", {"materiel": "SEM-0001, SEM-0002"}, channel=hall)
    menu = offline.last_message(hall)
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["theft"])
    await offline.submit_modal(
        zoe, {"when": "aujourd'hui 8h", "what": "Armoire fracturée"}, origin=form
    )
    summary = offline.last_message(hall)
    await offline.tap(zoe, summary, _by_label(summary, "✅ Confirmer l'envoi"))
    staff_dm = offline.dm_channel(sacha)
    reported = offline.last_message(staff_dm)
    assert reported.content.startswith(
        "🆕 **Sinistre S-2026-0001** (vol) — École du Soleil, Saint-Étienne ; signalé par zoe."
    )

    # The commune pledges on Telegram; staff get the pledge on Discord, with a payment button.
    notice = api.last(claude.id)
    await api.tap(claude, notice, "📝 Envoyer la fiche d'engagement")
    await api.tap(claude, api.last(claude.id), "Retenir 640,00\xa0€")
    await api.tap(claude, api.last(claude.id), "versement par la commune")
    await api.send_text(claude, "15/06/2026")
    await api.tap(claude, api.last(claude.id), "✅ Envoyer la fiche")
    pledged = offline.last_message(staff_dm)
    assert "Fiche d'engagement de versement reçue" in pledged.content
    pay = next(c for c in pledged.custom_ids if c.startswith("clm:pay:"))

    # The dossier complete, from Discord: the commune learns its year to pay on Telegram.
    complete = next(c for c in pledged.custom_ids if c.startswith("clm:complete:"))
    await offline.tap(sacha, pledged, complete)
    asked = offline.last_message(staff_dm)
    assert "Marquer le dossier du sinistre S-2026-0001 comme complet ?" in asked.content
    done = await offline.tap(sacha, asked, _by_label(asked, "✅ Oui, complet malgré tout"))
    assert _text(done).startswith("📁 Dossier S-2026-0001 complet.")
    assert "au plus tard le mercredi 10 mars 2027" in world.last_text(claude)
    twice = await offline.tap(sacha, asked, _by_label(asked, "✅ Oui, complet malgré tout"))
    assert _text(twice) == "Ce bouton n'est plus valable."

    # The teacher may not record a payment, even with the button's id.
    forbidden = await offline.tap(zoe, pledged, pay)
    assert _text(forbidden) == "Vous n'avez pas accès à cette action."

    await offline.tap(sacha, pledged, pay)
    payers = offline.last_message(staff_dm)
    form = await offline.choose(sacha, payers, _id(payers, "clm:ppay:"), ["body_funds"])
    assert _modal_fields(form) == {"amount": "640,00\xa0€", "paid_on": "Aujourd'hui"}
    too_much = await offline.submit_modal(sacha, {"amount": "700"}, origin=form)
    assert _text(too_much) == (
        "Ce paiement dépasse ce qui reste dû : tapez un montant au plus égal au reste dû."
    )
    refusal = offline.last_message(staff_dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    ask = await offline.submit_modal(sacha, {"amount": "300"}, origin=form)
    assert _text(ask) == (
        "Enregistrer un paiement de 300,00\xa0€ reçu le mardi 10 mars 2026 pour le sinistre"
        " S-2026-0001, payé par la commune, sur ses fonds propres ?"
    )
    confirm = offline.last_message(staff_dm)
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer le paiement"))
    assert _text(saved) == (
        "💶 Paiement enregistré pour le sinistre S-2026-0001. Reste dû : 340,00\xa0€."
    )
    again = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer le paiement"))
    assert _text(again) == "Ce bouton n'est plus valable."  # recorded once, not twice

    # Closing with money still owed wants a reason; the form is offered again.
    close = next(c for c in pledged.custom_ids if c.startswith("clm:close:"))
    form = await offline.tap(sacha, pledged, close)
    await offline.submit_modal(sacha, {}, origin=form)
    asked = offline.last_message(staff_dm)
    assert asked.content == "Clore le sinistre S-2026-0001 ?\nRaison : —"
    refused = await offline.tap(sacha, asked, _by_label(asked, "🗂 Clore"))
    assert _text(refused) == (
        "Il reste de l'argent dû (ou aucun montant n'est fixé) : une raison est obligatoire"
        " pour clore."
    )
    refusal = offline.last_message(staff_dm)
    form = await offline.tap(sacha, refusal, _by_label(refusal, "✏️ Corriger"))
    await offline.submit_modal(sacha, {"reason": "Solde pris en charge par le SEM"}, origin=form)
    asked = offline.last_message(staff_dm)
    closed = await offline.tap(sacha, asked, _by_label(asked, "🗂 Clore"))
    assert _text(closed) == "🗂 Sinistre S-2026-0001 clos. Ses relances sont annulées."
    # Its reporter learns it on Discord, the commune on Telegram.
    told = offline.last_message(offline.dm_channel(zoe))
    assert told.content == (
        "🗂 Le sinistre **S-2026-0001** (École du Soleil) a été clos par l'équipe du Plan"
        " numérique. Motif : Solde pris en charge par le SEM"
    )
    assert world.last_text(claude).startswith("🗂 Le sinistre S-2026-0001 (École du Soleil)")
    api.assert_no_refusals()


async def test_a_commune_of_many_schools_pages_its_menu_of_schools(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline, hall = side.discord, side.hall
    async with world.db.uow() as uow:
        uow.session.add_all(
            School(
                uai=f"04201{n:02d}B",
                name=f"École n° {n:02d}",
                commune_id=world.ids["st_etienne"],
                sector="public",
                created_at=world.clock.now(),
            )
            for n in range(30)
        )
        await uow.commit()
    claude = await side.registered(world, "claude", Role.COMMUNE)
    await offline.slash(claude, "signaler", channel=hall)
    menu = offline.last_message(hall)
    await offline.choose(claude, menu, _id(menu, "clm:rk:"), ["loss"])
    first = offline.last_message(hall)
    labels = [o["label"] for o in first.component(_id(first, "clm:rs:"))["options"]]
    assert len(labels) == 24 and labels[-1] == "Suivants ▶️"  # 32 schools: 23, then 9
    assert labels[:3] == [
        "École de la Lune (0420002Z)",
        "École du Soleil (0420001Y)",
        "École n° 00 (0420100B)",
    ]
    await offline.choose(claude, first, _id(first, "clm:rs:"), ["p1"])
    second = offline.last_message(hall)
    options = second.component(_id(second, "clm:rs:"))["options"]
    assert options[0]["label"] == "◀️ Précédents" and len(options) == 10
    assert options[-1]["label"] == "École n° 29 (0420129B)"
    form = await offline.choose(claude, second, _id(second, "clm:rs:"), [options[-1]["value"]])
    assert form.response_type == 9
    # The first page's menu is stale now: its draft moved on.
    stale = await offline.choose(claude, first, _id(first, "clm:rs:"), ["p1"])
    assert _text(stale) == "Ce bouton n'est plus valable."


async def test_a_summary_is_still_confirmed_after_a_restart_and_a_stranger_may_not_report(
    both: tuple[World, DiscordSide],
) -> None:
    from handlers.discord.app import PneDiscord

    world, side = both
    api, offline, hall = world.api, side.discord, side.hall
    stranger = side.user("inconnu")
    refused = await offline.slash(stranger, "signaler", {"materiel": "SEM-0001"}, channel=hall)
    assert _text(refused).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    await offline.slash(zoe, "signaler", {"materiel": "SEM-0004"}, channel=hall)
    menu = offline.last_message(hall)
    # A stranger tapping her menu changes nothing of hers.
    assert _text(await offline.choose(stranger, menu, _id(menu, "clm:rk:"), ["theft"])) == (
        _text(refused)
    )
    form = await offline.choose(zoe, menu, _id(menu, "clm:rk:"), ["damage"])
    causes = offline.last_message(hall)
    form = await offline.choose(zoe, causes, _id(causes, "clm:rc:"), ["breakage"])
    await offline.submit_modal(
        zoe, {"when": "hier 16h", "what": "Vidéoprojecteur tombé du plafond"}, origin=form
    )
    summary = offline.last_message(hall)
    assert "**Dégradation (casse accidentelle)** — École du Soleil" in summary.content

    # The bot restarts: the summary's draft is a row, its button still works.
    await side.client.close()
    client = PneDiscord(world.app.bot_data["services"])
    await offline.connect(client)
    try:
        done = await offline.tap(zoe, summary, _by_label(summary, "✅ Confirmer l'envoi"))
        assert offline.message(done.original_id or 0).content.startswith(
            "✅ Sinistre **S-2026-0001** enregistré."
        )
        notice = api.last(claude.id)
        assert "S-2026-0001" in (notice.text or "")
        # An accident owes no complaint (decision 0019).
        assert "✅ Fait : dépôt de plainte" not in notice.button_texts
    finally:
        await client.close()
