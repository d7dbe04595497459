"""Validation of Bot API requests against the Bot API 8.1 schema (``data/bot_api_8_1.json``).

The Bot API receives every top-level parameter as a string (form field or JSON string value,
which is how python-telegram-bot sends them: ``RequestData.json_parameters``) and interprets
it according to the type the method expects: integers and booleans are parsed, objects and
arrays are JSON-decoded, strings are taken as they are.  Inside JSON objects, types are
checked like TDLib's JSON helpers do (a number is accepted where a string is expected, a
numeric string where an integer is expected).

Failures raise :class:`RequestRefused` carrying the text Telegram puts after ``Bad Request:``.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from handlers.telegram.offline.html import HTMLParseError, parse_html, utf16_len

__all__ = [
    "MethodSpec",
    "ObjectSpec",
    "OfflineAPIWarning",
    "RequestRefused",
    "Schema",
    "UploadedFile",
    "Validator",
    "load_schema",
]

TypeInfo = Mapping[str, Any]

_PARSE_MODES = frozenset({"html", "markdownv2", "markdown", ""})
_INTEGER = re.compile(r"[+-]?\d+")
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_TYPE_NAMES = {
    "integer": "Integer",
    "string": "String",
    "bool": "Boolean",
    "float": "Float",
    "array": "Array",
}
_MISSING_REASONS = {
    "chat_id": "chat_id is empty",
    "from_chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "QUERY_ID_INVALID",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "file_id": "file_id not specified",
    "media": "media not specified",
    "action": "action not specified",
}
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


# Arguments Telegram ignores without a word and python-telegram-bot sends on its own:
# ``Defaults(parse_mode=HTML)`` adds parse_mode to every edit, the keyboard-only ones
# included. Warning about them would only teach people to ignore the warnings.
TOLERATED_ARGUMENTS = frozenset({("editMessageReplyMarkup", "parse_mode")})


class OfflineAPIWarning(UserWarning):
    """A request the offline Bot API accepted but cannot fully check (e.g. an argument newer
    than Bot API 8.1)."""


class RequestRefused(Exception):
    """A request Telegram would refuse.

    ``status`` is the HTTP status / ``error_code``; ``description`` the full Telegram text
    (``"Bad Request: message is too long"``).
    """

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status

    @classmethod
    def bad_request(cls, reason: str) -> RequestRefused:
        return cls(f"Bad Request: {reason}", 400)


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded with ``multipart/form-data`` (an ``InputFile``)."""

    part: str
    """Name of the multipart part."""
    filename: str
    mime_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    arguments: dict[str, dict[str, Any]]
    multipart_only: bool
    return_type: dict[str, Any]


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    kind: str  # "properties", "any_of" or "unknown"
    properties: dict[str, dict[str, Any]]
    any_of: list[dict[str, Any]]


@dataclass(frozen=True)
class Schema:
    version: str
    methods: dict[str, MethodSpec]  # keyed by lower-case name: Telegram ignores the case
    objects: dict[str, ObjectSpec]

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())


@functools.cache
def load_schema() -> Schema:
    """The Bot API 8.1 schema shipped with the package (loaded once)."""
    raw = (
        resources.files("handlers.telegram.offline")
        .joinpath("data/bot_api_8_1.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(raw)
    version = "{major}.{minor}.{patch}".format(**data["version"])
    methods = {
        method["name"].lower(): MethodSpec(
            name=method["name"],
            arguments={arg["name"]: arg for arg in method.get("arguments", [])},
            multipart_only=bool(method.get("multipart_only")),
            return_type=method["return_type"],
        )
        for method in data["methods"]
    }
    objects = {
        obj["name"]: ObjectSpec(
            name=obj["name"],
            kind=obj.get("type", "unknown"),
            properties={prop["name"]: prop for prop in obj.get("properties", [])},
            any_of=list(obj.get("any_of", [])),
        )
        for obj in data["objects"]
    }
    return Schema(version=version, methods=methods, objects=objects)


def _type_label(info: TypeInfo) -> str:
    kind = info.get("type")
    if kind == "reference":
        return str(info["reference"])
    if kind == "any_of":
        return " or ".join(_type_label(alt) for alt in info["any_of"])
    if kind == "array":
        return f"Array of {_type_label(info['array'])}"
    return _TYPE_NAMES.get(str(kind), str(kind))


def _companion_parse_mode(name: str, siblings: Mapping[str, Any]) -> str | None:
    """Name of the parse-mode field that applies to the text field ``name``, if any."""
    if f"{name}_parse_mode" in siblings:
        return f"{name}_parse_mode"
    if name in ("text", "caption", "message_text") and "parse_mode" in siblings:
        return "parse_mode"
    return None


def _is_text_field(owner: str, name: str) -> bool:
    return (owner, name) in {
        ("sendMessage", "text"),
        ("editMessageText", "text"),
        ("InputTextMessageContent", "message_text"),
    }


class Validator:
    """Decode and check the arguments of one request."""

    def __init__(self, schema: Schema, *, strict_unknown_args: bool = False) -> None:
        self.schema = schema
        self.strict_unknown_args = strict_unknown_args
        # Off only in a benchmark's timed loop (``OfflineBotAPI.checks``): arguments are
        # decoded, their constraints (lengths, HTML) not checked.
        self.checking = True
        self._unknowns: list[str] = []
        self._object_hooks: dict[str, Callable[[dict[str, Any], str], None]] = {
            "InlineKeyboardButton": self._check_inline_button,
            "BotCommand": self._check_bot_command,
        }

    # -- entry point ---------------------------------------------------------------------

    def decode_arguments(
        self,
        method: MethodSpec,
        raw: Mapping[str, str],
        files: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        """The decoded arguments of ``method``, or :class:`RequestRefused`.

        ``raw`` holds the string value of each parameter, ``files`` the multipart uploads by
        part name.  A parameter absent from ``raw`` but uploaded under its own name is an
        ``InputFile``.
        """
        self._unknowns = [
            f"argument {name!r} of {method.name}"
            for name in raw
            if name not in method.arguments and (method.name, name) not in TOLERATED_ARGUMENTS
        ]
        decoded: dict[str, Any] = {}
        for name, spec in method.arguments.items():
            if name in raw:
                decoded[name] = self._decode_top(spec, raw[name], name, files)
            elif name in files and self._accepts_input_file(spec):
                decoded[name] = files[name]
            elif spec.get("required"):
                raise RequestRefused.bad_request(
                    _MISSING_REASONS.get(name, f'parameter "{name}" is required')
                )
        for name in raw:
            if name not in method.arguments:
                decoded[name] = raw[name]
        if self.checking:
            self._check_constraints(method.name, method.arguments, decoded, "")
        self._report_unknowns()
        return decoded

    # -- top level: strings to values ----------------------------------------------------

    def _decode_top(
        self, info: TypeInfo, value: str, path: str, files: Mapping[str, UploadedFile]
    ) -> Any:
        kind = info.get("type")
        if kind == "string":
            return value
        if kind == "integer":
            if _INTEGER.fullmatch(value.strip()):
                return int(value)
            raise self._wrong_type(info, path)
        if kind == "float":
            try:
                return float(value)
            except ValueError:
                raise self._wrong_type(info, path) from None
        if kind == "bool":
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise self._wrong_type(info, path)
        if kind == "reference" and info["reference"] == "InputFile":
            return self._attached_file(value, path, files)
        if kind in ("array", "reference"):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise RequestRefused.bad_request(f"can't parse {path} JSON object") from None
            return self._validate(info, parsed, path, files)
        if kind == "any_of":
            return self._any_of(info["any_of"], value, path, files, top=True)
        raise RequestRefused.bad_request(f"unsupported type for {path}")  # pragma: no cover

    def _accepts_input_file(self, info: TypeInfo) -> bool:
        if info.get("type") == "reference":
            return bool(info["reference"] == "InputFile")
        if info.get("type") == "any_of":
            return any(self._accepts_input_file(alt) for alt in info["any_of"])
        return False

    def _attached_file(
        self, value: Any, path: str, files: Mapping[str, UploadedFile]
    ) -> UploadedFile:
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name in files:
                return files[name]
            raise RequestRefused.bad_request(f'can\'t find attached file "{name}" for {path}')
        raise RequestRefused.bad_request(f'Field "{path}" must be an uploaded file (InputFile)')

    # -- JSON level ----------------------------------------------------------------------

    def _validate(
        self, info: TypeInfo, value: Any, path: str, files: Mapping[str, UploadedFile]
    ) -> Any:
        kind = info.get("type")
        if kind == "string":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return json.dumps(value)
            raise self._wrong_type(info, path)
        if kind == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _INTEGER.fullmatch(value):
                return int(value)
            raise self._wrong_type(info, path)
        if kind == "float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise self._wrong_type(info, path)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise self._wrong_type(info, path)
        if kind == "array":
            if not isinstance(value, list):
                raise self._wrong_type(info, path)
            return [
                self._validate(info["array"], item, f"{path}[{index}]", files)
                for index, item in enumerate(value)
            ]
        if kind == "any_of":
            return self._any_of(info["any_of"], value, path, files, top=False)
        if kind == "reference":
            return self._validate_object(str(info["reference"]), value, path, files)
        raise RequestRefused.bad_request(f"unsupported type for {path}")  # pragma: no cover

    def _validate_object(
        self, name: str, value: Any, path: str, files: Mapping[str, UploadedFile]
    ) -> Any:
        if name == "InputFile":
            return self._attached_file(value, path, files)
        spec = self.schema.objects.get(name)
        if spec is None:  # pragma: no cover - the schema is self-consistent
            raise RequestRefused.bad_request(f"unknown object type {name}")
        if spec.kind == "any_of":
            return self._any_of(spec.any_of, value, path, files, top=False)
        if not isinstance(value, dict):
            raise RequestRefused.bad_request(
                f'Field "{path}" must be of type {name} (a JSON object)'
            )
        if spec.kind != "properties":
            return value
        decoded: dict[str, Any] = {}
        for key, item in value.items():
            prop = spec.properties.get(key)
            if prop is None:
                self._unknowns.append(f"field {key!r} of {name} (in {path})")
                decoded[key] = item
                continue
            decoded[key] = self._validate(prop, item, f"{path}.{key}", files)
            if prop.get("required") and "default" in prop and decoded[key] != prop["default"]:
                raise RequestRefused.bad_request(
                    f'Field "{path}.{key}" of {name} must be {json.dumps(prop["default"])}'
                )
        for key, prop in spec.properties.items():
            if prop.get("required") and key not in value:
                raise RequestRefused.bad_request(
                    f'can\'t parse {name} in "{path}": Can\'t find field "{key}"'
                )
        self._check_constraints(name, spec.properties, decoded, f"{path}.")
        hook = self._object_hooks.get(name)
        if hook is not None:
            hook(decoded, path)
        return decoded

    def _any_of(
        self,
        alternatives: list[dict[str, Any]],
        value: Any,
        path: str,
        files: Mapping[str, UploadedFile],
        *,
        top: bool,
    ) -> Any:
        errors: list[tuple[int, RequestRefused]] = []
        for alt in alternatives:
            # Unknown fields met while trying an alternative that does not match are not news.
            unknowns = len(self._unknowns)
            try:
                if top:
                    return self._decode_top(alt, value, path, files)
                return self._validate(alt, value, path, files)
            except RequestRefused as exc:
                del self._unknowns[unknowns:]
                errors.append((self._match_score(alt, value), exc))
        best = max(errors, key=lambda pair: pair[0])
        if best[0] > 0:
            raise best[1]
        labels = " or ".join(_type_label(alt) for alt in alternatives)
        raise RequestRefused.bad_request(f'Field "{path}" must be of type {labels}')

    def _match_score(self, info: TypeInfo, value: Any) -> int:
        """How well ``value`` looks like ``info``: picks the error worth reporting."""
        if isinstance(value, str) and info.get("type") in ("reference", "array"):
            try:
                value = json.loads(value)
            except ValueError:
                return 0
        if info.get("type") != "reference" or not isinstance(value, dict):
            return 0
        spec = self.schema.objects.get(str(info["reference"]))
        if spec is None:
            return 0
        if spec.kind == "any_of":
            return max((self._match_score(alt, value) for alt in spec.any_of), default=0)
        score = sum(1 for key in value if key in spec.properties)
        for key, prop in spec.properties.items():
            if prop.get("required") and "default" in prop:
                # A discriminator ("type": "chat", "remove_keyboard": true...): absent, the
                # object is another one; present, it tells which object was meant.
                if key not in value:
                    return 0
                if value[key] == prop["default"]:
                    score += 10
        return score

    # -- constraints ---------------------------------------------------------------------

    def _check_constraints(
        self,
        owner: str,
        specs: Mapping[str, Mapping[str, Any]],
        values: Mapping[str, Any],
        prefix: str,
    ) -> None:
        for name, value in values.items():
            spec = specs.get(name)
            if spec is None:
                continue
            if (
                name.endswith("parse_mode")
                and isinstance(value, str)
                and value.lower() not in _PARSE_MODES
            ):
                raise RequestRefused.bad_request("unsupported parse_mode")
            enumeration = spec.get("enumeration")
            if enumeration and value not in enumeration:
                if owner == "sendChatAction" and name == "action":
                    raise RequestRefused.bad_request("wrong parameter action in request")
                raise RequestRefused.bad_request(
                    f'Field "{prefix}{name}" must be one of {json.dumps(enumeration)}'
                )
            if isinstance(value, str) and spec.get("type") in ("string", "any_of"):
                self._check_string(owner, name, spec, value, specs, values, prefix)

    def _check_string(
        self,
        owner: str,
        name: str,
        spec: Mapping[str, Any],
        value: str,
        specs: Mapping[str, Any],
        values: Mapping[str, Any],
        prefix: str,
    ) -> None:
        visible = value
        mode_field = _companion_parse_mode(name, specs)
        if mode_field is not None:
            mode = values.get(mode_field)
            if isinstance(mode, str) and mode.lower() == "html":
                try:
                    visible = parse_html(value)
                except HTMLParseError as exc:
                    raise RequestRefused.bad_request(f"can't parse entities: {exc}") from None
        length = utf16_len(visible)
        min_len, max_len = spec.get("min_len"), spec.get("max_len")
        is_text = _is_text_field(owner, name)
        if is_text and not visible.strip():
            raise RequestRefused.bad_request("message text is empty")
        if max_len is not None and length > max_len:
            if is_text:
                raise RequestRefused.bad_request("message is too long")
            if name == "caption":
                raise RequestRefused.bad_request("message caption is too long")
            if owner == "BotCommand":
                raise RequestRefused.bad_request(_bot_command_reason(name))
            if owner == "answerCallbackQuery":
                raise RequestRefused.bad_request("MESSAGE_TOO_LONG")
            raise RequestRefused.bad_request(
                f'Field "{prefix}{name}" must be at most {max_len} characters long, got {length}'
            )
        if min_len is not None and length < min_len:
            if owner == "BotCommand":
                raise RequestRefused.bad_request(_bot_command_reason(name))
            raise RequestRefused.bad_request(
                f'Field "{prefix}{name}" must be at least {min_len} characters long'
            )
        size = len(value.encode("utf-8", "surrogatepass"))
        min_bytes, max_bytes = spec.get("min_bytes"), spec.get("max_bytes")
        if (max_bytes is not None and size > max_bytes) or (
            min_bytes is not None and size < min_bytes
        ):
            if owner == "InlineKeyboardButton" and name == "callback_data":
                raise RequestRefused.bad_request("BUTTON_DATA_INVALID")
            raise RequestRefused.bad_request(
                f'Field "{prefix}{name}" must be {min_bytes or 0}-{max_bytes} bytes long, '
                f"got {size}"
            )

    # -- semantic checks of some objects ----------------------------------------------------

    @staticmethod
    def _check_inline_button(button: dict[str, Any], path: str) -> None:
        actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
        if not actions:
            raise RequestRefused.bad_request("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise RequestRefused.bad_request(
                f"can't parse inline keyboard button {path}: exactly one of the optional fields "
                f"must be used, got {', '.join(actions)}"
            )
        url = button.get("url")
        if isinstance(url, str) and not _valid_button_url(url):
            raise RequestRefused.bad_request(
                f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
            )

    @staticmethod
    def _check_bot_command(command: dict[str, Any], path: str) -> None:
        if not _BOT_COMMAND.fullmatch(str(command.get("command", ""))):
            raise RequestRefused.bad_request("BOT_COMMAND_INVALID")
        if not str(command.get("description", "")).strip():
            raise RequestRefused.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")

    # -- errors and warnings -------------------------------------------------------------

    def _wrong_type(self, info: TypeInfo, path: str) -> RequestRefused:
        return RequestRefused.bad_request(f'Field "{path}" must be of type {_type_label(info)}')

    def _report_unknowns(self) -> None:
        """Warn about (or, when strict, refuse) arguments and fields unknown to the schema."""
        unknowns, self._unknowns = self._unknowns, []
        for what in unknowns:
            message = f"offline Bot API: unknown {what}, not in Bot API {self.schema.version}"
            if self.strict_unknown_args:
                raise RequestRefused.bad_request(message)
            warnings.warn(message, OfflineAPIWarning, stacklevel=2)


def _bot_command_reason(name: str) -> str:
    return "BOT_COMMAND_INVALID" if name == "command" else "BOT_COMMAND_DESCRIPTION_INVALID"


def _valid_button_url(url: str) -> bool:
    """Roughly what Telegram accepts as a button URL: http(s) or tg:// with a real host."""
    if not url or any(char.isspace() for char in url):
        return False
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme == "tg":
        return bool(parts.netloc or parts.path)
    if scheme not in ("http", "https"):
        return False
    host = parts.hostname or ""
    return "." in host.strip(".")
