"""SQL for a SCIM comparison on a text column, case-insensitive (shared by attached storages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

__all__ = ["text_condition"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_condition(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool] | None:
    """``column op value`` for SCIM ``eq``/``sw``/``ew``/``co``/``pr`` on text, compared
    lower-cased on both sides (so case-insensitive on every database); None for other operators
    or a non-string value (the caller filters in memory). No ``ne``: rows a storage lacks
    match ``ne`` too, so an ``IN (subquery)`` of it would not be a superset."""
    from sqlalchemy import func

    if op == "pr":
        return column.is_not(None)
    if not isinstance(value, str):
        return None
    folded = func.lower(column)
    needle = value.lower()
    if op == "eq":
        return folded == needle
    pattern = {"sw": "{}%", "ew": "%{}", "co": "%{}%"}.get(op)
    if pattern is None:
        return None
    return folded.like(pattern.format(_escape_like(needle)), escape="\\")
