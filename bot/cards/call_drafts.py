"""The texts staff read while they write a call for interest, for every front end: its
questions listed, the draft's preview (what it would reach), the publication's
confirmation and the report at the end of a delivery."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards.calls import CallCard
from bot.domain.calls import Question, QuestionKind
from bot.services.calls import CampaignView, Preview


def question_line(card: CallCard, index: int, question: Question) -> str:
    """« 1. Combien d'élèves ? (nombre, de 1 à 30) »."""
    detail = ""
    if question.kind is QuestionKind.NUMBER:
        detail = card.t("ami.staff.q.bounds", minimum=question.minimum, maximum=question.maximum)
    elif question.kind is QuestionKind.CHOICE:
        detail = card.t("ami.staff.q.choices", choices=" / ".join(question.choices))
    return card.t(
        "ami.staff.q.line",
        n=index + 1,
        kind=card.t(f"ami.staff.q.kind.{question.kind.value}"),
        label=question.label,
        detail=detail,
    )


def question_lines(card: CallCard, questions: Sequence[Question]) -> str:
    """The questions one a line, or « Aucune question » when there are none."""
    lines = [question_line(card, i, q) for i, q in enumerate(questions)]
    return "\n".join(lines) or card.t("ami.staff.q.none")


def questions_text(card: CallCard, view: CampaignView) -> str:
    """Under a campaign's card: its questions, with their heading."""
    if not view.questions:
        return "\n\n" + card.t("ami.staff.q.none")
    return "\n\n" + card.t("ami.staff.q.head") + "\n" + question_lines(card, view.questions)


def draft_preview(card: CallCard, found: Preview, *, created: bool) -> str:
    """A draft as staff see it before publishing: what it says, whom it would reach."""
    head = card.t("ami.staff.created" if created else "ami.staff.draft_head")
    return head + "\n\n" + card.preview(found) + questions_text(card, found.campaign)


def confirm_publish(card: CallCard, found: Preview) -> str:
    """The confirmation before a publication, naming the call and how many are told."""
    return card.t(
        "ami.staff.confirm_publish",
        title=found.campaign.title,
        people=card.t("ami.staff.count.people", count=found.heads + found.teachers),
        schools=card.t("ami.count.schools", count=found.schools),
    )


def delivered(card: CallCard, title: str, what: str, people: int, failures: int) -> str:
    """To the author at a delivery's end: how many received it, how many failed."""
    return card.t(
        "ami.staff.delivered",
        what=card.t(f"ami.staff.what.{what}"),
        title=title,
        people=card.t("ami.staff.count.people", count=people),
        failures=card.t("ami.staff.count.failures", count=failures),
    )
