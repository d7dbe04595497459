"""A world for conversation tests: the real Application on the offline Bot API and a
fresh database (SQLite and PostgreSQL), with a frozen clock and a small directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import Application

from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.roles import Role
from bot.services import registration
from handlers.telegram.app import build_application, running
from handlers.telegram.offline import OfflineBotAPI, SimUser
from storage.models import Commune, Equipment, School
from storage.uow import Database

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Tuesday 10 March 2026, 10:00 in Paris


@dataclass
class World:
    api: OfflineBotAPI
    app: Application  # type: ignore[type-arg]
    db: Database
    clock: FrozenClock
    settings: Settings
    ids: dict[str, int] = field(default_factory=dict)
    _next_user: int = 1000

    def user(self, first_name: str, *, language_code: str = "fr") -> SimUser:
        self._next_user += 1
        return self.api.user(self._next_user, first_name, language_code=language_code)

    async def invite(
        self,
        role: Role,
        *,
        school: str | None = None,
        commune: str | None = None,
        body: str | None = None,
    ) -> str:
        created = await registration.create_invitation(
            self.db,
            role=role,
            school_uai=school,
            commune_insee=commune,
            body_code=body,
            validity=timedelta(days=14),
            now=self.clock.now(),
        )
        return created.code

    async def registered(
        self,
        first_name: str,
        role: Role,
        *,
        school: str | None = None,
        commune: str | None = None,
        body: str | None = None,
    ) -> SimUser:
        """A person who has used an invitation, the transcript cleared after."""
        if role in (Role.TEACHER, Role.DIRECTOR) and school is None:
            school = "0420001Y"
        if role is Role.COMMUNE and commune is None and body is None:
            commune = "42218"
        user = self.user(first_name)
        code = await self.invite(role, school=school, commune=commune, body=body)
        await self.api.send_text(user, f"/start {code}")
        self.api.assert_no_refusals()
        self.api.clear()
        return user

    def texts(self, user: SimUser | int) -> list[str]:
        """The visible texts the bot sent to a chat, in order (edits as they are now)."""
        chat = user if isinstance(user, int) else user.id
        return [m.text or m.caption or "" for m in self.api.messages(chat)]

    def last_text(self, user: SimUser | int) -> str:
        chat = user if isinstance(user, int) else user.id
        message = self.api.last(chat)
        return message.text or message.caption or ""


async def _directory(db: Database, now: datetime) -> dict[str, int]:
    async with db.uow() as uow:
        st_etienne = Commune(insee="42218", name="Saint-Étienne", created_at=now)
        firminy = Commune(insee="42095", name="Firminy", created_at=now)
        uow.session.add_all([st_etienne, firminy])
        await uow.session.flush()
        soleil = School(
            uai="0420001Y",
            name="École du Soleil",
            commune_id=st_etienne.id,
            sector="public",
            created_at=now,
        )
        lune = School(
            uai="0420002Z",
            name="École de la Lune",
            commune_id=st_etienne.id,
            sector="public",
            created_at=now,
        )
        forges = School(
            uai="0420003A",
            name="École des Forges",
            commune_id=firminy.id,
            sector="public",
            created_at=now,
        )
        uow.session.add_all([soleil, lune, forges])
        await uow.session.flush()
        items: list[tuple[str, School, str, str, int | None, Any]] = [
            ("SEM-0001", soleil, "tablet", "iPad 9", 40000, datetime(2025, 9, 1).date()),  # noqa: DTZ001
            ("SEM-0002", soleil, "tablet", "iPad 9", 40000, datetime(2025, 9, 1).date()),  # noqa: DTZ001
            ("SEM-0003", soleil, "laptop", "ThinkPad E14", 90000, datetime(2023, 1, 15).date()),  # noqa: DTZ001
            ("SEM-0004", soleil, "projector", "Epson EB", 60000, datetime(2018, 6, 1).date()),  # noqa: DTZ001
            ("SEM-0005", soleil, "visualiser", "IPEVO V4K", None, None),
            ("SEM-0101", forges, "tablet", "iPad 9", 40000, datetime(2025, 9, 1).date()),  # noqa: DTZ001
        ]
        for tag, school, kind, model, cents, acquired in items:
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=school.id,
                    type=kind,
                    model=model,
                    serial=None,
                    owner="sem",
                    acquired_on=acquired,
                    value_cents=cents,
                    state="in_service",
                    created_at=now,
                    updated_at=now,
                )
            )
        await uow.commit()
        return {
            "soleil": soleil.id,
            "lune": lune.id,
            "forges": forges.id,
            "st_etienne": st_etienne.id,
            "firminy": firminy.id,
        }


@asynccontextmanager
async def restarted(world: World) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The bot stops and a new process starts on the same database (same clock and API)."""
    await world.app.shutdown()
    application = build_application(
        world.settings, world.db, clock=world.clock, request=world.api, rate_limit=False
    )
    world.api.attach(application)
    async with running(application, start=False):
        yield application
    await world.app.initialize()  # the fixture shuts the first application down at the end


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with a_world(database_url) as opened:
        yield opened


@asynccontextmanager
async def a_world(database_url: str, *, fresh: bool = True) -> AsyncIterator[World]:
    """The bot running on a database, for a test that needs more than one: a fresh one
    gets the small directory, otherwise it is used as it is."""
    settings = Settings(telegram_token=None, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings.database_url)
    clock = FrozenClock(T0)
    api = OfflineBotAPI(bot_username=settings.bot_username)
    api.now = lambda: clock.now().timestamp()
    app = build_application(settings, db, clock=clock, request=api, rate_limit=False)
    api.attach(app)
    ids = await _directory(db, clock.now()) if fresh else {}
    async with running(app, start=False):
        yield World(api=api, app=app, db=db, clock=clock, settings=settings, ids=ids)
    await db.close()


# ------------------------------------------------------------------ the Discord front end


@dataclass
class DiscordSide:
    """The Discord front end on the same services as the world's Telegram one: one
    process, one database, one router (issue 12)."""

    discord: Any  # handlers.discord.offline.OfflineDiscord
    client: Any  # handlers.discord.app.PneDiscord
    guild: Any
    hall: Any  # a text channel of the SEM's server
    _next_user: int = 0

    def user(self, name: str, *, locale: str = "fr") -> Any:
        self._next_user += 1
        return self.discord.user(name, guild=self.guild, locale=locale)

    async def registered(self, world: World, name: str, role: Role, **scope: str) -> Any:
        """A person registered from the server's channel with a code, the record cleared."""
        if role in (Role.TEACHER, Role.DIRECTOR) and "school" not in scope:
            scope["school"] = "0420001Y"
        if role is Role.COMMUNE and not scope:
            scope["commune"] = "42218"
        user = self.user(name)
        code = await world.invite(role, **scope)
        await self.discord.slash(user, "inscription", {"code": code}, channel=self.hall)
        return user


@pytest.fixture
async def both(world: World) -> AsyncIterator[tuple[World, DiscordSide]]:
    from handlers.discord.app import PneDiscord
    from handlers.discord.offline import OfflineDiscord

    services = world.app.bot_data["services"]
    offline = OfflineDiscord(world.clock)
    guild = offline.guild("Plan numérique SEM")
    hall = offline.text_channel(guild, "accueil")
    client = PneDiscord(services)
    await offline.connect(client)
    await client.tree.sync()
    try:
        yield world, DiscordSide(offline, client, guild, hall)
    finally:
        await client.close()


async def outbox_sent(world: World, *, rounds: int = 6) -> None:
    """What the job queue does while time passes: the sweep and the paced lane, again
    until nothing more is due (the clock moved on past a row waiting for others, such as
    an announcement's report waiting for its messages)."""
    from bot.services import reminders
    from bot.services.announcement_delivery import REPORT_AGAIN
    from bot.services.reminders import RENDERERS_KEY

    services = world.app.bot_data["services"]
    renderers, send = services.extra[RENDERERS_KEY], services.router
    for _ in range(rounds):
        report = await reminders.sweep(
            world.db, renderers, send, now=world.clock.now(), worker="test"
        )
        report.merge(
            await reminders.paced(world.db, renderers, send, clock=world.clock, worker="test")
        )
        if not report.deferred:
            return
        world.clock.advance(REPORT_AGAIN)
