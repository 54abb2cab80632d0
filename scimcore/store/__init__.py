"""Resource storage: the Store protocol and its in-memory, SQLite and PostgreSQL implementations.

Every request runs in one transaction (``with store.transaction() as tx:``), committed when the
block exits cleanly and rolled back on an exception. Writes carry their version check, so two
concurrent writers never lose an update, and unique attributes (``userName``, compared
case-insensitively) are enforced by the store itself, so a race of identical creates yields one
success and one :class:`~scimcore.errors.Uniqueness`.
"""

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

__all__ = [
    "DEFAULT_UNIQUE",
    "FilterLike",
    "MemberDelta",
    "MemberDeltas",
    "MemoryStore",
    "Page",
    "PostgresStore",
    "Query",
    "SqliteStore",
    "Store",
    "Stored",
    "Transaction",
    "version_tag",
]
