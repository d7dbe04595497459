"""The neutral texts of the calls for interest: a campaign, its publication and reminders,
a school's application (the ticket's card) and what its school is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.calls import NO, YES, Outcome, Quantity, QuestionKind
from bot.i18n import I18n, Safe
from bot.services.calls import ApplicationView, CampaignLine, CampaignView, Preview
from bot.services.delivery import Actions, actions

APPLY = "ami:apply:{id}"
VIEW = "ami:view:{id}"
SELECT = "ami:select:{id}"
WAIT = "ami:wait:{id}"
DECLINE = "ami:decline:{id}"


class CallCard:
    """Renders the texts and actions of calls for interest in one language."""

    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    # ----------------------------------------------------------------- pieces

    def quantity(self, quantity: Quantity, count: int | None = None) -> str:
        """« 12 unités », « 3 lots de 15 unités » (``count`` of them, else the call's)."""
        number = quantity.count if count is None else count
        if quantity.kit_size is None:
            return self.t("ami.quantity.units", count=number)
        return self.t("ami.quantity.kits", count=number, size=quantity.kit_size)

    def closes(self, view: CampaignView) -> str:
        return self.i18n.datetime(self.lang, view.window.closes_at)

    def answer(self, kind: QuestionKind, value: Any) -> str:
        if value is None or value == "":
            return self.t("ami.card.no_answer")
        if kind is QuestionKind.COMMITMENT and value in (YES, NO):
            return self.t("ami.card.yes" if value == YES else "ami.card.no")
        return str(value)

    def answers(self, view: ApplicationView) -> str:
        return "\n".join(
            self.t(
                "ami.card.answer",
                label=q.label,
                answer=self.answer(q.kind, view.answer(index)),
            )
            for index, q in enumerate(view.campaign.questions)
        )

    # ----------------------------------------------------------------- campaign

    def summary(self, view: CampaignView) -> str:
        return self.t(
            "ami.campaign.summary",
            title=view.title,
            nature=self.i18n.equipment_type(self.lang, view.nature),
            quantity=self.quantity(view.quantity),
            opens=self.i18n.datetime(self.lang, view.window.opens_at),
            closes=self.closes(view),
            description=view.description,
        )

    def preview(self, found: Preview) -> str:
        return self.t(
            "ami.preview",
            summary=Safe(self.summary(found.campaign)),
            schools=self.t("ami.count.schools", count=found.schools),
            heads=self.t("ami.count.heads", count=found.heads),
            teachers=self.t("ami.count.teachers", count=found.teachers),
        )

    def line(self, line: CampaignLine, now: datetime | None = None) -> str:
        """A campaign in the staff's list; a published one past its closing (``now``)
        says it is closed and awaits the selection, not « publié »."""
        closed = (
            now is not None
            and line.campaign.state == "published"
            and line.campaign.window.is_locked(now)
        )
        return self.t(
            "ami.line_closed" if closed else "ami.line",
            id=line.campaign.id,
            title=line.campaign.title,
            state=self.t(f"ami.campaign_state.{line.campaign.state}"),
            closes=self.closes(line.campaign),
            eligible=self.t("ami.count.eligible", count=line.eligible),
            applied=self.t("ami.count.applied", count=line.applied),
            selected=self.t("ami.count.selected", count=line.selected),
        )

    def publication(self, view: CampaignView) -> str:
        return self.t("ami.publication", summary=Safe(self.summary(view)), closes=self.closes(view))

    def apply_actions(self, view: CampaignView) -> Actions:
        return actions([[(self.t("ami.button.apply"), APPLY.format(id=view.id))]])

    def reminder(self, view: CampaignView) -> str:
        return self.t("ami.reminder", title=view.title, closes=self.closes(view))

    def extended(self, application: ApplicationView) -> str:
        return self.t(
            "ami.extended",
            title=application.campaign.title,
            number=application.number,
            closes=self.closes(application.campaign),
        )

    def cancelled(self, application: ApplicationView) -> str:
        return self.t("ami.cancelled", title=application.campaign.title, number=application.number)

    def result(self, application: ApplicationView) -> str:
        title, number = application.campaign.title, application.number
        if application.outcome == Outcome.SELECTED.value:
            return self.t(
                "ami.result.selected",
                title=title,
                number=number,
                given=self.quantity(application.campaign.quantity, application.quantity_given),
            )
        if application.outcome == Outcome.WAITING.value:
            return self.t(
                "ami.result.waiting", title=title, number=number, rank=application.waiting_rank
            )
        return self.t(
            "ami.result.declined",
            title=title,
            number=number,
            reason=application.decline_reason or "",
        )

    def sent_by(self, application: ApplicationView, person: str) -> str:
        """To the school's other heads: who sent the school's application."""
        return self.t(
            "ami.applied.heads",
            person=person,
            number=application.number,
            title=application.campaign.title,
        )

    # ----------------------------------------------------------------- application

    def card(self, view: ApplicationView, *, timeline: bool = False) -> str:
        parts = [
            self.t(
                "ami.card.head",
                number=view.number,
                title=view.campaign.title,
                school=view.school_name,
                sent=self.i18n.datetime(self.lang, view.sent_at),
                state=self.t(f"ami.state.{view.state}"),
            )
        ]
        if view.campaign.questions:
            parts.append(self.answers(view))
        if view.outcome is not None:
            parts.append(self.result(view))
        if timeline and view.comments:
            parts.append("\n".join(self.t("ami.card.comment", text=text) for text in view.comments))
        return "\n\n".join(parts)

    def staff_actions(self, view: ApplicationView) -> Actions:
        if view.withdrawn_at is not None or view.campaign.state != "published":
            return ()
        return actions(
            [
                [
                    (self.t("ami.button.select"), SELECT.format(id=view.id)),
                    (self.t("ami.button.wait"), WAIT.format(id=view.id)),
                    (self.t("ami.button.decline"), DECLINE.format(id=view.id)),
                ]
            ]
        )

    def body_actions(self, view: ApplicationView) -> Actions:
        return ()
