"""``${name}`` substitution in requests and expectations, and captures out of responses."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "UndefinedVariable",
    "fresh_unique",
    "placeholders",
    "resolve_pointer",
    "substitute",
]

# ``$${`` is an escaped literal ``${``; ``${name}`` is a placeholder.
_PLACEHOLDER = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_REGEX_KEY = "$regex"


class UndefinedVariable(KeyError):
    """A ``${name}`` with no value: not declared, not captured yet, not built in."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return (
            f"variable ${{{self.name}}} is not defined "
            "(declare it or capture it in an earlier step)"
        )


def fresh_unique() -> str:
    """A short random token for ``${unique}``: lower-case hex, safe in any attribute."""
    return secrets.token_hex(5)


def placeholders(text: str) -> Iterator[str]:
    """Names of the ``${name}`` placeholders in ``text`` (escaped ``$${`` skipped)."""
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) is not None:
            yield match.group(1)


def _lookup(name: str, variables: Mapping[str, Any], new_uuid: Callable[[], str]) -> Any:
    if name == "uuid":
        return new_uuid()
    if not _NAME.match(name) or name not in variables:
        raise UndefinedVariable(name)
    return variables[name]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _substitute_text(
    text: str,
    variables: Mapping[str, Any],
    new_uuid: Callable[[], str],
    escape: Callable[[str], str] | None,
) -> Any:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole is not None and whole.group(1) is not None and escape is None:
        # A string that is exactly one placeholder takes the value's own JSON type (a captured
        # number stays a number).
        return _lookup(whole.group(1), variables, new_uuid)

    def repl(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "${"
        value = _as_text(_lookup(match.group(1), variables, new_uuid))
        return escape(value) if escape is not None else value

    return _PLACEHOLDER.sub(repl, text)


def substitute(
    value: Any,
    variables: Mapping[str, Any],
    *,
    new_uuid: Callable[[], str] | None = None,
) -> Any:
    """Replace every ``${name}`` in the strings (and object keys) of a JSON value.

    ``${uuid}`` is a fresh UUID at each use; every other name comes from ``variables`` (which
    holds ``unique``). A string that is exactly ``${name}`` becomes the variable's value with its
    JSON type; inside a longer string the value is inserted as text. Inside a ``$regex`` pattern
    the inserted text is regex-escaped, so ``{"$regex": "^${userName}$"}`` matches the literal
    user name.
    Raises :class:`UndefinedVariable` for an unknown name.
    """
    make_uuid = new_uuid or (lambda: str(uuid.uuid4()))
    return _walk(value, variables, make_uuid, None)


def _walk(
    value: Any,
    variables: Mapping[str, Any],
    new_uuid: Callable[[], str],
    escape: Callable[[str], str] | None,
) -> Any:
    if isinstance(value, str):
        return _substitute_text(value, variables, new_uuid, escape)
    if isinstance(value, list):
        return [_walk(item, variables, new_uuid, escape) for item in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            new_key = _as_text(_substitute_text(key, variables, new_uuid, None))
            item_escape = re.escape if key == _REGEX_KEY else escape
            out[new_key] = _walk(item, variables, new_uuid, item_escape)
        return out
    return value


_MISSING = object()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON pointer; raises ``LookupError`` naming the missing part.

    Object keys are looked up exactly first, then case-insensitively (SCIM attribute names are
    case-insensitive, so ``/ID`` finds ``id``).
    """
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise LookupError(f"JSON pointer {pointer!r} must start with '/'")
    current = document
    walked = ""
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        walked += "/" + raw
        if isinstance(current, dict):
            found = current.get(part, _MISSING)
            if found is _MISSING:
                folded = part.casefold()
                found = next((v for k, v in current.items() if k.casefold() == folded), _MISSING)
            if found is _MISSING:
                raise LookupError(f"nothing at {walked} in the response body")
            current = found
        elif isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                raise LookupError(f"nothing at {walked}: the array has {len(current)} element(s)")
            current = current[int(part)]
        else:
            raise LookupError(f"nothing at {walked}: {type(current).__name__} has no members")
    return current
