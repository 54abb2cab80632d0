"""Values against their attribute definitions: type checks, dialect coercion and SCIM equality."""

from __future__ import annotations

import marshal
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any

from scimcore._jsontype import json_type_name
from scimcore.dialects import UNCHANGED, Dialect
from scimcore.errors import InvalidValue
from scimcore.schema import Attribute

Where = list[str | int]

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "reference": (str,),
    "binary": (str,),
    "dateTime": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "decimal": (int, float),
}


def _coerce(attr: Attribute, value: Any, dialects: Sequence[Dialect]) -> Any:
    for d in dialects:
        out = d.coerce(attr, value)
        if out is not UNCHANGED:
            return out
    return value


def check_value(
    attr: Attribute, value: Any, dialects: Sequence[Dialect], where: Where, *, element: bool = False
) -> Any:
    """Return ``value`` checked (and coerced by the dialects) for ``attr``; None means unassign.

    Null, an empty list and an empty object all mean "unassigned" (RFC 7643 §2.5).

    ``element`` checks one element of a multi-valued attribute instead of the whole list.
    Null sub-attributes are dropped, readOnly sub-attributes inside a value are ignored (RFC 7644
    §3.5.1 ignores readOnly values a client sends), sub-attribute names are canonicalised.
    """
    return _check(attr, value, _coercers(dialects), where, element)


def _coercers(dialects: Sequence[Dialect]) -> tuple[Dialect, ...]:
    """The dialects that coerce values at all (most only reshape requests)."""
    return tuple(d for d in dialects if type(d).coerce is not Dialect.coerce)


def _check(
    attr: Attribute, value: Any, dialects: tuple[Dialect, ...], where: Where, element: bool
) -> Any:
    if dialects:
        value = _coerce(attr, value, dialects)
    if value is None:
        return None
    if attr.multi_valued and not element:
        if not isinstance(value, list):
            raise InvalidValue(
                f"{attr.name!r} is multi-valued: send a list, not {json_type_name(value)}",
                path=where,
            )
        if attr.type == "complex":
            return _check_complex_elements(attr, value, dialects, where)
        out: list[Any] = []
        seen = ElementIndex(attr, out)
        for i, item in enumerate(value):
            checked = _check(attr, item, dialects, [*where, i], True)
            if checked is not None:
                seen.add(checked)
        return out or None
    if attr.type == "complex":
        if type(value) is not dict and not isinstance(value, Mapping):
            raise InvalidValue(
                f"{attr.name!r} is complex: send an object of sub-attributes, not "
                f"{json_type_name(value)}",
                path=where,
            )
        obj: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = attr.sub_attribute(key) if type(key) is str else None
            if sub is None:
                known = ", ".join(s.name for s in attr.sub_attributes)
                raise InvalidValue(
                    f"{attr.name!r} has no sub-attribute {key!r} (it has {known})",
                    path=[*where, str(key)],
                )
            if sub.mutability == "readOnly":
                continue
            if type(sub_value) is str and sub.type in _TEXT and not sub.multi_valued:
                # the common case, without the general walk: a string is a valid string value
                plain = _coerce(sub, sub_value, dialects) if dialects else sub_value
                if plain is sub_value:
                    obj[sub.name] = plain
                    continue
                checked = _check(sub, plain, (), [*where, sub.name], False)
            else:
                checked = _check(sub, sub_value, dialects, [*where, sub.name], False)
            if checked is not None:
                obj[sub.name] = checked
        return obj or None
    return check_simple(attr, value, where)


def check_elements(
    attr: Attribute, value: Any, dialects: Sequence[Dialect], where: Where
) -> tuple[list[Any] | None, list[Hashable | None]]:
    """:func:`check_value` of a whole multi-valued complex attribute, with each element's
    :meth:`ElementIndex.key` (None where unknown), so the caller indexes them without
    computing the keys again."""
    coercers = _coercers(dialects)
    keys: list[Hashable | None] = []
    coerced = _coerce(attr, value, coercers) if coercers else value
    if not (attr.multi_valued and attr.type == "complex" and isinstance(coerced, list)):
        return _check(attr, value, coercers, where, False), keys
    return _check_complex_elements(attr, coerced, coercers, where, keys), keys


def _check_complex_elements(
    attr: Attribute,
    items: list[Any],
    dialects: tuple[Dialect, ...],
    where: Where,
    keys: list[Hashable | None] | None = None,
) -> list[Any] | None:
    """The elements of a multi-valued complex attribute, checked: :func:`_check` per element,
    with the common element (an object of plain strings and booleans) checked inline.

    What the inline check accepts is exactly what the general walk accepts unchanged: each key
    names a sub-attribute that is not readOnly nor multi-valued, of a text type holding a
    ``str`` or of type boolean holding a ``bool``, and no dialect coerces the element or the
    value. Anything else (an unknown key, a readOnly or null sub-value, a coercion) goes through
    the general walk, which also words every error.
    """
    out: list[Any] = []
    seen = ElementIndex(attr, out)
    fold = seen.folds()
    by_key = seen._by_key
    own = tuple(d for d in dialects if d.coerces(attr))  # those that may touch an element
    found: list[Hashable | None] = [] if keys is None else keys
    # key as sent: (its sub-attribute's name, the Python type it takes as is, the sub-attribute
    # and the dialects that may coerce it, or None), or None for anything the general walk takes
    kinds: dict[Any, tuple[str, type, tuple[Attribute, tuple[Dialect, ...]] | None] | None] = {}
    for i, item in enumerate(items):
        obj: dict[str, Any] | None = None
        if type(item) is dict and (not own or _coerce(attr, item, own) is item):
            obj = {}
            for key, sub_value in item.items():
                kind = kinds.get(key, _UNSEEN)
                if kind is _UNSEEN:
                    kind = kinds[key] = (
                        _plain_kind(attr, key, dialects) if type(key) is str else None
                    )
                if kind is None:
                    obj = None
                    break
                name, python_type, coercing = kind
                if type(sub_value) is not python_type or (
                    coercing is not None
                    and _coerce(coercing[0], sub_value, coercing[1]) is not sub_value
                ):
                    obj = None
                    break
                obj[name] = sub_value
        if obj:
            value = obj.get("value")
            if type(value) is str:
                key = value.casefold() if fold else value
                if key not in by_key:  # a new value (the common case), indexed inline
                    by_key[key] = [len(out)]
                    out.append(obj)
                    found.append(key)
                    continue
            else:
                key = None
            before = len(out)
            seen.add(obj, key)  # maybe a repeat: the index compares
            if len(out) > before:
                found.append(key)
        elif obj is None:
            checked = _check(attr, item, dialects, [*where, i], True)
            if checked is not None:
                before = len(out)
                seen.add(checked)
                if len(out) > before:
                    found.append(None)
    return out or None


_UNSEEN: Any = object()


def _plain_kind(
    attr: Attribute, key: str, dialects: tuple[Dialect, ...]
) -> tuple[str, type, tuple[Attribute, tuple[Dialect, ...]] | None] | None:
    """What ``key`` names if it is simple: the sub-attribute's name, the Python type it takes as
    is, and the sub-attribute with the dialects that may coerce its values (None when none
    may); None for anything the general walk handles."""
    sub = attr.sub_attribute(key)
    if sub is None or sub.multi_valued or sub.mutability == "readOnly":
        return None
    own = tuple(d for d in dialects if d.coerces(sub))
    coercing = (sub, own) if own else None
    if sub.type in _TEXT:
        return sub.name, str, coercing
    if sub.type == "boolean":
        return sub.name, bool, coercing
    return None


_TEXT = frozenset(("string", "reference", "binary"))
"""Types whose every ``str`` value :func:`check_simple` accepts as it is."""


def check_simple(attr: Attribute, value: Any, where: Where) -> Any:
    """Check a value of a simple (non-complex) type."""
    expected = _PYTHON_TYPES[attr.type]
    if not isinstance(value, expected) or (attr.type in ("integer", "decimal") and value is True):
        raise InvalidValue(
            f"{attr.name!r} takes {_TYPE_WORDS[attr.type]}, not {json_type_name(value)}", path=where
        )
    if isinstance(value, bool) and attr.type != "boolean":
        raise InvalidValue(
            f"{attr.name!r} takes {_TYPE_WORDS[attr.type]}, not a boolean", path=where
        )
    if attr.type == "decimal" and isinstance(value, float) and value != value:
        raise InvalidValue(f"{attr.name!r} must be a finite number", path=where)
    if attr.type == "dateTime" and isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(
                f"{attr.name!r} takes an xsd:dateTime such as 2024-01-31T12:00:00Z, not {value!r}",
                path=where,
            ) from None
    return value


_TYPE_WORDS = {
    "string": "a string",
    "reference": "a reference (a string)",
    "binary": "base64 binary (a string)",
    "dateTime": "a dateTime string",
    "boolean": "a boolean (true or false)",
    "integer": "an integer",
    "decimal": "a number",
}


def same_simple(attr: Attribute | None, a: Any, b: Any) -> bool:
    """SCIM equality of two simple values: strings compare case-insensitively unless caseExact."""
    if isinstance(a, str) and isinstance(b, str):
        if attr is None or attr.case_exact:
            return a == b
        return a == b or a.casefold() == b.casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def same_element(attr: Attribute, new: Any, old: Any) -> bool:
    """Whether ``new`` is the same value as the existing element ``old`` of ``attr``.

    Complex elements with a ``value`` are the same when ``value`` matches (and ``type`` too where
    both carry one); other complex elements when every sub-attribute of ``new`` except
    ``primary`` and ``display`` matches ``old``.
    """
    if attr.type != "complex":
        return same_simple(attr, new, old)
    if not isinstance(new, Mapping) or not isinstance(old, Mapping):
        return False
    if "value" in new:
        if not same_simple(attr.sub_attribute("value"), new["value"], _ci(old, "value")):
            return False
        old_type = _ci(old, "type")
        if "type" in new and old_type is not None:
            return same_simple(attr.sub_attribute("type"), new["type"], old_type)
        return True
    keys = [k for k in new if k not in ("primary", "display")]
    if not keys:
        return False
    return all(same_simple(attr.sub_attribute(k), new[k], _ci(old, k)) for k in keys)


def _ci(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    low = name.lower()
    for key, value in obj.items():
        if key.lower() == low:
            return value
    return None


def find_key(obj: Mapping[str, Any], name: str) -> str | None:
    """The key of ``obj`` spelling ``name`` in any case, or None."""
    if name in obj:
        return name
    low = name.lower()
    for key in obj:
        if isinstance(key, str) and key.lower() == low:
            return key
    return None


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); several times faster than deepcopy.

    ``marshal`` copies plain JSON values in C; anything it cannot take (a Mapping that is not a
    dict, nesting deeper than it allows) is copied by a plain recursive walk instead.
    """
    try:
        return marshal.loads(marshal.dumps(value))
    except (ValueError, TypeError):
        return _walk_copy(value)


def _walk_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _walk_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk_copy(v) for v in value]
    return value


# -- an index by value, so big groups patch in linear time --------------------


def value_key(attr: Attribute, element: Any) -> Hashable | None:
    """The key every element equal to ``element`` shares (its normalised ``value``), or None."""
    if attr.type == "complex":
        if not isinstance(element, Mapping):
            return None
        value = element.get("value")
        if value is None:
            for key, item in element.items():
                if isinstance(key, str) and key.lower() == "value":
                    value = item
                    break
        sub = attr.sub_attribute("value")
    else:
        value, sub = element, attr
    if isinstance(value, str):
        return value if sub is None or sub.case_exact else value.casefold()
    if isinstance(value, bool | int | float):
        return value
    return None


class ElementIndex:
    """Elements of one multi-valued attribute, findable by SCIM equality in about O(1)."""

    def __init__(self, attr: Attribute, elements: list[Any]) -> None:
        self.attr = attr
        self.elements = elements
        self._by_key: dict[Hashable, list[int]] = {}
        self._unkeyed: list[int] = []
        self._complex = attr.type == "complex"
        sub = attr.sub_attribute("value") if self._complex else attr
        self._fold = sub is not None and not sub.case_exact
        for i, element in enumerate(elements):
            self._note(i, element, self.key(element))

    def key(self, element: Any) -> Hashable | None:
        """:func:`value_key` of ``element``, with the attribute's lookups done once."""
        if self._complex:
            if type(element) is not dict:
                return value_key(self.attr, element)
            value = element.get("value")
            if value is None:
                return value_key(self.attr, element)
        else:
            value = element
        if isinstance(value, str):
            return value.casefold() if self._fold else value
        if isinstance(value, bool | int | float):
            return value
        return None

    def _note(self, i: int, element: Any, key: Hashable | None) -> None:
        if key is None:
            self._unkeyed.append(i)
        else:
            found = self._by_key.get(key)
            if found is None:
                self._by_key[key] = [i]
            else:
                found.append(i)

    def find(self, item: Any, key: Hashable | None = None) -> int | None:
        """The index of an existing element equal to ``item``, or None (``key``: its key)."""
        if key is None:
            key = self.key(item)
        candidates: Sequence[int] = (
            self._by_key.get(key, ()) if key is not None else range(len(self.elements))
        )
        for i in candidates:
            if same_element(self.attr, item, self.elements[i]):
                return i
        return None

    def append(self, element: Any, key: Hashable | None = None) -> int:
        """Append ``element`` and index it; return its position (``key``: its key, if known)."""
        self.elements.append(element)
        i = len(self.elements) - 1
        self._note(i, element, self.key(element) if key is None else key)
        return i

    def add(self, element: Any, key: Hashable | None = None) -> int | None:
        """Append ``element`` unless an equal one is there; None when it was added.

        ``key`` is the element's :meth:`key` when the caller knows it (it is computed else).
        """
        if key is None:
            value = element.get("value") if self._complex and type(element) is dict else None
            if type(value) is str:  # the common element, keyed inline (as :meth:`key` does)
                key = value.casefold() if self._fold else value
            else:
                key = self.key(element)
            if key is None:
                found = self.find(element, None)
                if found is None:
                    self.append(element, None)
                return found
        bucket = self._by_key.get(key)
        if bucket is not None:
            attr, elements = self.attr, self.elements
            for i in bucket:
                if same_element(attr, element, elements[i]):
                    return i
            bucket.append(len(elements))
        else:
            self._by_key[key] = [len(self.elements)]
        self.elements.append(element)
        return None

    def extend_new(
        self, items: Sequence[Any], keys: Sequence[Hashable | None], start: int = 0
    ) -> int:
        """Append ``items[start:]`` (whose :meth:`key` are ``keys``) while each one's key is
        new; return the position of the first item not appended (a key seen already or
        unknown, for the caller to :meth:`add`), or ``len(items)``."""
        by_key, elements = self._by_key, self.elements
        append = elements.append
        n = len(items)
        j = start
        while j < n:
            key = keys[j]
            if key is None or key in by_key:
                return j
            by_key[key] = [len(elements)]
            append(items[j])
            j += 1
        return n

    def folds(self) -> bool:
        """Whether keys are case-folded (the ``value`` is not caseExact)."""
        return self._fold

    def matches_any(self, element: Any) -> bool:
        """Whether ``element`` (an existing value) equals one of the indexed (request) values."""
        key = self.key(element)
        if key is not None:
            for i in self._by_key.get(key, ()):
                if same_element(self.attr, self.elements[i], element):
                    return True
        return any(same_element(self.attr, self.elements[i], element) for i in self._unkeyed)
