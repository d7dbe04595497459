"""Invitation codes and the slowing down of wrong guesses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import DomainError
from bot.domain.invitations import (
    ALPHABET,
    check_usable,
    generate_code,
    hash_code,
    lockout_after,
    normalize_code,
    parse_validity,
)
from tests.helpers import refuses

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_generated_codes_are_three_groups_of_four_unambiguous_characters() -> None:
    code = generate_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert all(c in ALPHABET for c in "".join(groups))
    assert not set("01OIL") & set(code)


def test_generated_codes_differ() -> None:
    assert len({generate_code() for _ in range(200)}) == 200


def test_code_typed_in_lower_case_with_spaces_matches_the_same_hash() -> None:
    code = generate_code()
    typed = code.lower().replace("-", " ")
    assert normalize_code(typed) == code.replace("-", "")
    assert hash_code(typed) == hash_code(code)


@pytest.mark.parametrize("text", ["", "hello", "ABCD-EFGH-JK", "ABCD-EFGH-JKL0", "/start"])
def test_text_that_cannot_be_a_code_normalizes_to_nothing(text: str) -> None:
    assert normalize_code(text) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14d", timedelta(days=14)),
        ("14j", timedelta(days=14)),
        ("14", timedelta(days=14)),
        ("48h", timedelta(hours=48)),
        ("2w", timedelta(weeks=2)),
        ("90d", timedelta(days=90)),
        ("14 jours", timedelta(days=14)),
        ("2 semaines", timedelta(weeks=2)),
        ("1 jour", timedelta(days=1)),
        ("3 weeks", timedelta(weeks=3)),
        ("36 heures", timedelta(hours=36)),
    ],
)
def test_validity_durations(text: str, expected: timedelta) -> None:
    assert parse_validity(text) == expected


@pytest.mark.parametrize("text", ["0d", "abc", "-3d", "14 mois"])
def test_unreadable_validity_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_validity(text)
    assert caught.value.code == "invitation.error.validity"


@pytest.mark.parametrize("text", ["91d", "365 jours", "14w"])
def test_a_validity_over_90_days_is_refused_saying_the_limit(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_validity(text)
    assert caught.value.code == "invitation.error.validity_too_long"
    assert caught.value.params == {"max": 90}


def test_an_invitation_is_usable_until_it_expires() -> None:
    check_usable(expires_at=NOW + timedelta(seconds=1), used_at=None, revoked_at=None, now=NOW)
    with refuses("registration.error.expired"):
        check_usable(expires_at=NOW, used_at=None, revoked_at=None, now=NOW)


def test_used_and_revoked_invitations_are_refused_with_their_reason() -> None:
    later = NOW + timedelta(days=1)
    with refuses("registration.error.used"):
        check_usable(expires_at=later, used_at=NOW, revoked_at=None, now=NOW)
    with refuses("registration.error.revoked"):
        check_usable(expires_at=later, used_at=None, revoked_at=NOW, now=NOW)


def test_three_wrong_codes_are_free_then_the_wait_doubles_up_to_an_hour() -> None:
    assert [lockout_after(n) for n in (1, 2, 3)] == [None, None, None]
    assert lockout_after(4) == timedelta(minutes=1)
    assert lockout_after(5) == timedelta(minutes=2)
    assert lockout_after(6) == timedelta(minutes=4)
    assert lockout_after(20) == timedelta(hours=1)


def test_a_generated_code_always_holds_a_digit_and_a_letter() -> None:
    from bot.domain.invitations import generate_code, looks_like_code, normalize_code

    for _ in range(3_000):
        assert looks_like_code(normalize_code(generate_code()))
    assert not looks_like_code("BATEAUXVERTS")
    assert not looks_like_code("234567892345")
