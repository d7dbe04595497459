"""The neutral texts of a delivery of new equipment and of the bodies' insurance
certificates (art. 6): what staff, the body's agents and the school's heads read."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.i18n import I18n, Safe
from bot.services.delivery import Actions, actions

if TYPE_CHECKING:
    from bot.services.call_delivery import Delivered, DeliveryPlan
    from bot.services.certificates import BodyCertificates, CertificateView

FILE = "cert:file:{id}"
ACCEPT = "cert:acc:{id}"
REFUSE = "cert:no:{id}"


class CertificateCard:
    """Renders the texts and actions of deliveries and certificates in one language."""

    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def day(self, value: date | None) -> str:
        return self.i18n.date(self.lang, value) if value is not None else ""

    def local_day(self, value: datetime) -> date:
        return value.astimezone(self.i18n.tz).date()

    # ----------------------------------------------------------------- certificates

    def state(self, view: CertificateView) -> str:
        return self.t(f"cert.state.{view.state}")

    def validity(self, view: CertificateView) -> str:
        if view.valid_from is None or view.valid_until is None:
            return self.t("cert.no_dates")
        return self.t(
            "cert.validity", start=self.day(view.valid_from), end=self.day(view.valid_until)
        )

    def line(self, view: CertificateView) -> str:
        """« • Refusée — demandée le … — valable du … au … — « motif » »."""
        parts = [
            self.t(
                "cert.line", state=self.state(view), asked=self.day(self.local_day(view.asked_at))
            ),
        ]
        if view.valid_from is not None:
            parts.append(self.validity(view))
        if view.ticket_number:
            parts.append(self.t("cert.line.ticket", number=view.ticket_number))
        if view.state == "refused" and view.refusal_reason:
            parts.append(self.t("cert.line.reason", reason=view.refusal_reason))
        return " — ".join(parts)

    def body_block(self, body: BodyCertificates, *, limit: int = 5) -> str:
        lines = [self.t("cert.list.body", body=body.body_name)]
        lines += [self.line(v) for v in body.certificates[:limit]]
        if len(body.certificates) > limit:
            lines.append(self.t("cert.list.more", count=len(body.certificates) - limit))
        return "\n".join(lines)

    def listing(self, bodies: list[BodyCertificates]) -> str:
        if not bodies:
            return self.t("cert.list.empty")
        return "\n\n".join([self.t("cert.list.head"), *(self.body_block(b) for b in bodies)])

    def staff_actions(self, view: CertificateView) -> Actions:
        if view.state != "sent":
            return ()
        return actions(
            [
                [(self.t("cert.button.file"), FILE.format(id=view.id))],
                [
                    (self.t("cert.button.accept"), ACCEPT.format(id=view.id)),
                    (self.t("cert.button.refuse"), REFUSE.format(id=view.id)),
                ],
            ]
        )

    def sent_to_staff(self, view: CertificateView, sender: str) -> str:
        return self.t(
            "cert.sent.staff",
            body=view.body_name,
            name=sender,
            validity=Safe(self.validity(view)),
        )

    def accepted(self, view: CertificateView) -> str:
        return self.t("cert.accepted.body", body=view.body_name, end=self.day(view.valid_until))

    def refused(self, view: CertificateView) -> str:
        return self.t("cert.refused.body", body=view.body_name, reason=view.refusal_reason or "")

    def reminder(self, view: CertificateView, now: datetime) -> str:
        text = self.t(
            "cert.reminder.body", body=view.body_name, asked=self.day(self.local_day(view.asked_at))
        )
        if view.state == "refused" and view.refusal_reason:
            text += "\n" + self.t("cert.reminder.refused", reason=view.refusal_reason)
        return text

    def escalation(self, view: CertificateView, now: datetime) -> str:
        return self.t(
            "cert.escalation.staff",
            body=view.body_name,
            asked=self.day(self.local_day(view.asked_at)),
            count=(self.local_day(now) - self.local_day(view.asked_at)).days,
            state=self.state(view),
        )

    def renewal(self, view: CertificateView) -> str:
        return self.t("cert.renewal.body", body=view.body_name, end=self.day(view.valid_until))

    # ----------------------------------------------------------------- delivery

    def delivery_summary(self, plan: DeliveryPlan) -> str:
        lines = [
            self.t(
                "amid.summary.head",
                count=len(plan.items),
                school=plan.application.school_name,
                number=plan.application.number,
            )
        ]
        for item in plan.items:
            lines.append(
                self.t(
                    "amid.summary.item",
                    tag=item.asset_tag,
                    serial=item.serial or "—",
                    value=self.i18n.money(self.lang, item.value),
                    day=self.day(item.installed_on),
                )
                + (self.t("amid.summary.room", room=item.room) if item.room else "")
            )
        lines.append("")
        lines.append(
            self.t("amid.summary.certificate_covered", end=self.day(plan.covered_until))
            if plan.covered_until is not None
            else self.t("amid.summary.certificate_asked", body=plan.body_name)
        )
        return "\n".join(lines)

    def delivered_to_body(self, done: Delivered) -> str:
        text = self.t(
            "amid.told.body",
            count=done.count,
            school=done.school_name,
            nature=self.i18n.equipment_type(self.lang, done.nature),
        )
        if done.asked.certificate is not None:
            text += "\n\n" + self.t("amid.told.body.certificate", body=done.body_name)
        return text

    def delivered_to_school(self, done: Delivered) -> str:
        return self.t(
            "amid.told.school",
            count=done.count,
            school=done.school_name,
            nature=self.i18n.equipment_type(self.lang, done.nature),
        )
