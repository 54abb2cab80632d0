"""Subset matching of a response against an expectation, with the scim-recording/1 matchers.

An expected object matches when every listed key matches (SCIM attribute names compare
case-insensitively); an expected array matches when each of its elements matches a *distinct* actual
element, in any order. An object whose keys are all matcher keys is a matcher:

``{"$absent": true}``  missing, null or an empty array (RFC 7643 §2.5 treats them alike)
``{"$regex": "…"}``    a string that ``re.search`` finds the pattern in
``{"$type": "…"}``     string, number, boolean, object, array or null
``{"$len": N}``        a string, array or object of exactly N characters, elements or members
``{"$exact": V}``      whole-value equality, array order and every member included
``{"$ordered": […]}``  an array of exactly these elements, in this order, each matched as a subset
``{"$not": E}``        anything that does not match the expectation E (absent included)

Several matcher keys in one object must all hold. Any other key starting with ``$`` (``$ref``) is an
attribute name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["ABSENT", "MATCHER_KEYS", "Mismatch", "check_expectation", "json_path", "match"]

MATCHER_KEYS: Final = frozenset(
    {"$absent", "$regex", "$type", "$len", "$exact", "$ordered", "$not"}
)
_TYPES: Final = frozenset({"string", "number", "boolean", "object", "array", "null"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


class _Absent:
    """The value of a key the actual document does not have."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Mismatch:
    """Where and why an actual value differs from the expectation."""

    path: str
    message: str
    expected: Any = None
    actual: Any = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_path(parent: str, key: str | int) -> str:
    """Extend a JSON path (``$.emails[0].value``) by an object key or an array index."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENT.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{key!r}]"


def is_matcher(value: Any) -> bool:
    """True when ``value`` is a matcher object (non-empty, every key a matcher key)."""
    return isinstance(value, dict) and bool(value) and all(k in MATCHER_KEYS for k in value)


def json_type(value: Any) -> str:
    """The JSON type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any, limit: int = 120) -> str:
    text = "absent" if value is ABSENT else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_absent(value: Any) -> bool:
    return value is ABSENT or value is None or value == []


def _strict_equal(expected: Any, actual: Any) -> bool:
    """JSON equality: booleans are not numbers, arrays compare in order."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(_strict_equal(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_strict_equal(e, a) for e, a in zip(expected, actual))
        )
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    return type(expected) is type(actual) and bool(expected == actual)


def match(expected: Any, actual: Any, path: str = "$") -> Mismatch | None:
    """Match ``actual`` against ``expected``; the first mismatch found, or None when it matches.

    ``actual`` is :data:`ABSENT` for a key the actual object does not have.
    """
    if is_matcher(expected):
        return _match_matcher(expected, actual, path)
    if actual is ABSENT:
        return Mismatch(path, f"missing; expected {_short(expected)}", expected, actual)
    if isinstance(expected, dict):
        return _match_object(expected, actual, path)
    if isinstance(expected, list):
        return _match_array(expected, actual, path)
    if _strict_equal(expected, actual):
        return None
    return Mismatch(path, f"expected {_short(expected)}, got {_short(actual)}", expected, actual)


def _match_object(expected: dict[str, Any], actual: Any, path: str) -> Mismatch | None:
    if not isinstance(actual, dict):
        return Mismatch(path, f"expected an object, got {_short(actual)}", expected, actual)
    folded = {key.casefold(): key for key in actual}
    for key, want in expected.items():
        actual_key = key if key in actual else folded.get(key.casefold())
        got = actual[actual_key] if actual_key is not None else ABSENT
        found = match(want, got, json_path(path, actual_key or key))
        if found is not None:
            return found
    return None


def _match_array(expected: list[Any], actual: Any, path: str) -> Mismatch | None:
    if not isinstance(actual, list):
        return Mismatch(path, f"expected an array, got {_short(actual)}", expected, actual)
    # Each expected element needs its own actual element: a bipartite matching (Kuhn's algorithm),
    # so [{"type": "work"}, {}] cannot both claim the one work email.
    fits = [[j for j, got in enumerate(actual) if match(want, got) is None] for want in expected]
    owner: dict[int, int] = {}

    def claim(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or claim(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        if claim(i, set()):
            continue
        want = expected[i]
        if not actual:
            return Mismatch(
                path, f"empty array; expected an element matching {_short(want)}", expected, actual
            )
        if fits[i]:
            return Mismatch(
                path,
                f"{len(expected)} expected elements need distinct matches, "
                f"only {len(owner)} of {len(actual)} actual elements could be paired",
                expected,
                actual,
            )
        # Explain with the candidate that got furthest (deepest mismatch path).
        reasons = [match(want, got, json_path(path, j)) for j, got in enumerate(actual)]
        best = max((r for r in reasons if r is not None), key=lambda r: len(r.path))
        return Mismatch(
            best.path,
            f"no element matches expected element [{i}] {_short(want)}; closest: {best.message}",
            want,
            best.actual,
        )
    return None


def _match_matcher(spec: dict[str, Any], actual: Any, path: str) -> Mismatch | None:
    for key, arg in spec.items():
        problem = _MATCHERS[key](arg, actual)
        if problem is not None:
            return Mismatch(path, problem, spec, actual)
    return None


def _absent(arg: Any, actual: Any) -> str | None:
    if bool(arg) == _is_absent(actual):
        return None
    return f"expected absent, got {_short(actual)}" if arg else "expected a value, got none"


def _regex(arg: Any, actual: Any) -> str | None:
    if not isinstance(actual, str):
        return f"expected a string matching /{arg}/, got {_short(actual)}"
    if re.search(arg, actual) is None:
        return f"expected a string matching /{arg}/, got {_short(actual)}"
    return None


def _type(arg: Any, actual: Any) -> str | None:
    if actual is ABSENT:
        return f"missing; expected a value of type {arg}"
    got = json_type(actual)
    return None if got == arg else f"expected type {arg}, got {got} {_short(actual)}"


def _len(arg: Any, actual: Any) -> str | None:
    if not isinstance(actual, str | list | dict):
        return f"expected length {arg}, got {_short(actual)} which has no length"
    return None if len(actual) == arg else f"expected length {arg}, got length {len(actual)}"


def _exact(arg: Any, actual: Any) -> str | None:
    if _strict_equal(arg, actual):
        return None
    return f"expected exactly {_short(arg)}, got {_short(actual)}"


def _ordered(arg: Any, actual: Any) -> str | None:
    if not isinstance(actual, list):
        return f"expected an array of {len(arg)} ordered elements, got {_short(actual)}"
    if len(actual) != len(arg):
        return f"expected {len(arg)} elements in order, got {len(actual)}"
    for i, (want, got) in enumerate(zip(arg, actual)):
        found = match(want, got, f"[{i}]")
        if found is not None:
            return f"element {found.path}: {found.message}"
    return None


def _not(arg: Any, actual: Any) -> str | None:
    if match(arg, actual) is not None:
        return None
    return f"expected anything but {_short(arg)}, got {_short(actual)}"


_MATCHERS = {
    "$absent": _absent,
    "$regex": _regex,
    "$type": _type,
    "$len": _len,
    "$exact": _exact,
    "$ordered": _ordered,
    "$not": _not,
}


def check_expectation(expected: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Problems of an expectation itself, as (JSON path, message): used by the loader.

    Flags objects mixing matcher keys with attribute names, bad matcher arguments and patterns that
    do not compile.
    """
    if isinstance(expected, list):
        for i, item in enumerate(expected):
            yield from check_expectation(item, json_path(path, i))
        return
    if not isinstance(expected, dict):
        return
    keys = set(expected)
    matcher_keys = keys & MATCHER_KEYS
    if not matcher_keys:
        for key, item in expected.items():
            yield from check_expectation(item, json_path(path, key))
        return
    if keys - MATCHER_KEYS:
        others = ", ".join(sorted(keys - MATCHER_KEYS))
        yield path, f"mixes matcher keys with attribute names ({others}); nest one in the other"
        return
    for key in sorted(matcher_keys):
        yield from _check_argument(key, expected[key], json_path(path, key))


def _check_argument(key: str, arg: Any, path: str) -> Iterator[tuple[str, str]]:
    if key == "$absent" and not isinstance(arg, bool):
        yield path, "$absent takes true or false"
    elif key == "$regex":
        if not isinstance(arg, str):
            yield path, "$regex takes a string"
        else:
            # Placeholders are substituted (escaped) before use; check the pattern without them.
            probe = re.sub(r"\$\{[^{}]*\}", "x", arg)
            try:
                re.compile(probe)
            except re.error as exc:
                yield path, f"$regex pattern does not compile: {exc}"
    elif key == "$type" and arg not in _TYPES:
        yield path, f"$type takes one of {', '.join(sorted(_TYPES))}"
    elif key == "$len" and (isinstance(arg, bool) or not isinstance(arg, int) or arg < 0):
        yield path, "$len takes a non-negative integer"
    elif key == "$ordered":
        if not isinstance(arg, list):
            yield path, "$ordered takes an array"
        else:
            for i, item in enumerate(arg):
                yield from check_expectation(item, json_path(path, i))
    elif key == "$not":
        yield from check_expectation(arg, path)
