"""TableTransaction: the Transaction protocol over the application's tables, on one connection.

Reads build each resource from the app row (columns through the mapping), the storages' values
and the side row (SCIM id, externalId, unmapped attributes, created/lastModified, counter); a
read never writes. Writes change the app row, its storages and the side row in the request's
transaction; a unique clash (the app's own index, or ``userName`` compared case-insensitively,
also claimed in the side table so two racing creates cannot both commit) is ``Uniqueness``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scimcore.errors import (
    InvalidCursor,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ServerError,
    Uniqueness,
)
from scimcore.filter import AttrPath, Compare, Filter, Node
from scimcore.store._base import (
    MemberDelta,
    Page,
    Query,
    Stored,
    clamp_index,
    cursor_position,
    encode_cursor,
    get_attr,
    version_tag,
)
from scimcore.store._meta import MetaStorage, decode_value
from scimcore.store._search import check_filter, page_in_memory
from scimcore.store._sqlops import text_condition
from scimcore.store._tablequery import Pushdown
from scimcore.store._tableside import blob_of, column_value, version_of

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row
    from sqlalchemy.sql.elements import ColumnElement

    from scimcore.audit import AuditEvent
    from scimcore.store._table import TableStore
    from scimcore.store._tablegroups import GroupPart

__all__ = ["TableTransaction"]

_CHUNK = 500


def _uname(value: str) -> str:
    """The side table's claim on a case-folded unique value (a digest: any length fits)."""
    return hashlib.sha256(value.lower().encode()).hexdigest()[:40]


def _unique_clash(exc: Exception) -> bool:
    """Whether an IntegrityError is a duplicate key (not a NOT NULL or foreign key failure)."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "args", (None,))[0] if orig is not None else None
    if code == 1062:  # MySQL/MariaDB ER_DUP_ENTRY
        return True
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state == "23505":
        return True
    return "UNIQUE constraint failed" in str(orig) or "duplicate key" in str(orig).lower()


class TableTransaction:
    """One request's reads and writes on the application's tables."""

    def __init__(self, store: TableStore, conn: Connection, *, readonly: bool) -> None:
        assert store.main is not None and store.side is not None
        self.store = store
        self.conn = conn
        self.readonly = readonly
        self.closed = False
        self.users = store.users
        self.mapping = store.users.mapping
        self.main = store.main
        self.side = store.side
        self.keycol = self.main.c[self.users.key]
        self._int_keys = _is_int(self.keycol)
        equals = None
        if store.dialect == "mysql":
            ci = store.ci_columns

            def equals(column: Any, value: str) -> ColumnElement[bool]:
                if column.name in ci:  # the indexed column compares case-insensitively
                    return column == value  # type: ignore[no-any-return]
                from sqlalchemy import func

                return func.lower(column) == value.lower()

        self.pushdown = Pushdown(
            self.mapping,
            self.main,
            self.keycol,
            self.users.storage_for,
            equals=equals,
            side=self._side_condition,
        )
        fields = [r.field for r in self.mapping.rules if r.field and r.direction != "to_app"]
        if self.users.created and self.users.created in self.main.c:
            fields.append(self.users.created)
        self._fields = list(dict.fromkeys(f for f in fields if f != self.users.key))
        self._booleans = {
            r.field
            for r in self.mapping.rules
            if r.field and not r.to_scim and r.path.target.type == "boolean"
        }
        self._retired_keys: list[Any] | None = None
        # the meta keys the rules read back, and the prefix of extension keys (or None)
        self._wanted = {r.meta for r in self.mapping.rules if r.meta and r.direction != "to_app"}
        self._prefix = self.mapping.meta_prefix if self.mapping.extensions_to_meta else None
        # a lone key/value storage is read in the same query as the row (number keys)
        storages = list(self.users.storages)
        self._joined_meta: MetaStorage | None = None
        if len(storages) == 1 and isinstance(storages[0], MetaStorage) and self._int_keys:
            self._joined_meta = storages[0]
        self.groups: GroupPart | None = None
        if store.groups is not None:
            from scimcore.store._tablegroups import GroupPart

            self.groups = GroupPart(self, store.groups)

    def _group(self, rt: str) -> GroupPart | None:
        """The group part when ``rt`` is Group (ServerError for a type this store lacks)."""
        if rt == self.users.resource_type:
            return None
        if rt == "Group" and self.groups is not None:
            return self.groups
        raise ServerError(f"this store keeps no resource type called {rt!r}")

    # -- helpers -------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.closed:
            raise ServerError("this transaction has ended")
        if self.readonly:
            raise ServerError("a read-only transaction cannot write")

    def _retired(self, rt: str) -> list[Any] | None:
        """The retired keys (read once per transaction); None when there are too many to list."""
        from sqlalchemy import select

        if self._retired_keys is None:
            side = self.side
            rows = self.conn.execute(
                select(side.c.app_key, side.c.app_num)
                .where(side.c.rt == rt)
                .where(side.c.retired == 1)
                .limit(_CHUNK + 1)
            ).all()
            self._retired_keys = [_side_key(r) for r in rows]
        return None if len(self._retired_keys) > _CHUNK else self._retired_keys

    def _visible(self, rt: str) -> ColumnElement[bool] | None:
        """Rows that are resources: not hidden, not retired (None: every row is)."""
        from sqlalchemy import and_, select

        listed = self._retired(rt)
        hidden = [*self.users.hidden_keys, *(listed or ())]
        tests: list[ColumnElement[bool]] = []
        if hidden:
            tests.append(self.keycol.not_in(hidden))
        if listed is None:
            side = self.side
            column = side.c.app_num if self._int_keys else side.c.app_key
            retired = select(column).where(side.c.rt == rt).where(side.c.retired == 1)
            tests.append(self.keycol.not_in(retired))
        return and_(*tests) if tests else None

    def _side_condition(self, attr: str, op: str, value: Any) -> ColumnElement[bool] | None:
        """``key IN (side rows whose externalId compares)`` (number keys only)."""
        from sqlalchemy import select

        if attr != "externalId" or not self._int_keys:
            return None
        side = self.side
        test = text_condition(side.c.external_id, op, value)
        if test is None:
            return None
        rt = self.users.resource_type
        return self.keycol.in_(select(side.c.app_num).where(side.c.rt == rt).where(test))

    def _select(
        self,
        rt: str,
        where: Any = None,
        *,
        visible: bool = True,
        joined: bool = True,
        with_meta: bool = False,
    ) -> Any:
        """The main-table columns the mapping reads, with the side row joined (number keys).

        ``with_meta`` (a lone key/value storage) joins its rows too: one row per value read.
        """
        joined = joined and self._int_keys
        shape = (rt, visible, joined, with_meta and self._joined_meta is not None)
        query = self.store.selects.get(shape)
        if query is None:  # built once per shape (the tables do not change)
            query = self.store.selects[shape] = self._base_select(*shape)
        test = self._visible(rt) if visible and not joined else None
        if test is not None:
            query = query.where(test)
        if where is not None:
            query = query.where(where)
        return query

    def _base_select(self, rt: str, visible: bool, joined: bool, with_meta: bool) -> Any:
        from sqlalchemy import and_, or_, select

        columns = [self.keycol, *(self.main.c[f] for f in self._fields)]
        if not joined:
            return select(*columns)
        side = self.side
        extra = [side.c[n].label(f"_side_{n}") for n in _SIDE_COLUMNS]
        source = self.main.outerjoin(side, and_(side.c.rt == rt, side.c.app_num == self.keycol))
        storage = self._joined_meta
        if with_meta and storage is not None:
            meta = storage.sql_table
            wanted = storage.key_condition(self._wanted, self._prefix)
            owner = meta.c[storage.owner] == self.keycol
            source = source.outerjoin(meta, and_(owner, wanted))
            extra += [
                meta.c[storage.name].label("_meta_name"),
                meta.c[storage.value].label("_meta_value"),
                *(c.label(f"_meta_order{i}") for i, c in enumerate(storage.order_columns())),
            ]
        query = select(*columns, *extra).select_from(source)
        if visible:  # the joined side row says whether it is retired
            query = query.where(or_(side.c.retired.is_(None), side.c.retired == 0))
            if self.users.hidden_keys:
                query = query.where(self.keycol.not_in(list(self.users.hidden_keys)))
        return query

    def sides(self, rt: str, keys: Sequence[Any], lock: bool = False) -> dict[Any, Row[Any]]:
        from sqlalchemy import select

        out: dict[Any, Row[Any]] = {}
        side = self.side
        for start in range(0, len(keys), _CHUNK):
            chunk = [str(k) for k in keys[start : start + _CHUNK]]
            query = select(side).where(side.c.rt == rt).where(side.c.app_key.in_(chunk))
            if lock and self.store.dialect != "sqlite":
                query = query.with_for_update()
            for row in self.conn.execute(query):
                out[_side_key(row)] = row
        return out

    def _meta(self, keys: Sequence[Any]) -> dict[Any, dict[str, Any]]:
        """The storages' values the mapping reads back, per key (key/value rows: only those)."""
        out: dict[Any, dict[str, Any]] = {}
        if not keys:
            return out
        wanted, prefix = self._wanted, self._prefix
        owner_of: dict[str, Any] = {}
        single = len(self.users.storages) == 1
        for storage in self.users.storages:
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                if isinstance(storage, MetaStorage):
                    loaded = storage.load(self.conn, chunk, wanted, prefix=prefix)
                else:
                    loaded = storage.load(self.conn, chunk)
                for owner, values in loaded.items():
                    mine = out.setdefault(owner, {})
                    for name, value in values.items():
                        if single and storage.owns(name):
                            mine.setdefault(name, value)
                            continue
                        if name not in owner_of:
                            owner_of[name] = self.users.storage_for(name)
                        if owner_of[name] is storage:
                            mine.setdefault(name, value)
        return out

    def _read(self, rt: str, where: Any, *, visible: bool = True, order: bool = False) -> Any:
        """The resources of the rows ``where`` admits: row, side row and values in one query.

        Falls back to a query per part when the storages cannot be joined. ``order``: key order.
        """
        if self._joined_meta is None:
            query = self._select(rt, where, visible=visible)
            rows = self.conn.execute(query.order_by(self.keycol) if order else query).all()
            return list(zip((r[0] for r in rows), self._build(rt, rows), strict=True))
        query = self._select(rt, where, visible=visible, with_meta=True)
        if order:
            query = query.order_by(self.keycol)
        grouped: dict[Any, list[Row[Any]]] = {}
        for row in self.conn.execute(query):
            grouped.setdefault(row[0], []).append(row)
        storage = self._joined_meta
        out = []
        for key, rows in grouped.items():
            first = rows[0]._mapping
            side = _Side(first) if first["_side_app_key"] is not None else None
            values: dict[str, Any] = {}
            found = [r._mapping for r in rows if r._mapping["_meta_name"] is not None]
            found.sort(key=_meta_order)
            for value in found:
                name = str(value["_meta_name"])
                if name not in values and storage.owns(name):
                    values[name] = decode_value(value["_meta_value"])
            out.append((key, self._resource(rt, rows[0], side, values)))
        return out

    def _build(self, rt: str, rows: Sequence[Row[Any]], lock: bool = False) -> list[Stored]:
        """Resources for main-table rows (their side rows and storage values loaded at once)."""
        keys = [row[0] for row in rows]
        sides: dict[Any, Any]
        if rows and "_side_app_key" in rows[0]._mapping:
            sides = {
                row[0]: _Side(row._mapping)
                for row in rows
                if row._mapping["_side_app_key"] is not None
            }
        else:
            sides = self.sides(rt, keys, lock=lock)
        metas = self._meta(keys)
        return [self._resource(rt, row, sides.get(row[0]), metas.get(row[0], {})) for row in rows]

    def _resource(self, rt: str, row: Row[Any], side: Any, meta: Mapping[str, Any]) -> Stored:
        key = row[0]
        values = row._mapping
        fields = {f: column_value(values[f]) for f in self._fields}
        for name in self._booleans:  # a TINYINT(1) column reads as a number
            if isinstance(fields.get(name), int) and not isinstance(fields[name], bool):
                fields[name] = bool(fields[name])
        blob: dict[str, Any] = {}
        if side is not None and side.data:
            loaded = json.loads(side.data)
            blob = loaded if isinstance(loaded, dict) else {}
        resource = self.mapping.to_scim(fields=fields, meta=meta, base=blob)
        if side is not None and side.external_id and get_attr(resource, "externalId") is None:
            resource["externalId"] = side.external_id
        body = {"id": self.store.seen_id(rt, key), **resource}
        counter = int(side.version) if side is not None else 0
        version = version_of(counter, body)
        created = side.created if side is not None and side.created else None
        if created is None and self.users.created:
            created = column_value(values[self.users.created])
        modified = side.last_modified if side is not None and side.last_modified else created
        stamp: dict[str, Any] = {"resourceType": rt}
        if created:
            stamp["created"] = str(created)
        if modified:
            stamp["lastModified"] = str(modified)
        stamp["version"] = version_tag(version)
        body["meta"] = stamp
        return Stored(body, version)

    def _by_key(self, rt: str, key: Any, *, lock: bool = False, visible: bool = True) -> Any:
        if not lock:
            found = self._read(rt, self.keycol == key, visible=visible)
            return found[0][1] if found else None
        query = self._select(rt, self.keycol == key, visible=visible, joined=not lock)
        if lock and self.store.dialect != "sqlite":
            query = query.with_for_update()
        rows = self.conn.execute(query).all()
        if not rows:
            return None
        return self._build(rt, rows, lock=lock)[0]

    def key_of(self, rt: str, id: str) -> Any:
        """The app key of SCIM id ``id`` (None: no such row; hidden and retired rows included)."""
        from sqlalchemy import select

        try:
            parsed = uuid.UUID(id)
        except (ValueError, TypeError, AttributeError):
            return None
        if parsed.version != 5 or str(parsed) != id.lower():
            return None
        seen = self.store.seen_key(rt, str(parsed))
        if seen is not None:  # ids are derived from keys: a key once seen needs no query
            return seen
        side = self.side
        row = self.conn.execute(
            select(side.c.app_key, side.c.app_num)
            .where(side.c.scim_id == str(parsed))
            .where(side.c.rt == rt)
        ).first()
        if row is not None:
            return _side_key(row)
        known = self.store.ids.setdefault(rt, {})
        if str(parsed) in known:
            return known[str(parsed)]
        for key in self.conn.execute(select(self.keycol)).scalars():
            known.setdefault(self.store.scim_id(rt, key), key)
        return known.get(str(parsed))

    def _candidates(self, rt: str, node: Node | None) -> list[tuple[Any, Stored]]:
        """Every (key, resource) the pushdown of ``node`` admits, in key order (a superset)."""
        where = self.pushdown.condition(node) if node is not None else None
        if isinstance(node, Compare) and node.op == "eq":  # a few rows: read them whole
            return list(self._read(rt, where, order=True))
        rows = self.conn.execute(self._select(rt, where).order_by(self.keycol)).all()
        out: list[tuple[Any, Stored]] = []
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            out.extend(zip((r[0] for r in chunk), self._build(rt, chunk), strict=True))
        return out

    def _holders(self, rt: str, attr: str, value: str, *, visible: bool) -> list[Stored]:
        """Rows whose ``attr`` equals ``value`` case-insensitively."""
        node = Compare(AttrPath(None, attr), "eq", value)
        where = self.pushdown.condition(node)
        folded = value.lower()
        out = []
        for _, stored in self._read(rt, where, visible=visible):
            found = get_attr(stored.resource, attr)
            if isinstance(found, str) and found.lower() == folded:
                out.append(stored)
        return out

    # -- writing the app row ---------------------------------------------------------------------

    def _blank(self, column: str) -> Any:
        col = self.main.c[column]
        if col.nullable:
            return None
        python_type = _python_type(col)
        if python_type is str:
            return ""
        if python_type in (int, bool):
            return 0
        return None

    def _columns(self, record: Any, *, fresh: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for rule in self.mapping.rules:
            if rule.direction == "to_scim" or rule.field is None:
                continue
            value = record.fields.get(rule.field)
            if value is None:
                if rule.direction == "to_app" or fresh:
                    continue  # never read back (a password): absent is "leave it"
                value = self._blank(rule.field)
            values[rule.field] = value
        if fresh:
            for column, spec in self.users.on_insert.items():
                if values.get(column) is None:
                    values[column] = spec(values) if callable(spec) else spec
        for column, spec in self.users.on_update.items():
            values[column] = spec(values) if callable(spec) else spec
        for column, value in values.items():
            length = getattr(self.main.c[column].type, "length", None)
            if isinstance(value, str) and length is not None and len(value) > length:
                raise InvalidValue(f"{self.main.name}.{column} holds at most {length} characters")
        return values

    def _write(self, statement: Any) -> Any:
        """Run an app-table write in a savepoint; clashes are Uniqueness, bad values 400."""
        return self.savepoint(lambda: self.conn.execute(statement))

    def savepoint(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` in a savepoint; a unique clash is Uniqueness, a refused value 400."""
        from sqlalchemy.exc import DataError, IntegrityError

        try:
            if self.store.dialect != "postgresql":  # a failed statement leaves the rest as it was
                return work()
            with self.conn.begin_nested():  # PostgreSQL aborts the transaction on an error
                return work()
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_TRIGGER":
                # a trigger's RAISE: the site refused the write, as MariaDB's SIGNAL and
                # PostgreSQL's RAISE EXCEPTION do (500 there too), not a value of the request
                raise ServerError(
                    f"the application's database refused the write: {exc.orig}"
                ) from None
            if _unique_clash(exc):
                raise Uniqueness(
                    f"the application already has a row with one of these values ({exc.orig})"
                ) from None
            raise InvalidValue(f"the application refused the row: {exc.orig}") from None
        except DataError as exc:
            raise InvalidValue(f"the application cannot store a value: {exc.orig}") from None

    def _save_meta(self, key: Any, meta: Mapping[str, Any], *, fresh: bool) -> None:
        to_app_only = {r.meta for r in self.mapping.rules if r.meta and r.direction == "to_app"}
        by_storage: dict[int, tuple[Any, dict[str, Any]]] = {}
        for name, value in meta.items():
            if value is None and (fresh or name in to_app_only):
                continue
            storage = self.users.storage_for(name)
            if storage is None:
                raise ServerError(f"no storage keeps the meta key {name!r}")
            by_storage.setdefault(id(storage), (storage, {}))[1][name] = value
        for storage, values in by_storage.values():
            if fresh and isinstance(storage, MetaStorage):
                storage.insert(self.conn, key, values)
            else:
                storage.save(self.conn, key, values)

    def write_side(
        self,
        rt: str,
        key: Any,
        resource: Mapping[str, Any],
        side: Any,
        *,
        blob: dict[str, Any] | None = None,
    ) -> None:
        """Insert or update the side row (the counter moves on), claiming the unique name.

        ``blob`` is what the side row keeps besides (a User's: what the mapping does not place).
        """
        meta = resource.get("meta") if isinstance(resource.get("meta"), Mapping) else {}
        assert isinstance(meta, Mapping)
        external = get_attr(resource, "externalId")
        if blob is None:
            blob = blob_of(self.mapping, resource)
        name = get_attr(resource, "userName") if rt == self.users.resource_type else None
        values = {
            "scim_id": self.store.scim_id(rt, key),
            "external_id": external if isinstance(external, str) else None,
            "version": (int(side.version) if side is not None else 0) + 1,
            "created": (side.created if side is not None and side.created else None)
            or meta.get("created"),
            "last_modified": meta.get("lastModified"),
            "data": json.dumps(blob, separators=(",", ":"), ensure_ascii=False) if blob else None,
            "uname": _uname(name) if isinstance(name, str) else None,
            "retired": 0,
        }
        table = self.side
        if self._retired_keys is not None and key in self._retired_keys and rt == "User":
            self._retired_keys.remove(key)
        if side is None:
            number = key if isinstance(key, int) and not isinstance(key, bool) else None
            statement: Any = table.insert().values(
                rt=rt, app_key=str(key), app_num=number, **values
            )
        else:
            statement = (
                table.update()
                .where(table.c.rt == rt)
                .where(table.c.app_key == str(key))
                .values(**values)
            )
        try:
            self._write(statement)
        except Uniqueness:
            claim = values["uname"]
            if not isinstance(claim, str) or not self._release_stale(rt, key, claim):
                raise Uniqueness(
                    f"userName {name!r} is already taken by another {rt}"
                    " (compared case-insensitively)"
                ) from None
            self._write(statement)

    def _release_stale(self, rt: str, key: Any, uname: str) -> bool:
        """A side claim on ``uname`` whose row was renamed by the application: drop it."""
        from sqlalchemy import select

        table = self.side
        query = select(table.c.app_key, table.c.app_num)
        # plain reads: after a duplicate-key error the racing writers hold shared locks on
        # the claim, and a locking read here would deadlock them (a racer's fresh claim is not
        # seen, so it stays a clash; a claim the application made stale long ago is)
        query = query.where(table.c.rt == rt).where(table.c.uname == uname)
        found = self.conn.execute(query).first()
        if found is None or _side_key(found) == key:
            return False
        raw = found.app_key
        holder = self._by_key(rt, _side_key(found), visible=False)
        name = get_attr(holder.resource, "userName") if holder is not None else None
        if isinstance(name, str) and _uname(name) == uname:
            return False
        self.conn.execute(
            table.update()
            .where(table.c.rt == rt)
            .where(table.c.app_key == raw)
            .values(uname=_uname(name) if isinstance(name, str) else None)
        )
        return True

    def _check_unique(self, rt: str, resource: Mapping[str, Any], key: Any) -> Stored | None:
        """Uniqueness when another row holds a unique value; a retired holder is returned."""
        retired: Stored | None = None
        for attr in self.store.unique.get(rt, ()):
            value = get_attr(resource, attr)
            if not isinstance(value, str):
                continue
            for holder in self._holders(rt, attr, value, visible=False):
                holder_key = self.key_of(rt, holder.id)
                if holder_key == key:
                    continue
                if attr == "userName" and self._is_retired(rt, holder_key):
                    retired = holder
                    continue
                raise Uniqueness(
                    f"{attr} {value!r} is already taken by another {rt}"
                    " (compared case-insensitively)"
                )
        return retired

    def is_user(self, key: Any) -> bool:
        """Whether app key ``key`` is a User resource (exists, not hidden, not retired)."""
        from sqlalchemy import select

        rt = self.users.resource_type
        query = select(self.keycol).where(self.keycol == key)
        test = self._visible(rt)
        if test is not None:
            query = query.where(test)
        return self.conn.execute(query).first() is not None

    def not_users(self) -> set[Any]:
        """The app keys that are no User resources: hidden, or retired (deactivated)."""
        from sqlalchemy import select

        side = self.side
        rows = self.conn.execute(
            select(side.c.app_key, side.c.app_num)
            .where(side.c.rt == self.users.resource_type)
            .where(side.c.retired == 1)
        )
        return {*(_side_key(r) for r in rows), *self.users.hidden_keys}

    def drop_side(self, rt: str, key: Any) -> None:
        """Delete the side row of (rt, key)."""
        side = self.side
        self.conn.execute(side.delete().where(side.c.rt == rt).where(side.c.app_key == str(key)))

    def _is_retired(self, rt: str, key: Any) -> bool:
        side = self.sides(rt, [key]).get(key)
        return side is not None and int(side.retired) == 1

    def _hook(self, name: str, *args: Any) -> None:
        hook = getattr(self.users.hooks, name, None) if self.users.hooks is not None else None
        if hook is not None:
            hook(self.conn, *args)

    def _existing(self, rt: str, id: str, expected_version: int | None) -> tuple[Any, Stored]:
        key = self.key_of(rt, id)
        stored = self._by_key(rt, key, lock=True) if key is not None else None
        if stored is None:
            raise NotFound(f"{rt} {id!r} not found")
        if expected_version is not None and stored.version != expected_version:
            raise PreconditionFailed(
                f"{rt} {id!r} is at version {version_tag(stored.version)}, "
                f"not {version_tag(expected_version)}: fetch it again and retry"
            )
        return key, stored

    # -- the Transaction protocol ----------------------------------------------------------------

    def get(
        self, rt: str, id: str, *, exclude_members: bool = False, for_update: bool = False
    ) -> Stored | None:
        if rt != self.users.resource_type:
            if rt == "Group" and self.groups is not None:
                return self.groups.get(id, exclude_members=exclude_members)
            return None
        key = self.key_of(rt, id)
        if key is None:
            return None
        out: Stored | None = self._by_key(rt, key, lock=for_update and not self.readonly)
        return out

    def create(self, rt: str, resource: Mapping[str, Any]) -> Stored:
        self._writable()
        groups = self._group(rt)
        if groups is not None:
            return groups.create(resource)
        retired = self._check_unique(rt, resource, None)
        if retired is not None:
            return self._relink(rt, retired, resource)
        record = self.mapping.to_app(resource)
        values = self._columns(record, fresh=True)
        result = self._write(self.main.insert().values(values))
        key = values.get(self.users.key)
        if key is None:
            key = result.inserted_primary_key[0]
        self._save_meta(key, record.meta, fresh=True)
        self.write_side(rt, key, resource, None)
        self._hook("after_write", key, resource, None)
        stored = self._by_key(rt, key)
        if stored is None:  # the application's own triggers removed or hid it
            raise ServerError(f"the new {rt} row {key!r} cannot be read back")
        out: Stored = stored
        return out

    def _relink(self, rt: str, retired: Stored, resource: Mapping[str, Any]) -> Stored:
        """A POST whose userName matches a retired row: that row is the resource again."""
        key = self.key_of(rt, retired.id)
        side = self.sides(rt, [key], lock=True).get(key)
        record = self.mapping.to_app(resource)
        values = self._columns(record, fresh=False)
        if values:  # a table whose every mapped value lives in storages (Drupal's users)
            self._write(self.main.update().where(self.keycol == key).values(values))
        self._save_meta(key, record.meta, fresh=False)
        fresh_meta = dict(resource.get("meta") or {})
        self.write_side(rt, key, {**resource, "meta": fresh_meta}, _Fresh(side))
        self._hook("reactivate", key)
        self._hook("after_write", key, resource, None)
        stored: Stored | None = self._by_key(rt, key)
        assert stored is not None
        return stored

    def replace(
        self,
        rt: str,
        id: str,
        resource: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Stored:
        self._writable()
        groups = self._group(rt)
        if groups is not None:
            return groups.replace(id, resource, expected_version)
        key, old = self._existing(rt, id, expected_version)
        if self._check_unique(rt, resource, key) is not None:
            raise Uniqueness(f"userName {get_attr(resource, 'userName')!r} is already taken")
        record = self.mapping.to_app(resource)
        values = self._columns(record, fresh=False)
        if values:
            self._write(self.main.update().where(self.keycol == key).values(values))
        self._save_meta(key, record.meta, fresh=False)
        side = self.sides(rt, [key]).get(key)
        self.write_side(rt, key, resource, side)
        self._hook("after_write", key, resource, old.resource)
        stored: Stored | None = self._by_key(rt, key)
        if stored is None:
            raise ServerError(f"the {rt} row {key!r} cannot be read back")
        return stored

    def delete(self, rt: str, id: str, *, expected_version: int | None = None) -> None:
        self._writable()
        groups = self._group(rt)
        if groups is not None:
            groups.delete(id, expected_version)
            return
        key, old = self._existing(rt, id, expected_version)
        side = self.side
        if self.users.deprovision == "deactivate":
            self._deactivate(rt, key, old)
            return
        self._hook("before_delete", key)
        for storage in self.users.storages:
            storage.delete(self.conn, key)
        self._write(self.main.delete().where(self.keycol == key))
        self.conn.execute(side.delete().where(side.c.rt == rt).where(side.c.app_key == str(key)))

    def _deactivate(self, rt: str, key: Any, old: Stored) -> None:
        """DELETE as deactivation: ``active=false`` through the mapping, the side row retired."""
        resource = {**old.resource, "active": False}
        record = self.mapping.to_app(resource)
        active = [
            r
            for r in self.mapping.rules
            if r.path.keys[-1:] == ("active",) and r.direction != "to_scim"
        ]
        fields = {r.field: record.fields.get(r.field) for r in active if r.field is not None}
        if fields:
            self._write(self.main.update().where(self.keycol == key).values(fields))
        metas = {r.meta: record.meta.get(r.meta) for r in active if r.meta is not None}
        if metas:
            self._save_meta(key, metas, fresh=False)
        side = self.sides(rt, [key]).get(key)
        self.write_side(rt, key, old.resource, side)
        table = self.side
        self.conn.execute(
            table.update()
            .where(table.c.rt == rt)
            .where(table.c.app_key == str(key))
            .values(retired=1)
        )
        if self._retired_keys is not None:
            self._retired_keys.append(key)
        self._hook("deactivate", key)

    def find_by(self, rt: str, attr: str, value: str) -> list[Stored]:
        if rt != self.users.resource_type:
            return self.groups.find_by(attr, value) if rt == "Group" and self.groups else []
        return self._holders(rt, attr, value, visible=True)

    def groups_with_member(self, member_id: str) -> list[Stored]:
        return self.groups_with_members([member_id])[member_id]

    def groups_with_members(self, member_ids: Sequence[str]) -> dict[str, list[Stored]]:
        if self.groups is None:
            return {m: [] for m in member_ids}
        return self.groups.groups_of(list(dict.fromkeys(member_ids)))

    def remove_member(self, member_id: str, *, last_modified: str | None = None) -> list[str]:
        self._writable()
        if self.groups is None:
            return []
        return self.groups.remove_member(member_id, last_modified)

    # -- member deltas (scimcore.store.MemberDeltas) -------------------------------------------

    def member_count(self, group_id: str) -> int:
        """How many users the group lists (0 when it does not exist)."""
        return self.groups.member_count(group_id) if self.groups is not None else 0

    def members_among(self, group_id: str, values: Sequence[str]) -> dict[str, str]:
        """Which ``values`` are member ids of the group (compared lower-cased)."""
        return self.groups.members_among(group_id, values) if self.groups is not None else {}

    def update_group(
        self,
        id: str,
        resource: Mapping[str, Any],
        delta: MemberDelta,
        *,
        expected_version: int | None = None,
    ) -> Stored:
        """Group attributes other than members, and only the membership rows ``delta`` names."""
        self._writable()
        groups = self._group("Group")
        assert groups is not None
        return groups.update_group(id, resource, delta, expected_version)

    def write_audit(self, event: AuditEvent) -> None:
        """Insert the audit record in this transaction (it commits with the change or not)."""
        if self.closed:
            raise ServerError("this transaction has ended")
        from scimcore.audit._row import audit_row

        assert self.store.audit is not None
        row = audit_row(event)
        self.conn.execute(
            self.store.audit.insert().values(id=row["id"], time=row["time"], data=row["data"])
        )

    # -- search ----------------------------------------------------------------------------------

    def search(self, rt: str, query: Query) -> Page:
        check_filter(query, rt)
        if rt == "Group" and self.groups is not None:
            return self.groups.search(query)
        if rt != self.users.resource_type:
            return Page([], 0, start_index=clamp_index(query.start_index, query.count)[0])
        if query.filter is None and not query.sort_by:
            return self._search_sql(rt, query)
        node = query.filter.ast if isinstance(query.filter, Filter) else None
        found = self._candidates(rt, node)
        rows = [(int(k) if self._int_keys else i, s.resource) for i, (k, s) in enumerate(found)]
        page, _ = page_in_memory(
            rows, query, resource_type=rt, registry=self.mapping.registry, prefiltered=False
        )
        return page

    def _count(self, rt: str) -> Any:
        """A SELECT of the number of resources (rows not hidden, not retired).

        Number keys: the rows counted alone (the smallest index), less the hidden ones and the
        retired ones (side rows, indexed) that still exist: no join over every row.
        """
        from sqlalchemy import func, select, true

        main, side = self.main, self.side
        hidden = list(self.users.hidden_keys)
        if not self._int_keys:
            visible = self._visible(rt)
            return (
                select(func.count()).select_from(main).where(true() if visible is None else visible)
            )
        rows = select(func.count()).select_from(main)
        if hidden:
            rows = rows.where(self.keycol.not_in(hidden))
        retired = (
            select(func.count())
            .select_from(side.join(main, self.keycol == side.c.app_num))
            .where(side.c.rt == rt)
            .where(side.c.retired == 1)
        )
        if hidden:
            retired = retired.where(side.c.app_num.not_in(hidden))
        return select(rows.scalar_subquery() - retired.scalar_subquery())

    def _search_sql(self, rt: str, query: Query) -> Page:
        """An unfiltered, unsorted listing: counted and paged by the database, in key order."""
        counting = self._count(rt)
        total: int | None = None
        start, count = clamp_index(query.start_index, query.count)
        offset = start - 1
        # an OFFSET walks the skipped rows: without the side join, which would join them all
        select_rows = self._select(rt, joined=query.cursor is None and offset == 0)
        select_rows = select_rows.order_by(self.keycol)
        if query.cursor is not None:
            start = 1
            kind, value = cursor_position(query.cursor)
            if kind == "after":
                if not self._int_keys:
                    raise InvalidCursor("this cursor was not issued by this server")
                select_rows, offset = select_rows.where(self.keycol > value), 0
            else:
                offset = value
        if count is not None:
            select_rows = select_rows.limit(count + (1 if query.cursor is not None else 0))
        if offset:
            select_rows = select_rows.offset(offset)
        rows: Sequence[Any] = []
        if count != 0:  # the total comes along with the page (one round trip)
            select_rows = select_rows.add_columns(counting.scalar_subquery().label("_total"))
            rows = self.conn.execute(select_rows).all()
            if rows:
                total = int(rows[0]._mapping["_total"] or 0)
        if total is None:
            total = int(self.conn.execute(counting).scalar() or 0)
        more = count is not None and len(rows) > count
        rows = rows[:count] if count is not None else rows
        stored = self._build(rt, rows)
        next_cursor = None
        if query.cursor is not None and rows and more:
            if self._int_keys:
                next_cursor = encode_cursor({"after": int(rows[-1][0])})
            else:
                next_cursor = encode_cursor({"offset": offset + len(rows)})
        return Page([s.resource for s in stored], total, next_cursor=next_cursor, start_index=start)


_SIDE_COLUMNS = ("app_key", "version", "data", "external_id", "created", "last_modified")


class _Side:
    """The side columns of a joined row, read like a side row."""

    def __init__(self, row: Any) -> None:
        self.app_key = row["_side_app_key"]
        self.version = row["_side_version"]
        self.data = row["_side_data"]
        self.external_id = row["_side_external_id"]
        self.created = row["_side_created"]
        self.last_modified = row["_side_last_modified"]


class _Fresh:
    """A side row seen as new for a re-link: the counter continues, ``created`` restarts."""

    def __init__(self, side: Row[Any] | None) -> None:
        self.version = int(side.version) if side is not None else 0
        self.created = None
        self._exists = side is not None

    def __bool__(self) -> bool:
        return True


def _meta_order(row: Any) -> tuple[Any, ...]:
    """The storage's row order of a joined value (its primary key)."""
    out = []
    i = 0
    while f"_meta_order{i}" in row:
        out.append(row[f"_meta_order{i}"])
        i += 1
    return tuple(out)


def _side_key(row: Any) -> Any:
    """The app key a side row names (a number when the key is one)."""
    return int(row.app_num) if row.app_num is not None else row.app_key


def _python_type(column: Any) -> type | None:
    try:
        out: type = column.type.python_type
    except NotImplementedError:
        return None
    return out


def _is_int(column: Any) -> bool:
    return _python_type(column) is int
