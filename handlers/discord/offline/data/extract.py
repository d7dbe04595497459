"""Build ``discord_api_v10.json`` from Discord's ``openapi.json`` (HTTP API v10).

This script is run by hand against the original file; neither the bot nor the tests run it::

    python handlers/discord/offline/data/extract.py /path/to/discord-api-spec/openapi.json \
        handlers/discord/offline/data/discord_api_v10.json

It keeps the operations the bot uses (:data:`OPERATIONS`) with their path and query
parameters and request bodies (the ``application/json`` and ``multipart/form-data`` ones),
and every schema those reach through ``$ref``, in the same OpenAPI 3.1 layout, so that the
offline Discord can validate each request with ``$ref`` resolved inside the file. It drops
the prose (``description``, ``title``), the responses (the offline Discord builds its answers
from discord.py's ``discord/types``) and the ``application/x-www-form-urlencoded`` bodies
(discord.py never sends them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OPERATIONS: tuple[tuple[str, str], ...] = (
    # login and the gateway
    ("get", "/users/@me"),
    ("get", "/oauth2/applications/@me"),
    ("get", "/gateway/bot"),
    # slash commands
    ("get", "/applications/{application_id}/commands"),
    ("put", "/applications/{application_id}/commands"),
    ("get", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("put", "/applications/{application_id}/guilds/{guild_id}/commands"),
    # interactions: the initial response, then the webhook follow-ups and edits
    ("post", "/interactions/{interaction_id}/{interaction_token}/callback"),
    ("post", "/webhooks/{webhook_id}/{webhook_token}"),
    ("get", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("delete", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("get", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("delete", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    # channels, messages, forum threads, direct messages
    ("get", "/channels/{channel_id}"),
    ("patch", "/channels/{channel_id}"),  # a forum post's tags
    ("post", "/channels/{channel_id}/messages"),
    ("get", "/channels/{channel_id}/messages/{message_id}"),
    ("patch", "/channels/{channel_id}/messages/{message_id}"),
    ("delete", "/channels/{channel_id}/messages/{message_id}"),
    ("post", "/channels/{channel_id}/threads"),
    ("post", "/users/@me/channels"),
)

_DROPPED = frozenset({"description", "title", "summary", "externalDocs"})
_BODY_TYPES = ("application/json", "multipart/form-data")


def _strip(node: Any) -> Any:
    """``node`` without its prose, recursively (a property named ``title`` stays)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED and not isinstance(value, dict):
                continue
            out[key] = _strip(value)
        return out
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _refs(node: Any) -> set[str]:
    """Names of the component schemas ``node`` points at."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def reduce_spec(source: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``source`` for :data:`OPERATIONS`, with the schemas they reach."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        item = source["paths"][path]
        operation = item[method]
        kept: dict[str, Any] = {"operationId": operation["operationId"]}
        if "parameters" in operation:
            kept["parameters"] = operation["parameters"]
        body = operation.get("requestBody")
        if body is not None:
            kept["requestBody"] = {
                "required": body.get("required", False),
                "content": {
                    kind: content
                    for kind, content in body["content"].items()
                    if kind in _BODY_TYPES
                },
            }
        entry = paths.setdefault(path, {})
        if "parameters" in item:
            entry["parameters"] = item["parameters"]
        entry[method] = kept
    schemas = source["components"]["schemas"]
    wanted: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo |= _refs(schemas[name]) - wanted
    return _strip(
        {
            "openapi": source["openapi"],
            "info": {
                "title": source["info"]["title"],
                "version": source["info"]["version"],
                "license": source["info"]["license"],
            },
            "paths": paths,
            "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
        }
    )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} openapi.json discord_api_v10.json", file=sys.stderr)
        return 2
    source = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    reduced = reduce_spec(source)
    Path(argv[2]).write_text(
        json.dumps(reduced, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
