"""Resource storage: the Store protocol and its in-memory, SQLite and PostgreSQL implementations.

Every request runs in one transaction (``with store.transaction() as tx:``), committed when the
block exits cleanly and rolled back on an exception. Writes carry their version check, so two
concurrent writers never lose an update, and unique attributes (``userName``, compared
case-insensitively) are enforced by the store itself, so a race of identical creates yields one
success and one :class:`~scimcore.errors.Uniqueness`.

The application store (:class:`TableStore`, its :class:`UserTable`, :class:`TableGroups` and
the attached storages) keeps resources in an application's own tables through SQLAlchemy; those
names load lazily, so importing this package does not import SQLAlchemy.
"""

from scimcore._lazy import lazy_exports
from scimcore.store._base import (
    DEFAULT_UNIQUE,
    FilterLike,
    MemberDelta,
    MemberDeltas,
    Page,
    Query,
    Store,
    Stored,
    Transaction,
    version_tag,
)
from scimcore.store._memory import MemoryStore
from scimcore.store._postgres import PostgresStore
from scimcore.store._sqlite import SqliteStore

_LAZY = {
    "AppHooks": "scimcore.store._table",
    "EavStorage": "scimcore.store._eav",
    "FieldTableStorage": "scimcore.store._fields",
    "GroupSource": "scimcore.store._groups",
    "MetaStorage": "scimcore.store._meta",
    "RowStorage": "scimcore.store._rows",
    "TableGroups": "scimcore.store._groups",
    "TableStore": "scimcore.store._table",
    "UserTable": "scimcore.store._table",
}

__all__ = [
    "DEFAULT_UNIQUE",
    "AppHooks",
    "EavStorage",
    "FieldTableStorage",
    "FilterLike",
    "GroupSource",
    "MemberDelta",
    "MemberDeltas",
    "MemoryStore",
    "MetaStorage",
    "Page",
    "PostgresStore",
    "Query",
    "RowStorage",
    "SqliteStore",
    "Store",
    "Stored",
    "TableGroups",
    "TableStore",
    "Transaction",
    "UserTable",
    "version_tag",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
