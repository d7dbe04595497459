"""The security condition of article 6, played on Telegram: staff hold the replacements of
a school with frequent thefts and damage, its body is asked and reminded, a replacement is
refused while the hold is open, and lifting it tells the body. Then the pledge: its date
checked as it is typed, and sent to the plan's assistant."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.claims import ClaimKind
from bot.domain.roles import Role
from bot.services import claims, registration
from handlers.telegram import reports
from handlers.telegram.offline import SimUser
from storage.models import Equipment, Person, SecurityHold
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _reported, _step
from tests.conversations.test_claims import sweep


def _t(world: World, key: str) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key))


async def _three_claims_at_soleil(world: World) -> tuple[SimUser, SimUser, SimUser]:
    """A teacher's theft through the bot (S-2026-0001), then a damage and a theft more:
    three thefts and damage within a year, the school is flagged."""
    teacher, agent, staff = await _reported(world)
    async with world.db.uow() as uow:
        zoe = await uow.session.scalar(select(Person.id).where(Person.full_name == "Zoé"))
    assert zoe is not None
    for kind, tag in ((ClaimKind.DAMAGE, "SEM-0003"), (ClaimKind.THEFT, "SEM-0004")):
        await claims.report_claim(
            world.db,
            claims.ReportClaim(
                reporter_id=zoe,
                school_id=world.ids["soleil"],
                kind=kind,
                discovered_at=world.clock.now() - timedelta(hours=1),
                description="Fenêtre forcée",
                items=(claims.ItemRequest(asset_tag=tag),),
            ),
            world.clock.now(),
        )
    world.api.clear()
    return teacher, agent, staff


async def _hold_from_the_card(world: World, staff: SimUser) -> None:
    api = world.api
    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "⛔ Suspendre les remplacements")
    await api.send_text(staff, "Trois effractions par la cour en un mois")
    await api.tap(staff, api.last(staff.id), "✅ Suspendre les remplacements")


async def test_staff_hold_a_flagged_schools_replacements_and_its_body_is_asked(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _three_claims_at_soleil(world)

    await api.send_text(staff, "/sinistre S-2026-0001")
    card = api.last(staff.id)
    assert "🚨 Fréquence élevée de vols et dommages dans cette école" in (card.text or "")
    await api.tap(staff, card, "⛔ Suspendre les remplacements")
    assert world.last_text(staff).startswith(
        "⛔ Suspendre le remplacement du matériel de l'école École du Soleil (0420001Y) :"
        " 3 vols et dommages en 12 mois."
    )
    # A reason too long is refused and asked again; a photo is not an answer.
    await api.send_text(staff, "x" * 1001)
    assert world.last_text(staff) == "Ce texte est trop long : 1000 caractères au plus."
    assert _step(world, "security_hold", staff) == "hold_reason"
    await api.send_photo(staff, caption=None)
    assert world.last_text(staff).startswith("Ce n'est pas ce que j'attends.")
    await api.send_text(staff, "Trois effractions par la cour en un mois")
    assert world.last_text(staff) == (
        "Suspendre tout remplacement de matériel pour l'école École du Soleil (0420001Y) ?\n"
        "Motif : Trois effractions par la cour en un mois\n"
        "Les agents de l'organisme responsable seront invités à améliorer la sécurisation des "
        "locaux, avec un rappel tous les 30 jours tant que la suspension dure."
    )
    await api.tap(staff, api.last(staff.id), "✅ Suspendre les remplacements")

    assert world.last_text(staff) == (
        "⛔ Remplacements suspendus pour l'école École du Soleil. Les agents de Saint-Étienne en"
        " ont été informés."
    )
    asked = world.last_text(agent)
    assert asked.startswith("🔒 Remplacement du matériel suspendu — École du Soleil (0420001Y)")
    assert "Motif : Trois effractions par la cour en un mois" in asked
    async with world.db.uow() as uow:
        hold = await uow.session.scalar(select(SecurityHold))
    assert hold is not None and hold.lifted_at is None

    # The card shows the hold, and offers to lift it rather than to place one.
    await api.send_text(staff, "/sinistre S-2026-0002")
    card = api.last(staff.id)
    assert "⛔ Remplacements suspendus depuis le mardi 10 mars 2026" in (card.text or "")
    assert "Motif : Trois effractions par la cour en un mois" in (card.text or "")
    assert "🔓 Lever la suspension" in card.button_texts
    assert "⛔ Suspendre les remplacements" not in card.button_texts

    # Replying to the request reaches staff in the school's latest claim's thread.
    await api.send_text(
        agent, "Une alarme sera posée en avril", reply_to_message_id=api.last(agent.id).message_id
    )
    assert any("Une alarme sera posée en avril" in text for text in world.texts(staff))


async def test_while_held_a_replacement_is_refused_and_lifting_it_tells_the_body(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _three_claims_at_soleil(world)
    await _hold_from_the_card(world, staff)

    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔁 Remplacement")
    assert world.last_text(staff) == (
        "⛔ Les remplacements de l'école École du Soleil sont suspendus depuis le mardi 10 mars "
        "2026 à 10:00, dans l'attente d'une meilleure sécurisation des locaux (motif : Trois "
        "effractions par la cour en un mois). Levez d'abord la suspension (/suspensions) pour "
        "enregistrer un remplacement."
    )
    assert _step(world, "claim_replacement", staff) is None

    # /suspensions lists the hold; lifting it asks for a note, then a confirmation.
    world.clock.advance(timedelta(days=40))
    await api.send_text(staff, "/suspensions")
    listing = api.last(staff.id)
    assert (
        "• École du Soleil (0420001Y, Saint-Étienne) depuis le mardi 10 mars 2026, par Sacha"
        in (listing.text or "")
    )
    await api.tap(staff, listing, "🔓 Lever : École du Soleil")
    assert world.last_text(staff).startswith(
        "🔓 Lever la suspension des remplacements de l'école École du Soleil"
    )
    await api.send_text(staff, "/annuler")  # leaves: nothing lifted
    assert world.last_text(staff) == _t(world, "common.cancelled")
    assert _step(world, "security_lift", staff) is None
    await api.tap(staff, listing, "🔓 Lever : École du Soleil")
    await api.send_text(staff, "Alarme posée le 15 avril")
    assert world.last_text(staff) == (
        "Lever la suspension des remplacements de l'école École du Soleil ?\n"
        "Note : Alarme posée le 15 avril"
    )
    await api.tap(staff, api.last(staff.id), "✅ Lever la suspension")
    assert world.last_text(staff) == (
        "🔓 Suspension levée pour l'école École du Soleil. Les agents de Saint-Étienne en ont été"
        " informés."
    )
    assert world.last_text(agent) == (
        "🔓 La suspension est levée : Saint-Étienne Métropole reprend le remplacement du matériel"
        " de l'école École du Soleil (0420001Y).\nNote : Alarme posée le 15 avril"
    )
    # The same button again: the hold is no longer open.
    await api.tap(staff, listing, "🔓 Lever : École du Soleil")
    assert world.last_text(staff) == "Cette suspension est déjà levée."

    # Replacements go ahead again.
    await api.send_text(staff, "/sinistre S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🔁 Remplacement")
    assert world.last_text(staff) == "Remplacement pour le sinistre S-2026-0001 : quel matériel ?"

    # Still flagged: /suspensions offers to hold it again, by a command rather than a card.
    await api.send_text(staff, "/annuler")
    await api.send_text(staff, "/suspensions")
    listing = api.last(staff.id)
    assert "🚨 Écoles au-dessus du seuil, sans suspension" in (listing.text or "")
    assert "• École du Soleil (0420001Y, Saint-Étienne) : 3 vols et dommages en 12 mois" in (
        listing.text or ""
    )
    await api.tap(staff, listing, "⛔ Suspendre : École du Soleil")
    assert _step(world, "security_hold", staff) == "hold_reason"


async def test_the_body_is_reminded_every_30_days_while_the_hold_is_open(world: World) -> None:
    api = world.api
    _, agent, staff = await _three_claims_at_soleil(world)
    await _hold_from_the_card(world, staff)
    api.clear()

    world.clock.advance(timedelta(days=29))
    await sweep(world)
    assert not any(t.startswith("🔒 Rappel") for t in world.texts(agent))
    world.clock.advance(timedelta(days=1, minutes=1))
    await sweep(world)
    reminded = [t for t in world.texts(agent) if t.startswith("🔒 Rappel")]
    assert reminded == [
        "🔒 Rappel : le remplacement du matériel de l'école École du Soleil (0420001Y) est "
        "suspendu depuis le mardi 10 mars 2026, dans l'attente d'une meilleure sécurisation "
        "des locaux.\nMotif : Trois effractions par la cour en un mois\n"
        "Merci d'indiquer les mesures prises ou prévues, en répondant à ce message."
    ]
    world.clock.advance(timedelta(days=30, minutes=1))
    await sweep(world)
    assert len([t for t in world.texts(agent) if t.startswith("🔒 Rappel")]) == 2


async def test_only_staff_may_hold_or_lift_and_an_unflagged_school_cannot_be_held(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _reported(world)  # one claim only: not flagged
    school = world.ids["soleil"]
    await api.send_text(staff, "/sinistre S-2026-0001")
    assert "⛔ Suspendre les remplacements" not in api.last(staff.id).button_texts
    update = await api.forge_callback(staff, api.last(staff.id).message_id, f"hold:place:{school}")
    assert api.callback_answer(update) is not None
    assert world.last_text(staff) == (
        "Cette école ne dépasse pas le seuil de fréquence des vols et dommages (3 en 12 mois) : "
        "ses remplacements ne peuvent pas être suspendus."
    )
    assert _step(world, "security_hold", staff) is None
    for data in (f"hold:place:{school}", "hold:lift:1"):
        update = await api.forge_callback(agent, api.last(agent.id).message_id, data)
        answer = api.callback_answer(update)
        assert answer is not None and answer.get("text") == _t(world, "common.error.forbidden")
    await api.send_text(agent, "/suspensions")
    assert world.last_text(agent) == _t(world, "common.error.forbidden")
    await api.send_text(staff, "/suspensions")
    assert world.last_text(staff).startswith("Aucune suspension en cours")


async def test_a_pledge_planned_in_the_past_is_refused_as_typed_and_the_assistant_gets_it(
    world: World,
) -> None:
    api = world.api
    _, agent, staff = await _reported(world)
    assistant = await world.registered("Alix", Role.STAFF)
    async with world.db.uow() as uow:
        alix = await uow.session.scalar(select(Person.id).where(Person.full_name == "Alix"))
    assert alix is not None
    await registration.set_assistant(
        world.db, person_id=alix, assistant=True, now=world.clock.now()
    )
    api.clear()

    await api.send_text(agent, "/sinistre S-2026-0001")
    await api.tap(agent, api.last(agent.id), "📝 Envoyer la fiche d'engagement")
    await api.tap(agent, api.last(agent.id), "Retenir 640,00\xa0€")
    await api.tap(agent, api.last(agent.id), "versement direct par l'assureur")
    await api.send_text(agent, "01/03/2026")  # today is 10 March 2026
    assert world.last_text(agent) == (
        "Le dimanche 1 mars 2026 est déjà passé : la date prévisionnelle du versement doit être "
        "aujourd'hui (mardi 10 mars 2026) ou plus tard."
    )
    assert _step(world, "claim_pledge", agent) == "pledge_date"
    await api.send_text(agent, "30/06/2026")
    await api.tap(agent, api.last(agent.id), "✅ Envoyer la fiche")

    assert world.last_text(assistant) == (
        "📝 Fiche d'engagement de versement reçue — sinistre S-2026-0001 (École du Soleil,"
        " Saint-Étienne)\n"
        "Montant estimé : 640,00\xa0€\n"
        "Mode de paiement : versement direct par l'assureur\n"
        "Date prévisionnelle du versement : mardi 30 juin 2026"
    )
    assert not any("Fiche d'engagement de versement reçue" in t for t in world.texts(staff))


async def test_the_yearly_list_is_by_installation_and_shows_undated_equipment_apart(
    world: World,
) -> None:
    """The January list of new equipment, as the commune's agent receives it."""
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    async with world.db.uow() as uow:
        for tag, acquired, installed in [
            ("SEM-0301", date(2025, 12, 1), date(2026, 1, 12)),  # installed in 2026
            ("SEM-0302", date(2026, 5, 1), None),  # acquired in 2026, not dated: apart
            ("SEM-0303", date(2026, 2, 1), date(2027, 1, 5)),  # installed the next year
        ]:
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=world.ids["lune"],
                    type="tablet",
                    model="iPad 10",
                    owner="sem",
                    acquired_on=acquired,
                    installed_on=installed,
                    value_cents=45000,
                    state="in_service",
                    created_at=world.clock.now(),
                    updated_at=world.clock.now(),
                )
            )
        await uow.commit()
    world.clock.set(datetime(2027, 1, 15, 7, 0, tzinfo=UTC))
    await reports.run_reports(world.app, worker="test")

    (text,) = [t for t in world.texts(agent) if t.startswith("📋")]
    assert text.startswith(
        "📋 Nouveaux équipements installés en 2026 dans les écoles de Saint-Étienne : 1 "
    )
    # SEM-0005 (the directory's visualiser, no dates) and SEM-0302.
    assert text.endswith(
        "⚠️ Matériel de SEM sans date d'installation, listé à part dans le fichier pour être "
        "complété : 2."
    )
    upload = next(s for s in api.sent if s.method == "sendDocument" and s.chat_id == agent.id)
    sheet = load_workbook(io.BytesIO(upload.params["document"].data))["Nouveaux équipements"]
    tags = [row[2].value for row in sheet.iter_rows()]
    assert tags.index("SEM-0301") < tags.index("SEM-0005") and "SEM-0303" not in tags
    assert "SEM-0302" in tags
