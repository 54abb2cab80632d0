"""PostgresStore: resources as JSONB in PostgreSQL through a psycopg 3 connection pool.

psycopg is imported when a PostgresStore is made, so the core runs without it installed
(``pip install scimcore[postgres]`` brings it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from scimcore.errors import ConfigurationError, Conflict, ServerError
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry
from scimcore.store._base import DEFAULT_UNIQUE
from scimcore.store._sql import Cursor, SqlDialect, SqlTransaction, audit_table_ddl, table_name

__all__ = ["PostgresStore"]

_SCHEMA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COUNT_SHARDS = 64
"""Rows per resource type in ``{prefix}count_shard`` (more than the pool has connections)."""


def _path(keys: Sequence[str]) -> str:
    """A text[] path literal spelled as ``compile_sql`` spells it (so expression indexes match)."""
    parts = ",".join('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)
    return ("'{" + parts.replace("'", "''") + "}'").replace("%", "%%")


class _PostgresDialect(SqlDialect):
    name = "postgres"
    placeholder = "%s"

    def __init__(
        self,
        unique_errors: tuple[type[BaseException], ...],
        jsonb: Any,
        reference_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.unique_errors = unique_errors
        self.reference_errors = reference_errors
        self._jsonb = jsonb

    def dump(self, value: Any) -> Any:
        return self._jsonb(value)

    def text_at(self, keys: Sequence[str]) -> str:
        return f"(data #>> {_path(keys)})"

    def is_text_at(self, keys: Sequence[str]) -> str:
        return f"jsonb_typeof(data #> {_path(keys)}) = 'string'"

    def lower(self, expr: str) -> str:
        return f"lower({expr})"

    def strings_source(self) -> str:
        return "SELECT unnest(%s::text[]) AS value"

    def strings(self, values: Sequence[str]) -> Any:
        return list(values)

    count_table = "count_shard"

    def add_count(self, table: str, rt: str, delta: int) -> tuple[str, list[Any]]:
        # One row per (type, shard), the shard picked by the connection's backend: two creates
        # in flight at once (on different connections) add to different rows, so neither waits
        # for the other's commit, as they would on one counter row locked until commit.
        return (
            f"INSERT INTO {table} AS c (rt, shard, n)"
            f" VALUES (%s, pg_backend_pid() %% {_COUNT_SHARDS}, %s)"
            " ON CONFLICT (rt, shard) DO UPDATE SET n = c.n + excluded.n",
            [rt, delta],
        )

    def for_update(self) -> str:
        return " FOR UPDATE"

    def text_order(self, expr: str) -> str:
        return f'({expr}) COLLATE "C"'


class PostgresStore:
    """Resources in PostgreSQL (JSONB), one pooled connection per transaction.

    ``schema`` puts the tables in that PostgreSQL schema (created if missing); ``prefix`` starts
    every table name. Write transactions run at READ COMMITTED and lock the rows they change
    (``SELECT … FOR UPDATE``); ``transaction(readonly=True)`` reads one REPEATABLE READ snapshot.
    """

    def __init__(
        self,
        dsn: str,
        *,
        registry: SchemaRegistry = DEFAULT_REGISTRY,
        unique: Mapping[str, Sequence[str]] = DEFAULT_UNIQUE,
        unique_group_display_name: bool = False,
        schema: str | None = None,
        prefix: str = "scim_",
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        try:
            import psycopg
            from psycopg.types.json import Jsonb
            from psycopg_pool import ConnectionPool
        except ModuleNotFoundError as exc:  # the postgres extra is not installed
            from scimcore._extras import missing_extra

            raise missing_extra("PostgresStore", exc.name or "psycopg", "postgres") from None
        if schema is not None and not _SCHEMA.match(schema):
            raise ConfigurationError(f"schema name {schema!r} is not a plain SQL identifier")
        if not _SCHEMA.match(prefix):
            raise ConfigurationError(f"table prefix {prefix!r} is not a plain SQL identifier")
        self.registry = registry
        keys = {rt: tuple(a) for rt, a in unique.items()}
        if unique_group_display_name:
            keys["Group"] = (*keys.get("Group", ()), "displayName")
        self._unique = keys
        self._schema = schema
        self._bare_prefix = prefix
        self._prefix = f'"{schema}".{prefix}' if schema else prefix
        self._types = frozenset({rt.name for rt in registry.resource_types} | {"User", "Group"})
        self._dialect = _PostgresDialect(
            (psycopg.errors.UniqueViolation,), Jsonb, (psycopg.errors.ForeignKeyViolation,)
        )
        self._pool = ConnectionPool(
            dsn, min_size=min_size, max_size=max_size, open=True, name="scimcore-store"
        )
        self._create_schema()

    def _create_schema(self) -> None:
        p, bare = self._prefix, self._bare_prefix
        statements = []
        if self._schema:
            statements.append(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
        for rt in sorted(self._types):
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {table_name(p, rt)} (seq bigserial PRIMARY KEY,"
                " id text NOT NULL UNIQUE, version integer NOT NULL, data jsonb NOT NULL)"
            )
        statements += [
            f"CREATE TABLE IF NOT EXISTS {p}member (group_seq bigint NOT NULL,"
            " position integer NOT NULL, member_id text, data jsonb NOT NULL,"
            " PRIMARY KEY (group_seq, position))",
            f"CREATE INDEX IF NOT EXISTS {bare}member_id ON {p}member (member_id)",
            # members_among: a group's members by lower-cased id, without reading them all
            f"CREATE INDEX IF NOT EXISTS {bare}member_lower ON {p}member"
            " (group_seq, lower(member_id))",
            f"CREATE TABLE IF NOT EXISTS {p}unique (rt text NOT NULL, attr text NOT NULL,"
            " value text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (rt, attr, value))",
            f"CREATE INDEX IF NOT EXISTS {bare}unique_seq ON {p}unique (rt, seq)",
        ]

        statements += [
            f"CREATE TABLE IF NOT EXISTS {p}user_email (seq bigint NOT NULL, value text NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {bare}user_email_value ON {p}user_email (value)",
            f"CREATE INDEX IF NOT EXISTS {bare}user_email_seq ON {p}user_email (seq)",
        ]
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {p}count_shard (rt text NOT NULL, shard integer NOT NULL,"
            " n bigint NOT NULL, PRIMARY KEY (rt, shard))"
        )
        statements += audit_table_ddl(f"{p}audit", json_type="JSONB")
        for rt in sorted(self._types):  # names checked by table_name: safe to inline
            statements.append(
                f"INSERT INTO {p}count_shard (rt, shard, n) SELECT '{rt}', 0,"
                f" (SELECT count(*) FROM {table_name(p, rt)})"
                f" WHERE NOT EXISTS (SELECT 1 FROM {p}count_shard WHERE rt = '{rt}')"
            )

        def at(key: str) -> str:
            return self._dialect.text_at((key,))

        u, ub = table_name(p, "User"), table_name(bare, "User")
        g, gb = table_name(p, "Group"), table_name(bare, "Group")
        statements += [
            # the expressions compile_sql emits for the lookups IdPs make before every create
            f"CREATE INDEX IF NOT EXISTS {ub}_username ON {u} (lower({at('userName')}))",
            f"CREATE INDEX IF NOT EXISTS {ub}_externalid ON {u} ({at('externalId')})",
            f"CREATE INDEX IF NOT EXISTS {gb}_displayname ON {g} (lower({at('displayName')}))",
            f"CREATE INDEX IF NOT EXISTS {gb}_externalid ON {g} ({at('externalId')})",
        ]
        with self._pool.connection() as conn, conn.transaction():
            # one schema creator at a time (CREATE … IF NOT EXISTS races on the catalogue)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"scimcore:{p}"])
            had_emails = conn.execute("SELECT to_regclass(%s)", [f"{p}user_email"]).fetchone()
            had_refs = conn.execute(
                "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s)"
                " AND attname = 'user_ref' AND NOT attisdropped",
                [f"{p}member"],
            ).fetchone()
            for statement in statements:
                conn.execute(statement)
            if had_refs is None:  # new, or from before the member foreign keys: add them
                for column, parent, kind in (("user_ref", u, "User"), ("group_ref", g, "Group")):
                    conn.execute(
                        f"ALTER TABLE {p}member ADD COLUMN IF NOT EXISTS {column} text"
                        f" REFERENCES {parent} (id) ON DELETE CASCADE"
                    )
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {bare}member_{column} ON {p}member ({column})"
                    )
                    conn.execute(
                        f"UPDATE {p}member SET {column} = member_id WHERE data ->> 'type' = %s"
                        f" AND {column} IS NULL AND member_id IN (SELECT id FROM {parent})",
                        [kind],
                    )
            if had_emails is None or had_emails[0] is None:  # from before the email index
                conn.execute(
                    f"INSERT INTO {p}user_email (seq, value) SELECT DISTINCT u.seq,"
                    " lower(e.v ->> 'value') FROM "
                    f"{u} u, jsonb_array_elements(CASE jsonb_typeof(u.data -> 'emails')"
                    " WHEN 'array' THEN u.data -> 'emails' ELSE '[]'::jsonb END) AS e(v)"
                    " WHERE jsonb_typeof(e.v -> 'value') = 'string'"
                )

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlTransaction]:
        """One PostgreSQL transaction on a pooled connection; rolled back on an exception."""
        from psycopg import errors

        collided = (errors.DeadlockDetected, errors.SerializationFailure)
        try:
            with self._transaction(readonly) as tx:
                yield tx
        except collided:
            raise Conflict(
                "this request collided with a concurrent one on the same resources and was"
                " rolled back; retry it"
            ) from None

    @contextmanager
    def _transaction(self, readonly: bool) -> Iterator[SqlTransaction]:
        from psycopg import IsolationLevel

        with self._pool.connection() as conn:
            conn.read_only = readonly
            conn.isolation_level = (
                IsolationLevel.REPEATABLE_READ if readonly else IsolationLevel.READ_COMMITTED
            )
            try:
                with conn.transaction():
                    cur: Cursor = conn.cursor()
                    tx = SqlTransaction(
                        cur,
                        self._dialect,
                        prefix=self._prefix,
                        registry=self.registry,
                        unique=self._unique,
                        readonly=readonly,
                        types=self._types,
                    )
                    try:
                        yield tx
                    finally:
                        tx.closed = True
            finally:
                conn.read_only = False
                conn.isolation_level = None

    def close(self) -> None:
        """Close the connection pool."""
        self._pool.close()

    def drop(self) -> None:
        """Drop this store's tables (never the schema, which others may share): for tests, tools."""
        if self._pool.closed:
            raise ServerError("this store is closed")
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {self._prefix}member")
            for rt in sorted(self._types):
                conn.execute(f"DROP TABLE IF EXISTS {table_name(self._prefix, rt)}")
            conn.execute(f"DROP TABLE IF EXISTS {self._prefix}unique")
            conn.execute(f"DROP TABLE IF EXISTS {self._prefix}count_shard")
            conn.execute(
                f"DROP TABLE IF EXISTS {self._prefix}count"
            )  # the one-row counter of earlier versions
            conn.execute(f"DROP TABLE IF EXISTS {self._prefix}user_email")
            conn.execute(f"DROP TABLE IF EXISTS {self._prefix}audit")
