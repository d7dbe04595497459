"""The directory's field rules: UAI, INSEE, sector, owner, amounts, dates, equipment types.

Pure: no I/O, no database. Every function returns the normalised value or raises a
``DomainError`` whose code is a catalog key (``directory.error.*``); the message shown
to a person lives in the catalogs, not here.

Readings kept here, one place each:

* A UAI is checked for its FORMAT only (7 digits and a letter). The check letter is
  not enforced (decision 0002): some real codes in circulation do not follow it, and a
  refused import of a real school would be worse than a mistyped letter, which the
  staff sees in the school's name anyway. ``uai_check_letter`` computes it for the
  demo data and for a front end that wants to warn.
* An amount has at most two decimals (cents), no sign, and is at most
  ``MAX_AMOUNT_EUR`` (the database keeps 32-bit integer cents).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

from bot.domain.errors import DomainError, Term
from bot.domain.text import units

ERR_UAI: Final = "directory.error.uai"
ERR_INSEE: Final = "directory.error.insee"
ERR_SECTOR: Final = "directory.error.sector"
ERR_OWNER: Final = "directory.error.owner"
ERR_AMOUNT: Final = "directory.error.amount"
ERR_DATE: Final = "directory.error.date"
ERR_ASSET_TAG: Final = "directory.error.asset_tag"
ERR_MISSING: Final = "directory.error.missing"  # param: field
ERR_TOO_LONG: Final = "directory.error.too_long"  # params: field, max
ERR_UNKNOWN_SCHOOL: Final = "directory.error.unknown_school"  # param: uai

Sector = Literal["public", "private"]
Owner = Literal["sem", "commune"]

SECTORS: Final[tuple[Sector, ...]] = ("public", "private")
OWNERS: Final[tuple[Owner, ...]] = ("sem", "commune")

# Largest amount accepted: 10 million euros, well below the 2**31 - 1 cents a 32-bit
# integer column can hold.
MAX_AMOUNT_EUR: Final = Decimal("10000000")

# Field lengths, as the database columns allow them.
MAX_LENGTHS: Final[dict[str, int]] = {
    "commune_name": 120,
    "body_name": 200,
    "name": 200,
    "model": 120,
    "serial": 120,
    "room": 80,
    "asset_tag": 32,
    "type": 40,
}

# Every field a file or a form may name in a refusal, each with its words in the catalogs
# (``directory.field.<name>``): a person reads « numéro d'inventaire », never ``asset_tag``.
FIELDS: Final[tuple[str, ...]] = (
    "uai",
    "name",
    "commune_insee",
    "commune_name",
    "sector",
    "body_code",
    "body_name",
    "body_kind",
    "asset_tag",
    "school_uai",
    "type",
    "model",
    "serial",
    "owner",
    "acquired_on",
    "value_eur",
    "installed_on",
    "room",
)


def field_term(name: str) -> Term:
    """A field's name as a person reads it (« numéro d'inventaire »)."""
    if name not in FIELDS:
        raise ValueError(f"no words for the field {name!r}")
    return Term(f"directory.field.{name}")


def column_term(name: str) -> Term:
    """A file's column in words, with the header's name to write: « numéro d'inventaire
    (colonne asset_tag) »."""
    return Term("directory.column", {"name": field_term(name), "column": name})


_UAI_RE: Final = re.compile(r"\d{7}[A-Z]")
_INSEE_RE: Final = re.compile(r"\d{5}|2[AB]\d{3}")
_UAI_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
_ISO_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT_RE: Final = re.compile(r"\d+(?:[.,]\d{1,2})?")
_ASSET_TAG_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9._/-]*")
# Spaces people and spreadsheets put in numbers and codes: space, no-break space,
# narrow no-break space, thin space.
_SPACES: Final = re.compile(r"[\s\u00a0\u202f\u2009]+")


# --------------------------------------------------------------------------- helpers


def _fold(text: str) -> str:
    """Lower-case, accents removed, hyphens/underscores/apostrophes and runs of spaces
    made one space: the form in which aliases are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = re.sub(r"[-_'’]", " ", bare.lower())
    return _SPACES.sub(" ", bare).strip()


def require_text(text: str | None, field: str) -> str:
    """``text`` stripped; empty (or None) raises ``directory.error.missing``.

    When ``field`` has a known maximum length (``MAX_LENGTHS``), a longer text raises
    ``directory.error.too_long``.
    """
    value = (text or "").strip()
    if not value:
        raise DomainError(ERR_MISSING, field=field_term(field))
    limit = MAX_LENGTHS.get(field)
    if limit is not None and units(value) > limit:
        raise DomainError(ERR_TOO_LONG, field=field_term(field), max=limit)
    return value


def optional_text(text: str | None, field: str) -> str | None:
    """``text`` stripped, or None when empty; too long raises ``too_long``."""
    value = (text or "").strip()
    if not value:
        return None
    return require_text(value, field)


# --------------------------------------------------------------------------- codes


def uai_check_letter(digits: str) -> str:
    """The check letter of a UAI's 7 digits: the number mod 23 indexes
    "ABCDEFGHJKLMNPRSTUVWXYZ" (``0750655`` → ``E``, as in ``0750655E``)."""
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise DomainError(ERR_UAI, value=digits)
    return _UAI_LETTERS[int(digits) % 23]


def normalize_uai(text: str) -> str:
    """A UAI code (school identifier): 7 digits and a letter, e.g. ``0421234A``.

    Spaces are removed and the letter upper-cased; only the format is checked, not the
    check letter (decision 0002).
    """
    value = _SPACES.sub("", text or "").upper()
    if not value:
        raise DomainError(ERR_MISSING, field=field_term("uai"))
    if not value.isascii() or not _UAI_RE.fullmatch(value):
        raise DomainError(ERR_UAI, value=text.strip())
    return value


def uai_has_valid_check_letter(uai: str) -> bool:
    """Whether a (normalised) UAI's letter is the one its digits call for."""
    return uai_check_letter(uai[:7]) == uai[7]


def normalize_insee(text: str) -> str:
    """A commune's INSEE code: 5 digits, or 2A/2B and 3 digits (Corsica)."""
    value = _SPACES.sub("", text or "").upper()
    if not value:
        raise DomainError(ERR_MISSING, field=field_term("commune_insee"))
    if not value.isascii() or not _INSEE_RE.fullmatch(value):
        raise DomainError(ERR_INSEE, value=text.strip())
    return value


def normalize_asset_tag(text: str) -> str:
    """An SEM label's asset tag: upper-cased, spaces removed; letters, digits and
    ``. _ / -`` only, at most 32 characters."""
    value = _SPACES.sub("", text or "").upper()
    if not value:
        raise DomainError(ERR_MISSING, field=field_term("asset_tag"))
    if units(value) > MAX_LENGTHS["asset_tag"]:
        raise DomainError(ERR_TOO_LONG, field=field_term("asset_tag"), max=MAX_LENGTHS["asset_tag"])
    if not value.isascii() or not _ASSET_TAG_RE.fullmatch(value):
        raise DomainError(ERR_ASSET_TAG, value=text.strip())
    return value


# --------------------------------------------------------------------------- choices

_SECTOR_ALIASES: Final[dict[str, Sector]] = {
    "public": "public",
    "publique": "public",
    "private": "private",
    "prive": "private",  # "privé" once folded
    "privee": "private",  # "privée"
}

_OWNER_ALIASES: Final[dict[str, Owner]] = {
    "sem": "sem",
    "commune": "commune",
}


def parse_sector(text: str) -> Sector:
    """``public`` or ``private``; French "public", "privé" and "prive" are accepted."""
    folded = _fold(text or "")
    if not folded:
        raise DomainError(ERR_MISSING, field=field_term("sector"))
    try:
        return _SECTOR_ALIASES[folded]
    except KeyError:
        raise DomainError(ERR_SECTOR, value=text.strip()) from None


def parse_owner(text: str) -> Owner:
    """Who owns an item (art. 3 and 4): ``sem`` or ``commune`` (any case)."""
    folded = _fold(text or "")
    if not folded:
        raise DomainError(ERR_MISSING, field=field_term("owner"))
    try:
        return _OWNER_ALIASES[folded]
    except KeyError:
        raise DomainError(ERR_OWNER, value=text.strip()) from None


# --------------------------------------------------------------------------- equipment

EQUIPMENT_TYPES: Final[tuple[str, ...]] = (
    "laptop",
    "tablet",
    "interactive_screen",
    "projector",
    "visualiser",
    "robot_kit",
    "network_gear",
    "desktop",
    "other",
)

# French and English names, compared once folded (lower case, no accents, hyphens and
# underscores as spaces). Each code is also accepted as itself.
_TYPE_ALIASES: Final[dict[str, str]] = {
    **{_fold(code): code for code in EQUIPMENT_TYPES},
    # French
    "ordinateur portable": "laptop",
    "portable": "laptop",
    "pc portable": "laptop",
    "tablette": "tablet",
    "ecran interactif": "interactive_screen",
    "ecran numerique interactif": "interactive_screen",
    "eni": "interactive_screen",
    "vpi": "interactive_screen",
    "tni": "interactive_screen",
    "videoprojecteur": "projector",
    "video projecteur": "projector",
    "projecteur": "projector",
    "visualiseur": "visualiser",
    "robot": "robot_kit",
    "kit robotique": "robot_kit",
    "reseau": "network_gear",
    "materiel reseau": "network_gear",
    "ordinateur": "desktop",
    "ordinateur fixe": "desktop",
    "ordinateur de bureau": "desktop",
    "pc fixe": "desktop",
    "autre": "other",
    # English
    "laptop computer": "laptop",
    "notebook": "laptop",
    "interactive whiteboard": "interactive_screen",
    "visualizer": "visualiser",
    "document camera": "visualiser",
    "robotics kit": "robot_kit",
    "network equipment": "network_gear",
    "desktop computer": "desktop",
    "computer": "desktop",
}


@dataclass(frozen=True)
class EquipmentType:
    """An equipment type read from a file: one of ``EQUIPMENT_TYPES`` (``known``), or a
    type the list does not have, kept as it was written (« imprimante »)."""

    value: str
    known: bool


def read_equipment_type(text: str) -> EquipmentType:
    """A type as people write it, in French or English, any case, with or without
    accents or a plural « s » ("Tablettes", "écran interactif", "Projector").

    A type the list does not know is not an error: it is kept as written (spaces
    tidied), so that an inventory with printers or speakers still imports; only an
    empty or too long type is refused."""
    written = _SPACES.sub(" ", (text or "").strip())
    folded = _fold(written)
    if not folded:
        raise DomainError(ERR_MISSING, field=field_term("type"))
    for candidate in (folded, _singular(folded)):
        code = _TYPE_ALIASES.get(candidate)
        if code is not None:
            return EquipmentType(code, known=True)
    if units(written) > MAX_LENGTHS["type"]:
        raise DomainError(ERR_TOO_LONG, field=field_term("type"), max=MAX_LENGTHS["type"])
    return EquipmentType(written, known=False)


def _singular(folded: str) -> str:
    """Each word without its plural ending: "ecrans interactifs" → "ecran interactif"."""
    return " ".join(
        word[:-1] if len(word) > 3 and word[-1] in "sx" else word for word in folded.split(" ")
    )


def same_equipment_type(a: str, b: str) -> bool:
    """Whether two types written in a file are the same, as people read them."""
    return _fold(a) == _fold(b)


# --------------------------------------------------------------------------- values


def parse_amount_eur(text: str) -> Decimal:
    """An amount in euros, as people type it: ``1234.5``, ``1 234,50 €``, ``459,90``.

    A dot or a French comma separates the (at most two) decimals; spaces and no-break
    spaces may group thousands; a euro sign (or "EUR") may follow or precede. Negative
    amounts, more than two decimals and amounts over ``MAX_AMOUNT_EUR`` are refused.
    Returns a ``Decimal`` with two decimals.
    """
    raw = (text or "").strip()
    value = _SPACES.sub("", raw)
    for sign in ("€", "EUR", "eur", "Eur"):
        value = value.removesuffix(sign).removeprefix(sign)
    if not value:
        raise DomainError(ERR_AMOUNT, value=raw)
    if not value.isascii() or not _AMOUNT_RE.fullmatch(value):
        raise DomainError(ERR_AMOUNT, value=raw)
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already rules it out
        raise DomainError(ERR_AMOUNT, value=raw) from None
    if amount > MAX_AMOUNT_EUR:
        raise DomainError(ERR_AMOUNT, value=raw)
    return amount.quantize(Decimal("0.01"))


def eur_to_cents(amount: Decimal) -> int:
    """Euros (``Decimal``) to integer cents, rounded half up."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_to_eur(cents: int) -> Decimal:
    """Integer cents to euros (``Decimal`` with two decimals)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def parse_iso_date(text: str) -> date:
    """A calendar day written ``YYYY-MM-DD`` (and nothing else)."""
    value = (text or "").strip()
    if not value:
        raise DomainError(ERR_DATE, value=value)
    if not _ISO_DATE_RE.fullmatch(value):
        raise DomainError(ERR_DATE, value=value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(ERR_DATE, value=value) from None
