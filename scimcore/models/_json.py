"""Safe JSON body parsing: size and nesting limits, objects only, never an unhandled exception."""

from __future__ import annotations

import json
import re
from typing import Any

from scimcore.errors import InvalidSyntax

DEFAULT_MAX_BYTES = 1_048_576
"""The default body size limit (1 MiB), the usual advertised ``maxPayloadSize``."""

DEFAULT_MAX_DEPTH = 64
"""The default nesting limit; SCIM bodies (even bulk requests) nest fewer than ten levels."""

# A JSON string (escapes included) or a bracket: strings are skipped so brackets inside them
# do not count towards the depth.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


def _brackets(text: str) -> str:
    """The brackets of JSON text outside its strings, in order (exact for valid JSON).

    Escaped backslashes, then escaped quotes, are dropped; every quote left delimits a string,
    so the even pieces between quotes are what lies outside the strings.
    """
    outside = "".join(text.replace("\\\\", "").replace('\\"', "").split('"')[::2])
    drop = {ord(c): None for c in set(outside) - _BRACKET_CHARS}
    return outside.translate(drop)


_BRACKET_CHARS = frozenset("[]{}")


def _too_deep(text: str, limit: int) -> bool:
    """True when brackets nest deeper than ``limit``, counted without recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False  # cannot nest deeper than the number of opening brackets
    # fast: strings out, then peel the innermost empty pairs, one level per pass (all in C);
    # brackets left after ``limit`` passes nest deeper, or are not JSON: then count exactly
    brackets = _brackets(text)
    for _ in range(limit):
        peeled = _EMPTY_PAIR.sub("", brackets)
        if not peeled:
            return False
        if peeled == brackets:
            break
        brackets = peeled
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def loads(
    body: bytes | bytearray | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> dict[str, Any]:
    """Parse a SCIM request body into a dict.

    Raises :class:`~scimcore.errors.InvalidSyntax` when the body is larger than ``max_bytes``,
    is not UTF-8 JSON, nests deeper than ``max_depth``, uses ``NaN``/``Infinity``, or is not a
    JSON object. The size check comes first, so a huge body costs no parsing time; the depth
    check counts brackets iteratively before the (recursive) C parser sees the text.
    """
    if len(body) > max_bytes:
        raise InvalidSyntax(
            f"the body is {len(body)} bytes; the limit is {max_bytes}: send a smaller request"
        )
    if isinstance(body, bytes | bytearray):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSyntax(f"the body is not UTF-8 text: {exc.reason}") from None
    elif isinstance(body, str):
        text = body
    else:
        raise InvalidSyntax(f"the body must be bytes or text, not {type(body).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    if _too_deep(text, max_depth):
        raise InvalidSyntax(f"the body nests deeper than {max_depth} levels")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise InvalidSyntax(f"the body is not valid JSON{where}") from None
    if not isinstance(data, dict):
        kind = "an array" if isinstance(data, list) else "a scalar"
        raise InvalidSyntax(f"the body must be a JSON object, not {kind}")
    return data
