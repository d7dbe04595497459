"""The staff tools played through the offline Bot API: /inviter (code, link, QR code) and
/annonce (audience, preview, background delivery with its count); and the refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Role
from bot.services import announcements as service
from bot.services import registration
from bot.services.announcements import Audience, AudienceKind
from handlers.telegram.offline import SimUser
from storage.models import AuditEntry
from tests.conversations.conftest import World, outbox_sent

pytestmark = pytest.mark.filterwarnings(
    # Offline, the application is not started: its tasks are awaited by the tests.
    "ignore:Tasks created via `Application.create_task`:telegram.warnings.PTBUserWarning"
)

ANNOUNCEMENT_HEADER = (
    "📣 Plan numérique à l'école — message de l'équipe de Saint-Étienne Métropole\n\n"
)


async def announcements_sent(world: World) -> None:
    """What the paced lane sends while time passes: the announcements, then the reports."""
    await outbox_sent(world)


async def audit(world: World, object_type: str) -> list[AuditEntry]:
    """The audit entries of a type written by someone (the tests' own invitations have
    no actor)."""
    async with world.db.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.actor_id.is_not(None))
            .order_by(AuditEntry.id)
        )
        return list(rows.all())


# --- /inviter -----------------------------------------------------------------------------------


async def test_staff_invite_a_school_head_found_by_name_and_the_link_works(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)

    await api.send_text(sacha, "/inviter")
    assert world.last_text(sacha) == "➕ Nouvelle invitation : quel sera le rôle de la personne ?"
    assert api.last(sacha.id).button_texts == [
        "enseignant·e",
        "direction d'école",
        "agent de commune",
        "équipe SEM du Plan numérique",
        "✖️ Annuler",
    ]
    await api.tap(sacha, api.last(sacha.id), "direction d'école")
    assert world.last_text(sacha) == (
        "Quelle école ? Tapez une partie de son nom ou son UAI (ex. 0421234A)."
    )
    await api.send_text(sacha, "l")
    assert world.last_text(sacha) == "Tapez au moins 2 caractères."
    await api.send_text(sacha, "Lycée <b>Fauriel</b>")
    assert world.last_text(sacha) == (
        "Aucune école ne correspond à « Lycée <b>Fauriel</b> ». "
        "Essayez une autre partie du nom, ou l'UAI."
    )
    await api.send_text(sacha, "lune")
    found = api.last(sacha.id)
    assert found.text == "Écoles trouvées pour « lune » : choisissez-en une, ou tapez autre chose."
    assert found.button_texts == ["École de la Lune (0420002Z) — Saint-Étienne", "✖️ Annuler"]
    await api.tap(sacha, found, "École de la Lune (0420002Z) — Saint-Étienne")
    assert api.last(sacha.id).button_texts == ["7 j", "14 j", "30 j", "✖️ Annuler"]
    await api.tap(sacha, api.last(sacha.id), "14 j")
    assert world.last_text(sacha) == (
        "Invitation à créer :\n"
        "Rôle : direction d'école\n"
        "Périmètre : École de la Lune (UAI 0420002Z), Saint-Étienne\n"
        "Valable jusqu'au mardi 24 mars 2026 à 10:00\n\n"
        "Le code ne sera montré qu'une fois."
    )
    await api.tap(sacha, api.last(sacha.id), "✅ Créer l'invitation")

    done, qr = api.messages(sacha.id)[-2:]
    match = re.search(r"Code à usage unique : ([A-Z0-9-]{14})\n", done.text or "")
    assert match is not None
    code = match.group(1)
    assert done.text == (
        "✅ Invitation créée : direction d'école, École de la Lune (UAI 0420002Z), Saint-Étienne.\n"
        f"Code à usage unique : {code}\n"
        f"Lien : https://t.me/pne_demo_bot?start={code}\n"
        "Valable jusqu'au mardi 24 mars 2026 à 10:00.\n\n"
        "Transmettez le lien ou le QR code ci-dessous à la personne concernée, à elle seule : "
        "ce code ne sera plus affiché."
    )
    assert qr.photo is not None
    assert qr.caption == (
        "QR code de l'invitation — direction d'école, École de la Lune (UAI 0420002Z), "
        "Saint-Étienne — valable jusqu'au mardi 24 mars 2026 à 10:00."
    )
    [created] = await audit(world, "invitation")
    assert created.action == "invitation.create" and created.actor_id is not None

    # The link's code registers the new school head.
    newcomer = world.user("Noémie")
    await api.send_text(newcomer, f"/start {code}")
    assert world.texts(newcomer)[0] == (
        "Bienvenue, Noémie ! Vous êtes inscrit·e comme direction d'école pour "
        "École de la Lune (UAI 0420002Z), Saint-Étienne."
    )
    api.assert_no_refusals()


async def test_staff_invite_a_commune_agent_by_insee_with_a_typed_validity(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)

    await api.send_text(sacha, "/inviter")
    await api.tap(sacha, api.last(sacha.id), "agent de commune")
    assert world.last_text(sacha) == (
        "Quelle commune ? Tapez une partie de son nom ou son code INSEE (ex. 42218)."
    )
    await api.send_text(sacha, "42095")
    await api.tap(sacha, api.last(sacha.id), "Firminy (42095)")
    await api.send_text(sacha, "demain")
    assert world.last_text(sacha) == (
        "Durée de validité illisible : « demain ». Exemples : 14d, 14j, 2w, 48h (90 jours au plus)."
    )
    await api.send_text(sacha, "48h")
    assert world.last_text(sacha) == (
        "Invitation à créer :\n"
        "Rôle : agent de commune\n"
        "Périmètre : commune de Firminy (INSEE 42095)\n"
        "Valable jusqu'au jeudi 12 mars 2026 à 10:00\n\n"
        "Le code ne sera montré qu'une fois."
    )
    await api.tap(sacha, api.last(sacha.id), "✅ Créer l'invitation")
    assert (api.messages(sacha.id)[-2].text or "").startswith(
        "✅ Invitation créée : agent de commune, commune de Firminy (INSEE 42095)."
    )


async def test_a_staff_invitation_has_no_scope_and_the_dialogue_can_be_left(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)

    await api.send_text(sacha, "/inviter")
    await api.tap(sacha, api.last(sacha.id), "équipe SEM du Plan numérique")
    await api.tap(sacha, api.last(sacha.id), "7 j")
    assert "Périmètre : toutes les écoles du plan\n" in world.last_text(sacha)
    await api.send_text(sacha, "/annuler")
    assert world.last_text(sacha) == "C'est annulé. Rien n'a été envoyé."
    assert await audit(world, "invitation") == []


async def test_a_forged_school_button_is_checked(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)
    await api.send_text(sacha, "/inviter")
    await api.tap(sacha, api.last(sacha.id), "enseignant·e")

    await api.forge_callback(sacha, api.last(sacha.id).message_id, "inv:school:999999")

    assert world.last_text(sacha) == (
        "Cette école n'est pas (ou plus) dans l'annuaire. Cherchez-la à nouveau."
    )


async def test_only_staff_invite_and_announce(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    head = await world.registered("Dora", Role.DIRECTOR)
    agent = await world.registered("Claude", Role.COMMUNE)

    for user in (teacher, head, agent):
        await api.send_text(user, "/inviter")
        assert world.last_text(user) == "Vous n'avez pas accès à cette action."
        await api.send_text(user, "/annonce")
        assert world.last_text(user) == "Vous n'avez pas accès à cette action."
        # A forged button of either dialogue gets nowhere either.
        update = await api.forge_callback(user, api.last(user.id).message_id, "ann:to:everyone")
        answer = api.callback_answer(update)
        assert answer is not None and answer.get("text") == "Ce bouton n'est plus valable."
    assert await audit(world, "invitation") == []
    assert await audit(world, "announcement") == []


# --- /annonce ----------------------------------------------------------------------------------


async def test_an_announcement_to_school_heads_is_previewed_then_sent_with_a_count(
    world: World,
) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)
    dora = await world.registered("Dora", Role.DIRECTOR)
    dario = await world.registered("Dario", Role.DIRECTOR, school="0420002Z")
    bruno = await world.registered("Bruno", Role.DIRECTOR, school="0420003A")
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    bruno.blocked = True  # he blocked the bot: a failure, not a crash

    await api.send_text(sacha, "/annonce")
    assert world.last_text(sacha) == "📣 Nouvelle annonce : à qui l'envoyer ?"
    assert api.last(sacha.id).button_texts == [
        "Toutes les directions d'école",
        "Tous les enseignant·es",
        "Tous les agents (communes et organismes gestionnaires)",
        "Les agents d'une commune…",
        "Les agents d'un organisme gestionnaire (OGEC, institut)…",
        "Tout le monde",
        "✖️ Annuler",
    ]
    await api.tap(sacha, api.last(sacha.id), "Toutes les directions d'école")
    assert world.last_text(sacha) == (
        "Annonce pour toutes les directions d'école (3 personnes). Tapez le message "
        "(3500 caractères au plus) ; vous le verrez tel qu'il sera reçu avant de l'envoyer."
    )
    await api.send_text(sacha, "Réunion <b>jeudi</b> & apéro\nà 17 h")
    preview, confirm = api.messages(sacha.id)[-2:]
    expected = ANNOUNCEMENT_HEADER + "Réunion <b>jeudi</b> & apéro\nà 17 h\n\n— Sacha"
    assert preview.text == expected
    assert "Réunion &lt;b&gt;jeudi&lt;/b&gt; &amp; apéro" in (preview.raw_text or "")
    assert confirm.text == (
        "☝️ Voici l'annonce telle qu'elle sera reçue. "
        "L'envoyer à toutes les directions d'école (3 personnes) ?"
    )
    assert await audit(world, "announcement") == []  # nothing sent before the confirmation

    await api.tap(sacha, confirm, "📣 Envoyer")
    await announcements_sent(world)
    assert world.texts(sacha)[-2:] == [
        "📣 Envoi en cours à 3 personnes. Je vous dirai quand c'est fini.",
        "📣 Annonce envoyée à 2 personnes, 1 échec.",
    ]

    assert world.last_text(dora) == expected
    assert world.last_text(dario) == expected
    assert api.last(dora.id).raw_text == preview.raw_text  # exactly as previewed
    assert [r.chat_id for r in api.refused] == [bruno.id]
    assert api.sent_to(teacher.id) == [] and api.sent_to(agent.id) == []
    sent, delivered = await audit(world, "announcement")
    assert (sent.action, sent.details["audience"], sent.details["recipients"]) == (
        "announcement.send",
        "directors",
        3,
    )
    assert sent.details["text"] == "Réunion <b>jeudi</b> & apéro\nà 17 h"
    assert (delivered.action, delivered.details["delivered"], delivered.details["failed"]) == (
        "announcement.delivered",
        2,
        1,
    )


async def test_an_announcement_to_one_communes_agents(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    claude = await world.registered("Claude", Role.COMMUNE)

    await api.send_text(sacha, "/annonce")
    await api.tap(sacha, api.last(sacha.id), "Les agents d'une commune…")
    await api.send_text(sacha, "firminy")
    await api.tap(sacha, api.last(sacha.id), "Firminy (42095)")
    assert world.last_text(sacha).startswith(
        "Annonce pour les agents de la commune de Firminy (1 personne)."
    )
    await api.send_text(sacha, "Collecte le 2 avril")
    await api.tap(sacha, api.last(sacha.id), "✏️ Modifier le texte")
    await api.send_text(sacha, "Collecte le 3 avril")
    await api.tap(sacha, api.last(sacha.id), "📣 Envoyer")
    await announcements_sent(world)

    assert world.last_text(dana) == ANNOUNCEMENT_HEADER + "Collecte le 3 avril\n\n— Sacha"
    assert api.sent_to(claude.id) == []
    assert world.last_text(sacha) == "📣 Annonce envoyée à 1 personne, 0 échec."


async def test_an_announcement_waits_out_flood_control(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)
    dora: SimUser = await world.registered("Dora", Role.DIRECTOR)
    staff = await registration.find_person(world.db, TELEGRAM, sacha.id)
    assert staff is not None
    await service.record_announcement(
        world.db, staff.id, Audience(AudienceKind.DIRECTORS), "Bonjour", world.clock.now()
    )
    api.fail_retry_after("sendMessage", retry_after=7)

    asked = world.clock.now()
    await outbox_sent(world)

    (sent,) = api.sent_to(dora.id)  # once, and not before Telegram's 7 s
    assert sent.at >= (asked + timedelta(seconds=7)).timestamp()
    assert world.last_text(dora) == ANNOUNCEMENT_HEADER + "Bonjour\n\n— Sacha"
    assert world.last_text(sacha) == "📣 Annonce envoyée à 1 personne, 0 échec."
    assert [f.kind for f in api.faults_served] == ["retry_after"]
