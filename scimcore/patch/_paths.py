"""PATCH paths resolved against the schema: which attribute, which elements, which sub-attribute.

The path grammar (RFC 7644 §3.5.2, ``valuePath`` filters included) is parsed by
:func:`scimcore.filter.parse_path`; this module only resolves the parsed parts against the
registry and builds the element matcher for a value filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from scimcore.errors import InvalidFilter, InvalidPath
from scimcore.filter import element_matcher, parse_path
from scimcore.schema import Attribute, AttributeRef, ResourceType, Schema, SchemaRegistry

Matcher = Callable[[Mapping[str, Any]], bool]


@attrs.frozen(slots=True)
class Target:
    """Where an operation acts.

    ``attribute`` None means a whole extension object (a bare extension URN path).
    ``matcher`` selects elements of a multi-valued attribute (None: no value filter).
    ``sub`` is the sub-attribute acted on inside the attribute or inside each selected element.
    """

    schema: Schema
    core: bool
    attribute: Attribute | None
    sub: Attribute | None = None
    matcher: Matcher | None = None
    node: Any = None

    @property
    def text(self) -> str:
        """The canonical attribute path (without the filter), for messages."""
        names = [a.name for a in (self.attribute, self.sub) if a is not None]
        dotted = ".".join(names)
        if self.core:
            return dotted
        return f"{self.schema.id}:{dotted}" if dotted else self.schema.id


def target_of(ref: AttributeRef) -> Target:
    """The target of an attribute path without a value filter."""
    return Target(schema=ref.schema, core=ref.core, attribute=ref.attribute, sub=ref.sub_attribute)


_CACHE: dict[tuple[int, str, str], tuple[SchemaRegistry, Target]] = {}
_CACHE_SIZE = 2048


def resolve_path(text: str, rt: ResourceType, registry: SchemaRegistry) -> Target:
    """Parse and resolve a PATCH ``path``; InvalidPath (with position) when it is wrong.

    Resolved paths are cached per registry, resource type and text (IdPs send the same few
    paths over and over); a target is immutable and its matcher is a pure function.
    """
    key = (id(registry), rt.name, text)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is registry:
        return hit[1]
    target = _resolve(text, rt, registry)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (registry, target)
    return target


def _resolve(text: str, rt: ResourceType, registry: SchemaRegistry) -> Target:
    urns = _urns(rt, registry)
    parsed = parse_path(text, known_urns=urns)
    attr_text = parsed.attr.text
    if parsed.value_filter is None:
        if parsed.sub_attr is not None:
            attr_text += f".{parsed.sub_attr}"
        return _resolve_attr(attr_text, text, rt, registry)
    target = _resolve_attr(attr_text, text, rt, registry)
    attribute = target.attribute
    if attribute is None or target.sub is not None or not attribute.multi_valued:
        raise InvalidPath(
            f"path {text!r}: a value filter [...] only applies to a multi-valued attribute"
        )
    if attribute.type != "complex":
        raise InvalidPath(
            f"path {text!r}: {attribute.name!r} has simple values; a value filter needs "
            "a multi-valued complex attribute"
        )
    sub = None
    if parsed.sub_attr is not None:
        sub = attribute.sub_attribute(parsed.sub_attr)
        if sub is None:
            known = ", ".join(s.name for s in attribute.sub_attributes)
            raise InvalidPath(
                f"path {text!r}: {attribute.name!r} has no sub-attribute "
                f"{parsed.sub_attr!r} (it has {known})"
            )
    try:
        matcher = element_matcher(parsed.value_filter, attribute)
    except InvalidFilter as exc:
        raise InvalidPath(f"path {text!r}: {exc.detail}", position=exc.position) from exc
    return attrs.evolve(target, sub=sub, matcher=matcher, node=parsed.value_filter)


def _urns(rt: ResourceType, registry: SchemaRegistry) -> tuple[str, ...]:
    """The schema URNs of a resource type, so parse_path splits custom extension URNs too."""
    return tuple(s.id for s in registry.schemas_of(rt))


def _resolve_attr(attr_text: str, text: str, rt: ResourceType, registry: SchemaRegistry) -> Target:
    ref = registry.resolve(attr_text, rt)
    if ref is None:
        raise InvalidPath(f"path {text!r} names no attribute of {rt.name}")
    return target_of(ref)
