"""RowStorage: a user's columns in a second table, one row per user (Drupal's data table)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import InvalidValue
from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

__all__ = ["RowStorage"]

#: A column value computed from the row being written (the meta values as columns).
RowValue = Any | Callable[[Mapping[str, Any]], Any]


def _value(spec: RowValue, row: Mapping[str, Any]) -> Any:
    return spec(row) if callable(spec) else spec


@attrs.define
class RowStorage:
    """Columns of a table keyed by the user's key: ``users_field_data`` beside Drupal's ``users``.

    ``table`` has one row per owner, found by ``key`` (its column holding the main table's key);
    ``columns`` maps the meta keys this storage owns to its columns (by default the key is the
    column). ``on_insert`` fills columns no key writes when the row is created (a constant or a
    function of the row's columns: ``{"created": lambda row: now(), "init": lambda row:
    row["mail"]}``), ``on_update`` columns written on every save (``{"changed": now}``), and
    ``where`` adds constant columns that select the row (``{"langcode": "en"}``: the default
    translation). A value longer than the column's declared length is a 400 (``InvalidValue``).
    """

    table: str
    key: str
    columns: Mapping[str, str]
    on_insert: Mapping[str, RowValue] = attrs.field(factory=dict)
    on_update: Mapping[str, RowValue] = attrs.field(factory=dict)
    where: Mapping[str, Any] = attrs.field(factory=dict)
    _table: Table | None = attrs.field(default=None, init=False, repr=False)

    def owns(self, key: str) -> bool:
        """Whether ``key`` is one of the configured columns."""
        return key in self.columns

    def prepare(self, conn: Connection, main: Table) -> None:
        """Reflect the table."""
        from sqlalchemy import MetaData, Table

        self._table = Table(self.table, MetaData(), autoload_with=conn)

    @property
    def sql_table(self) -> Table:
        """The reflected table (after :meth:`prepare`)."""
        if self._table is None:
            raise RuntimeError(f"RowStorage({self.table!r}) used before prepare()")
        return self._table

    def _selects(self, owner: Any) -> ColumnElement[bool]:
        table = self.sql_table
        test: ColumnElement[bool] = table.c[self.key] == owner
        for column, value in self.where.items():
            test = test & (table.c[column] == value)
        return test

    def load(self, conn: Connection, owners: Sequence[Any]) -> dict[Any, dict[str, Any]]:
        """Each owner's columns, under their meta keys."""
        from sqlalchemy import select

        table = self.sql_table
        if not owners:
            return {}
        query = select(table.c[self.key], *(table.c[c] for c in self.columns.values()))
        query = query.where(table.c[self.key].in_(list(owners)))
        for column, value in self.where.items():
            query = query.where(table.c[column] == value)
        out: dict[Any, dict[str, Any]] = {}
        for row in conn.execute(query):
            out[row[0]] = {key: row[i + 1] for i, key in enumerate(self.columns)}
        return out

    def current(self, conn: Connection, owner: Any) -> dict[str, Any] | None:
        """The owner's row as it is now (all columns), or None."""
        from sqlalchemy import select

        row = conn.execute(select(self.sql_table).where(self._selects(owner))).mappings().first()
        return dict(row) if row is not None else None

    def save(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Update the owner's row, or insert it (with ``on_insert`` and ``where``) when missing."""
        table = self.sql_table
        row = {self.columns[k]: v for k, v in values.items() if k in self.columns}
        for column, value in row.items():
            length = getattr(table.c[column].type, "length", None)
            if isinstance(value, str) and length is not None and len(value) > length:
                raise InvalidValue(f"{self.table}.{column} holds at most {length} characters")
        row.update({c: _value(v, row) for c, v in self.on_update.items()})
        if self.current(conn, owner) is not None:
            conn.execute(table.update().where(self._selects(owner)).values(row))
            return
        fresh = {self.key: owner, **self.where, **row}
        for column, spec in self.on_insert.items():
            if fresh.get(column) is None:
                fresh[column] = _value(spec, fresh)
        conn.execute(table.insert().values(fresh))

    def delete(self, conn: Connection, owner: Any) -> None:
        """Delete the owner's rows (every translation)."""
        table = self.sql_table
        conn.execute(table.delete().where(table.c[self.key] == owner))

    def condition(
        self, key: str, op: str, value: Any, owner: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """``owner IN (keys whose column compares)``: text case-insensitively, numbers by ``eq``."""
        from sqlalchemy import select

        table = self.sql_table
        column = table.c[self.columns[key]]
        if isinstance(value, bool | int) and not isinstance(value, str):
            test: ColumnElement[bool] | None = (column == int(value)) if op == "eq" else None
        else:
            test = text_condition(column, op, value)
        if test is None:
            return None
        sub = select(table.c[self.key]).where(test)
        for column_name, constant in self.where.items():
            sub = sub.where(table.c[column_name] == constant)
        return owner.in_(sub)
