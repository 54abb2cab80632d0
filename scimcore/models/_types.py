"""Value rules shared by the fast validator and the generated JSON Schema, so both agree."""

from __future__ import annotations

import re

# Both patterns end with ``$(?!\n)``: in Python ``$`` also matches before a final newline, the
# look-ahead forbids that, and in ECMA-262 (where ``$`` means the end) it is a no-op.
DATETIME_PATTERN = (
    r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)"
    r"(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$(?!\n)"
)
"""xsd:dateTime as RFC 7643 §2.3.5 requires (a date and a time; the offset may be omitted)."""

BINARY_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$(?!\n)"
"""Base64 (RFC 4648 §4) with padding, as RFC 7643 §2.3.6 requires for binary attributes."""

DATETIME_RE = re.compile(DATETIME_PATTERN)
BINARY_RE = re.compile(BINARY_PATTERN)


def name_pattern(name: str) -> str:
    """A regex matching ``name`` in any case: SCIM attribute names are case-insensitive."""
    return f"^(?i:{re.escape(name)})$(?!\\n)"


def canonical_pattern(values: tuple[str, ...]) -> str:
    """A regex matching any of ``values`` in any case (canonical values compare that way)."""
    return "^(?i:" + "|".join(re.escape(v) for v in values) + ")$(?!\\n)"
