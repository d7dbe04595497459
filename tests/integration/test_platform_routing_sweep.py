"""The one sweep writes to each person on their own platform, once (decision 0045)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.claims import ClaimKind
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.services import claims, reminders
from bot.services.delivery import Outgoing, Router
from storage.models import PlatformAccount
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo


async def test_a_reminder_goes_to_the_platform_the_agent_chose_and_only_there(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    claude = d.people["Claude"]  # the commune's agent, on Telegram in the demo
    async with db.uow() as uow:
        person = await uow.people.get(claude)
        assert person is not None
        person.accounts.append(
            PlatformAccount(platform=DISCORD, external_user_id=555, chat_id=777_000, created_at=NOW)
        )
        person.preferred_platform = DISCORD
        await uow.commit()
    await claims.report_claim(
        db,
        claims.ReportClaim(
            reporter_id=d.people["Camille"],
            school_id=d.school_id,
            kind=ClaimKind.THEFT,
            discovered_at=NOW - timedelta(hours=1),
            description="Classe fracturée pendant le week-end",
            items=(claims.ItemRequest(asset_tag="SEM-DEMO-0001"),),
        ),
        NOW,
    )
    sent: list[tuple[str, int]] = []

    def front(platform: str):  # type: ignore[no-untyped-def]
        async def send(message: Outgoing) -> int:
            sent.append((platform, message.chat_id))
            return len(sent)

        return send

    router = Router()
    router.register(TELEGRAM, front(TELEGRAM))
    router.register(DISCORD, front(DISCORD))
    report = await reminders.sweep(
        db, d.services.renderers, router, now=NOW + timedelta(hours=24), worker="t"
    )
    assert report.sent == 1
    assert sent == [(DISCORD, 777_000)]

    # Back to Telegram by choice: the next reminder goes there, not to both.
    async with db.uow() as uow:
        person = await uow.people.get(claude)
        assert person is not None
        person.preferred_platform = TELEGRAM
        await uow.commit()
    sent.clear()
    await reminders.sweep(
        db, d.services.renderers, router, now=NOW + timedelta(hours=44), worker="t"
    )
    assert [platform for platform, _ in sent] == [TELEGRAM]
