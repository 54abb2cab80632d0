"""SqliteStore: the embedded default store (WAL, a connection per thread, checked writes)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from scimcore.errors import ServerError
from scimcore.filter import register_sqlite_functions
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry
from scimcore.store._base import DEFAULT_UNIQUE
from scimcore.store._sql import SqlDialect, SqlTransaction, audit_table_ddl, table_name

__all__ = ["SqliteStore"]


_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _json_path(keys: Sequence[str]) -> str:
    """A JSON path literal spelled as ``compile_sql`` spells it (so expression indexes match)."""
    parts = "".join(
        f".{k}" if _SIMPLE.match(k) else '."' + k.replace('"', '\\"') + '"' for k in keys
    )
    return "'" + ("$" + parts).replace("'", "''") + "'"


class _SqliteDialect(SqlDialect):
    name = "sqlite"
    placeholder = "?"
    unique_errors = (sqlite3.IntegrityError,)
    reference_errors = (sqlite3.IntegrityError,)

    def text_at(self, keys: Sequence[str]) -> str:
        return f"json_extract(data, {_json_path(keys)})"

    def is_text_at(self, keys: Sequence[str]) -> str:
        return f"json_type(data, {_json_path(keys)}) = 'text'"

    def lower(self, expr: str) -> str:
        return f"scim_lower({expr})"


class SqliteStore:
    """Resources in a SQLite file (``":memory:"`` works for a single thread's tests only).

    WAL journaling, a busy timeout, one connection per thread; write transactions start with
    ``BEGIN IMMEDIATE`` so writers queue instead of failing, read-only ones read a snapshot.
    """

    def __init__(
        self,
        path: str,
        *,
        registry: SchemaRegistry = DEFAULT_REGISTRY,
        unique: Mapping[str, Sequence[str]] = DEFAULT_UNIQUE,
        unique_group_display_name: bool = False,
        busy_timeout_ms: int = 30_000,
        prefix: str = "scim_",
    ) -> None:
        self.path = path
        self.registry = registry
        keys = {rt: tuple(a) for rt, a in unique.items()}
        if unique_group_display_name:
            keys["Group"] = (*keys.get("Group", ()), "displayName")
        self._unique = keys
        self._busy_timeout_ms = busy_timeout_ms
        self._prefix = prefix
        self._dialect = _SqliteDialect()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        self._types = frozenset({rt.name for rt in registry.resource_types} | {"User", "Group"})
        self._create_schema(self._connection())

    # -- connections ---------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise ServerError("this store is closed")
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self._busy_timeout_ms / 1000,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")  # group members reference their rows
        register_sqlite_functions(conn)  # scim_lower: str.lower, as compile_sql expects
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        p = self._prefix
        u = table_name(p, "User")
        g = table_name(p, "Group")
        statements = []
        for rt in sorted(self._types):
            t = table_name(p, rt)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {t} (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, data TEXT NOT NULL)"
            )
        statements += [
            f"CREATE TABLE IF NOT EXISTS {p}member (group_seq INTEGER NOT NULL"
            f" REFERENCES {g} (seq) ON DELETE CASCADE,"
            " position INTEGER NOT NULL, member_id TEXT, data TEXT NOT NULL,"
            f" user_ref TEXT REFERENCES {u} (id) ON DELETE CASCADE,"
            f" group_ref TEXT REFERENCES {g} (id) ON DELETE CASCADE,"
            " PRIMARY KEY (group_seq, position))",
            f"CREATE INDEX IF NOT EXISTS {p}member_id ON {p}member (member_id)",
            # members_among: a group's members by lower-cased id, without reading them all
            f"CREATE INDEX IF NOT EXISTS {p}member_lower ON {p}member"
            " (group_seq, scim_lower(member_id))",
            f"CREATE TABLE IF NOT EXISTS {p}unique (rt TEXT NOT NULL, attr TEXT NOT NULL,"
            " value TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (rt, attr, value))",
            f"CREATE INDEX IF NOT EXISTS {p}unique_seq ON {p}unique (rt, seq)",
        ]
        statements += [
            f"CREATE TABLE IF NOT EXISTS {p}user_email (seq INTEGER NOT NULL, value text NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {p}user_email_value ON {p}user_email (value)",
            f"CREATE INDEX IF NOT EXISTS {p}user_email_seq ON {p}user_email (seq)",
        ]
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {p}count (rt text PRIMARY KEY, n INTEGER NOT NULL)"
        )
        statements += audit_table_ddl(f"{p}audit")
        for rt in sorted(self._types):  # names checked by table_name: safe to inline
            statements.append(
                f"INSERT INTO {p}count (rt, n) SELECT '{rt}',"
                f" (SELECT count(*) FROM {table_name(p, rt)})"
                f" WHERE NOT EXISTS (SELECT 1 FROM {p}count WHERE rt = '{rt}')"
            )
        statements += [
            # the expressions the filter compiler emits for the hot IdP lookups
            f"CREATE INDEX IF NOT EXISTS {u}_username ON {u}"
            " (scim_lower(json_extract(data, '$.userName')))",
            f"CREATE INDEX IF NOT EXISTS {u}_externalid ON {u}"
            " (json_extract(data, '$.externalId'))",
            f"CREATE INDEX IF NOT EXISTS {g}_displayname ON {g}"
            " (scim_lower(json_extract(data, '$.displayName')))",
            f"CREATE INDEX IF NOT EXISTS {g}_externalid ON {g}"
            " (json_extract(data, '$.externalId'))",
        ]
        conn.execute("BEGIN IMMEDIATE")
        try:
            had_emails = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                [f"{p}user_email"],
            ).fetchone()
            had_members = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [f"{p}member"]
            ).fetchone()
            for statement in statements:
                conn.execute(statement)
            if had_members is not None:
                self._migrate_member_refs(conn)
            statements_after = [
                f"CREATE INDEX IF NOT EXISTS {p}member_user_ref ON {p}member (user_ref)",
                f"CREATE INDEX IF NOT EXISTS {p}member_group_ref ON {p}member (group_ref)",
            ]
            for statement in statements_after:
                conn.execute(statement)
            if had_emails is None:  # a file from before the email index: fill it in
                conn.execute(
                    f"INSERT INTO {p}user_email (seq, value) SELECT DISTINCT u.seq,"
                    " scim_lower(json_extract(e.value, '$.value'))"
                    f" FROM {u} u, json_each(u.data, '$.emails') e"
                    " WHERE e.type = 'object' AND json_type(e.value, '$.value') = 'text'"
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate_member_refs(self, conn: sqlite3.Connection) -> None:
        """A file from before the member foreign keys: add them and fill them in.

        Rows whose member exists get their reference; a member already dangling is left
        unreferenced (it was not created through a path that checked it).
        """
        p = self._prefix
        u, g = table_name(p, "User"), table_name(p, "Group")
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({p}member)")}
        for column, parent in (("user_ref", u), ("group_ref", g)):
            if column in columns:
                continue
            conn.execute(
                f"ALTER TABLE {p}member ADD COLUMN {column} TEXT"
                f" REFERENCES {parent} (id) ON DELETE CASCADE"
            )
            kind = "User" if column == "user_ref" else "Group"
            conn.execute(
                f"UPDATE {p}member SET {column} = member_id"
                " WHERE json_extract(data, '$.type') = ?"
                f" AND member_id IN (SELECT id FROM {parent})",
                [kind],
            )

    # -- the Store protocol --------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlTransaction]:
        """One SQLite transaction on this thread's connection."""
        conn = self._connection()
        if conn.in_transaction:
            raise ServerError("transactions on one store do not nest within a thread")
        conn.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
        tx = SqlTransaction(
            conn.cursor(),
            self._dialect,
            prefix=self._prefix,
            registry=self.registry,
            unique=self._unique,
            readonly=readonly,
            types=self._types,
        )
        try:
            yield tx
        except BaseException:
            tx.closed = True
            conn.execute("ROLLBACK")
            raise
        tx.closed = True
        try:
            conn.execute("COMMIT")
        except BaseException:
            # a COMMIT that fails (a deferred constraint, SQLITE_BUSY) leaves the transaction
            # open on this thread's connection: end it, or every later request here would fail
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close every connection this store opened."""
        self._closed = True
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
