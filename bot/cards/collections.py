"""How a flagging of unused or broken equipment reads in a message: the card, its items,
the notices and the actions, for any messenger (art. 1, 3 and 4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import date

from bot.domain.collections import Condition, ItemStatus, Route
from bot.domain.roles import Action, Role, can
from bot.i18n import I18n, Safe
from bot.services.claims import TimelineEntry
from bot.services.collections import (
    STATE_CLOSED,
    Availability,
    CollectionItemView,
    CollectionView,
)
from bot.services.delivery import Actions, actions

# Buttons offered per item on a card: beyond, staff decide from the list (/tournees).
MAX_ITEM_BUTTONS = 8
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri")


class CollectionCard:
    """Renders collection texts and actions in one language."""

    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    # ----------------------------------------------------------------- pieces

    def condition(self, condition: Condition | str) -> str:
        return self.t(f"collection.condition.{Condition(condition).value}")

    def weekdays(self, days: Iterable[int]) -> str:
        return ", ".join(self.t(f"collection.weekday.{WEEKDAY_KEYS[d]}") for d in sorted(days))

    def availability(self, availability: Availability) -> str:
        parts: list[str] = []
        if availability.weekdays:
            parts.append(self.weekdays(availability.weekdays))
        if availability.hours:
            parts.append(availability.hours)
        if availability.in_holidays:
            parts.append(self.t("collection.availability.holidays"))
        return " · ".join(parts) if parts else self.t("collection.availability.unsaid")

    def equipment(self, item: CollectionItemView) -> str:
        """« PC-001 (tablette, iPad 9) », plain text (escape it in HTML)."""
        what = ", ".join(
            p for p in (self.i18n.equipment_type(self.lang, item.type), item.model) if p
        )
        return f"{item.asset_tag} ({what})" if what else item.asset_tag

    def status(self, item: CollectionItemView) -> str:
        if item.status is ItemStatus.PLANNED and item.round_day is not None:
            key = f"collection.status.planned_{item.round_kind or 'collection'}"
            return self.t(key, day=self.i18n.date(self.lang, item.round_day))
        if item.status is ItemStatus.OPEN:
            if item.route is Route.BODY_REMOVES:
                return self.t("collection.status.to_remove")
            if item.needs_decision:
                return self.t("collection.status.to_decide")
            if item.decision is not None:
                return self.t(f"collection.status.decided_{item.decision.value}")
        return self.t(f"collection.status.{item.status.value}")

    def item_line(self, item: CollectionItemView) -> str:
        line = self.t(
            "collection.card.item",
            item=self.equipment(item),
            condition=self.condition(item.condition),
            status=self.status(item),
        )
        if item.note:
            line += "\n" + self.t("collection.card.item_note", note=item.note)
        if item.missing_note:
            line += "\n" + self.t("collection.card.item_missing", note=item.missing_note)
        if item.receipt_ref:
            line += "\n" + self.t("collection.card.item_receipt", reference=item.receipt_ref)
        return line

    def items(self, view: CollectionView) -> str:
        return "\n".join(self.item_line(i) for i in view.items)

    def state(self, state: str) -> str:
        return self.t(f"collection.state.{state}")

    def timeline_what(self, entry: TimelineEntry) -> str:
        details = entry.details
        if entry.action == "collection.decided":
            return self.t(
                f"timeline.collection.decided_{details.get('decision', 'recycle')}",
                tag=details.get("tag", ""),
            )
        if entry.action.startswith("collection.round_") or entry.action == (
            "collection.other_date_asked"
        ):
            details = self._round_details(details)
        key = f"timeline.{entry.action}"
        if not self.i18n.has(key):
            key = "timeline.collection.other"
        return self.t(key, **{k: v for k, v in details.items() if isinstance(v, str | int)})

    def _round_details(self, details: dict[str, object]) -> dict[str, object]:
        """A round's entry in words: its kind, its days, its count."""
        shown = dict(details)
        for name in ("day", "before"):
            value = details.get(name)
            if isinstance(value, str):
                with suppress(ValueError):
                    shown[name] = self.i18n.date(self.lang, date.fromisoformat(value))
        kind = details.get("kind")
        if isinstance(kind, str) and kind in ("collection", "repair"):
            shown["kind"] = self.t(f"round.kind.{kind}")
        if "collected" in details:
            shown["count"] = details["collected"]
        return shown

    # ----------------------------------------------------------------- whole texts

    def card(self, view: CollectionView, *, timeline: bool = False) -> str:
        parts = [
            self.t(
                "collection.card.head",
                number=view.number,
                school=view.school_name,
                uai=view.school_uai,
                commune=view.commune_name,
                reporter=view.reporter_name,
                at=self.i18n.datetime(self.lang, view.created_at),
                state=self.state(view.state),
            ),
            self.t(
                "collection.card.where",
                place=view.place,
                availability=self.availability(view.availability),
            ),
            self.t("collection.card.items_head", count=len(view.items)) + "\n" + self.items(view),
        ]
        if view.attachments:
            parts.append(self.t("collection.card.attachments", count=view.attachments))
        if view.to_remove:
            parts.append(self.t("collection.card.body_removes", count=len(view.to_remove)))
        if any(i.route is Route.BODY_KEEPS for i in view.items):
            parts.append(self.t("collection.card.body_keeps"))
        if timeline and view.timeline:
            lines = [self.t("claim.card.timeline")]
            for entry in view.timeline:
                lines.append(
                    self.t(
                        "claim.timeline.line",
                        at=self.i18n.datetime(self.lang, entry.at, short=True),
                        who=entry.actor or self.t("claim.timeline.system"),
                        what=Safe(self.timeline_what(entry)),
                    )
                )
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def staff_notice(self, view: CollectionView) -> str:
        """Staff told of a new flagging: what SEM has to do."""
        sem = view.by_route(Route.SEM_COLLECTS)
        return self.t(
            "collection.notify.staff",
            number=view.number,
            school=view.school_name,
            commune=view.commune_name,
            reporter=view.reporter_name,
            broken=sum(1 for i in sem if i.condition is Condition.BROKEN),
            unused=sum(1 for i in sem if i.condition is Condition.UNUSED),
            items=Safe("\n".join(self.item_line(i) for i in sem)),
            place=view.place,
            availability=self.availability(view.availability),
        ) + self._body_part(view)

    def _body_part(self, view: CollectionView) -> str:
        """The body's own items, named apart: staff know of them without acting on them."""
        own = [i for i in view.items if i.route is not Route.SEM_COLLECTS]
        if not own:
            return ""
        return "\n" + self.t(
            "collection.notify.staff_body_items",
            count=len(own),
            items=", ".join(i.asset_tag for i in own),
        )

    def body_notice(self, view: CollectionView) -> str:
        """The body told of its own items: broken ones to remove and recycle (art. 4),
        unused ones its own business."""
        lines = [
            self.t(
                "collection.notify.body",
                number=view.number,
                school=view.school_name,
                reporter=view.reporter_name,
                place=view.place,
            )
        ]
        remove = view.by_route(Route.BODY_REMOVES)
        keep = view.by_route(Route.BODY_KEEPS)
        if remove:
            lines.append(
                self.t("collection.notify.body_remove", count=len(remove))
                + "\n"
                + "\n".join(self.item_line(i) for i in remove)
            )
        if keep:
            lines.append(
                self.t("collection.notify.body_keep", count=len(keep))
                + "\n"
                + "\n".join(self.item_line(i) for i in keep)
            )
        return "\n\n".join(lines)

    # ----------------------------------------------------------------- actions

    def view_action(self, view: CollectionView) -> tuple[str, str]:
        return (self.t("collection.button.view"), f"col:view:{view.id}")

    def staff_actions(self, view: CollectionView) -> Actions:
        rows: list[list[tuple[str, str]]] = [[self.view_action(view)]]
        if view.state != STATE_CLOSED and any(not i.needs_decision for i in view.unplanned):
            # Something of SEM's is ready for a round: the staff's list of rounds.
            rows.append([(self.t("collection.button.rounds"), "rnd:list")])
        if view.state != STATE_CLOSED:
            for item in view.awaiting_decision[:MAX_ITEM_BUTTONS]:
                rows.append(
                    [
                        (
                            self.t("collection.button.repair", tag=item.asset_tag),
                            f"col:dec:{item.id}:repair",
                        ),
                        (
                            self.t("collection.button.recycle", tag=item.asset_tag),
                            f"col:dec:{item.id}:recycle",
                        ),
                    ]
                )
        return actions(rows)

    def withdraw_actions(self, view: CollectionView) -> Actions:
        """« Retirer le signalement », on the card, while something is still to be done."""
        if view.state == STATE_CLOSED or not view.pending:
            return ()
        return actions([[(self.t("collection.button.withdraw"), f"col:wd:{view.id}")]])

    def body_actions(self, view: CollectionView) -> Actions:
        rows: list[list[tuple[str, str]]] = [[self.view_action(view)]]
        if view.to_remove:
            rows.append([(self.t("collection.button.removed"), f"col:rm:{view.id}")])
        return actions(rows)

    def card_actions(self, view: CollectionView, role: Role | str) -> Actions:
        """The buttons under the card for a person of ``role`` (without « Voir », which is
        the card itself): staff's repair or recycling of each SEM broken item, the body's
        agent's removal of its own, and the withdrawal while something is to be done."""
        if role == Role.STAFF:
            rows = self.staff_actions(view)
        elif can(role, Action.REMOVE_OWN_EQUIPMENT):
            rows = self.body_actions(view)
        else:
            rows = ()
        kept = tuple(tuple(b for b in row if not b.action.startswith("col:view:")) for row in rows)
        return tuple(row for row in kept if row) + self.withdraw_actions(view)

    # ----------------------------------------------------------------- confirmations

    def removal_confirmation(self, number: str, tags: Sequence[str], reference: str | None) -> str:
        """The body's agent asked to confirm the removal: the count, the flagging's number,
        the tags, and the recycling centre's receipt (or that there is none)."""
        text = self.t(
            "collection.removal.confirm", count=len(tags), number=number, items=", ".join(tags)
        )
        if reference:
            return text + "\n" + self.t("collection.removal.confirm_reference", reference=reference)
        return text + "\n" + self.t("collection.removal.confirm_no_reference")

    def removal_confirm_actions(self, nonce: str) -> Actions:
        """« Oui, retirés et recyclés » and « Annuler », naming the dialogue's ``nonce``."""
        return actions(
            [
                [(self.t("collection.removal.confirm_button"), f"col:rmok:{nonce}")],
                [(self.t("common.button.cancel"), f"col:rmno:{nonce}")],
            ]
        )

    def withdrawal_confirmation(self, number: str, tags: Sequence[str], reason: str) -> str:
        """Withdrawing asked to be confirmed: what goes back in service, and why."""
        return self.t(
            "collection.withdraw.confirm",
            number=number,
            count=len(tags),
            items=", ".join(tags),
            reason=reason,
        )

    def withdrawal_confirm_actions(self, number: str, nonce: str) -> Actions:
        """« Oui, retirer … » and « Annuler », naming the dialogue's ``nonce``."""
        return actions(
            [
                [
                    (
                        self.t("collection.withdraw.confirm_button", number=number),
                        f"col:wdok:{nonce}",
                    )
                ],
                [(self.t("common.button.cancel"), f"col:wdno:{nonce}")],
            ]
        )
