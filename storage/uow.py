"""Unit of work: one session, one transaction; repositories never commit, services do."""

from __future__ import annotations

from collections.abc import Callable
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
        self,
        sessions: async_sessionmaker[AsyncSession],
        quiet_hours: QuietHours | None = None,
        planned_listeners: list[Callable[[datetime], None]] | None = None,
    ) -> None:
        self._sessions = sessions
        # The quiet hours the reminders planned in this unit of work respect.
        self.quiet_hours = quiet_hours if quiet_hours is not None else QuietHours()
        # Told, once committed, the earliest instant a reminder planned here is due (the
        # sweep then wakes for it instead of waiting for its next round).
        self._planned_listeners = planned_listeners if planned_listeners is not None else []
        self._planned: datetime | None = None

    def planned(self, due_at: datetime) -> None:
        """A reminder due at ``due_at`` was written in this unit of work."""
        if self._planned is None or due_at < self._planned:
            self._planned = due_at

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
        planned, self._planned = self._planned, None
        if planned is not None:
            for listener in list(self._planned_listeners):
                listener(planned)

    async def rollback(self) -> None:
        await self.session.rollback()
        self._planned = None

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
        # Called with the earliest due instant of the reminders each commit planned.
        self.planned_listeners: list[Callable[[datetime], None]] = []
        # What the services keep in memory about this database (``storage.watch`` says
        # when the people it holds were written).
        self.kept: dict[str, Any] = {}

    def on_planned(self, listener: Callable[[datetime], None]) -> Callable[[], None]:
        """Call ``listener(due_at)`` after each commit that planned reminders; returns the
        function that stops it."""
        self.planned_listeners.append(listener)

        def stop() -> None:
            if listener in self.planned_listeners:
                self.planned_listeners.remove(listener)

        return stop

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.quiet_hours, self.planned_listeners)

    async def close(self) -> None:
        await self.engine.dispose()
