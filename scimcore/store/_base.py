"""The storage contract: the Store and Transaction protocols and the values that cross them."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from scimcore.errors import InvalidCursor

__all__ = [
    "DEFAULT_UNIQUE",
    "FilterLike",
    "MemberDelta",
    "MemberDeltas",
    "Page",
    "Query",
    "Store",
    "Stored",
    "Transaction",
    "version_tag",
]

#: Attributes kept unique per resource type, compared case-insensitively (``str.lower``).
#: ``userName`` is ``uniqueness: server`` in RFC 7643 §4.1; group ``displayName`` is opt-in.
DEFAULT_UNIQUE: Mapping[str, tuple[str, ...]] = {"User": ("userName",)}


@runtime_checkable
class FilterLike(Protocol):
    """Anything that can test a resource: a parsed :class:`scimcore.filter.Filter` in practice."""

    def matches(self, resource: Mapping[str, Any]) -> bool:
        """Whether the resource satisfies the filter."""
        ...


def version_tag(version: int) -> str:
    """The ``meta.version`` string for an integer version: a weak entity tag, ``W/"3"``."""
    return f'W/"{version}"'


@attrs.frozen
class Stored:
    """One resource as the store holds it: the full SCIM JSON and its integer version."""

    resource: dict[str, Any]
    version: int

    @property
    def id(self) -> str:
        """The resource's ``id``."""
        return str(self.resource["id"])

    @property
    def etag(self) -> str:
        """The weak entity tag derived from the version (the same string as ``meta.version``)."""
        return version_tag(self.version)


@attrs.frozen
class Query:
    """What a list or search asks for (RFC 7644 §3.4.2, RFC 9865 cursors).

    ``start_index`` is 1-based (values below 1 count as 1); ``count=None`` means no limit and
    ``count=0`` asks for the total only. ``cursor`` switches to cursor paging: ``""`` asks for
    the first page, any other value must be a ``next_cursor``/``previous_cursor`` this store gave.
    ``exclude_members`` lets a Group search skip loading members altogether.
    """

    filter: FilterLike | None = None
    sort_by: str | None = None
    sort_order: Literal["ascending", "descending"] = "ascending"
    start_index: int = 1
    count: int | None = None
    cursor: str | None = None
    exclude_members: bool = False


@attrs.frozen
class Page:
    """One page of results: the resources, the total matching, and the cursors (RFC 9865)."""

    resources: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    start_index: int = 1


class Transaction(Protocol):
    """Reads and writes inside one transaction; see :meth:`Store.transaction`."""

    def get(
        self, rt: str, id: str, *, exclude_members: bool = False, for_update: bool = False
    ) -> Stored | None:
        """The resource of type ``rt`` with this id, or None.

        ``for_update=True`` locks the row until the transaction ends (read-modify-write, as
        PATCH does, then never loses a concurrent update nor fails it spuriously).
        """
        ...

    def create(self, rt: str, resource: Mapping[str, Any]) -> Stored:
        """Store a new resource (it carries its ``id``); its version is 1.

        Raises Uniqueness when a unique attribute (``userName``, compared case-insensitively)
        or the id is already taken.
        """
        ...

    def replace(
        self,
        rt: str,
        id: str,
        resource: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Stored:
        """Overwrite a resource; the version check is part of the write.

        Raises NotFound when the resource is gone, PreconditionFailed when ``expected_version``
        is given and differs from the stored one, Uniqueness on a taken unique attribute.
        """
        ...

    def delete(self, rt: str, id: str, *, expected_version: int | None = None) -> None:
        """Delete a resource (NotFound when gone, PreconditionFailed on a version mismatch)."""
        ...

    def search(self, rt: str, query: Query) -> Page:
        """Filter, sort and page the resources of type ``rt``."""
        ...

    def find_by(self, rt: str, attr: str, value: str) -> list[Stored]:
        """Resources whose top-level attribute ``attr`` equals ``value`` case-insensitively."""
        ...

    def groups_with_member(self, member_id: str) -> list[Stored]:
        """The groups listing ``member_id`` among their members (members not loaded)."""
        ...

    def groups_with_members(self, member_ids: Sequence[str]) -> dict[str, list[Stored]]:
        """:meth:`groups_with_member` for many ids at once (one query for a page of users)."""
        ...

    def remove_member(self, member_id: str, *, last_modified: str | None = None) -> list[str]:
        """Remove ``member_id`` from every group; returns the ids of the groups changed.

        Each changed group gets a new version (and ``meta.lastModified`` when given).
        """
        ...


@attrs.frozen
class MemberDelta:
    """A change to a group's members, applied in this order: ``clear`` drops every member,
    ``removed`` drops the members with these ids (exactly as stored), ``added`` appends these
    elements (each with its ``value``, and ``type``/``$ref``/``display`` as the server set them)
    after the members that stay."""

    added: tuple[Mapping[str, Any], ...] = ()
    removed: tuple[str, ...] = ()
    clear: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.clear)

    def apply(self, members: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The member list after this delta (the reference the stores' row changes agree with)."""
        gone = set(self.removed)
        kept = [] if self.clear else [dict(m) for m in members if m.get("value") not in gone]
        return [*kept, *(dict(a) for a in self.added)]


@runtime_checkable
class MemberDeltas(Protocol):
    """What a transaction offers to change a group's members without rewriting them all.

    Optional: the service uses it when the transaction has it (the SQLite, PostgreSQL and
    memory stores), and otherwise loads the group whole and :meth:`Transaction.replace` s it.
    """

    def member_count(self, group_id: str) -> int:
        """How many members the group has (0 when it does not exist)."""
        ...

    def members_among(self, group_id: str, values: Sequence[str]) -> dict[str, str]:
        """Which of ``values`` are members of the group, compared after ``str.lower``.

        Maps the lower-cased value to the member id as stored.
        """
        ...

    def update_group(
        self,
        id: str,
        resource: Mapping[str, Any],
        delta: MemberDelta,
        *,
        expected_version: int | None = None,
    ) -> Stored:
        """Overwrite a group's attributes other than ``members`` (``resource`` has none) and apply
        ``delta`` to its members, touching only the member rows it names; checks as
        :meth:`Transaction.replace` does. The Stored returned carries no ``members``.
        """
        ...


class Store(Protocol):
    """A SCIM resource store: every request runs in one :meth:`transaction`."""

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """A transaction: committed when the block exits cleanly, rolled back on an exception.

        ``readonly=True`` is a hint that lets a store take a shared snapshot instead of a
        write lock; writing inside a read-only transaction is not allowed.
        """
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


# --- helpers shared by the implementations -------------------------------------------------


def encode_cursor(data: Mapping[str, Any]) -> str:
    """Make an opaque cursor (URL-safe, no padding) from a small JSON object."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Read a cursor made by :func:`encode_cursor`; InvalidCursor when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor(f"cursor {cursor!r} was not issued by this server") from None
    if not isinstance(data, dict):
        raise InvalidCursor(f"cursor {cursor!r} was not issued by this server")
    return data


def cursor_position(cursor: str) -> tuple[str, int]:
    """Split a cursor into its kind and value.

    The kinds are ``"after"`` (keyset on insertion order) and ``"offset"`` (for sorted lists).
    """
    if cursor == "":
        return "offset", 0
    data = decode_cursor(cursor)
    for kind in ("after", "offset"):
        value = data.get(kind)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return kind, value
    raise InvalidCursor(f"cursor {cursor!r} was not issued by this server")


def unique_value(resource: Mapping[str, Any], attr: str) -> str | None:
    """The case-folded value of a unique top-level attribute (name matched case-insensitively)."""
    value = get_attr(resource, attr)
    return value.lower() if isinstance(value, str) else None


def get_attr(resource: Mapping[str, Any], attr: str) -> Any:
    """A top-level attribute's value, its name matched case-insensitively."""
    if attr in resource:
        return resource[attr]
    folded = attr.lower()
    for key, value in resource.items():
        if key.lower() == folded:
            return value
    return None


def member_values(
    resource: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, Mapping[str, Any]]]:
    """The ``members`` of a group as (position, member id, element), the elements as they are
    (for reading only)."""
    members = get_attr(resource, "members")
    if not isinstance(members, list):
        return
    for position, element in enumerate(members):
        if isinstance(element, Mapping):
            value = element.get("value")
            yield position, value if isinstance(value, str) else None, element


def member_ids(resource: Mapping[str, Any]) -> Iterator[tuple[int, str | None, dict[str, Any]]]:
    """The ``members`` of a group as (position, member id, a copy of the element)."""
    for position, value, element in member_values(resource):
        yield position, value, dict(element)


def with_version(resource: Mapping[str, Any], version: int) -> dict[str, Any]:
    """A copy of the resource with ``meta.version`` set and empty ``members`` dropped."""
    out = dict(resource)
    meta = out.get("meta")
    out["meta"] = (
        {**meta, "version": version_tag(version)}
        if isinstance(meta, Mapping)
        else {"version": version_tag(version)}
    )
    for key in [k for k in out if k.lower() == "members"]:
        if key != "members":
            out["members"] = out.pop(key)
    if out.get("members") == []:
        del out["members"]
    return out


def clamp_index(start_index: int, count: int | None) -> tuple[int, int | None]:
    """RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a negative count is 0."""
    return max(1, start_index), None if count is None else max(0, count)


def unique_keys(rt: str, unique: Mapping[str, Sequence[str]] = DEFAULT_UNIQUE) -> tuple[str, ...]:
    """The unique attributes configured for a resource type."""
    return tuple(unique.get(rt, ()))
