"""EavStorage: attribute values in Magento-style EAV tables (``<entity>_<backend_type>``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import ConfigurationError, InvalidValue
from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

__all__ = ["EavStorage"]

#: The value tables an EAV entity has, by ``eav_attribute.backend_type``.
_BACKENDS = ("varchar", "int", "text", "datetime", "decimal")


@attrs.define(slots=True)
class _Attribute:
    code: str
    id: int
    backend: str


@attrs.define
class EavStorage:
    """Values in an EAV model: ``eav_attribute`` names them, ``<entity_table>_<type>`` holds them.

    This is Magento 2's layout: an attribute is a row of ``attribute_table`` (``attribute_id``,
    ``entity_type_id``, ``attribute_code``, ``backend_type``); the value of attribute A for
    entity E is the row (``attribute_id`` A, ``entity_id`` E) of ``<entity_table>_<backend_type>``
    (``customer_entity_varchar``, ``customer_entity_int``, …), unique on (entity_id, attribute_id).
    ``attributes`` maps the meta keys this storage owns to attribute codes (by default the key is
    the code). Attributes must exist (an admin declares them in the application); a missing one
    is a configuration error at :meth:`prepare`, and ``static`` ones live in the entity table's
    own columns, so they are refused here too. ``entity_type`` is the ``eav_entity_type`` code.
    """

    entity_table: str
    attributes: Mapping[str, str]
    entity_type: str = "customer"
    attribute_table: str = "eav_attribute"
    entity_type_table: str = "eav_entity_type"
    _resolved: dict[str, _Attribute] = attrs.field(factory=dict, init=False, repr=False)
    _tables: dict[str, Table] = attrs.field(factory=dict, init=False, repr=False)

    def owns(self, key: str) -> bool:
        """Whether ``key`` is one of the configured attributes."""
        return key in self.attributes

    def prepare(self, conn: Connection, main: Table) -> None:
        """Look the attributes up by code and reflect the value tables they use."""
        from sqlalchemy import MetaData, Table, select

        meta = MetaData()
        attrs_t = Table(self.attribute_table, meta, autoload_with=conn)
        types_t = Table(self.entity_type_table, meta, autoload_with=conn)
        type_id = conn.execute(
            select(types_t.c.entity_type_id).where(types_t.c.entity_type_code == self.entity_type)
        ).scalar()
        if type_id is None:
            raise ConfigurationError(f"{self.entity_type_table} has no {self.entity_type!r} type")
        codes = sorted(set(self.attributes.values()))
        rows = conn.execute(
            select(attrs_t.c.attribute_code, attrs_t.c.attribute_id, attrs_t.c.backend_type)
            .where(attrs_t.c.entity_type_id == type_id)
            .where(attrs_t.c.attribute_code.in_(codes))
        ).all()
        found = {str(code): _Attribute(str(code), int(aid), str(kind)) for code, aid, kind in rows}
        for code in codes:
            attribute = found.get(code)
            if attribute is None:
                raise ConfigurationError(
                    f"{self.attribute_table} has no {self.entity_type} attribute {code!r}:"
                    " declare it in the application first"
                )
            if attribute.backend not in _BACKENDS:
                raise ConfigurationError(
                    f"attribute {code!r} has backend_type {attribute.backend!r}: only"
                    f" {', '.join(_BACKENDS)} live in {self.entity_table}_<type> tables"
                )
        self._resolved = {key: found[code] for key, code in self.attributes.items()}
        for backend in sorted({a.backend for a in self._resolved.values()}):
            name = f"{self.entity_table}_{backend}"
            self._tables[backend] = Table(name, meta, autoload_with=conn)

    def _attribute(self, key: str) -> _Attribute:
        try:
            return self._resolved[key]
        except KeyError:
            raise ConfigurationError(f"EavStorage used before prepare() (key {key!r})") from None

    def load(self, conn: Connection, owners: Sequence[Any]) -> dict[Any, dict[str, Any]]:
        """The values of every configured attribute for these entities."""
        from sqlalchemy import select

        out: dict[Any, dict[str, Any]] = {}
        if not owners:
            return out
        by_id: dict[tuple[str, int], list[str]] = {}
        for key, attribute in self._resolved.items():
            by_id.setdefault((attribute.backend, attribute.id), []).append(key)
        for backend, table in self._tables.items():
            ids = [aid for (kind, aid) in by_id if kind == backend]
            rows = conn.execute(
                select(table.c.entity_id, table.c.attribute_id, table.c.value)
                .where(table.c.entity_id.in_(list(owners)))
                .where(table.c.attribute_id.in_(ids))
            )
            for entity, aid, value in rows:
                for key in by_id[(backend, int(aid))]:
                    out.setdefault(entity, {})[key] = _from_db(backend, value)
        return out

    def save(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Upsert each value in its type's table; ``None`` deletes the attribute's row."""
        for key, value in values.items():
            if key not in self.attributes:
                continue
            attribute = self._attribute(key)
            table = self._tables[attribute.backend]
            where = (table.c.entity_id == owner) & (table.c.attribute_id == attribute.id)
            if value is None:
                conn.execute(table.delete().where(where))
                continue
            stored = _to_db(attribute, value)
            if conn.execute(table.update().where(where).values(value=stored)).rowcount == 0:
                conn.execute(
                    table.insert().values(attribute_id=attribute.id, entity_id=owner, value=stored)
                )

    def delete(self, conn: Connection, owner: Any) -> None:
        """Remove the entity's rows of the configured attributes."""
        for backend, table in self._tables.items():
            ids = [a.id for a in self._resolved.values() if a.backend == backend]
            conn.execute(
                table.delete()
                .where(table.c.entity_id == owner)
                .where(table.c.attribute_id.in_(ids))
            )

    def condition(
        self, key: str, op: str, value: Any, owner: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """``owner IN (entities whose attribute row compares)``; None for non-string types."""
        from sqlalchemy import select

        attribute = self._attribute(key)
        table = self._tables[attribute.backend]
        if attribute.backend not in ("varchar", "text"):
            if op == "pr":
                test: ColumnElement[bool] | None = table.c.value.is_not(None)
            elif op == "eq" and isinstance(value, int | bool):
                test = table.c.value == int(value)
            else:
                return None
        else:
            test = text_condition(table.c.value, op, value)
        if test is None:
            return None
        sub = select(table.c.entity_id).where(table.c.attribute_id == attribute.id).where(test)
        return owner.in_(sub)


def _to_db(attribute: _Attribute, value: Any) -> Any:
    """A mapped value as the attribute's backend type stores it."""
    if attribute.backend == "int":
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidValue(
                f"attribute {attribute.code!r} holds whole numbers, not {value!r}"
            ) from None
    if attribute.backend == "decimal":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidValue(
                f"attribute {attribute.code!r} holds numbers, not {value!r}"
            ) from None
    text = value if isinstance(value, str) else str(value)
    if attribute.backend == "varchar" and len(text) > 255:
        raise InvalidValue(f"attribute {attribute.code!r} holds at most 255 characters")
    return text


def _from_db(backend: str, value: Any) -> Any:
    if value is None:
        return None
    if backend == "int":
        return int(value)
    if backend == "decimal":
        return float(value)
    if backend == "datetime" and not isinstance(value, str):
        return value.isoformat()
    return value
