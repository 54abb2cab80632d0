"""Audit log backends: in memory, SQLite and PostgreSQL, searched with SCIM filters.

Every backend keeps records newest first, searches them with a SCIM filter over the record's
JSON form (see :data:`~scimcore.audit.AUDIT_REGISTRY`), pages them (1-based ``start_index``),
and clears them on demand or everything older than a cut-off (retention).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import attrs

from scimcore.audit._record import AUDIT_REGISTRY, AuditEvent, _iso
from scimcore.audit._row import audit_row, audit_table_ddl
from scimcore.errors import ConfigurationError, InvalidValue
from scimcore.filter import parse_filter

_MAX_COUNT = 1000


@attrs.frozen(slots=True)
class AuditPage:
    """One page of search results: the records, the total that matched, the 1-based start."""

    records: tuple[AuditEvent, ...]
    total: int
    start_index: int = 1

    def to_dict(self) -> dict[str, Any]:
        """A SCIM ListResponse of the records' JSON forms."""
        return {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": self.total,
            "startIndex": self.start_index,
            "itemsPerPage": len(self.records),
            "Resources": [r.to_dict() for r in self.records],
        }


class AuditLog(Protocol):
    """What the service writes to and the API/CLI read from."""

    def append(self, record: AuditEvent) -> None:
        """Store one record."""

    def search(
        self, filter: str | None = None, *, start_index: int = 1, count: int = 100
    ) -> AuditPage:
        """Records matching ``filter`` (a SCIM filter over the record JSON), newest first."""

    def clear(self, *, before: dt.datetime | None = None, filter: str | None = None) -> int:
        """Delete every record, or those older than ``before`` and/or matching ``filter``."""

    def close(self) -> None:
        """Release the backend's resources."""


def compile_audit_filter(text: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over record JSON for a SCIM filter (invalidFilter on a bad one)."""
    if text is None or not text.strip():
        return lambda _record: True
    flt = parse_filter(text, registry=AUDIT_REGISTRY)
    matches: Callable[[Mapping[str, Any]], bool] = flt.matches
    return matches


def _page(
    rows: Iterable[Mapping[str, Any]], filter: str | None, start_index: int, count: int
) -> AuditPage:
    if count < 0:
        raise InvalidValue("count must not be negative")
    start_index = max(1, start_index)
    count = min(count, _MAX_COUNT)
    match = compile_audit_filter(filter)
    hits = [r for r in rows if match(r)]
    window = hits[start_index - 1 : start_index - 1 + count]
    return AuditPage(
        records=tuple(AuditEvent.from_dict(r) for r in window),
        total=len(hits),
        start_index=start_index,
    )


def _window(start_index: int, count: int) -> tuple[int, int]:
    """(1-based start, page size) clamped as :func:`_page` does."""
    if count < 0:
        raise InvalidValue("count must not be negative")
    return max(1, start_index), min(count, _MAX_COUNT)


def _doomed(before: dt.datetime | None, filter: str | None) -> Callable[[Mapping[str, Any]], bool]:
    match = compile_audit_filter(filter)
    cut = _iso(before) if before is not None else None
    return lambda r: (cut is None or str(r["time"]) < cut) and match(r)


def _sort_key(record: Mapping[str, Any]) -> tuple[str, str]:
    return (str(record["time"]), str(record["id"]))


class MemoryAuditLog:
    """An in-memory audit log (tests, and servers running on the in-memory store)."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, record: AuditEvent) -> None:
        """Store one record."""
        with self._lock:
            self._records.append(record.to_dict())

    def search(
        self, filter: str | None = None, *, start_index: int = 1, count: int = 100
    ) -> AuditPage:
        """Records matching ``filter``, newest first, paged."""
        with self._lock:
            rows = sorted(self._records, key=_sort_key, reverse=True)
        return _page(rows, filter, start_index, count)

    def clear(self, *, before: dt.datetime | None = None, filter: str | None = None) -> int:
        """Delete every record, or those older than ``before`` and/or matching ``filter``."""
        doomed = _doomed(before, filter)
        with self._lock:
            n = len(self._records)
            self._records = [r for r in self._records if not doomed(r)]
            return n - len(self._records)

    def close(self) -> None:
        """Nothing to release."""


_IDENT_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _ident(name: str) -> str:
    if not name or not set(name) <= _IDENT_OK or name[0].isdigit():
        raise ConfigurationError(f"audit table name {name!r} must be a plain SQL identifier")
    return name


class SqliteAuditLog:
    """The audit log in a SQLite database: pass the store's file path or an open connection.

    The table (``scim_audit`` by default) holds the time, the id and the record JSON; it is
    created when missing, so the audit log can live in the same file as the users.
    """

    def __init__(self, target: str | sqlite3.Connection, *, table: str = "scim_audit") -> None:
        self._table = _ident(table)
        if isinstance(target, sqlite3.Connection):
            self._conn = target
            self._owned = False
        else:
            path = target.removeprefix("sqlite:///").removeprefix("sqlite://")
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._owned = True
        self._lock = threading.Lock()
        with self._lock:
            for statement in audit_table_ddl(self._table):
                self._conn.execute(statement)
            self._commit()

    def _commit(self) -> None:
        if self._conn.in_transaction and self._owned:
            self._conn.commit()

    def append(self, record: AuditEvent) -> None:
        """Store one record."""
        row = audit_row(record)
        with self._lock:
            self._conn.execute(
                f"INSERT INTO {self._table} (id, time, data) VALUES (?, ?, ?)",
                (row["id"], row["time"], row["data"]),
            )
            self._commit()

    def search(
        self, filter: str | None = None, *, start_index: int = 1, count: int = 100
    ) -> AuditPage:
        """Records matching ``filter``, newest first, paged."""
        match = compile_audit_filter(filter)  # fail fast on a bad filter, before reading
        if filter is None or not filter.strip():  # no filter: page in SQL
            start, size = _window(start_index, count)
            with self._lock:
                total = self._conn.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]
                rows = self._conn.execute(
                    f"SELECT data FROM {self._table} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
                    (size, start - 1),
                ).fetchall()
            found = tuple(AuditEvent.from_dict(json.loads(r[0])) for r in rows)
            return AuditPage(records=found, total=int(total), start_index=start)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT data FROM {self._table} ORDER BY time DESC, id DESC"
            ).fetchall()
        records = [json.loads(r[0]) for r in rows]
        return _page((r for r in records if match(r)), None, start_index, count)

    def clear(self, *, before: dt.datetime | None = None, filter: str | None = None) -> int:
        """Delete every record, or those older than ``before`` and/or matching ``filter``."""
        doomed = _doomed(before, filter)
        with self._lock:
            if filter is None or not filter.strip():
                if before is None:
                    cur = self._conn.execute(f"DELETE FROM {self._table}")
                else:
                    cur = self._conn.execute(
                        f"DELETE FROM {self._table} WHERE time < ?", (_iso(before),)
                    )
                self._commit()
                return cur.rowcount
            rows = self._conn.execute(f"SELECT data FROM {self._table}").fetchall()
            ids = [(rec["id"],) for rec in (json.loads(r[0]) for r in rows) if doomed(rec)]
            self._conn.executemany(f"DELETE FROM {self._table} WHERE id = ?", ids)
            self._commit()
            return len(ids)

    def close(self) -> None:
        """Close the connection if this log opened it."""
        if self._owned:
            self._conn.close()


class PostgresAuditLog:
    """The audit log in PostgreSQL (JSONB): pass a DSN, or a psycopg connection pool.

    ``schema`` puts the table in that PostgreSQL schema (created when missing).
    """

    def __init__(
        self, target: Any, *, table: str = "scim_audit", schema: str | None = None
    ) -> None:
        from scimcore._extras import require

        require("psycopg", extra="postgres", feature="the PostgreSQL audit log")
        require("psycopg_pool", extra="postgres", feature="the PostgreSQL audit log")

        self._name = _ident(table) if schema is None else f"{_ident(schema)}.{_ident(table)}"
        if isinstance(target, str):
            from psycopg_pool import ConnectionPool

            self._pool: Any = ConnectionPool(target, min_size=1, max_size=4, open=True)
            self._owned = True
        else:
            self._pool = target
            self._owned = False
        with self._pool.connection() as conn:
            if schema is not None:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            for statement in audit_table_ddl(self._name, json_type="JSONB"):
                conn.execute(statement)

    def append(self, record: AuditEvent) -> None:
        """Store one record."""
        row = audit_row(record)
        with self._pool.connection() as conn:
            conn.execute(
                f"INSERT INTO {self._name} (id, time, data) VALUES (%s, %s, %s::jsonb)",
                (row["id"], row["time"], row["data"]),
            )

    def search(
        self, filter: str | None = None, *, start_index: int = 1, count: int = 100
    ) -> AuditPage:
        """Records matching ``filter``, newest first, paged."""
        match = compile_audit_filter(filter)
        if filter is None or not filter.strip():  # no filter: page in SQL
            start, size = _window(start_index, count)
            with self._pool.connection() as conn:
                total = conn.execute(f"SELECT COUNT(*) FROM {self._name}").fetchone()[0]
                page = conn.execute(
                    f"SELECT data FROM {self._name} ORDER BY time DESC, id DESC LIMIT %s OFFSET %s",
                    (size, start - 1),
                ).fetchall()
            data = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in page]
            found = tuple(AuditEvent.from_dict(d) for d in data)
            return AuditPage(records=found, total=int(total), start_index=start)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT data FROM {self._name} ORDER BY time DESC, id DESC"
            ).fetchall()
        records = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
        return _page((r for r in records if match(r)), None, start_index, count)

    def clear(self, *, before: dt.datetime | None = None, filter: str | None = None) -> int:
        """Delete every record, or those older than ``before`` and/or matching ``filter``."""
        doomed = _doomed(before, filter)
        with self._pool.connection() as conn:
            if filter is None or not filter.strip():
                if before is None:
                    cur = conn.execute(f"DELETE FROM {self._name}")
                else:
                    cur = conn.execute(f"DELETE FROM {self._name} WHERE time < %s", (_iso(before),))
                return int(cur.rowcount)
            rows = conn.execute(f"SELECT data FROM {self._name}").fetchall()
            records = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
            ids = [rec["id"] for rec in records if doomed(rec)]
            if ids:
                conn.execute(f"DELETE FROM {self._name} WHERE id = ANY(%s)", (ids,))
            return len(ids)

    def close(self) -> None:
        """Close the pool if this log opened it."""
        if self._owned:
            self._pool.close()


def open_audit_log(url: str) -> AuditLog:
    """Open the audit log at ``url``: ``memory:``, ``postgresql://…``, ``sqlite:///p`` or a path."""
    if url in ("memory:", ":memory:"):
        return MemoryAuditLog()
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresAuditLog(url)
    return SqliteAuditLog(url)
