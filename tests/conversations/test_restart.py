"""A report in progress survives a restart: the draft and the step are in the database."""

from __future__ import annotations

from bot.domain.roles import Role
from tests.conversations.conftest import World, restarted


async def test_a_draft_survives_a_restart_of_the_bot(world: World) -> None:
    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Perte")
    await api.send_text(teacher, "SEM-0003")
    items = api.last(teacher.id)

    # The bot stops; a new process starts on the same database.
    async with restarted(world):
        await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
        await api.send_text(teacher, "hier 16h")
        await api.send_text(teacher, "Oublié dans le bus de la sortie scolaire")
        await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
        summary = world.last_text(teacher)
        assert summary.startswith(
            "Récapitulatif — vérifiez avant l'envoi\n\nPerte — École du Soleil"
        )
        assert (
            "SEM-0003 ordinateur portable — ThinkPad E14 : valeur 900,00\xa0€, 40 % → 360,00\xa0€"
            in summary
        )
        await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
        assert world.last_text(teacher).startswith("✅ Sinistre S-2026-0001 enregistré.")
    api.assert_no_refusals()
