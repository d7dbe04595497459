"""Responsible bodies (art. 1): who answers for a school under the convention.

A public school is under its commune (the convention with the communes); a private
school under an OGEC, and some pupils under an institute for children with
disabilities (their own conventions). The duties, pledge and payment of a claim, the
yearly list of new equipment and every later notice go to the school's body.

Pure: no I/O. Readings kept here, one place each:

* A commune's body has the code ``commune:<INSEE>`` (``commune_body_code``); it is made
  for every commune of the directory and is the default body of its schools.
* A public school is always under its commune's body; a private school may be under
  an OGEC, an institute or, until the directory names one, its commune (decision 0013).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from bot.domain.errors import DomainError

ERR_BODY_KIND: Final = "directory.error.body_kind"  # param: value
ERR_BODY_CODE: Final = "directory.error.body_code"  # param: value
ERR_BODY_PUBLIC: Final = "directory.error.body_public"  # public school under a non-commune
ERR_BODY_COMMUNE: Final = "directory.error.body_commune"  # kind commune with another code
ERR_BODY_NAME: Final = "directory.error.body_name"  # an OGEC or institute needs a name

COMMUNE_PREFIX: Final = "commune:"
MAX_CODE: Final = 40
MAX_NAME: Final = 200

_CODE_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9._:/-]*")


class BodyKind(StrEnum):
    COMMUNE = "commune"
    OGEC = "ogec"
    INSTITUTE = "institute"


_KIND_ALIASES: Final[dict[str, BodyKind]] = {
    "commune": BodyKind.COMMUNE,
    "ogec": BodyKind.OGEC,
    "institute": BodyKind.INSTITUTE,
    "institut": BodyKind.INSTITUTE,
}


def commune_body_code(insee: str) -> str:
    """The code of a commune's own body: ``commune:42218``."""
    return f"{COMMUNE_PREFIX}{insee}"


def normalize_body_kind(text: str) -> BodyKind:
    value = (text or "").strip().lower()
    kind = _KIND_ALIASES.get(value)
    if kind is None:
        raise DomainError(ERR_BODY_KIND, value=text.strip())
    return kind


def normalize_body_code(text: str) -> str:
    """A body's code, as the directory's file gives it: spaces removed, upper case
    (the ``commune:`` prefix stays lower case)."""
    value = re.sub(r"\s+", "", text or "")
    if value.lower().startswith(COMMUNE_PREFIX):
        return COMMUNE_PREFIX + value[len(COMMUNE_PREFIX) :].upper()
    value = value.upper()
    if not value or len(value) > MAX_CODE or not value.isascii() or not _CODE_RE.fullmatch(value):
        raise DomainError(ERR_BODY_CODE, value=(text or "").strip())
    return value


def check_school_body(*, sector: str, kind: BodyKind, code: str, commune_insee: str) -> None:
    """A school's body must fit it: a public school is under its own commune, and a
    body of kind commune is the school's commune."""
    if kind is BodyKind.COMMUNE:
        if code and code != commune_body_code(commune_insee):
            raise DomainError(ERR_BODY_COMMUNE, value=code, insee=commune_insee)
        return
    if sector == "public":
        raise DomainError(ERR_BODY_PUBLIC, kind=kind.value)
    if code.startswith(COMMUNE_PREFIX):
        raise DomainError(ERR_BODY_CODE, value=code)


def is_commune(kind: BodyKind | str) -> bool:
    """Whether the wording may say « votre commune » (else « votre organisme gestionnaire »)."""
    return BodyKind(kind) is BodyKind.COMMUNE


def body_variant(key: str, kind: BodyKind | str | None) -> str:
    """The catalog key worded for a body: ``key`` for a commune, ``key_body`` for an OGEC
    or an institute (« l'organisme gestionnaire » instead of « la commune »)."""
    if kind is None or is_commune(kind):
        return key
    return f"{key}_body"
