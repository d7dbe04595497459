"""The layers hold: only the front ends import their messenger, the domain is plain Python.

The contracts are in ``pyproject.toml`` (``[tool.importlinter]``); import-linter follows
every import, direct or through other modules of the project, lazy ones included.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    found = str(exe) if exe.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: install the project with its dev extras")
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [found, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_layer_contract_is_kept() -> None:
    out = _lint_imports()
    assert "0 broken" in out
    assert "Contracts: 5 kept" in out


def test_the_domain_and_the_services_load_without_any_messenger() -> None:
    """Importing every use case leaves telegram and discord unloaded (a fresh interpreter)."""
    code = (
        "import sys, pkgutil, importlib, bot.domain, bot.services, bot.cards, storage\n"
        "for pkg in (bot.domain, bot.services, bot.cards, storage):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' not in m.name:\n"
        "            importlib.import_module(m.name)\n"
        "print(sorted(n for n in ('telegram', 'discord') if n in sys.modules))\n"
    )
    result = subprocess.run(  # noqa: S603 - the interpreter running these tests
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
