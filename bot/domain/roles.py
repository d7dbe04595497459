"""Who talks to the bot, what each role may do, and over which scope (DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import DomainError


class Role(StrEnum):
    TEACHER = "teacher"
    DIRECTOR = "director"
    COMMUNE = "commune"
    STAFF = "staff"


class Action(StrEnum):
    """What a person may ask of the bot. One table below says who may do what."""

    REPORT_CLAIM = "report_claim"
    FOLLOW_CLAIM = "follow_claim"  # duties, pledge: the commune's side of a claim
    MANAGE_CLAIM = "manage_claim"  # completion, payments, replacement: SEM's side
    FLAG_EQUIPMENT = "flag_equipment"
    ANSWER_CALL = "answer_call"
    NOTIFY_CLASS_CHANGE = "notify_class_change"
    NOTIFY_WORKS = "notify_works"
    # Unused and broken equipment (art. 1, 3, 4): the body removes its own broken items,
    # the receiving school's head confirms an item reassigned to it, staff plan rounds,
    # decide repairs and keep the stock.
    REMOVE_OWN_EQUIPMENT = "remove_own_equipment"
    RECEIVE_EQUIPMENT = "receive_equipment"
    MANAGE_EQUIPMENT = "manage_equipment"
    # Notices (art. 1 and 2): staff acknowledge them, ask for disconnections, follow
    # the training needs.
    MANAGE_NOTICES = "manage_notices"
    # Calls for interest (art. 1 and 2): staff run the campaigns and the selection; a
    # school's head applies (a teacher too when the campaign allows: the service checks).
    MANAGE_CALLS = "manage_calls"
    APPLY_CALL = "apply_call"
    # The body's insurance certificate (art. 6): its agents send it, staff decide.
    SEND_CERTIFICATE = "send_certificate"
    TRIAGE = "triage"
    INVITE = "invite"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.TEACHER: frozenset({Action.REPORT_CLAIM, Action.FLAG_EQUIPMENT, Action.ANSWER_CALL}),
    Role.DIRECTOR: frozenset(
        {
            Action.REPORT_CLAIM,
            Action.FLAG_EQUIPMENT,
            Action.ANSWER_CALL,
            Action.NOTIFY_CLASS_CHANGE,
            Action.NOTIFY_WORKS,
            Action.RECEIVE_EQUIPMENT,
            Action.APPLY_CALL,
        }
    ),
    Role.COMMUNE: frozenset(
        {
            Action.REPORT_CLAIM,
            Action.FOLLOW_CLAIM,
            Action.FLAG_EQUIPMENT,
            Action.REMOVE_OWN_EQUIPMENT,
            Action.NOTIFY_CLASS_CHANGE,
            Action.NOTIFY_WORKS,
            Action.SEND_CERTIFICATE,
        }
    ),
    # Staff may also record the commune's side (a declaration received by e-mail).
    Role.STAFF: frozenset(Action),
}


def can(role: Role | str, action: Action) -> bool:
    return action in PERMISSIONS[Role(role)]


def require(role: Role | str, action: Action) -> None:
    if not can(role, action):
        raise DomainError("common.error.forbidden")


@dataclass(frozen=True)
class Scope:
    """The part of the directory a person reaches: a school, a responsible body's
    schools, or everything.

    The role ``commune`` is an agent of a responsible body (a commune, an OGEC, an
    institute): its scope is the body, and it reaches the schools (and tickets) whose
    body is that one, whatever their commune. ``commune_id`` is the commune of a
    commune's agent, kept for the listings; it grants nothing.
    """

    role: Role
    school_id: int | None = None
    commune_id: int | None = None
    body_id: int | None = None

    def __post_init__(self) -> None:
        if self.role in (Role.TEACHER, Role.DIRECTOR) and self.school_id is None:
            raise DomainError("registration.error.scope_school")
        if self.role is Role.COMMUNE and self.body_id is None:
            raise DomainError("registration.error.scope_commune")

    def reaches(
        self, *, school_id: int | None, commune_id: int | None, body_id: int | None = None
    ) -> bool:
        """May this person see something of that school (under that body)?"""
        if self.role is Role.STAFF:
            return True
        if self.role is Role.COMMUNE:
            return body_id is not None and body_id == self.body_id
        return school_id is not None and school_id == self.school_id


def scope_for_invitation(role: Role, *, has_school: bool, has_commune: bool) -> None:
    """An invitation names exactly the scope its role needs."""
    if role in (Role.TEACHER, Role.DIRECTOR) and not has_school:
        raise DomainError("registration.error.scope_school")
    if role is Role.COMMUNE and not has_commune:
        raise DomainError("registration.error.scope_commune")
    if role is Role.STAFF and (has_school or has_commune):
        raise DomainError("registration.error.scope_staff")
    if role is not Role.COMMUNE and role is not Role.STAFF and has_commune:
        raise DomainError("registration.error.scope_school")
