"""How a notice reads in a message (works, fibre, class changes, the school network): the
card, the staff's notice, the body's recommendations and the actions, for any messenger."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.domain.notices import ClassChange, NoticeKind, WorksKind
from bot.domain.roles import Role
from bot.i18n import I18n, Safe
from bot.services.claims import TimelineEntry
from bot.services.delivery import Actions, actions
from bot.services.notices import STATE_CLOSED, NoticeView, RoomItem, TrainingNeedView

# Equipment lines shown in a works notice; beyond, a count (the card stays readable).
MAX_EQUIPMENT_LINES = 15


class NoticeCard:
    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def what(self, view: NoticeView) -> str:
        """« Travaux : rénovation », « Fermeture de classe », « Fibre : école éligible »."""
        return self.t(f"notice.what.{view.kind.value}.{view.subkind or 'none'}")

    def period(self, view: NoticeView) -> str:
        if view.starts_on is None:
            return ""
        start = self.i18n.date(self.lang, view.starts_on)
        if view.kind is NoticeKind.CLASS:
            return self.t("notice.card.on", day=start)
        if view.ends_on is None:
            return self.t("notice.card.from", start=start)
        return self.t(
            "notice.card.period", start=start, end=self.i18n.date(self.lang, view.ends_on)
        )

    def equipment_lines(self, view: NoticeView) -> str:
        if not view.equipment:
            return self.t("notice.card.no_equipment")
        lines = [
            self.t(
                "notice.card.equipment_line",
                tag=item.asset_tag,
                what=", ".join(
                    p for p in (self.i18n.equipment_type(self.lang, item.type), item.model) if p
                ),
                room=item.room or self.t("notice.card.room_unknown"),
            )
            for item in view.equipment[:MAX_EQUIPMENT_LINES]
        ]
        if len(view.equipment) > MAX_EQUIPMENT_LINES:
            lines.append(
                self.t(
                    "notice.card.equipment_more", count=len(view.equipment) - MAX_EQUIPMENT_LINES
                )
            )
        return "\n".join(lines)

    def timeline_what(self, entry: TimelineEntry) -> str:
        key = f"timeline.{entry.action}"
        if not self.i18n.has(key):
            key = "timeline.notice.other"
        return self.t(key, **{k: v for k, v in entry.details.items() if isinstance(v, str | int)})

    def card(self, view: NoticeView, *, timeline: bool = False) -> str:
        parts = [
            self.t(
                "notice.card.head",
                number=view.number,
                what=self.what(view),
                school=view.school_name,
                uai=view.school_uai,
                commune=view.commune_name,
                reporter=view.reporter_name,
                at=self.i18n.datetime(self.lang, view.created_at),
                state=self.t(f"notice.state.{view.state}"),
            )
        ]
        details: list[str] = []
        if period := self.period(view):
            details.append(period)
        if view.class_name:
            details.append(
                self.t("notice.card.class", name=view.class_name, level=view.class_level or "—")
            )
        if view.rooms:
            details.append(self.t("notice.card.rooms", rooms=view.rooms))
        if view.new_school_name:
            details.append(self.t("notice.card.move_to_school", school=view.new_school_name))
        if view.new_address:
            details.append(self.t("notice.card.move_to_address", address=view.new_address))
        if view.description:
            details.append(self.t("notice.card.description", text=view.description))
        if view.collection_number:
            details.append(self.t("notice.card.collection", number=view.collection_number))
        if view.attachments:
            details.append(self.t("notice.card.attachments", count=view.attachments))
        if details:
            parts.append("\n".join(details))
        if view.kind is NoticeKind.WORKS:
            parts.append(
                self.t(
                    "notice.card.equipment_head", count=len(view.equipment), total=view.sem_items
                )
                + "\n"
                + self.equipment_lines(view)
            )
        if timeline and view.timeline:
            lines = [self.t("claim.card.timeline")]
            lines.extend(
                self.t(
                    "claim.timeline.line",
                    at=self.i18n.datetime(self.lang, e.at, short=True),
                    who=e.actor or self.t("claim.timeline.system"),
                    what=Safe(self.timeline_what(e)),
                )
                for e in view.timeline
            )
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def recommendations(self, view: NoticeView) -> str:
        """SEM's standing recommendations for these works, as a message the body can
        forward to whoever does the works (art. 2)."""
        lines = [
            self.t(
                "notice.recommend.head",
                number=view.number,
                what=self.what(view),
                school=view.school_name,
            )
        ]
        lines.extend(self.t(f"notice.recommend.{r.value}") for r in view.recommendations)
        lines.append(self.t("notice.recommend.foot"))
        return "\n".join(lines)

    def training_reason(self, need: TrainingNeedView) -> str:
        """« changement de structure (fermeture de classe) », or the reason alone."""
        key = f"notice.training.reason.{need.reason.value}"
        if need.change:
            return self.t(f"{key}_{need.change}")
        return self.t(key)

    def training_line(self, need: TrainingNeedView) -> str:
        return self.t(
            "notice.training.line",
            school=need.school_name,
            uai=need.school_uai,
            reason=self.training_reason(need),
            note=need.note or "",
            at=self.i18n.date(self.lang, need.created_at.date()),
        )

    # ----------------------------------------------------------------- actions

    def view_action(self, view: NoticeView) -> tuple[str, str]:
        return (self.t("notice.button.view"), f"ntc:view:{view.id}")

    def staff_actions(self, view: NoticeView) -> Actions:
        rows: list[list[tuple[str, str]]] = [[self.view_action(view)]]
        if view.state != STATE_CLOSED:
            if view.is_move and view.acknowledged_at is None:
                rows.append([(self.t("notice.button.confirm_move"), f"ntc:move:{view.id}")])
            elif view.kind is NoticeKind.FIBRE:
                key = "fibre_ordered" if view.acknowledged_at is None else "fibre_done"
                rows.append([(self.t(f"notice.button.{key}"), f"ntc:fibre:{view.id}")])
            elif view.kind in (NoticeKind.WORKS, NoticeKind.CLASS) and view.acknowledged_at is None:
                rows.append([(self.t("notice.button.acknowledge"), f"ntc:ack:{view.id}")])
            if self.may_collect(view):
                rows.append([(self.t("notice.button.collect"), f"ntc:collect:{view.id}")])
        return actions(rows)

    @staticmethod
    def may_collect(view: NoticeView) -> bool:
        """Staff may plan a collection from works still open, with SEM's equipment in the
        rooms concerned, when none is planned yet."""
        return (
            view.kind is NoticeKind.WORKS
            and view.state != STATE_CLOSED
            and bool(view.equipment)
            and view.collection_id is None
        )

    def item_label(self, item: RoomItem) -> str:
        """« SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2 » (HTML-escaped, as every text
        of the catalogs; unescape it for a button)."""
        return self.t(
            "notice.collect.item",
            tag=item.asset_tag,
            what=", ".join(
                p for p in (self.i18n.equipment_type(self.lang, item.type), item.model) if p
            ),
            room=item.room or self.t("notice.card.room_unknown"),
        )

    def body_actions(self, view: NoticeView) -> Actions:
        rows: list[list[tuple[str, str]]] = [[self.view_action(view)]]
        if view.state != STATE_CLOSED:
            if view.kind is NoticeKind.NETWORK:
                rows.append([(self.t("notice.button.disconnected"), f"ntc:off:{view.id}")])
            elif view.kind is NoticeKind.WORKS and view.subkind != WorksKind.MOVE:
                rows.append([(self.t("notice.button.back_in_place"), f"ntc:back:{view.id}")])
        return actions(rows)

    def school_actions(self, view: NoticeView) -> Actions:
        """What a head is offered on a notice of their school."""
        rows: list[list[tuple[str, str]]] = [[self.view_action(view)]]
        if (
            view.state != STATE_CLOSED
            and view.kind is NoticeKind.WORKS
            and view.subkind != WorksKind.MOVE
        ):
            rows.append([(self.t("notice.button.back_in_place"), f"ntc:back:{view.id}")])
        return actions(rows)

    def card_actions(self, view: NoticeView, role: Role | str) -> Actions:
        """The buttons under the card for a person of ``role`` (without « Voir », which is
        the card itself): staff's, the body's agent's, a head's; none for a teacher."""
        if role == Role.STAFF:
            rows = self.staff_actions(view)
        elif role == Role.COMMUNE:
            rows = self.body_actions(view)
        elif role == Role.DIRECTOR:
            rows = self.school_actions(view)
        else:
            return ()
        kept = tuple(tuple(b for b in row if not b.action.startswith("ntc:view:")) for row in rows)
        return tuple(row for row in kept if row)

    # ----------------------------------------------------------------- a move

    def move_confirmation(self, view: NoticeView) -> str:
        """Staff asked to confirm a move: what moves (the inventory, to which school) or
        that the school settles at a new address, keeping its inventory."""
        key = (
            "notice.move.confirm_school" if view.new_school_name else "notice.move.confirm_address"
        )
        return self.t(
            key,
            number=view.number,
            school=view.school_name,
            target=view.new_school_name or view.new_address or "",
            count=view.inventory,
        )

    def move_confirm_actions(self, view: NoticeView) -> Actions:
        return actions(
            [
                [
                    (
                        self.t("notice.move.confirm_button", number=view.number),
                        f"ntc:moveok:{view.id}",
                    )
                ],
                [(self.t("common.button.cancel"), f"ntc:moveno:{view.id}")],
            ]
        )

    # ----------------------------------------------------------------- a collection from works

    def item_button(self, item: RoomItem, *, ticked: bool) -> str:
        """« ☑️ SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2 », as plain text (a button's
        or an option's label)."""
        key = "notice.collect.ticked" if ticked else "notice.collect.unticked"
        return html.unescape(self.t(key, label=Safe(self.item_label(item))))

    def collect_toggles(self, items: Sequence[RoomItem], ticked: Sequence[bool]) -> Actions:
        """The items as toggles (``ntc:ct:<n>``) and « Continuer ▶️ (n choisis) »."""
        rows = [
            [(self.item_button(item, ticked=on), f"ntc:ct:{index}")]
            for index, (item, on) in enumerate(zip(items, ticked, strict=True))
        ]
        rows.append([(self.items_done(sum(ticked)), "ntc:cdone")])
        return actions(rows)

    def items_done(self, count: int) -> str:
        return self.t("notice.collect.items_done", count=count)

    def collect_lines(self, items: Sequence[RoomItem]) -> str:
        """One line per item: its tag, what it is and its room."""
        return "\n".join(
            self.t(
                "notice.collect.line",
                tag=item.asset_tag,
                what=", ".join(
                    p for p in (self.i18n.equipment_type(self.lang, item.type), item.model) if p
                ),
                room=item.room or self.t("notice.card.room_unknown"),
            )
            for item in items
        )

    def collect_confirmation(
        self, number: str, school: str, items: Sequence[RoomItem], place: str
    ) -> str:
        """The collection asked to be confirmed: the items named, where they are gathered."""
        return self.t(
            "notice.collect.confirm",
            count=len(items),
            number=number,
            school=school,
            items=Safe(self.collect_lines(items)),
            place=place,
        )

    def collect_confirm_actions(self, nonce: str) -> Actions:
        """« Planifier la collecte » and « Annuler », naming the dialogue's ``nonce``."""
        return actions(
            [
                [(self.t("notice.collect.confirm_button"), f"ntc:cok:{nonce}")],
                [(self.t("common.button.cancel"), f"ntc:cno:{nonce}")],
            ]
        )

    def collect_told(
        self, number: str, school: str, collection: str, items: Sequence[RoomItem], place: str
    ) -> str:
        """A head told SEM will collect the items, gathered where said."""
        return self.t(
            "notice.collect.school_told",
            number=number,
            school=school,
            collection=collection,
            items=Safe(self.collect_lines(items)),
            place=place,
        )

    def is_closure(self, view: NoticeView) -> bool:
        return view.kind is NoticeKind.CLASS and view.subkind == ClassChange.CLOSING
