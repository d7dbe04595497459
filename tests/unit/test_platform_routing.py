"""Each person is written to on their own platform, once (decisions 0016, 0045)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.platforms import DISCORD, TELEGRAM
from bot.services.audiences import reachable_platform, recipient, recipients
from bot.services.delivery import Outgoing, Router, Unreachable
from storage.models import Person, PlatformAccount

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _person(
    *accounts: tuple[str, int | None], preferred: str | None = None, active: bool = True
) -> Person:
    return Person(
        id=7,
        full_name="Camille Martin",
        role="teacher",
        language="fr",
        active=active,
        preferred_platform=preferred,
        created_at=NOW,
        accounts=[
            PlatformAccount(platform=p, external_user_id=100 + n, chat_id=chat, created_at=NOW)
            for n, (p, chat) in enumerate(accounts)
        ],
    )


def test_a_person_is_written_to_where_they_chose_when_they_can_be_reached_there() -> None:
    both = _person((TELEGRAM, 11), (DISCORD, 22), preferred=DISCORD)
    assert reachable_platform(both) == DISCORD
    found = recipient(both)
    assert found is not None and (found.platform, found.chat_id) == (DISCORD, 22)
    # A front end answering on its own side still names its platform.
    here = recipient(both, TELEGRAM)
    assert here is not None and (here.platform, here.chat_id) == (TELEGRAM, 11)
    # One address per person, never one per account.
    assert [r.platform for r in recipients([both])] == [DISCORD]


def test_a_preferred_platform_without_a_private_chat_falls_back_to_the_other() -> None:
    # Registered on Discord last, but no DM channel opened yet: Telegram it is.
    person = _person((TELEGRAM, 11), (DISCORD, None), preferred=DISCORD)
    assert reachable_platform(person) == TELEGRAM
    only_discord = _person((DISCORD, 22), preferred=TELEGRAM)
    assert reachable_platform(only_discord) == DISCORD
    assert reachable_platform(_person((TELEGRAM, None))) is None
    assert recipient(_person((TELEGRAM, None))) is None
    assert recipient(_person((TELEGRAM, 11), active=False)) is None


async def test_the_router_sends_each_message_through_its_platforms_front_end() -> None:
    sent: list[tuple[str, int]] = []

    def front(platform: str):  # type: ignore[no-untyped-def]
        async def send(message: Outgoing) -> int:
            sent.append((platform, message.chat_id))
            return len(sent)

        return send

    router = Router()
    router.register(TELEGRAM, front(TELEGRAM))
    assert await router(Outgoing(11, "bonjour")) == 1
    # A Discord address while no Discord front end runs: unreachable, never sent to the
    # Telegram chat of the same number.
    with pytest.raises(Unreachable, match="no discord front end"):
        await router(Outgoing(11, "bonjour", platform=DISCORD))
    router.register(DISCORD, front(DISCORD))
    assert await router(Outgoing(11, "bonjour", platform=DISCORD)) == 2
    assert sent == [(TELEGRAM, 11), (DISCORD, 11)]
    assert router.platforms == {TELEGRAM, DISCORD}
    router.withdraw(DISCORD)
    assert router.platforms == {TELEGRAM}
