"""A root ``/.search`` filter narrowed to each resource type (RFC 7644 §3.4.3).

A search across resource types takes filters written for any of them: ``userName eq "bob"``
finds the users and no groups; ``userName eq "bob" or displayName eq "staff"`` finds both. For
each type, a comparison on an attribute that type does not have is false (the attribute is
absent), and the filter is simplified around it; a type for which the whole filter is false is
not searched. An attribute no resource type has is still an ``invalidFilter``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from scimcore.errors import InvalidFilter, ScimError
from scimcore.filter import Filter
from scimcore.filter._ast import And, AttrPath, Compare, Node, Not, Or, Present, ValuePath, to_text
from scimcore.schema import ResourceType, SchemaRegistry


class _Const(enum.Enum):
    NEVER = False
    ALWAYS = True


_Pruned = Node | _Const


def _known(path: AttrPath, rt: ResourceType, registry: SchemaRegistry) -> bool:
    try:
        return registry.resolve(path.text, rt) is not None
    except ScimError:
        return False


def _prune(node: Node, rt: ResourceType, registry: SchemaRegistry) -> _Pruned:
    if isinstance(node, Compare | Present | ValuePath):
        return node if _known(node.path, rt, registry) else _Const.NEVER
    if isinstance(node, Not):
        inner = _prune(node.inner, rt, registry)
        if isinstance(inner, _Const):
            return _Const.ALWAYS if inner is _Const.NEVER else _Const.NEVER
        return Not(inner)
    is_and = isinstance(node, And)
    absorbing = _Const.NEVER if is_and else _Const.ALWAYS
    kept: list[Node] = []
    for term in node.terms:
        out = _prune(term, rt, registry)
        if out is absorbing:
            return absorbing
        if not isinstance(out, _Const):
            kept.append(out)
    if not kept:
        return _Const.ALWAYS if is_and else _Const.NEVER
    if len(kept) == 1:
        return kept[0]
    return And(tuple(kept)) if is_and else Or(tuple(kept))


def _paths(node: Node) -> list[AttrPath]:
    if isinstance(node, Compare | Present | ValuePath):
        return [node.path]
    if isinstance(node, Not):
        return _paths(node.inner)
    return [p for t in node.terms for p in _paths(t)]


def per_type(
    flt: Filter, resource_types: Sequence[ResourceType], registry: SchemaRegistry
) -> dict[str, Filter | bool | None]:
    """For each resource type: the filter to search it with, None (search all), False (skip).

    Raises the filter's own InvalidFilter when an attribute is known to no resource type, or
    when the narrowed filter is still wrong for a type (``active gt true``).
    """
    for path in _paths(flt.ast):
        if not any(_known(path, rt, registry) for rt in resource_types):
            raise InvalidFilter(
                f"{path.text!r} is not an attribute of any resource type on this server",
                position=path.pos if path.pos >= 0 else None,
            )
    out: dict[str, Filter | bool | None] = {}
    for rt in resource_types:
        pruned = _prune(flt.ast, rt, registry)
        if pruned is _Const.NEVER:
            out[rt.name] = False
        elif pruned is _Const.ALWAYS:
            out[rt.name] = None
        else:
            assert not isinstance(pruned, _Const)
            narrowed = flt if pruned == flt.ast else Filter(to_text(pruned), pruned, registry)
            narrowed.predicate(rt)  # type errors surface here, as for a single-type search
            out[rt.name] = narrowed
    return out
