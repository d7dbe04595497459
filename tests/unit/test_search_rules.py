"""Typed search text: accents and case ignored, % and _ taken literally."""

from __future__ import annotations

from bot.domain.search import contains_pattern, fold


def test_accents_and_case_are_ignored() -> None:
    assert fold("Saint-Étienne") == fold("saint-etienne") == "saint-etienne"
    assert fold("ÉCOLE Élémentaire") == "ecole elementaire"
    assert fold("Œuvre") == "œuvre"  # a ligature is a letter, not an accent


def test_wildcards_typed_by_a_person_are_plain_characters() -> None:
    assert contains_pattern("%%") == "%\\%\\%%"
    assert contains_pattern("SEM_0001") == "%SEM\\_0001%"
    assert contains_pattern("a\\b") == "%a\\\\b%"
    assert contains_pattern("Soleil") == "%Soleil%"
