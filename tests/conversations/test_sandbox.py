"""The offline sandbox, typed into as a person would."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from bot.config import Settings
from handlers.telegram.sandbox import run_sandbox
from storage.migrate import upgrade
from storage.uow import Database


def _script(lines: list[str]) -> object:
    feed: Iterator[str] = iter(lines)

    async def read(prompt: str) -> str | None:
        return next(feed, None)

    return read


async def test_the_sandbox_lets_one_play_a_demo_person_and_tap_buttons(tmp_path: Path) -> None:
    settings = Settings(
        telegram_token=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 's.db'}", _env_file=None
    )  # type: ignore[call-arg]
    db = Database(settings.database_url)
    await upgrade(db.engine)
    out = io.StringIO()
    read = _script(["9", "1", "/moi", "/langue", "#2", "#7", ":photo", ":quitter"])

    assert await run_sandbox(settings, db, read=read, out=out) == 0  # type: ignore[arg-type]
    await db.close()

    text = out.getvalue()
    assert "Annuaire de démonstration chargé" in text
    assert "Tapez un numéro entre 1 et 4." in text
    assert "Vous êtes Camille Martin (démo) — enseignant·e." in text
    assert "Rôle : enseignant·e" in text
    assert "boutons : #1 Français   #2 English" in text
    assert "bot (message modifié) :\n  Noted: I will speak English to you." in text
    assert "(aucun bouton à appuyer)" in text
    assert "I did not understand." in text  # a photo out of any dialogue
    assert text.rstrip().endswith("Au revoir.")
