"""The staff's queue: overdue first, then the nearest deadline, then undated tickets by age,
paged across the border between dated and undated ones; revision 0012 gives it its index."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.claims import ClaimKind, DamageCause
from bot.services import claims, tickets
from storage.migrate import downgrade, upgrade
from storage.models import Ticket
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo


async def _indexes(engine: AsyncEngine) -> dict[str, list[str | None]]:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda sync: inspect(sync).get_indexes("tickets"))
    return {i["name"]: list(i["column_names"]) for i in found if i["name"]}


async def test_revision_0012_indexes_open_tickets_in_the_queues_order(
    engine: AsyncEngine,
) -> None:
    indexes = await _indexes(engine)
    assert indexes["ix_tickets_open_queue"] == ["next_deadline_at", "created_at", "id"]
    assert "ix_tickets_open_deadline" not in indexes
    await downgrade(engine, "0011")
    indexes = await _indexes(engine)
    assert "ix_tickets_open_queue" not in indexes
    assert indexes["ix_tickets_open_deadline"] == ["closed_at", "next_deadline_at"]
    await upgrade(engine)
    assert "ix_tickets_open_queue" in await _indexes(engine)


async def test_pages_run_from_overdue_to_undated_without_gap_or_repeat(demo: Demo) -> None:
    db, sacha = demo.services.db, demo.people["Sacha"]
    ids = []
    for n in range(5):
        reported = await claims.report_claim(
            db,
            claims.ReportClaim(
                reporter_id=demo.people["Camille"],
                school_id=demo.school_id,
                kind=ClaimKind.DAMAGE,
                discovered_at=NOW - timedelta(hours=1),
                description=f"Écran {n}",
                items=(claims.ItemRequest(description=f"Tablette {n}"),),
                damage_cause=DamageCause.ELECTRICAL,
            ),
            NOW + timedelta(minutes=n),
        )
        ids.append(reported.claim.id)
    # Deadlines: two undated (the older one first), one far, one overdue, one near.
    deadlines = [None, NOW + timedelta(days=30), None, NOW - timedelta(hours=2), NOW]
    async with db.uow() as uow:
        for ticket_id, deadline in zip(ids, deadlines, strict=True):
            await uow.session.execute(
                update(Ticket).where(Ticket.id == ticket_id).values(next_deadline_at=deadline)
            )
        await uow.commit()
    now = NOW + timedelta(hours=1)
    seen: list[int] = []
    overdue: list[bool] = []
    for page in range(4):
        rows, total = await tickets.queue(db, sacha, now=now, page=page, per_page=2)
        assert total == 5
        seen += [r.id for r in rows]
        overdue += [r.overdue for r in rows]
    assert seen == [ids[3], ids[4], ids[1], ids[0], ids[2]]
    assert overdue == [True, True, False, False, False]
