"""How a claim reads in a message: the card, the body's duties, notifications, reminders.

Shared by the report dialogue, the follow-up, the claim view and the reminder sweep, on
every front end, so that a claim looks the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum

from bot.domain.bodies import body_variant
from bot.domain.claims import (
    RECOVERABLE_KINDS,
    ClaimKind,
    ClaimState,
    DossierPiece,
    Duty,
    PaymentStatus,
    RecoveryOutcome,
    RecoveryState,
    late_from_the_start,
    late_units,
)
from bot.domain.text import cut
from bot.i18n import I18n, Safe
from bot.services.claims import ClaimView, ItemView, Preview, RecoveryView, TimelineEntry
from bot.services.delivery import Actions, actions

# A notice keeps well under Telegram's 4,096 characters: a long description is cut there
# (the card, /dossier, shows it whole).
NOTICE_DESCRIPTION = 1000


def _shortened(text: str, limit: int) -> str:
    text = text.strip()
    return cut(text, limit)


class ClaimCard:
    """Renders claim texts and their actions in one language, for any messenger."""

    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def when(self, at: datetime) -> str:
        return self.i18n.datetime(self.lang, at)

    def money(self, amount: Decimal) -> str:
        return self.i18n.money(self.lang, amount)

    def for_body(self, key: str, body_kind: str | None) -> str:
        """The key worded for the claim's body: its ``_body`` variant (« l'organisme
        gestionnaire ») for an OGEC or an institute when the catalog has one, else ``key``
        (a state such as « remboursé » names nobody and has no variant)."""
        variant = body_variant(key, body_kind)
        return variant if self.i18n.has(variant) else key

    def state(self, state: str, body_kind: str | None) -> str:
        return self.t(self.for_body(f"claim.state.{state}", body_kind))

    def mode(self, mode: str, body_kind: str | None) -> str:
        return self.t(self.for_body(f"claim.mode.{mode}", body_kind))

    def kind(self, kind: str, cause: str | None = None, *, word: bool = False) -> str:
        """« Vol », or for a damage with its cause « Dégradation (vandalisme) »; as a
        ``word`` within a sentence, in lower case: « dégradation (vandalisme) »."""
        name = self.t(f"claim.kind_word.{kind}" if word else f"claim.kind.{kind}")
        if cause is None:
            return name
        template = "claim.kind_word_with_cause" if word else "claim.kind_with_cause"
        return self.t(template, kind=name, cause=self.t(f"claim.cause.{cause}"))

    def late(self, late: timedelta) -> str:
        """« 3 h », « 20 min », « 4 jours »."""
        unit, count = late_units(late)
        return self.t(f"claim.late.{unit}", count=count)

    def duty_phrases(self, duties: Sequence[Duty]) -> str:
        """« déclarer le sinistre …, prévenir la police … et déposer plainte »."""
        phrases = [self.t(f"claim.duty_phrase.{d.value}") for d in duties]
        if len(phrases) <= 1:
            return "".join(phrases)
        return self.t("claim.list.and", first=", ".join(phrases[:-1]), last=phrases[-1])

    def checklist_lines(self, claim: ClaimView) -> str:
        """Each piece of the complete dossier: in (with how many files) or missing."""
        lines = []
        for line in claim.checklist:
            name = self.t(f"claim.piece.{line.piece.value}")
            if line.present:
                lines.append(self.t("claim.checklist.present", count=line.present, piece=name))
            else:
                lines.append(self.t("claim.checklist.missing", piece=name))
        return "\n".join(lines)

    def pieces(self, pieces: Sequence[DossierPiece]) -> str:
        """« le devis ou la facture et le récépissé de plainte »."""
        names = [self.t(f"claim.piece_named.{p.value}") for p in pieces]
        if len(names) <= 1:
            return "".join(names)
        return self.t("claim.list.and", first=", ".join(names[:-1]), last=names[-1])

    def checklist_section(self, claim: ClaimView) -> str:
        return (
            self.t("claim.checklist.title")
            + "\n"
            + self.checklist_lines(claim)
            + (
                "\n" + self.t(body_variant("claim.checklist.to_send", claim.body_kind))
                if claim.missing_pieces and claim.completed_on is None
                else ""
            )
        )

    # --- parts ------------------------------------------------------------------------

    def item_line(self, item: ItemView, body_kind: str | None = None) -> str:
        name = item.asset_tag or self.t("claim.item.no_tag")
        what = (
            f"{self.i18n.equipment_type(self.lang, item.type)} — {item.model}"
            if item.known and item.type
            else (item.description or "")
        )
        if not item.covered:
            value = self.t(body_variant("claim.item.commune_owned", body_kind))
        elif item.refund is None:
            value = self.t("claim.item.to_estimate")
        else:
            assert item.value is not None and item.share is not None
            value = self.t(
                "claim.item.refund",
                value=self.money(item.value),
                share=f"{int(item.share * 100)} %",
                refund=self.money(item.refund),
            )
        line = self.t("claim.item.line", tag=name, what=what, value=Safe(value))
        if item.replaceable is False:
            line += "\n" + self.t("claim.item.not_replaced")
        if item.damage is not None:
            line += "\n" + self.t(
                "claim.item.recovered",
                damage=self.money(item.damage),
                due=self.money(item.due)
                if item.due is not None
                else self.t("claim.item.to_estimate"),
            )
        return line

    def items(
        self,
        items: Sequence[ItemView],
        total: Decimal,
        unknown: int,
        body_kind: str | None = None,
    ) -> str:
        lines = [self.item_line(item, body_kind) for item in items]
        lines.append(self.t("claim.refund.total", total=self.money(total)))
        if unknown:
            lines.append(self.t("claim.refund.unknown_warning", count=unknown))
        return "\n".join(lines)

    def duty_lines(self, claim: ClaimView) -> str:
        lines = []
        for duty in claim.duties:
            name = self.t(f"claim.duty.{duty.duty.value}")
            if duty.done_at is None:
                line = self.t("claim.duty.pending_line", duty=name)
                if duty.overdue_by is not None:
                    line += self.t("claim.duty.overdue", late=self.late(duty.overdue_by))
                lines.append(line)
            else:
                reference = (
                    self.t("claim.duty.reference", reference=duty.reference)
                    if duty.reference
                    else ""
                )
                line = self.t(
                    "claim.duty.done_line",
                    duty=name,
                    at=self.when(duty.done_at),
                    reference=Safe(reference),
                )
                if duty.late_by is not None:
                    line += self.t("claim.duty.done_late", late=self.late(duty.late_by))
                lines.append(line)
        return "\n".join(lines)

    def payment_lines(self, claim: ClaimView) -> str:
        lines = [self.t("claim.card.payment_list")]
        for payment in claim.payments:
            lines.append(
                self.t(
                    f"claim.card.payment.{payment.status.value}",
                    amount=self.money(payment.amount),
                    paid_on=self.i18n.date(self.lang, payment.paid_on),
                    payer=self.payer(payment.payer.value, claim.body_kind),
                )
            )
        return "\n".join(lines)

    def payer(self, payer: str, body_kind: str | None) -> str:
        return self.t(self.for_body(f"claim.payer.{payer}", body_kind))

    def payee(self, payee: str, body_kind: str | None) -> str:
        return self.t(self.for_body(f"claim.payee.{payee}", body_kind))

    def indemnity_line(self, claim: ClaimView) -> str:
        indemnity = claim.indemnity
        assert indemnity is not None
        return self.t(
            "claim.card.indemnity",
            payee=self.payee(indemnity.payee.value, claim.body_kind),
            paid_on=self.i18n.date(self.lang, indemnity.paid_on),
            amount=(
                self.money(indemnity.amount)
                if indemnity.amount is not None
                else self.t("claim.card.indemnity_amount_unknown")
            ),
        )

    def recovery_lines(self, claim: ClaimView, recovery: RecoveryView) -> str:
        if recovery.state is RecoveryState.DISMISSED:  # its items are free again (0027)
            return self.t(
                "claim.card.recovery_dismissed",
                told=self.when(recovery.told_at),
                reason=recovery.reason or "",
            )
        state = recovery.state.value
        if recovery.state is RecoveryState.CONFIRMED and recovery.outcome is not None:
            state = f"confirmed_{recovery.outcome.value}"
        lines = [
            self.t(
                "claim.card.recovery",
                items=", ".join(recovery.items),
                told=self.when(recovery.told_at),
                state=self.t(self.for_body(f"claim.recovery_state.{state}", claim.body_kind)),
            )
        ]
        if recovery.outcome is RecoveryOutcome.AFTER_INDEMNITY and recovery.last_day is not None:
            if recovery.state is RecoveryState.CONFIRMED:
                lines.append(
                    self.t(
                        self.for_body("claim.card.recovery_window", claim.body_kind),
                        last_day=self.i18n.date(self.lang, recovery.last_day),
                    )
                )
            if recovery.state in (
                RecoveryState.CONFIRMED,
                RecoveryState.REQUESTED,
                RecoveryState.AGREED,
            ):
                lines.append(self.owed_back_line(claim, recovery))
        return "\n".join(lines)

    def owed_back_line(self, claim: ClaimView, recovery: RecoveryView) -> str:
        if recovery.owed_back is None:
            return self.t(
                self.for_body("claim.card.owed_back_unknown", claim.body_kind),
                damage=self.money(recovery.damage),
            )
        return self.t(
            self.for_body("claim.card.owed_back", claim.body_kind),
            amount=self.money(recovery.owed_back),
            damage=self.money(recovery.damage),
        )

    # --- whole messages ------------------------------------------------------------------

    def summary(
        self,
        kind: str,
        school: str,
        preview: Preview,
        discovered: datetime,
        time_given: bool,
        description: str,
        files: int,
        cause: str | None = None,
    ) -> str:
        return self.t(
            body_variant("claim.report.summary", preview.body_kind),
            kind=self.kind(kind, cause),
            duties=Safe(self.duty_phrases(preview.duties)),
            school=school,
            discovered=self.when(discovered),
            assumed=Safe("" if time_given else self.t("claim.report.hour_assumed")),
            items=Safe(
                self.items(preview.items, preview.total, preview.unknown_count, preview.body_kind)
            ),
            deadline=self.when(preview.deadline),
            description=description,
            files=files,
        )

    def card(self, claim: ClaimView, *, timeline: bool = False) -> str:
        """The claim in full, for whoever may see it."""
        parts = [
            self.t(
                body_variant("claim.card.header", claim.body_kind),
                body=claim.body_name,
                number=claim.number,
                kind=self.kind(claim.kind.value, claim.damage_cause),
                state=self.state(claim.state.value, claim.body_kind),
                school=claim.school_name,
                uai=claim.school_uai,
                commune=claim.commune_name,
                reporter=claim.reporter_name,
                discovered=self.when(claim.discovered_at),
                deadline=self.when(claim.deadline),
            ),
            self.t("claim.card.description", description=claim.description),
            self.items(claim.items, claim.total_refund, claim.unknown_count, claim.body_kind),
            self.t(body_variant("claim.card.duties", claim.body_kind))
            + "\n"
            + self.duty_lines(claim),
            self.checklist_section(claim),
        ]
        if claim.pledge is not None:
            parts.append(
                self.t(
                    "claim.card.pledge",
                    amount=self.money(claim.pledge.amount),
                    mode=self.mode(claim.pledge.mode.value, claim.body_kind),
                    planned=self.i18n.date(self.lang, claim.pledge.planned_on),
                )
            )
        if claim.completed_on is not None and claim.payment_deadline is not None:
            parts.append(
                self.t(
                    "claim.card.complete",
                    completed=self.i18n.date(self.lang, claim.completed_on),
                    pay_by=self.i18n.date(self.lang, claim.payment_deadline),
                )
            )
        if claim.amount_due is not None:
            parts.append(
                self.t(
                    "claim.card.payments",
                    due=self.money(claim.amount_due),
                    paid=self.money(claim.paid),
                    outstanding=self.money(claim.outstanding or Decimal(0)),
                )
            )
        if claim.payments:
            parts.append(self.payment_lines(claim))
        if claim.indemnity is not None:
            parts.append(self.indemnity_line(claim))
        for recovery in claim.recoveries:
            parts.append(self.recovery_lines(claim, recovery))
        replaced = [
            i for i in claim.items if i.replacement_ordered_on or i.replacement_installed_on
        ]
        for item in replaced:
            if item.replacement_installed_on and item.new_value is not None:
                parts.append(
                    self.t(
                        "claim.card.installed_as"
                        if item.replacement_tag
                        else "claim.card.installed",
                        tag=item.asset_tag or "",
                        new_tag=item.replacement_tag or "",
                        on=self.i18n.date(self.lang, item.replacement_installed_on),
                        value=self.money(item.new_value),
                    )
                )
            elif item.replacement_ordered_on:
                parts.append(
                    self.t(
                        "claim.card.ordered",
                        tag=item.asset_tag or "",
                        on=self.i18n.date(self.lang, item.replacement_ordered_on),
                    )
                )
        if claim.hold is not None:
            parts.append(
                self.t(
                    "hold.card.open",
                    since=self.i18n.date(
                        self.lang, claim.hold.placed_at.astimezone(self.i18n.tz).date()
                    ),
                    reason=claim.hold.reason,
                )
            )
        elif claim.high_frequency:
            parts.append(self.t("claim.card.high_frequency"))
        if claim.state is ClaimState.CLOSED and claim.closed_reason:
            parts.append(self.t("claim.card.closed_reason", reason=claim.closed_reason))
        if claim.attachments:
            parts.append(self.t("claim.card.attachments", count=claim.attachments))
        if timeline and claim.timeline:
            lines = [self.t("claim.card.timeline")]
            for entry in claim.timeline:
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

    def timeline_what(self, entry: TimelineEntry) -> str:
        """What an audit entry says in the timeline; a recomputed amount due names both
        amounts, a dismissed recovery its items and reason."""
        if entry.action == "claim.amount_due_changed":
            return self.t(
                "timeline.claim.amount_due_changed_to",
                before=self.money(Decimal(entry.details["before"])),
                after=self.money(Decimal(entry.details["after"])),
            )
        if entry.action == "claim.recovery_dismissed" and "reason" in entry.details:
            return self.t(
                "timeline.claim.recovery_dismissed_items",
                items=", ".join(entry.details.get("items") or []),
                reason=entry.details["reason"],
            )
        return self.t(f"timeline.{entry.action}")

    def commune_notice(self, claim: ClaimView) -> str:
        notice = self.t(
            "claim.notify.commune",
            number=claim.number,
            kind=self.kind(claim.kind.value, claim.damage_cause, word=True),
            school=claim.school_name,
            reporter=claim.reporter_name,
            discovered=self.when(claim.discovered_at),
            description=_shortened(claim.description, NOTICE_DESCRIPTION),
            files=Safe(
                "\n" + self.t("claim.notify.files", count=claim.attachments)
                if claim.attachments
                else ""
            ),
            deadline=self.when(claim.deadline),
            duties=Safe(self.duty_lines(claim)),
            items=Safe(
                self.items(claim.items, claim.total_refund, claim.unknown_count, claim.body_kind)
            ),
            not_replaced=Safe(
                self.t("claim.notify.not_replaced_why") if claim.not_replaced else ""
            ),
        )
        if late_from_the_start(
            claim.kind, claim.discovered_at, claim.created_at, claim.damage_cause
        ):  # found out late: the duties are overdue from the first message
            notice += "\n\n" + self.t(
                "claim.notify.late_from_the_start_body",
                discovered=self.when(claim.discovered_at),
                deadline=self.when(claim.deadline),
            )
        # What the complete dossier will need: the body sends it as it comes.
        return notice + "\n\n" + self.checklist_section(claim)

    def staff_notice(self, claim: ClaimView) -> str:
        return self.t(
            body_variant("claim.notify.staff", claim.body_kind),
            body=claim.body_name,
            number=claim.number,
            kind=self.kind(claim.kind.value, claim.damage_cause, word=True),
            school=claim.school_name,
            commune=claim.commune_name,
            reporter=claim.reporter_name,
            deadline=self.when(claim.deadline),
            total=self.money(claim.total_refund),
            flag=Safe("\n".join(self._staff_flags(claim))),
        )

    def _staff_flags(self, claim: ClaimView) -> list[str]:
        flags = []
        if late_from_the_start(
            claim.kind, claim.discovered_at, claim.created_at, claim.damage_cause
        ):
            flags.append(
                self.t(
                    "claim.notify.late_from_the_start",
                    discovered=self.when(claim.discovered_at),
                    deadline=self.when(claim.deadline),
                )
            )
        if claim.high_frequency:
            flags.append(self.t("claim.card.high_frequency"))
        return flags

    # --- actions ---------------------------------------------------------------------

    def duty_actions(self, claim: ClaimView) -> Actions:
        rows: list[list[tuple[str, str]]] = [
            [
                (
                    self.t("claim.button.duty", duty=self.t(f"claim.duty.{d.value}")),
                    f"clm:duty:{claim.id}:{d.value}",
                )
            ]
            for d in claim.pending_duties
        ]
        if (
            claim.state in (ClaimState.REPORTED, ClaimState.DECLARED, ClaimState.PLEDGED)
            and claim.completed_on is None
        ):
            rows.append([(self.t("claim.button.pledge"), f"clm:pledge:{claim.id}")])
        if claim.attachments:
            # The reporter's photos and documents, sent again on demand (tk:files).
            rows.append(
                [(self.t("claim.button.files", count=claim.attachments), f"tk:files:{claim.id}")]
            )
        rows.append([(self.t("claim.button.attach"), f"clm:attach:{claim.id}")])
        return actions(rows)

    def body_actions(self, claim: ClaimView) -> Actions:
        """What the body may do from the claim's card: its duties and pledge, and also say
        that items were found, that the insurer paid it, that it paid SEM, and ask to take
        back items found after the indemnity."""
        rows: list[list[tuple[str, str]]] = [
            [(b.label, b.action) for b in row] for row in self.duty_actions(claim)
        ]
        rows.extend(self._recovery_answers(claim, staff=False))
        if self._recoverable(claim):
            rows.append([(self.t("claim.button.recovery"), f"clm:recov:{claim.id}")])
        if claim.indemnity is None:
            rows.append([(self.t("claim.button.indemnity"), f"clm:indem:{claim.id}")])
        if (
            claim.state is not ClaimState.CLOSED
            and claim.pledge is not None
            and (claim.outstanding or Decimal(0)) > 0
        ):
            rows.append([(self.t("claim.button.body_payment"), f"clm:bpay:{claim.id}")])
        return actions(rows)

    def recovery_request_actions(self, claim: ClaimView, recovery: RecoveryView) -> Actions:
        return actions(
            [[(self.t("claim.button.recovery_request"), f"clm:recreq:{claim.id}:{recovery.id}")]]
        )

    def _recoverable(self, claim: ClaimView) -> bool:
        """Found again: only what was taken or lost (art. 6), and not yet found."""
        return claim.kind in RECOVERABLE_KINDS and bool(claim.not_recovered)

    def _recovery_answers(self, claim: ClaimView, *, staff: bool) -> list[list[tuple[str, str]]]:
        rows: list[list[tuple[str, str]]] = []
        for r in claim.recoveries:
            items = ", ".join(r.items)
            if staff and r.state is RecoveryState.REPORTED:
                rows.append(
                    [
                        (
                            self.t("claim.button.recovery_confirm", items=items),
                            f"clm:recok:{claim.id}:{r.id}",
                        )
                    ]
                )
                # The items were not in fact found: staff dismiss the report (0027).
                rows.append(
                    [(self.t("claim.button.recovery_dismiss"), f"clm:recdis:{claim.id}:{r.id}")]
                )
            elif staff and r.state is RecoveryState.REQUESTED:
                rows.append(
                    [
                        (
                            self.t("claim.button.recovery_agree"),
                            f"clm:recdec:{claim.id}:{r.id}:agree",
                        ),
                        (
                            self.t("claim.button.recovery_refuse"),
                            f"clm:recdec:{claim.id}:{r.id}:refuse",
                        ),
                    ]
                )
            elif (
                not staff
                and r.state is RecoveryState.CONFIRMED
                and r.outcome is RecoveryOutcome.AFTER_INDEMNITY
            ):
                rows.append(
                    [(self.t("claim.button.recovery_request"), f"clm:recreq:{claim.id}:{r.id}")]
                )
        return rows

    def _payment_reviews(self, claim: ClaimView) -> list[list[tuple[str, str]]]:
        return [
            [
                (
                    self.t("claim.button.payment_confirm", amount=self.money(p.amount)),
                    f"clm:pconf:{claim.id}:{p.id}",
                ),
                (self.t("claim.button.payment_reject"), f"clm:prej:{claim.id}:{p.id}"),
            ]
            for p in claim.payments
            if p.status is PaymentStatus.PENDING
        ]

    def staff_actions(self, claim: ClaimView) -> Actions:
        rows: list[list[tuple[str, str]]] = []
        if claim.state is ClaimState.CLOSED:
            rows = [[(self.t("claim.button.view"), f"clm:view:{claim.id}")]]
            if self._recoverable(claim):
                # Items found after the insurer paid (the claim closed as paid).
                rows.append([(self.t("claim.button.recovery"), f"clm:recov:{claim.id}")])
            rows.extend(self._recovery_answers(claim, staff=True))
            if claim.indemnity is None:
                rows.append([(self.t("claim.button.indemnity"), f"clm:indem:{claim.id}")])
            return actions(rows)
        rows.extend(self._payment_reviews(claim))
        rows.extend(self._recovery_answers(claim, staff=True))
        if claim.pledge is not None and claim.completed_on is None:
            rows.append([(self.t("claim.button.complete"), f"clm:complete:{claim.id}")])
        if claim.pledge is not None:
            rows.append([(self.t("claim.button.payment"), f"clm:pay:{claim.id}")])
        row = [(self.t("claim.button.replacement"), f"clm:repl:{claim.id}")]
        # The security condition (art. 6): hold a flagged school's replacements, or lift it.
        if claim.hold_id is not None and claim.school_id is not None:
            rows.append([(self.t("hold.button.lift"), f"hold:lift:{claim.hold_id}")])
        elif claim.high_frequency and claim.school_id is not None:
            rows.append([(self.t("hold.button.place"), f"hold:place:{claim.school_id}")])
        if self._recoverable(claim):
            row.append((self.t("claim.button.recovery"), f"clm:recov:{claim.id}"))
        rows.append(row)
        if claim.indemnity is None:
            rows.append([(self.t("claim.button.indemnity"), f"clm:indem:{claim.id}")])
        if claim.kind is ClaimKind.DAMAGE:  # the reporter may have got the cause wrong
            rows.append([(self.t("claim.button.cause"), f"clm:cz:{claim.id}")])
        rows.append([(self.t("claim.button.close"), f"clm:close:{claim.id}")])
        return actions(rows)


def error_params(i18n: I18n, lang: str, params: Mapping[str, object]) -> dict[str, object]:
    """A domain error's values as the person reads them (money, dates, duties), for every
    front end."""
    out: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, Decimal):
            out[name] = i18n.money(lang, value)
        elif isinstance(value, datetime):
            out[name] = i18n.datetime(lang, value)
        elif isinstance(value, date):
            out[name] = i18n.date(lang, value)
        elif isinstance(value, Duty):
            out[name] = i18n.t(lang, f"claim.duty.{value.value}")
        elif isinstance(value, Enum) and isinstance(value.value, str):
            out[name] = value.value
        else:
            out[name] = value
    return out
