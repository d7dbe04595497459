"""Small assertions shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.domain.errors import DomainError


@contextmanager
def refuses(code: str) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """The block raises a DomainError with exactly this catalog code."""
    with pytest.raises(DomainError) as caught:
        yield caught
    assert caught.value.code == code, f"expected {code}, got {caught.value.code}"


def fuzz_budget(examples: int) -> dict[str, object]:
    """The hypothesis settings of a dialogue fuzz: in ``make test``, ``examples`` runs from
    a fixed seed (the same inputs every time, so a failure is reproduced by running it
    again); in ``make fuzz`` (``PNE_FUZZ_SCALE``, ``PNE_FUZZ_RANDOM=1``) many times more,
    from new seeds, which hypothesis prints with any failure."""
    import os

    scale = max(1, int(os.environ.get("PNE_FUZZ_SCALE", "1")))
    random = os.environ.get("PNE_FUZZ_RANDOM") == "1"
    return {"max_examples": examples * scale, "derandomize": not random}
