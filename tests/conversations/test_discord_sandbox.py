"""The offline sandbox on the Discord front end, typed into as a person would."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from bot.config import Settings
from handlers.discord.sandbox import parse_slash, run_discord_sandbox, shown_as
from storage.migrate import upgrade
from storage.uow import Database


def _script(lines: list[str]) -> object:
    feed: Iterator[str] = iter(lines)

    async def read(prompt: str) -> str | None:
        return next(feed, None)

    return read


def test_a_typed_slash_command_is_read_as_discord_reads_its_options() -> None:
    assert parse_slash('/note numero:S-2026-0001 texte:"deux mots"') == (
        "note",
        {"numero": "S-2026-0001", "texte": "deux mots"},
    )
    assert parse_slash("/langue langue=en") == ("langue", {"langue": "en"})
    assert parse_slash("/aide") == ("aide", {})
    assert parse_slash("bonjour") is None
    assert parse_slash('/note texte:"pas fermé') is None
    assert parse_slash("/note sans-deux-points") is None
    assert shown_as("**Votre profil**\\nS\\-2026\\-0001 @\u200beveryone") == (
        "Votre profil\\nS-2026-0001 @everyone"
    )


async def test_the_discord_sandbox_plays_the_demo_people(tmp_path: Path) -> None:
    settings = Settings(
        telegram_token=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 's.db'}", _env_file=None
    )  # type: ignore[call-arg]
    db = Database(settings.database_url)
    await upgrade(db.engine)
    out = io.StringIO()
    read = _script(
        [
            "9",
            "1",
            "/moi",
            "/langue langue:en",
            "/aide",
            "/inconnue",
            ":temps +1j",
            ":qui",
            "4",
            "/preferences",
            ":quitter",
        ]
    )
    assert await run_discord_sandbox(settings, db, read=read, out=out) == 0  # type: ignore[arg-type]
    await db.close()
    text = out.getvalue()
    assert "Annuaire de démonstration chargé" in text
    assert "Tapez un numéro entre 1 et 4." in text
    assert "Vous êtes Camille Martin (démo)" in text
    assert "Rôle : enseignant·e" in text and "visible de vous seul·e" in text
    assert "English" in text and "/help — " in text  # the help in the chosen language
    assert "Discord refuserait cette commande" in text  # /inconnue
    assert "les relances dues sont envoyées" in text
    assert "Vous êtes Sacha Moreau (démo, SEM)" in text
    assert "arrivent sur Discord" in text  # the sandbox's people hear from it on Discord
    assert "Au revoir." in text
