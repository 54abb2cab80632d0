"""The application store's side table (SCIM bookkeeping per app row) and what it derives.

One row per (resource type, app key) that SCIM has written: the SCIM id, externalId, a write
counter, created/lastModified, the attributes the mapping does not place (JSON), the
case-folded unique name and a ``retired`` flag (a deactivated-on-DELETE resource).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from scimcore.mapping import AttributeMapping, MappingPath

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table

__all__ = ["audit_table", "blob_of", "column_value", "side_table", "version_of"]

#: Attributes the store keeps itself (never in the blob).
_OWN = frozenset(("id", "meta", "schemas", "externalid", "groups"))


def side_table(name: str, metadata: MetaData) -> Table:
    """The side table's definition (created with ``checkfirst``)."""
    from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

    return Table(
        name,
        metadata,
        Column("rt", String(32), primary_key=True),
        Column("app_key", String(191), primary_key=True),
        Column("app_num", BigInteger, nullable=True),  # the key again when it is a number
        Column("scim_id", String(64), nullable=False),
        Column("external_id", String(255), nullable=True),
        Column("version", Integer, nullable=False, default=1),
        Column("created", String(40), nullable=True),
        Column("last_modified", String(40), nullable=True),
        Column("data", Text, nullable=True),
        Column("uname", String(191), nullable=True),
        Column("retired", Integer, nullable=False, default=0),
        Index(f"{name}_id", "scim_id", unique=True),
        Index(f"{name}_uname", "rt", "uname", unique=True),
        Index(f"{name}_num", "rt", "app_num"),
        Index(f"{name}_retired", "rt", "retired"),
    )


def audit_table(name: str, metadata: MetaData) -> Table:
    """The audit table (the layout :class:`scimcore.audit.SqliteAuditLog` reads)."""
    from sqlalchemy import Column, Index, String, Table, Text

    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("time", String(40), nullable=False),
        Column("data", Text, nullable=False),
        Index(f"{name}_time", "time"),
    )


def column_value(value: Any) -> Any:
    """A value read from an app column as SCIM JSON takes it ('' counts as absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def version_of(counter: int, content: Any) -> int:
    """The resource's version: a 48-bit hash of the mapped content and the side counter.

    A write bumps the counter; an edit by the application changes the content: both change it.
    """
    raw = json.dumps([counter, content], sort_keys=True, default=str, separators=(",", ":"))
    return int(hashlib.sha256(raw.encode()).hexdigest()[:12], 16) or 1


def _key(obj: Mapping[str, Any], name: str) -> str | None:
    low = name.lower()
    return next((k for k in obj if isinstance(k, str) and k.lower() == low), None)


def _matches(element: Any, path: MappingPath) -> bool:
    if not isinstance(element, Mapping):
        return False
    for name, expected in path.where:
        key = _key(element, name)
        actual = element.get(key) if key is not None else None
        if isinstance(expected, str) and isinstance(actual, str):
            if actual.lower() != expected.lower():
                return False
        elif actual != expected:
            return False
    return True


def _strip(resource: dict[str, Any], path: MappingPath) -> None:
    """Remove what ``path`` places from ``resource`` (in place), dropping emptied containers."""
    node: Any = resource
    trail: list[tuple[dict[str, Any], str]] = []
    for name in path.keys[:-1]:
        key = _key(node, name) if isinstance(node, dict) else None
        if key is None:
            return
        trail.append((node, key))
        node = node[key]
    if not isinstance(node, dict):
        return
    last = _key(node, path.keys[-1])
    if last is None:
        return
    if not path.multi_valued:
        if path.sub is None:
            del node[last]
        elif isinstance(node[last], dict):
            sub = _key(node[last], path.sub.name)
            if sub is not None:
                del node[last][sub]
            if not node[last]:
                del node[last]
    else:
        elements = node[last]
        if isinstance(elements, dict):
            elements = [elements]
        if not isinstance(elements, list) or (not path.where and path.sub is None):
            del node[last]
        else:
            kept = []
            done = False
            for element in elements:
                hit = isinstance(element, dict) and (not path.where or _matches(element, path))
                if not hit or done:
                    kept.append(element)
                    continue
                done = bool(path.where)  # a filtered path maps the first match only
                if path.sub is None:
                    continue
                rest = {k: v for k, v in element.items() if k.lower() != path.sub.name.lower()}
                if {k.lower() for k in rest} - {n.lower() for n, _ in path.where}:
                    kept.append(rest)
            if kept:
                node[last] = kept
            else:
                del node[last]
    for parent, key in reversed(trail):
        if isinstance(parent.get(key), dict) and not parent[key]:
            del parent[key]


def blob_of(mapping: AttributeMapping, resource: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of ``resource`` that no rule of ``mapping`` places (kept in the side row).

    ``password`` is never kept there when a rule writes it (the application holds the hash).
    """
    out: dict[str, Any] = json.loads(
        json.dumps({k: v for k, v in resource.items() if k.lower() not in _OWN})
    )
    for rule in mapping.rules:
        _strip(out, rule.path)
    if mapping.extensions_to_meta:
        schemas = mapping.registry.schemas_of(mapping.resource_type)[1:]
        for schema in schemas:
            key = _key(out, schema.id)
            if key is not None and isinstance(out[key], dict):
                for name in [n for n in out[key] if schema.attribute(n) is not None]:
                    del out[key][name]
                if not out[key]:
                    del out[key]
    return out
