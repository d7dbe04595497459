"""How collection rounds and maintenance visits read, for any messenger: the staff's list
of what is to plan, a round with its stops, the schools' notices and reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.cards.collections import CollectionCard
from bot.domain.collections import RoundKind
from bot.i18n import I18n, Safe
from bot.services.collections import Availability
from bot.services.delivery import Actions, actions
from bot.services.rounds import PendingBody, PendingSchool, Proposal, RoundView, StopView


class RoundCard:
    """Renders round texts and actions in one language."""

    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang
        self.items = CollectionCard(i18n, lang)

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def day(self, value: date) -> str:
        return self.i18n.date(self.lang, value)

    def kind(self, kind: RoundKind | str) -> str:
        return self.t(f"round.kind.{RoundKind(kind).value}")

    # ----------------------------------------------------------------- staff's list

    def pending_line(self, school: PendingSchool) -> str:
        parts = [
            self.t(
                "round.list.school",
                school=school.school_name,
                uai=school.school_uai,
                number=school.number,
            ),
            self.t("round.list.counts", count=school.broken + school.unused)
            + " "
            + self.t(
                "round.list.split",
                broken=school.broken,
                unused=school.unused,
            ),
            self.t("round.list.age", count=school.age_days)
            if school.age_days
            else self.t("round.list.age_today"),
        ]
        if school.to_decide:
            parts.append(self.t("round.list.to_decide", count=school.to_decide))
        if school.missing:
            parts.append(self.t("round.list.missing", count=school.missing))
        if school.weekdays or school.in_holidays:
            parts.append(
                self.t(
                    "round.list.availability",
                    availability=self.items.availability(
                        Availability(school.weekdays, school.hours, school.in_holidays)
                    ),
                )
            )
        return " · ".join(parts[:1]) + "\n   " + " · ".join(parts[1:])

    def pending(self, bodies: Sequence[PendingBody], picked: Sequence[int], kind: str) -> str:
        if not bodies:
            return self.t("round.list.empty")
        lines = [self.t("round.list.title")]
        for body in bodies:
            lines.append(self.t("round.list.body", body=body.body_name))
            for school in body.schools:
                mark = "☑️" if school.collection_id in picked else "▫️"
                lines.append(f"{mark} {self.pending_line(school)}")
        lines.append(self.t(f"round.list.pick_{kind}", count=len(picked)))
        return "\n".join(lines)

    def round_line(self, view: RoundView) -> str:
        return self.t(
            f"round.line.{view.kind.value}",
            day=self.day(view.day),
            count=len(view.stops),
            schools=", ".join(s.school_name for s in view.stops),
        )

    def proposal(self, proposal: Proposal, *, typed: bool = False) -> str:
        key = "round.proposal.in_holidays" if proposal.in_holidays else "round.proposal.outside"
        if typed and proposal.in_holidays:
            key = "round.proposal.typed"
        return self.t(
            key,
            kind=self.kind(proposal.kind),
            kind_title=self.t(f"round.kind_title.{proposal.kind.value}"),
            day=self.day(proposal.day),
            count=len(proposal.schools),
            schools=", ".join(proposal.schools),
        )

    # ----------------------------------------------------------------- a round

    def stop_lines(self, stop: StopView) -> str:
        head = self.t(
            "round.card.stop",
            school=stop.school_name,
            uai=stop.school_uai,
            number=stop.number,
            place=stop.place,
        )
        lines = [head, *(self.items.item_line(i) for i in stop.items)]
        if stop.other_date_asked_at is not None:
            lines.append(self.t("round.card.other_date", note=stop.other_date_note or ""))
        return "\n".join(lines)

    def card(self, view: RoundView) -> str:
        parts = [
            self.t(
                f"round.card.head_{view.kind.value}",
                day=self.day(view.day),
                state=self.t(f"round.state.{view.state}"),
            )
        ]
        if not view.in_holidays:
            parts.append(self.t("round.card.outside_holidays"))
        if view.receipt_ref:
            parts.append(self.t("round.card.receipt", reference=view.receipt_ref))
        parts.extend(self.stop_lines(s) for s in view.stops)
        return "\n\n".join(parts)

    # ----------------------------------------------------------------- the schools

    def school_notice(self, view: RoundView, stop: StopView, what: str, **extra: object) -> str:
        """``what``: planned, moved, cancelled."""
        return self.t(
            f"round.notify.{what}_{view.kind.value}",
            school=stop.school_name,
            number=stop.number,
            day=self.day(view.day),
            items=Safe("\n".join(self.items.item_line(i) for i in stop.items)),
            place=stop.place,
            **extra,
        )

    def school_actions(self, stop: StopView) -> Actions:
        return actions([[(self.t("round.button.other_date"), f"rnd:other:{stop.id}")]])

    def reminder(self, view: RoundView, stop: StopView) -> str:
        return self.t(
            f"round.reminder.{view.kind.value}",
            school=stop.school_name,
            number=stop.number,
            day=self.day(view.day),
            items=Safe("\n".join(self.items.item_line(i) for i in stop.planned)),
            place=stop.place,
        )

    def other_date_notice(self, view: RoundView, stop: StopView, who: str) -> str:
        return self.t(
            "round.notify.other_date",
            kind=self.kind(view.kind),
            school=stop.school_name,
            number=stop.number,
            day=self.day(view.day),
            note=stop.other_date_note or "",
            who=who,
        )

    def staff_round_actions(self, view: RoundView) -> Actions:
        return actions([[(self.t("round.button.view"), f"rnd:view:{view.id}")]])
