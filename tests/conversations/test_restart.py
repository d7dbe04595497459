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


async def test_a_dialogue_survives_a_crash_without_any_flush(world: World) -> None:
    """The process dies (kill -9): no shutdown, no flush. A new process, on an engine of
    its own, finds each step as it was after the last update handled: the persistence is
    written after every update, not at shutdown."""
    from handlers.telegram.app import build_application, running
    from storage.uow import Database

    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    await api.tap(teacher, api.last(teacher.id), "Perte")
    await api.send_text(teacher, "SEM-0003")
    items = api.last(teacher.id)
    # world.app is abandoned as it is: nothing of it runs again.
    db = Database(world.settings.database_url)
    try:
        second = build_application(
            world.settings, db, clock=world.clock, request=api, rate_limit=False
        )
        api.attach(second)
        async with running(second, start=False):
            await api.tap(teacher, items, "✔️ Terminé (1 choisi)")
            assert world.last_text(teacher).startswith("Quand")
            await api.send_text(teacher, "hier 16h")
            await api.send_text(teacher, "Oublié dans le bus de la sortie scolaire")
            await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
            assert world.last_text(teacher).startswith("Récapitulatif — vérifiez avant l'envoi")
    finally:
        api.attach(world.app)
        await db.close()
    api.assert_no_refusals()


async def test_a_steps_draft_and_state_are_written_in_one_transaction(world: World) -> None:
    """A dialogue step changes the person's draft and the dialogue's state: python-telegram-
    bot hands both over at once, and they are written together, one upsert and one commit
    (decision 0086), not two transactions competing for SQLite's lock."""
    from sqlalchemy import event

    api = world.api
    teacher = await world.registered("Zoé", Role.TEACHER)
    await api.send_text(teacher, "/signaler")
    writes: list[str] = []
    commits: list[object] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "bot_persistence" in statement and not statement.lstrip().startswith("SELECT"):
            writes.append(statement.split()[0])

    def committed(connection: object) -> None:
        commits.append(connection)

    engine = world.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    event.listen(engine, "commit", committed)
    try:
        await api.tap(teacher, api.last(teacher.id), "Perte")  # the draft's kind; next step
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", committed)
    assert writes == ["INSERT"] and len(commits) == 1
    # And what was written is what a new process reads.
    async with restarted(world):
        await api.send_text(teacher, "SEM-0003")
        await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
        assert world.last_text(teacher).startswith("Quand")
    api.assert_no_refusals()
