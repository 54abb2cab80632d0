"""The store's own narrow filter pushdown: equality on the indexed attributes, as a superset.

Only ``eq`` on ``id``, ``userName``, ``externalId`` and group ``displayName`` (the lookups IdPs
make before every create) is translated, into exactly the expressions the store's indexes cover.
The SQL is a superset of the matches (terms it cannot translate are left out of an ``and``; an
``or`` with such a term is not translated at all), so the caller always applies the whole filter
in memory to the candidates it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scimcore.errors import ScimError
from scimcore.filter import And, AttrPath, Compare, Filter, Node, Not, Or, Present, ValuePath
from scimcore.schema import SchemaRegistry

__all__ = ["INDEXED", "email_equality", "mentions", "narrow_where"]

#: Per resource type, the attributes this pushdown translates (all have an index).
INDEXED: dict[str, frozenset[str]] = {
    "User": frozenset({"id", "userName", "externalId"}),
    "Group": frozenset({"id", "displayName", "externalId"}),
}


def narrow_where(
    flt: Filter,
    *,
    rt: str,
    registry: SchemaRegistry,
    expression: Callable[[str, bool], str],
    placeholder: str,
) -> tuple[str, list[Any]] | None:
    """A WHERE clause selecting a superset of ``flt``'s matches, or None when nothing helps.

    ``expression(attr, case_exact)`` gives the SQL for an attribute's (case-folded) value.
    """
    return _node(flt.ast, rt, registry, expression, placeholder)


def _node(
    node: Node,
    rt: str,
    registry: SchemaRegistry,
    expression: Callable[[str, bool], str],
    ph: str,
) -> tuple[str, list[Any]] | None:
    if isinstance(node, Compare):
        return _compare(node, rt, registry, expression, ph)
    if isinstance(node, And):
        parts = [_node(t, rt, registry, expression, ph) for t in node.terms]
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return " AND ".join(f"({w})" for w, _ in kept), [x for _, ps in kept for x in ps]
    if isinstance(node, Or):
        parts = [_node(t, rt, registry, expression, ph) for t in node.terms]
        if any(p is None for p in parts):
            return None
        done = [p for p in parts if p is not None]
        return " OR ".join(f"({w})" for w, _ in done), [x for _, ps in done for x in ps]
    return None


def _compare(
    node: Compare,
    rt: str,
    registry: SchemaRegistry,
    expression: Callable[[str, bool], str],
    ph: str,
) -> tuple[str, list[Any]] | None:
    if node.op != "eq" or not isinstance(node.value, str):
        return None
    name = _indexed_name(node.path, rt, registry)
    if name is None:
        return None
    if name == "id":
        return f"id = {ph}", [node.value]
    case_exact = name == "externalId"
    value = node.value if case_exact else node.value.lower()
    return f"{expression(name, case_exact)} = {ph}", [value]


def _indexed_name(path: AttrPath, rt: str, registry: SchemaRegistry) -> str | None:
    if path.sub is not None:
        return None
    try:
        ref = registry.resolve(path.text, rt)
    except ScimError:
        return None
    if ref is None or ref.attribute is None or ref.sub_attribute is not None:
        return None
    name = ref.attribute.name
    if name not in INDEXED.get(rt, frozenset()):
        return None
    if name != "id" and not ref.core:
        return None
    if name != "id" and ref.attribute.case_exact != (name == "externalId"):
        return None  # a registry that changed caseExact: the indexes no longer fit
    return name


def mentions(node: Node, attr: str) -> bool:
    """Whether any path in ``node`` names the top-level attribute ``attr`` (any case, any URN)."""
    folded = attr.lower()
    if isinstance(node, Compare | Present):
        return node.path.name.lower() == folded
    if isinstance(node, ValuePath):
        return node.path.name.lower() == folded or mentions(node.filter, attr)
    if isinstance(node, Not):
        return mentions(node.inner, attr)
    return any(mentions(t, attr) for t in node.terms)


def email_equality(flt: Filter, registry: SchemaRegistry) -> str | None:
    """The value of a top-level ``emails.value eq "…"`` or ``emails[… value eq "…" …]`` term.

    Every match of the filter then has an email with that value (case-insensitively), so a
    condition on the email index is a sound superset. None when there is no such term.
    """
    terms = flt.ast.terms if isinstance(flt.ast, And) else (flt.ast,)
    for term in terms:
        if (
            isinstance(term, Compare)
            and term.path.sub is not None
            and term.path.sub.lower() == "value"
            and term.op == "eq"
            and isinstance(term.value, str)
            and _is_emails(term.path, registry)
        ):
            return term.value
        if (
            isinstance(term, ValuePath)
            and term.path.sub is None
            and _is_emails(term.path, registry)
        ):
            inner = term.filter.terms if isinstance(term.filter, And) else (term.filter,)
            for leaf in inner:
                if (
                    isinstance(leaf, Compare)
                    and leaf.path.urn is None
                    and leaf.path.sub is None
                    and leaf.path.name.lower() == "value"
                    and leaf.op == "eq"
                    and isinstance(leaf.value, str)
                ):
                    return leaf.value
    return None


def _is_emails(path: AttrPath, registry: SchemaRegistry) -> bool:
    try:
        ref = registry.resolve(f"{path.urn}:{path.name}" if path.urn else path.name, "User")
    except ScimError:
        return False
    return (
        ref is not None
        and ref.core
        and ref.attribute is not None
        and (ref.attribute.name == "emails")
    )
