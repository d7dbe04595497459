"""Personal data on Telegram (decision 0071), played through the offline Bot API:
/mes_donnees sends a summary and the JSON file, /oublier asks to confirm what will happen
and then the account is a stranger, /confidentialite shows the notice to anyone."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.domain.claims import ClaimKind
from bot.domain.dates import PARIS, local_date
from bot.domain.roles import Role
from bot.services import claims
from storage.models import Person, Ticket
from tests.conversations.conftest import World


async def _claim_by(world: World, name: str) -> str:
    async with world.db.uow() as uow:
        person_id = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert person_id is not None
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=person_id,
            school_id=world.ids["soleil"],
            kind=ClaimKind.THEFT,
            discovered_at=world.clock.now() - timedelta(hours=2),
            description="Vitre brisée, tablette volée",
            items=(claims.ItemRequest(asset_tag="SEM-0001"),),
        ),
        world.clock.now(),
    )
    return reported.claim.number


async def test_mes_donnees_sends_a_summary_then_the_whole_file(world: World) -> None:
    zoe = await world.registered("Zoé", Role.TEACHER)
    number = await _claim_by(world, "Zoé")
    world.api.clear()

    await world.api.send_text(zoe, "/mes_donnees")

    world.api.assert_no_refusals()
    sent = [(s.method, s.chat_id) for s in world.api.sent if s.method != "getUpdates"]
    assert sent == [("sendMessage", zoe.id), ("sendDocument", zoe.id)]
    summary, document = (s for s in world.api.sent if s.method != "getUpdates")
    text = str(summary.params["text"])
    assert text.startswith("<b>Ce que le bot garde sur vous</b>\n\nNom : Zoé\nRôle : enseignant·e")
    assert f"Dossiers que vous avez déclarés ou suivis (1) : {number}" in text
    assert "Comptes : Telegram (depuis le " in text
    assert document.params["caption"] == "Vos données, en entier."
    upload = document.params["document"]
    day = local_date(world.clock.now(), PARIS).isoformat()
    assert upload.filename == f"mes-donnees-{day}.json"
    data = json.loads(upload.data)
    assert data["person"]["full_name"] == "Zoé"
    assert data["accounts"][0]["platform"] == "telegram"
    assert data["accounts"][0]["user_id"] == zoe.id
    assert [t["number"] for t in data["tickets"]] == [number]
    assert data["tickets"][0]["your_description"] == "Vitre brisée, tablette volée"
    # The English spelling works too.
    world.api.clear()
    await world.api.send_text(zoe, "/my_data")
    assert [s.method for s in world.api.sent if s.method != "getUpdates"] == [
        "sendMessage",
        "sendDocument",
    ]


async def test_oublier_confirms_then_the_account_is_a_stranger_and_the_ticket_stays(
    world: World,
) -> None:
    sacha = await world.registered("Sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)
    number = await _claim_by(world, "Zoé")
    async with world.db.uow() as uow:
        zoe_id = await uow.session.scalar(select(Person.id).where(Person.full_name == "Zoé"))

    await world.api.send_text(zoe, "/oublier")
    older = world.api.last(zoe.id)
    await world.api.send_text(zoe, "/oublier")
    offer = world.api.last(zoe.id)

    assert offer.text is not None and offer.text.startswith("Être oublié·e : c'est définitif.")
    assert f"« Personne anonymisée n°{zoe_id} »" in offer.text
    assert "Cela ne peut pas être annulé." in offer.text
    labels = offer.button_texts
    assert labels == ["🗑 Oublier mes données", "✖️ Non, garder"]
    assert offer.buttons[0][0][1] is not None and offer.buttons[0][0][1].startswith("prv:forget:")
    # The older offer's button is stale: only the last one counts.
    world.api.clear()
    await world.api.tap(zoe, older, 0)
    answers = [s for s in world.api.sent if s.method == "answerCallbackQuery"]
    assert [a.params.get("text") for a in answers] == ["Ce bouton n'est plus valable."]
    async with world.db.uow() as uow:
        assert (await uow.session.get(Person, zoe_id)).full_name == "Zoé"  # type: ignore[union-attr]

    world.api.clear()
    await world.api.tap(zoe, offer, 0)

    world.api.assert_no_refusals()
    assert [s.method for s in world.api.sent] == [
        "answerCallbackQuery",
        "editMessageText",
        "deleteMyCommands",
    ]
    assert world.api.commands({"type": "chat", "chat_id": zoe.id}) == []
    edits = [s for s in world.api.sent if s.method == "editMessageText"]
    assert [e.params["text"] for e in edits] == [
        "C'est fait : vous êtes anonymisé·e et ce compte n'est plus reconnu. Au revoir !"
    ]
    assert edits[0].params.get("reply_markup") in (None, {"inline_keyboard": []})
    async with world.db.uow() as uow:
        row = await uow.session.get(Person, zoe_id)
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.number == number))
    assert row is not None and row.full_name == f"Personne anonymisée n°{zoe_id}"
    assert ticket is not None and ticket.reporter_id == zoe_id and ticket.closed_at is None
    # The account is no longer recognised.
    await world.api.send_text(zoe, "/moi")
    assert "il vous faut une invitation" in world.last_text(zoe)
    # Staff still see the ticket whole, its reporter anonymised.
    await world.api.send_text(sacha, f"/dossier {number}")
    card = world.last_text(sacha)
    assert number in card and f"Personne anonymisée n°{zoe_id}" in card and "Zoé" not in card


async def test_oublier_can_be_declined_and_the_last_staff_is_refused(world: World) -> None:
    sacha = await world.registered("Sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)

    await world.api.send_text(zoe, "/oublier")
    offer = world.api.last(zoe.id)
    forget = offer.buttons[0][0][1]
    assert forget is not None
    world.api.clear()
    await world.api.tap(zoe, offer, 1)
    assert [s.params["text"] for s in world.api.sent if s.method == "editMessageText"] == [
        "Rien n'a changé : vos données sont gardées."
    ]
    world.api.clear()
    # The offer is gone with the refusal: its « Oublier », forged again, is stale.
    await world.api.forge_callback(zoe, offer.message_id, forget)
    assert [s.params.get("text") for s in world.api.sent if s.method == "answerCallbackQuery"] == [
        "Ce bouton n'est plus valable."
    ]
    await world.api.send_text(zoe, "/moi")
    assert world.last_text(zoe).startswith("Votre profil\nNom : Zoé")

    world.api.clear()
    await world.api.send_text(sacha, "/oublier")
    assert world.last_text(sacha).startswith(
        "Vous êtes la dernière personne active de l'équipe SEM"
    )
    assert world.api.last(sacha.id).buttons == []


async def test_confidentialite_shows_the_notice_to_anyone_and_help_links_it(world: World) -> None:
    stranger = world.user("Eve")
    await world.api.send_text(stranger, "/confidentialite")
    notice = world.last_text(stranger)
    assert notice.startswith("Vos données personnelles\n\nQui : Saint-Étienne Métropole")
    assert "clos depuis plus de 5 ans" in notice
    assert "le délégué à la protection des données de Saint-Étienne Métropole" in notice
    await world.api.send_text(stranger, "/aide")
    assert "/confidentialite — vos données personnelles" in world.last_text(stranger)

    zoe = await world.registered("Zoé", Role.TEACHER)
    await world.api.send_text(zoe, "/aide")
    help_text = world.last_text(zoe)
    for line in (
        "/mes_donnees — ce que le bot garde sur vous",
        "/oublier — être oublié·e",
        "/confidentialite — vos données personnelles",
    ):
        assert line in help_text
    await world.api.send_text(zoe, "/privacy")
    assert world.last_text(zoe) == notice
