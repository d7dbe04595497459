"""Discord's HTTP API v10 (the subset the bot uses) and the checks Discord makes on a request.

:class:`DiscordSpec` loads ``data/discord_api_v10.json`` (extracted from Discord's own OpenAPI
description, see ``data/README.md``), finds the operation of a request (method and path) and
validates its body with :mod:`jsonschema` (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
:func:`discord_limits` adds what Discord enforces but the description does not carry (a bot's
message content is at most 2,000 characters, 5 action rows, a select alone in its row, a modal
of at most 5 fields, unique ``custom_id``, the 6,000 characters of a message's embeds).

Every refusal is a :class:`FieldError` at a path of the body; :func:`invalid_form_body` turns
them into Discord's answer (code 50035, « Invalid Form Body », with the ``errors`` tree that
discord.py flattens into :attr:`discord.HTTPException.text`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "MAX_ACTION_ROWS",
    "MAX_CONTENT",
    "MAX_MODAL_FIELDS",
    "DiscordSpec",
    "FieldError",
    "Operation",
    "discord_limits",
    "invalid_form_body",
    "load_spec",
]

_SPEC_FILE = "discord_api_v10.json"
_SPEC_URI = "urn:pne-bot:discord-api-v10"

MAX_CONTENT = 2000
"""A bot's message content, in characters (the OpenAPI file says 4,000 for channel messages)."""
MAX_ACTION_ROWS = 5
"""Top-level components of a message without the components-v2 flag."""
MAX_MODAL_FIELDS = 5
"""Top-level components (rows or labels, one field each) of a modal."""
MAX_EMBED_CHARS = 6000
"""Titles, descriptions, fields, footers and author names of all a message's embeds together."""
IS_COMPONENTS_V2 = 1 << 15

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_PathPart = str | int


@dataclass(frozen=True)
class FieldError:
    """One refusal of a body field, as Discord words it."""

    path: tuple[_PathPart, ...]
    code: str
    message: str

    @property
    def dotted(self) -> str:
        """``components.0.components.1.custom_id``, as discord.py shows it."""
        return ".".join(str(part) for part in self.path) or "_errors"


@dataclass(frozen=True)
class Operation:
    """One operation of the description: ``POST /channels/{channel_id}/messages``."""

    method: str
    template: str
    operation_id: str
    params: tuple[str, ...]
    pattern: re.Pattern[str]
    bodies: Mapping[str, str]
    """Content type → JSON pointer (in the description) of the body's schema."""
    query: Mapping[str, Any]
    """Query parameter → its schema."""

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class DiscordSpec:
    """The description, ready to match requests and validate their bodies."""

    def __init__(self, document: dict[str, Any]) -> None:
        document = copy.deepcopy(document)
        # Discord reads a snowflake given as a JSON integer too (discord.py sends the ids of
        # new attachments as the integers 0..9); the description only says "string".
        snowflake = document["components"]["schemas"]["SnowflakeType"]
        document["components"]["schemas"]["SnowflakeType"] = {
            "anyOf": [snowflake, {"type": "integer", "minimum": 0}]
        }
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            names = tuple(re.findall(r"\{(\w+)\}", template))
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            for method, operation in item.items():
                if method == "parameters":
                    continue
                bodies = {
                    kind: _pointer(
                        "paths", template, method, "requestBody", "content", kind, "schema"
                    )
                    for kind in operation.get("requestBody", {}).get("content", {})
                }
                query = {
                    param["name"]: param["schema"]
                    for param in operation.get("parameters", [])
                    if param.get("in") == "query"
                }
                self.operations.append(
                    Operation(
                        method=method.upper(),
                        template=template,
                        operation_id=operation["operationId"],
                        params=names,
                        pattern=re.compile(regex),
                        bodies=bodies,
                        query=query,
                    )
                )
        # Literal segments first: "/users/@me" before "/users/{user_id}" and so on.
        self.operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation of ``method path`` and its path parameters, or None if not described."""
        for operation in self.operations:
            if operation.method != method.upper():
                continue
            found = operation.pattern.match(path)
            if found is not None:
                return operation, found.groupdict()
        return None

    def operation(self, key: str) -> Operation:
        """The operation ``"POST /channels/{channel_id}/messages"``."""
        for operation in self.operations:
            if operation.key == key:
                return operation
        raise KeyError(key)

    def _validator(self, pointer: str) -> Draft202012Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{_SPEC_URI}#{pointer}"}
            validator = Draft202012Validator(schema, registry=self._registry)
            self._validators[pointer] = validator
        return validator

    def validate_body(
        self, operation: Operation, body: Any, content_type: str = "application/json"
    ) -> list[FieldError]:
        """What the description refuses in ``body`` (empty when it is accepted)."""
        pointer = operation.bodies.get(content_type)
        if pointer is None:
            if body is None:
                return []
            return [FieldError((), "BASE_TYPE_INVALID", "This route takes no body.")]
        errors: list[FieldError] = []
        for error in self._validator(pointer).iter_errors(body):
            errors.extend(_field_errors(error))
        return _unique(errors)

    def validate_query(self, operation: Operation, query: Mapping[str, str]) -> list[FieldError]:
        """Ill-typed query parameters (the values are strings, as sent).

        Discord ignores the parameters it does not know (discord.py sends some the description
        lacks, such as ``use_nested_fields``), so only the described ones are checked.
        """
        errors: list[FieldError] = []
        for name, value in query.items():
            schema = operation.query.get(name)
            if schema is None:
                continue
            kind = schema.get("type")
            if kind == "boolean" and value.lower() not in {"true", "false", "1", "0"}:
                errors.append(FieldError((name,), "BOOLEAN_TYPE_CONVERT", "Must be a boolean."))
            if kind == "integer" and not re.fullmatch(r"-?\d+", value):
                errors.append(FieldError((name,), "NUMBER_TYPE_COERCE", "Must be an integer."))
        return errors


@cache
def load_spec() -> DiscordSpec:
    """The description shipped with the project (read once)."""
    text = (
        resources.files("handlers.discord.offline")
        .joinpath("data", _SPEC_FILE)
        .read_text(encoding="utf-8")
    )
    return DiscordSpec(json.loads(text))


# -- jsonschema's errors in Discord's words --------------------------------------------------


def _discord_error(error: ValidationError) -> tuple[str, str]:
    value = error.validator_value
    match error.validator:
        case "maxLength" | "maxItems":
            return "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
        case "minLength" | "minItems":
            return "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
        case "maximum":
            return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {value}."
        case "minimum":
            return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {value}."
        case "enum" | "const":
            choices = value if isinstance(value, list) else [value]
            return "BASE_TYPE_CHOICES", f"Value must be one of {tuple(choices)}."
        case "pattern":
            return "NUMBER_TYPE_COERCE", f'Value "{error.instance}" is not snowflake.'
        case "type":
            kinds = value if isinstance(value, list) else [value]
            name = next((kind for kind in kinds if kind != "null"), "value")
            return f"{name.upper()}_TYPE_CONVERT", f"Must be a valid {name}."
        case _:
            return "BASE_TYPE_INVALID", "Invalid Form Body"


def _is_discriminator_miss(error: ValidationError, depth: int) -> bool:
    """Whether ``error`` says that the instance is not of this alternative at all."""
    path = list(error.absolute_path)[depth:]
    if not path:
        return error.validator in {"type", "enum", "const"}
    return path == ["type"] and error.validator in {"enum", "const", "type"}


def _field_errors(error: ValidationError) -> Iterator[FieldError]:
    """Discord's field errors for one jsonschema error (unions followed to their branch)."""
    path = tuple(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in present:
                yield FieldError((*path, name), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if error.validator in {"oneOf", "anyOf"} and error.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        depth = len(path)
        fitting = [
            subs
            for subs in branches.values()
            if not any(_is_discriminator_miss(sub, depth) for sub in subs)
        ]
        if len(fitting) >= 1:
            best = min(fitting, key=len)
            for sub in best:
                yield from _field_errors(sub)
            return
        yield FieldError(path, "UNION_TYPE_CHOICES", "Value is not one of the accepted types.")
        return
    if error.validator == "allOf" and error.context:
        for sub in error.context:
            yield from _field_errors(sub)
        return
    code, message = _discord_error(error)
    yield FieldError(path, code, message)


def _unique(errors: Iterable[FieldError]) -> list[FieldError]:
    seen: dict[tuple[tuple[_PathPart, ...], str], FieldError] = {}
    for error in errors:
        seen.setdefault((error.path, error.code), error)
    return list(seen.values())


# -- what Discord enforces beyond the description --------------------------------------------


def _message_limits(
    message: Mapping[str, Any], at: tuple[_PathPart, ...], *, content_max: int = MAX_CONTENT
) -> Iterator[FieldError]:
    content = message.get("content")
    if isinstance(content, str) and len(content) > content_max:
        yield FieldError(
            (*at, "content"), "BASE_TYPE_MAX_LENGTH", f"Must be {content_max} or fewer in length."
        )
    components = message.get("components")
    flags = message.get("flags") or 0
    if isinstance(components, list):
        legacy = not (isinstance(flags, int) and flags & IS_COMPONENTS_V2)
        if legacy and len(components) > MAX_ACTION_ROWS:
            yield FieldError(
                (*at, "components"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_ACTION_ROWS} or fewer in length.",
            )
        yield from _rows_limits(components, (*at, "components"))
        yield from _custom_ids_unique(components, (*at, "components"))
    embeds = message.get("embeds")
    if isinstance(embeds, list):
        total = sum(_embed_chars(embed) for embed in embeds if isinstance(embed, Mapping))
        if total > MAX_EMBED_CHARS:
            yield FieldError(
                (*at, "embeds"),
                "MESSAGE_EMBEDS_TOO_LARGE",
                f"Embed size exceeds maximum size of {MAX_EMBED_CHARS}",
            )


def _rows_limits(components: list[Any], at: tuple[_PathPart, ...]) -> Iterator[FieldError]:
    for index, row in enumerate(components):
        if not isinstance(row, Mapping) or row.get("type") != 1:
            continue
        children = row.get("components")
        if not isinstance(children, list):
            continue
        kinds = [child.get("type") for child in children if isinstance(child, Mapping)]
        if any(kind in _SELECT_TYPES for kind in kinds) and len(kinds) > 1:
            yield FieldError(
                (*at, index, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )


def _walk_components(node: Any, at: tuple[_PathPart, ...]) -> Iterator[tuple[Any, tuple]]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_components(item, (*at, index))
    elif isinstance(node, Mapping):
        yield node, at
        for key in ("components", "component", "accessory"):
            if key in node:
                yield from _walk_components(node[key], (*at, key))


def _custom_ids_unique(components: list[Any], at: tuple[_PathPart, ...]) -> Iterator[FieldError]:
    seen: set[str] = set()
    for node, where in _walk_components(components, at):
        custom_id = node.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        if custom_id in seen:
            yield FieldError(
                (*where, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def _embed_chars(embed: Mapping[str, Any]) -> int:
    def text(value: Any) -> int:
        return len(value) if isinstance(value, str) else 0

    total = text(embed.get("title")) + text(embed.get("description"))
    for field in embed.get("fields") or []:
        if isinstance(field, Mapping):
            total += text(field.get("name")) + text(field.get("value"))
    for part, key in (("footer", "text"), ("author", "name")):
        value = embed.get(part)
        if isinstance(value, Mapping):
            total += text(value.get(key))
    return total


def _modal_limits(data: Mapping[str, Any], at: tuple[_PathPart, ...]) -> Iterator[FieldError]:
    components = data.get("components")
    if not isinstance(components, list):
        return
    if len(components) > MAX_MODAL_FIELDS:
        yield FieldError(
            (*at, "components"),
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {MAX_MODAL_FIELDS} or fewer in length.",
        )
    for index, row in enumerate(components):
        if isinstance(row, Mapping) and row.get("type") == 1:
            children = row.get("components")
            if isinstance(children, list) and len(children) > 1:
                yield FieldError(
                    (*at, "components", index, "components"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 1 or fewer in length.",
                )
    yield from _custom_ids_unique(components, (*at, "components"))


def discord_limits(operation: Operation, body: Any) -> list[FieldError]:
    """What Discord refuses in ``body`` although the description lets it through."""
    if not isinstance(body, Mapping):
        return []
    errors: list[FieldError] = []
    match operation.operation_id:
        case "create_interaction_response":
            data = body.get("data")
            if isinstance(data, Mapping):
                if body.get("type") == 9:
                    errors.extend(_modal_limits(data, ("data",)))
                else:
                    errors.extend(_message_limits(data, ("data",)))
        case "create_thread":
            message = body.get("message")
            if isinstance(message, Mapping):
                errors.extend(_message_limits(message, ("message",)))
        case (
            "create_message"
            | "update_message"
            | "execute_webhook"
            | "update_original_webhook_message"
            | "update_webhook_message"
        ):
            errors.extend(_message_limits(body, ()))
    return errors


def invalid_form_body(errors: Iterable[FieldError]) -> dict[str, Any]:
    """Discord's answer to a refused body: code 50035 with the ``errors`` tree."""
    tree: dict[str, Any] = {}
    for error in errors:
        node = tree
        for part in error.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    return {"code": 50035, "errors": tree, "message": "Invalid Form Body"}
