"""Class openings and closures on Telegram (/classe), a head's change of post, and the
training needs they record (/formations).

The whole closure path: a head tells a closure picking the class's two tablets (every
step refusing a bad answer in words and staying open), staff get the notice and the
collection, staff plan a round from /tournees and mark everything collected, the tablets
end in SEM's stock; the school and the body are reminded two weeks and two days before
the date. An opening staff take into account; a change of post; the refusals (a teacher,
another body's school); /formations with « Fait », the export and forged buttons.

The world's clock: Tuesday 10 March 2026; the next start of the school year is Tuesday
1 September 2026."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.classes import next_school_year_start
from handlers.telegram.offline import SimUser
from storage.models import CollectionItem, Equipment, Notice, Ticket, TrainingNeed
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step
from tests.conversations.test_claims import sweep

DIALOGUE = "class_change"


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _state(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        state = await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
    assert state is not None
    return state


async def _tell_closure(world: World, head: SimUser) -> None:
    """Dora tells the closure of CM1 B at the start of the school year, with the class's
    two tablets gathered in her office; each step first refuses a bad answer."""
    api = world.api
    await api.send_text(head, "/classe")
    assert world.last_text(head) == "🏫 École du Soleil : que voulez-vous signaler à la SEM ?"
    assert api.last(head.id).button_texts == [
        "Ouverture",
        "Fermeture",
        "Changement de poste",
        "✖️ Annuler",
    ]
    await api.send_text(head, "fermeture")  # typed instead of tapped: the buttons again
    assert _step(world, DIALOGUE, head) == "cls_change"
    await api.tap(head, api.last(head.id), "Fermeture")
    assert world.last_text(head).startswith("Quelle classe ferme ?")
    # An empty name.
    await api.send_text(head, "  ")
    assert world.last_text(head) == _t(world, "notice.error.class_name_required")
    assert _step(world, DIALOGUE, head) == "cls_name"
    await api.send_text(head, "CM1 B")
    await api.tap(head, api.last(head.id), "CM1")
    ask_date = api.last(head.id)
    assert (ask_date.text or "").startswith("À quelle date la classe CM1 B ferme-t-elle ?")
    assert ask_date.button_texts == ["📅 À la rentrée : mardi 1 septembre 2026"]
    # A closure in the past, then words that are no date.
    await api.send_text(head, "09/03/2026")
    assert world.last_text(head) == _t(world, "notice.error.closure_past")
    await api.send_text(head, "quand ça ira")
    assert world.last_text(head) == _t(world, "class_change.error.date_unreadable")
    assert _step(world, DIALOGUE, head) == "cls_date"
    await api.tap(head, ask_date, "📅 À la rentrée : mardi 1 septembre 2026")
    # The class's items: one tapped, one typed; an unknown tag and another school's refused.
    items = api.last(head.id)
    assert "Matériel de la SEM de la classe CM1 B" in (items.text or "")
    assert "Aucun matériel de la SEM dans la classe" in items.button_texts
    await api.tap(head, items, "SEM-0001 · tablette, iPad 9")
    await api.send_text(head, "SEM-0002 INCONNU-7 SEM-0101")
    said = world.texts(head)[-2]
    assert _t(world, "collection.error.unknown_tag", tag="INCONNU-7") in said
    assert _t(world, "collection.error.tag_other_school", tag="SEM-0101") in said
    assert "2 objets choisis" in world.last_text(head)
    await api.tap(head, api.last(head.id), "✔️ Terminé (2 choisis)")
    assert world.last_text(head).startswith("Où le matériel de la classe sera-t-il regroupé")
    # An empty place.
    await api.send_text(head, "...")
    assert world.last_text(head) == _t(world, "class_change.error.place_required")
    assert _step(world, DIALOGUE, head) == "cls_place"
    await api.send_text(head, "Bureau de la direction")
    summary = world.last_text(head)
    assert "Fermeture de classe — École du Soleil" in summary
    assert "Classe : CM1 B (niveau : CM1)" in summary
    assert "Date : mardi 1 septembre 2026" in summary
    assert "2 objets de la SEM à collecter avant la fermeture" in summary
    assert "SEM-0001 (tablette, iPad 9)" in summary and "SEM-0002 (tablette, iPad 9)" in summary
    assert "Regroupés : Bureau de la direction" in summary
    await api.tap(head, api.last(head.id), "✅ Signaler la fermeture de CM1 B")


async def test_a_closure_from_the_notice_to_the_items_in_sems_stock(world: World) -> None:
    api = world.api
    head = await world.registered("Dora", Role.DIRECTOR)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)

    await _tell_closure(world, head)
    assert _step(world, DIALOGUE, head) is None
    done = world.last_text(head)
    assert done.startswith("✅ Fermeture enregistrée : N-2026-0001. La SEM est informée.")
    assert "La collecte du matériel de la SEM est ouverte : C-2026-0002" not in done
    assert "La collecte du matériel de la SEM est ouverte : C-2026-0001" in done
    assert (
        "Rappels prévus deux semaines et deux jours avant la fermeture :"
        " mardi 18 août 2026, dimanche 30 août 2026." in done
    )
    assert "Un besoin de formation des enseignants est noté" in done
    # Staff get the notice and the collection's own card.
    told = world.texts(staff)
    assert any(t.startswith("🏗 N-2026-0001 — Fermeture de classe") for t in told), told
    assert any(t.startswith("📦 Nouveau signalement C-2026-0001") for t in told), told
    notice_card = next(t for t in told if t.startswith("🏗 N-2026-0001"))
    assert "Collecte du matériel de la SEM : C-2026-0001" in notice_card
    async with world.db.uow() as uow:
        collection = await uow.session.scalar(select(Ticket).where(Ticket.number == "C-2026-0001"))
        assert collection is not None
        rows = (
            await uow.session.execute(
                select(Equipment.asset_tag, CollectionItem.condition)
                .join(CollectionItem, CollectionItem.equipment_id == Equipment.id)
                .where(CollectionItem.collection_id == collection.id)
                .order_by(Equipment.asset_tag)
            )
        ).all()
    assert [tuple(r) for r in rows] == [("SEM-0001", "unused"), ("SEM-0002", "unused")]
    assert await _state(world, "SEM-0001") == "unused"
    assert await _state(world, "SEM-0002") == "unused"

    # Staff plan the round from /tournees and mark everything collected.
    await api.send_text(staff, "/tournees")
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 07/04/2026")
    assert await _state(world, "SEM-0001") == "awaiting_collection"
    assert "mardi 7 avril 2026" in world.last_text(head)
    await api.tap(staff, api.last(staff.id), "✅ Tout collecté : École du Soleil")
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0001") == "in_stock"
    assert await _state(world, "SEM-0002") == "in_stock"

    # The school and the body are reminded two weeks, then two days before the date.
    api.clear()
    world.clock.set(datetime(2026, 8, 18, 7, 0, tzinfo=UTC))  # 09:00 in Paris
    await sweep(world)
    for person in (head, agent):
        reminder = world.last_text(person)
        assert reminder.startswith("⏰ N-2026-0001 — Fermeture de classe, École du Soleil"), (
            reminder
        )
        assert "Date : mardi 1 septembre 2026" in reminder and "C-2026-0001" in reminder
    api.clear()
    world.clock.set(datetime(2026, 8, 30, 7, 0, tzinfo=UTC))
    await sweep(world)
    assert world.last_text(head).startswith("⏰ N-2026-0001")
    assert world.last_text(agent).startswith("⏰ N-2026-0001")
    api.clear()
    world.clock.set(datetime(2026, 9, 2, 7, 0, tzinfo=UTC))
    await sweep(world)
    assert api.sent_to(head.id) == []
    api.assert_no_refusals()


async def test_an_opening_is_told_and_staff_take_it_into_account(world: World) -> None:
    api = world.api
    head = await world.registered("Dora", Role.DIRECTOR)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(head, "/class")
    await api.tap(head, api.last(head.id), "Ouverture")
    await api.send_text(head, "CP A")
    await api.tap(head, api.last(head.id), "Autre")
    assert world.last_text(head).startswith("Écrivez le niveau de la classe")
    await api.send_text(head, "🙂")
    assert world.last_text(head) == _t(world, "class_change.error.level_required", max=20)
    await api.send_text(head, "CP-CE1")
    await api.send_text(head, "15/09/2026")
    summary = world.last_text(head)
    assert "Ouverture de classe — École du Soleil" in summary
    assert "Classe : CP A (niveau : CP-CE1)" in summary
    assert "Date : mardi 15 septembre 2026" in summary
    await api.tap(head, api.last(head.id), "✅ Signaler l'ouverture de CP A")
    assert world.last_text(head).startswith("✅ Ouverture enregistrée : N-2026-0001.")
    card = next(m for m in reversed(api.messages(staff.id)) if "N-2026-0001" in (m.text or ""))
    assert (card.text or "").startswith("🏗 N-2026-0001 — Ouverture de classe")
    await api.tap(staff, card, "👍 Pris en compte")
    assert "👍 N-2026-0001 : pris en compte." in world.texts(staff)
    async with world.db.uow() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.number == "N-2026-0001"))
        assert ticket is not None and ticket.closed_at is not None
    # An opening may be told after the fact: a past day is taken.
    await api.send_text(head, "/classe")
    await api.tap(head, api.last(head.id), "Ouverture")
    await api.send_text(head, "GS B")
    await api.tap(head, api.last(head.id), "GS")
    await api.send_text(head, "02/03/2026")
    assert "Date : lundi 2 mars 2026" in world.last_text(head)
    api.assert_no_refusals()


async def test_a_head_tells_a_change_of_post(world: World) -> None:
    api = world.api
    head = await world.registered("Dora", Role.DIRECTOR)
    await api.send_text(head, "/classe")
    await api.tap(head, api.last(head.id), "Changement de poste")
    await api.send_text(head, "\u200b")
    assert world.last_text(head) == _t(world, "class_change.error.note_required", max=300)
    assert _step(world, DIALOGUE, head) == "cls_note"
    await api.send_text(head, "Nouvelle directrice à la rentrée")
    assert "« Nouvelle directrice à la rentrée »" in world.last_text(head)
    await api.tap(head, api.last(head.id), "✅ Signaler le changement de poste")
    assert world.last_text(head) == _t(world, "class_change.done.post")
    async with world.db.uow() as uow:
        needs = (await uow.session.scalars(select(TrainingNeed))).all()
    assert [(n.reason, n.note) for n in needs] == [
        ("post_change", "Nouvelle directrice à la rentrée")
    ]


async def test_a_teacher_and_another_bodys_school_are_refused(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne: Soleil and Lune
    await api.send_text(teacher, "/classe")
    assert world.last_text(teacher) == _t(world, "common.error.forbidden")
    assert _step(world, DIALOGUE, teacher) is None

    await api.send_text(agent, "/classe")
    schools = api.last(agent.id)
    assert schools.button_texts == ["École de la Lune (0420002Z)", "École du Soleil (0420001Y)"]
    forged = await api.forge_callback(
        agent, schools.message_id, f"cls:school:{world.ids['forges']}"
    )
    assert api.callback_answer(forged) == {
        "text": _t(world, "notice.error.school_out_of_scope"),
        "show_alert": True,
    }
    assert _step(world, DIALOGUE, agent) == "cls_school"
    # No change of post for a body's agent, even forged.
    await api.tap(agent, schools, "École du Soleil (0420001Y)")
    assert api.last(agent.id).button_texts == ["Ouverture", "Fermeture", "✖️ Annuler"]
    forged = await api.forge_callback(agent, api.last(agent.id).message_id, "cls:chg:post")
    answer = api.callback_answer(forged)
    assert answer is not None and answer["text"] == _t(world, "class_change.error.post_for_heads")
    await api.send_text(agent, "/annuler")
    assert _step(world, DIALOGUE, agent) is None
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(Notice))).all() == []


async def test_staff_list_the_training_needs_mark_one_done_and_export_them(world: World) -> None:
    api = world.api
    head = await world.registered("Dora", Role.DIRECTOR)
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/formations")
    assert world.last_text(staff) == _t(world, "training.none")

    await _tell_closure(world, head)
    await api.send_text(head, "/classe")
    await api.tap(head, api.last(head.id), "Changement de poste")
    await api.send_text(head, "Deux enseignants arrivent en CE1")
    await api.tap(head, api.last(head.id), "✅ Signaler le changement de poste")
    before = len(api.messages(staff.id))

    await api.send_text(staff, "/trainings")
    texts = world.texts(staff)[before:]
    assert texts[0].startswith("🎓 2 besoins de formation en attente, par école.")
    listing = api.messages(staff.id)[before + 1]
    assert (listing.text or "").splitlines() == [
        "🏫 École du Soleil (0420001Y), Saint-Étienne",
        "1. École du Soleil (0420001Y) — changement de structure (fermeture de classe) — CM1 B"
        " — mardi 10 mars 2026 (N-2026-0001)",
        "2. École du Soleil (0420001Y) — changement de poste — Deux enseignants arrivent"
        " en CE1 — mardi 10 mars 2026",
    ]
    assert listing.button_texts == ["✅ Fait : n° 1", "✅ Fait : n° 2"]
    await api.tap(staff, listing, "✅ Fait : n° 1")
    assert world.last_text(staff) == (
        "✅ Besoin de formation fait : École du Soleil — changement de structure"
        " (fermeture de classe)."
    )
    assert api.messages(staff.id)[before + 1].button_texts == ["✅ Fait : n° 2"]
    async with world.db.uow() as uow:
        first = await uow.session.scalar(select(TrainingNeed).order_by(TrainingNeed.id))
    assert first is not None and first.done_at is not None
    # A second tap on the same « Fait » (a button of the old message): a word, no change.
    again = await api.forge_callback(staff, listing.message_id, f"trn:done:{first.id}")
    assert api.callback_answer(again) == {
        "text": _t(world, "training.already_done", day="mardi 10 mars 2026"),
        "show_alert": True,
    }
    forged = await api.forge_callback(staff, listing.message_id, "trn:done:999999")
    assert api.callback_answer(forged) == {
        "text": _t(world, "notice.error.training_not_found"),
        "show_alert": True,
    }
    # Only one need is left open.
    await api.send_text(staff, "/formations")
    assert world.texts(staff)[-3].startswith("🎓 1 besoin de formation en attente, par école.")

    # The export, for the Education Nationale's correspondent: every need, done or not.
    await api.tap(staff, api.last(staff.id), "📥 Export")
    assert world.texts(staff)[-2] == "📥 2 besoins de formation exportés :"
    upload = next(s for s in api.sent if s.method == "sendDocument" and s.chat_id == staff.id)
    assert upload.params["document"].filename == "besoins-de-formation-2026-03-10.xlsx"
    sheet = load_workbook(io.BytesIO(upload.params["document"].data))["Besoins de formation"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "École",
        "UAI",
        "Commune",
        "Motif",
        "Précision",
        "Noté le",
        "Signalement",
        "Fait le",
    ]
    noted = datetime(2026, 3, 10)  # noqa: DTZ001 - a spreadsheet's date has no zone
    assert rows[1:] == [
        [
            "École du Soleil",
            "0420001Y",
            "Saint-Étienne",
            "changement de structure (fermeture de classe)",
            "CM1 B",
            noted,
            "N-2026-0001",
            noted,
        ],
        [
            "École du Soleil",
            "0420001Y",
            "Saint-Étienne",
            "changement de poste",
            "Deux enseignants arrivent en CE1",
            noted,
            None,
            "à faire",
        ],
    ]

    # A teacher: neither the list nor its buttons.
    forbidden = _t(world, "common.error.forbidden")
    await api.send_text(teacher, "/formations")
    assert world.last_text(teacher) == forbidden
    for data in (f"trn:done:{first.id}", "trn:export"):
        update = await api.forge_callback(teacher, api.last(teacher.id).message_id, data)
        assert api.callback_answer(update) == {"text": forbidden, "show_alert": True}
    api.assert_no_refusals()


def test_the_proposed_date_is_the_next_start_of_the_school_year() -> None:
    assert next_school_year_start(date(2026, 3, 10)) == date(2026, 9, 1)
    assert next_school_year_start(date(2026, 9, 1)) == date(2026, 9, 1)
    assert next_school_year_start(date(2026, 9, 2)) == date(2027, 9, 1)
