"""The transaction logic shared by the SQL stores (SQLite and PostgreSQL), over a DB-API cursor.

Layout, per store (``prefix`` defaults to ``scim_``):

- one table per resource type (``scim_user``, ``scim_group``, …): ``seq`` (insertion order,
  never reused), ``id``, ``version``, ``data`` (the resource as JSON, without group members);
- ``scim_member``: one row per group member (``group_seq``, ``position``, ``member_id``, ``data``),
  so a group can be listed without loading its members and a user's groups are one index lookup;
  ``user_ref``/``group_ref`` reference the member's row with a foreign key (``ON DELETE
  CASCADE``), so the database refuses a dangling member even when a delete races the add;
- ``scim_count``: the number of resources of each type, kept by every create and delete, so an
  unfiltered list answers ``totalResults`` without counting a million rows (on PostgreSQL
  ``scim_count_shard``: several rows per type, summed, so concurrent creates do not queue on
  one row);
- ``scim_user_email``: each user's case-folded ``emails.value``, indexed, so a lookup by email
  (``emails[value eq "…"]``, ``emails.value eq "…"``) does not scan every user;
- ``scim_audit``: the audit log (the table :class:`scimcore.audit.SqliteAuditLog` and
  :class:`~scimcore.audit.PostgresAuditLog` read), written by ``write_audit`` in the same
  transaction as the change a record describes;
- ``scim_unique``: the case-folded (``str.lower``) value of every unique attribute, under a
  primary key, so the database itself refuses a duplicate ``userName`` even when two
  transactions race.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from scimcore.errors import (
    InvalidCursor,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ScimError,
    ServerError,
    Uniqueness,
)
from scimcore.filter import And, Filter, compile_sql
from scimcore.schema import SchemaRegistry
from scimcore.store._base import (
    FilterLike,
    MemberDelta,
    Page,
    Query,
    Stored,
    clamp_index,
    cursor_position,
    encode_cursor,
    get_attr,
    member_ids,
    unique_value,
    version_tag,
    with_version,
)
from scimcore.store._pushdown import email_equality, mentions, narrow_where
from scimcore.store._search import check_filter, page_in_memory

if TYPE_CHECKING:
    from scimcore.audit import AuditEvent

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ATTR = re.compile(r"^[A-Za-z][A-Za-z0-9_$-]*$")


def table_name(prefix: str, rt: str) -> str:
    """The table of a resource type: ``scim_user`` for ``User``."""
    if not _NAME.match(rt):
        raise ServerError(f"resource type name {rt!r} cannot name a table")
    return f"{prefix}{rt.lower()}"


def audit_table_ddl(table: str = "scim_audit", *, json_type: str = "TEXT") -> list[str]:
    """``CREATE TABLE/INDEX IF NOT EXISTS`` statements for the audit table (``json_type``: TEXT
    for SQLite/MySQL, JSONB for PostgreSQL). ``table`` may be schema-qualified (``s.scim_audit``).
    """
    index = table.rsplit(".", 1)[-1].strip('"') + "_time"
    return [
        f"CREATE TABLE IF NOT EXISTS {table} "
        f"(id TEXT PRIMARY KEY, time TEXT NOT NULL, data {json_type} NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {index} ON {table} (time)",
    ]


def dumps(value: Any) -> str:
    """Compact JSON text for storage."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Cursor(Protocol):
    """The part of a DB-API cursor the SQL stores use."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class SqlDialect:
    """What differs between the SQL stores: placeholders, JSON access, errors."""

    name = "sqlite"
    placeholder = "?"
    unique_errors: tuple[type[BaseException], ...] = ()
    reference_errors: tuple[type[BaseException], ...] = ()
    """What a foreign-key violation raises (a member that does not exist)."""

    def q(self, sql: str) -> str:
        """Our own statements are written with ``%s``; rewrite them for this dialect."""
        return sql if self.placeholder == "%s" else sql.replace("%s", self.placeholder)

    def load(self, value: Any) -> dict[str, Any]:
        """A stored JSON value as a dict."""
        out = json.loads(value) if isinstance(value, str | bytes) else value
        assert isinstance(out, dict)
        return out

    def load_many(self, values: Sequence[Any]) -> list[dict[str, Any]]:
        """:meth:`load` of each value; JSON texts parsed in one ``json.loads`` of an array
        (a 20,000-member group is one parse, not 20,000)."""
        if values and all(type(v) is str for v in values):
            out = json.loads("[" + ",".join(values) + "]")
            if (
                isinstance(out, list)
                and len(out) == len(values)
                and all(type(v) is dict for v in out)
            ):
                return out
        return [self.load(v) for v in values]

    def dump(self, value: Any) -> Any:
        """A dict as the parameter for a JSON column."""
        return dumps(value)

    def text_at(self, keys: Sequence[str]) -> str:
        """SQL for the text at a JSON key path of ``data`` (NULL when absent or not a string)."""
        raise NotImplementedError

    def is_text_at(self, keys: Sequence[str]) -> str:
        """SQL that is true when the value at the key path is a JSON string."""
        raise NotImplementedError

    def lower(self, expr: str) -> str:
        """SQL for the case-folded form of ``expr``."""
        raise NotImplementedError

    def strings_source(self) -> str:
        """A one-column row source of the strings in one parameter (see :meth:`strings`)."""
        return "SELECT value FROM json_each(%s)"

    def strings(self, values: Sequence[str]) -> Any:
        """The parameter for :meth:`strings_source`: many values in one statement."""
        return dumps(list(values))

    count_table = "count"
    """The per-type count table's name after the prefix (one row per type here)."""

    def add_count(self, table: str, rt: str, delta: int) -> tuple[str, list[Any]]:
        """The statement adding ``delta`` to the count of ``rt`` (see :attr:`count_table`)."""
        return f"UPDATE {table} SET n = n + %s WHERE rt = %s", [delta, rt]

    def for_update(self) -> str:
        """The row-locking suffix of a SELECT (empty where writers are serialised anyway)."""
        return ""

    def text_order(self, expr: str) -> str:
        """``expr`` ordered by code point, like Python's ``str`` comparison."""
        return expr

    def pushdown(
        self, flt: FilterLike, *, rt: str, registry: SchemaRegistry
    ) -> tuple[str, list[Any], FilterLike | None]:
        """Compile a filter to (WHERE, params, residual): where SQL meets the filter engine.

        A parsed :class:`scimcore.filter.Filter` goes through ``scimcore.filter.compile_sql``
        (``id`` mapped to the indexed column). Group members live in their own table, so the
        top-level ``and`` terms that mention ``members`` stay out of the SQL; whenever anything
        is left over the whole filter is the residual, applied in memory to the superset. If
        the compiler refuses a filter the evaluator accepts, the store's narrow pushdown (equality
        on the indexed attributes) gives the superset instead. Anything else that only has
        ``matches`` is evaluated in memory.
        """
        if not isinstance(flt, Filter):
            return "1=1", [], flt
        terms = flt.ast.terms if isinstance(flt.ast, And) else (flt.ast,)
        kept = [t for t in terms if not (rt == "Group" and mentions(t, "members"))]
        if not kept:
            return "1=1", [], flt
        node = kept[0] if len(kept) == 1 else And(tuple(kept))
        try:
            compiled = compile_sql(
                node,
                dialect="postgres" if self.name == "postgres" else "sqlite",
                json_column="data",
                attr_map={"id": "id"},
                registry=flt.registry,
                resource_type=rt,
            )
        except ScimError:
            narrowed = narrow_where(
                flt,
                rt=rt,
                registry=registry,
                expression=self._indexed_expression,
                placeholder=self.placeholder,
            )
            if narrowed is None:
                return "1=1", [], flt
            return narrowed[0], narrowed[1], flt
        exact = len(kept) == len(terms) and compiled.residual is None
        return compiled.where, list(compiled.params), None if exact else flt

    def _indexed_expression(self, attr: str, case_exact: bool) -> str:
        """The SQL the store's index on ``attr`` covers (see the schema creation)."""
        text = self.text_at((attr,))
        return text if case_exact else self.lower(text)


class SqlTransaction:
    """One transaction on one connection of a SQL store."""

    def __init__(
        self,
        cur: Cursor,
        dialect: SqlDialect,
        *,
        prefix: str,
        registry: SchemaRegistry,
        unique: Mapping[str, Sequence[str]],
        readonly: bool,
        types: frozenset[str],
    ) -> None:
        self._types = types
        self._c = cur
        self._d = dialect
        self._prefix = prefix
        self._registry = registry
        self._unique = unique
        self._readonly = readonly
        self._members_table = f"{prefix}member"
        self._unique_table = f"{prefix}unique"
        self._count_table = f"{prefix}{dialect.count_table}"
        self._email_table = f"{prefix}user_email"
        self._audit_table = f"{prefix}audit"
        self.closed = False
        # (type, id) -> (seq, version) of rows this transaction read locked or wrote: a write
        # after a locking read need not read them again (the lock keeps them as they were)
        self._held: dict[tuple[str, str], tuple[int, int]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def _x(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._c.execute(self._d.q(sql), list(params))

    def _t(self, rt: str) -> str:
        if rt not in self._types:
            raise ServerError(f"this store keeps no resource type called {rt!r}")
        return table_name(self._prefix, rt)

    def _add_count(self, rt: str, delta: int) -> None:
        """Keep the per-type resource count (unfiltered totals read it instead of counting)."""
        sql, params = self._d.add_count(self._count_table, rt, delta)
        self._x(sql, params)

    def _counted(self, rt: str) -> int:
        sql = f"SELECT sum(n) FROM {self._count_table} WHERE rt = %s"
        row = self._x(sql, [rt]).fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def _writable(self) -> None:
        if self.closed:
            raise ServerError("this transaction has ended")
        if self._readonly:
            raise ServerError("a read-only transaction cannot write")

    def _row(self, rt: str, id: str, lock: bool = False) -> tuple[int, int, dict[str, Any]] | None:
        suffix = self._d.for_update() if lock else ""
        row = self._x(
            f"SELECT seq, version, data FROM {self._t(rt)} WHERE id = %s{suffix}", [id]
        ).fetchone()
        if row is None:
            return None
        seq, version = int(row[0]), int(row[1])
        if lock and not self._readonly:
            self._held[(rt, id)] = (seq, version)
        return seq, version, self._d.load(row[2])

    def _existing(self, rt: str, id: str, expected_version: int | None) -> tuple[int, int]:
        """The (seq, version) of a resource about to be written, locked; its data unread."""
        row = self._held.get((rt, id))
        if row is None:
            suffix = self._d.for_update()
            found = self._x(
                f"SELECT seq, version FROM {self._t(rt)} WHERE id = %s{suffix}", [id]
            ).fetchone()
            if found is None:
                raise NotFound(f"{rt} {id!r} not found")
            row = int(found[0]), int(found[1])
        if expected_version is not None and row[1] != expected_version:
            raise PreconditionFailed(
                f"{rt} {id!r} is at version {version_tag(row[1])}, "
                f"not {version_tag(expected_version)}: fetch it again and retry"
            )
        return row

    def _load_members(self, seqs: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            marks = ",".join(["%s"] * len(chunk))
            rows = self._x(
                f"SELECT group_seq, data FROM {self._members_table} WHERE group_seq IN ({marks})"
                " ORDER BY group_seq, position",
                chunk,
            ).fetchall()
            loaded = self._d.load_many([data for _, data in rows])
            for (group_seq, _), element in zip(rows, loaded, strict=True):
                out.setdefault(int(group_seq), []).append(element)
        return out

    def _assemble(self, rt: str, seq: int, data: dict[str, Any], members: Any) -> dict[str, Any]:
        if rt == "Group" and members:
            data["members"] = members
        return data

    def _write_members(self, rt: str, seq: int, resource: Mapping[str, Any], fresh: bool) -> None:
        """Store a group's member rows, touching only the rows that changed.

        A member whose element says ``"type": "User"`` (or ``"Group"``) references that row with
        a foreign key (``user_ref``/``group_ref``, ``ON DELETE CASCADE``), so the database itself
        refuses a member that does not exist (or was deleted by a concurrent transaction) and a
        deleted resource takes its member rows with it. Rows left as they were are not rewritten,
        so an unchanged member is not checked (nor locked) again.
        """
        if rt != "Group":
            return
        wanted = list(member_ids(resource))
        if fresh:
            for position, member, element in wanted:
                self._insert_member(seq, position, member, element)
            return
        rows = self._x(
            f"SELECT position, member_id, data FROM {self._members_table} WHERE group_seq = %s",
            [seq],
        ).fetchall()
        have = {str(m): (int(p), self._d.load(d)) for p, m, d in rows if m is not None}
        ids = [m for _, m, _ in wanted]
        if (
            len(have) != len(rows) or None in ids or len(set(ids)) != len(ids)
        ):  # not keyed by member id: rewrite the lot
            self._x(f"DELETE FROM {self._members_table} WHERE group_seq = %s", [seq])
            for position, member, element in wanted:
                self._insert_member(seq, position, member, element)
            return
        keep = set(ids)
        for member, (position, _) in have.items():
            if member not in keep:
                self._x(
                    f"DELETE FROM {self._members_table} WHERE group_seq = %s AND position = %s",
                    [seq, position],
                )
        moved: list[tuple[int, str, dict[str, Any]]] = []
        for position, member, element in wanted:
            assert member is not None
            old = have.get(member)
            if old is None:
                continue
            if old[0] != position or old[1] != element:
                moved.append((position, member, element))
                # out of the way first: positions are part of the primary key
                self._x(
                    f"UPDATE {self._members_table} SET position = %s"
                    " WHERE group_seq = %s AND position = %s",
                    [-1 - old[0], seq, old[0]],
                )
        for position, member, element in moved:
            self._x(
                f"UPDATE {self._members_table} SET position = %s, data = %s"
                " WHERE group_seq = %s AND position = %s",
                [position, self._d.dump(element), seq, -1 - have[member][0]],
            )
        for position, member, element in wanted:
            if member not in have:
                self._insert_member(seq, position, member, element)

    def _insert_member(
        self, seq: int, position: int, member: str | None, element: Mapping[str, Any]
    ) -> None:
        kind = str(element.get("type", "")).lower()
        user_ref = member if kind == "user" else None
        group_ref = member if kind == "group" else None
        try:
            self._x(
                f"INSERT INTO {self._members_table}"
                " (group_seq, position, member_id, data, user_ref, group_ref)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [seq, position, member, self._d.dump(element), user_ref, group_ref],
            )
        except self._d.reference_errors:
            raise InvalidValue(
                f"member {member!r} is not a {element.get('type')} on this server"
                " (it does not exist, or was deleted meanwhile)",
                path=["members", position, "value"],
            ) from None

    def _write_emails(self, rt: str, seq: int, resource: Mapping[str, Any], fresh: bool) -> None:
        """Index the case-folded ``emails.value`` of a user (for ``emails[value eq …]``).

        Only the index rows that change are written (a user with many emails that gains one
        costs one insert, not a rewrite of every row).
        """
        if rt != "User":
            return
        emails = get_attr(resource, "emails")
        found: dict[str, None] = {}  # in the resource's order (a set, ordered)
        if isinstance(emails, list):
            for e in emails:
                value = e.get("value") if type(e) is dict or isinstance(e, Mapping) else None
                if type(value) is str:
                    found[value.lower()] = None
        values = found.keys()
        have: set[str] = set()
        if not fresh:
            rows = self._x(f"SELECT value FROM {self._email_table} WHERE seq = %s", [seq])
            have = {str(v) for (v,) in rows.fetchall()}
        for value in sorted(have - values):
            self._x(f"DELETE FROM {self._email_table} WHERE seq = %s AND value = %s", [seq, value])
        new = [v for v in found if v not in have] if have else list(found)
        if new:
            self._x(
                f"INSERT INTO {self._email_table} (seq, value)"
                f" SELECT %s, v.value FROM ({self._d.strings_source()}) v",
                [seq, self._d.strings(new)],
            )

    def _email_condition(self, flt: FilterLike, rt: str) -> tuple[str, list[Any]] | None:
        """A superset condition through the email index, for a top-level email equality term."""
        if rt != "User" or not isinstance(flt, Filter):
            return None
        value = email_equality(flt, self._registry)
        if value is None:
            return None
        ph = self._d.placeholder
        return f"seq IN (SELECT seq FROM {self._email_table} WHERE value = {ph})", [value.lower()]

    def _unique_values(self, rt: str, resource: Mapping[str, Any]) -> list[tuple[str, str]]:
        out = []
        for attr in self._unique.get(rt, ()):
            value = unique_value(resource, attr)
            if value is not None:
                out.append((attr, value))
        return out

    def _claim_unique(self, rt: str, seq: int, resource: Mapping[str, Any], fresh: bool) -> None:
        """Insert the resource's unique values; on a clash undo what was added, raise Uniqueness.

        ``ON CONFLICT DO NOTHING`` makes a clash (also with a concurrent, committed insert) an
        empty result rather than an error, so the transaction stays usable after a Uniqueness.
        """
        wanted = set(self._unique_values(rt, resource))
        held: set[tuple[str, str]] = set()
        if not fresh:
            held = {
                (str(a), str(v))
                for a, v in self._x(
                    f"SELECT attr, value FROM {self._unique_table} WHERE rt = %s AND seq = %s",
                    [rt, seq],
                ).fetchall()
            }
        added: list[tuple[str, str]] = []
        for attr, value in sorted(wanted - held):
            try:
                row = self._x(
                    f"INSERT INTO {self._unique_table} (rt, attr, value, seq)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING seq",
                    [rt, attr, value, seq],
                ).fetchone()
            except self._d.unique_errors:  # pragma: no cover - ON CONFLICT covers it
                row = None
            if row is None:
                for a, v in added:
                    self._drop_unique(rt, a, v)
                raise Uniqueness(
                    f"{attr} {get_attr(resource, attr)!r} is already taken by another {rt}"
                    " (compared case-insensitively)"
                )
            added.append((attr, value))
        for attr, value in held - wanted:
            self._drop_unique(rt, attr, value)

    def _drop_unique(self, rt: str, attr: str, value: str) -> None:
        self._x(
            f"DELETE FROM {self._unique_table} WHERE rt = %s AND attr = %s AND value = %s",
            [rt, attr, value],
        )

    @staticmethod
    def _split(rt: str, resource: Mapping[str, Any], version: int) -> dict[str, Any]:
        data = with_version(resource, version)
        if rt == "Group":
            data.pop("members", None)
        return data

    # -- the Transaction protocol --------------------------------------------------------------

    def get(
        self, rt: str, id: str, *, exclude_members: bool = False, for_update: bool = False
    ) -> Stored | None:
        row = self._row(rt, id, lock=for_update and not self._readonly)
        if row is None:
            return None
        seq, version, data = row
        members = None if exclude_members or rt != "Group" else self._load_members([seq]).get(seq)
        return Stored(self._assemble(rt, seq, data, members), version)

    def create(self, rt: str, resource: Mapping[str, Any]) -> Stored:
        self._writable()
        id = resource.get("id")
        if not isinstance(id, str) or not id:
            raise ServerError("a resource must carry its id before it is stored")
        data = self._split(rt, resource, 1)
        row = self._x(
            f"INSERT INTO {self._t(rt)} (id, version, data) VALUES (%s, 1, %s)"
            " ON CONFLICT DO NOTHING RETURNING seq",
            [id, self._d.dump(data)],
        ).fetchone()
        if row is None:
            raise Uniqueness(f"{rt} id {id!r} is already taken")
        seq = int(row[0])
        try:
            self._claim_unique(rt, seq, resource, fresh=True)
        except Uniqueness:
            self._x(f"DELETE FROM {self._t(rt)} WHERE seq = %s", [seq])
            raise
        self._add_count(rt, 1)
        self._write_members(rt, seq, resource, fresh=True)
        self._write_emails(rt, seq, resource, fresh=True)
        return Stored(with_version(resource, 1), 1)

    def _update_row(
        self, rt: str, id: str, seq: int, version: int, resource: Mapping[str, Any]
    ) -> None:
        """Claim the unique values and write the row as ``version + 1``, checking ``version``."""
        self._claim_unique(rt, seq, resource, fresh=False)
        data = self._split(rt, resource, version + 1)
        self._x(
            f"UPDATE {self._t(rt)} SET version = %s, data = %s WHERE seq = %s AND version = %s",
            [version + 1, self._d.dump(data), seq, version],
        )
        if self._c.rowcount != 1:  # cannot happen while the row is locked; never overwrite
            self._held.pop((rt, id), None)
            raise PreconditionFailed(f"{rt} {id!r} changed while it was being replaced")
        self._held[(rt, id)] = (seq, version + 1)

    def replace(
        self,
        rt: str,
        id: str,
        resource: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Stored:
        self._writable()
        seq, version = self._existing(rt, id, expected_version)
        resource = {**resource, "id": id}
        self._update_row(rt, id, seq, version, resource)
        self._write_members(rt, seq, resource, fresh=False)
        self._write_emails(rt, seq, resource, fresh=False)
        return Stored(with_version(resource, version + 1), version + 1)

    # -- member deltas (scimcore.store.MemberDeltas) ---------------------------------------------

    def _group_seq(self, group_id: str) -> int | None:
        row = self._x(f"SELECT seq FROM {self._t('Group')} WHERE id = %s", [group_id]).fetchone()
        return None if row is None else int(row[0])

    def member_count(self, group_id: str) -> int:
        """How many member rows the group has (one indexed count, no member is read)."""
        seq = self._group_seq(group_id)
        if seq is None:
            return 0
        row = self._x(
            f"SELECT count(*) FROM {self._members_table} WHERE group_seq = %s", [seq]
        ).fetchone()
        return int(row[0])

    def members_among(self, group_id: str, values: Sequence[str]) -> dict[str, str]:
        """Which ``values`` are members, by the ``(group_seq, lower(member_id))`` index."""
        seq = self._group_seq(group_id)
        wanted = sorted({v.lower() for v in values})
        out: dict[str, str] = {}
        if seq is None:
            return out
        low = self._d.lower("member_id")
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            rows = self._x(
                f"SELECT member_id FROM {self._members_table}"
                f" WHERE group_seq = %s AND {low} IN ({marks})",
                [seq, *chunk],
            ).fetchall()
            for (member,) in rows:
                if member is not None:
                    out.setdefault(str(member).lower(), str(member))
        return out

    def update_group(
        self,
        id: str,
        resource: Mapping[str, Any],
        delta: MemberDelta,
        *,
        expected_version: int | None = None,
    ) -> Stored:
        """Write the group row and only the member rows ``delta`` names.

        Removed members' rows are deleted, added members are inserted after the highest
        position (positions keep the order; gaps are fine), every other member row stays as it
        is. The foreign keys check each inserted member, as in a full write.
        """
        self._writable()
        rt = "Group"
        seq, version = self._existing(rt, id, expected_version)
        resource = {k: v for k, v in resource.items() if k.lower() != "members"}
        resource["id"] = id
        self._update_row(rt, id, seq, version, resource)
        if delta.clear:
            self._x(f"DELETE FROM {self._members_table} WHERE group_seq = %s", [seq])
        removed = list(dict.fromkeys(delta.removed))
        low = self._d.lower("member_id")
        for start in range(0, len(removed), 500):
            chunk = removed[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            # the lower-cased ids lead the planner to the (group_seq, lower(member_id)) index
            self._x(
                f"DELETE FROM {self._members_table} WHERE group_seq = %s"
                f" AND {low} IN ({marks}) AND member_id IN ({marks})",
                [seq, *(m.lower() for m in chunk), *chunk],
            )
            if self._c.rowcount < len(chunk):
                # an id the database lower-cases unlike Python (never an ASCII one): by id
                self._x(
                    f"DELETE FROM {self._members_table}"
                    f" WHERE member_id IN ({marks}) AND group_seq = %s",
                    [*chunk, seq],
                )
        if delta.added:
            row = self._x(
                f"SELECT max(position) FROM {self._members_table} WHERE group_seq = %s", [seq]
            ).fetchone()
            position = 0 if row is None or row[0] is None else int(row[0]) + 1
            for element in delta.added:
                value = element.get("value")
                self._insert_member(
                    seq, position, value if isinstance(value, str) else None, element
                )
                position += 1
        return Stored(with_version(resource, version + 1), version + 1)

    def delete(self, rt: str, id: str, *, expected_version: int | None = None) -> None:
        self._writable()
        seq, version = self._existing(rt, id, expected_version)
        self._held.pop((rt, id), None)
        self._x(f"DELETE FROM {self._t(rt)} WHERE seq = %s AND version = %s", [seq, version])
        self._x(f"DELETE FROM {self._unique_table} WHERE rt = %s AND seq = %s", [rt, seq])
        if rt == "Group":
            self._x(f"DELETE FROM {self._members_table} WHERE group_seq = %s", [seq])
        self._add_count(rt, -1)
        if rt == "User":
            self._x(f"DELETE FROM {self._email_table} WHERE seq = %s", [seq])

    def find_by(self, rt: str, attr: str, value: str) -> list[Stored]:
        if attr in self._unique.get(rt, ()):
            rows = self._x(
                f"SELECT t.seq, t.version, t.data FROM {self._unique_table} u"
                f" JOIN {self._t(rt)} t ON t.seq = u.seq"
                " WHERE u.rt = %s AND u.attr = %s AND u.value = %s",
                [rt, attr, value.lower()],
            ).fetchall()
        else:
            keys = self._keys(rt, attr)
            if keys is None:
                return []
            rows = self._x(
                f"SELECT seq, version, data FROM {self._t(rt)}"
                f" WHERE {self._d.lower(self._d.text_at(keys))} = %s ORDER BY seq",
                [value.lower()],
            ).fetchall()
        return self._materialise(rt, rows, exclude_members=False)

    def _keys(self, rt: str, attr: str) -> tuple[str, ...] | None:
        try:
            ref = self._registry.resolve(attr, rt)
        except ScimError:
            ref = None
        if ref is not None and ref.attribute is not None:
            return ref.keys
        return (attr,) if _ATTR.match(attr) else None

    def _materialise(self, rt: str, rows: Iterable[Any], *, exclude_members: bool) -> list[Stored]:
        loaded = [(int(s), int(v), self._d.load(d)) for s, v, d in rows]
        members = (
            {}
            if exclude_members or rt != "Group"
            else self._load_members([s for s, _, _ in loaded])
        )
        return [Stored(self._assemble(rt, s, d, members.get(s)), v) for s, v, d in loaded]

    def groups_with_member(self, member_id: str) -> list[Stored]:
        rows = self._x(
            f"SELECT seq, version, data FROM {self._t('Group')} WHERE seq IN"
            f" (SELECT group_seq FROM {self._members_table} WHERE member_id = %s) ORDER BY seq",
            [member_id],
        ).fetchall()
        return self._materialise("Group", rows, exclude_members=True)

    def groups_with_members(self, member_ids: Sequence[str]) -> dict[str, list[Stored]]:
        wanted = list(dict.fromkeys(member_ids))
        out: dict[str, list[Stored]] = {m: [] for m in wanted}
        g = self._t("Group")
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            rows = self._x(
                f"SELECT m.member_id, g.seq, g.version, g.data FROM {self._members_table} m"
                f" JOIN {g} g ON g.seq = m.group_seq WHERE m.member_id IN ({marks})"
                " ORDER BY g.seq",
                chunk,
            ).fetchall()
            seen: set[tuple[str, int]] = set()
            for member, seq, version, data in rows:
                if (member, int(seq)) in seen:  # listed twice in one group
                    continue
                seen.add((member, int(seq)))
                out[member].append(Stored(self._d.load(data), int(version)))
        return out

    def remove_member(self, member_id: str, *, last_modified: str | None = None) -> list[str]:
        self._writable()
        rows = self._x(
            f"SELECT seq, version, data FROM {self._t('Group')} WHERE seq IN"
            f" (SELECT group_seq FROM {self._members_table} WHERE member_id = %s)"
            f" ORDER BY seq{self._d.for_update()}",
            [member_id],
        ).fetchall()
        out = []
        for seq, version, raw in rows:
            data = self._d.load(raw)
            if last_modified is not None:
                meta = data.get("meta")
                data["meta"] = {
                    **(meta if isinstance(meta, dict) else {}),
                    "lastModified": (last_modified),
                }
            data = with_version(data, int(version) + 1)
            self._x(
                f"UPDATE {self._t('Group')} SET version = %s, data = %s WHERE seq = %s",
                [int(version) + 1, self._d.dump(data), seq],
            )
            self._held.pop(("Group", str(data["id"])), None)  # its version moved on
            self._x(
                f"DELETE FROM {self._members_table} WHERE group_seq = %s AND member_id = %s",
                [seq, member_id],
            )
            out.append(str(data["id"]))
        return out

    def write_audit(self, event: AuditEvent) -> None:
        """Insert an audit record into ``{prefix}audit`` (``scim_audit``) in this transaction.

        The record commits with the change it describes, or not at all; a failure to write it
        fails the transaction (and so the request).
        """
        if self.closed:
            raise ServerError("this transaction has ended")
        from scimcore.audit._row import audit_row

        row = audit_row(event)
        cast = "::jsonb" if self._d.name == "postgres" else ""
        self._x(
            f"INSERT INTO {self._audit_table} (id, time, data) VALUES (%s, %s, %s{cast})",
            [row["id"], row["time"], row["data"]],
        )

    # -- search --------------------------------------------------------------------------------

    def search(self, rt: str, query: Query) -> Page:
        t = self._t(rt)
        check_filter(query, rt)
        where, params, residual = "1=1", list[Any](), query.filter
        if query.filter is not None:
            where, params, residual = self._d.pushdown(query.filter, rt=rt, registry=self._registry)
            emails = self._email_condition(query.filter, rt)
            if emails is not None:
                where, params = f"({where}) AND {emails[0]}", [*params, *emails[1]]
        order = self._sql_order(rt, query) if residual is None else None
        if residual is None and order is not None:
            return self._search_sql(rt, query, where, params, order)
        # the residual (or a sort SQL cannot reproduce exactly) runs in memory over the superset
        need_members = rt == "Group" and (residual is not None or not query.exclude_members)
        rows = self._c.execute(
            f"SELECT seq, version, data FROM {t} WHERE {where} ORDER BY seq", params
        ).fetchall()
        loaded = [(int(s), self._d.load(d)) for s, _, d in rows]
        members = self._load_members([s for s, _ in loaded]) if need_members else {}
        full = [(s, self._assemble(rt, s, d, members.get(s))) for s, d in loaded]
        if residual is not None:
            full = [(s, r) for s, r in full if residual.matches(r)]
        page, _ = page_in_memory(
            full, query, resource_type=rt, registry=self._registry, prefiltered=True
        )
        if query.exclude_members and rt == "Group":
            for r in page.resources:
                r.pop("members", None)
        return page

    def _sql_order(self, rt: str, query: Query) -> str | None:
        """ORDER BY when SQL orders exactly like the reference: by seq, or by a singular string."""
        if not query.sort_by:
            return "seq"
        try:
            ref = self._registry.resolve(query.sort_by, rt)
        except ScimError:
            return None
        target = None if ref is None else ref.target
        if (
            ref is None
            or target is None
            or target.multi_valued
            or target.type
            not in (
                "string",
                "reference",
                "dateTime",
                "binary",
            )
        ):
            return None
        if (
            ref.sub_attribute is not None
            and ref.attribute is not None
            and (ref.attribute.multi_valued)
        ):
            return None
        keys = ref.keys
        text = self._d.text_at(keys)
        value = text if target.case_exact else self._d.lower(text)
        direction = "DESC" if query.sort_order == "descending" else "ASC"
        missing = f"CASE WHEN {self._d.is_text_at(keys)} THEN 0 ELSE 1 END"
        return f"{missing}, {self._d.text_order(value)} {direction}, seq"

    def _search_sql(self, rt: str, query: Query, where: str, params: list[Any], order: str) -> Page:
        t = self._t(rt)
        ph = self._d.placeholder
        if query.filter is None:
            total = self._counted(rt)
        else:
            sql = f"SELECT count(*) FROM {t} WHERE {where}"
            total = int(self._c.execute(sql, params).fetchone()[0])
        start, count = clamp_index(query.start_index, query.count)
        page_where, page_params = where, params
        if query.cursor is None:
            offset = start - 1
        else:
            start = 1  # cursor pages do not track their position (RFC 9865 has no startIndex)
            kind, value = cursor_position(query.cursor)
            if kind == "after":
                if query.sort_by:
                    raise InvalidCursor("this cursor belongs to an unsorted listing")
                page_where, page_params, offset = f"({where}) AND seq > {ph}", [*params, value], 0
            else:
                offset = value
        # one row more than asked tells a cursor page whether another page follows
        limit = None if count is None else count + (1 if query.cursor is not None else 0)
        select = f"SELECT seq, version, data FROM {t} WHERE {page_where} ORDER BY {order}"
        if limit is not None:
            select += f" LIMIT {ph}"
            page_params = [*page_params, limit]
        elif offset and self._d.name == "sqlite":
            select += " LIMIT -1"
        if offset:
            select += f" OFFSET {ph}"
            page_params = [*page_params, offset]
        rows = self._c.execute(select, page_params).fetchall()
        more = count is not None and len(rows) > count
        rows = rows[:count] if count is not None else rows
        stored = self._materialise(rt, rows, exclude_members=query.exclude_members)
        next_cursor = previous_cursor = None
        if query.cursor is not None:
            if rows and more:
                if query.sort_by:
                    next_cursor = encode_cursor({"offset": offset + len(rows)})
                else:
                    next_cursor = encode_cursor({"after": int(rows[-1][0])})
            if query.sort_by and offset > 0 and count:
                previous_cursor = encode_cursor({"offset": max(0, offset - count)})
        return Page(
            [s.resource for s in stored],
            total,
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            start_index=start,
        )
