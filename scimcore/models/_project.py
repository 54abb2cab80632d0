"""``attributes`` / ``excludedAttributes`` projection (RFC 7644 §3.4.2.5) honouring ``returned``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scimcore.schema import (
    COMMON_ATTRIBUTES,
    DEFAULT_REGISTRY,
    Attribute,
    ResourceType,
    SchemaRegistry,
)

# A selection: lower-cased attribute name -> None (the whole attribute) or a nested selection.
_Selection = dict[str, "_Selection | None"]


def _names(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [n.strip() for n in value if isinstance(n, str) and n.strip()]


def _add(selection: _Selection, keys: tuple[str, ...]) -> None:
    """Add the path ``keys`` to ``selection``; naming a whole attribute beats naming its parts."""
    node = selection
    for i, key in enumerate(keys):
        low = key.lower()
        last = i == len(keys) - 1
        if last:
            node[low] = None
            return
        if low in node and node[low] is None:
            return  # the whole attribute is already selected
        child = node.get(low)
        if child is None:
            child = node[low] = {}
        node = child


def _selection(names: list[str], registry: SchemaRegistry, rt: ResourceType) -> _Selection | None:
    if not names:
        return None
    selection: _Selection = {}
    for name in names:
        ref = registry.resolve(name, rt)
        if ref is not None:  # names of no attribute are ignored, as most servers do
            _add(selection, ref.keys)
    return selection


_PLAIN_RETURNED = frozenset(("default", "always"))
"""``returned`` values that keep a sub-attribute when no selection names it."""


def _has_always(attr: Attribute) -> bool:
    return any(sub.returned == "always" for sub in attr.sub_attributes)


def _project_level(
    obj: Mapping[str, Any],
    attributes: Mapping[str, Attribute],
    include: _Selection | None,
    exclude: _Selection | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        low = key.lower() if isinstance(key, str) else key
        attr = attributes.get(low)
        if attr is None:
            if include is None:
                out[key] = value  # not declared here: only an explicit selection drops it
            continue
        returned = attr.returned
        if returned == "never":
            continue
        sub_include: _Selection | None = None
        if include is not None:
            if low in include:
                sub_include = include[low]
            elif returned != "always":
                if not _has_always(attr):
                    continue
                sub_include = {}  # only its returned-always sub-attributes
        elif returned == "request":
            continue
        sub_exclude: _Selection | None = None
        if exclude is not None and low in exclude:
            sub_exclude = exclude[low]
            if sub_exclude is None and returned != "always":
                if not _has_always(attr):
                    continue
                sub_include = {}
        if (
            attr.type == "complex"
            and sub_include is None
            and sub_exclude is None
            and all(s.returned in _PLAIN_RETURNED for s in attr.sub_attributes)
        ):
            # nothing inside is dropped: every element as it is (copied), without the walk
            if isinstance(value, list):
                value = [dict(v) if type(v) is dict else v for v in value]
            elif type(value) is dict:
                value = dict(value)
        elif attr.type == "complex" and attr.sub_attributes:
            subs = {s.name.lower(): s for s in attr.sub_attributes}
            if isinstance(value, list):
                value = [
                    _project_level(v, subs, sub_include, sub_exclude) if isinstance(v, dict) else v
                    for v in value
                ]
            elif isinstance(value, dict):
                value = _project_level(value, subs, sub_include, sub_exclude)
            if sub_include == {} and not value:
                continue  # kept only for returned-always sub-attributes, and it has none
        out[key] = value
    return out


def project(
    resource: Mapping[str, Any],
    *,
    resource_type: ResourceType | str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    attributes: Iterable[str] | str | None = None,
    excluded_attributes: Iterable[str] | str | None = None,
) -> dict[str, Any]:
    """Return the part of ``resource`` a client asked for (RFC 7644 §3.4.2.5).

    ``returned: never`` attributes (``password``) are always removed; ``returned: always`` ones
    (``id``, ``schemas``) are always kept; ``returned: request`` ones only when named in
    ``attributes``; ``returned: default`` ones unless ``attributes`` is given and does not name
    them, or ``excluded_attributes`` names them. Names compare case-insensitively and may be
    sub-attribute paths (``name.givenName``, ``emails.value``), URN-qualified
    (``urn:…:enterprise:2.0:User:manager``) or a whole extension URN. Both lists may be given as
    sequences or as the comma-separated query-parameter text. Names of no attribute are ignored.
    """
    rt = resource_type if isinstance(resource_type, ResourceType) else registry._rt(resource_type)
    top = _top_attributes(registry, rt)
    include = _selection(_names(attributes), registry, rt)
    exclude = _selection(_names(excluded_attributes), registry, rt)
    return _project_level(resource, top, include, exclude)


# (registry, resource type, its top-level attributes by lower-cased name), by the two ids
_TOPS: dict[tuple[int, int], tuple[SchemaRegistry, ResourceType, dict[str, Attribute]]] = {}


def _top_attributes(registry: SchemaRegistry, rt: ResourceType) -> dict[str, Attribute]:
    """The attributes a resource's top level may hold (both are immutable: built once)."""
    key = (id(registry), id(rt))
    found = _TOPS.get(key)
    if found is not None and found[0] is registry and found[1] is rt:
        return found[2]
    schemas = registry.schemas_of(rt)
    top: dict[str, Attribute] = {a.name.lower(): a for a in COMMON_ATTRIBUTES}
    for attr in schemas[0].attributes:
        top.setdefault(attr.name.lower(), attr)
    for ext in schemas[1:]:
        # An extension behaves as a complex attribute keyed by its URN.
        top[ext.id.lower()] = Attribute(name=ext.id, type="complex", sub_attributes=ext.attributes)
    if len(_TOPS) >= 256:  # registries made by the hundred (tests): start again
        _TOPS.clear()
    _TOPS[key] = (registry, rt, top)
    return top
