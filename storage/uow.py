"""Unit of work: one session, one transaction; repositories never commit, services do."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.quiet_hours import QuietHours
from storage.db import create_engine, session_factory
from storage.models import AuditEntry
from storage.repositories import Directory, Invitations, People, Reminders, Tickets


class UnitOfWork:
    session: AsyncSession
    people: People
    directory: Directory
    invitations: Invitations
    tickets: Tickets
    reminders: Reminders

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], quiet_hours: QuietHours | None = None
    ) -> None:
        self._sessions = sessions
        # The quiet hours the reminders planned in this unit of work respect.
        self.quiet_hours = quiet_hours if quiet_hours is not None else QuietHours()

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.people = People(self.session)
        self.directory = Directory(self.session)
        self.invitations = Invitations(self.session)
        self.tickets = Tickets(self.session)
        self.reminders = Reminders(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    def audit(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        object_type: str,
        object_id: object,
        **details: Any,
    ) -> None:
        """Record who did what; written in the same transaction as the change itself."""
        self.session.add(
            AuditEntry(
                at=at,
                actor_id=actor_id,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                details=details,
            )
        )


class Database:
    """The engine and its session factory: one per process, closed at shutdown."""

    def __init__(
        self, url: str, *, quiet_hours: QuietHours | None = None, **engine_kwargs: Any
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, **engine_kwargs)
        self.sessions = session_factory(self.engine)
        # Every reminder is planned through this database: it is where the quiet hours of
        # the settings (bootstrap) reach the services; 20:00–08:00 Paris until told.
        self.quiet_hours = quiet_hours if quiet_hours is not None else QuietHours()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.quiet_hours)

    async def close(self) -> None:
        await self.engine.dispose()
