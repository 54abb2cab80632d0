"""Mapping paths: ``name.givenName``, ``emails[type eq "work"].value``, extension URN paths.

A mapping path is the subset of the RFC 7644 PATCH path grammar that can be read *and* written
without ambiguity: an attribute (optionally URN-qualified), an optional bracket filter made only of
``sub eq literal`` terms joined by ``and`` (so a missing element can be created with exactly those
values), and an optional sub-attribute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from scimcore.errors import ConfigurationError
from scimcore.schema import Attribute, AttributeRef, SchemaRegistry

_TERM = re.compile(
    r"\s*(?P<name>[A-Za-z][\w$-]*)\s+eq\s+"
    r"(?P<lit>\"(?:[^\"\\]|\\.)*\"|true|false|null|-?\d+(?:\.\d+)?)\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


@attrs.frozen(slots=True)
class MappingPath:
    """A resolved mapping path: where a value lives in a SCIM resource.

    ``keys`` are the canonical JSON keys down to the attribute (the extension URN first for
    extension attributes); ``where`` are the ``sub eq value`` terms of a bracket filter;
    ``sub`` is the sub-attribute after the filter or dot, canonically spelled.
    """

    text: str
    keys: tuple[str, ...]
    attribute: Attribute
    multi_valued: bool
    where: tuple[tuple[str, Any], ...] = ()
    sub: Attribute | None = None

    @property
    def target(self) -> Attribute:
        """The attribute whose value this path reads and writes."""
        return self.sub if self.sub is not None else self.attribute


def _split(text: str) -> tuple[str, str | None, str | None]:
    """Split ``attr[filter].sub`` into its three parts (filter and sub may be None)."""
    if "[" not in text:
        return text, None, None
    head, _, rest = text.partition("[")
    inner, close, tail = rest.partition("]")
    if not close:
        raise ValueError("a '[' is never closed")
    sub: str | None = None
    if tail:
        if not tail.startswith(".") or len(tail) < 2:
            raise ValueError(f"expected '.subAttribute' after ']', found {tail!r}")
        sub = tail[1:]
    return head, inner, sub


def _terms(inner: str) -> Iterator[tuple[str, Any]]:
    for part in _AND.split(inner.strip()):
        m = _TERM.fullmatch(part)
        if m is None:
            raise ValueError(
                f"filter term {part.strip()!r} is not of the form 'subAttribute eq value' "
                "(mapping filters allow only eq terms joined by 'and')"
            )
        lit = m.group("lit")
        value = json.loads(lit.lower() if lit.lower() in ("true", "false", "null") else lit)
        yield m.group("name"), value


def parse_mapping_path(
    text: str, *, resource_type: str = "User", registry: SchemaRegistry
) -> MappingPath:
    """Parse and resolve a mapping path against ``registry``; ConfigurationError if it is wrong."""
    try:
        head, inner, sub_name = _split(text.strip())
        where = tuple(_terms(inner)) if inner is not None else ()
    except ValueError as exc:
        raise ConfigurationError(f"mapping path {text!r}: {exc}") from exc
    ref: AttributeRef | None = registry.resolve(head, resource_type)
    if ref is None or ref.attribute is None:
        raise ConfigurationError(
            f"mapping path {text!r}: {head!r} names no {resource_type} attribute"
        )
    attribute = ref.attribute
    sub = ref.sub_attribute
    if sub_name is not None:
        if sub is not None:
            raise ConfigurationError(f"mapping path {text!r}: too many levels")
        sub = attribute.sub_attribute(sub_name)
        if sub is None:
            raise ConfigurationError(
                f"mapping path {text!r}: {attribute.name!r} has no sub-attribute {sub_name!r}"
            )
    canonical_where: list[tuple[str, Any]] = []
    for name, value in where:
        if not attribute.multi_valued or not attribute.is_complex:
            raise ConfigurationError(
                f"mapping path {text!r}: a filter needs a multi-valued complex attribute"
            )
        term_attr = attribute.sub_attribute(name)
        if term_attr is None:
            raise ConfigurationError(
                f"mapping path {text!r}: {attribute.name!r} has no sub-attribute {name!r}"
            )
        canonical_where.append((term_attr.name, value))
    if attribute.is_complex and sub is None and not attribute.multi_valued:
        raise ConfigurationError(
            f"mapping path {text!r}: name a sub-attribute of the complex attribute "
            f"{attribute.name!r} (e.g. {attribute.name}.{attribute.sub_attributes[0].name})"
            if attribute.sub_attributes
            else f"mapping path {text!r}: {attribute.name!r} is complex"
        )
    keys = ref.keys[:-1] if ref.sub_attribute is not None else ref.keys
    return MappingPath(
        text=text,
        keys=keys,
        attribute=attribute,
        multi_valued=attribute.multi_valued,
        where=tuple(canonical_where),
        sub=sub,
    )


# -- reading and writing SCIM JSON --------------------------------------------------------------


def _get_ci(obj: Mapping[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _matches(element: Any, where: tuple[tuple[str, Any], ...]) -> bool:
    if not isinstance(element, Mapping):
        return False
    for name, expected in where:
        actual = _get_ci(element, name)
        if isinstance(expected, str) and isinstance(actual, str):
            if actual.lower() != expected.lower():
                return False
        elif actual != expected:
            return False
    return True


def read_path(resource: Mapping[str, Any], path: MappingPath) -> Any:
    """Return the value at ``path`` in a SCIM resource, or None when absent.

    A filter path gives the sub-attribute of the first matching element; a multi-valued path with
    a sub-attribute and no filter gives the list of that sub-attribute over every element.
    """
    node: Any = resource
    for key in path.keys:
        if not isinstance(node, Mapping):
            return None
        node = _get_ci(node, key)
        if node is None:
            return None
    if not path.multi_valued:
        if path.sub is None:
            return node
        return _get_ci(node, path.sub.name) if isinstance(node, Mapping) else None
    if isinstance(node, Mapping):
        node = [node]  # OneLogin sends a lone object for a multi-valued attribute
    if not isinstance(node, list):
        return None
    if path.where:
        for element in node:
            if _matches(element, path.where):
                return element if path.sub is None else _get_ci(element, path.sub.name)
        return None
    if path.sub is None:
        return node or None
    values = [_get_ci(e, path.sub.name) for e in node if isinstance(e, Mapping)]
    values = [v for v in values if v is not None]
    return values or None


def write_path(resource: dict[str, Any], path: MappingPath, value: Any) -> None:
    """Set ``value`` at ``path`` in ``resource`` (in place), creating what is missing."""
    node: dict[str, Any] = resource
    parents = path.keys[:-1]
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    last = path.keys[-1]
    if not path.multi_valued:
        if path.sub is None:
            node[last] = value
            return
        child = node.get(last)
        if not isinstance(child, dict):
            child = {}
            node[last] = child
        child[path.sub.name] = value
        return
    elements = node.get(last)
    if not isinstance(elements, list):
        elements = []
        node[last] = elements
    if path.where:
        for element in elements:
            if _matches(element, path.where):
                target = element
                break
        else:
            target = dict(path.where)
            elements.append(target)
        if path.sub is None:
            if isinstance(value, Mapping):
                target.update(value)
        else:
            target[path.sub.name] = value
        return
    if path.sub is None:
        node[last] = list(value) if isinstance(value, list | tuple) else [value]
        return
    values = value if isinstance(value, list | tuple) else [value]
    node[last] = [{path.sub.name: v} for v in values]
