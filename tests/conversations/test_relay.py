"""The relay played through the offline Bot API: staff and reporters talk by replying to
the bot's messages, files pass both ways, internal notes stay inside, /mes_dossiers lists
and opens tickets; and the refusals."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.claims import ClaimKind
from bot.domain.roles import Role
from bot.services import claims, registration
from bot.services import relay as relay_service
from handlers.telegram.offline import SimUser, sample_png
from storage.models import Attachment, AuditEntry, MessageRef, Person, TicketMessage
from tests.conversations.conftest import World, outbox_sent

STAFF_GROUP = -1001234567890


# --- helpers -------------------------------------------------------------------------------------


async def report_theft(world: World, teacher: SimUser) -> None:
    """The teacher reports the theft of one tablet through the dialogue: S-2026-0001."""
    api = world.api
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    items = api.last(teacher.id)
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")
    await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Armoire fracturée pendant le week-end")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert world.last_text(teacher).startswith("✅ Sinistre S-2026-0001 enregistré.")


async def person_id(world: World, user: SimUser) -> int:
    person = await registration.find_person(world.db, "telegram", user.id)
    assert person is not None
    return person.id


async def quick_claim(world: World, reporter: SimUser, school_id: int) -> int:
    """A claim made straight through the service (no messages), for lists and scope."""
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=await person_id(world, reporter),
            school_id=school_id,
            kind=ClaimKind.DAMAGE,
            discovered_at=world.clock.now() - timedelta(hours=1),
            description="Écran fissuré",
            items=(claims.ItemRequest(None, "un écran"),),
        ),
        world.clock.now(),
    )
    return reported.claim.id


async def reply_with_file(
    world: World,
    user: SimUser,
    reply_to: int,
    *,
    kind: str,
    caption: str | None = None,
    chat_id: int | None = None,
) -> Update:
    """The user answers a bot message with a photo or a document.

    The offline API's ``send_photo``/``send_document`` take no ``reply_to_message_id`` yet;
    this builds the same message by hand.
    """
    api: Any = world.api
    chat = chat_id if chat_id is not None else user.id
    if kind == "photo":
        stored = api._register_file(
            "photo", sample_png(), mime_type="image/jpeg", width=64, height=48
        )
        content: dict[str, Any] = {"photo": api._photo_sizes(stored)}
    else:
        stored = api._register_file(
            "document",
            b"%PDF-1.4\n%offline\n",
            file_name="facture.pdf",
            mime_type="application/pdf",
        )
        content = {"document": api._document_dict(stored)}
    if caption is not None:
        content["caption"] = caption
    replied = copy.deepcopy(api._messages[chat][reply_to].data)
    replied.pop("reply_to_message", None)
    content["reply_to_message"] = replied
    update: Update = await api._deliver({"message": api._store_user_message(user, chat, content)})
    return update


async def thread_rows(world: World) -> list[tuple[str, str | None, str]]:
    """The tickets' messages: visibility, author, text."""
    async with world.db.uow() as uow:
        rows = await uow.session.execute(
            select(TicketMessage.visibility, Person.full_name, TicketMessage.body)
            .outerjoin(Person, Person.id == TicketMessage.author_id)
            .order_by(TicketMessage.id)
        )
        return [(visibility, name, body) for visibility, name, body in rows.all()]


async def audit_actions(world: World, number: str) -> list[str]:
    async with world.db.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == number).order_by(AuditEntry.id)
        )
        return list(rows.all())


def to_reporter(name: str, body: str) -> str:
    return (
        f"💬 Dossier S-2026-0001 — {name} (équipe du Plan numérique) vous écrit :\n\n{body}\n\n"
        "Pour lui répondre, répondez à ce message."
    )


def to_staff(name: str, role: str, body: str) -> str:
    return (
        f"💬 Dossier S-2026-0001 (École du Soleil) — {name}, {role} :\n\n{body}\n\n"
        "Répondez à ce message pour lui répondre ; /note S-2026-0001 … pour une note interne."
    )


def to_staff_group(name: str, role: str, body: str) -> str:
    return (
        f"💬 Dossier S-2026-0001 (École du Soleil) — {name}, {role} :\n\n{body}\n\n"
        "Ici, une réponse à ce message reste une note interne. Pour écrire au déclarant : "
        "/repondre S-2026-0001 votre message, ou répondez-lui en privé."
    )


KEPT_IN_GROUP = (
    "🔒 Gardé comme note interne du dossier S-2026-0001 : rien n'a été envoyé au déclarant. "
    "Pour lui écrire : /repondre S-2026-0001 votre message, ou répondez en privé à l'un de mes "
    "messages sur ce dossier."
)


# --- the relay ------------------------------------------------------------------------------------


async def test_staff_and_the_reporter_talk_by_replying_to_the_bot(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    other_agent = await world.registered("Dana", Role.COMMUNE, commune="42095")
    sacha = await world.registered("Sacha", Role.STAFF)
    alex = await world.registered("Alex", Role.STAFF)
    await report_theft(world, teacher)
    commune_notice = api.last(agent.id)
    api.clear()

    # Staff answer with /repondre: the reporter reads it with the number and the first name;
    # her markup-like text arrives as text.
    await api.send_text(sacha, "/repondre S-2026-0001 Bonjour <b>Zoé</b> & merci.\nÀ bientôt")
    received = api.last(teacher.id)
    assert received.text == to_reporter("Sacha", "Bonjour <b>Zoé</b> & merci.\nÀ bientôt")
    assert "Bonjour &lt;b&gt;Zoé&lt;/b&gt; &amp; merci." in (received.raw_text or "")
    assert world.last_text(sacha) == "✅ Réponse envoyée à Zoé (dossier S-2026-0001)."
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [teacher.id, sacha.id]

    # The reporter replies to it: every staff member reads it (nobody is assigned), in private.
    await api.send_text(
        teacher, "L'armoire est réparée & <i>fermée</i>", reply_to_message_id=received.message_id
    )
    assert world.last_text(teacher) == (
        "✅ Message transmis à l'équipe du Plan numérique (dossier S-2026-0001)."
    )
    expected = to_staff("Zoé", "enseignant·e", "L'armoire est réparée & <i>fermée</i>")
    staff_copy = api.last(sacha.id)
    assert staff_copy.text == expected
    assert world.last_text(alex) == expected
    assert api.sent_to(agent.id) == [] and api.sent_to(other_agent.id) == []

    # Alex answers his copy with a photo: the reporter gets the photo, with the number.
    await reply_with_file(
        world, alex, api.last(alex.id).message_id, kind="photo", caption="le devis"
    )
    photo = api.last(teacher.id)
    assert photo.photo is not None
    assert photo.caption == (
        "📎 Dossier S-2026-0001 — Alex (équipe du Plan numérique) vous envoie ce fichier\nle devis"
    )
    assert world.last_text(alex) == "✅ Réponse envoyée à Zoé (dossier S-2026-0001)."

    # She answers the photo with a document: staff get the document.
    await reply_with_file(world, teacher, photo.message_id, kind="document", caption="la facture")
    for staff in (sacha, alex):
        document = api.last(staff.id)
        assert document.document is not None
        assert document.caption == (
            "📎 Dossier S-2026-0001 (École du Soleil) — Zoé, enseignant·e\nla facture"
        )

    # The commune's agent answers the claim's notice: it goes to staff, not to the reporter.
    api.clear()
    await api.send_text(
        agent, "Plainte déposée ce matin", reply_to_message_id=commune_notice.message_id
    )
    assert world.last_text(sacha) == to_staff(
        "Claude", "agent de commune", "Plainte déposée ce matin"
    )
    assert api.sent_to(teacher.id) == []

    # An internal note reaches nobody.
    api.clear()
    await api.send_text(sacha, "/note S-2026-0001 Rappeler la mairie")
    assert world.last_text(sacha) == (
        "🔒 Note interne ajoutée au dossier S-2026-0001. Seule l'équipe la voit."
    )
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [sacha.id]
    # …also as a reply to a message about the ticket.
    await api.send_text(sacha, "/note vu avec Alex", reply_to_message_id=staff_copy.message_id)

    # Once the ticket is assigned, the reporter's messages go to the assignee only.
    async with world.db.uow() as uow:
        ticket = await uow.tickets.by_number("S-2026-0001")
        assert ticket is not None
        ticket.assignee_id = await person_id(world, alex)
        await uow.commit()
    api.clear()
    await api.send_text(teacher, "Merci !", reply_to_message_id=received.message_id)
    assert [s.chat_id for s in api.sent if s.method == "sendMessage"] == [alex.id, teacher.id]

    # Everything is in the ticket's thread and in its audit trail.
    assert await thread_rows(world) == [
        ("public", "Sacha", "Bonjour <b>Zoé</b> & merci.\nÀ bientôt"),
        ("public", "Zoé", "L'armoire est réparée & <i>fermée</i>"),
        ("public", "Claude", "Plainte déposée ce matin"),
        ("internal", "Sacha", "Rappeler la mairie"),
        ("internal", "Sacha", "vu avec Alex"),
        ("public", "Zoé", "Merci !"),
    ]
    async with world.db.uow() as uow:
        files = (await uow.session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [(a.kind, a.purpose, a.caption) for a in files] == [
        ("photo", "relay", "le devis"),
        ("document", "relay", "la facture"),
    ]
    assert await audit_actions(world, "S-2026-0001") == [
        "claim.reported",
        "relay.reply",
        "relay.message",
        "relay.reply",
        "relay.message",
        "relay.message",
        "relay.note",
        "relay.note",
        "relay.message",
    ]
    api.assert_no_refusals()


async def test_the_staff_group_gets_the_reporters_messages_when_there_is_one(
    world: World,
) -> None:
    api = world.api
    api.group(STAFF_GROUP, "Équipe PNE")
    world.settings.staff_chat_id = STAFF_GROUP
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await report_theft(world, teacher)
    await api.send_text(sacha, "/repondre S-2026-0001 Bonjour")
    api.clear()

    await api.send_text(
        teacher, "Bonjour à vous", reply_to_message_id=api.last(teacher.id).message_id
    )

    # In the group, the hint says that a reply there stays among the team.
    assert world.last_text(STAFF_GROUP) == to_staff_group("Zoé", "enseignant·e", "Bonjour à vous")
    assert api.sent_to(sacha.id) == []


async def test_a_reply_in_the_staff_group_is_an_internal_note(world: World) -> None:
    api = world.api
    api.group(STAFF_GROUP, "Équipe PNE")
    world.settings.staff_chat_id = STAFF_GROUP
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    alex = await world.registered("Alex", Role.STAFF)
    await report_theft(world, teacher)
    notice = api.last(STAFF_GROUP)
    api.clear()

    # A colleague's aside, as a reply to the bot's notice: kept for the team, not sent.
    await api.send_text(
        alex, "encore cette école…", reply_to_message_id=notice.message_id, chat_id=STAFF_GROUP
    )
    assert api.sent_to(teacher.id) == []
    assert world.last_text(STAFF_GROUP) == KEPT_IN_GROUP
    # A photo too.
    await reply_with_file(
        world, sacha, notice.message_id, kind="photo", caption="l'armoire", chat_id=STAFF_GROUP
    )
    assert api.sent_to(teacher.id) == []
    assert world.last_text(STAFF_GROUP) == KEPT_IN_GROUP

    # /repondre writes to the reporter, from the group as in private.
    await api.send_text(sacha, "/repondre S-2026-0001 On passe jeudi", chat_id=STAFF_GROUP)
    assert world.last_text(teacher) == to_reporter("Sacha", "On passe jeudi")
    assert world.last_text(STAFF_GROUP) == "✅ Réponse envoyée à Zoé (dossier S-2026-0001)."
    # And so does a reply in private, to a message about the ticket.
    await api.send_text(sacha, "/mes_dossiers")
    await api.send_text(sacha, "/note S-2026-0001 à suivre")
    await api.forge_callback(sacha, api.last(sacha.id).message_id, "tk:open:1")
    thread = api.last(sacha.id)
    assert "🔒 10/03/2026 10:00 — Alex, note interne :\nencore cette école…" in (thread.text or "")
    assert "🔒📎 10/03/2026 10:00 — Sacha, note interne : une photo\nl'armoire" in (
        thread.text or ""
    )
    await api.send_text(sacha, "Avez-vous la facture ?", reply_to_message_id=thread.message_id)
    assert world.last_text(teacher) == to_reporter("Sacha", "Avez-vous la facture ?")

    assert await thread_rows(world) == [
        ("internal", "Alex", "encore cette école…"),
        ("public", "Sacha", "On passe jeudi"),
        ("internal", "Sacha", "à suivre"),
        ("public", "Sacha", "Avez-vous la facture ?"),
    ]
    async with world.db.uow() as uow:
        files = (await uow.session.scalars(select(Attachment))).all()
    assert [(a.purpose, a.caption) for a in files] == [("relay_note", "l'armoire")]
    assert await audit_actions(world, "S-2026-0001") == [
        "claim.reported",
        "relay.note",
        "relay.note",
        "relay.reply",
        "relay.note",
        "relay.reply",
    ]
    # The reporter's thread has the replies meant for her, not the notes.
    await api.send_text(teacher, "/mes_dossiers")
    await api.tap(teacher, api.last(teacher.id), "S-2026-0001")
    mine = world.last_text(teacher)
    assert "On passe jeudi" in mine and "Avez-vous la facture ?" in mine
    assert "encore cette école" not in mine and "armoire" not in mine and "à suivre" not in mine
    api.assert_no_refusals()


async def test_a_reply_that_cannot_be_delivered_is_kept_and_said_so(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await quick_claim(world, teacher, world.ids["soleil"])
    teacher.blocked = True

    await api.send_text(sacha, "/repondre s-2026-0001 Bonjour")

    assert world.last_text(sacha) == (
        "⚠️ Réponse enregistrée dans le dossier S-2026-0001, mais je n'ai pas pu la remettre "
        "à Zoé (bot bloqué ou compte fermé)."
    )
    assert [body for _, _, body in await thread_rows(world)] == ["Bonjour"]


async def test_a_reply_telegram_cannot_take_now_is_sent_by_the_sweep_once(world: World) -> None:
    """The reply is an outbox row (decision 0084): a server error leaves it to the sweep,
    the writer is told it will go in a few minutes, and the reporter gets it once."""
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await quick_claim(world, teacher, world.ids["soleil"])
    api.fail("sendMessage", times=1)  # the reply to Zoé meets a 500

    await api.send_text(sacha, "/repondre s-2026-0001 Bonjour, le technicien passe jeudi")

    assert world.last_text(sacha) == (
        "⏳ Réponse enregistrée dans le dossier S-2026-0001 ; elle n'a pas pu partir tout de "
        "suite vers Zoé, je la renvoie dans quelques minutes."
    )
    assert not any("technicien" in t for t in world.texts(teacher))
    world.clock.advance(timedelta(minutes=2))
    await outbox_sent(world)
    got = [t for t in world.texts(teacher) if "technicien" in t]
    assert len(got) == 1 and "S-2026-0001" in got[0]
    # Answering it reaches the ticket's thread: the message the sweep sent is remembered.
    await api.send_text(
        teacher, "Merci, je serai là", reply_to_message_id=api.last(teacher.id).message_id
    )
    assert [body for _, _, body in await thread_rows(world)][-1] == "Merci, je serai là"
    world.clock.advance(timedelta(hours=1))
    await outbox_sent(world)
    assert len([t for t in world.texts(teacher) if "technicien" in t]) == 1


async def test_a_file_with_a_long_caption_comes_with_its_text_apart(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await quick_claim(world, teacher, world.ids["soleil"])
    await api.send_text(sacha, "/repondre S-2026-0001 Une photo ?")
    caption = "&" * 300 + "x" * 600  # 900 characters, far more once escaped
    api.clear()

    await reply_with_file(
        world, teacher, api.last(teacher.id).message_id, kind="photo", caption=caption
    )

    photo, text = api.messages(sacha.id)[-2:]
    assert photo.photo is not None
    assert photo.caption == "📎 Dossier S-2026-0001 (École du Soleil) — Zoé, enseignant·e"
    assert text.text == (f"📎 Dossier S-2026-0001 (École du Soleil) — Zoé, enseignant·e\n{caption}")
    api.assert_no_refusals()


# --- refusals ----------------------------------------------------------------------------------


async def test_only_staff_reply_with_the_command_or_keep_notes(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    await quick_claim(world, teacher, world.ids["soleil"])

    for user in (teacher, agent):
        await api.send_text(user, "/repondre S-2026-0001 Bonjour")
        assert world.last_text(user) == "Vous n'avez pas accès à cette action."
        await api.send_text(user, "/note S-2026-0001 Note")
        assert world.last_text(user) == "Vous n'avez pas accès à cette action."
    assert await thread_rows(world) == []


async def test_staff_commands_explain_themselves(world: World) -> None:
    api = world.api
    sacha = await world.registered("Sacha", Role.STAFF)

    await api.send_text(sacha, "/repondre S-2026-0001")
    assert world.last_text(sacha) == (
        "Pour écrire au déclarant d'un dossier : /repondre S-2026-0042 votre message, "
        "ou répondez à l'un de mes messages sur ce dossier."
    )
    await api.send_text(sacha, "/repondre S-2026-0099 Bonjour")
    assert world.last_text(sacha) == "Aucun dossier ne porte le numéro S-2026-0099."
    await api.send_text(sacha, "/note rien")
    assert world.last_text(sacha).startswith("Pour une note interne : /note S-2026-0042 votre note")


async def test_a_reply_to_a_message_about_no_ticket_is_not_passed_on(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await quick_claim(world, teacher, world.ids["soleil"])
    await api.send_text(teacher, "/moi")
    api.clear()

    await api.send_text(
        teacher, "Une question", reply_to_message_id=api.last(teacher.id).message_id
    )

    assert world.last_text(teacher) == (
        "Ce message ne concerne pas un dossier : je ne peux transmettre votre réponse à personne. "
        "Pour écrire sur un dossier, ouvrez-le avec /mes_dossiers et répondez à son message."
    )
    assert api.sent_to(sacha.id) == []
    await api.send_text(sacha, "/aide")
    await api.send_text(sacha, "Pour Zoé", reply_to_message_id=api.last(sacha.id).message_id)
    assert world.last_text(sacha).startswith(
        "Ce message ne concerne pas un dossier : rien n'a été transmis. "
        "Utilisez /repondre S-2026-0042 votre message"
    )
    assert await thread_rows(world) == []


async def test_an_agent_of_another_commune_cannot_write_on_a_ticket_by_a_forged_reference(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    claim_id = await quick_claim(world, teacher, world.ids["soleil"])
    await api.send_text(dana, "/moi")
    profile = api.last(dana.id)
    async with world.db.uow() as uow:  # as if that message had been about S-2026-0001
        uow.session.add(
            MessageRef(
                platform="telegram",
                chat_id=dana.id,
                message_id=profile.message_id,
                ticket_id=claim_id,
                created_at=world.clock.now(),
            )
        )
        await uow.commit()
    api.clear()

    await api.send_text(dana, "Je prends la main", reply_to_message_id=profile.message_id)

    assert world.last_text(dana) == (
        "Ce dossier n'est pas dans votre périmètre : votre message n'a été ni enregistré "
        "ni transmis."
    )
    assert api.sent_to(sacha.id) == [] and api.sent_to(teacher.id) == []
    assert await thread_rows(world) == []


async def test_a_colleague_of_the_same_school_cannot_open_or_write_on_a_teachers_ticket(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    colleague = await world.registered("Yann", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    claim_id = await quick_claim(world, teacher, world.ids["soleil"])
    await api.send_text(sacha, "/repondre S-2026-0001 Bonjour Zoé")
    api.clear()

    await api.send_text(colleague, "/mes_dossiers")
    assert world.last_text(colleague) == "📂 Vos dossiers\n\nAucun dossier pour l'instant."
    await api.forge_callback(colleague, api.last(colleague.id).message_id, f"tk:open:{claim_id}")
    assert world.last_text(colleague) == "Dossier introuvable, ou hors de votre périmètre."
    assert not any("Bonjour Zoé" in text for text in world.texts(colleague))

    await api.send_text(colleague, "/moi")
    profile = api.last(colleague.id)
    async with world.db.uow() as uow:  # as if that message had been about S-2026-0001
        uow.session.add(
            MessageRef(
                platform="telegram",
                chat_id=colleague.id,
                message_id=profile.message_id,
                ticket_id=claim_id,
                created_at=world.clock.now(),
            )
        )
        await uow.commit()
    await api.send_text(colleague, "C'est moi qui gère", reply_to_message_id=profile.message_id)
    assert world.last_text(colleague) == (
        "Ce dossier n'est pas dans votre périmètre : votre message n'a été ni enregistré "
        "ni transmis."
    )
    assert api.sent_to(sacha.id) == [] and api.sent_to(teacher.id) == []
    assert [body for _, _, body in await thread_rows(world)] == ["Bonjour Zoé"]


async def test_the_commune_and_the_reporter_do_not_read_each_others_messages(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    sacha = await world.registered("Sacha", Role.STAFF)
    await report_theft(world, teacher)
    commune_notice = api.last(agent.id)
    await api.send_text(sacha, "/repondre S-2026-0001 Nous commandons une tablette")
    await api.send_text(
        teacher, "Merci, l'armoire est réparée", reply_to_message_id=api.last(teacher.id).message_id
    )
    await api.send_text(
        agent, "Plainte déposée ce matin", reply_to_message_id=commune_notice.message_id
    )
    api.clear()

    await api.send_text(agent, "/mes_dossiers")
    await api.tap(agent, api.last(agent.id), "S-2026-0001")
    seen_by_agent = world.last_text(agent)
    assert "Plainte déposée ce matin" in seen_by_agent
    assert "armoire est réparée" not in seen_by_agent
    assert "Nous commandons une tablette" not in seen_by_agent

    await api.send_text(teacher, "/mes_dossiers")
    await api.tap(teacher, api.last(teacher.id), "S-2026-0001")
    seen_by_teacher = world.last_text(teacher)
    assert "Nous commandons une tablette" in seen_by_teacher  # staff's reply to her
    assert "armoire est réparée" in seen_by_teacher  # her own
    assert "Plainte déposée" not in seen_by_teacher

    await api.forge_callback(sacha, api.last(sacha.id).message_id, "tk:open:1")
    seen_by_staff = world.last_text(sacha)
    for body in ("Nous commandons", "armoire est réparée", "Plainte déposée"):
        assert body in seen_by_staff
    api.assert_no_refusals()


async def test_a_button_in_the_staff_group_answers_only_staff_and_posts_nothing_else(
    world: World,
) -> None:
    """Strangers and non-staff tapping a button in a group get an alert of their own; the
    group never reads « how to get an invitation »."""
    api = world.api
    api.group(STAFF_GROUP, "Équipe PNE")
    world.settings.staff_chat_id = STAFF_GROUP
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    stranger = world.user("Eve")
    button = InlineKeyboardButton("Prendre", callback_data="clm:take:1")
    notice = await world.app.bot.send_message(
        STAFF_GROUP, "Dossier S-2026-0001", reply_markup=InlineKeyboardMarkup([[button]])
    )
    api.clear()

    for user in (stranger, teacher):
        tapped = await api.forge_callback(
            user, notice.message_id, "clm:take:1", chat_id=STAFF_GROUP
        )
        assert api.callback_answer(tapped) == {
            "text": "Vous n'avez pas accès à cette action.",
            "show_alert": True,
        }
    # Nothing was posted, in the group or elsewhere; only the two alerts.
    assert [s.method for s in api.sent] == ["answerCallbackQuery", "answerCallbackQuery"]
    assert world.texts(STAFF_GROUP) == ["Dossier S-2026-0001"]

    # Staff pass the guard (here to the catch-all, the button being made up).
    tapped = await api.forge_callback(staff, notice.message_id, "zz:nothing", chat_id=STAFF_GROUP)
    assert api.callback_answer(tapped) == {
        "text": "Ce bouton n'est plus valable.",
        "show_alert": True,
    }
    api.assert_no_refusals()


# --- /mes_dossiers -------------------------------------------------------------------------------


async def test_reporters_list_their_tickets_and_open_one_with_its_thread(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    colleague = await world.registered("Yann", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    await report_theft(world, teacher)
    await quick_claim(world, colleague, world.ids["soleil"])
    await api.send_text(sacha, "/repondre S-2026-0001 Nous commandons une tablette")
    await api.send_text(sacha, "/note S-2026-0001 Coût à voir avec la mairie")
    api.clear()

    await api.send_text(teacher, "/mes_dossiers")
    listing = api.last(teacher.id)
    assert listing.text == (
        "📂 Vos dossiers — 1 au total, page 1/1\n\n"
        "S-2026-0001 · Sinistre · déclaré, démarches de la commune en cours\n"
        "École du Soleil · 10/03/2026\n\n"
        "Touchez un numéro pour ouvrir le dossier."
    )
    assert listing.button_texts == ["S-2026-0001"]

    await api.tap(teacher, listing, "S-2026-0001")
    card, thread = api.messages(teacher.id)[-2:]
    assert (card.text or "").startswith("Sinistre S-2026-0001 — Vol")
    assert "Historique" in (card.text or "")
    assert "Sacha : réponse de l'équipe au déclarant" in (card.text or "")
    assert "Coût à voir" not in (card.text or "")  # the internal note stays off the card
    assert thread.text == (
        "💬 Échanges sur le dossier S-2026-0001\n\n"
        "10/03/2026 10:00 — Sacha (équipe SEM du Plan numérique) :\n"
        "Nous commandons une tablette\n\n"
        "Pour écrire à l'équipe du Plan numérique sur le dossier S-2026-0001, "
        "répondez à ce message."
    )
    # The thread is a message about the ticket: answering it reaches staff.
    await api.send_text(teacher, "Merci", reply_to_message_id=thread.message_id)
    assert world.last_text(sacha) == to_staff("Zoé", "enseignant·e", "Merci")

    # Staff see the internal note in the thread.
    await api.forge_callback(sacha, api.last(sacha.id).message_id, "tk:open:1")
    staff_thread = world.last_text(sacha)
    assert "🔒 10/03/2026 10:00 — Sacha, note interne :\nCoût à voir avec la mairie" in staff_thread
    assert staff_thread.endswith(
        "Répondez à ce message pour écrire au déclarant ; "
        "/note S-2026-0001 … pour une note interne."
    )
    api.assert_no_refusals()


async def test_a_school_head_pages_through_the_schools_tickets(world: World) -> None:
    api = world.api
    head = await world.registered("Dora", Role.DIRECTOR)
    teacher = await world.registered("Zoé", Role.TEACHER)
    for minutes in range(9):
        world.clock.advance(timedelta(minutes=minutes))
        await quick_claim(world, teacher, world.ids["soleil"])

    await api.send_text(head, "/mes_dossiers")
    first = api.last(head.id)
    assert (first.text or "").startswith("📂 Dossiers — École du Soleil — 9 au total, page 1/2")
    assert first.button_texts[:2] == ["S-2026-0009", "S-2026-0008"]  # newest first
    assert first.button_texts[-1] == "Suivants ▶️"

    await api.tap(head, first, "Suivants ▶️")
    second = api.last(head.id)
    assert second.message_id == first.message_id  # edited in place
    assert (second.text or "").startswith("📂 Dossiers — École du Soleil — 9 au total, page 2/2")
    assert second.button_texts == ["S-2026-0001", "◀️ Précédents"]
    # A stale button of the page already shown changes nothing, and says nothing.
    count = len(api.messages(head.id))
    await api.forge_callback(head, second.message_id, "tk:mine:1")
    assert len(api.messages(head.id)) == count
    assert api.last(head.id).text == second.text


async def test_a_long_thread_shows_its_latest_messages(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    sacha = await world.registered("Sacha", Role.STAFF)
    claim_id = await quick_claim(world, teacher, world.ids["soleil"])
    staff_id = await person_id(world, sacha)
    for index in range(1, 23):
        await relay_service.reply_to_reporter(
            world.db, staff_id, claim_id, f"message {index}", world.clock.now()
        )

    await api.send_text(teacher, "/mes_dossiers")
    await api.tap(teacher, api.last(teacher.id), "S-2026-0001")

    thread = world.last_text(teacher)
    assert "… 2 messages plus anciens ; les plus récents suivent." in thread
    assert "message 2\n" not in thread and "message 3\n" in thread
    assert thread.count("Sacha (équipe SEM du Plan numérique)") == 20


async def test_a_forged_button_does_not_open_another_schools_ticket(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    stranger = await world.registered("Luc", Role.TEACHER, school="0420002Z")
    agent = await world.registered("Dana", Role.COMMUNE, commune="42095")
    claim_id = await quick_claim(world, teacher, world.ids["soleil"])
    await api.send_text(stranger, "/mes_dossiers")
    assert world.last_text(stranger) == "📂 Vos dossiers\n\nAucun dossier pour l'instant."

    for user in (stranger, agent):
        api.clear()
        await api.send_text(user, "/mes_dossiers")
        await api.forge_callback(user, api.last(user.id).message_id, f"tk:open:{claim_id}")
        assert world.last_text(user) == "Dossier introuvable, ou hors de votre périmètre."
        # Nothing about the ticket was shown: the empty list, then the refusal.
        assert [s.method for s in api.sent_to(user.id)] == [
            "sendMessage",
            "answerCallbackQuery",
            "sendMessage",
        ]
