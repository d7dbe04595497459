"""The offline sandbox on Discord: the real discord.py client on the offline Discord,
played in a terminal by the demo people (``pne-bot sandbox --discord``).

Each demo person gets a Discord account in the sandbox's own database (their Telegram
one stays), so reminders go to their Discord private channel. You type slash commands as
in Discord's box (``/signaler``, ``/dossier numero:S-2026-0001``, ``/note numero:… texte:
"deux mots"``), tap a button or an option of the last message by its number (``#2``),
fill a form field by field when the bot shows one, or write in your private channel.
``:temps +2j`` moves the clock and sends what falls due. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TextIO

from bot.bootstrap import Services, bootstrap
from bot.clock import ShiftedClock
from bot.config import Settings
from bot.domain.platforms import DISCORD
from bot.i18n import I18n, Safe
from bot.services import directory, reminders
from bot.services.directory import DEMO_PEOPLE, seed_demo
from handlers.discord.app import PneDiscord
from handlers.discord.offline import InteractionRecord, OfflineDiscord, PostedMessage, SimUser
from storage.uow import Database

ReadLine = Callable[[str], Awaitable[str | None]]

_TAP = re.compile(r"#(\d{1,3})")
_TIME = re.compile(r":temps\s*\+?\s*(\d{1,4})\s*(j|jours?|d|days?|h|heures?|hours?|min|minutes?)")
_UNITS = {"j": timedelta(days=1), "d": timedelta(days=1), "h": timedelta(hours=1)}


async def _stdin_line(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except (EOFError, OSError):
        return None


_ESCAPED = re.compile(r"\\([\\*_~`|>#\-+.()\[\]])")
_MARKS = re.compile(r"(\*\*|__|~~)")


def shown_as(content: str) -> str:
    """A Discord message as Discord shows it, roughly: marks and escapes taken off."""
    return _ESCAPED.sub(r"\1", _MARKS.sub("", content)).replace("\u200b", "")


def parse_slash(line: str) -> tuple[str, dict[str, str]] | None:
    """``/note numero:S-2026-0001 texte:"deux mots"`` → (``note``, {numero: …, texte: …});
    None when it is not a slash command or cannot be read."""
    if not line.startswith("/"):
        return None
    try:
        words = shlex.split(line[1:])
    except ValueError:
        return None
    if not words:
        return None
    name, options = words[0].lower(), {}
    for word in words[1:]:
        key, sep, value = word.partition(":")
        if not sep:
            key, sep, value = word.partition("=")
        if not sep or not key:
            return None
        options[key] = value
    return name, options


class DiscordSandbox:
    def __init__(
        self,
        offline: OfflineDiscord,
        client: PneDiscord,
        people: dict[int, tuple[SimUser, str]],
        out: TextIO,
        i18n: I18n,
        lang: str,
        clock: ShiftedClock,
    ) -> None:
        self.offline = offline
        self.client = client
        self.people = people  # person id → (their Discord user, their name)
        self.out = out
        self.i18n = i18n
        self.lang = lang
        self.clock = clock
        self.current: SimUser | None = None
        self.guild = offline.guild("Plan numérique SEM (bac à sable)")
        self.hall = offline.text_channel(self.guild, "accueil")
        self.seen: dict[int, str] = {}
        self.last: PostedMessage | None = None
        self.last_record: InteractionRecord | None = None

    def t(self, key: str, /, **params: object) -> str:
        """A catalog text for the terminal: plain text, values not HTML-escaped."""
        return html.unescape(
            self.i18n.t(self.lang, key, **{k: Safe(str(v)) for k, v in params.items()})
        )

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _owner(self, channel_id: int) -> str | None:
        for user, name in self.people.values():
            if self.offline.dm_channel(user).id == channel_id:
                return name
        return None

    def _choices(self, message: PostedMessage) -> list[tuple[str, str, str | None]]:
        """(label, custom id, option value or None) of a message's buttons and options."""
        found: list[tuple[str, str, str | None]] = []
        for part in message.walk():
            if part.get("type") == 2 and part.get("custom_id"):
                found.append((str(part.get("label") or "·"), str(part["custom_id"]), None))
            elif part.get("type") == 3:
                for option in part.get("options", []):
                    found.append(
                        (str(option["label"]), str(part["custom_id"]), str(option["value"]))
                    )
        return found

    def show_new(self) -> None:
        """Every message the bot wrote or changed since the last step, with its addressee."""
        assert self.current is not None
        mine = self.offline.dm_channel(self.current).id
        for channel_id in list(self.offline.channels):
            for message in self.offline.messages(channel_id):
                if message.author_id == self.current.id:
                    continue
                shown = repr((message.content, message.walk()))
                if self.seen.get(message.id) == shown:
                    continue
                edited = message.id in self.seen
                self.seen[message.id] = shown
                owner = self._owner(channel_id)
                if message.ephemeral and channel_id == self.hall.id:
                    who = self.t("sandbox.discord.only_you")
                elif channel_id == mine:
                    who = self.t("sandbox.from_bot")
                elif owner is not None:
                    who = self.t("sandbox.from_bot_to", person=owner)
                else:
                    who = self.t("sandbox.discord.in_channel", channel=channel_id)
                key = "sandbox.message_edited" if edited else "sandbox.message"
                self.say("\n" + self.t(key, sender=who, number=message.id % 10_000))
                self.say(shown_as(message.content))
                choices = self._choices(message)
                if choices:
                    labels = [f"[{n}] {label}" for n, (label, _, _) in enumerate(choices, 1)]
                    self.say("  " + "   ".join(labels))
                    if channel_id in (mine, self.hall.id):
                        self.last = message

    async def choose(self, read: ReadLine) -> bool:
        ids = list(self.people)
        self.say("\n" + self.t("sandbox.who"))
        for n, person_id in enumerate(ids, 1):
            self.say(f"  {n}. {self.people[person_id][1]}")
        while True:
            answer = await read(self.t("sandbox.number_prompt"))
            if answer is None:
                return False
            if answer.strip().isdigit() and 1 <= int(answer) <= len(ids):
                self.current = self.people[ids[int(answer) - 1]][0]
                self.say(self.t("sandbox.you_are", person=self.people[ids[int(answer) - 1]][1]))
                self.seen.update(
                    {
                        m.id: repr((m.content, m.walk()))
                        for c in self.offline.channels
                        for m in self.offline.messages(c)
                        if c != self.offline.dm_channel(self.current).id
                    }
                )
                return True
            self.say(self.t("sandbox.number_expected", count=len(ids)))

    async def handle(self, line: str, read: ReadLine) -> bool:
        text = line.strip()
        assert self.current is not None
        if text in (":quitter", ":quit", ":q"):
            return False
        if text in (":aide", ":help"):
            self.say(self.t("sandbox.discord.help"))
            return True
        if text == ":qui":
            return await self.choose(read)
        if text.startswith(":temps"):
            await self._move_time(text)
        elif tap := _TAP.fullmatch(text):
            await self._tap(int(tap.group(1)))
        elif text.startswith("/"):
            await self._slash(text)
        elif text.startswith(":"):
            self.say(self.t("sandbox.error.unknown"))
        else:
            await self.offline.say(self.current, self.offline.dm_channel(self.current), text)
        await self.offline.settle()
        self.show_new()
        await self._form(read)
        return True

    async def _slash(self, text: str) -> None:
        assert self.current is not None
        parsed = parse_slash(text)
        if parsed is None:
            self.say(self.t("sandbox.discord.bad_command"))
            return
        name, options = parsed
        try:
            self.last_record = await self.offline.slash(
                self.current, name, options, channel=self.hall
            )
        except (LookupError, ValueError) as error:
            self.say(self.t("sandbox.discord.refused", why=str(error)))

    async def _tap(self, number: int) -> None:
        assert self.current is not None
        message = self.last
        choices = self._choices(message) if message is not None else []
        if message is None or not 1 <= number <= len(choices):
            self.say(self.t("sandbox.error.no_buttons"))
            return
        _, custom_id, value = choices[number - 1]
        if value is None:
            self.last_record = await self.offline.tap(self.current, message.id, custom_id)
        else:
            self.last_record = await self.offline.choose(
                self.current, message.id, custom_id, [value]
            )

    async def _form(self, read: ReadLine) -> None:
        """The bot answered with a form: ask each field in turn, then send it."""
        record = self.last_record
        if record is None or record.modal is None or record.modal_submitted:
            return
        assert self.current is not None
        self.say("\n" + self.t("sandbox.discord.form", title=record.modal.get("title", "")))
        values: dict[str, str] = {}
        for row in record.modal.get("components", []):
            for field in row.get("components", []):
                answer = await read(f"  {field.get('label', field['custom_id'])} > ")
                if answer is None:
                    return
                values[field["custom_id"]] = answer
        self.last_record = await self.offline.submit_modal(self.current, values, origin=record)
        await self.offline.settle()
        self.show_new()
        await self._form(read)

    async def _move_time(self, text: str) -> None:
        match = _TIME.fullmatch(text.strip())
        if match is None or int(match.group(1)) == 0:
            self.say(self.t("sandbox.error.delay"))
            return
        unit = _UNITS.get(match.group(2)[0].lower(), timedelta(minutes=1))
        self.clock.advance(int(match.group(1)) * unit)
        services: Services = self.client.services
        worker = reminders.worker_id()
        await reminders.drain(
            services.db, services.renderers, services.router, clock=self.clock, worker=worker
        )
        await reminders.paced(
            services.db, services.renderers, services.router, clock=self.clock, worker=worker
        )
        when = self.i18n.datetime(self.lang, self.clock.now())
        self.say(self.t("sandbox.time_moved", when=when))


async def run_discord_sandbox(
    settings: Settings,
    db: Database,
    *,
    read: ReadLine = _stdin_line,
    out: TextIO = sys.stdout,
) -> int:
    """Play the demo people on the offline Discord until :quitter or end of input."""
    for noisy in ("discord", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    clock = ShiftedClock()
    services = bootstrap(settings, db, clock=clock)
    i18n = services.i18n
    if await seed_demo(db, now=clock.now()):
        print(i18n.t(settings.language, "sandbox.demo_loaded"), file=out)
    offline = OfflineDiscord(clock)
    client = PneDiscord(services)
    sandbox_people: dict[int, tuple[SimUser, str]] = {}
    ids = await directory.demo_person_ids(db)
    for demo in DEMO_PEOPLE:
        user = offline.user(demo.full_name.split()[0].lower(), global_name=demo.full_name)
        sandbox_people[ids[demo.telegram_id]] = (user, demo.full_name)
    sandbox = DiscordSandbox(offline, client, sandbox_people, out, i18n, settings.language, clock)
    for user, _ in sandbox_people.values():
        sandbox.guild.members.append(user)
    await directory.bind_demo_accounts(
        db,
        DISCORD,
        {pid: (u.id, offline.dm_channel(u).id) for pid, (u, _) in sandbox_people.items()},
        now=clock.now(),
    )
    await offline.connect(client)
    await client.tree.sync()
    try:
        sandbox.say(sandbox.t("sandbox.discord.help"))
        if not await sandbox.choose(read):
            return 0
        while True:
            line = await read("\n> ")
            if line is None or not await sandbox.handle(line, read):
                break
        sandbox.say(sandbox.t("sandbox.bye"))
    finally:
        await client.close()
    return 0


__all__ = ["DiscordSandbox", "parse_slash", "run_discord_sandbox"]
