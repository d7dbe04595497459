"""Build ``bot_api_8_1.json`` from the tg-bot-api ``custom.min.json`` (Bot API 8.1).

This script is run by hand against the original file; neither the bot nor the tests run it::

    python handlers/telegram/offline/data/extract.py /work/shared/telegram-bot-api/custom.min.json \
        handlers/telegram/offline/data/bot_api_8_1.json

It keeps every method and every object with their types, ``required`` flags, defaults,
enumerations and ``min``/``max``/``min_len``/``max_len`` bounds, and drops the prose
(``description``, ``documentation_link``).  A byte limit that the documentation only states in
prose ("1-64 bytes", "can't exceed 64 bytes") becomes explicit ``min_bytes``/``max_bytes``
fields, so that nothing of value is lost with the descriptions.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_DROPPED = ("description", "documentation_link")
_RANGE_BYTES = re.compile(r"\b(\d+)-(\d+) bytes\b")
_MAX_BYTES = re.compile(r"can't exceed (\d+) bytes\b")


def _byte_limits(description: str) -> dict[str, int]:
    """Byte limits stated in a description, as ``min_bytes``/``max_bytes`` fields."""
    if match := _RANGE_BYTES.search(description):
        return {"min_bytes": int(match.group(1)), "max_bytes": int(match.group(2))}
    if match := _MAX_BYTES.search(description):
        return {"max_bytes": int(match.group(1))}
    return {}


def _strip_field(field: dict[str, Any]) -> dict[str, Any]:
    """An argument or a property without its prose, with its byte limits made explicit."""
    out = {key: value for key, value in field.items() if key not in _DROPPED}
    if field.get("type") == "string":
        out.update(_byte_limits(field.get("description", "")))
    return out


def reduce_schema(source: dict[str, Any]) -> dict[str, Any]:
    """The reduced schema: same structure, no prose."""
    methods = []
    for method in source["methods"]:
        reduced = {key: value for key, value in method.items() if key not in _DROPPED}
        reduced["arguments"] = [_strip_field(arg) for arg in method.get("arguments", [])]
        methods.append(reduced)
    objects = []
    for obj in source["objects"]:
        reduced = {key: value for key, value in obj.items() if key not in _DROPPED}
        if "properties" in obj:
            reduced["properties"] = [_strip_field(prop) for prop in obj["properties"]]
        objects.append(reduced)
    return {
        "version": source["version"],
        "recent_changes": source["recent_changes"],
        "methods": methods,
        "objects": objects,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} custom.min.json bot_api_8_1.json", file=sys.stderr)
        return 2
    source = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    reduced = reduce_schema(source)
    Path(argv[2]).write_text(
        json.dumps(reduced, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
