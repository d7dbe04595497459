"""Responsible bodies: the codes, the kinds, which body may answer for which school."""

from __future__ import annotations

import pytest

from bot.domain.bodies import (
    BodyKind,
    body_variant,
    check_school_body,
    commune_body_code,
    normalize_body_code,
    normalize_body_kind,
)
from tests.helpers import refuses


def test_a_communes_own_body_is_named_after_its_insee_code() -> None:
    assert commune_body_code("42218") == "commune:42218"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("commune", BodyKind.COMMUNE),
        (" OGEC ", BodyKind.OGEC),
        ("institute", BodyKind.INSTITUTE),
        ("Institut", BodyKind.INSTITUTE),
    ],
)
def test_body_kinds_are_read_in_french_or_english(text: str, kind: BodyKind) -> None:
    assert normalize_body_kind(text) is kind


def test_an_unknown_body_kind_is_refused() -> None:
    with refuses("directory.error.body_kind"):
        normalize_body_kind("diocèse")


def test_body_codes_are_upper_cased_without_spaces() -> None:
    assert normalize_body_code(" ogec-42 sainte marie ") == "OGEC-42SAINTEMARIE"
    assert normalize_body_code("Commune:42218") == "commune:42218"
    with refuses("directory.error.body_code"):
        normalize_body_code("OGEC «Sainte»")


def test_a_public_school_is_under_its_own_commune_only() -> None:
    check_school_body(sector="public", kind=BodyKind.COMMUNE, code="", commune_insee="42218")
    with refuses("directory.error.body_public"):
        check_school_body(sector="public", kind=BodyKind.OGEC, code="OGEC1", commune_insee="42218")
    with refuses("directory.error.body_commune"):
        check_school_body(
            sector="public", kind=BodyKind.COMMUNE, code="commune:42095", commune_insee="42218"
        )


def test_a_private_school_may_be_under_an_ogec_an_institute_or_its_commune() -> None:
    for kind in (BodyKind.OGEC, BodyKind.INSTITUTE):
        check_school_body(sector="private", kind=kind, code="X1", commune_insee="42218")
    check_school_body(sector="private", kind=BodyKind.COMMUNE, code="", commune_insee="42218")


def test_an_ogec_cannot_take_a_communes_code() -> None:
    with refuses("directory.error.body_code"):
        check_school_body(
            sector="private", kind=BodyKind.OGEC, code="commune:42218", commune_insee="42218"
        )


def test_the_wording_says_commune_or_responsible_body_as_fits() -> None:
    assert body_variant("claim.card.duties", "commune") == "claim.card.duties"
    assert body_variant("claim.card.duties", "ogec") == "claim.card.duties_body"
    assert body_variant("claim.card.duties", BodyKind.INSTITUTE) == "claim.card.duties_body"
