"""The directory's field rules: codes, choices, amounts and dates (pure, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.directory import (
    EQUIPMENT_TYPES,
    EquipmentType,
    cents_to_eur,
    eur_to_cents,
    field_term,
    normalize_asset_tag,
    normalize_insee,
    normalize_uai,
    optional_text,
    parse_amount_eur,
    parse_iso_date,
    parse_owner,
    parse_sector,
    read_equipment_type,
    require_text,
    uai_check_letter,
    uai_has_valid_check_letter,
)
from bot.domain.errors import DomainError

# --------------------------------------------------------------------------- UAI


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0421234A", "0421234A"),
        ("0421234a", "0421234A"),
        ("  042 1234 a ", "0421234A"),
        ("0421234\u00a0A", "0421234A"),
    ],
)
def test_uai_is_normalised_to_seven_digits_and_an_upper_case_letter(
    typed: str, expected: str
) -> None:
    assert normalize_uai(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["042123A", "04212345A", "0421234", "A0421234", "04212340", "0421234É", "０４２１２３４A"],
)
def test_uai_of_the_wrong_shape_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_uai(typed)
    assert caught.value.code == "directory.error.uai"


def test_empty_uai_is_missing() -> None:
    with pytest.raises(DomainError) as caught:
        normalize_uai("  ")
    assert caught.value.code == "directory.error.missing"
    assert caught.value.params == {"field": field_term("uai")}


def test_uai_check_letter_is_the_remainder_mod_23_over_the_letters_without_i_o_q() -> None:
    assert uai_check_letter("0750655") == "E"  # lycée Louis-le-Grand, 0750655E
    assert uai_check_letter("0000000") == "A"
    assert uai_check_letter("0000022") == "Z"
    assert uai_check_letter("0000023") == "A"
    assert uai_check_letter("0000008") == "J"  # I is skipped


def test_uai_check_letter_needs_seven_digits() -> None:
    for digits in ("042123", "04212345", "042123A"):
        with pytest.raises(DomainError):
            uai_check_letter(digits)


def test_a_wrong_check_letter_is_accepted_but_can_be_told() -> None:
    good = "0750655E"
    bad = "0750655F"
    assert normalize_uai(bad) == bad  # format only (decision 0002)
    assert uai_has_valid_check_letter(good)
    assert not uai_has_valid_check_letter(bad)


# --------------------------------------------------------------------------- INSEE


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("42218", "42218"), (" 42 218 ", "42218"), ("2a004", "2A004"), ("2B033", "2B033")],
)
def test_insee_code_is_five_digits_or_corsican(typed: str, expected: str) -> None:
    assert normalize_insee(typed) == expected


@pytest.mark.parametrize("typed", ["4221", "422180", "2C004", "A2218", "42 21x"])
def test_insee_code_of_the_wrong_shape_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_insee(typed)
    assert caught.value.code == "directory.error.insee"


# --------------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("public", "public"),
        ("Public", "public"),
        ("publique", "public"),
        ("private", "private"),
        ("privé", "private"),
        ("Privé", "private"),
        ("prive", "private"),
        ("privée", "private"),
    ],
)
def test_sector_accepts_english_and_french(typed: str, expected: str) -> None:
    assert parse_sector(typed) == expected


def test_unknown_sector_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_sector("associatif")
    assert caught.value.code == "directory.error.sector"
    with pytest.raises(DomainError) as caught:
        parse_sector("")
    assert caught.value.code == "directory.error.missing"


@pytest.mark.parametrize(
    ("typed", "expected"), [("sem", "sem"), ("SEM", "sem"), ("Commune", "commune")]
)
def test_owner_is_sem_or_commune(typed: str, expected: str) -> None:
    assert parse_owner(typed) == expected


def test_other_owner_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_owner("département")
    assert caught.value.code == "directory.error.owner"


# --------------------------------------------------------------------------- types


def test_every_type_code_is_accepted_as_itself() -> None:
    for code in EQUIPMENT_TYPES:
        assert read_equipment_type(code) == EquipmentType(code, known=True)
        assert read_equipment_type(code.upper()) == EquipmentType(code, known=True)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ordinateur portable", "laptop"),
        ("Ordinateur  portable", "laptop"),
        ("tablette", "tablet"),
        ("Tablettes", "tablet"),
        ("écran interactif", "interactive_screen"),
        ("Ecran interactif", "interactive_screen"),
        ("écrans interactifs", "interactive_screen"),
        ("ENI", "interactive_screen"),
        ("VPI", "interactive_screen"),
        ("vidéoprojecteur", "projector"),
        ("vidéo-projecteur", "projector"),
        ("visualiseur", "visualiser"),
        ("robot", "robot_kit"),
        ("réseau", "network_gear"),
        ("ordinateur", "desktop"),
        ("interactive screen", "interactive_screen"),
        ("Interactive Screens", "interactive_screen"),
        ("robot-kit", "robot_kit"),
        ("Laptops", "laptop"),
        ("Desktop computer", "desktop"),
        ("autre", "other"),
    ],
)
def test_french_and_english_type_names_are_known(typed: str, expected: str) -> None:
    assert read_equipment_type(typed) == EquipmentType(expected, known=True)


@pytest.mark.parametrize("typed", ["imprimante", "Printer", "enceinte", "grille-pain"])
def test_a_type_outside_the_list_is_kept_as_written(typed: str) -> None:
    assert read_equipment_type(f"  {typed} ") == EquipmentType(typed, known=False)


def test_an_empty_or_too_long_type_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        read_equipment_type(" ")
    assert (caught.value.code, caught.value.params) == (
        "directory.error.missing",
        {"field": field_term("type")},
    )
    with pytest.raises(DomainError) as caught:
        read_equipment_type("x" * 41)
    assert caught.value.code == "directory.error.too_long"
    assert caught.value.params == {"field": field_term("type"), "max": 40}


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("459,90", Decimal("459.90")),
        ("459.9", Decimal("459.90")),
        ("1234", Decimal("1234.00")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u00a0234,56 €", Decimal("1234.56")),
        ("1\u202f234,56\u00a0€", Decimal("1234.56")),
        ("€12.5", Decimal("12.50")),
        ("12 EUR", Decimal("12.00")),
        ("0", Decimal("0.00")),
        ("0,05", Decimal("0.05")),
    ],
)
def test_amount_in_euros_with_dot_or_french_comma(typed: str, expected: Decimal) -> None:
    assert parse_amount_eur(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "-12",
        "-12,50",
        "12,345",
        "1.234,56",
        "1,234.56",
        "douze",
        "",
        "€",
        "12,",
        ",5",
        "10000000,01",
    ],
)
def test_unreadable_or_negative_amounts_are_refused(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_amount_eur(typed)
    assert caught.value.code == "directory.error.amount"


def test_euros_and_cents_convert_exactly() -> None:
    assert eur_to_cents(Decimal("459.90")) == 45990
    assert eur_to_cents(parse_amount_eur("0,1")) == 10
    assert eur_to_cents(Decimal("0.005")) == 1  # half up
    assert cents_to_eur(45990) == Decimal("459.90")


# --------------------------------------------------------------------------- dates


def test_iso_date() -> None:
    assert parse_iso_date(" 2024-02-29 ") == date(2024, 2, 29)


@pytest.mark.parametrize("typed", ["2023-02-29", "29/02/2024", "20240229", "2024-2-9", "", "hier"])
def test_non_iso_or_impossible_dates_are_refused(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_iso_date(typed)
    assert caught.value.code == "directory.error.date"


# --------------------------------------------------------------------------- texts


def test_asset_tag_is_upper_cased_and_limited() -> None:
    assert normalize_asset_tag(" sem-2021-0042 ") == "SEM-2021-0042"
    with pytest.raises(DomainError) as caught:
        normalize_asset_tag("SEM#42")
    assert caught.value.code == "directory.error.asset_tag"
    with pytest.raises(DomainError) as caught:
        normalize_asset_tag("X" * 33)
    assert caught.value.code == "directory.error.too_long"
    assert caught.value.params == {"field": field_term("asset_tag"), "max": 32}


def test_required_and_optional_texts() -> None:
    assert require_text("  Lenovo  ", "model") == "Lenovo"
    assert optional_text("   ", "serial") is None
    with pytest.raises(DomainError) as caught:
        require_text(" ", "model")
    assert caught.value.code == "directory.error.missing"
    assert caught.value.params == {"field": field_term("model")}
    with pytest.raises(DomainError) as caught:
        require_text("x" * 201, "name")
    assert caught.value.code == "directory.error.too_long"
