"""TableStore: a Store whose source of truth is the application's own tables (SQLAlchemy Core).

See docs/appstore.md and the module docstrings of ``_tabletx`` (the transaction) and
``_tableside`` (the side table). One implementation serves SQLite, MariaDB/MySQL and PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from scimcore.errors import ConfigurationError
from scimcore.mapping import AttributeMapping
from scimcore.store._base import DEFAULT_UNIQUE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.sql.schema import Table

    from scimcore.store._groups import GroupSource
    from scimcore.store._tabletx import TableTransaction

__all__ = ["AppHooks", "TableStore", "UserTable"]

#: The namespace of SCIM ids when none is given: ``uuid5(namespace, "User:42")``.
DEFAULT_NAMESPACE = uuid.UUID("6b1e0c8e-5f0c-5a4e-9d4c-7363696d636f")

#: A column value computed from the row being written (or a constant).
ColumnValue = Any | Callable[[Mapping[str, Any]], Any]


class AppHooks(Protocol):
    """Application side effects of a write, run in the request's transaction (all optional).

    The store looks each method up with ``getattr``, so a hooks object defines only the ones it
    needs. ``conn`` is the request's ``sqlalchemy.engine.Connection``, ``key`` the app key.
    """

    def after_write(
        self, conn: Connection, key: Any, resource: Mapping[str, Any], previous: Any
    ) -> None:
        """After a create (``previous`` None) or a replace of the app row and its storages."""
        ...

    def before_delete(self, conn: Connection, key: Any) -> None:
        """Before the storages' rows and the app row are deleted (``deprovision="delete"``)."""
        ...

    def deactivate(self, conn: Connection, key: Any) -> None:
        """When a DELETE deactivates the row (``deprovision="deactivate"``)."""
        ...

    def reactivate(self, conn: Connection, key: Any) -> None:
        """When a POST re-links a retired row."""
        ...


@attrs.define
class UserTable:
    """The application's user table and how SCIM Users map onto it.

    ``mapping`` places ``AppRecord.fields`` in columns of ``table`` and ``AppRecord.meta`` in
    ``storages`` (each meta key goes to the first storage that owns it). ``on_insert`` fills
    columns when a row is created (a constant or a function of the row's values), ``on_update``
    columns on every write. ``hidden_keys`` are app keys that are never SCIM resources.
    ``created`` names a column that gives ``meta.created`` for rows SCIM did not create.
    ``deprovision`` chooses what DELETE does: ``"delete"`` the row, or ``"deactivate"`` it
    (the mapping's ``active`` rule applied with ``active=false``; the resource is gone).
    """

    table: str
    key: str
    mapping: AttributeMapping
    storages: Sequence[Any] = ()
    on_insert: Mapping[str, ColumnValue] = attrs.field(factory=dict)
    on_update: Mapping[str, ColumnValue] = attrs.field(factory=dict)
    hidden_keys: Sequence[Any] = ()
    hooks: Any = None
    deprovision: Literal["delete", "deactivate"] = "delete"
    created: str | None = None
    resource_type: str = "User"

    def __attrs_post_init__(self) -> None:
        if self.deprovision not in ("delete", "deactivate"):
            raise ConfigurationError(
                f"deprovision must be 'delete' or 'deactivate', not {self.deprovision!r}"
            )

    def storage_for(self, key: str) -> Any:
        """The storage that keeps meta key ``key`` (None: no storage does)."""
        return next((s for s in self.storages if s.owns(key)), None)


#: How many ids ``TableStore.seen_id`` remembers before it starts again.
_SEEN_MAX = 200_000

#: SQLite engines given the setup below (once each).
_PREPARED: weakref.WeakSet[Any] = weakref.WeakSet()


def _python_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_setup(engine: Engine) -> None:
    """SQLite: Python's ``lower`` (Unicode, as the filter engine folds) and explicit BEGINs."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _python_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.info.get("scimcore_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: Any) -> Engine:
    """An Engine for an SQLAlchemy URL (``postgresql://`` uses psycopg 3 when psycopg2 lacks)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import Engine, make_url

    if isinstance(url, Engine):
        engine = url
    else:
        parsed = make_url(url)
        pg = parsed.drivername in ("postgresql", "postgres")
        if pg and importlib.util.find_spec("psycopg2") is None:
            parsed = parsed.set(drivername="postgresql+psycopg")
        mysql = parsed.get_backend_name() == "mysql"
        # MariaDB closes idle connections (wait_timeout): recycle them well before
        # every transaction ends in a COMMIT or ROLLBACK of its own: no reset round trip
        options: dict[str, Any] = {"pool_reset_on_return": None}
        if mysql:
            options["pool_recycle"] = 3600
        engine = create_engine(parsed, **options)
    if engine.dialect.name == "sqlite" and engine not in _PREPARED:
        _PREPARED.add(engine)
        _sqlite_setup(engine)
        engine.dispose()  # connections made before the setup would lack it
    return engine


class TableStore:
    """A SCIM store over the application's tables: every app row (minus hidden keys) is a User.

    ``url`` is an SQLAlchemy URL or Engine. The side and audit tables are created if missing on
    first use. SCIM ids are ``str(uuid5(namespace, f"{rt}:{key}"))``. Transactions implement
    :class:`~scimcore.store.Transaction` (and :class:`~scimcore.store.MemberDeltas` when
    ``groups`` is set) plus ``write_audit``.
    """

    def __init__(
        self,
        url: Any,
        *,
        users: UserTable,
        groups: GroupSource | None = None,
        side_table: str = "scim_resource",
        audit_table: str = "scim_audit",
        namespace: uuid.UUID = DEFAULT_NAMESPACE,
        unique: Mapping[str, Sequence[str]] = DEFAULT_UNIQUE,
    ) -> None:
        self.engine = make_engine(url)
        self.users = users
        self.groups = groups
        self.side_name = side_table
        self.audit_name = audit_table
        self.namespace = namespace
        self.unique = unique
        self._lock = threading.Lock()
        self._ready = False
        self.main: Table | None = None
        self.side: Table | None = None
        self.audit: Table | None = None
        self.ids: dict[str, dict[str, Any]] = {}
        """SCIM id -> app key per resource type, for rows that have no side row yet."""
        self.selects: dict[tuple[Any, ...], Any] = {}
        """The transactions' base SELECTs by shape (built once: the tables do not change)."""
        self._seen: dict[str, tuple[str, Any]] = {}
        """SCIM id -> (resource type, app key) of rows this process has read or written."""
        self.ci_columns: frozenset[str] = frozenset()

    @property
    def dialect(self) -> str:
        """``sqlite``, ``mysql`` (MariaDB too) or ``postgresql``."""
        return str(self.engine.dialect.name)

    def scim_id(self, rt: str, key: Any) -> str:
        """The SCIM id of app key ``key``."""
        return str(uuid.uuid5(self.namespace, f"{rt}:{key}"))

    def seen_id(self, rt: str, key: Any) -> str:
        """The SCIM id of a row just read or written, remembered so ``key_of`` needs no query."""
        id = self.scim_id(rt, key)
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        self._seen[id] = (rt, key)
        return id

    def seen_key(self, rt: str, id: str) -> Any:
        """The app key of an id :meth:`seen_id` gave (None: not remembered)."""
        hit = self._seen.get(id)
        return hit[1] if hit is not None and hit[0] == rt else None

    def prepare(self) -> None:
        """Reflect the app tables, prepare the storages, create the side and audit tables."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            from sqlalchemy import MetaData, Table

            from scimcore.store._tableside import audit_table, side_table

            meta = MetaData()
            with self.engine.begin() as conn:
                main = Table(self.users.table, meta, autoload_with=conn)
                if self.users.key not in main.c:
                    raise ConfigurationError(
                        f"{self.users.table} has no column {self.users.key!r} (the key)"
                    )
                for field in self.users.mapping.fields:
                    if field not in main.c:
                        raise ConfigurationError(
                            f"the mapping writes {self.users.table}.{field}, which does not exist"
                        )
                for storage in self.users.storages:
                    storage.prepare(conn, main)
                own = MetaData()
                self.side = side_table(self.side_name, own)
                self.audit = audit_table(self.audit_name, own)
                own.create_all(conn, checkfirst=True)
                for index in self.side.indexes:  # a side table made before an index was added
                    index.create(conn, checkfirst=True)
                if self.groups is not None:
                    self.groups.prepare(conn, main)
                self.ci_columns = self._case_insensitive(conn, main)
            self.main = main
            self._ready = True

    def _case_insensitive(self, conn: Connection, main: Table) -> frozenset[str]:
        """MariaDB/MySQL columns whose collation compares case-insensitively (``*_ci``)."""
        if self.dialect != "mysql":
            return frozenset()
        from sqlalchemy import text

        rows = conn.execute(
            text(
                "SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
            ),
            {"t": main.name},
        )
        return frozenset(str(n) for n, c in rows if c is not None and str(c).endswith("_ci"))

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[TableTransaction]:
        """One request's transaction: committed on a clean exit, rolled back on an exception."""
        from scimcore.store._tabletx import TableTransaction

        self.prepare()
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.info["scimcore_write"] = not readonly
            done = False
            try:
                with conn.begin():
                    tx = TableTransaction(self, conn, readonly=readonly)
                    try:
                        yield tx
                    finally:
                        tx.closed = True
                    done = True
            except BaseException:
                if done:
                    # the COMMIT failed: SQLAlchemy then issues no ROLLBACK, and the pool does
                    # not reset connections (pool_reset_on_return=None), so the connection could
                    # keep the open transaction for the next request (whose BEGIN commits it on
                    # MariaDB). Discard it: closing it rolls the transaction back.
                    conn.invalidate()
                raise

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()
