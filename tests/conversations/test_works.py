"""Works, premises, moves and fibre told on Telegram (/travaux, /fibre), played through the
offline Bot API: a commune agent tells renovation works with rooms (staff get SEM's
equipment of those rooms, the body SEM's recommendations), the refusals at each step,
« À partir de », /annuler from every step, a move carried out by staff, a school head's
works with the reminder a week before and « Matériel remis en place » after the end, a
teacher refused, another body's school neither offered nor accepted; /fibre to the
migration done."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import outbox
from handlers.telegram.offline import SimUser
from storage.models import Attachment, Equipment, Notice, Reminder, School
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step
from tests.conversations.test_claims import sweep

WORKS, FIBRE = "notice_works", "notice_fibre"
PDF = b"%PDF-1.4\n%%EOF\n"


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


def _said(world: World) -> list[str]:
    """Pop-up answers and messages the bot sent since the transcript was cleared."""
    return [
        str(s.params.get("text", ""))
        for s in world.api.sent
        if s.method in ("answerCallbackQuery", "sendMessage") and s.params.get("text")
    ]


async def _rooms_in_inventory(world: World) -> None:
    """The inventory names the rooms of three of École du Soleil's items."""
    async with world.db.uow() as uow:
        for tag, room in (("SEM-0001", "Salle 2"), ("SEM-0004", "CM1"), ("SEM-0003", "Salle 5")):
            item = await uow.directory.equipment_by_tag(tag)
            assert item is not None
            item.room = room
        await uow.commit()


async def _school_id(world: World, uai: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(School.id).where(School.uai == uai))
    assert found is not None
    return found


async def _notices(world: World) -> list[Notice]:
    async with world.db.uow() as uow:
        return list((await uow.session.scalars(select(Notice))).all())


async def test_a_commune_agent_tells_renovation_works_with_rooms(world: World) -> None:
    api = world.api
    await _rooms_in_inventory(world)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)

    # Two schools: offered as buttons; another body's school is neither offered nor taken.
    await api.send_text(agent, "/travaux")
    schools = api.last(agent.id)
    assert schools.text == "Pour quelle école ?"
    assert schools.button_texts == ["École de la Lune (0420002Z)", "École du Soleil (0420001Y)"]
    forges = await _school_id(world, "0420003A")
    forged = await api.forge_callback(agent, schools.message_id, f"wrk:school:{forges}")
    assert api.callback_answer(forged) == {
        "text": _t(world, "notice.error.school_out_of_scope"),
        "show_alert": True,
    }
    await api.send_text(agent, "Forges")
    assert world.last_text(agent) == _t(world, "works.no_school_found")
    await api.send_text(agent, "soleil")  # typed: the schools that match, as buttons
    assert api.last(agent.id).button_texts == ["École du Soleil (0420001Y)"]
    assert _step(world, WORKS, agent) == "wrk_school"
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")

    # What: a button is expected.
    kinds = api.last(agent.id)
    assert (kinds.text or "").startswith("🏗 Travaux et locaux — École du Soleil\n")
    assert kinds.button_texts == [
        "🏗 Construction",
        "🖌 Rénovation",
        "🧱 Restructuration",
        "🤝 Locaux partagés",
        "🚚 Déménagement",
        "📡 Travaux de fibre",
        "🔌 Travaux de réseau",
        "Autres travaux",
    ]
    await api.send_text(agent, "rénovation")
    assert world.last_text(agent) == _t(world, "works.unexpected.kind")
    assert _step(world, WORKS, agent) == "wrk_kind"
    await api.tap(agent, kinds, "🖌 Rénovation")

    # The description: said, and not too long.
    assert world.last_text(agent).startswith("Travaux : rénovation\nDécrivez le projet")
    await api.send_text(agent, " \u200b ")
    assert world.last_text(agent) == "Décrivez en quelques mots de quoi il s'agit."
    await api.send_text(agent, "x" * 2001)
    assert world.last_text(agent) == "Description trop longue : 2000 caractères au plus."
    await api.send_photo(agent)
    assert world.last_text(agent) == _t(world, "works.unexpected.description")
    assert _step(world, WORKS, agent) == "wrk_description"
    await api.send_text(agent, "Peinture <et> sols & plafonds")

    # The start, each date checked as typed.
    assert world.last_text(agent) == _t(world, "works.ask_start")
    for typed, said in (
        ("demain", _t(world, "works.error.date_unreadable")),
        ("31/02/2026", "Le 31/02/2026 n'existe pas : vérifiez le jour et le mois (ex. « 28/02 »,"
         " « 12/03/2026 8h30 »)."),
        ("13/04/2030", "Cette date est à plus de trois ans : vérifiez l'année."),
    ):  # fmt: skip
        await api.send_text(agent, typed)
        assert world.last_text(agent) == said, typed
        assert _step(world, WORKS, agent) == "wrk_start"
    await api.send_text(agent, "13 avril")
    assert world.last_text(agent).startswith("Début : lundi 13 avril 2026.\nJusqu'à quand ?")
    assert api.last(agent.id).button_texts == ["À partir de seulement ▶️"]
    await api.send_text(agent, "10/04/2026")
    assert world.last_text(agent) == (
        "La fin des travaux ne peut pas précéder leur début : donnez une date de fin après le "
        "début, ou « à partir de » seulement."
    )
    await api.send_text(agent, "24/04/2031")
    assert world.last_text(agent) == "Cette date est à plus de trois ans : vérifiez l'année."
    assert _step(world, WORKS, agent) == "wrk_end"
    await api.send_text(agent, "24/04/2026")

    # The rooms.
    assert world.last_text(agent).startswith("Quelles salles ou quelles classes")
    await api.send_text(agent, "y" * 301)
    assert world.last_text(agent) == "Liste des salles trop longue : 300 caractères au plus."
    await api.send_text(agent, "...")
    assert world.last_text(agent) == "Dites quelles salles ou quelles classes sont concernées."
    assert _step(world, WORKS, agent) == "wrk_rooms"
    await api.send_text(agent, "Salle 2")

    # Photos and plans: a text is not one; a photo and a PDF plan are kept.
    assert world.last_text(agent).startswith("Des photos ou des plans ?")
    await api.send_text(agent, "un plan suivra")
    assert world.last_text(agent) == _t(world, "works.file_expected")
    await api.send_photo(agent)
    await api.send_document(agent, PDF, "plan.pdf", "application/pdf")
    assert world.last_text(agent) == (
        "Pièces jointes reçues : 2. Envoyez-en d'autres, ou touchez « Terminé »."
    )
    await api.tap(agent, api.last(agent.id), "Terminé ▶️")

    summary = api.last(agent.id)
    assert summary.text == (
        "🏗 Votre signalement — Travaux : rénovation\n"
        "École : École du Soleil\n"
        "« Peinture <et> sols & plafonds »\n"
        "Du lundi 13 avril 2026 au vendredi 24 avril 2026\n"
        "Salles ou classes concernées : Salle 2\n"
        "Pièces jointes : 2\n"
        "\n"
        + _t(world, "works.summary.next")
        + " "
        + _t(world, "works.follow.before")
        + " "
        + _t(world, "works.follow.after")
    )
    assert summary.button_texts == [
        "✅ Envoyer à la SEM : rénovation",
        "✏️ Corriger",
        "✖️ Annuler",
    ]
    # « Corriger »: the rooms, then a new summary; the old one's « Envoyer » is stale.
    await api.tap(agent, summary, "✏️ Corriger")
    assert api.last(agent.id).button_texts == [
        "La nature des travaux",
        "La description",
        "Les dates",
        "Les salles ou les classes",
        "Les photos et les plans",
        "◀️ Retour au récapitulatif",
    ]
    await api.tap(agent, summary, "Les salles ou les classes")
    await api.send_text(agent, "salle 2 ; CM1")
    fixed = api.last(agent.id)
    assert "Salles ou classes concernées : salle 2 ; CM1" in (fixed.text or "")
    stale = await api.forge_callback(agent, summary.message_id, "wrk:send:00000000")
    assert api.callback_answer(stale) == {
        "text": "Ce bouton n'est plus valable.",
        "show_alert": True,
    }
    assert await _notices(world) == []

    api.clear()
    await api.tap(agent, fixed, "✅ Envoyer à la SEM : rénovation")
    assert _step(world, WORKS, agent) is None
    told = world.texts(agent)[-2:]
    assert told[0] == (
        "✅ N-2026-0001 — Travaux : rénovation, École du Soleil : la SEM est prévenue.\n"
        "Voici ses recommandations, à transmettre à qui réalise les travaux.\n"
        "L'école sera relancée une semaine avant le début pour protéger ou déplacer le "
        "matériel.\n"
        "Le lendemain de la fin, l'école sera invitée à confirmer que le matériel est remis en "
        "place.\n"
        "Une question : répondez à ce message pour écrire à la SEM."
    )
    assert told[1].startswith(
        "📋 Recommandations de Saint-Étienne Métropole — Travaux : rénovation, École du "
        "Soleil (N-2026-0001) — à transmettre à qui réalise les travaux :\n"
    )
    assert "• Gardez la baie informatique de l'école accessible" in told[1]
    card = api.last(staff.id)
    text = card.text or ""
    assert text.startswith("🏗 N-2026-0001 — Travaux : rénovation\nÉcole : École du Soleil")
    assert "Salles ou classes concernées : salle 2 ; CM1" in text
    assert "Matériel de la SEM concerné : 2 sur 5" in text
    assert "SEM-0001 (tablette, iPad 9) — Salle 2" in text
    assert "SEM-0004 (vidéoprojecteur, Epson EB) — CM1" in text
    assert "SEM-0003" not in text  # in Salle 5, not concerned
    assert "Pièces jointes : 2" in text
    assert card.button_texts == [
        "📄 Voir le signalement",
        "👍 Pris en compte",
        "📦 Collecter le matériel des salles",
    ]
    api.assert_no_refusals()

    [notice] = await _notices(world)
    assert (notice.subkind, notice.rooms, notice.starts_on, notice.ends_on) == (
        "renovation",
        "salle 2 ; CM1",
        date(2026, 4, 13),
        date(2026, 4, 24),
    )
    async with world.db.uow() as uow:
        files = (await uow.session.scalars(select(Attachment.kind))).all()
    assert sorted(files) == ["document", "photo"]


async def _to_step(world: World, user: SimUser, step: str) -> None:
    """A school head's /travaux, answered up to ``step``."""
    api = world.api
    answers = [
        ("wrk_description", ("tap", "🤝 Locaux partagés")),
        ("wrk_start", ("text", "Le centre de loisirs occupe la BCD le mercredi")),
        ("wrk_end", ("text", "02/03/2026")),
        ("wrk_rooms", ("tap", "À partir de seulement ▶️")),
        ("wrk_files", ("tap", "🏫 Toute l'école")),
        ("wrk_summary", ("tap", "Passer ▶️")),
    ]
    await api.send_text(user, "/travaux")
    for reached, (how, what) in answers:
        if _step(world, WORKS, user) == step:
            return
        if how == "tap":
            await api.tap(user, api.last(user.id), what)
        else:
            await api.send_text(user, what)
        assert _step(world, WORKS, user) == reached, reached
    assert _step(world, WORKS, user) == step


async def test_a_school_head_tells_shared_premises_from_a_day_and_may_cancel_at_any_step(
    world: World,
) -> None:
    api = world.api
    head = await world.registered("Dominique", Role.DIRECTOR)
    staff = await world.registered("Sacha", Role.STAFF)
    for step in ("wrk_kind", "wrk_description", "wrk_start", "wrk_end", "wrk_rooms"):
        await _to_step(world, head, step)
        await api.send_text(head, "/annuler")
        assert world.last_text(head) == "C'est annulé. Rien n'a été envoyé.", step
        assert _step(world, WORKS, head) is None, step
    for step in ("wrk_files", "wrk_summary"):
        await _to_step(world, head, step)
        await api.send_text(head, "/cancel")
        assert world.last_text(head) == "C'est annulé. Rien n'a été envoyé.", step
    # The summary's own « Annuler ».
    await _to_step(world, head, "wrk_summary")
    await api.tap(head, api.last(head.id), "✖️ Annuler")
    assert world.last_text(head) == "C'est annulé. Rien n'a été envoyé."
    assert await _notices(world) == []

    # One school: no question about it. Works begun are told; works over are not.
    await _to_step(world, head, "wrk_end")
    assert "Début : lundi 2 mars 2026." in world.last_text(head)
    await api.send_text(head, "05/03/2026")
    assert world.last_text(head) == (
        "Ces travaux sont déjà terminés : la SEM a besoin de les connaître avant ou pendant."
    )
    assert _step(world, WORKS, head) == "wrk_end"
    await api.tap(head, api.last(head.id), "À partir de seulement ▶️")
    await api.tap(head, api.last(head.id), "🏫 Toute l'école")
    await api.tap(head, api.last(head.id), "Passer ▶️")
    summary = api.last(head.id).text or ""
    assert summary.endswith(_t(world, "works.summary.next"))  # begun, no end: no reminder
    assert (
        "À partir du lundi 2 mars 2026\nToute l'école est concernée\nPas de photo ni de plan"
        in (summary)
    )
    api.clear()
    await api.tap(head, api.last(head.id), "✅ Envoyer à la SEM : locaux partagés")
    assert world.texts(head)[-1] == (
        "✅ N-2026-0001 — Locaux partagés, École du Soleil : la SEM est prévenue.\n"
        "L'organisme (Saint-Étienne) a reçu ses recommandations, à transmettre à qui réalise "
        "les travaux.\n"
        "Une question : répondez à ce message pour écrire à la SEM."
    )
    assert "Matériel de la SEM concerné : 5 sur 5" in world.last_text(staff)
    [notice] = await _notices(world)
    assert (notice.starts_on, notice.ends_on, notice.rooms) == (date(2026, 3, 2), None, None)
    api.assert_no_refusals()


async def test_a_teacher_may_not_tell_works_nor_fibre(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    for command in ("/travaux", "/works", "/fibre", "/fiber"):
        await api.send_text(teacher, command)
        assert world.last_text(teacher) == "Vous n'avez pas accès à cette action.", command
        assert _step(world, WORKS, teacher) is None and _step(world, FIBRE, teacher) is None
    forged = await api.forge_callback(teacher, api.last(teacher.id).message_id, "wrk:kind:move")
    assert api.callback_answer(forged) == {
        "text": "Ce bouton n'est plus valable.",
        "show_alert": True,
    }
    assert await _notices(world) == []


async def test_another_bodys_agent_is_offered_only_its_own_school(world: World) -> None:
    api = world.api
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    await api.send_text(dana, "/travaux")
    assert world.last_text(dana).startswith("🏗 Travaux et locaux — École des Forges\n")
    soleil = await _school_id(world, "0420001Y")
    await api.tap(dana, api.last(dana.id), "Autres travaux")
    # A button of a school forged at a later step is no answer to it.
    forged = await api.forge_callback(dana, api.last(dana.id).message_id, f"wrk:school:{soleil}")
    assert api.callback_answer(forged) is not None
    assert _step(world, WORKS, dana) == "wrk_description"
    await api.send_text(dana, "/fibre")
    assert world.last_text(dana).startswith("📡 Fibre — École des Forges\n")
    forged = await api.forge_callback(dana, api.last(dana.id).message_id, f"fib:school:{soleil}")
    assert _step(world, FIBRE, dana) == "fib_news"
    assert await _notices(world) == []


async def test_a_move_to_another_school_is_carried_out_when_staff_confirm(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(agent, "/travaux")
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")
    await api.tap(agent, api.last(agent.id), "🚚 Déménagement")
    await api.send_text(agent, "L'école rejoint le groupe scolaire des Forges")
    await api.send_text(agent, "06/07/2026")
    await api.send_text(agent, "31/07/2026")
    await api.tap(agent, api.last(agent.id), "🏫 Toute l'école")
    assert world.last_text(agent).startswith("Où part l'école ?")
    for typed, said in (
        ("0420009X", "Je ne trouve pas d'école de code UAI « 0420009X »."),
        ("0420001y", "Donnez le code UAI de l'école où le matériel part, différente de celle-ci."),
        (" . ", _t(world, "works.move_expected")),
    ):
        await api.send_text(agent, typed)
        assert world.last_text(agent) == said, typed
        assert _step(world, WORKS, agent) == "wrk_move"
    await api.send_text(agent, "12 rue des Écoles, 42100 Saint-Étienne")  # an address
    await api.tap(agent, api.last(agent.id), "Passer ▶️")
    assert "Nouvelle adresse : 12 rue des Écoles, 42100 Saint-Étienne" in world.last_text(agent)
    # Corrected to the school the inventory goes to.
    await api.tap(agent, api.last(agent.id), "✏️ Corriger")
    await api.tap(agent, api.last(agent.id), "La destination du déménagement")
    await api.send_text(agent, "0420003 a")
    summary = world.last_text(agent)
    assert "L'inventaire part vers : École des Forges (0420003A)" in summary
    assert "Nouvelle adresse" not in summary
    await api.tap(agent, api.last(agent.id), "✅ Envoyer à la SEM : déménagement")
    assert "L'inventaire part vers : École des Forges" in world.last_text(staff)

    await api.tap(staff, api.last(staff.id), "🚚 Confirmer le déménagement")
    assert world.last_text(staff) == (
        "Confirmer le déménagement de N-2026-0001 : les 5 objets de l'inventaire de"
        " École du Soleil passent à celui de École des Forges ?"
    )
    await api.tap(staff, api.last(staff.id), "✅ Confirmer le déménagement de N-2026-0001")
    assert world.last_text(agent) == (
        "🚚 N-2026-0001 — École du Soleil : la SEM a enregistré le déménagement."
    )
    forges = await _school_id(world, "0420003A")
    async with world.db.uow() as uow:
        moved = (
            await uow.session.scalars(
                select(Equipment.asset_tag).where(Equipment.school_id == forges)
            )
        ).all()
    assert sorted(moved) == ["SEM-0001", "SEM-0002", "SEM-0003", "SEM-0004", "SEM-0005", "SEM-0101"]
    api.assert_no_refusals()


async def test_the_head_is_reminded_a_week_before_and_confirms_the_equipment_back(
    world: World,
) -> None:
    api = world.api
    head = await world.registered("Dominique", Role.DIRECTOR)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(head, "/travaux")
    await api.tap(head, api.last(head.id), "🧱 Restructuration")
    await api.send_text(head, "Deux classes réunies, cloison abattue")
    await api.send_text(head, "13/04/2026")
    await api.send_text(head, "17 avril")
    await api.send_text(head, "CM1, CM2")
    await api.tap(head, api.last(head.id), "Passer ▶️")
    await api.tap(head, api.last(head.id), "✅ Envoyer à la SEM : restructuration")
    async with world.db.uow() as uow:
        planned = select(Reminder).where(Reminder.kind != outbox.KIND_NOTICE)  # not the notices
        due = sorted(r.due_at for r in (await uow.session.scalars(planned)).all())
    assert due == [datetime(2026, 4, 6, 7, 0, tzinfo=UTC), datetime(2026, 4, 18, 7, 0, tzinfo=UTC)]

    api.clear()
    world.clock.set(datetime(2026, 4, 6, 7, 0, tzinfo=UTC))  # Monday 6 April, 09:00 in Paris
    await sweep(world)
    before = (
        "⏰ N-2026-0001 — Travaux : restructuration, École du Soleil : les travaux commencent "
        "dans une semaine (Du lundi 13 avril 2026 au vendredi 17 avril 2026). Protégez ou "
        "déplacez le matériel de la SEM des salles concernées ; la SEM peut le collecter si "
        "besoin."
    )
    assert world.last_text(head) == before
    assert world.last_text(agent) == before

    world.clock.set(datetime(2026, 4, 18, 7, 0, tzinfo=UTC))  # the day after the end
    await sweep(world)
    assert world.last_text(head).startswith(
        "⏰ N-2026-0001 — Travaux : restructuration, École du Soleil : les travaux sont finis"
    )
    api.clear()
    await api.tap(head, api.last(head.id), "✅ Matériel remis en place")
    assert "✅ Merci : N-2026-0001 est terminé, la SEM est informée." in world.texts(head)
    assert world.last_text(staff) == (
        "✅ N-2026-0001 — École du Soleil : Dominique confirme que le matériel est remis en place."
    )
    api.assert_no_refusals()


async def test_fibre_told_then_ordered_and_done_by_staff(world: World) -> None:
    api = world.api
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(agent, "/fibre")
    assert world.last_text(agent) == "Pour quelle école ?"
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")
    news = api.last(agent.id)
    assert news.button_texts == ["École éligible au FTTH", "Fibre arrivée jusqu'à la baie"]
    await api.send_text(agent, "éligible")
    assert world.last_text(agent) == _t(world, "fibre.unexpected.news")
    await api.tap(agent, news, "École éligible au FTTH")
    assert world.last_text(agent).startswith("Un commentaire pour la SEM")
    await api.send_text(agent, "c" * 2001)
    assert world.last_text(agent) == "Description trop longue : 2000 caractères au plus."
    await api.send_text(agent, " ")
    assert world.last_text(agent) == _t(world, "fibre.comment_expected")
    assert _step(world, FIBRE, agent) == "fib_comment"
    await api.send_text(agent, "Orange annonce le raccordement <en mai>")
    confirm = api.last(agent.id)
    assert confirm.text == (
        "📡 Votre signalement — Fibre : école éligible au FTTH\n"
        "École : École du Soleil\n"
        "« Orange annonce le raccordement <en mai> »\n"
        "\n"
        "À l'envoi, la SEM reçoit la tâche de commander la migration et la suit jusqu'au bout."
    )
    assert confirm.button_texts == ["✅ Envoyer à la SEM : fibre", "✖️ Annuler"]
    await api.tap(agent, confirm, "✅ Envoyer à la SEM : fibre")
    assert world.last_text(agent).startswith(
        "✅ N-2026-0001 — École du Soleil : la SEM est prévenue et commandera la migration"
    )
    card = api.last(staff.id)
    assert (card.text or "").startswith("🏗 N-2026-0001 — Fibre : école éligible au FTTH")
    assert card.button_texts == ["📄 Voir le signalement", "📡 Migration commandée"]

    await api.tap(staff, card, "📡 Migration commandée")
    assert world.last_text(agent) == (
        "📡 N-2026-0001 — École du Soleil : la SEM a commandé la migration vers le FTTH."
    )
    # While it is followed, the school's fibre is not told twice.
    await api.send_text(agent, "/fibre")
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")
    await api.tap(agent, api.last(agent.id), "Fibre arrivée jusqu'à la baie")
    await api.tap(agent, api.last(agent.id), "Passer ▶️")
    assert "Sans commentaire" in world.last_text(agent)
    await api.tap(agent, api.last(agent.id), "✅ Envoyer à la SEM : fibre")
    assert world.last_text(agent) == (
        "La fibre de cette école est déjà suivie dans un signalement en cours."
    )
    assert _step(world, FIBRE, agent) is None

    await api.send_text(staff, "/dossier N-2026-0001")
    await api.tap(staff, api.last(staff.id), "✅ Migration faite")
    assert world.last_text(agent) == (
        "✅ N-2026-0001 — École du Soleil : la migration vers le FTTH est faite."
    )
    [notice] = await _notices(world)
    assert notice.done_at is not None and notice.description.startswith("Orange")
    api.assert_no_refusals()


async def test_the_commands_are_in_the_help_of_those_who_may_tell(world: World) -> None:
    api = world.api
    head = await world.registered("Dominique", Role.DIRECTOR)
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(head, "/aide")
    assert "/travaux" in world.last_text(head) and "/fibre" in world.last_text(head)
    await api.send_text(teacher, "/aide")
    assert "/travaux" not in world.last_text(teacher)
    assert "/fibre" not in world.last_text(teacher)
