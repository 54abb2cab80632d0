"""FieldTableStorage: values in Drupal-style dedicated field tables (``<entity>__<field>``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import InvalidValue
from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

__all__ = ["FieldTableStorage"]


@attrs.define
class FieldTableStorage:
    """One table per field, one row per value: Drupal's dedicated field storage.

    The field ``field_x`` of entity type ``user`` lives in ``user__field_x`` with the columns
    ``bundle``, ``deleted``, ``entity_id``, ``revision_id``, ``langcode``, ``delta`` and
    ``field_x_<property>`` (``value`` for text fields), keyed (entity_id, deleted, delta,
    langcode). ``fields`` maps the meta keys this storage owns to field names (by default the key
    is the field name). A list value is one row per item (delta 0, 1, …), a single value one row
    at delta 0; ``None`` removes the field's rows. Entities without revisions (users) have
    ``revision_id`` = ``entity_id``. The tables must exist (the site declares its fields);
    ``max_length`` is the column's length, checked so a long value is a 400, not a 500.
    """

    entity_type: str
    fields: Mapping[str, str]
    bundle: str = "user"
    langcode: str = "en"
    prop: str = "value"
    max_length: int = 255
    _tables: dict[str, Table] = attrs.field(factory=dict, init=False, repr=False)

    def owns(self, key: str) -> bool:
        """Whether ``key`` is one of the configured fields."""
        return key in self.fields

    def table_name(self, key: str) -> str:
        """The field table of meta key ``key`` (``user__field_first_name``)."""
        return f"{self.entity_type}__{self.fields[key]}"

    def _column(self, key: str) -> str:
        return f"{self.fields[key]}_{self.prop}"

    def prepare(self, conn: Connection, main: Table) -> None:
        """Reflect every field table."""
        from sqlalchemy import MetaData, Table

        meta = MetaData()
        for key in self.fields:
            self._tables[key] = Table(self.table_name(key), meta, autoload_with=conn)

    def load(self, conn: Connection, owners: Sequence[Any]) -> dict[Any, dict[str, Any]]:
        """Each owner's field values (a list when the field has several deltas)."""
        from sqlalchemy import select

        out: dict[Any, dict[str, Any]] = {}
        if not owners:
            return out
        for key, table in self._tables.items():
            column = table.c[self._column(key)]
            rows = conn.execute(
                select(table.c.entity_id, column)
                .where(table.c.entity_id.in_(list(owners)))
                .where(table.c.deleted == 0)
                .order_by(table.c.entity_id, table.c.delta)
            )
            values: dict[Any, list[Any]] = {}
            for entity, value in rows:
                values.setdefault(entity, []).append(value)
            for entity, items in values.items():
                out.setdefault(entity, {})[key] = items[0] if len(items) == 1 else items
        return out

    def save(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Replace the owner's rows of each given field."""
        for key, value in values.items():
            if key not in self.fields:
                continue
            table = self._tables[key]
            conn.execute(table.delete().where(table.c.entity_id == owner))
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            rows = []
            for delta, item in enumerate(i for i in items if i is not None):
                text = item if isinstance(item, str) else str(item)
                if len(text) > self.max_length:
                    raise InvalidValue(
                        f"{self.fields[key]} holds at most {self.max_length} characters"
                    )
                rows.append(
                    {
                        "bundle": self.bundle,
                        "deleted": 0,
                        "entity_id": owner,
                        "revision_id": owner,
                        "langcode": self.langcode,
                        "delta": delta,
                        self._column(key): text,
                    }
                )
            if rows:
                conn.execute(table.insert(), rows)

    def delete(self, conn: Connection, owner: Any) -> None:
        """Remove the owner's rows from every field table."""
        for table in self._tables.values():
            conn.execute(table.delete().where(table.c.entity_id == owner))

    def condition(
        self, key: str, op: str, value: Any, owner: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """``owner IN (entities with a row of this field that compares)``."""
        from sqlalchemy import select

        table = self._tables[key]
        test = text_condition(table.c[self._column(key)], op, value)
        if test is None:
            return None
        sub = select(table.c.entity_id).where(table.c.deleted == 0).where(test)
        return owner.in_(sub)
