"""MemoryStore: the in-memory reference store (one lock, an undo log for rollback)."""

from __future__ import annotations

import copy
import marshal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

from scimcore.errors import InvalidValue, NotFound, PreconditionFailed, ServerError, Uniqueness
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry
from scimcore.store._base import (
    DEFAULT_UNIQUE,
    MemberDelta,
    Page,
    Query,
    Stored,
    get_attr,
    member_ids,
    member_values,
    unique_value,
    version_tag,
    with_version,
)
from scimcore.store._search import check_filter, page_in_memory


def _copy(value: Any) -> Any:
    """A deep copy of a stored resource: ``marshal`` copies JSON data in C (several times faster
    than ``copy.deepcopy``); anything it can't take is deep-copied as before."""
    try:
        return marshal.loads(marshal.dumps(value))
    except (ValueError, TypeError):
        return copy.deepcopy(value)


__all__ = ["MemoryStore"]


@attrs.define
class _Entry:
    seq: int
    version: int
    resource: dict[str, Any]
    members_index: dict[str, str] | None = attrs.field(default=None, eq=False)
    """A group's member ids by ``str.lower`` (built when first asked for, then carried over)."""


def _member_index(entry: _Entry) -> dict[str, str]:
    """The group's member ids by ``str.lower`` (the first spelling of each)."""
    if entry.members_index is None:
        index: dict[str, str] = {}
        for _, member, _ in member_values(entry.resource):
            if member is not None:
                index.setdefault(member.lower(), member)
        entry.members_index = index
    return entry.members_index


def _first(row: tuple[int, Any]) -> int:
    return row[0]


def _without_members(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) for k, v in resource.items() if k != "members"}


class MemoryStore:
    """The reference store: everything in dicts, transactions serialised by one lock.

    ``unique`` names the attributes kept unique per resource type (compared case-insensitively);
    ``unique_group_display_name=True`` adds Group ``displayName``.
    """

    def __init__(
        self,
        *,
        registry: SchemaRegistry = DEFAULT_REGISTRY,
        unique: Mapping[str, Sequence[str]] = DEFAULT_UNIQUE,
        unique_group_display_name: bool = False,
    ) -> None:
        self.registry = registry
        keys = {rt: tuple(attrs_) for rt, attrs_ in unique.items()}
        if unique_group_display_name:
            keys["Group"] = (*keys.get("Group", ()), "displayName")
        self._unique = keys
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, _Entry]] = {}
        self._index: dict[tuple[str, str], dict[str, str]] = {}
        self._members: dict[str, set[str]] = {}
        self._seq = 0

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[_MemoryTransaction]:
        """A transaction holding the store's lock; undone on an exception."""
        with self._lock:
            tx = _MemoryTransaction(self, readonly)
            try:
                yield tx
            except BaseException:
                tx.rollback()
                raise
            finally:
                tx.closed = True

    def close(self) -> None:
        """Nothing to release."""

    def __len__(self) -> int:
        return sum(len(v) for v in self._data.values())


class _MemoryTransaction:
    def __init__(self, store: MemoryStore, readonly: bool) -> None:
        self._s = store
        self._readonly = readonly
        self._undo: list[Callable[[], None]] = []
        self.closed = False

    # -- bookkeeping ---------------------------------------------------------------------------

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def _writable(self) -> None:
        if self.closed:
            raise ServerError("this transaction has ended")
        if self._readonly:
            raise ServerError("a read-only transaction cannot write")

    def _table(self, rt: str) -> dict[str, _Entry]:
        return self._s._data.setdefault(rt, {})

    def _put(self, rt: str, id: str, entry: _Entry | None) -> None:
        table = self._table(rt)
        old = table.get(id)
        if entry is None:
            table.pop(id, None)
        else:
            table[id] = entry
        self._reindex(rt, id, old, entry)

        def undo() -> None:
            current = table.get(id)
            if old is None:
                table.pop(id, None)
            else:
                table[id] = old
            self._reindex(rt, id, current, old)

        self._undo.append(undo)

    def _reindex(self, rt: str, id: str, old: _Entry | None, new: _Entry | None) -> None:
        self._reindex_unique(rt, id, old, new)
        self._reindex_members(rt, id, old, new)

    def _reindex_unique(self, rt: str, id: str, old: _Entry | None, new: _Entry | None) -> None:
        for attr in self._s._unique.get(rt, ()):
            index = self._s._index.setdefault((rt, attr), {})
            if old is not None:
                key = unique_value(old.resource, attr)
                if key is not None and index.get(key) == id:
                    del index[key]
            if new is not None:
                key = unique_value(new.resource, attr)
                if key is not None:
                    index[key] = id

    def _reindex_members(self, rt: str, id: str, old: _Entry | None, new: _Entry | None) -> None:
        if rt == "Group":
            if old is not None:
                for _, member, _ in member_values(old.resource):
                    if member is not None:
                        holders = self._s._members.get(member)
                        if holders is not None:
                            holders.discard(id)
            if new is not None:
                for _, member, _ in member_values(new.resource):
                    if member is not None:
                        self._s._members.setdefault(member, set()).add(id)

    def _check_unique(self, rt: str, id: str, resource: Mapping[str, Any]) -> None:
        for attr in self._s._unique.get(rt, ()):
            key = unique_value(resource, attr)
            if key is None:
                continue
            holder = self._s._index.get((rt, attr), {}).get(key)
            if holder is not None and holder != id:
                raise Uniqueness(
                    f"{attr} {get_attr(resource, attr)!r} is already taken by another {rt}"
                    " (compared case-insensitively)"
                )

    @staticmethod
    def _stored(entry: _Entry, exclude_members: bool = False) -> Stored:
        if exclude_members:
            return Stored(_without_members(entry.resource), entry.version)
        return Stored(_copy(entry.resource), entry.version)

    def _existing(self, rt: str, id: str, expected_version: int | None) -> _Entry:
        entry = self._table(rt).get(id)
        if entry is None:
            raise NotFound(f"{rt} {id!r} not found")
        if expected_version is not None and entry.version != expected_version:
            raise PreconditionFailed(
                f"{rt} {id!r} is at version {version_tag(entry.version)}, "
                f"not {version_tag(expected_version)}: fetch it again and retry"
            )
        return entry

    # -- the Transaction protocol --------------------------------------------------------------

    def get(
        self, rt: str, id: str, *, exclude_members: bool = False, for_update: bool = False
    ) -> Stored | None:
        entry = self._table(rt).get(id)
        return None if entry is None else self._stored(entry, exclude_members)

    def create(self, rt: str, resource: Mapping[str, Any]) -> Stored:
        self._writable()
        id = resource.get("id")
        if not isinstance(id, str) or not id:
            raise ServerError("a resource must carry its id before it is stored")
        if id in self._table(rt):
            raise Uniqueness(f"{rt} id {id!r} is already taken")
        self._check_unique(rt, id, resource)
        self._check_references(rt, resource)
        self._s._seq += 1
        entry = _Entry(self._s._seq, 1, _copy(with_version(resource, 1)))
        self._put(rt, id, entry)
        return self._stored(entry)

    def replace(
        self,
        rt: str,
        id: str,
        resource: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Stored:
        self._writable()
        old = self._existing(rt, id, expected_version)
        self._check_unique(rt, id, resource)
        self._check_references(rt, resource)
        version = old.version + 1
        data = _copy(with_version({**resource, "id": id}, version))
        entry = _Entry(old.seq, version, data)
        self._put(rt, id, entry)
        return self._stored(entry)

    # -- member deltas (scimcore.store.MemberDeltas) ---------------------------------------------

    def member_count(self, group_id: str) -> int:
        entry = self._table("Group").get(group_id)
        members = get_attr(entry.resource, "members") if entry is not None else None
        return len(members) if isinstance(members, list) else 0

    def members_among(self, group_id: str, values: Sequence[str]) -> dict[str, str]:
        entry = self._table("Group").get(group_id)
        out: dict[str, str] = {}
        if entry is None:
            return out
        index = _member_index(entry)
        for value in values:
            low = value.lower()
            member = index.get(low)
            if member is not None:
                out[low] = member
        return out

    def update_group(
        self,
        id: str,
        resource: Mapping[str, Any],
        delta: MemberDelta,
        *,
        expected_version: int | None = None,
    ) -> Stored:
        """The group's attributes replaced, ``delta`` applied to its members: the work is the
        size of the delta (the members that stay are shared with the previous version, which
        is never changed in place; only the added ones are checked and indexed)."""
        self._writable()
        old = self._existing("Group", id, expected_version)
        current = get_attr(old.resource, "members")
        members: list[Any] = current if isinstance(current, list) and not delta.clear else []
        gone = set(delta.removed)
        kept = [m for m in members if m.get("value") not in gone] if gone else list(members)
        added = [_copy(dict(a)) for a in delta.added]
        full = {k: v for k, v in resource.items() if k.lower() != "members"}
        self._check_unique("Group", id, full)
        self._check_references("Group", {"members": added})
        version = old.version + 1
        data = _copy(with_version({**full, "id": id}, version))
        if kept or added:
            data["members"] = kept + added
        entry = _Entry(old.seq, version, data)
        dropped = (
            [m.get("value") for m in current if isinstance(m, Mapping)]
            if delta.clear and isinstance(current, list)
            else list(gone)
        )
        now = {v for v in (a.get("value") for a in added) if isinstance(v, str)}
        self._put_group(id, old, entry, {v for v in dropped if isinstance(v, str)} | now, now)
        index = old.members_index
        if index is not None and not delta.clear and len(index) == len(members):
            # one member per lower-cased id: carried over, changed by the delta only
            index = dict(index)
            for value in gone:
                if index.get(value.lower()) == value:
                    del index[value.lower()]
            for value in now:
                index.setdefault(value.lower(), value)
            if len(index) == len(data.get("members", ())):
                entry.members_index = index
        return Stored(_without_members(data), version)

    def _put_group(
        self, id: str, old: _Entry, new: _Entry, touched: set[str], now: set[str]
    ) -> None:
        """:meth:`_put` of a group whose members changed only for the ``touched`` ids (of
        which those in ``now`` are members of ``new``)."""
        table = self._table("Group")
        members = self._s._members
        before = {m: id in members.get(m, ()) for m in touched}
        table[id] = new
        self._reindex_unique("Group", id, old, new)
        for member in touched:
            if member in now:
                members.setdefault(member, set()).add(id)
            elif member in members:
                members[member].discard(id)

        def undo() -> None:
            table[id] = old
            self._reindex_unique("Group", id, new, old)
            for member, held in before.items():
                if held:
                    members.setdefault(member, set()).add(id)
                elif member in members:
                    members[member].discard(id)

        self._undo.append(undo)

    def delete(self, rt: str, id: str, *, expected_version: int | None = None) -> None:
        self._writable()
        self._existing(rt, id, expected_version)
        self._put(rt, id, None)
        self._cascade(rt, id)

    def _check_references(self, rt: str, resource: Mapping[str, Any]) -> None:
        """A member typed ``User``/``Group`` must exist (as the SQL stores' foreign keys say)."""
        if rt != "Group":
            return
        for position, member, element in member_ids(resource):
            kind = str(element.get("type", "")).lower()
            if kind in ("user", "group") and member not in self._table(kind.capitalize()):
                raise InvalidValue(
                    f"member {member!r} is not a {element.get('type')} on this server"
                    " (it does not exist, or was deleted meanwhile)",
                    path=["members", position, "value"],
                )

    def _cascade(self, rt: str, id: str) -> None:
        """Drop a deleted resource from the groups listing it with its type (``ON DELETE
        CASCADE``: the group's version stays; the service's ``remove_member`` bumps it)."""
        if rt not in ("User", "Group"):
            return
        table = self._table("Group")
        for gid in sorted(self._s._members.get(id, set())):
            entry = table.get(gid)
            if entry is None:
                continue
            resource = _copy(entry.resource)
            kept = [
                m
                for _, mid, m in member_ids(resource)
                if not (mid == id and str(m.get("type", "")).lower() == rt.lower())
            ]
            if len(kept) == len(resource.get("members") or ()):
                continue
            resource["members"] = kept
            self._put(
                "Group",
                gid,
                _Entry(entry.seq, entry.version, with_version(resource, entry.version)),
            )

    def search(self, rt: str, query: Query) -> Page:
        check_filter(query, rt)
        # insertion order is seq order, except after a rolled-back delete re-inserted an entry
        rows = sorted(((e.seq, e.resource) for e in self._table(rt).values()), key=_first)
        page, _ = page_in_memory(rows, query, resource_type=rt, registry=self._s.registry)
        if query.exclude_members:
            resources = [_without_members(r) for r in page.resources]
        else:
            resources = [_copy(r) for r in page.resources]
        return attrs.evolve(page, resources=resources)

    def find_by(self, rt: str, attr: str, value: str) -> list[Stored]:
        index = self._s._index.get((rt, attr)) if attr in self._s._unique.get(rt, ()) else None
        if index is not None:
            id = index.get(value.lower())
            entry = None if id is None else self._table(rt).get(id)
            return [] if entry is None else [self._stored(entry)]
        folded = value.lower()
        return [
            self._stored(e)
            for e in sorted(self._table(rt).values(), key=lambda e: e.seq)
            if isinstance(v := get_attr(e.resource, attr), str) and v.lower() == folded
        ]

    def groups_with_member(self, member_id: str) -> list[Stored]:
        table = self._table("Group")
        ids = self._s._members.get(member_id, set())
        entries = sorted((table[i] for i in ids if i in table), key=lambda e: e.seq)
        return [self._stored(e, exclude_members=True) for e in entries]

    def groups_with_members(self, member_ids: Sequence[str]) -> dict[str, list[Stored]]:
        return {m: self.groups_with_member(m) for m in dict.fromkeys(member_ids)}

    def remove_member(self, member_id: str, *, last_modified: str | None = None) -> list[str]:
        self._writable()
        table = self._table("Group")
        changed = sorted(
            (table[i] for i in self._s._members.get(member_id, set()) if i in table),
            key=lambda e: e.seq,
        )
        out = []
        for old in changed:
            resource = _copy(old.resource)
            resource["members"] = [m for _, mid, m in member_ids(resource) if mid != member_id]
            if last_modified is not None:
                resource.setdefault("meta", {})["lastModified"] = last_modified
            version = old.version + 1
            gid = str(resource["id"])
            self._put("Group", gid, _Entry(old.seq, version, with_version(resource, version)))
            out.append(gid)
        return out
