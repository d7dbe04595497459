"""Defects people met while trying the claims flow (issue 8), each played as they met it."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from tests.conversations.conftest import World, restarted
from tests.conversations.test_claim_follow_steps import _pledged, _reported, _step


async def test_a_complaint_reference_reads_as_typed_in_the_agents_confirmation(
    world: World,
) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    await api.tap(agent, api.last(agent.id), "✅ Fait : dépôt de plainte")
    await api.send_text(agent, "aujourd'hui 9h")
    await api.send_text(agent, "PV <42> & co")
    api.assert_no_refusals()
    saved = world.last_text(agent)
    assert "(réf. PV <42> & co)" in saved
    assert "&lt;" not in saved and "&amp;" not in saved


async def test_the_language_buttons_name_each_language_in_itself(world: World) -> None:
    for lang, label in (("fr", "Anglais"), ("en", "French")):
        user = world.user("Zoé", language_code=lang)
        await world.api.send_text(user, "/langue")
        buttons = [text for row in world.api.last(user.id).buttons for text, _ in row]
        assert buttons == ["Français", "English"], (lang, buttons)
        assert label not in buttons


async def test_staff_are_not_offered_to_take_a_ticket_already_theirs(world: World) -> None:
    api = world.api
    _, _, staff = await _reported(world)
    await api.send_text(staff, "/dossier S-2026-0001")
    labels = [text for row in api.last(staff.id).buttons for text, _ in row]
    assert "🙋 Je le prends" in labels
    await api.tap(staff, api.last(staff.id), "🙋 Je le prends")
    await api.send_text(staff, "/dossier S-2026-0001")
    card = api.last(staff.id)
    labels = [text for row in card.buttons for text, _ in row]
    assert "🙋 Je le prends" not in labels
    assert (card.text or "").count("Pièces jointes") <= 1


async def test_a_damage_claim_offers_no_recovery_of_found_items(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Dégradation")
    await api.tap(teacher, api.last(teacher.id), "Vandalisme (acte de malveillance)")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Écran fissuré")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    await api.send_text(staff, "/dossier S-2026-0001")
    actions = [data for row in api.last(staff.id).buttons for _, data in row]
    assert not any(str(data).startswith("clm:recov:") for data in actions), actions


async def test_search_ignores_accents_and_takes_wildcards_literally(world: World) -> None:
    api = world.api
    _, _, staff = await _reported(world)
    for typed in ("saint-etienne", "ecole du soleil", "SAINT-ÉTIENNE", "sem-0001"):
        await api.send_text(staff, f"/recherche {typed}")
        assert "S-2026-0001" in world.last_text(staff), typed
    for typed in ("%%", "__", "S-2026-000_"):
        await api.send_text(staff, f"/recherche {typed}")
        assert "S-2026-0001" not in world.last_text(staff), typed
        assert world.last_text(staff).startswith("Aucun dossier ne correspond"), typed


async def test_closing_a_claim_tells_its_reporter_and_the_body_why(world: World) -> None:
    api = world.api
    teacher, agent, staff = await _reported(world)
    await api.send_text(staff, "/dossier S-2026-0001")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    await api.send_text(staff, "Doublon du sinistre S-2026-0002")
    await api.tap(staff, api.last(staff.id), "🗂 Clore")
    api.assert_no_refusals()
    told = (
        "🗂 Le sinistre S-2026-0001 (École du Soleil) a été clos par l'équipe du Plan"
        " numérique. Motif : Doublon du sinistre S-2026-0002"
    )
    assert world.last_text(teacher) == told
    assert world.last_text(agent) == told
    assert world.last_text(staff) == "🗂 Sinistre S-2026-0001 clos. Ses relances sont annulées."


def _labels(message: object) -> list[str]:
    return [text for row in message.buttons for text, _ in row]  # type: ignore[attr-defined]


async def test_equipment_types_are_named_in_the_persons_language(world: World) -> None:
    api = world.api
    _, agent, staff = await _reported(world)
    assert any("SEM-0001 tablette — iPad 9" in text for text in world.texts(agent))
    await api.send_text(staff, "/dossier S-2026-0001")
    card = world.last_text(staff)
    assert "tablette — iPad 9" in card and "tablet " not in card

    english = world.user("Sam", language_code="en")
    code = await world.invite(Role.TEACHER, school="0420001Y")
    await api.send_text(english, f"/start {code}")
    await api.send_text(english, "/langue")
    await api.tap(english, api.last(english.id), "English")
    await api.send_text(english, "/report")
    await api.tap(english, api.last(english.id), 0)
    labels = _labels(api.last(english.id))
    assert "SEM-0003 · laptop ThinkPad E14" in labels
    assert "SEM-0004 · projector Epson EB" in labels
    api.assert_no_refusals()


async def test_a_typed_tag_is_the_same_item_as_its_button_and_either_removes_it(
    world: World,
) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "sem-0001")
    items = api.last(teacher.id)
    labels = _labels(items)
    assert "✅ SEM-0001 · tablette iPad 9" in labels
    assert "✔️ Terminé (1 choisi)" in labels
    # Tapping the typed item removes it: the counter and the list agree.
    await api.tap(teacher, items, "✅ SEM-0001 · tablette iPad 9")
    items = api.last(teacher.id)
    assert "SEM-0001 · tablette iPad 9" in _labels(items)
    assert "✔️ Terminé (0 choisi)" in _labels(items)
    assert "SEM-0001" not in (items.text or "").split("Votre choix :")[1]
    # Tapped, then typed again: removed too, and said so.
    await api.tap(teacher, items, "SEM-0001 · tablette iPad 9")
    await api.tap(teacher, items, "SEM-0002 · tablette iPad 9")
    await api.send_text(teacher, "SEM-0001")
    texts = world.texts(teacher)
    assert "Retiré de votre choix : SEM-0001." in texts
    items = api.last(teacher.id)
    assert "✔️ Terminé (1 choisi)" in _labels(items)
    assert "✅ SEM-0002 · tablette iPad 9" in _labels(items)
    # A word that cannot be a tag is refused in a sentence of its own, saying what a tag
    # looks like, and the step stays open.
    await api.send_text(teacher, "Écran")
    assert world.last_text(teacher) == (
        "« Écran » n'est pas un numéro d'étiquette : il s'écrit avec des lettres, des "
        "chiffres et - . _ / (32 caractères au plus), comme SEM-0042."
    )
    # Typed twice in one message, a tag is chosen once.
    await api.send_text(teacher, "SEM-0003, SEM-0003")
    assert "✔️ Terminé (2 choisis)" in _labels(api.last(teacher.id))
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (2 choisis)")
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Armoire fracturée")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    summary = world.last_text(teacher)
    assert summary.count("SEM-0002") == 1 and summary.count("SEM-0003") == 1
    assert "SEM-0001" not in summary
    api.assert_no_refusals()


async def test_a_discovery_past_its_48_hours_warns_the_reporter_and_staff(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    agent = await world.registered("Claude", Role.COMMUNE)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "01/03 9h")
    warning = world.texts(teacher)[-2]
    assert warning.startswith("⚠️ Constaté il y a plus de 48 h")
    assert "avant le mardi 3 mars 2026 à 09:00" in warning
    assert "déjà en retard" in warning
    await api.send_text(teacher, "Volé dans la classe")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    notice = world.last_text(staff)
    assert "En retard dès le signalement : constaté le dimanche 1 mars 2026 à 09:00" in notice
    # The body hears it too, in its own words, with its duties.
    body_notice = next(t for t in world.texts(agent) if "Vos démarches" in t)
    assert (
        "Ces démarches sont déjà en retard : le sinistre a été constaté le dimanche 1 mars "
        "2026 à 09:00, et le délai de 48 h a pris fin le mardi 3 mars 2026 à 09:00."
    ) in body_notice
    api.assert_no_refusals()


async def test_a_recent_discovery_gives_no_lateness_warning(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "hier 9h")
    assert not any("48 h" in text and "retard" in text for text in world.texts(teacher))
    await api.send_text(teacher, "Volé dans la classe")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
    assert "En retard" not in world.last_text(staff)


async def _half_a_report(world: World) -> SimUser:
    """A teacher who chose a theft and two tablets, then stopped at the date."""
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0001 SEM-0002")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (2 choisis)")
    return teacher


async def test_signaler_during_a_draft_asks_before_dropping_it(world: World) -> None:
    api = world.api
    teacher = await _half_a_report(world)
    await api.send_text(teacher, "/signaler")
    question = api.last(teacher.id)
    assert (question.text or "").startswith(
        "📝 Vous avez un signalement en cours : vol, École du Soleil, 2 éléments choisis."
    )
    assert _labels(question) == [
        "▶️ Reprendre le brouillon",
        "🔄 Recommencer (effacer le brouillon)",
    ]
    # A typed answer does not choose: the question stays.
    await api.send_text(teacher, "hier 9h")
    assert _step(world, "claim_report", teacher) == "resume"
    await api.tap(teacher, question, "▶️ Reprendre le brouillon")
    assert world.last_text(teacher).startswith("Quand")  # back at the date, items kept
    await api.send_text(teacher, "aujourd'hui 8h")
    await api.send_text(teacher, "Armoire fracturée")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
    summary = world.last_text(teacher)
    assert "SEM-0001" in summary and "SEM-0002" in summary
    api.assert_no_refusals()


async def test_starting_again_drops_the_draft_only_when_asked(world: World) -> None:
    api = world.api
    teacher = await _half_a_report(world)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "🔄 Recommencer (effacer le brouillon)")
    assert _labels(api.last(teacher.id))[:3] == ["Vol", "Perte", "Dégradation"]
    await api.tap(teacher, api.last(teacher.id), "Perte")
    assert "✔️ Terminé (0 choisi)" in _labels(api.last(teacher.id))


async def test_a_draft_left_by_an_expired_dialogue_is_offered_again(world: World) -> None:
    api = world.api
    teacher = await _half_a_report(world)
    async with restarted(world):
        world.clock.advance(timedelta(days=2))
        await api.send_text(teacher, "/signaler")
        assert world.last_text(teacher).startswith("📝 Vous avez un signalement en cours")
        await api.tap(teacher, api.last(teacher.id), "▶️ Reprendre le brouillon")
        assert world.last_text(teacher).startswith("Quand")


async def test_the_dossier_and_the_queue_name_the_same_last_day_to_pay(world: World) -> None:
    api = world.api
    _, agent, staff = await _pledged(world)
    notice = next(
        m for m in api.messages(agent.id) if "✅ Fait : dépôt de plainte" in m.button_texts
    )
    for duty in (
        "déclaration écrite à l'assureur",
        "information de la police ou de la gendarmerie",
        "dépôt de plainte",
    ):
        await api.tap(agent, notice, f"✅ Fait : {duty}")
        await api.tap(agent, api.last(agent.id), "Maintenant")
        if duty == "dépôt de plainte":
            await api.send_text(agent, "PV 42")
    await api.send_text(staff, "/dossier S-2026-0001")
    await api.tap(staff, api.last(staff.id), "📁 Dossier complet")
    await api.tap(staff, api.last(staff.id), "✅ Oui, complet malgré tout")
    await api.send_text(staff, "/dossier S-2026-0001")
    assert "au plus tard le mercredi 10 mars 2027" in world.last_text(staff)
    await api.send_text(staff, "/file")
    queue = world.last_text(staff)
    assert "échéance 10/03/2027 inclus" in queue, queue
    assert "11/03/2027" not in queue
    api.assert_no_refusals()


async def test_the_bodys_notice_has_the_description_and_opens_the_attachments(
    world: World,
) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    notice = next(
        m for m in api.messages(agent.id) if "✅ Fait : dépôt de plainte" in m.button_texts
    )
    text = notice.text or ""
    assert text.startswith("🚨 Sinistre S-2026-0001 (vol) — École du Soleil\n")
    assert (
        "Ce qui s'est passé : Armoire de la classe fracturée <b>pendant</b> le week-end"
        " & rien d'autre" in text
    )
    assert "📎 1 pièce jointe : touchez « Voir les pièces jointes » pour l'ouvrir." in text
    api.clear()
    await api.tap(agent, notice, "📎 Voir les pièces jointes (1)")
    api.assert_no_refusals()
    photos = [s for s in api.sent_to(agent.id) if s.method == "sendPhoto"]
    assert len(photos) == 1
    assert str(photos[0].params["caption"]).startswith("S-2026-0001")


async def test_a_day_that_does_not_exist_is_named_and_the_date_asked_again(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Vol")
    await api.send_text(teacher, "SEM-0003")
    await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
    await api.send_text(teacher, "31/02 8h")
    said = world.texts(teacher)
    assert said[-2].startswith("Le 31/02 n'existe pas : vérifiez le jour et le mois")
    assert said[-1].startswith("Quand le problème a-t-il été constaté ?")
    assert _step(world, "claim_report", teacher) == "when"


async def test_each_duty_is_asked_about_in_its_own_words(world: World) -> None:
    api = world.api
    _, agent, _ = await _reported(world)
    notice = next(
        m for m in api.messages(agent.id) if "✅ Fait : dépôt de plainte" in m.button_texts
    )
    asked = {}
    for duty in (
        "déclaration écrite à l'assureur",
        "information de la police ou de la gendarmerie",
        "dépôt de plainte",
    ):
        await api.tap(agent, notice, f"✅ Fait : {duty}")
        asked[duty] = world.last_text(agent).split("\n")[1]
        await api.send_text(agent, "/annuler")
    assert asked == {
        "déclaration écrite à l'assureur": "Quand la déclaration à l'assureur a-t-elle été faite ?"
        " Touchez « Maintenant » ou tapez la date (« aujourd'hui 9h », « 11/03 14h »).",
        "information de la police ou de la gendarmerie": "Quand la police ou la gendarmerie"
        " a-t-elle été informée ? Touchez « Maintenant » ou tapez la date"
        " (« aujourd'hui 9h », « 11/03 14h »).",
        "dépôt de plainte": "Quand la plainte a-t-elle été déposée ? Touchez « Maintenant » ou"
        " tapez la date (« aujourd'hui 9h », « 11/03 14h »).",
    }
