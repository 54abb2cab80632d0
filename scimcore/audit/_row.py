"""One audit table shape for every SQL backend: the columns, the DDL and an event as a row.

The audit logs (:class:`~scimcore.audit.SqliteAuditLog`, :class:`~scimcore.audit.PostgresAuditLog`)
and the stores' transactional ``write_audit`` (the SQL stores here, an application store elsewhere)
all write this shape, so any of them reads what another wrote::

    CREATE TABLE scim_audit (id TEXT PRIMARY KEY, time TEXT NOT NULL, data TEXT|JSONB NOT NULL)

``time`` is the record's RFC 3339 UTC time (it sorts as text); ``data`` is the record's JSON
form (:meth:`AuditEvent.to_dict`) with token-looking values in its path redacted, made storable:
NUL and unpaired surrogates are spelled out, since PostgreSQL refuses them and a failed request
must still be recorded.
"""

from __future__ import annotations

import json
from typing import Any

from scimcore.audit._record import AuditEvent
from scimcore.service._redact import redact_url, storable
from scimcore.store._sql import audit_table_ddl

__all__ = ["AUDIT_COLUMNS", "AUDIT_TABLE", "audit_row", "audit_table_ddl"]

AUDIT_TABLE = "scim_audit"
"""The default audit table name (a SQL store's ``{prefix}audit``)."""

AUDIT_COLUMNS = ("id", "time", "data")
"""The audit table's columns, in insert order."""


def audit_row(event: AuditEvent) -> dict[str, Any]:
    """The audit table row for ``event``: ``{"id", "time", "data"}``, ``data`` as JSON text."""
    data = event.to_dict()
    text = _dumps(_redacted(data))
    if "\\u0000" in text or not _encodable(text):  # NUL or a lone surrogate somewhere
        data = _redacted(storable(event.to_dict()))  # spelled out first, then redacted
        text = _dumps(data)
    return {"id": str(data["id"]), "time": str(data["time"]), "data": text}


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    data["path"] = redact_url(str(data.get("path", "")))
    if isinstance(data.get("detail"), str):
        data["detail"] = redact_url(data["detail"])
    return data


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _encodable(text: str) -> bool:
    """True when ``text`` is valid UTF-8 material (no unpaired surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
