"""Filters compiled to parameterised SQL WHERE clauses for SQLite (JSON1) and PostgreSQL (JSONB).

The SQL has the in-memory semantics (see :mod:`scimcore.filter._evaluate`): the same two-valued
logic (a comparison NULL-ed by a missing attribute is false, also under ``not``), the same
case-insensitive comparison (SQLite calls ``scim_lower``, registered by
:func:`register_sqlite_functions` as Python's ``str.lower``; PostgreSQL calls ``lower``), the same
type checks, multi-valued attributes through ``EXISTS`` over the array's elements, and dateTimes
compared as instants (SQLite at millisecond precision). Values are always bound parameters; JSON
keys come from the schema, never from the filter text; LIKE and GLOB patterns are escaped.

Resources are read from a JSON column with canonical attribute names (what ``validate_resource``
stores), or from plain columns through a scim2-filter-parser style ``attr_map``. A part of the
filter that cannot be expressed (an attribute neither mapped nor in a JSON column) is left out of
``where`` only at the top ``and`` level, so ``where`` selects a superset, and is returned as
``residual`` for the caller to apply in memory: the result is never silently widened.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from typing import Literal as TypingLiteral

import attrs

from scimcore.errors import ConfigurationError, InvalidFilter
from scimcore.filter._ast import (
    And,
    AttrPath,
    Compare,
    Node,
    Not,
    Present,
    ValuePath,
    to_text,
)
from scimcore.filter._evaluate import coerce_literal
from scimcore.filter._filter import Filter, parse_filter
from scimcore.schema import DEFAULT_REGISTRY, Attribute, ResourceType, SchemaRegistry

Dialect = TypingLiteral["sqlite", "postgres"]
AttrMapKey = tuple[str, str | None, str | None]

_SQL_OPS = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PG_DATETIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$"
_PG_OFFSET = r"(Z|[+-]\d\d:\d\d)$"


def _scim_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else None


def register_sqlite_functions(conn: sqlite3.Connection) -> None:
    """Register ``scim_lower`` (deterministic, = ``str.lower``) on a SQLite connection.

    Call it on every connection that runs SQL from :func:`compile_sql`; being deterministic, it
    can also back an expression index such as
    ``CREATE INDEX … ON users (scim_lower(json_extract(data, '$.userName')))``.
    """
    conn.create_function("scim_lower", 1, _scim_lower, deterministic=True)


@attrs.frozen(slots=True)
class SqlFilter:
    """A WHERE clause, its parameters in order, and what is left to check in memory."""

    where: str
    params: list[Any]
    residual: Filter | None = None


def _quote_sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if _SIMPLE_KEY.match(name):
        return name
    raise ConfigurationError(f"column {name!r} is not a plain SQL identifier")


def _like_pattern(op: str, lit: str) -> str:
    body = lit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"co": f"%{body}%", "sw": f"{body}%", "ew": f"%{body}"}[op]


def _glob_pattern(op: str, lit: str) -> str:
    body = "".join(f"[{c}]" if c in "*?[" else c for c in lit)
    return {"co": f"*{body}*", "sw": f"{body}*", "ew": f"*{body}"}[op]


class _Value:
    """An SQL expression for one JSON value: its value/text, its JSON type, and the dialect."""

    def __init__(self, value: str, typ: str | None, text: str | None = None) -> None:
        self.value = value  # SQLite: the SQL value; PostgreSQL: the jsonb value
        self.type = typ  # the JSON type expression; None for a plain column
        self.text = text if text is not None else value  # PostgreSQL: the text value


class _Compiler:
    def __init__(
        self,
        dialect: Dialect,
        json_column: str | None,
        attr_map: Mapping[Any, str] | None,
        registry: SchemaRegistry,
        resource_type: ResourceType,
    ) -> None:
        if dialect not in ("sqlite", "postgres"):
            raise ConfigurationError(f"unknown SQL dialect {dialect!r}; use sqlite or postgres")
        self.pg = dialect == "postgres"
        self.ph = "%s" if self.pg else "?"
        self.json_column = _ident(json_column) if json_column is not None else None
        self.registry = registry
        self.rt = resource_type
        self.params: list[Any] = []
        self.aliases = 0
        self.attr_map: dict[AttrMapKey, str] = {}
        for key, column in (attr_map or {}).items():
            self.attr_map[self._map_key(key)] = _ident(column)

    @staticmethod
    def _map_key(key: Any) -> AttrMapKey:
        if isinstance(key, str):
            urn: str | None = None
            rest = key
            if key.lower().startswith("urn:"):
                urn, _, rest = key.rpartition(":")
            name, _, sub = rest.partition(".")
            return (name.lower(), sub.lower() or None, urn.lower() if urn else None)
        if isinstance(key, tuple) and len(key) == 3:
            name, sub, urn = key
            return (
                str(name).lower(),
                str(sub).lower() if sub else None,
                str(urn).lower() if urn else None,
            )
        raise ConfigurationError(
            f"attr_map key {key!r}: use 'name.sub' or (attr_name, sub_attr, uri) as in "
            "scim2-filter-parser"
        )

    def param(self, value: Any) -> str:
        self.params.append(value)
        return self.ph

    # -- JSON access ------------------------------------------------------------------------

    def _alias(self) -> str:
        self.aliases += 1
        return f"_e{self.aliases}"

    def _sqlite_path(self, keys: tuple[str, ...]) -> str:
        path = "$" + "".join(
            f".{k}" if _SIMPLE_KEY.match(k) else '."' + k.replace('"', '\\"') + '"' for k in keys
        )
        return _quote_sql(path)

    def _pg_path(self, keys: tuple[str, ...]) -> str:
        parts = ",".join('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)
        return _quote_sql("{" + parts + "}").replace("%", "%%")

    def at(self, base: str, keys: tuple[str, ...]) -> _Value:
        """The value at ``keys`` below the JSON expression ``base``."""
        if self.pg:
            path = self._pg_path(keys)
            value = f"({base} #> {path})"
            return _Value(value, f"jsonb_typeof{value}", f"({base} #>> {path})")
        path = self._sqlite_path(keys)
        return _Value(f"json_extract({base}, {path})", f"json_type({base}, {path})")

    def each(self, base: str, keys: tuple[str, ...]) -> tuple[str, _Value]:
        """A FROM item over the elements at ``keys`` (a lone value counts as one) and an element."""
        alias = self._alias()
        if self.pg:
            arr = self.at(base, keys).value
            src = (
                f"jsonb_array_elements(CASE jsonb_typeof{arr} WHEN 'array' THEN {arr} "
                f"ELSE jsonb_build_array{arr} END) AS {alias}(v)"
            )
            return src, _Value(f"{alias}.v", f"jsonb_typeof({alias}.v)", f"({alias}.v #>> '{{}}')")
        src = f"json_each({base}, {self._sqlite_path(keys)}) AS {alias}"
        return src, _Value(f"{alias}.value", f"{alias}.type")

    # -- leaves ------------------------------------------------------------------------------

    def present(self, v: _Value) -> str:
        if v.type is None:
            return f"({v.value} IS NOT NULL AND {v.value} <> '')"
        if self.pg:
            return (
                f"(CASE {v.type} WHEN 'string' THEN {v.value} <> '\"\"'::jsonb "
                f"WHEN 'object' THEN {v.value} <> '{{}}'::jsonb "
                f"WHEN 'array' THEN {v.value} <> '[]'::jsonb "
                f"WHEN 'null' THEN false ELSE {v.value} IS NOT NULL END)"
            )
        return (
            f"(CASE {v.type} WHEN 'text' THEN {v.value} <> '' "
            f"WHEN 'object' THEN {v.value} <> '{{}}' WHEN 'array' THEN {v.value} <> '[]' "
            f"WHEN 'null' THEN 0 ELSE {v.type} IS NOT NULL END)"
        )

    def test(self, v: _Value, attr: Attribute, op: str, lit: Any, path: AttrPath) -> str:
        """SQL for one value ``v`` of ``attr`` against ``op lit`` (op not ne/pr; lit not null)."""
        value = coerce_literal(attr, op, lit, path)
        kind = attr.type
        pg = self.pg
        if kind == "boolean":
            if v.type is None:
                return f"{v.value} = {self.param(bool(value))}"
            if pg:
                return f"{v.value} = '{'true' if value else 'false'}'::jsonb"
            return f"{v.type} = '{'true' if value else 'false'}'"
        sql_op = _SQL_OPS.get(op)
        if kind in ("integer", "decimal"):
            if v.type is None:
                return f"{v.value} {sql_op} {self.param(value)}"
            if pg:
                num = f"(CASE WHEN {v.type} = 'number' THEN ({v.value})::numeric END)"
                return f"{num} {sql_op} {self.param(value)}"
            return f"({v.type} IN ('integer', 'real') AND {v.value} {sql_op} {self.param(value)})"
        if kind == "dateTime":
            assert isinstance(value, datetime)
            utc = value.astimezone(UTC)
            if pg:
                if v.type is None:
                    return f"{v.value} {sql_op} {self.param(utc)}"
                s = v.text
                instant = (
                    f"(CASE WHEN {v.type} = 'string' AND {s} ~ {_quote_sql(_PG_DATETIME)} THEN "
                    f"(CASE WHEN {s} ~ {_quote_sql(_PG_OFFSET)} THEN ({s})::timestamptz "
                    f"ELSE (({s})::timestamp AT TIME ZONE 'UTC') END) END)"
                )
                return f"{instant} {sql_op} {self.param(utc)}"
            stamp = f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%f")[:-3]
            guard = "" if v.type is None else f"{v.type} = 'text' AND "
            return f"({guard}strftime('%Y-%m-%dT%H:%M:%f', {v.value}) {sql_op} {self.param(stamp)})"
        assert isinstance(value, str)
        exact = attr.case_exact or kind == "binary"
        text = v.text
        if pg:
            guard = "" if v.type is None else f"{v.type} = 'string' AND "
            expr = text if exact else f"lower({text})"
            lit_s = value if exact else value.lower()
            if op in ("co", "sw", "ew"):
                cond = f"{expr} LIKE {self.param(_like_pattern(op, lit_s))} ESCAPE '\\'"
            elif op == "eq":
                cond = f"{expr} = {self.param(lit_s)}"
            else:
                cond = f'{expr} COLLATE "C" {sql_op} {self.param(lit_s)}'
            return f"({guard}{cond})"
        if exact:
            guard = "" if v.type is None else f"{v.type} = 'text' AND "
            if op in ("co", "sw", "ew"):
                cond = f"{v.value} GLOB {self.param(_glob_pattern(op, value))}"
            else:
                cond = f"{v.value} {sql_op} {self.param(value)}"
            return f"({guard}{cond})"
        expr = f"scim_lower({v.value})"  # NULL for anything but text
        if op in ("co", "sw", "ew"):
            return f"{expr} LIKE {self.param(_like_pattern(op, value.lower()))} ESCAPE '\\'"
        return f"{expr} {sql_op} {self.param(value.lower())}"

    # -- nodes ------------------------------------------------------------------------------

    def _mapped(self, path: AttrPath) -> tuple[str, Attribute] | None:
        if not self.attr_map:
            return None
        ref = self.registry.resolve(path.text, self.rt)
        if ref is None or ref.attribute is None:
            return None
        attr = ref.attribute
        sub = ref.sub_attribute
        target = ref.target
        assert target is not None
        if target.is_complex and sub is None:
            value = target.sub_attribute("value")
            if value is not None:
                sub, target = value, value
        urn = None if ref.core else ref.schema.id.lower()
        keys = [(attr.name.lower(), sub.name.lower() if sub else None, urn)]
        if urn is None:
            keys.append((attr.name.lower(), sub.name.lower() if sub else None, self._core_urn()))
        for key in keys:
            column = self.attr_map.get(key)
            if column is not None:
                return column, target
        return None

    def _core_urn(self) -> str:
        return self.rt.schema.lower()

    def _leaf(
        self, node: Compare | Present, base: str | None, element: Attribute | None
    ) -> str | None:
        path = node.path
        if element is None:
            mapped = self._mapped(path)
            if mapped is not None:
                column, attr = mapped
                return self._on_values([_Value(column, None)], attr, node)
            if base is None:
                return None
            ref = self.registry.resolve(path.text, self.rt)
            where = path.pos if path.pos >= 0 else None
            if ref is None or ref.attribute is None:
                raise InvalidFilter(
                    f"{path.text!r} is not an attribute of {self.rt.name}", position=where
                )
            attr, sub = ref.attribute, ref.sub_attribute
            prefix = () if ref.core else (ref.schema.id,)
        else:
            assert base is not None
            sub_attr = element.sub_attribute(path.name) if path.urn is None else None
            if sub_attr is None or path.sub is not None:
                raise InvalidFilter(
                    f"{path.text!r} is not a sub-attribute of {element.name!r}",
                    position=path.pos if path.pos >= 0 else None,
                )
            attr, sub, prefix = sub_attr, None, ()
        target = sub if sub is not None else attr
        tail: tuple[str, ...] = ()
        if target.is_complex and isinstance(node, Compare) and node.value is not None:
            value = target.sub_attribute("value")
            if value is None:
                raise InvalidFilter(
                    f"{path.text!r} is complex; compare one of its sub-attributes instead",
                    position=path.pos if path.pos >= 0 else None,
                )
            tail, target = (value.name,), value
        if sub is not None:
            tail = (sub.name, *tail)
        head = (*prefix, attr.name)
        if attr.multi_valued:
            if sub is not None and sub.multi_valued:
                return None
            src, el = self.each(base, head)
            inner = el if not tail else self._at_element(el, tail)
            cond = self._on_values([inner], target, node)
            if tail:
                cond = self._if_object(el, cond)
            return f"EXISTS (SELECT 1 FROM {src} WHERE {cond})"
        if sub is not None and sub.multi_valued:
            src, el = self.each(base, (*head, sub.name))
            cond = self._on_values([el], target, node)
            return f"EXISTS (SELECT 1 FROM {src} WHERE {cond})"
        return self._on_values([self.at(base, (*head, *tail))], target, node)

    def _if_object(self, el: _Value, cond: str) -> str:
        """``cond`` for an element that is an object (CASE fixes the order: JSON is read last)."""
        return f"(CASE WHEN {el.type} = 'object' THEN {cond} END)"

    def _at_element(self, el: _Value, keys: tuple[str, ...]) -> _Value:
        return self.at(el.value, keys)

    def _on_values(self, values: list[_Value], attr: Attribute, node: Compare | Present) -> str:
        (v,) = values
        if isinstance(node, Present):
            return self.present(v)
        if node.value is None:
            cond = self.present(v)
            return cond if node.op == "ne" else f"NOT {self._coalesce(cond)}"
        if node.op == "ne":
            raise AssertionError("ne is rewritten before reaching a leaf")
        return self.test(v, attr, node.op, node.value, node.path)

    def _coalesce(self, cond: str) -> str:
        return f"COALESCE({cond}, {'false' if self.pg else '0'})"

    def node(self, node: Node, base: str | None, element: Attribute | None) -> str | None:
        if isinstance(node, Compare):
            if node.op == "ne" and node.value is not None:
                eq = self.node(Compare(node.path, "eq", node.value), base, element)
                return None if eq is None else f"NOT {self._coalesce(eq)}"
            if node.value is None and node.op == "eq" and element is None:
                present = self._leaf(Present(node.path), base, element)
                return None if present is None else f"NOT {self._coalesce(present)}"
            return self._leaf(node, base, element)
        if isinstance(node, Present):
            return self._leaf(node, base, element)
        if isinstance(node, Not):
            inner = self.node(node.inner, base, element)
            return None if inner is None else f"NOT {self._coalesce(inner)}"
        if isinstance(node, ValuePath):
            return self._value_path(node, base, element)
        word = " AND " if isinstance(node, And) else " OR "
        parts = [self.node(t, base, element) for t in node.terms]
        if any(p is None for p in parts):
            return None
        return "(" + word.join(p for p in parts if p is not None) + ")"

    def _value_path(
        self, node: ValuePath, base: str | None, element: Attribute | None
    ) -> str | None:
        if element is not None:
            raise InvalidFilter("a value filter cannot contain another '[…]'")
        if base is None:
            return None
        path = node.path
        ref = self.registry.resolve(path.text, self.rt)
        where = path.pos if path.pos >= 0 else None
        if ref is None or ref.attribute is None:
            raise InvalidFilter(
                f"{path.text!r} is not an attribute of {self.rt.name}", position=where
            )
        target = ref.target
        assert target is not None
        if not target.is_complex:
            raise InvalidFilter(
                f"{path.text!r} is not complex; '[…]' filters elements of a complex attribute",
                position=where,
            )
        src, el = self.each(base, ref.keys)
        inner = self.node(node.filter, el.value, target)
        if inner is None:
            return None
        return f"EXISTS (SELECT 1 FROM {src} WHERE {self._if_object(el, inner)})"


def compile_sql(
    flt: Filter | Node | str,
    *,
    dialect: Dialect = "sqlite",
    json_column: str | None = "data",
    attr_map: Mapping[Any, str] | None = None,
    registry: SchemaRegistry | None = None,
    resource_type: ResourceType | str = "User",
) -> SqlFilter:
    """Compile a filter to a parameterised WHERE clause for ``dialect``.

    ``json_column`` holds each resource as JSON (SQLite TEXT or PostgreSQL JSONB) with canonical
    attribute names; ``attr_map`` maps SCIM paths to plain columns, keyed by ``"name.sub"`` or by
    scim2-filter-parser's ``(attr_name, sub_attr, uri)`` tuples (any case). Mapped paths read the
    column; others read ``json_column``; with ``json_column=None`` they go to ``residual``.
    Placeholders are ``?`` for SQLite and ``%s`` for PostgreSQL (psycopg).
    """
    reg = (
        registry
        if registry is not None
        else (flt.registry if isinstance(flt, Filter) else DEFAULT_REGISTRY)
    )
    if isinstance(flt, str):
        flt = parse_filter(flt, registry=reg)
    ast = flt.ast if isinstance(flt, Filter) else flt
    rt = reg.resource_type(resource_type) if isinstance(resource_type, str) else resource_type
    if rt is None:
        raise ConfigurationError(f"no resource type called {resource_type!r}")
    comp = _Compiler(dialect, json_column, attr_map, reg, rt)
    base = comp.json_column
    terms = ast.terms if isinstance(ast, And) else (ast,)
    pushed: list[str] = []
    left: list[Node] = []
    for term in terms:
        mark = len(comp.params)
        sql = comp.node(term, base, None)
        if sql is None:
            del comp.params[mark:]  # parameters of a half-compiled term must not shift the rest
            left.append(term)
        else:
            pushed.append(sql)
    where = " AND ".join(pushed) if pushed else ("TRUE" if comp.pg else "1")
    residual: Filter | None = None
    if left:
        rest: Node = left[0] if len(left) == 1 else And(tuple(left))
        residual = Filter(to_text(rest), rest, reg)
    return SqlFilter(where, comp.params, residual)
