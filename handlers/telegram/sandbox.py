"""The offline sandbox: the real bot, wired to the offline Bot API, chatted with in a terminal.

You pick who you are (a demo teacher, school head, commune agent or staff member), type
messages, and tap buttons by number (of the last message, or of message n° M). Messages
the bot sends to the other demo people (the commune told of a claim, staff alerted) are
shown too, with their recipient, and replayed in full when you become that person. Pop-up
answers and keyboard-only edits are shown, so that no tap looks dead. ``:temps +2j``
moves the sandbox's clock forward and sends the reminders then due. Nothing leaves the
machine.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, TextIO

from bot.clock import ShiftedClock
from bot.config import Settings
from bot.i18n import I18n, Safe
from bot.services import reminders
from bot.services.directory import DEMO_PEOPLE, seed_demo
from handlers.telegram.app import build_application, running, services_of
from handlers.telegram.delivery import telegram_sender
from handlers.telegram.offline import BotMessage, OfflineBotAPI, Sent, SimUser, sample_png
from handlers.telegram.reports import run_reports
from storage.uow import Database

ReadLine = Callable[[str], Awaitable[str | None]]
Tick = Callable[[], Awaitable[None]]

_TAP = re.compile(r"#(\d{1,3})(?:@(\d{1,9}))?")
_REPLY = re.compile(r":rep(?:@(\d{1,9}))?(?:\s+(.*))?", re.DOTALL)
_TIME = re.compile(
    r":temps\s*\+?\s*(\d{1,4})\s*(j|jours?|d|days?|h|heures?|hours?|min|minutes?)",
    re.IGNORECASE,
)
_UNITS = {
    "j": timedelta(days=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
# What the bot does that a person sees in Telegram (the rest, like setMyCommands, is not).
_SHOWN = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "copyMessage",
    "forwardMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
}


def parse_delay(text: str) -> timedelta | None:
    """``:temps +2j``, ``+3h``, ``+30min``: how far to move the clock (None if unreadable)."""
    match = _TIME.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)[0].lower()]


async def _stdin_line(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except (EOFError, OSError):  # end of input, or no terminal to read from
        return None


class Sandbox:
    def __init__(
        self,
        api: OfflineBotAPI,
        out: TextIO,
        read: ReadLine = _stdin_line,
        *,
        clock: ShiftedClock | None = None,
        tick: Tick | None = None,
        i18n: I18n | None = None,
        lang: str = "fr",
    ) -> None:
        self.api = api
        self.out = out
        self.read = read
        self.clock = clock
        self.tick = tick  # sends what is due at the (moved) clock
        self.i18n = i18n or I18n()
        self.lang = lang
        self.users: dict[int, SimUser] = {}
        self.names: dict[int, str] = {}
        self.seen = 0
        # Per person: how far in the transcript they have read as themselves (``:qui``
        # replays the rest to them).
        self.read_up_to: dict[int, int] = {}
        self.current: SimUser | None = None
        for person in DEMO_PEOPLE:
            first = person.full_name.split(" (")[0]
            self.users[person.telegram_id] = api.user(person.telegram_id, first)
            self.names[person.telegram_id] = self.t(
                "sandbox.person", name=person.full_name, role=self.t(f"sandbox.role.{person.role}")
            )

    def t(self, key: str, /, **params: object) -> str:
        """A catalog text for the terminal: plain text, so values are not HTML-escaped."""
        return self.i18n.t(self.lang, key, **{k: Safe(str(v)) for k, v in params.items()})

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _content(self, message: Mapping[str, Any]) -> list[str]:
        """A message as a person reads it: its media named, then its text or caption."""
        text = str(message.get("text") or message.get("caption") or "")
        if "photo" in message:
            text = f"{self.t('sandbox.photo')} {text}".rstrip()
        elif "document" in message:
            name = message["document"].get("file_name")
            media = (
                self.t("sandbox.document", name=name)
                if name
                else self.t("sandbox.document_without_name")
            )
            text = f"{media} {text}".rstrip()
        return [f"  {line}" for line in text.splitlines() or [""]]

    def start(self) -> None:
        """What the bot did while starting (menus…) is nobody's message."""
        self.seen = len(self.api.sent)
        for user_id in self.users:
            self.read_up_to[user_id] = self.seen

    # -- showing -----------------------------------------------------------------------

    def _show(self, record: Sent, *, mine: bool) -> None:
        params, result = record.params, record.result
        if record.method == "answerCallbackQuery":
            text = params.get("text")
            if mine and text:
                kind = "sandbox.popup" if params.get("show_alert") else "sandbox.notification"
                self.say("\n" + self.t(kind))
                for line in str(text).splitlines():
                    self.say(f"  {line}")
            return
        messages = result if isinstance(result, list) else [result]
        for message in messages:
            if not isinstance(message, dict):
                continue
            if record.method == "copyMessage":  # Telegram answers with the id only
                message = self._stored(record.chat_id, message.get("message_id")) or message
            number = message.get("message_id")
            person = self.names.get(int(record.chat_id or 0), record.chat_id)
            sender = (
                self.t("sandbox.from_bot") if mine else self.t("sandbox.from_bot_to", person=person)
            )
            if record.method == "editMessageReplyMarkup":
                self.say("\n" + self.t("sandbox.buttons_edited", sender=sender, number=number))
                if not self._buttons(message, mine=mine):
                    self.say("  " + self.t("sandbox.buttons_removed"))
                continue
            edited = record.method.startswith("editMessage")
            key = "sandbox.message_edited" if edited else "sandbox.message"
            self.say("\n" + self.t(key, sender=sender, number=number))
            for line in self._content(message):
                self.say(line)
            self._buttons(message, mine=mine)

    def _buttons(self, message: Mapping[str, Any], *, mine: bool) -> bool:
        markup = message.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        if mine and buttons:
            labels = [f"#{i} {b['text']}" for i, b in enumerate(buttons, 1)]
            self.say("  " + self.t("sandbox.buttons", buttons="   ".join(labels)))
        return bool(buttons)

    def _stored(self, chat_id: object, message_id: object) -> dict[str, Any] | None:
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return None
        for message in self.api.messages(chat_id):
            if message.message_id == message_id:
                return message.data
        return None

    def show_new(self) -> None:
        """Print what the bot did since the last call, to whom, with numbered buttons."""
        for record in self.api.sent[self.seen :]:
            if record.method not in _SHOWN:
                continue
            mine = self.current is not None and record.chat_id == self.current.id
            if mine or record.method != "answerCallbackQuery":
                self._show(record, mine=mine)
        self.seen = len(self.api.sent)
        if self.current is not None:
            self.read_up_to[self.current.id] = self.seen

    def replay(self, user: SimUser) -> None:
        """What ``user`` received while somebody else was playing."""
        since = self.read_up_to.get(user.id, self.seen)
        missed = [
            r
            for r in self.api.sent[since : self.seen]
            if r.chat_id == user.id and r.method in _SHOWN
        ]
        if missed:
            self.say("\n" + self.t("sandbox.received_meanwhile"))
            for record in missed:
                self._show(record, mine=True)
        self.read_up_to[user.id] = self.seen

    # -- choosing messages ---------------------------------------------------------------

    def _message(self, number: int | None, *, with_buttons: bool) -> BotMessage | None:
        """The bot's message n° ``number`` in the current chat, or the last one (with
        buttons, if asked)."""
        if self.current is None:
            return None
        messages = self.api.messages(self.current.id)
        if number is not None:
            return next((m for m in messages if m.message_id == number), None)
        for message in reversed(messages):
            if message.buttons or not with_buttons:
                return message
        return None

    async def choose(self, read: ReadLine) -> bool:
        self.say("\n" + self.t("sandbox.who"))
        ids = list(self.users)
        for index, user_id in enumerate(ids, 1):
            self.say(f"  {index}. {self.names[user_id]}")
        while True:
            answer = await read(self.t("sandbox.number_prompt"))
            if answer is None or answer.strip() in {":quitter", ":q"}:
                return False
            if answer.strip().isdigit() and 1 <= int(answer) <= len(ids):
                self.current = self.users[ids[int(answer) - 1]]
                self.say(self.t("sandbox.you_are", person=self.names[self.current.id]))
                self.replay(self.current)
                return True
            self.say(self.t("sandbox.number_expected", count=len(ids)))

    # -- one line ------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One line typed by the person; False to quit."""
        assert self.current is not None
        text = line.strip()
        if not text:
            return True
        if text in {":quitter", ":q"}:
            return False
        if text == ":aide":
            self.say(self.t("sandbox.help"))
        elif text == ":qui":
            self.show_new()
            return await self.choose(self.read)
        elif reply := _REPLY.fullmatch(text):
            await self._reply(reply.group(1), (reply.group(2) or "").strip())
        elif text.startswith(":photo"):
            caption = text.removeprefix(":photo").strip() or None
            await self.api.send_photo(self.current, sample_png(), caption=caption)
        elif text.startswith(":doc"):
            name = text.removeprefix(":doc").strip() or "document.pdf"
            await self.api.send_document(
                self.current, b"%PDF-1.4 sandbox\n", name, "application/pdf"
            )
        elif text.startswith(":temps"):
            await self._move_time(text)
        elif tap := _TAP.fullmatch(text):
            await self._tap(int(tap.group(1)), int(tap.group(2)) if tap.group(2) else None)
        elif text.startswith(":"):
            self.say(self.t("sandbox.error.unknown"))
        else:
            await self.api.send_text(self.current, text)
        self.show_new()
        return True

    async def _reply(self, number: str | None, text: str) -> None:
        assert self.current is not None
        if not text:
            self.say(self.t("sandbox.error.reply_text"))
            return
        message = self._message(int(number) if number else None, with_buttons=False)
        if message is None:
            self.say(
                self.t("sandbox.error.no_such_message", number=number)
                if number
                else self.t("sandbox.error.nothing_to_reply")
            )
            return
        await self.api.send_text(self.current, text, reply_to_message_id=message.message_id)

    async def _tap(self, button: int, number: int | None) -> None:
        assert self.current is not None
        message = self._message(number, with_buttons=True)
        if message is None:
            self.say(
                self.t("sandbox.error.no_such_message", number=number)
                if number is not None
                else self.t("sandbox.error.no_buttons")
            )
            return
        flat = [b for row in message.buttons for b in row]
        if not 1 <= button <= len(flat):
            self.say(
                self.t(
                    "sandbox.error.no_such_button",
                    number=message.message_id,
                    button=button,
                    last=len(flat),
                )
                if flat
                else self.t("sandbox.error.message_without_buttons", number=message.message_id)
            )
            return
        before = len(self.api.sent)
        await self.api.tap(self.current, message.message_id, button - 1)
        if not any(self._visible(r) for r in self.api.sent[before:]):
            # Nothing changed on screen (a tap taken into account silently): say so, so that
            # the tap does not look dead.
            self.say(self.t("sandbox.tap_silent"))

    def _visible(self, record: Sent) -> bool:
        """Whether the current person sees anything of ``record``."""
        if self.current is None or record.chat_id != self.current.id:
            return False
        if record.method == "answerCallbackQuery":
            return bool(record.params.get("text"))
        return record.method in _SHOWN

    async def _move_time(self, text: str) -> None:
        delay = parse_delay(text)
        if delay is None:
            self.say(self.t("sandbox.error.delay"))
            return
        if self.clock is None or self.tick is None:
            self.say(self.t("sandbox.error.fixed_clock"))
            return
        self.clock.advance(delay)
        when = self.i18n.datetime(self.lang, self.clock.now())
        self.say(self.t("sandbox.time_moved", when=when))
        await self.tick()


async def run_sandbox(
    settings: Settings,
    db: Database,
    *,
    read: ReadLine = _stdin_line,
    out: TextIO | None = None,
    clock: ShiftedClock | None = None,
) -> int:
    out = out if out is not None else sys.stdout  # looked up now, not at import
    clock = clock if clock is not None else ShiftedClock()  # moved forward by `:temps`
    # The sweep's and the paced lane's INFO lines would break into the prompt.
    for noisy in ("telegram.ext", "apscheduler", "httpx", "bot.services", "handlers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    i18n = I18n(settings.tz)
    if await seed_demo(db, now=clock.now()):
        print(i18n.t(settings.language, "sandbox.demo_loaded"), file=out)
    api = OfflineBotAPI(bot_username=settings.bot_username)
    api.now = lambda: clock.now().timestamp()  # message dates follow the moved clock
    application = build_application(settings, db, clock=clock, request=api)
    api.attach(application)

    async def tick() -> None:
        """What the job queue would do at the moved clock: reminders (both lanes), reports."""
        services = services_of(application)
        send, worker = telegram_sender(application.bot), reminders.worker_id()
        await reminders.drain(db, services.renderers, send, clock=clock, worker=worker)
        await reminders.paced(db, services.renderers, send, clock=clock, worker=worker)
        await run_reports(application)

    sandbox = Sandbox(api, out, read, clock=clock, tick=tick, i18n=i18n, lang=settings.language)
    async with running(application):
        sandbox.start()
        sandbox.say(sandbox.t("sandbox.help"))
        if not await sandbox.choose(sandbox.read):
            return 0
        while True:
            line = await read(f"\n{sandbox.current.first_name if sandbox.current else ''} > ")
            if line is None or not await sandbox.handle(line):
                break
    sandbox.say(sandbox.t("sandbox.bye"))
    return 0
