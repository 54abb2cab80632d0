"""How error messages name the JSON type of a value ("a string", "an array", …)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def json_type_name(value: Any) -> str:
    """Name the JSON type of ``value`` for an error message: "null", "a boolean", "an array", …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
