"""Flagging unused or broken equipment (/collecte), played through the offline Bot API:
a teacher flags SEM's items and one of the commune's, staff choose repair or recycling
from their notice, the commune confirms it removed its own; the director's and the
commune agent's flaggings; the refusals at each step, and forged buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.offline import BotMessage, SimUser
from storage.models import CollectionItem, Equipment, EquipmentMove, School
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step

FLAG = "collection_flag"
REMOVAL = "collection_removal"
PDF = b"%PDF-1.4\n%%EOF\n"


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _commune_items(world: World) -> None:
    """Two items of École du Soleil bought by the commune (not SEM's)."""
    async with world.db.uow() as uow:
        for tag, kind, model in (
            ("COM-0001", "desktop", "HP ProDesk"),
            ("COM-0002", "projector", "BenQ MX550"),
        ):
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=world.ids["soleil"],
                    type=kind,
                    model=model,
                    serial=None,
                    owner="commune",
                    acquired_on=None,
                    value_cents=None,
                    state="in_service",
                    created_at=world.clock.now(),
                    updated_at=world.clock.now(),
                )
            )
        await uow.commit()


async def _state(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        state = await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
    assert state is not None
    return state


def _sent(world: World, user: SimUser) -> int:
    """How many messages the bot sent ``user`` since the transcript was cleared."""
    return sum(1 for s in world.api.sent_to(user.id) if s.method == "sendMessage")


def _message(world: World, user: SimUser, message_id: int) -> BotMessage:
    return next(m for m in world.api.messages(user.id) if m.message_id == message_id)


def _said(world: World, user: SimUser) -> list[str]:
    """Pop-up answers and messages sent to ``user`` since the transcript was cleared."""
    return [
        str(s.params.get("text", ""))
        for s in world.api.sent
        if s.method in ("answerCallbackQuery", "sendMessage") and s.params.get("text")
    ]


async def _people(world: World) -> tuple[SimUser, SimUser, SimUser]:
    await _commune_items(world)
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    return teacher, agent, staff


async def _through_items(world: World, teacher: SimUser) -> None:
    """/collecte, two SEM tablets and the commune's desktop: one tapped from the
    inventory, one typed, with refusals for the other words of the line."""
    api = world.api
    await api.send_text(teacher, "/collecte")
    items = api.last(teacher.id)
    assert (items.text or "").startswith("📦 Matériel inutilisé ou en panne — École du Soleil\n")
    assert "(7 en service)" in (items.text or "")
    assert items.button_texts[:3] == [
        "COM-0001 · ordinateur fixe, HP ProDesk",
        "COM-0002 · vidéoprojecteur, BenQ MX550",
        "SEM-0001 · tablette, iPad 9",
    ]
    await api.tap(teacher, items, "SEM-0001 · tablette, iPad 9")
    await api.tap(teacher, items, "COM-0001 · ordinateur fixe, HP ProDesk")
    assert "✅ SEM-0001 · tablette, iPad 9" in api.last(teacher.id).button_texts
    # Typed tags: the good one is kept, each other word refused in its own words, and one
    # word too long does not reject the line.
    await api.send_text(teacher, f"sem-0002 INCONNU-7\nSEM-0101 ; {'X' * 40} SEM-0001")
    texts = world.texts(teacher)
    assert texts[-2] == (
        "INCONNU-7 n'est pas dans l'inventaire : vérifiez le numéro sur l'étiquette.\n"
        "SEM-0101 appartient à l'inventaire d'une autre école.\n"
        f"« {'X' * 40} » n'est pas un numéro d'inventaire lisible (32 caractères au plus, "
        "lettres, chiffres, tirets).\n"
        "SEM-0001 est déjà dans votre choix."
    )
    assert texts[-1].endswith(
        "3 objets choisis\n"
        "• SEM-0001 (tablette, iPad 9)\n"
        "• COM-0001 (ordinateur fixe, HP ProDesk)\n"
        "• SEM-0002 (tablette, iPad 9)"
    )
    # A photo is not an answer here; the step stays.
    await api.send_photo(teacher)
    assert world.texts(teacher)[-2] == _t(world, "collection.flag.items_expected")
    assert _step(world, FLAG, teacher) == "col_items"
    await api.tap(teacher, api.last(teacher.id), "Continuer (3 objets) ▶️")


async def _through_conditions(world: World, teacher: SimUser) -> None:
    api = world.api
    assert world.last_text(teacher) == (
        "Objet 1 sur 3 : SEM-0001 (tablette, iPad 9)\nDans quel état est-il ?"
    )
    await api.send_text(teacher, "cassé")  # a button is expected: asked again
    assert world.texts(teacher)[-2] == _t(world, "collection.flag.unexpected.condition")
    assert world.last_text(teacher).startswith("Objet 1 sur 3 : SEM-0001")
    await api.tap(teacher, api.last(teacher.id), "🔴 Hors d'usage")
    assert world.last_text(teacher).startswith("SEM-0001 (tablette, iPad 9) : hors d'usage.\n")
    await api.send_text(teacher, "x" * 301)
    assert world.last_text(teacher) == "Note trop longue : 300 caractères au plus."
    assert _step(world, FLAG, teacher) == "col_note"
    await api.send_text(teacher, "Écran fissuré")
    await api.tap(teacher, api.last(teacher.id), "🔴 Hors d'usage")  # COM-0001
    await api.tap(teacher, api.last(teacher.id), "Pas de note ▶️")
    assert world.last_text(teacher).startswith("Objet 3 sur 3 : SEM-0002")
    await api.tap(teacher, api.last(teacher.id), "🟡 Non utilisé (fonctionne)")
    await api.tap(teacher, api.last(teacher.id), "Pas de note ▶️")


PLACE = "Salle 12, armoire du fond : en panne à gauche, inutilisé à droite"


async def _through_place_and_when(world: World, teacher: SimUser) -> None:
    api = world.api
    assert world.last_text(teacher).startswith(
        "Où le matériel est-il regroupé dans l'école ?\nLa convention (art. 4) demande un "
        "lieu identifié, où le matériel hors d'usage et le matériel non utilisé sont rangés "
        "à part."
    )
    await api.send_text(teacher, " \u200b ")
    assert world.last_text(teacher) == "Dites où le matériel est regroupé dans l'école."
    await api.send_text(teacher, "y" * 301)
    assert world.last_text(teacher) == "Lieu trop long : 300 caractères au plus."
    assert _step(world, FLAG, teacher) == "col_place"
    await api.send_text(teacher, PLACE)
    when = api.last(teacher.id)
    assert (when.text or "").endswith("Pour l'instant : non précisé")
    await api.tap(teacher, when, "▫️ Lundi")
    await api.tap(teacher, when, "▫️ Jeudi")
    await api.tap(teacher, when, "✅ Lundi")  # untick…
    await api.tap(teacher, when, "▫️ Lundi")  # …and tick again
    await api.tap(teacher, when, "▫️ Pendant les vacances")
    await api.send_text(teacher, "h" * 121)
    assert world.last_text(teacher) == "Horaires trop longs : 120 caractères au plus."
    await api.send_text(teacher, "8 h 30 – 11 h 30")
    when = api.last(teacher.id)
    assert (when.text or "").endswith(
        "Pour l'instant : lundi, jeudi · 8 h 30 – 11 h 30 · pendant les vacances"
    )
    assert when.button_texts == [
        "✅ Lundi",
        "▫️ Mardi",
        "▫️ Mercredi",
        "✅ Jeudi",
        "▫️ Vendredi",
        "✅ Pendant les vacances",
        "Continuer ▶️",
    ]
    await api.tap(teacher, when, "Continuer ▶️")


SUMMARY = (
    "📦 Votre signalement — École du Soleil\n"
    "\n"
    "3 objets\n"
    "• SEM-0001 (tablette, iPad 9) — hors d'usage\n"
    "   « Écran fissuré »\n"
    "   → Matériel SEM : la SEM choisit de le réparer ou de le recycler, puis intervient, de"
    " préférence pendant les vacances scolaires.\n"
    "• COM-0001 (ordinateur fixe, HP ProDesk) — hors d'usage\n"
    "   → Matériel de la commune : c'est elle qui le retire et le fait recycler (art. 4) ;"
    " ses agents sont prévenus.\n"
    "• SEM-0002 (tablette, iPad 9) — non utilisé\n"
    "   → Matériel SEM : collecté par la SEM, qui pourra le réattribuer à une autre école.\n"
    "\n"
    f"Lieu de regroupement : {PLACE}\n"
    "Remise possible : lundi, jeudi · 8 h 30 – 11 h 30 · pendant les vacances\n"
    "Photo jointe : 1\n"
    "\n"
    "Vérifiez, puis envoyez le signalement ou corrigez-le."
)


async def _flag_three(world: World, teacher: SimUser) -> None:
    """The teacher's whole flagging, up to the summary."""
    api = world.api
    await _through_items(world, teacher)
    await _through_conditions(world, teacher)
    await _through_place_and_when(world, teacher)
    assert world.last_text(teacher).startswith("Des photos du matériel ?")
    await api.send_document(teacher, PDF, "devis.pdf", "application/pdf")
    assert world.last_text(teacher) == _t(world, "collection.flag.photo_expected")
    await api.send_photo(teacher)
    assert world.last_text(teacher) == (
        "Photo reçue (1). Envoyez-en d'autres, ou touchez « Continuer »."
    )
    await api.tap(teacher, api.last(teacher.id), "Continuer ▶️")


async def test_a_teacher_flags_two_sem_items_and_one_of_the_commune(world: World) -> None:
    api = world.api
    teacher, agent, staff = await _people(world)
    await _flag_three(world, teacher)
    summary = api.last(teacher.id)
    assert summary.text == SUMMARY
    assert summary.button_texts == [
        "✅ Envoyer le signalement (3 objets)",
        "✏️ Corriger",
        "✖️ Annuler",
    ]
    assert await _state(world, "SEM-0001") == "in_service"  # nothing written yet
    api.clear()
    await api.tap(teacher, summary, "✅ Envoyer le signalement (3 objets)")
    api.assert_no_refusals()

    done = api.last(teacher.id)
    assert done.text == (
        "✅ Signalement C-2026-0001 envoyé : 3 objets.\n\n"
        "La SEM est informée. Elle passera collecter son matériel (ou réparer celui qui peut "
        "l'être), de préférence pendant les vacances scolaires ; l'école sera prévenue de la "
        "date.\n\n"
        "La commune est informée : elle retire elle-même son matériel hors d'usage et le fait "
        "recycler (art. 4).\n\n"
        "Pour ajouter une précision, répondez à ce message."
    )
    assert done.button_texts == ["📄 Voir le signalement"]
    # Staff: SEM's items, with the repair-or-recycle buttons for the broken one.
    notice = api.last(staff.id)
    assert notice.text == (
        "📦 Nouveau signalement C-2026-0001 — École du Soleil (Saint-Étienne), par Zoé\n"
        "Matériel SEM — hors d'usage : 1 ; non utilisé : 1\n"
        "• SEM-0001 (tablette, iPad 9) — hors d'usage — réparation ou recyclage à décider par"
        " la SEM\n"
        "   « Écran fissuré »\n"
        "• SEM-0002 (tablette, iPad 9) — non utilisé — en attente\n"
        f"Lieu : {PLACE}\n"
        "Remise : lundi, jeudi · 8 h 30 – 11 h 30 · pendant les vacances\n"
        "Matériel de l'organisme, à sa charge (art. 4) : 1 objet (COM-0001)."
    )
    assert notice.button_texts == [
        "📄 Voir le signalement",
        "🚚 Tournées",
        "🔧 Réparer SEM-0001",
        "♻️ Recycler SEM-0001",
    ]
    # The commune: its own broken item, to remove and recycle itself.
    told = api.last(agent.id)
    assert told.text == (
        "📦 C-2026-0001 — École du Soleil : Zoé a signalé du matériel qui appartient à votre"
        " organisme.\n"
        f"Lieu de regroupement : {PLACE}\n\n"
        "Hors d'usage, 1 objet à retirer et faire recycler par vos soins (art. 4 de la"
        " convention), puis à confirmer ici :\n"
        "• COM-0001 (ordinateur fixe, HP ProDesk) — hors d'usage — à retirer par l'organisme"
        " (art. 4)"
    )
    assert told.button_texts == ["📄 Voir le signalement", "✅ Retrait et recyclage effectués"]
    assert [s.method for s in api.sent if s.method == "sendMessage"] == ["sendMessage"] * 3
    assert await _state(world, "SEM-0001") == "out_of_order"
    assert await _state(world, "COM-0001") == "out_of_order"
    assert await _state(world, "SEM-0002") == "unused"
    assert _step(world, FLAG, teacher) is None

    # Replying to the confirmation reaches the flagging's thread (staff see it).
    api.clear()
    await api.send_text(
        teacher, "Le chargeur est dans le carton", reply_to_message_id=done.message_id
    )
    assert any("Le chargeur est dans le carton" in t for t in world.texts(staff))


async def test_staff_decide_from_the_notice_and_the_commune_confirms_its_removal(
    world: World,
) -> None:
    api = world.api
    teacher, agent, staff = await _people(world)
    await _flag_three(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Envoyer le signalement (3 objets)")
    notice = api.last(staff.id)
    told = api.last(agent.id)

    # Staff choose repair for SEM-0001, then change their mind to recycling.
    await api.tap(staff, notice, "🔧 Réparer SEM-0001")
    texts = world.texts(staff)
    assert texts[-2] == "🔧 SEM-0001 : réparation retenue. Planifiez l'intervention avec /tournees."
    assert texts[-1].startswith("📦 C-2026-0001 — matériel inutilisé ou en panne\n")
    assert "• SEM-0001 (tablette, iPad 9) — hors d'usage — réparation à planifier" in texts[-1]
    assert "SEM-0001 : réparation retenue" in texts[-1]  # the timeline
    # The notice's buttons follow: SEM-0001 is decided.
    assert _message(world, staff, notice.message_id).button_texts == [
        "📄 Voir le signalement",
        "🚚 Tournées",
    ]
    await api.forge_callback(staff, notice.message_id, "col:dec:1:recycle")
    assert world.texts(staff)[-2] == (
        "♻️ SEM-0001 : recyclage retenu. Planifiez la collecte avec /tournees."
    )
    async with world.db.uow() as uow:
        decision = await uow.session.scalar(
            select(CollectionItem.decision).where(CollectionItem.id == 1)
        )
    assert decision == "recycle"

    # The commune confirms its removal, with the recycling centre's receipt.
    await api.tap(agent, told, "✅ Retrait et recyclage effectués")
    assert world.last_text(agent) == (
        "Avez-vous un numéro de bon de la déchetterie pour C-2026-0001 ? Envoyez-le, ou touchez"
        " « Sans bon ». /annuler pour revenir."
    )
    await api.send_text(agent, "r" * 81)
    assert world.last_text(agent) == "Référence trop longue : 80 caractères au plus."
    await api.send_photo(agent)
    assert world.last_text(agent) == _t(world, "collection.removal.reference_expected")
    assert _step(world, REMOVAL, agent) == "col_rm_reference"
    await api.send_text(agent, "DEC-2026-118")
    assert world.last_text(agent) == (
        "Confirmer le retrait et le recyclage par votre organisme de 1 objet de C-2026-0001 :"
        " COM-0001 ?\nBon de la déchetterie : DEC-2026-118"
    )
    api.clear()
    await api.tap(agent, api.last(agent.id), "✅ Oui, retirés et recyclés")
    assert world.last_text(agent) == (
        "Merci : le retrait est enregistré sur C-2026-0001, la SEM est informée."
    )
    assert _sent(world, staff) == 1
    assert world.last_text(staff) == (
        "♻️ C-2026-0001 — École du Soleil : Claude (Saint-Étienne) confirme le retrait et le"
        " recyclage de : COM-0001."
    )
    assert await _state(world, "COM-0001") == "recycled"
    async with world.db.uow() as uow:
        reference = await uow.session.scalar(
            select(EquipmentMove.reference).where(EquipmentMove.to_state == "recycled")
        )
    assert reference == "DEC-2026-118"
    # The same button again: nothing left to remove.
    await api.tap(agent, told, "✅ Retrait et recyclage effectués")
    assert world.last_text(agent) == _t(world, "collection.error.nothing_to_remove")
    assert _step(world, REMOVAL, agent) is None


async def test_the_commune_may_confirm_without_a_receipt_or_cancel(world: World) -> None:
    api = world.api
    teacher, agent, _ = await _people(world)
    await _flag_three(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Envoyer le signalement (3 objets)")
    told = api.last(agent.id)
    await api.tap(agent, told, "✅ Retrait et recyclage effectués")
    await api.send_text(agent, "/annuler")
    assert world.last_text(agent) == _t(world, "common.cancelled")
    assert await _state(world, "COM-0001") == "out_of_order"
    await api.tap(agent, told, "✅ Retrait et recyclage effectués")
    await api.tap(agent, api.last(agent.id), "Sans bon")
    assert world.last_text(agent).endswith("COM-0001 ?\nSans bon de la déchetterie.")
    await api.tap(agent, api.last(agent.id), "✅ Oui, retirés et recyclés")
    assert await _state(world, "COM-0001") == "recycled"


async def test_annuler_leaves_the_flagging_at_any_step(world: World) -> None:
    api = world.api
    teacher, _, staff = await _people(world)
    api.clear()
    await _through_items(world, teacher)
    await _through_conditions(world, teacher)
    assert _step(world, FLAG, teacher) == "col_place"
    await api.send_text(teacher, "/annuler")
    assert world.last_text(teacher) == _t(world, "common.cancelled")
    assert _step(world, FLAG, teacher) is None
    assert await _state(world, "SEM-0001") == "in_service"
    assert _sent(world, staff) == 0
    # Again, from the summary's own button.
    await _flag_three(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✖️ Annuler")
    assert world.last_text(teacher) == _t(world, "common.cancelled")
    assert _step(world, FLAG, teacher) is None


async def test_correcting_the_place_from_the_summary(world: World) -> None:
    api = world.api
    teacher, _, _ = await _people(world)
    await _flag_three(world, teacher)
    first = api.last(teacher.id)
    [old_send] = [d for row in first.buttons for _, d in row if d and d.startswith("col:send:")]
    await api.tap(teacher, first, "✏️ Corriger")
    assert api.last(teacher.id).button_texts == [
        "Les objets",
        "L'état et les notes",
        "Le lieu de regroupement",
        "Les jours et horaires",
        "Les photos",
        "↩️ Revenir au résumé",
    ]
    await api.tap(teacher, api.last(teacher.id), "Le lieu de regroupement")
    assert world.last_text(teacher).startswith("Où le matériel est-il regroupé dans l'école ?")
    await api.send_text(teacher, "Bureau de la direction, deux cartons étiquetés")
    summary = world.last_text(teacher)
    assert "Lieu de regroupement : Bureau de la direction, deux cartons étiquetés" in summary
    assert summary.startswith("📦 Votre signalement — École du Soleil")
    # The first summary's button sends nothing: it did not show this place.
    update = await api.forge_callback(teacher, first.message_id, old_send)
    assert api.callback_answer(update) == {
        "text": _t(world, "common.stale_button"),
        "show_alert": True,
    }
    assert _step(world, FLAG, teacher) == "col_summary"
    assert await _state(world, "SEM-0001") == "in_service"


async def test_a_director_flags_an_unused_tablet(world: World) -> None:
    api = world.api
    _, agent, staff = await _people(world)
    director = await world.registered("Dora", Role.DIRECTOR)
    await api.send_text(director, "/collecte")
    await api.send_text(director, "SEM-0004")
    await api.tap(director, api.last(director.id), "Continuer (1 objet) ▶️")
    await api.tap(director, api.last(director.id), "🟡 Non utilisé (fonctionne)")
    await api.tap(director, api.last(director.id), "Pas de note ▶️")
    await api.send_text(director, "Bureau de la direction")
    await api.tap(director, api.last(director.id), "▫️ Mercredi")
    await api.tap(director, api.last(director.id), "Continuer ▶️")
    await api.tap(director, api.last(director.id), "Passer ▶️")
    summary = world.last_text(director)
    assert "• SEM-0004 (vidéoprojecteur, Epson EB) — non utilisé\n" in summary
    assert "Remise possible : mercredi\nPas de photo." in summary
    api.clear()
    await api.tap(director, api.last(director.id), "✅ Envoyer le signalement (1 objet)")
    assert world.last_text(director).startswith("✅ Signalement C-2026-0001 envoyé : 1 objet.")
    assert _sent(world, staff) == 1
    assert _sent(world, agent) == 0  # nothing of the commune's
    assert await _state(world, "SEM-0004") == "unused"


async def test_the_communes_own_unused_item_is_said_to_stay_its_business(world: World) -> None:
    api = world.api
    teacher, agent, staff = await _people(world)
    await api.send_text(teacher, "/collecte")
    await api.send_text(teacher, "COM-0002")
    await api.tap(teacher, api.last(teacher.id), "Continuer (1 objet) ▶️")
    await api.tap(teacher, api.last(teacher.id), "🟡 Non utilisé (fonctionne)")
    await api.tap(teacher, api.last(teacher.id), "Pas de note ▶️")
    await api.send_text(teacher, "Couloir du 1er étage")
    await api.tap(teacher, api.last(teacher.id), "Continuer ▶️")
    await api.tap(teacher, api.last(teacher.id), "Passer ▶️")
    assert (
        "   → Matériel de la commune : il reste à sa charge, la SEM ne le collecte pas."
        in world.last_text(teacher)
    )
    api.clear()
    await api.tap(teacher, api.last(teacher.id), "✅ Envoyer le signalement (1 objet)")
    assert "Le matériel non utilisé de la commune reste à sa charge : il n'est pas collecté." in (
        world.last_text(teacher)
    )
    assert _sent(world, staff) == 0  # nothing for SEM
    assert "Non utilisé, 1 objet qui reste à votre charge" in world.last_text(agent)
    assert await _state(world, "COM-0002") == "in_service"


async def test_a_communes_agent_chooses_the_school(world: World) -> None:
    api = world.api
    _, agent, _ = await _people(world)
    await api.send_text(agent, "/collecte")
    ask = api.last(agent.id)
    assert ask.text == "Pour quelle école ?"
    assert ask.button_texts == ["École de la Lune (0420002Z)", "École du Soleil (0420001Y)"]
    # A school of another commune, forged: refused, the question stays.
    update = await api.forge_callback(agent, ask.message_id, f"col:school:{world.ids['forges']}")
    assert api.callback_answer(update) == {
        "text": _t(world, "collection.error.school_out_of_scope"),
        "show_alert": True,
    }
    assert _step(world, FLAG, agent) == "col_school"
    await api.send_text(agent, "soleil")
    await api.tap(agent, api.last(agent.id), "École du Soleil (0420001Y)")
    assert world.last_text(agent).startswith(
        "📦 Matériel inutilisé ou en panne — École du Soleil\n"
    )
    # The other school's tag, typed: refused with its word.
    await api.send_text(agent, "SEM-0101")
    assert world.texts(agent)[-2] == "SEM-0101 appartient à l'inventaire d'une autre école."


async def test_forged_and_foreign_buttons_change_nothing(world: World) -> None:
    api = world.api
    teacher, _, staff = await _people(world)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    await _flag_three(world, teacher)
    await api.tap(teacher, api.last(teacher.id), "✅ Envoyer le signalement (3 objets)")
    anchor = api.last(teacher.id).message_id
    not_found = _t(world, "collection.error.not_found")
    forbidden = _t(world, "common.error.forbidden")

    api.clear()
    await api.forge_callback(staff, api.last(staff.id).message_id, "col:dec:999999:repair")
    assert not_found in _said(world, staff)
    api.clear()
    update = await api.forge_callback(teacher, anchor, "col:dec:1:repair")
    assert api.callback_answer(update) == {"text": forbidden, "show_alert": True}
    api.clear()
    await api.send_text(dana, "/aide")
    await api.forge_callback(dana, api.last(dana.id).message_id, "col:rm:1")
    assert not_found in _said(world, dana)
    assert _step(world, REMOVAL, dana) is None
    api.clear()
    await api.forge_callback(dana, api.last(dana.id).message_id, "col:view:1")
    assert not_found in _said(world, dana)
    update = await api.forge_callback(teacher, anchor, "col:rm:1")
    assert api.callback_answer(update) == {"text": forbidden, "show_alert": True}
    update = await api.forge_callback(teacher, anchor, "col:dec:abc:repair")
    assert api.callback_answer(update) == {
        "text": _t(world, "common.stale_button"),
        "show_alert": True,
    }
    api.assert_no_refusals()
    async with world.db.uow() as uow:
        decisions = (await uow.session.scalars(select(CollectionItem.decision))).all()
        schools = (await uow.session.scalars(select(School.id))).all()
    assert decisions == [None, None, None] and len(schools) == 3
    assert await _state(world, "COM-0001") == "out_of_order"
    # The teacher sees the card, without staff's or the body's buttons: only the way to
    # withdraw the flagging.
    api.clear()
    await api.tap(teacher, anchor, "📄 Voir le signalement")
    card = api.last(teacher.id)
    assert (card.text or "").startswith("📦 C-2026-0001 — matériel inutilisé ou en panne\n")
    assert card.button_texts == ["🗑 Retirer le signalement"]


async def test_the_help_and_the_menu_offer_the_flagging(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/aide")
    assert "/collecte — signaler du matériel inutilisé ou en panne" in world.last_text(teacher)
    menu = dict(api.commands({"type": "chat", "chat_id": teacher.id}))
    assert menu["collecte"] == "signaler du matériel inutilisé ou en panne"
    stranger = world.user("Eve")
    await api.send_text(stranger, "/aide")
    assert "/collecte" not in world.last_text(stranger)
