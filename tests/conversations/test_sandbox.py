"""The offline sandbox, typed into as a person would."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ShiftedClock
from bot.config import Settings
from handlers.telegram.sandbox import parse_delay, run_sandbox
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
    assert "bot (n° 4 modifié) :\n  Noted: I will speak English to you." in text
    assert "(aucun bouton à appuyer)" in text
    assert "I did not understand." in text  # a photo out of any dialogue
    assert text.rstrip().endswith("Au revoir.")


T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Tuesday 10 March 2026, 10:00 in Paris


async def play(tmp_path: Path, lines: list[str], *, language: str = "fr") -> str:
    """The sandbox played from Tuesday 10 March 2026, 10:00 in Paris; what it printed."""
    settings = Settings(
        telegram_token=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        language=language,  # type: ignore[arg-type]
        _env_file=None,
    )  # type: ignore[call-arg]
    db = Database(settings.database_url)
    await upgrade(db.engine)
    out = io.StringIO()
    clock = ShiftedClock(T0 - datetime.now(UTC))
    try:
        code = await run_sandbox(settings, db, read=_script(lines), out=out, clock=clock)  # type: ignore[arg-type]
    finally:
        await db.close()
    assert code == 0
    return out.getvalue()


REPORT = [  # Camille reports the theft of a laptop discovered today at 08:00
    "1",
    "/signaler",
    "#1",
    "#8",  # « Terminé » with nothing chosen: a pop-up says why
    "#3",
    "#8",
    "aujourd'hui 8h",
    "Vitre cassée, ordinateur disparu",
    "#1",
    "#1",
]


async def test_pop_ups_and_keyboard_only_edits_are_shown_without_a_python_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = await play(tmp_path, [*REPORT, ":quitter"])

    assert "bot (fenêtre) :\n  Choisissez au moins un matériel." in text
    # Tapping « Vol » takes the buttons off the question: shown, not a dead tap.
    assert "bot (boutons du n° 2 modifiés) :\n  (boutons retirés)" in text
    assert "Sinistre S-2026-0001 enregistré." in text
    assert not [w for w in caught if "editMessageReplyMarkup" in str(w.message)]
    printed = capsys.readouterr()
    assert "editMessageReplyMarkup" not in printed.out + printed.err + text
    assert "Warning" not in printed.err + text


async def test_choosing_another_person_replays_what_they_received(tmp_path: Path) -> None:
    text = await play(tmp_path, [*REPORT, ":qui", "3", "#3", ":quitter"])

    # While Camille plays, the agent's notice shows with its recipient and no buttons…
    told = "bot → Claude Petit (démo) — agent de commune (n° 1) :\n  🚨 Sinistre S-2026-0001"
    assert told in text
    # …and comes back in full, buttons numbered, when one becomes the agent.
    replay = text.split("Vous êtes Claude Petit (démo) — agent de commune.", 1)[1]
    assert replay.startswith(" (:qui pour changer)\n\nReçu entre-temps :\n\nbot (n° 1) :")
    assert "boutons : #1 ✅ Fait : déclaration écrite à l'assureur" in replay
    assert "Sinistre S-2026-0001 — dépôt de plainte." in replay  # « #3 » tapped the notice


async def test_moving_the_clock_sends_the_reminders_then_due(tmp_path: Path) -> None:
    text = await play(
        tmp_path,
        [*REPORT, ":qui", "3", ":temps +3h", ":temps +1j", ":temps", ":temps -2j", ":quitter"],
    )

    after_3h, after_a_day = text.split("(il est maintenant le ")[1:3]
    assert after_3h.startswith("mardi 10 mars 2026 à 13:00 ; les relances dues sont envoyées)")
    assert "⏰ Sinistre" not in after_3h  # +24 h is not yet (the bimonthly review goes)
    assert after_a_day.startswith("mercredi 11 mars 2026 à 13:00")
    assert (
        "bot (n° 2) :\n  ⏰ Sinistre S-2026-0001 (École élémentaire du Soleil (démo)) : "
        "démarches à faire avant le jeudi 12 mars 2026 à 08:00 :"
    ) in after_a_day
    assert "boutons : #1 ✅ Fait : déclaration écrite à l'assureur" in after_a_day
    assert text.count("(dites de combien avancer : :temps +2j, :temps +3h ou :temps +30min)") == 2


async def test_a_button_or_a_reply_can_pick_an_earlier_message(tmp_path: Path) -> None:
    text = await play(
        tmp_path,
        ["1", "/langue", "/langue", "#2@2", ":rep@2 merci", ":rep@99 x", "#1@99", "#9", ":quitter"],
    )

    assert "bot (n° 2) :\n  Dans quelle langue" in text
    assert "bot (n° 4) :\n  Dans quelle langue" in text
    assert "bot (n° 2 modifié) :\n  Noted: I will speak English to you." in text
    assert "That message is not about a ticket" in text  # the reply reached the bot
    assert text.count("(le bot n'a pas de message n° 99 ici)") == 2
    assert "(le message n° 4 n'a pas de bouton #9 : ses boutons vont de #1 à #2)" in text


async def test_documents_sent_by_the_bot_show_their_file_name(tmp_path: Path) -> None:
    text = await play(tmp_path, ["4", ":temps +1h", ":quitter"])  # the review of Jan–Feb

    assert "[document : bilan-sinistres-2026-01-01_2026-02-28.xlsx]" in text


async def test_the_sandbox_speaks_the_configured_language(tmp_path: Path) -> None:
    text = await play(tmp_path, ["7", "1", ":temps +2d", "#4", ":quitter"], language="en")

    assert "Offline sandbox: nothing goes to Telegram." in text
    assert "Type a number between 1 and 4." in text
    assert "You are Camille Martin (démo) — teacher. (:qui to change)" in text
    assert "(it is now Thursday 12 March 2026 at 10:00; the reminders due have been sent)" in text
    assert "(no button to tap)" in text
    assert text.rstrip().endswith("Goodbye.")


def test_the_clock_moves_by_days_hours_or_minutes() -> None:
    assert parse_delay(":temps +2j") == timedelta(days=2)
    assert parse_delay(":temps +3h") == timedelta(hours=3)
    assert parse_delay(":temps +30min") == timedelta(minutes=30)
    assert parse_delay(":temps 1 jour") == timedelta(days=1)
    assert parse_delay(":temps +2d") == timedelta(days=2)  # as the English help says
    assert parse_delay(":temps +0j") is None
    assert parse_delay(":temps demain") is None


async def test_a_tap_the_bot_answers_without_a_word_is_still_acknowledged() -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from handlers.telegram.app import OFFLINE_TOKEN
    from handlers.telegram.offline import OfflineBotAPI
    from handlers.telegram.sandbox import Sandbox

    api = OfflineBotAPI()  # no bot behind it: the tap reaches nobody, nothing changes
    out = io.StringIO()
    sandbox = Sandbox(api, out)
    person = next(iter(sandbox.users.values()))
    async with Bot(OFFLINE_TOKEN, request=api, get_updates_request=api) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="x:oui")]])
        await bot.send_message(person.id, "Une question ?", reply_markup=keyboard)
    sandbox.current = person
    sandbox.show_new()
    assert "boutons : #1 Oui" in out.getvalue()

    await sandbox.handle("#1")
    assert (
        out.getvalue().rstrip().endswith("(appui transmis au bot ; il n'a rien changé à l'écran)")
    )
