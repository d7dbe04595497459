"""Run the benchmarks: every ``bench/bench_*.py`` module's ``async def main()``, in turn.

    python -m bench                  # all of them (``make bench`` adds a PostgreSQL cluster)
    python -m bench reminders help   # only bench_reminders and bench_help

Benchmarks are run by hand, never by the test suite. One failing benchmark is reported and
the others still run; the exit status says whether any failed.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

PREFIX = "bench_"


def discover() -> list[str]:
    """The short names (``reminders`` for ``bench_reminders``) of the benchmark modules."""
    folder = str(Path(__file__).resolve().parent)
    return sorted(
        info.name.removeprefix(PREFIX)
        for info in pkgutil.iter_modules([folder])
        if info.name.startswith(PREFIX) and not info.ispkg
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    available = discover()
    if args in (["-h"], ["--help"]):
        print(__doc__)
        print("available:", ", ".join(available) or "none")
        return 0
    chosen = [name.removeprefix(PREFIX) for name in args] or available
    unknown = [name for name in chosen if name not in available]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    failed: list[str] = []
    for name in chosen:
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{PREFIX}{name}")
            entry = getattr(module, "main", None)
            if entry is None or not inspect.iscoroutinefunction(entry):
                raise TypeError(f"bench.{PREFIX}{name} has no `async def main() -> None`")
            asyncio.run(entry())
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except Exception:
            traceback.print_exc()
            failed.append(name)
            print(f"--- {name}: FAILED", flush=True)
        else:
            print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
