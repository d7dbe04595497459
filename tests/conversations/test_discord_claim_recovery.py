"""Items found again and the body's own payments (art. 6) on Discord, beside Telegram on
the same services.

A theft is reported; the commune's agent on Discord reports items found (tapped in and
out of the choice, the time refused when it is before the discovery and the form offered
again), staff on Discord confirm them with each item's damage (a negative one refused);
staff record six items found after the indemnity, their damages five to a form; the
commune on Telegram asks to take them back, staff agree on Discord; on Discord the
commune asks and staff refuse; staff dismiss a wrong report made on Telegram. The
commune declares a payment on Discord with its proof answered in private (linked for
staff on Discord, said to stay on Discord for staff on Telegram); staff confirm it on
Discord, or reject one declared on Telegram, with a reason. A confirmation tapped twice
writes nothing; a teacher, another commune's agent and forged ids are refused.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.domain.claims import ClaimKind, IndemnityPayee, PaymentMode
from bot.domain.platforms import DISCORD
from bot.domain.roles import Role
from bot.services import claims, registration
from handlers.discord.offline.api import InteractionRecord
from storage.models import Attachment, Equipment, Payment
from tests.conversations.conftest import DiscordSide, World

PDF = b"%PDF-1.4 virement\n"
STALE = "Ce bouton n'est plus valable."
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_A_CLAIM = "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."
CORRIGER = "✏️ Corriger"


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _answers(side: DiscordSide, record: Any) -> list[Any]:
    ids = ([record.original_id] if record.original_id else []) + list(record.followup_ids)
    return [side.discord.message(i) for i in ids]


def _by_label(message: Any, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert len(found) == 1, message.buttons
    return str(found[0])


def _id(message: Any, prefix: str) -> str:
    found = [c for c in message.custom_ids if c.startswith(prefix)]
    assert len(found) == 1, message.custom_ids
    return str(found[0])


def _modal_fields(record: InteractionRecord) -> dict[str, str | None]:
    assert record.modal is not None
    fields: dict[str, str | None] = {}
    for top in record.modal["components"]:
        inner = top["components"][0] if top.get("type") == 1 else top["component"]
        fields[inner["custom_id"]] = inner.get("value")
    return fields


def _modal_labels(record: InteractionRecord) -> list[str]:
    assert record.modal is not None
    return [
        (top["components"][0] if top.get("type") == 1 else top["component"])["label"]
        for top in record.modal["components"]
    ]


async def _forged_tap(side: DiscordSide, user: Any, message: Any, custom_id: str) -> Any:
    """A tap whose custom id was doctored on the way (never offered to this person)."""
    offline = side.discord
    stored = copy.deepcopy(offline._messages[message.channel_id][message.id])
    stored["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "·", "custom_id": custom_id}]}
    ]
    data = {"custom_id": custom_id, "component_type": 2}
    channel = offline.channels[int(stored["channel_id"])]
    return await offline._play(offline._interaction(3, user, channel, data, message=stored))


async def _pid(world: World, platform: str, user: Any) -> int:
    person = await registration.find_person(world.db, platform, user.id)
    assert person is not None
    return person.id


async def _theft(world: World, reporter_id: int, tags: tuple[str, ...], unknown: int = 0) -> int:
    """A theft of ``tags`` (and ``unknown`` items outside the inventory) at the Sun's
    school, discovered at 08:00 (it is 10:00)."""
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=reporter_id,
            school_id=world.ids["soleil"],
            kind=ClaimKind.THEFT,
            discovered_at=world.clock.now() - timedelta(hours=2),
            description="Armoire fracturée",
            items=(
                *(claims.ItemRequest(tag) for tag in tags),
                *(claims.ItemRequest(None, f"casque n° {n}") for n in range(1, unknown + 1)),
            ),
        ),
        world.clock.now(),
    )
    return reported.claim.id


async def _pledge(world: World, agent_id: int, claim_id: int) -> None:
    await claims.record_pledge(
        world.db,
        agent_id,
        claim_id,
        amount=Decimal("640"),
        mode=PaymentMode.VIA_COMMUNE,
        planned_on=date(2026, 6, 15),
        now=world.clock.now(),
    )


async def _indemnity(world: World, staff_id: int, claim_id: int) -> None:
    await claims.record_indemnity(
        world.db,
        staff_id,
        claim_id,
        paid_on=world.clock.now().date(),
        payee=IndemnityPayee.BODY,
        amount=Decimal("600"),
        now=world.clock.now(),
    )


async def _dossier(side: DiscordSide, user: Any, number: str = "S-2026-0001") -> Any:
    shown = await side.discord.slash(user, "dossier", {"numero": number}, channel=side.hall)
    return _answers(side, shown)[0]


async def _states(world: World) -> dict[str, str]:
    async with world.db.uow() as uow:
        rows = await uow.session.execute(
            select(Equipment.asset_tag, Equipment.state).where(
                Equipment.asset_tag.in_(["SEM-0001", "SEM-0002"])
            )
        )
        return {tag: state for tag, state in rows}


# --- items found before the indemnity: the body reports on Discord, staff confirm -----------


async def test_the_commune_on_discord_reports_found_items_and_staff_confirm_their_damage(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001", "SEM-0002"))
    card = await _dossier(side, claude)
    recover = f"clm:recov:{claim_id}"
    assert recover in card.custom_ids

    asked = await offline.tap(claude, card, recover)
    assert _text(asked) == (
        "Objets du sinistre S-2026-0001 retrouvés. Touchez un objet pour le retirer ou le"
        " remettre, puis « Terminé ».\nObjets choisis : SEM-0001, SEM-0002"
    )
    choice = _answers(side, asked)[0]
    assert choice.ephemeral
    first_ids = list(choice.custom_ids)
    assert [label for label, _ in choice.buttons] == [
        "✅ SEM-0001",
        "✅ SEM-0002",
        "✔️ Terminé",
        "✖️ Annuler",
    ]
    # Each tap changes the same message: both out, then none chosen is refused.
    await offline.tap(claude, choice, _by_label(choice, "✅ SEM-0001"))
    choice = offline.message(choice.id)
    assert choice.content.endswith("Objets choisis : SEM-0002")
    await offline.tap(claude, choice, _by_label(choice, "✅ SEM-0002"))
    choice = offline.message(choice.id)
    assert choice.content.endswith("Objets choisis : —")
    none = await offline.tap(claude, choice, _by_label(choice, "✔️ Terminé"))
    assert _text(none) == "Choisissez au moins un objet retrouvé."
    await offline.tap(claude, choice, _by_label(choice, "▫️ SEM-0001"))
    choice = offline.message(choice.id)
    assert [label for label, _ in choice.buttons][:2] == ["✅ SEM-0001", "▫️ SEM-0002"]
    # The message's first buttons named a draft that has moved on since: they count no more.
    for old in first_ids:
        assert _text(await _forged_tap(side, claude, choice, old)) == STALE

    form = await offline.tap(claude, choice, _by_label(choice, "✔️ Terminé"))
    assert _modal_fields(form) == {"told": "Maintenant"}  # no damages: staff assess them
    assert form.modal is not None and form.modal["title"] == "Objets retrouvés — S-2026-0001"
    early = await offline.submit_modal(claude, {"told": "hier 17h"}, origin=form)
    assert _text(early) == (
        "Cette date est avant la découverte du sinistre : indiquez quand la récupération a"
        " été connue."
    )
    refusal = _answers(side, early)[0]
    again = await offline.tap(claude, refusal, _by_label(refusal, CORRIGER))
    assert _modal_fields(again) == {"told": "hier 17h"}  # kept as typed
    asked = await offline.submit_modal(claude, {"told": "maintenant"}, origin=again)
    assert _text(asked) == (
        "Signaler à SEM les objets retrouvés du sinistre S-2026-0001 : SEM-0001 (avis du"
        " mardi 10 mars 2026 à 10:00) ?"
    )
    confirm = _answers(side, asked)[0]
    assert [label for label, _ in confirm.buttons] == ["✅ Signaler à SEM", "✖️ Annuler"]
    sent = await offline.tap(claude, confirm, _by_label(confirm, "✅ Signaler à SEM"))
    assert _text(sent) == (
        "🔙 Objets retrouvés signalés à SEM pour le sinistre S-2026-0001 : SEM va les confirmer."
    )
    twice = await offline.tap(claude, confirm, _by_label(confirm, "✅ Signaler à SEM"))
    assert _text(twice) == STALE
    assert await _states(world) == {"SEM-0001": "stolen", "SEM-0002": "stolen"}

    # Staff on Discord: confirm with each item's damage.
    staff_dm = offline.dm_channel(sacha)
    notice = offline.last_message(staff_dm)
    assert notice.content.startswith(
        "🔙 Saint-Étienne signale des objets retrouvés pour le sinistre **S-2026-0001**"
    )
    confirm_id = _by_label(notice, "✅ Confirmer les objets retrouvés (SEM-0001)")
    # The teacher, even with the button's id, may not.
    assert _text(await offline.tap(zoe, notice, confirm_id)) == FORBIDDEN
    form = await offline.tap(sacha, notice, confirm_id)
    fields = _modal_fields(form)
    assert list(fields.values()) == ["0"] and len(fields) == 1
    assert _modal_labels(form) == ["Détériorations de SEM-0001 (€, 0 si intact)"]
    (field,) = fields
    negative = await offline.submit_modal(sacha, {field: "-5"}, origin=form)
    assert _text(negative) == "montant invalide « -5 » (ex. 459,90 ou 459.90)"
    refusal = _answers(side, negative)[0]
    again = await offline.tap(sacha, refusal, _by_label(refusal, CORRIGER))
    assert _modal_fields(again) == {field: "-5"}
    asked = await offline.submit_modal(sacha, {field: "45,50"}, origin=again)
    assert _text(asked) == (
        "Enregistrer les objets retrouvés du sinistre S-2026-0001 : SEM-0001 (avis du mardi"
        " 10 mars 2026 à 10:00) ?\nDétériorations :\n• SEM-0001 : 45,50\xa0€"
    )
    confirm = _answers(side, asked)[0]
    saved = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer"))
    assert _text(saved) == (
        "🔙 Récupération enregistrée pour le sinistre S-2026-0001 ; la commune est prévenue."
    )
    assert _text(await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer"))) == STALE
    told = offline.last_message(offline.dm_channel(claude))
    assert told.content.startswith(
        "🔙 Objets du sinistre **S-2026-0001** (École du Soleil) retrouvés avant le paiement"
        " de l'indemnité : SEM-0001. Ils reviennent à l'école ; l'assureur ne doit que les"
        " détériorations (45,50\xa0€)."
    )
    assert await _states(world) == {"SEM-0001": "out_of_order", "SEM-0002": "stolen"}
    # The old confirmation of the notice finds the recovery confirmed.
    late = await offline.tap(sacha, notice, confirm_id)
    assert _text(late) == (
        "Cette récupération n'est plus à cette étape : ouvrez le dossier S-2026-0001 pour voir"
        " où elle en est."
    )


# --- after the indemnity: six items, their damages in turns; the request and SEM's answer ---


async def test_staff_record_six_items_in_turns_and_agree_to_the_communes_request_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline = world.api, side.discord
    claude = await world.registered("Claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    tags = ("SEM-0001", "SEM-0002", "SEM-0003", "SEM-0004", "SEM-0005")
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), tags, unknown=1)
    await _indemnity(world, await _pid(world, DISCORD, sacha), claim_id)
    world.clock.advance(timedelta(days=1))

    card = await _dossier(side, sacha)
    asked = await offline.tap(sacha, card, f"clm:recov:{claim_id}")
    choice = _answers(side, asked)[0]
    assert [label for label, _ in choice.buttons] == [
        *(f"✅ {tag}" for tag in tags),
        "✅ casque n° 1",
        "✔️ Terminé",
        "✖️ Annuler",
    ]
    form = await offline.tap(sacha, choice, _by_label(choice, "✔️ Terminé"))
    labels = _modal_labels(form)
    assert labels == [
        "Avisé quand ? (ex. « maintenant », « hier »)",
        "Détériorations de SEM-0001 (€, 0 si intact)",
        "Détériorations de SEM-0002 (€, 0 si intact)",
        "Détériorations de SEM-0003 (€, 0 si intact)",
        "Détériorations de SEM-0004 (€, 0 si intact)",
    ]
    first = {f: "0" for f in _modal_fields(form) if f != "told"}
    first[next(iter(first))] = "50"
    more = await offline.submit_modal(sacha, first, origin=form)
    assert _text(more) == ("Encore 2 objets à estimer : touchez « Détériorations suivantes ».")
    turn = _answers(side, more)[0]
    form = await offline.tap(sacha, turn, _by_label(turn, "✏️ Détériorations suivantes"))
    assert _modal_labels(form) == [
        "Détériorations de SEM-0005 (€, 0 si intact)",
        "Détériorations de casque n°… (€, 0 si intact)",
    ]
    asked = await offline.submit_modal(sacha, {}, origin=form)
    assert _text(asked).startswith(
        "Enregistrer les objets retrouvés du sinistre S-2026-0001 : SEM-0001, SEM-0002,"
        " SEM-0003, SEM-0004, SEM-0005, casque n° 1 (avis du mercredi 11 mars 2026 à 10:00)"
        " ?\nDétériorations :\n• SEM-0001 : 50,00\xa0€\n• SEM-0002 : 0,00\xa0€"
    )
    confirm = _answers(side, asked)[0]
    await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer"))

    # The commune, on Telegram, may ask to take them back within fifteen days.
    told = api.last(claude.id)
    assert (told.text or "").startswith(
        "🔙 Objets du sinistre S-2026-0001 (École du Soleil) retrouvés après le paiement de"
        " l'indemnité : SEM-0001, SEM-0002, SEM-0003, SEM-0004, SEM-0005, casque n° 1. Pour"
        " les reprendre, demandez-le au plus tard le jeudi 26 mars 2026"
    )
    await api.tap(claude, told, "🔙 Demander à reprendre les objets")
    await api.tap(claude, api.last(claude.id), "🔙 Demander à reprendre les objets")
    assert world.last_text(claude) == (
        "🔙 Demande de reprise transmise à SEM pour le sinistre S-2026-0001."
    )
    request = offline.last_message(offline.dm_channel(sacha))
    assert "demande à reprendre les objets retrouvés du sinistre **S-2026-0001**" in (
        request.content
    )
    agree = _by_label(request, "👍 Avis conforme")
    assert _text(await offline.tap(zoe, request, agree)) == FORBIDDEN
    asked = await offline.tap(sacha, request, agree)
    assert _text(asked).startswith(
        "Donner l'avis conforme de SEM : la commune reprend les objets du sinistre S-2026-0001"
    )
    confirm = _answers(side, asked)[0]
    done = await offline.tap(sacha, confirm, _by_label(confirm, "👍 Avis conforme"))
    assert _text(done) == "👍 Avis conforme enregistré pour le sinistre S-2026-0001."
    assert _text(await offline.tap(sacha, confirm, _by_label(confirm, "👍 Avis conforme"))) == (
        STALE
    )
    assert world.last_text(claude).startswith(
        "👍 SEM donne son accord : vous reprenez les objets du sinistre S-2026-0001"
    )
    # Agreed already: refusing from the old notice is refused by the service.
    refused = await offline.tap(sacha, request, _by_label(request, "👎 Refuser la reprise"))
    confirm = _answers(side, refused)[0]
    late = await offline.tap(sacha, confirm, _by_label(confirm, "👎 Refuser la reprise"))
    assert _text(late) == (
        "La récupération n'est pas à cette étape : ouvrez le dossier pour voir où elle en est."
    )
    assert await _states(world) == {"SEM-0001": "out_of_order", "SEM-0002": "in_service"}
    api.assert_no_refusals()


async def test_the_commune_on_discord_asks_for_the_items_and_staff_refuse(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001", "SEM-0002"))
    await _indemnity(world, await _pid(world, DISCORD, sacha), claim_id)
    world.clock.advance(timedelta(days=1))
    card = await _dossier(side, sacha)
    choice = _answers(side, await offline.tap(sacha, card, f"clm:recov:{claim_id}"))[0]
    form = await offline.tap(sacha, choice, _by_label(choice, "✔️ Terminé"))
    confirm = _answers(side, await offline.submit_modal(sacha, {}, origin=form))[0]
    await offline.tap(sacha, confirm, _by_label(confirm, "✅ Enregistrer"))

    told = offline.last_message(offline.dm_channel(claude))
    assert "retrouvés après le paiement de l'indemnité" in told.content
    ask = _by_label(told, "🔙 Demander à reprendre les objets")
    asked = await offline.tap(claude, told, ask)
    assert _text(asked).startswith(
        "Demander à reprendre les objets retrouvés du sinistre S-2026-0001 (SEM-0001,"
        " SEM-0002) ? SEM doit donner son accord."
    )
    confirm = _answers(side, asked)[0]
    # Cancelled, then asked again: the cancelled confirmation no longer counts.
    cancelled = await offline.tap(claude, confirm, _by_label(confirm, "✖️ Annuler"))
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
    stale = await offline.tap(
        claude, confirm, _by_label(confirm, "🔙 Demander à reprendre les objets")
    )
    assert _text(stale) == STALE
    confirm = _answers(side, await offline.tap(claude, told, ask))[0]
    sent = await offline.tap(
        claude, confirm, _by_label(confirm, "🔙 Demander à reprendre les objets")
    )
    assert _text(sent) == "🔙 Demande de reprise transmise à SEM pour le sinistre S-2026-0001."

    request = offline.last_message(offline.dm_channel(sacha))
    asked = await offline.tap(sacha, request, _by_label(request, "👎 Refuser la reprise"))
    assert _text(asked) == (
        "Refuser la reprise des objets du sinistre S-2026-0001 (SEM-0001, SEM-0002) ? Ils"
        " restent la propriété de l'assureur."
    )
    confirm = _answers(side, asked)[0]
    done_ = await offline.tap(sacha, confirm, _by_label(confirm, "👎 Refuser la reprise"))
    assert _text(done_) == (
        "👎 Reprise refusée pour le sinistre S-2026-0001 : les objets restent la propriété de"
        " l'assureur."
    )
    assert offline.last_message(offline.dm_channel(claude)).content == (
        "👎 SEM refuse la reprise des objets du sinistre **S-2026-0001** (École du Soleil) :"
        " SEM-0001, SEM-0002. Ils restent la propriété de l'assureur."
    )
    assert await _states(world) == {"SEM-0001": "insurer_owned", "SEM-0002": "insurer_owned"}


# --- a wrong report, made on Telegram, dismissed on Discord --------------------------------


async def test_staff_on_discord_dismiss_a_report_made_on_telegram_with_a_reason(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline = world.api, side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001", "SEM-0002"))
    await api.send_text(claude, "/dossier S-2026-0001")
    await api.tap(claude, api.last(claude.id), "🔙 Objets retrouvés")
    await api.tap(claude, api.last(claude.id), "✅ SEM-0002")
    await api.tap(claude, api.last(claude.id), "✔️ Terminé")
    await api.tap(claude, api.last(claude.id), "Maintenant")
    await api.tap(claude, api.last(claude.id), "✅ Signaler à SEM")

    notice = offline.last_message(offline.dm_channel(sacha))
    dismiss = _by_label(notice, "✖️ Écarter")
    assert _text(await offline.tap(zoe, notice, dismiss)) == FORBIDDEN
    form = await offline.tap(sacha, notice, dismiss)
    assert _modal_labels(form) == ["Motif (il sera transmis)"]
    refused = await offline.submit_modal(sacha, {"reason": "-"}, origin=form)
    assert _text(refused) == (
        "Indiquez pourquoi le signalement est écarté (par exemple « objets d'une autre"
        " école ») ; le motif sera transmis."
    )
    refusal = _answers(side, refused)[0]
    form = await offline.tap(sacha, refusal, _by_label(refusal, CORRIGER))
    reason = "La tablette retrouvée est celle d'une autre école"
    asked = await offline.submit_modal(sacha, {"reason": reason}, origin=form)
    assert _text(asked) == (
        "Écarter le signalement des objets retrouvés du sinistre S-2026-0001 : SEM-0001 ?"
        " Rien ne sera compté comme retrouvé, et les objets pourront être signalés de"
        f" nouveau.\nMotif : {reason}"
    )
    confirm = _answers(side, asked)[0]
    assert [label for label, _ in confirm.buttons] == [
        "✖️ Écarter le signalement",
        CORRIGER,
        "✖️ Annuler",
    ]
    done = await offline.tap(sacha, confirm, _by_label(confirm, "✖️ Écarter le signalement"))
    assert _text(done) == (
        "✖️ Signalement écarté pour le sinistre S-2026-0001 (SEM-0001) : rien n'est compté"
        " comme retrouvé, et le motif est transmis."
    )
    assert world.last_text(claude) == (
        "✖️ SEM écarte votre signalement d'objets retrouvés pour le sinistre S-2026-0001"
        f" (École du Soleil) : SEM-0001. Motif : {reason}\nRien n'est compté comme retrouvé ;"
        " si les objets sont bien retrouvés, signalez-les de nouveau depuis le dossier."
    )
    again = await offline.tap(sacha, confirm, _by_label(confirm, "✖️ Écarter le signalement"))
    assert _text(again) == STALE
    # The notice's buttons find it dismissed: neither confirmed nor dismissed again.
    for label in ("✅ Confirmer les objets retrouvés (SEM-0001)", "✖️ Écarter"):
        late = await offline.tap(sacha, notice, _by_label(notice, label))
        assert _text(late) == (
            "Cette récupération n'est plus à cette étape : ouvrez le dossier S-2026-0001 pour"
            " voir où elle en est."
        )
    assert await _states(world) == {"SEM-0001": "stolen", "SEM-0002": "stolen"}
    api.assert_no_refusals()


# --- the body's payment with its proof, and staff's review ---------------------------------


async def test_the_commune_declares_a_payment_with_its_proof_and_staff_confirm_it(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    yann = await world.registered("Yann", Role.STAFF)
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001", "SEM-0002"))
    await _pledge(world, await _pid(world, DISCORD, claude), claim_id)

    card = await _dossier(side, claude)
    asked = await offline.tap(claude, card, f"clm:bpay:{claim_id}")
    assert _text(asked) == (
        "Paiement fait à SEM pour le sinistre S-2026-0001. Quel montant ? (reste dû :"
        " 640,00\xa0€)\n\nQui a payé ?"
    )
    menu = _answers(side, asked)[0]
    payers = menu.component(_id(menu, "clm:bpayer:"))["options"]
    assert [o["label"] for o in payers] == [
        "la commune, sur ses fonds propres",
        "la commune, avec l'indemnité de son assureur",
        "l'assureur, directement à SEM",
    ]
    form = await offline.choose(claude, menu, _id(menu, "clm:bpayer:"), ["body_funds"])
    assert _modal_fields(form) == {"amount": "640,00\xa0€", "paid_on": "Aujourd'hui"}
    too_much = await offline.submit_modal(claude, {"amount": "700"}, origin=form)
    assert _text(too_much) == (
        "Ce paiement dépasse ce qui reste dû : tapez un montant au plus égal au reste dû."
    )
    refusal = _answers(side, too_much)[0]
    form = await offline.tap(claude, refusal, _by_label(refusal, CORRIGER))
    future = await offline.submit_modal(claude, {"paid_on": "12/03/2026"}, origin=form)
    assert _text(future) == (
        "La date du paiement ne peut pas être dans le futur : tapez aujourd'hui ou une date passée."
    )
    refusal = _answers(side, future)[0]
    form = await offline.tap(claude, refusal, _by_label(refusal, CORRIGER))
    told = await offline.submit_modal(claude, {}, origin=form)
    assert _text(told) == (
        "Je vous ai écrit en message privé : répondez-y en joignant vos fichiers."
    )
    dm = offline.dm_channel(claude)
    request = offline.last_message(dm)
    assert request.content == (
        "💶 Sinistre **S-2026-0001** — paiement de 640,00\xa0€ du mardi 10 mars 2026 :"
        " répondez à ce message (« Répondre ») en y joignant la preuve du paiement (photo ou"
        " document : avis de virement, mandat…)."
    )
    proof_id = _id(request, "clm:bproof:")
    assert request.component(proof_id)["disabled"] is True

    # An answer without a file: said how; then the proof, and the payment to confirm.
    await offline.say(claude, dm, "le voici", reply_to=request)
    assert offline.last_message(dm).content == (
        "Aucun fichier dans votre réponse : répondez à ce message en y joignant une photo ou un"
        " document."
    )
    pdf = offline.file("virement.pdf", PDF, "application/pdf")
    await offline.say(claude, dm, "", attachments=[pdf], reply_to=request)
    confirm = offline.last_message(dm)
    assert confirm.content == (
        "Transmettre à SEM le paiement de 640,00\xa0€ fait le mardi 10 mars 2026 pour le"
        " sinistre S-2026-0001, payé par la commune, sur ses fonds propres ?"
    )
    assert [label for label, _ in confirm.buttons] == ["✅ Envoyer à SEM", CORRIGER, "✖️ Annuler"]
    sent = await offline.tap(claude, confirm, _by_label(confirm, "✅ Envoyer à SEM"))
    assert _text(sent) == (
        "💶 Paiement transmis à SEM pour le sinistre S-2026-0001 : il comptera une fois confirmé."
    )
    assert _text(await offline.tap(claude, confirm, _by_label(confirm, "✅ Envoyer à SEM"))) == (
        STALE
    )
    # Answering the request again sends nothing more.
    await offline.say(claude, dm, "", attachments=[pdf], reply_to=request)
    assert offline.last_message(dm).content == (
        "Cette demande de preuve n'est plus valable : déclarez de nouveau le paiement depuis le"
        " dossier."
    )
    async with world.db.uow() as uow:
        payments = (await uow.session.scalars(select(Payment))).all()
        assert [(p.amount_cents, p.status) for p in payments] == [(64000, "pending")]
        proof = await uow.session.get(Attachment, payments[0].proof_attachment_id)
        assert proof is not None
        assert (proof.platform, proof.purpose, proof.file_id) == (
            DISCORD,
            "payment_proof",
            pdf["url"],
        )

    # Staff on Discord read it with the proof's link; staff on Telegram are told it stays.
    notice = offline.last_message(offline.dm_channel(sacha))
    assert notice.content.startswith(
        "💶 Saint-Étienne déclare un paiement pour le sinistre **S-2026-0001** (École du"
        " Soleil) : 640,00\xa0€ le mardi 10 mars 2026, par la commune, sur ses fonds propres."
    )
    assert notice.content.endswith(f"📎 virement.pdf : {pdf['url']}")
    assert world.last_text(yann).endswith(
        "Le fichier, envoyé depuis Discord, ne peut pas vous parvenir ici : il reste joint au"
        " dossier."
    )
    confirm_id = _by_label(notice, "✅ Confirmer le paiement de 640,00\xa0€")
    assert _text(await offline.tap(claude, notice, confirm_id)) == FORBIDDEN
    asked = await offline.tap(sacha, notice, confirm_id)
    assert _text(asked) == (
        "Confirmer le paiement de 640,00\xa0€ du mardi 10 mars 2026 par la commune, sur ses"
        " fonds propres (sinistre S-2026-0001) ? Il comptera dans ce qui est payé."
    )
    confirm = _answers(side, asked)[0]
    done = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Confirmer le paiement"))
    assert _text(done) == "✅ Le sinistre S-2026-0001 est remboursé intégralement : il est clos."
    again = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Confirmer le paiement"))
    assert _text(again) == STALE
    assert offline.last_message(dm).content.startswith(
        "✅ Le sinistre **S-2026-0001** (École du Soleil) est remboursé intégralement et clos."
    )
    # Confirmed already: the notice's button says so.
    assert _text(await offline.tap(sacha, notice, confirm_id)) == (
        "Ce paiement n'attend plus de confirmation."
    )


async def test_staff_on_discord_reject_a_payment_declared_on_telegram_with_a_reason(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline = world.api, side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001", "SEM-0002"))
    await _pledge(world, await _pid(world, "telegram", claude), claim_id)
    await api.send_text(claude, "/dossier S-2026-0001")
    await api.tap(claude, api.last(claude.id), "💶 Déclarer un paiement fait")
    await api.tap(claude, api.last(claude.id), "Retenir 640,00\xa0€")
    await api.tap(claude, api.last(claude.id), "Aujourd'hui")
    await api.tap(claude, api.last(claude.id), "la commune, sur ses fonds propres")
    await api.send_document(claude, PDF, "virement.pdf", "application/pdf")
    await api.tap(claude, api.last(claude.id), "✅ Envoyer à SEM")

    notice_dc = offline.last_message(offline.dm_channel(sacha))
    assert "déclare un paiement pour le sinistre **S-2026-0001**" in notice_dc.content
    reject = _by_label(notice_dc, "✖️ Rejeter le paiement")
    form = await offline.tap(sacha, notice_dc, reject)
    assert form.modal is not None and form.modal["title"] == "Rejeter le paiement"
    refused = await offline.submit_modal(sacha, {"reason": "—"}, origin=form)
    assert _text(refused) == "Indiquez pourquoi le paiement est rejeté (le motif sera transmis)."
    refusal = _answers(side, refused)[0]
    form = await offline.tap(sacha, refusal, _by_label(refusal, CORRIGER))
    asked = await offline.submit_modal(sacha, {"reason": "Virement introuvable"}, origin=form)
    assert _text(asked) == (
        "Rejeter le paiement de 640,00\xa0€ du mardi 10 mars 2026 par la commune, sur ses fonds"
        " propres (sinistre S-2026-0001) ? Motif : Virement introuvable"
    )
    confirm = _answers(side, asked)[0]
    done = await offline.tap(sacha, confirm, _by_label(confirm, "✖️ Rejeter le paiement"))
    assert _text(done) == (
        "✖️ Paiement rejeté pour le sinistre S-2026-0001 ; le motif est transmis. Reste dû :"
        " 640,00\xa0€."
    )
    assert world.last_text(claude) == (
        "✖️ SEM rejette votre paiement de 640,00\xa0€ du mardi 10 mars 2026 pour le sinistre"
        " S-2026-0001 (École du Soleil). Motif : Virement introuvable"
    )
    assert _text(
        await offline.tap(sacha, confirm, _by_label(confirm, "✖️ Rejeter le paiement"))
    ) == (STALE)
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(Payment.status)) == "rejected"
    api.assert_no_refusals()


# --- who may not ----------------------------------------------------------------------------


async def test_forged_ids_a_teacher_and_another_communes_agent_are_refused(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claim_id = await _theft(world, await _pid(world, DISCORD, zoe), ("SEM-0001",))
    await _pledge(world, await _pid(world, DISCORD, claude), claim_id)
    card = await _dossier(side, claude)
    before = len(offline.messages(offline.dm_channel(sacha)))
    cases = [
        (zoe, f"clm:recov:{claim_id}", FORBIDDEN),
        (zoe, f"clm:bpay:{claim_id}", FORBIDDEN),
        (zoe, f"clm:bpayer:{claim_id}:body_funds", FORBIDDEN),
        (zoe, f"clm:recreq:{claim_id}:1", FORBIDDEN),
        (claude, f"clm:recok:{claim_id}:1", FORBIDDEN),
        (claude, f"clm:recdis:{claim_id}:1", FORBIDDEN),
        (claude, f"clm:recdec:{claim_id}:1:agree", FORBIDDEN),
        (claude, f"clm:pconf:{claim_id}:1", FORBIDDEN),
        (claude, f"clm:prej:{claim_id}:1", FORBIDDEN),
        (dana, f"clm:recov:{claim_id}", NOT_A_CLAIM),
        (dana, f"clm:bpay:{claim_id}", NOT_A_CLAIM),
        (dana, f"clm:bpayer:{claim_id}:insurer", NOT_A_CLAIM),
        (sacha, "clm:recov:99", NOT_A_CLAIM),
        (sacha, "clm:recov:x", STALE),
        (sacha, f"clm:recov:{claim_id}:9", STALE),
        (sacha, f"clm:recdec:{claim_id}:1:maybe", STALE),
        (sacha, f"clm:recdec:{claim_id}:x:agree", STALE),
        (sacha, f"clm:bpayer:{claim_id}:sem", STALE),
        (sacha, f"clm:pconf:{claim_id}:99999999999", STALE),
        (
            sacha,
            f"clm:recok:{claim_id}:7",
            "Cette récupération n'est plus à cette étape : ouvrez le dossier S-2026-0001 pour"
            " voir où elle en est.",
        ),
        (sacha, f"clm:pconf:{claim_id}:7", "Ce paiement n'attend plus de confirmation."),
        (sacha, "clm:rvok:deadbeef", STALE),
        (sacha, "clm:raok:deadbeef", STALE),
        (sacha, "clm:bpayok:deadbeef", STALE),
        (sacha, "clm:pvok:deadbeef", STALE),
        (sacha, "clm:rvit:deadbeef:0", STALE),
        (sacha, "clm:bproof:deadbeef", STALE),
        (sacha, "clm:pvno:deadbeef", STALE),
    ]
    for who, action, expected in cases:
        assert _text(await _forged_tap(side, who, card, action)) == expected, action
    # A stranger is asked to register; nothing was written, nobody was told.
    stranger = side.user("inconnu")
    greeted = await _forged_tap(side, stranger, card, f"clm:recov:{claim_id}")
    assert _text(greeted).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    assert len(offline.messages(offline.dm_channel(sacha))) == before
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(Payment))).all() == []

    # A private message that looks like a proof's request, for a draft that is not hers.
    dm = offline.dm_channel(dana)
    forged = offline._store_message(
        dm,
        author=offline.bot,
        content="💶 forged",
        components=[
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 2,
                        "label": "Preuve",
                        "custom_id": "clm:bproof:deadbeef",
                        "disabled": True,
                    }
                ],
            }
        ],
    )
    pdf = offline.file("x.pdf", PDF, "application/pdf")
    await offline.say(dana, dm, "", attachments=[pdf], reply_to=int(forged["id"]))
    assert offline.last_message(dm).content == (
        "Cette demande de preuve n'est plus valable : déclarez de nouveau le paiement depuis le"
        " dossier."
    )
