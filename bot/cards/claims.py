"""How a claim reads in a message: the card, the body's duties, notifications, reminders.

Shared by the report dialogue, the follow-up, the claim view and the reminder sweep, on
every front end, so that a claim looks the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from bot.domain.bodies import body_variant
from bot.domain.claims import RECOVERABLE_KINDS, ClaimState, late_from_the_start
from bot.i18n import I18n, Safe
from bot.services.claims import ClaimView, ItemView, Preview
from bot.services.delivery import Actions, actions

# A notice keeps well under Telegram's 4,096 characters: a long description is cut there
# (the card, /dossier, shows it whole).
NOTICE_DESCRIPTION = 1000


def _shortened(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
                lines.append(self.t("claim.duty.pending_line", duty=name))
            else:
                reference = (
                    self.t("claim.duty.reference", reference=duty.reference)
                    if duty.reference
                    else ""
                )
                lines.append(
                    self.t(
                        "claim.duty.done_line",
                        duty=name,
                        at=self.when(duty.done_at),
                        reference=Safe(reference),
                    )
                )
        return "\n".join(lines)

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
    ) -> str:
        return self.t(
            body_variant("claim.report.summary", preview.body_kind),
            kind=self.t(f"claim.kind.{kind}"),
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
                kind=self.t(f"claim.kind.{claim.kind.value}"),
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
        replaced = [
            i for i in claim.items if i.replacement_ordered_on or i.replacement_installed_on
        ]
        for item in replaced:
            if item.replacement_installed_on and item.new_value is not None:
                parts.append(
                    self.t(
                        "claim.card.installed",
                        tag=item.asset_tag or "",
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
        if claim.high_frequency:
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
                        what=self.t(f"timeline.{entry.action}"),
                    )
                )
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def commune_notice(self, claim: ClaimView) -> str:
        return self.t(
            "claim.notify.commune",
            number=claim.number,
            kind=self.t(f"claim.kind_word.{claim.kind.value}"),
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

    def staff_notice(self, claim: ClaimView) -> str:
        return self.t(
            body_variant("claim.notify.staff", claim.body_kind),
            body=claim.body_name,
            number=claim.number,
            kind=self.t(f"claim.kind_word.{claim.kind.value}"),
            school=claim.school_name,
            commune=claim.commune_name,
            reporter=claim.reporter_name,
            deadline=self.when(claim.deadline),
            total=self.money(claim.total_refund),
            flag=Safe("\n".join(self._staff_flags(claim))),
        )

    def _staff_flags(self, claim: ClaimView) -> list[str]:
        flags = []
        if late_from_the_start(claim.kind, claim.discovered_at, claim.created_at):
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

    def staff_actions(self, claim: ClaimView) -> Actions:
        rows: list[list[tuple[str, str]]] = []
        if claim.state is ClaimState.CLOSED:
            rows = [[(self.t("claim.button.view"), f"clm:view:{claim.id}")]]
            if claim.kind in RECOVERABLE_KINDS and claim.recovery_told_at is None:
                # Stolen items found after the insurer paid (the claim closed as paid).
                rows.append([(self.t("claim.button.recovery"), f"clm:recov:{claim.id}")])
            return actions(rows)
        if claim.pledge is not None and claim.completed_on is None:
            rows.append([(self.t("claim.button.complete"), f"clm:complete:{claim.id}")])
        if claim.pledge is not None:
            rows.append([(self.t("claim.button.payment"), f"clm:pay:{claim.id}")])
        row = [(self.t("claim.button.replacement"), f"clm:repl:{claim.id}")]
        if claim.kind in RECOVERABLE_KINDS:  # found again: only what was taken (art. 6)
            row.append((self.t("claim.button.recovery"), f"clm:recov:{claim.id}"))
        rows.append(row)
        rows.append([(self.t("claim.button.close"), f"clm:close:{claim.id}")])
        return actions(rows)
