"""The Group half of a TableTransaction: groups and membership through a GroupSource.

A group's SCIM id is ``uuid5(namespace, "Group:<key>")``; its members are the SCIM ids of the
users in it (users hidden or retired are not listed). A member that is not a User of this
store is ``invalidValue``; nested groups are not kept. The version hashes the side counter and
the group without its members (every SCIM membership change moves the counter).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scimcore.errors import InvalidValue, NotFound, PreconditionFailed, ServerError, Uniqueness
from scimcore.store._base import (
    MemberDelta,
    Page,
    Query,
    Stored,
    get_attr,
    member_ids,
    version_tag,
)
from scimcore.store._search import page_in_memory
from scimcore.store._tableside import version_of

if TYPE_CHECKING:
    from scimcore.store._groups import GroupSource
    from scimcore.store._tabletx import TableTransaction

__all__ = ["GROUP", "GroupPart"]

GROUP = "Group"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
_OWN = frozenset(("id", "meta", "schemas", "externalid", "displayname", "members"))


class GroupPart:
    """Group reads and writes for one transaction (``tx`` gives the connection and side table)."""

    def __init__(self, tx: TableTransaction, source: GroupSource) -> None:
        self.tx = tx
        self.src = source
        self.conn = tx.conn

    # -- keys and ids ------------------------------------------------------------------------

    def key_of(self, id: str) -> Any:
        """The group key of SCIM id ``id``, or None."""
        from sqlalchemy import select

        try:
            parsed = uuid.UUID(id)
        except (ValueError, TypeError, AttributeError):
            return None
        if parsed.version != 5 or str(parsed) != id.lower():
            return None
        seen = self.tx.store.seen_key(GROUP, str(parsed))
        if seen is not None:  # ids are derived from keys: a key once seen needs no query
            return seen
        side = self.tx.side
        row = self.conn.execute(
            select(side.c.app_key, side.c.app_num)
            .where(side.c.scim_id == str(parsed))
            .where(side.c.rt == GROUP)
        ).first()
        if row is not None:
            return int(row.app_num) if row.app_num is not None else row.app_key
        known = self.tx.store.ids.setdefault(GROUP, {})
        if str(parsed) not in known:
            for key in self.src.names(self.conn):
                known.setdefault(self.tx.store.scim_id(GROUP, key), key)
        return known.get(str(parsed))

    def _user_keys(self, resource: Mapping[str, Any]) -> list[Any]:
        """The app keys of the members of ``resource``; invalidValue for a non-user."""
        out = []
        for position, value, _ in member_ids(resource):
            out.append(self._user_key(value, position))
        return list(dict.fromkeys(out))

    def _user_key(self, value: str | None, position: int) -> Any:
        key = self.tx.key_of(self.tx.users.resource_type, value) if value else None
        if key is None or not self.tx.is_user(key):
            raise InvalidValue(
                f"member {value!r} is not a User of this server", path=["members", position]
            )
        return key

    # -- reads -------------------------------------------------------------------------------

    def build(self, keys: Sequence[Any], *, exclude_members: bool) -> list[Stored]:
        """The groups with these keys (those that exist), in the order given."""
        names = self.src.names(self.conn, list(keys))
        present = [k for k in keys if k in names]
        sides = self.tx.sides(GROUP, present)
        members = {} if exclude_members else self.src.members(self.conn, present)
        gone = set() if exclude_members else self.tx.not_users()
        out = []
        for key in present:
            side = sides.get(key)
            blob: dict[str, Any] = {}
            if side is not None and side.data:
                loaded = json.loads(side.data)
                blob = loaded if isinstance(loaded, dict) else {}
            body: dict[str, Any] = {
                "schemas": [GROUP_URN],
                "id": self.tx.store.seen_id(GROUP, key),
                **blob,
                "displayName": names[key],
            }
            if side is not None and side.external_id:
                body["externalId"] = side.external_id
            version = version_of(int(side.version) if side is not None else 0, body)
            if not exclude_members:
                listed = [
                    {"value": self.tx.store.scim_id("User", u), "type": "User"}
                    for u in members.get(key, [])
                    if u not in gone
                ]
                if listed:
                    body["members"] = listed
            stamp: dict[str, Any] = {"resourceType": GROUP}
            if side is not None and side.created:
                stamp["created"] = side.created
            if side is not None and (side.last_modified or side.created):
                stamp["lastModified"] = side.last_modified or side.created
            stamp["version"] = version_tag(version)
            body["meta"] = stamp
            out.append(Stored(body, version))
        return out

    def get(self, id: str, *, exclude_members: bool) -> Stored | None:
        """One group, or None."""
        key = self.key_of(id)
        if key is None:
            return None
        found = self.build([key], exclude_members=exclude_members)
        return found[0] if found else None

    def search(self, query: Query) -> Page:
        """Every group, filtered, sorted and paged in memory (groups are few)."""
        keys = list(self.src.names(self.conn))
        need = not query.exclude_members or query.filter is not None
        found = self.build(keys, exclude_members=not need)
        rows = [(i, s.resource) for i, s in enumerate(found)]
        page, _ = page_in_memory(
            rows, query, resource_type=GROUP, registry=self.tx.mapping.registry
        )
        if query.exclude_members:
            for resource in page.resources:
                resource.pop("members", None)
        return page

    def find_by(self, attr: str, value: str) -> list[Stored]:
        """Groups whose ``attr`` equals ``value`` case-insensitively."""
        if attr.lower() == "displayname":
            key = self.src.find(self.conn, value)
            return [] if key is None else self.build([key], exclude_members=False)
        folded = value.lower()
        out = []
        for stored in self.build(list(self.src.names(self.conn)), exclude_members=False):
            found = get_attr(stored.resource, attr)
            if isinstance(found, str) and found.lower() == folded:
                out.append(stored)
        return out

    def groups_of(self, member_ids: Sequence[str]) -> dict[str, list[Stored]]:
        """The groups each user id is in (members not loaded)."""
        out: dict[str, list[Stored]] = {m: [] for m in member_ids}
        keys = {m: self.tx.key_of(self.tx.users.resource_type, m) for m in member_ids}
        wanted = [k for k in keys.values() if k is not None]
        if not wanted:
            return out
        by_user = self.src.groups_of(self.conn, wanted)
        group_keys = list(dict.fromkeys(g for gs in by_user.values() for g in gs))
        ids = {self.tx.store.scim_id(GROUP, k): k for k in group_keys}
        built = {ids[s.id]: s for s in self.build(group_keys, exclude_members=True)}
        for member, key in keys.items():
            if key is None:
                continue
            out[member] = [built[g] for g in by_user.get(key, []) if g in built]
        return out

    def key_of_stored(self, stored: Stored) -> Any:
        return self.key_of(stored.id)

    # -- writes ------------------------------------------------------------------------------

    def _blob(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            json.dumps({k: v for k, v in resource.items() if k.lower() not in _OWN})
        )
        return out

    def _name(self, resource: Mapping[str, Any]) -> str:
        name = get_attr(resource, "displayName")
        if not isinstance(name, str) or not name:
            raise InvalidValue("a Group needs a displayName", path=["displayName"])
        return name

    def create(self, resource: Mapping[str, Any]) -> Stored:
        """A new group row, its memberships and its side row."""
        name = self._name(resource)
        if self.src.find(self.conn, name) is not None:
            raise Uniqueness(f"a group called {name!r} already exists")
        members = self._user_keys(resource)
        key = self.tx.savepoint(lambda: self.src.create(self.conn, name))
        if members:
            self.src.add_members(self.conn, key, members)
        self.tx.write_side(GROUP, key, resource, None, blob=self._blob(resource))
        built = self.build([key], exclude_members=False)
        if not built:
            raise ServerError(f"the new group {key!r} cannot be read back")
        return built[0]

    def _existing(self, id: str, expected_version: int | None) -> tuple[Any, Stored]:
        key = self.key_of(id)
        found = self.build([key], exclude_members=True) if key is not None else []
        if not found:
            raise NotFound(f"Group {id!r} not found")
        stored = found[0]
        if expected_version is not None and stored.version != expected_version:
            raise PreconditionFailed(
                f"Group {id!r} is at version {version_tag(stored.version)}, "
                f"not {version_tag(expected_version)}: fetch it again and retry"
            )
        return key, stored

    def _rename(self, key: Any, old: Stored, resource: Mapping[str, Any]) -> None:
        name = self._name(resource)
        if name == old.resource.get("displayName"):
            return
        other = self.src.find(self.conn, name)
        if other is not None and other != key:
            raise Uniqueness(f"a group called {name!r} already exists")
        self.tx.savepoint(lambda: self.src.rename(self.conn, key, name))

    def replace(self, id: str, resource: Mapping[str, Any], expected_version: int | None) -> Stored:
        """Rename, set the members (only the differences are written), update the side row."""
        key, old = self._existing(id, expected_version)
        self._rename(key, old, resource)
        wanted = self._user_keys(resource)
        have = self.src.members(self.conn, [key]).get(key, [])
        gone = [u for u in have if u not in set(wanted)]
        new = [u for u in wanted if u not in set(have)]
        if gone:
            self.src.remove_members(self.conn, key, gone)
        if new:
            self.src.add_members(self.conn, key, new)
        side = self.tx.sides(GROUP, [key]).get(key)
        self.tx.write_side(GROUP, key, resource, side, blob=self._blob(resource))
        return self.build([key], exclude_members=False)[0]

    def update_group(
        self,
        id: str,
        resource: Mapping[str, Any],
        delta: MemberDelta,
        expected_version: int | None,
    ) -> Stored:
        """Attributes other than members, and only the membership rows ``delta`` names."""
        key, old = self._existing(id, expected_version)
        self._rename(key, old, resource)
        if delta.clear:
            have = self.src.members(self.conn, [key]).get(key, [])
            if have:
                self.src.remove_members(self.conn, key, have)
        removed = [self.tx.key_of(self.tx.users.resource_type, m) for m in delta.removed]
        removed = [k for k in removed if k is not None]
        if removed:
            self.src.remove_members(self.conn, key, removed)
        added = [
            self._user_key(e.get("value") if isinstance(e.get("value"), str) else None, i)
            for i, e in enumerate(delta.added)
        ]
        if added:
            self.src.add_members(self.conn, key, list(dict.fromkeys(added)))
        side = self.tx.sides(GROUP, [key]).get(key)
        plain = {k: v for k, v in resource.items() if k.lower() != "members"}
        self.tx.write_side(GROUP, key, plain, side, blob=self._blob(plain))
        return self.build([key], exclude_members=True)[0]

    def delete(self, id: str, expected_version: int | None) -> None:
        """The group row and its memberships, and the side row."""
        key, _ = self._existing(id, expected_version)
        self.src.delete(self.conn, key)
        self.tx.drop_side(GROUP, key)

    def member_count(self, id: str) -> int:
        """How many users the group lists."""
        key = self.key_of(id)
        if key is None:
            return 0
        gone = self.tx.not_users()
        return len([u for u in self.src.members(self.conn, [key]).get(key, []) if u not in gone])

    def members_among(self, id: str, values: Sequence[str]) -> dict[str, str]:
        """Which ``values`` (compared lower-cased) are member ids of the group."""
        key = self.key_of(id)
        if key is None:
            return {}
        wanted = {v.lower() for v in values}
        gone = self.tx.not_users()
        out: dict[str, str] = {}
        for user in self.src.members(self.conn, [key]).get(key, []):
            member = self.tx.store.scim_id("User", user)
            if user not in gone and member in wanted:
                out[member] = member
        return out

    def remove_member(self, member_id: str, last_modified: str | None) -> list[str]:
        """Take a user out of every group; each group changed gets a new version."""
        user = self.tx.key_of(self.tx.users.resource_type, member_id)
        if user is None:
            return []
        keys = self.src.groups_of(self.conn, [user]).get(user, [])
        out = []
        for stored in self.build(keys, exclude_members=True):
            key = self.key_of(stored.id)
            self.src.remove_members(self.conn, key, [user])
            side = self.tx.sides(GROUP, [key]).get(key)
            meta = dict(stored.resource.get("meta") or {})
            if last_modified is not None:
                meta["lastModified"] = last_modified
            kept = {**stored.resource, "meta": meta}
            self.tx.write_side(GROUP, key, kept, side, blob=self._blob(kept))
            out.append(stored.id)
        return out
