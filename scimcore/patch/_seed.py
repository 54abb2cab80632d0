"""A new element built from a value filter's ``eq`` terms (``emails[type eq "work"]``)."""

from __future__ import annotations

from typing import Any

from scimcore.errors import InvalidValue
from scimcore.filter import And, Compare, Node
from scimcore.patch._values import check_simple
from scimcore.schema import Attribute


def seed_element(node: Node, attribute: Attribute) -> dict[str, Any] | None:
    """The element a filter of ``sub eq literal`` terms joined by ``and`` describes, or None.

    Used when an IdP adds through a value-filter path that matches nothing yet
    (Entra: ``Add emails[type eq "work"].value``): the element is created with those sub-attributes.
    Any other filter (``or``, ``not``, ``co``, a value of the wrong type) gives None.
    """
    terms = node.terms if isinstance(node, And) else (node,)
    out: dict[str, Any] = {}
    for term in terms:
        if not isinstance(term, Compare) or term.op != "eq" or term.path.sub is not None:
            return None
        sub = attribute.sub_attribute(term.path.name)
        if sub is None or sub.type == "complex" or sub.mutability == "readOnly":
            return None
        try:
            value = check_simple(sub, term.value, [])
        except InvalidValue:
            return None
        if sub.name in out and out[sub.name] != value:
            return None
        out[sub.name] = value
    return out
