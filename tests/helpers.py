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
