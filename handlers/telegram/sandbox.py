"""The offline sandbox: the real bot, wired to the offline Bot API, chatted with in a terminal.

You pick who you are (a demo teacher, school head, commune agent or staff member), type
messages, and tap buttons by number. Messages the bot sends to the other demo people
(the commune told of a claim, staff alerted) are shown too, with their recipient.
Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Settings
from bot.services.directory import DEMO_PEOPLE, seed_demo
from handlers.telegram.app import build_application, running
from handlers.telegram.offline import OfflineBotAPI, SimUser, parse_html, sample_png
from storage.uow import Database

ROLE_LABELS = {
    "teacher": "enseignant·e",
    "director": "directrice / directeur d'école",
    "commune": "agent de commune",
    "staff": "équipe SEM",
}
HELP = """Bac à sable hors ligne : rien ne part vers Telegram.
  Tapez vos messages comme dans Telegram (/aide pour commencer).
  #N          appuyer sur le bouton N du dernier message qui en a
  :rep TEXTE  répondre (« reply ») au dernier message du bot
  :photo [légende]   envoyer une photo      :doc NOM.pdf   envoyer un document
  :qui        changer de personne            :aide          ce rappel
  :quitter    quitter (ou Ctrl+D)"""

ReadLine = Callable[[str], Awaitable[str | None]]


async def _stdin_line(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except (EOFError, OSError):  # end of input, or no terminal to read from
        return None


class Sandbox:
    def __init__(self, api: OfflineBotAPI, out: TextIO, read: ReadLine = _stdin_line) -> None:
        self.api = api
        self.out = out
        self.read = read
        self.users: dict[int, SimUser] = {}
        self.names: dict[int, str] = {}
        self.seen = 0
        self.current: SimUser | None = None
        for person in DEMO_PEOPLE:
            first = person.full_name.split(" (")[0]
            self.users[person.telegram_id] = api.user(person.telegram_id, first)
            self.names[person.telegram_id] = (
                f"{person.full_name} — {ROLE_LABELS.get(person.role, person.role)}"
            )

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def show_new(self) -> None:
        """Print what the bot sent since the last call, to whom, with numbered buttons."""
        for record in self.api.sent[self.seen :]:
            if record.method not in {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}:
                continue
            raw = record.params.get("text") or record.params.get("caption") or ""
            text = parse_html(raw) if record.params.get("parse_mode") == "HTML" else raw
            if record.method == "sendPhoto":
                text = f"[photo] {text}"
            elif record.method == "sendDocument":
                text = f"[document] {text}"
            who = record.chat_id
            mine = self.current is not None and who == self.current.id
            prefix = "bot" if mine else f"bot → {self.names.get(int(who or 0), who)}"
            if record.method == "editMessageText":
                prefix += " (message modifié)"
            self.say(f"\n{prefix} :")
            for line in text.splitlines() or [""]:
                self.say(f"  {line}")
            markup = record.params.get("reply_markup") or {}
            buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
            if mine and buttons:
                labels = [f"#{i} {b['text']}" for i, b in enumerate(buttons, 1)]
                self.say("  boutons : " + "   ".join(labels))
        self.seen = len(self.api.sent)

    def _last_with_buttons(self) -> int | None:
        if self.current is None:
            return None
        for message in reversed(self.api.messages(self.current.id)):
            if message.buttons:
                return message.message_id
        return None

    async def choose(self, read: ReadLine) -> bool:
        self.say("\nQui êtes-vous ?")
        ids = list(self.users)
        for index, user_id in enumerate(ids, 1):
            self.say(f"  {index}. {self.names[user_id]}")
        while True:
            answer = await read("Numéro : ")
            if answer is None or answer.strip() in {":quitter", ":q"}:
                return False
            if answer.strip().isdigit() and 1 <= int(answer) <= len(ids):
                self.current = self.users[ids[int(answer) - 1]]
                self.say(f"Vous êtes {self.names[self.current.id]}. (:qui pour changer)")
                return True
            self.say(f"Tapez un numéro entre 1 et {len(ids)}.")

    async def handle(self, line: str) -> bool:
        """One line typed by the person; False to quit."""
        assert self.current is not None
        text = line.strip()
        if not text:
            return True
        if text in {":quitter", ":q"}:
            return False
        if text == ":aide":
            self.say(HELP)
        elif text == ":qui":
            return await self.choose(self.read)
        elif text.startswith(":rep "):
            messages = self.api.messages(self.current.id)
            if not messages:
                self.say("(aucun message auquel répondre)")
            else:
                await self.api.send_text(
                    self.current,
                    text.removeprefix(":rep ").strip(),
                    reply_to_message_id=messages[-1].message_id,
                )
        elif text.startswith(":photo"):
            caption = text.removeprefix(":photo").strip() or None
            await self.api.send_photo(self.current, sample_png(), caption=caption)
        elif text.startswith(":doc"):
            name = text.removeprefix(":doc").strip() or "document.pdf"
            await self.api.send_document(
                self.current, b"%PDF-1.4 sandbox\n", name, "application/pdf"
            )
        elif text.startswith("#") and text[1:].isdigit():
            message_id = self._last_with_buttons()
            if message_id is None:
                self.say("(aucun bouton à appuyer)")
            else:
                try:
                    await self.api.tap(self.current, message_id, int(text[1:]) - 1)
                except AssertionError:
                    self.say("(ce bouton n'existe pas)")
        elif text.startswith(":"):
            self.say("(commande du bac à sable inconnue ; :aide)")
        else:
            await self.api.send_text(self.current, text)
        self.show_new()
        return True


async def run_sandbox(
    settings: Settings,
    db: Database,
    *,
    read: ReadLine = _stdin_line,
    out: TextIO | None = None,
) -> int:
    out = out if out is not None else sys.stdout  # looked up now, not at import
    clock = SystemClock()
    for noisy in ("telegram.ext", "apscheduler", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # python-telegram-bot's Defaults(parse_mode=HTML) adds parse_mode to every edit, the
    # keyboard-only ones included, which Telegram ignores: not worth a line in the dialogue.
    warnings.filterwarnings(
        "ignore",
        message=r"offline Bot API: unknown argument 'parse_mode' of editMessageReplyMarkup",
    )
    if await seed_demo(db, now=clock.now()):
        print("Annuaire de démonstration chargé (écoles et personnes « démo »).", file=out)
    api = OfflineBotAPI(bot_username=settings.bot_username)
    sandbox = Sandbox(api, out, read)
    application = build_application(settings, db, clock=clock, request=api)
    api.attach(application)
    async with running(application):
        sandbox.seen = len(api.sent)
        sandbox.say(HELP)
        if not await sandbox.choose(sandbox.read):
            return 0
        while True:
            line = await read(f"\n{sandbox.current.first_name if sandbox.current else ''} > ")
            if line is None or not await sandbox.handle(line):
                break
    sandbox.say("Au revoir.")
    return 0
