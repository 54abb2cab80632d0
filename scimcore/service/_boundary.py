"""The input boundary: text a database cannot hold, and numbers no parameter can take, refused.

Every store must answer the same for the same request, so what only some backends could store
(PostgreSQL refuses NUL in ``text``/``jsonb``; unpaired surrogates are not UTF-8 at all) is
refused for all of them before any work: 400 ``invalidValue`` naming where it was found (the
JSON path in a body, the segment of a path, the query parameter, the header).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from scimcore.errors import InvalidValue

MAX_INDEX = 2**62
"""The largest ``startIndex``/``count`` a request may name (paging arithmetic stays in int64)."""


def bad_text(text: str) -> str | None:
    """What is wrong with ``text`` for storage (``"a NUL character"``), or None when nothing."""
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "an unpaired surrogate (not Unicode text)"
    return None


def _shown(part: str | int) -> str | int:
    """A path element safe to print: surrogates and NUL spelled out."""
    if isinstance(part, int):
        return part
    if bad_text(part) is None:
        return part
    return part.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def check_body(data: Any) -> None:
    """Refuse a parsed JSON body holding unstorable text (keys too) or a non-finite number.

    Walked iteratively (no recursion limit to hit); the error names the JSON path. A first
    walk without paths answers for the common, clean body; the paths are built only to name
    what is wrong.
    """
    if _clean(data):
        return
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            why = bad_text(value)
            if why is not None:
                raise InvalidValue(f"a string value holds {why}", path=[_shown(p) for p in path])
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidValue(
                    "a number is too large to be represented", path=[_shown(p) for p in path]
                )
        elif isinstance(value, Mapping):
            for key, item in value.items():
                why = bad_text(key) if isinstance(key, str) else None
                if why is not None:
                    raise InvalidValue(
                        f"an attribute name holds {why}",
                        path=[_shown(p) for p in (*path, key)],
                    )
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))


def _clean(data: Any) -> bool:
    """Whether nothing in ``data`` is unstorable (the fast walk of :func:`check_body`).

    False also for anything unusual (a non-str key, a subclass), which the full walk judges.
    """
    stack = [data]
    pop, extend = stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)
        if kind is str:
            if "\x00" in value or (not value.isascii() and bad_text(value) is not None):
                return False
        elif kind is dict:
            for key in value:
                if type(key) is not str or "\x00" in key:
                    return False
                if not key.isascii() and bad_text(key) is not None:
                    return False
            extend(value.values())
        elif kind is list:
            extend(value)
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif not (kind is int or kind is bool or value is None):
            return False
    return True


def check_path(path: str, *, where: str = "the request path") -> None:
    """Refuse a URL path whose text, raw or percent-decoded, cannot be stored."""
    for text in (path, unquote(path)):
        why = bad_text(text)
        if why is not None:
            raise InvalidValue(f"{where} holds {why}; resource ids and endpoints are plain text")


def check_query(query: Mapping[str, str]) -> None:
    """Refuse query parameters (names or values) holding unstorable text."""
    for name, value in query.items():
        why = bad_text(name) if isinstance(name, str) else None
        if why is not None:
            raise InvalidValue(f"a query parameter name holds {why}")
        why = bad_text(value) if isinstance(value, str) else None
        if why is not None:
            raise InvalidValue(f"query parameter {_shown(name)!r} holds {why}")


def check_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Refuse header names or values holding unstorable text."""
    for name, value in headers:
        for text in (name, value):
            why = bad_text(text) if isinstance(text, str) else None
            if why is not None:
                raise InvalidValue(f"header {_shown(name)!r} holds {why}")


def check_index(value: int, name: str) -> int:
    """Refuse a paging number beyond :data:`MAX_INDEX` either way (400 invalidValue)."""
    if value > MAX_INDEX or value < -MAX_INDEX:
        raise InvalidValue(f"{name} {value} is out of range; it must be at most {MAX_INDEX}")
    return value
