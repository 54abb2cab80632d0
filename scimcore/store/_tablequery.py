"""Filter pushdown for the application store: a SCIM filter as a superset SQL condition.

Each comparison on an attribute a mapping rule places without transforms becomes a condition
on its column (or an ``owner IN (…)`` of the storage that keeps its meta key); anything else
(``ne``, ``not``, ordering on text, value paths, unmapped attributes) is left to the residual,
which the store always evaluates in memory on the candidates. ``and`` keeps the terms it can
translate, ``or`` only when every branch translates, so the condition never excludes a match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import ScimError
from scimcore.filter import And, Compare, Node, Not, Or, Present, ValuePath
from scimcore.mapping import AttributeMapping
from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

__all__ = ["Pushdown", "Target"]


@attrs.frozen
class Target:
    """Where a filterable attribute lives: a column of the main table, or a storage's key."""

    column: str | None = None
    storage: Any = None
    key: str | None = None


def _keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k.lower() for k in keys)


@attrs.define
class Pushdown:
    """Translates filters for one mapping over one main table and its storages."""

    mapping: AttributeMapping
    table: Table
    owner: Any
    storage_for: Callable[[str], Any]
    equals: Callable[[Any, str], ColumnElement[bool]] | None = None
    """A dialect's case-insensitive, indexed equality on a column (None: ``lower(col) = v``)."""
    _targets: dict[tuple[str, ...], Target] = attrs.field(factory=dict, init=False)

    def __attrs_post_init__(self) -> None:
        for rule in self.mapping.rules:
            path = rule.path
            if rule.direction == "to_app" or rule.to_scim or path.where or path.multi_valued:
                continue
            keys = path.keys + ((path.sub.name,) if path.sub is not None else ())
            if rule.field is not None:
                if rule.field in self.table.c:
                    self._targets.setdefault(_keys(keys), Target(column=rule.field))
            elif rule.meta is not None:
                storage = self.storage_for(rule.meta)
                if storage is not None:
                    self._targets.setdefault(_keys(keys), Target(storage=storage, key=rule.meta))

    def target(self, text: str) -> Target | None:
        """Where the attribute at path ``text`` lives (None: not pushable)."""
        registry = self.mapping.registry
        try:
            ref = registry.resolve(text, self.mapping.resource_type)
        except ScimError:
            return None
        if ref is None or ref.attribute is None:
            return None
        found = self._targets.get(_keys(ref.keys))
        if found is not None:
            return found
        if (
            self.mapping.extensions_to_meta
            and not ref.core
            and ref.sub_attribute is None
            and not ref.attribute.multi_valued
            and not ref.attribute.is_complex
        ):
            key = f"{self.mapping.meta_prefix}{ref.schema.id}:{ref.attribute.name}"
            storage = self.storage_for(key)
            if storage is not None:
                return Target(storage=storage, key=key)
        return None

    def condition(self, node: Node) -> ColumnElement[bool] | None:
        """A superset condition for ``node``; None when nothing narrows it."""
        from sqlalchemy import and_, or_

        if isinstance(node, And):
            kept = [c for c in (self.condition(t) for t in node.terms) if c is not None]
            return and_(*kept) if kept else None
        if isinstance(node, Or):
            parts = [self.condition(t) for t in node.terms]
            if any(p is None for p in parts):
                return None
            return or_(*[p for p in parts if p is not None])
        if isinstance(node, Not | ValuePath):
            return None
        if isinstance(node, Present):
            return self._compare(node.path.text, "pr", None)
        if isinstance(node, Compare):
            return self._compare(node.path.text, node.op, node.value)
        return None

    def _compare(self, path: str, op: str, value: Any) -> ColumnElement[bool] | None:
        target = self.target(path)
        if target is None:
            return None
        if target.storage is not None:
            if op == "pr" or isinstance(value, str):
                out: ColumnElement[bool] | None = target.storage.condition(
                    target.key, op, value, self.owner
                )
                return out
            return None
        assert target.column is not None
        column = self.table.c[target.column]
        if op == "pr":
            return column.is_not(None)
        if isinstance(value, str):
            if op == "eq" and self.equals is not None:
                return self.equals(column, value)
            return text_condition(column, op, value)
        if op == "eq" and isinstance(value, bool | int) and not isinstance(value, float):
            python_type = _python_type(column)
            if python_type is bool or (python_type is int and not isinstance(value, bool)):
                return column == value
        return None


def _python_type(column: Any) -> type | None:
    try:
        out: type = column.type.python_type
    except NotImplementedError:
        return None
    return out
