"""Test helpers for scimcore and its users; importing it needs hypothesis (the ``test`` extra)."""

from scimcore.testing.strategies import (
    ACME_EXTENSION,
    ACME_EXTENSION_URN,
    acme_registry,
    attribute_values,
    groups,
    invalid_resources,
    resources,
    users,
)

__all__ = [
    "ACME_EXTENSION",
    "ACME_EXTENSION_URN",
    "acme_registry",
    "attribute_values",
    "groups",
    "invalid_resources",
    "resources",
    "users",
]
