"""MetaStorage: values in a key/value table, one row per (owner, key) (WordPress's ``usermeta``)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

__all__ = ["MetaStorage", "decode_value"]


@attrs.define
class MetaStorage:
    """A key/value table: ``owner`` holds the main table's key, ``name`` the key, ``value`` it.

    ``keys`` lists the meta keys this storage owns; ``None`` owns every key (put it last: a
    store gives each key to the first storage that owns it, so extension attributes sent to
    ``scim:<urn>:<attr>`` keys land here). Strings are stored as they are, other values (lists,
    objects, numbers) as JSON text and read back as JSON; ``None`` deletes the key's rows. When
    a key has several rows (WordPress allows it) the first one (lowest row id) is read and the
    others are removed on the next save.
    """

    table: str
    owner: str
    name: str
    value: str
    keys: Collection[str] | None = None
    _table: Table | None = attrs.field(default=None, init=False, repr=False)

    def owns(self, key: str) -> bool:
        """Whether this storage keeps ``key``."""
        return self.keys is None or key in self.keys

    def prepare(self, conn: Connection, main: Table) -> None:
        """Reflect the key/value table."""
        from sqlalchemy import MetaData, Table

        self._table = Table(self.table, MetaData(), autoload_with=conn)

    @property
    def sql_table(self) -> Table:
        """The reflected table (after :meth:`prepare`)."""
        if self._table is None:
            raise RuntimeError(f"MetaStorage({self.table!r}) used before prepare()")
        return self._table

    def _order(self) -> list[Any]:
        table = self.sql_table
        return list(table.primary_key.columns) or [table.c[self.owner]]

    def order_columns(self) -> list[Any]:
        """The columns that order an owner's rows (the primary key): the first row is read."""
        return self._order()

    def key_condition(
        self, keys: Collection[str], prefix: str | None = None
    ) -> ColumnElement[bool]:
        """Rows whose key is one of ``keys`` (or starts with ``prefix``)."""
        from sqlalchemy import or_

        column = self.sql_table.c[self.name]
        test: ColumnElement[bool] = column.in_(sorted(keys))
        if prefix:
            pattern = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
            test = or_(test, column.like(pattern, escape="/"))
        return test

    def load(
        self,
        conn: Connection,
        owners: Sequence[Any],
        keys: Collection[str] | None = None,
        *,
        prefix: str | None = None,
    ) -> dict[Any, dict[str, Any]]:
        """Each owner's values (only ``keys`` when given, else every key this storage owns).

        ``prefix`` (with ``keys``) also reads every key that starts with it.
        """
        from sqlalchemy import select

        table = self.sql_table
        out: dict[Any, dict[str, Any]] = {}
        if not owners:
            return out
        wanted = keys if keys is not None else self.keys
        order = self._order()
        query = select(table.c[self.owner], table.c[self.name], table.c[self.value], *order).where(
            table.c[self.owner].in_(list(owners))
        )
        if wanted is not None:
            query = query.where(self.key_condition(wanted, prefix if keys is not None else None))
        # sorted here, not by ORDER BY (which can lead MariaDB to walk the primary key)
        rows = sorted(conn.execute(query).all(), key=lambda r: tuple(r[3:]))
        for owner, key, value, *_ in rows:
            values = out.setdefault(owner, {})
            if key not in values:
                values[str(key)] = decode_value(value)
        return out

    def save(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Write each value (update the key's row, or insert it); ``None`` deletes the key."""
        from sqlalchemy import select

        table = self.sql_table
        own = table.c[self.owner]
        name = table.c[self.name]
        pk = list(table.primary_key.columns)
        for key, value in values.items():
            if not self.owns(key):
                continue
            where = (own == owner) & (name == key)
            if value is None:
                conn.execute(table.delete().where(where))
                continue
            text = _encode(value)
            rows = list(conn.execute(select(*pk).where(where).order_by(*pk)) if pk else [])
            if not rows:
                conn.execute(
                    table.insert().values({self.owner: owner, self.name: key, self.value: text})
                )
                continue
            first = rows[0]
            pick = where
            for column, part in zip(pk, first, strict=True):
                pick = pick & (column == part)
            conn.execute(table.update().where(pick).values({self.value: text}))
            if len(rows) > 1 and len(pk) == 1:  # duplicates of the key: keep the first
                conn.execute(table.delete().where(where & (pk[0] != first[0])))

    def insert(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Insert the values of an owner that has no rows yet (one statement; None skipped)."""
        rows = [
            {self.owner: owner, self.name: key, self.value: _encode(value)}
            for key, value in values.items()
            if value is not None and self.owns(key)
        ]
        if rows:
            conn.execute(self.sql_table.insert(), rows)

    def delete(self, conn: Connection, owner: Any) -> None:
        """Remove the owner's rows (every key when ``keys`` is None, else the owned keys)."""
        table = self.sql_table
        stmt = table.delete().where(table.c[self.owner] == owner)
        if self.keys is not None:
            stmt = stmt.where(table.c[self.name].in_(sorted(self.keys)))
        conn.execute(stmt)

    def condition(
        self, key: str, op: str, value: Any, owner: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """``owner IN (owners whose row for key compares)``: text, case-insensitively."""
        from sqlalchemy import select

        table = self.sql_table
        test = text_condition(table.c[self.value], op, value)
        if test is None:
            return None
        sub = select(table.c[self.owner]).where(table.c[self.name] == key).where(test)
        return owner.in_(sub)


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decode_value(value: Any) -> Any:
    """A stored value: JSON lists and objects come back as such, anything else as text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
