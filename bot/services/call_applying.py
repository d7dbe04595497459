"""A school applying to a call for interest, as a dialogue walks it (the school side of
bot.services.calls): may the person start an application now, each answer checked as it
is typed, a comment to the school's application with the people to tell, and a teacher
choosing to hear of the calls (``people.follows_calls``).

Messenger-neutral, like bot.services.calls: rights and rules are checked here again on
every call, whatever a button said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import calls as rules
from bot.domain.errors import DomainError
from bot.domain.roles import Role
from bot.i18n import I18n
from bot.services import calls
from bot.services.audiences import Recipient, recipients
from bot.services.calls import ApplicationView, CampaignView, OpenCall
from bot.services.delivery import Outgoing
from storage.models import CallApplication
from storage.uow import Database


async def start(db: Database, person_id: int, campaign_id: int, now: datetime) -> OpenCall:
    """May the person apply for their school now (the campaign published and open, the
    school eligible, the person a head, or a teacher when the campaign allows)? The
    campaign, with the school's application when it has one already (another person's)."""
    async with db.uow() as uow:
        person = await calls._person(uow, person_id)
        row, view, school = await calls._open_campaign_for(uow, person, campaign_id, now)
        existing = await uow.session.scalar(
            calls._application_query().where(
                CallApplication.campaign_id == row.id, CallApplication.school_id == school.id
            )
        )
        if existing is None:
            return OpenCall(view, None)
        return OpenCall(
            view, calls.application_view(existing, await calls._comments(uow, existing.ticket_id))
        )


def check(view: CampaignView, index: int, raw: str | None) -> str | int | None:
    """One answer, as typed or tapped, checked against its question (``check_answer``)."""
    if not 0 <= index < len(view.questions):
        raise DomainError("call.error.campaign_not_found")
    return rules.check_answer(view.questions[index], raw)


def may_apply(role: str, school_id: int | None, campaign: CampaignView) -> bool:
    """May a person of this role and school apply to (or edit, withdraw) the school's
    application? A head always; a teacher when the campaign allows."""
    if school_id is None:
        return False
    if role == Role.DIRECTOR.value:
        return True
    return role == Role.TEACHER.value and campaign.allow_teachers


def check_editable(view: ApplicationView, role: str, school_id: int | None, now: datetime) -> None:
    """Before a form or a dialogue is opened on an application: the words for a button
    that no longer holds (the services check again when the change is written)."""
    if view.withdrawn_at is not None:
        raise DomainError("call.error.withdrawn")
    if view.campaign.window.is_locked(now):
        raise DomainError("ami.error.locked")
    if not may_apply(role, school_id, view.campaign):
        raise DomainError("call.error.heads_only")


# A commitment may be typed as well as tapped, in either language.
_TYPED_YES_NO = {"oui": rules.YES, "yes": rules.YES, "non": rules.NO, "no": rules.NO}


def typed(question: rules.Question, text: str) -> str:
    """What a typed answer means for its question: « oui » / « non » for a commitment, a
    choice whatever its case; anything else as typed (``check`` then reads it). Telegram's
    dialogue and Discord's form read typed answers alike."""
    folded = text.strip().casefold()
    if question.kind is rules.QuestionKind.COMMITMENT:
        return _TYPED_YES_NO.get(folded, text)
    if question.kind is rules.QuestionKind.CHOICE:
        return next((c for c in question.choices if c.casefold() == folded), text)
    return text


@dataclass(frozen=True)
class Commented:
    view: ApplicationView
    told: tuple[Recipient, ...]  # the school's heads and the sender, besides the person


async def comment(
    db: Database, person_id: int, ticket_id: int, text: str, now: datetime
) -> Commented:
    """A word added to the school's application (``calls.comment``), and whom to tell:
    the school's heads and whoever sent it, but the person who wrote."""
    view = await calls.comment(db, person_id, ticket_id, text, now)
    async with db.uow() as uow:
        people = list(await uow.people.school_heads(view.school_id))
        sender = await uow.people.get(view.reporter_id)
        if sender is not None and sender.active and all(p.id != sender.id for p in people):
            people.append(sender)
        return Commented(view, recipients(people, besides=person_id))


def commented(i18n: I18n, done: Commented, person_name: str, text: str) -> list[Outgoing]:
    """What the school's heads (and the sender) read of a comment."""
    return [
        Outgoing(
            target.chat_id,
            i18n.t(
                target.language,
                "ami.comment.told",
                person=person_name,
                number=done.view.number,
                title=done.view.campaign.title,
                text=text.strip(),
            ),
            (),
            done.view.id,
            target.platform,
        )
        for target in done.told
    ]


async def follows(db: Database, person_id: int) -> bool:
    """Does the person hear of the calls? A head always does; a teacher if they chose."""
    async with db.uow() as uow:
        person = await calls._person(uow, person_id)
        return person.role == Role.DIRECTOR.value or bool(person.follows_calls)


async def follow(db: Database, person_id: int, on: bool, now: datetime) -> bool:
    """A teacher chooses to hear of their school's calls, or no longer to (heads always
    do; others have no school's calls to hear of)."""
    async with db.uow() as uow:
        person = await calls._person(uow, person_id)
        if person.role != Role.TEACHER.value or person.school_id is None:
            raise DomainError("call.error.follow_teachers")
        person.follows_calls = on
        uow.audit(
            at=now,
            actor_id=person.id,
            action="call.follow" if on else "call.unfollow",
            object_type="person",
            object_id=str(person.id),
        )
        await uow.commit()
        return on
