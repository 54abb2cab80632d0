"""Groups in the application's tables: the GroupSource protocol and TableGroups (two tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.schema import Table

__all__ = ["GroupSource", "TableGroups"]


@runtime_checkable
class GroupSource(Protocol):
    """Where the application keeps groups (or roles) and who is in them.

    Keys are app keys (int or str); members are user keys of the store's user table.
    """

    def prepare(self, conn: Connection, users: Table) -> None:
        """Reflect the tables (once, before the first transaction)."""
        ...

    def names(self, conn: Connection, keys: Sequence[Any] | None = None) -> dict[Any, str]:
        """Group key -> displayName for ``keys`` (None: every group), in key order."""
        ...

    def find(self, conn: Connection, name: str) -> Any | None:
        """The key of the group called ``name`` (case-insensitively), or None."""
        ...

    def create(self, conn: Connection, name: str) -> Any:
        """Create a group; returns its key."""
        ...

    def rename(self, conn: Connection, key: Any, name: str) -> None:
        """Change a group's displayName."""
        ...

    def delete(self, conn: Connection, key: Any) -> None:
        """Delete a group and its memberships."""
        ...

    def members(self, conn: Connection, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Group key -> its members' user keys."""
        ...

    def groups_of(self, conn: Connection, user_keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """User key -> the keys of the groups it is in."""
        ...

    def add_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Add users to a group (ones already in it are left as they are)."""
        ...

    def remove_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Remove users from a group."""
        ...


@attrs.define
class TableGroups:
    """Groups in a table (``key``, ``name``) and membership in another (user, group) table.

    Django's layout: ``TableGroups("auth_group", "id", "name", "auth_user_groups", "user_id",
    "group_id")``.
    """

    table: str
    key: str = "id"
    name: str = "name"
    membership: str = "user_groups"
    member_user: str = "user_id"
    member_group: str = "group_id"
    _groups: Table | None = attrs.field(default=None, init=False, repr=False)
    _members: Table | None = attrs.field(default=None, init=False, repr=False)

    def prepare(self, conn: Connection, users: Table) -> None:
        """Reflect the group and membership tables."""
        from sqlalchemy import MetaData, Table

        meta = MetaData()
        self._groups = Table(self.table, meta, autoload_with=conn)
        self._members = Table(self.membership, meta, autoload_with=conn)

    def _tables(self) -> tuple[Table, Table]:
        if self._groups is None or self._members is None:
            raise RuntimeError(f"TableGroups({self.table!r}) used before prepare()")
        return self._groups, self._members

    def names(self, conn: Connection, keys: Sequence[Any] | None = None) -> dict[Any, str]:
        """Key -> name, in key order."""
        from sqlalchemy import select

        groups, _ = self._tables()
        query = select(groups.c[self.key], groups.c[self.name]).order_by(groups.c[self.key])
        if keys is not None:
            if not keys:
                return {}
            query = query.where(groups.c[self.key].in_(list(keys)))
        return {k: str(n) for k, n in conn.execute(query)}

    def find(self, conn: Connection, name: str) -> Any | None:
        """The group called ``name``, compared after lower-casing."""
        from sqlalchemy import func, select

        groups, _ = self._tables()
        rows = conn.execute(
            select(groups.c[self.key], groups.c[self.name])
            .where(func.lower(groups.c[self.name]) == name.lower())
            .order_by(groups.c[self.key])
        ).all()
        for key, found in rows:
            if str(found).lower() == name.lower():
                return key
        return None

    def create(self, conn: Connection, name: str) -> Any:
        """Insert a group row."""
        groups, _ = self._tables()
        result = conn.execute(groups.insert().values({self.name: name}))
        key = result.inserted_primary_key
        assert key is not None
        return key[0]

    def rename(self, conn: Connection, key: Any, name: str) -> None:
        """Update the name."""
        groups, _ = self._tables()
        conn.execute(groups.update().where(groups.c[self.key] == key).values({self.name: name}))

    def delete(self, conn: Connection, key: Any) -> None:
        """Delete the memberships, then the group."""
        groups, members = self._tables()
        conn.execute(members.delete().where(members.c[self.member_group] == key))
        conn.execute(groups.delete().where(groups.c[self.key] == key))

    def members(self, conn: Connection, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Group key -> user keys (in membership row order)."""
        from sqlalchemy import select

        _, members = self._tables()
        out: dict[Any, list[Any]] = {k: [] for k in keys}
        if not keys:
            return out
        order = list(members.primary_key.columns) or [members.c[self.member_user]]
        rows = conn.execute(
            select(members.c[self.member_group], members.c[self.member_user])
            .where(members.c[self.member_group].in_(list(keys)))
            .order_by(*order)
        )
        for group, user in rows:
            if user not in out.setdefault(group, []):
                out[group].append(user)
        return out

    def groups_of(self, conn: Connection, user_keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """User key -> group keys."""
        from sqlalchemy import select

        _, members = self._tables()
        out: dict[Any, list[Any]] = {k: [] for k in user_keys}
        if not user_keys:
            return out
        rows = conn.execute(
            select(members.c[self.member_user], members.c[self.member_group])
            .where(members.c[self.member_user].in_(list(user_keys)))
            .order_by(members.c[self.member_group])
        )
        for user, group in rows:
            if group not in out.setdefault(user, []):
                out[user].append(group)
        return out

    def add_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Insert the membership rows that are missing."""
        from sqlalchemy import select

        _, members = self._tables()
        wanted = list(dict.fromkeys(user_keys))
        if not wanted:
            return
        have = set(
            conn.execute(
                select(members.c[self.member_user])
                .where(members.c[self.member_group] == key)
                .where(members.c[self.member_user].in_(wanted))
            ).scalars()
        )
        rows = [{self.member_group: key, self.member_user: u} for u in wanted if u not in have]
        if rows:
            conn.execute(members.insert(), rows)

    def remove_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Delete the membership rows."""
        _, members = self._tables()
        if not user_keys:
            return
        conn.execute(
            members.delete()
            .where(members.c[self.member_group] == key)
            .where(members.c[self.member_user].in_(list(user_keys)))
        )
