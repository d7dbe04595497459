"""Registration by invitation, help, profile and language, played through the offline Bot API."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from tests.conversations.conftest import World


async def test_a_teacher_opens_the_invitation_link_and_is_greeted_with_what_they_can_do(
    world: World,
) -> None:
    teacher = world.user("Zoé")
    code = await world.invite(Role.TEACHER, school="0420001Y")

    await world.api.send_text(teacher, f"/start {code}")

    texts = world.texts(teacher)
    assert texts[0] == (
        "Bienvenue, Zoé ! Vous êtes inscrit·e comme enseignant·e pour "
        "École du Soleil (UAI 0420001Y), Saint-Étienne."
    )
    assert texts[1].startswith("Votre rôle : enseignant·e. Voici ce que je peux faire pour vous :")
    assert "/moi — votre profil" in texts[1]
    # Their command menu is set for their chat, in French.
    menu = world.api.commands({"type": "chat", "chat_id": teacher.id})
    assert ("aide", "ce que je peux faire pour vous") in menu
    world.api.assert_no_refusals()


async def test_the_code_can_also_be_pasted_as_a_message(world: World) -> None:
    agent = world.user("Claude")
    code = await world.invite(Role.COMMUNE, commune="42218")

    await world.api.send_text(agent, code.lower().replace("-", " "))

    assert world.texts(agent)[0] == (
        "Bienvenue, Claude ! Vous êtes inscrit·e comme agent de commune pour "
        "commune de Saint-Étienne (INSEE 42218)."
    )


async def test_a_stranger_only_learns_how_to_get_an_invitation(world: World) -> None:
    stranger = world.user("Eve")

    await world.api.send_text(stranger, "/moi")
    await world.api.send_text(stranger, "bonjour")

    texts = world.texts(stranger)
    assert len(texts) == 2
    assert all("il vous faut une invitation" in text for text in texts)


async def test_a_stranger_tapping_a_forged_button_gets_nothing_more(world: World) -> None:
    stranger = world.user("Eve")
    await world.api.send_text(stranger, "/start")
    message = world.api.last(stranger.id)

    await world.api.forge_callback(stranger, message.message_id, "clm:duty:1:complaint")

    assert "il vous faut une invitation" in world.last_text(stranger)
    world.api.assert_no_refusals()


async def test_a_used_code_is_refused_with_its_reason(world: World) -> None:
    code = await world.invite(Role.TEACHER, school="0420001Y")
    first, second = world.user("Ana"), world.user("Bob")
    await world.api.send_text(first, f"/start {code}")

    await world.api.send_text(second, f"/start {code}")

    assert world.last_text(second) == (
        "Ce code d'invitation a déjà servi : chaque code ne sert qu'une fois. "
        "Demandez une nouvelle invitation."
    )


async def test_an_expired_code_is_refused(world: World) -> None:
    code = await world.invite(Role.TEACHER, school="0420001Y")
    world.clock.advance(timedelta(days=15))
    user = world.user("Ana")

    await world.api.send_text(user, f"/start {code}")

    assert (
        world.last_text(user) == "Ce code d'invitation a expiré. Demandez une nouvelle invitation."
    )


async def test_repeated_wrong_codes_slow_the_account_down(world: World) -> None:
    user = world.user("Mallory")
    for _ in range(4):
        await world.api.send_text(user, "/start AAAA-BBBB-CC23")
    good = await world.invite(Role.TEACHER, school="0420001Y")

    await world.api.send_text(user, f"/start {good}")

    assert world.last_text(user) == (
        "Trop de codes erronés. Par sécurité, réessayez après le 10/03/2026 10:01."
    )
    world.clock.advance(timedelta(minutes=1))
    await world.api.send_text(user, f"/start {good}")
    assert world.texts(user)[-2].startswith("Bienvenue, Mallory !")


async def test_a_registered_person_sees_their_profile(world: World) -> None:
    director = await world.registered("Dominique", Role.DIRECTOR)

    await world.api.send_text(director, "/moi")

    assert world.last_text(director) == (
        "Votre profil\n"
        "Nom : Dominique\n"
        "Rôle : direction d'école\n"
        "Périmètre : École du Soleil (UAI 0420001Y), Saint-Étienne\n"
        "Langue : Français\n"
        "Inscrit·e depuis le mardi 10 mars 2026"
    )


async def test_switching_to_english_changes_answers_and_menu(world: World) -> None:
    staff = await world.registered("Sacha", Role.STAFF)
    await world.api.send_text(staff, "/langue")
    assert world.api.last(staff.id).button_texts == ["Français", "English"]

    await world.api.tap(staff, world.api.last(staff.id).message_id, "English")

    assert world.last_text(staff) == "Noted: I will speak English to you."
    assert world.api.last(staff.id).buttons == []  # the keyboard went with the edit
    await world.api.send_text(staff, "/help")
    assert world.last_text(staff).startswith("Your role: SEM plan staff. Here is what I can do")
    menu = world.api.commands({"type": "chat", "chat_id": staff.id})
    assert ("help", "what I can do for you") in menu
    world.api.assert_no_refusals()


async def test_user_text_is_escaped_before_it_is_sent_back_as_html(world: World) -> None:
    user = world.user("<b>Zoé</b> & Cie")
    code = await world.invite(Role.TEACHER, school="0420001Y")

    await world.api.send_text(user, f"/start {code}")

    welcome = world.api.messages(user.id)[0]
    assert welcome.raw_text is not None
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; Cie" in welcome.raw_text
    assert welcome.text is not None and welcome.text.startswith("Bienvenue, <b>Zoé</b> & Cie !")
    world.api.assert_no_refusals()


async def test_unknown_commands_get_a_pointer_to_help(world: World) -> None:
    teacher = await world.registered("Zoé", Role.TEACHER)

    await world.api.send_text(teacher, "/nimportequoi")

    assert (
        world.last_text(teacher)
        == "Je n'ai pas compris. Tapez /aide pour voir ce que je peux faire."
    )


async def test_default_menus_are_set_in_both_languages_at_start(world: World) -> None:
    # The privacy notice is owed before anyone registers (decision 0071).
    assert [c for c, _ in world.api.commands()] == ["start", "aide", "langue", "confidentialite"]
    assert [c for c, _ in world.api.commands(language_code="en")] == [
        "start",
        "help",
        "language",
        "privacy",
    ]


async def test_a_revoked_code_is_refused(world: World) -> None:
    from bot.services import registration

    code = await world.invite(Role.COMMUNE, commune="42218")
    await registration.revoke_invitation(world.db, code_or_id=code, now=world.clock.now())
    user = world.user("Ana")

    await world.api.send_text(user, f"/start {code}")

    assert world.last_text(user) == (
        "Ce code d'invitation a été annulé. Demandez une nouvelle invitation."
    )


async def test_a_deactivated_person_is_told_and_can_do_nothing(world: World) -> None:
    from bot.services import registration

    teacher = await world.registered("Zoé", Role.TEACHER)
    person = await registration.find_person(world.db, "telegram", teacher.id)
    assert person is not None
    await registration.set_active(
        world.db, person_id=person.id, active=False, now=world.clock.now()
    )

    await world.api.send_text(teacher, "/signaler")

    assert world.last_text(teacher) == (
        "Votre compte a été désactivé. Contactez l'équipe du Plan numérique si c'est une erreur."
    )
