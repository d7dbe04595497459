"""Who hears of something: audiences resolved to the addresses of the people concerned.

A service says *to whom* in these terms (the staff, the agents of a school's body, some
people); this module turns them into addresses, once, so that the rule "the staff's group
when one is configured, else each member of the staff in private" is written here only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.domain.platforms import DISCORD, TELEGRAM
from storage.models import Person
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Recipient:
    """One address to write to, with the language to write in.

    ``person_id`` is ``None`` for the staff's group (many people behind one chat);
    ``chat_id`` is an id of ``platform`` (a private chat, a DM channel, a group).
    """

    person_id: int | None
    chat_id: int
    language: str
    name: str = ""
    platform: str = TELEGRAM

    @property
    def is_group(self) -> bool:
        return self.person_id is None


@dataclass(frozen=True)
class StaffRoom:
    """Where staff are told: their group chat when configured (in the default language),
    else each active staff member in private."""

    chat_id: int | None
    language: str
    # The staff's forum on Discord, where each ticket has its post (decision 0050).
    forum_id: int | None = None

    @classmethod
    def of(cls, settings: Settings) -> StaffRoom:
        """The room the settings name, read when needed (settings may change at run time)."""
        return cls(settings.staff_chat_id, settings.language, settings.discord_staff_forum_id)


def reachable_platform(person: Person) -> str | None:
    """Where to write to the person: their preferred platform (the one they registered on
    last, or chose) when they can be written to there, else the first other one (Telegram
    first), else ``None``."""
    reachable = [a.platform for a in person.accounts if a.chat_id is not None]
    if not reachable:
        return None
    if person.preferred_platform in reachable:
        return str(person.preferred_platform)
    return TELEGRAM if TELEGRAM in reachable else str(reachable[0])


def recipient(person: Person | None, platform: str | None = None) -> Recipient | None:
    """The person's private address, or ``None`` when they cannot be written to
    (inactive, no account, or they never opened a private chat with the bot).

    ``platform`` ``None``: on the person's own platform (``reachable_platform``), so a
    person with two accounts gets one message, where they chose. A platform named: their
    account there only (a front end answering on its own side).

    The one place that turns a person into an address (decisions 0016, 0045)."""
    if person is None or not person.active:
        return None
    where = platform if platform is not None else reachable_platform(person)
    if where is None:
        return None
    account = person.account(where)
    if account is None or account.chat_id is None:
        return None
    return Recipient(person.id, account.chat_id, person.language, person.full_name, where)


def recipients(
    people: Iterable[Person], *, besides: int | None = None, platform: str | None = None
) -> tuple[Recipient, ...]:
    """The addresses of ``people`` who can be written to, ``besides`` one person."""
    found = (recipient(p, platform) for p in people if besides is None or p.id != besides)
    return tuple(r for r in found if r is not None)


async def staff(uow: UnitOfWork, room: StaffRoom, *, forum: bool = True) -> tuple[Recipient, ...]:
    """The staff: their group, or each active member in private; and, when there is one
    (and ``forum``), their forum on Discord (a ticket's messages go to its post there)."""
    post = (
        (Recipient(None, room.forum_id, room.language, platform=DISCORD),)
        if room.forum_id is not None and forum
        else ()
    )
    if room.chat_id is not None:
        return (Recipient(None, room.chat_id, room.language), *post)
    return (*recipients(await uow.people.staff()), *post)


async def assistants_or_staff(uow: UnitOfWork, room: StaffRoom) -> tuple[Recipient, ...]:
    """The plan's assistant (art. 6: the pledges go « à l'attention de l'assistante »):
    each staff member marked so, in private; when none can be written to, the staff."""
    found = recipients(p for p in await uow.people.staff() if p.assistant)
    return found or await staff(uow, room)


async def body_agents(uow: UnitOfWork, body_id: int) -> tuple[Recipient, ...]:
    """The active agents of a responsible body (a commune, an OGEC, an institute)."""
    return recipients(await uow.people.body_agents(body_id))


async def school_people(
    uow: UnitOfWork, school_id: int, *, reporter: Person | None = None
) -> tuple[Recipient, ...]:
    """A school's heads, and the reporter of the ticket at hand when they are not one:
    whom a school is told through (a round's date, works to prepare, a class closing)."""
    heads = list(await uow.people.school_heads(school_id))
    if reporter is not None and reporter.active and all(h.id != reporter.id for h in heads):
        heads.append(reporter)
    return recipients(heads)


__all__: Sequence[str] = [
    "Recipient",
    "StaffRoom",
    "assistants_or_staff",
    "body_agents",
    "recipient",
    "recipients",
    "school_people",
    "staff",
]
