"""Who may do what, and over which scope."""

from __future__ import annotations

import pytest

from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, Scope, can, require, scope_for_invitation
from tests.helpers import refuses


def test_teachers_report_but_do_not_triage_or_invite() -> None:
    assert can(Role.TEACHER, Action.REPORT_CLAIM)
    assert not can(Role.TEACHER, Action.TRIAGE)
    assert not can(Role.TEACHER, Action.INVITE)
    with refuses("common.error.forbidden"):
        require(Role.TEACHER, Action.TRIAGE)


def test_the_communes_duties_are_confirmed_by_its_agents_or_by_staff_on_its_behalf() -> None:
    assert [r for r in Role if can(r, Action.FOLLOW_CLAIM)] == [Role.COMMUNE, Role.STAFF]


def test_only_staff_triage_and_invite() -> None:
    assert [r for r in Role if can(r, Action.TRIAGE)] == [Role.STAFF]
    assert [r for r in Role if can(r, Action.INVITE)] == [Role.STAFF]


def test_a_teacher_reaches_only_their_school() -> None:
    scope = Scope(Role.TEACHER, school_id=1)
    assert scope.reaches(school_id=1, commune_id=9)
    assert not scope.reaches(school_id=2, commune_id=9)


def test_a_commune_agent_reaches_every_school_of_the_commune_and_no_other() -> None:
    scope = Scope(Role.COMMUNE, commune_id=9, body_id=90)
    assert scope.reaches(school_id=1, commune_id=9, body_id=90)
    assert scope.reaches(school_id=2, commune_id=9, body_id=90)
    assert not scope.reaches(school_id=3, commune_id=8, body_id=80)


def test_a_commune_agent_does_not_reach_a_private_school_of_the_commune_under_an_ogec() -> None:
    commune_agent = Scope(Role.COMMUNE, commune_id=9, body_id=90)
    assert not commune_agent.reaches(school_id=4, commune_id=9, body_id=91)


def test_an_ogec_agent_reaches_its_schools_and_not_the_communes_public_schools() -> None:
    ogec_agent = Scope(Role.COMMUNE, body_id=91)
    assert ogec_agent.reaches(school_id=4, commune_id=9, body_id=91)
    assert ogec_agent.reaches(school_id=5, commune_id=8, body_id=91)  # one OGEC, two communes
    assert not ogec_agent.reaches(school_id=1, commune_id=9, body_id=90)


def test_an_agent_reaches_nothing_whose_body_is_unknown() -> None:
    assert not Scope(Role.COMMUNE, commune_id=9, body_id=90).reaches(school_id=1, commune_id=9)


def test_staff_reach_everything() -> None:
    assert Scope(Role.STAFF).reaches(school_id=None, commune_id=None)


@pytest.mark.parametrize(
    ("role", "school", "commune", "code"),
    [
        (Role.TEACHER, False, False, "registration.error.scope_school"),
        (Role.DIRECTOR, False, True, "registration.error.scope_school"),
        (Role.COMMUNE, True, False, "registration.error.scope_commune"),
        (Role.STAFF, True, False, "registration.error.scope_staff"),
    ],
)
def test_an_invitation_names_exactly_the_scope_of_its_role(
    role: Role, school: bool, commune: bool, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        scope_for_invitation(role, has_school=school, has_commune=commune)
    assert caught.value.code == code


def test_scopes_missing_their_school_or_commune_cannot_be_built() -> None:
    with pytest.raises(DomainError):
        Scope(Role.TEACHER)
    with pytest.raises(DomainError):
        Scope(Role.COMMUNE)
