"""An item's history: every change of its state or school goes through :func:`move`.

The move is checked against the domain's table (``bot.domain.collections.ITEM_MOVES``)
and written as an :class:`~storage.models.EquipmentMove` row in the caller's transaction,
with who, when, the ticket it belongs to, the body answering for the item afterwards (the
yearly review counts by body) and, for recycling, the recycling centre's receipt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.domain.collections import ItemState, check_move
from storage.models import Equipment, EquipmentMove, Person, School
from storage.uow import UnitOfWork


async def move(
    uow: UnitOfWork,
    equipment: Equipment,
    to: ItemState | str,
    *,
    actor: Person | None,
    now: datetime,
    ticket_id: int | None = None,
    to_school_id: int | None = None,
    reference: str | None = None,
    note: str | None = None,
) -> EquipmentMove:
    """Move the item to state ``to`` (and to another school); refused outside the table."""
    target = check_move(equipment.state, to)
    school_id = to_school_id if to_school_id is not None else equipment.school_id
    body_id = await uow.session.scalar(select(School.body_id).where(School.id == school_id))
    row = EquipmentMove(
        equipment_id=equipment.id,
        at=now,
        actor_id=actor.id if actor is not None else None,
        ticket_id=ticket_id,
        from_state=equipment.state,
        to_state=target.value,
        from_school_id=equipment.school_id,
        to_school_id=school_id,
        body_id=body_id,
        reference=reference,
        note=note,
    )
    uow.session.add(row)
    equipment.state = target.value
    equipment.school_id = school_id
    equipment.updated_at = now
    return row


async def history(uow: UnitOfWork, equipment_id: int) -> list[EquipmentMove]:
    """The item's moves, oldest first."""
    rows = await uow.session.scalars(
        select(EquipmentMove)
        .where(EquipmentMove.equipment_id == equipment_id)
        .order_by(EquipmentMove.at, EquipmentMove.id)
    )
    return list(rows)


async def relocate(
    uow: UnitOfWork,
    equipment: Equipment,
    to_school_id: int,
    *,
    actor: Person | None,
    now: datetime,
    ticket_id: int | None = None,
    note: str | None = None,
) -> EquipmentMove:
    """Move the item to another school in the same state (a school that moves, a merger):
    the history says so, the inventory and the school's body follow."""
    body_id = await uow.session.scalar(select(School.body_id).where(School.id == to_school_id))
    row = EquipmentMove(
        equipment_id=equipment.id,
        at=now,
        actor_id=actor.id if actor is not None else None,
        ticket_id=ticket_id,
        from_state=equipment.state,
        to_state=equipment.state,
        from_school_id=equipment.school_id,
        to_school_id=to_school_id,
        body_id=body_id,
        note=note,
    )
    uow.session.add(row)
    equipment.school_id = to_school_id
    equipment.updated_at = now
    return row
