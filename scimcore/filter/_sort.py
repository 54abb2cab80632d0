"""Sorting (RFC 7644 §3.4.2.3) and paging (§3.4.2.4) of resources held in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from scimcore.errors import InvalidFilter, InvalidValue
from scimcore.filter._evaluate import _get, parse_datetime
from scimcore.schema import DEFAULT_REGISTRY, Attribute, ResourceType, SchemaRegistry

DEFAULT_COUNT = 100
"""Page size when the request gives no ``count``."""
MAX_COUNT = 1000
"""Largest page served; a bigger ``count`` is clamped to it (RFC 7644 §3.4.2.4)."""

_R = TypeVar("_R", bound=Mapping[str, Any])
_MISSING: tuple[int, int, Any] = (1, 0, 0)


def _pick(value: Any, multi: bool) -> Any:
    """The value to sort by: for a multi-valued attribute the primary one, else the first."""
    if not multi or type(value) is not list:
        return value
    for el in value:
        if isinstance(el, Mapping) and el.get("primary") is True:
            return el
    return value[0] if value else None


def _sort_key(value: Any, attr: Attribute) -> tuple[int, int, Any]:
    """(missing?, type rank, comparable value): missing values sort after every present one."""
    if value is None or value == "" or value == [] or value == {}:
        return _MISSING
    kind = attr.type
    if kind == "dateTime":
        when = parse_datetime(value)
        return _MISSING if when is None else (0, 0, when)
    if kind == "boolean":
        return (0, 0, value) if isinstance(value, bool) else _MISSING
    if isinstance(value, bool):
        return (0, 1, value)
    if isinstance(value, int | float):
        return (0, 2, value)
    if isinstance(value, str):
        return (0, 3, value if attr.case_exact or kind == "binary" else value.lower())
    return _MISSING


def sort_resources(
    resources: Iterable[_R],
    sort_by: str,
    sort_order: str | None = "ascending",
    *,
    resource_type: ResourceType | str = "User",
    registry: SchemaRegistry = DEFAULT_REGISTRY,
) -> list[_R]:
    """Sort resources by the attribute ``sort_by``, honouring its type and caseExact.

    Strings sort case-insensitively unless caseExact, dateTimes as instants, numbers numerically.
    A multi-valued attribute sorts by its primary value, else its first; a complex one by its
    ``value`` sub-attribute. Resources without a value come last in either order; ties keep
    their input order. Raises InvalidFilter for an unknown attribute and InvalidValue for a
    ``sort_order`` other than ascending or descending.
    """
    order = (sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue(f"sortOrder {sort_order!r} must be 'ascending' or 'descending'")
    ref = registry.resolve(sort_by, resource_type)
    if ref is None or ref.attribute is None:
        name = resource_type if isinstance(resource_type, str) else resource_type.name
        raise InvalidFilter(f"sortBy {sort_by!r} is not an attribute of {name}")
    attr = ref.attribute
    sub = ref.sub_attribute
    target = sub or attr
    keys = [(k, k.lower()) for k in ref.keys]
    value_sub: str | None = None
    if target.is_complex:
        inner = target.sub_attribute("value")
        if inner is None:
            raise InvalidFilter(f"sortBy {sort_by!r} is complex; sort by one of its sub-attributes")
        value_sub, target = inner.name, inner
    head = keys if sub is None else keys[:-1]

    def key(resource: _R) -> tuple[int, int, Any]:
        value: Any = resource
        for k, low in head:
            value = _get(value, k, low)
            if value is None:
                return _MISSING
        value = _pick(value, attr.multi_valued)
        if sub is not None:
            value = _get(value, sub.name, sub.name.lower())
            value = _pick(value, sub.multi_valued)
        if value_sub is not None:
            value = _get(value, value_sub, value_sub.lower())
        return _sort_key(value, target)

    keyed = [(key(r), i, r) for i, r in enumerate(resources)]
    present = [item for item in keyed if item[0][0] == 0]
    missing = [item for item in keyed if item[0][0] != 0]
    # reverse=True keeps equal keys in their input order, so ties are stable either way
    present.sort(key=lambda item: item[0], reverse=order == "descending")
    return [r for _, _, r in present] + [r for _, _, r in missing]


@attrs.frozen(slots=True)
class PageBounds:
    """A page request made valid: 1-based ``start_index``, ``count`` (0 = totals only)."""

    start_index: int
    count: int

    @property
    def offset(self) -> int:
        """The 0-based offset of the first resource of the page (SQL ``OFFSET``)."""
        return self.start_index - 1

    def slice(self, resources: Sequence[_R]) -> list[_R]:
        """The page of ``resources`` (already filtered and sorted)."""
        return list(resources[self.offset : self.offset + self.count])


def _as_int(value: int | str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"{name} must be an integer, not {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidValue(f"{name} must be an integer, not {value!r}") from None


def page_bounds(
    start_index: int | str | None = None,
    count: int | str | None = None,
    *,
    default_count: int = DEFAULT_COUNT,
    max_count: int = MAX_COUNT,
) -> PageBounds:
    """Clamp ``startIndex`` and ``count`` as RFC 7644 §3.4.2.4 says.

    ``startIndex`` below 1 is read as 1; a negative ``count`` as 0 (a page of no resources that
    still reports ``totalResults``); a missing ``count`` is ``default_count``; a ``count`` above
    ``max_count`` is clamped to it. Query-string values may be given as strings; anything that
    is not an integer is InvalidValue.
    """
    start = _as_int(start_index, "startIndex")
    size = _as_int(count, "count")
    start = 1 if start is None or start < 1 else start
    size = min(default_count, max_count) if size is None else max(0, min(size, max_count))
    return PageBounds(start, size)


@attrs.frozen(slots=True)
class Paged:
    """One page of a result: what a ListResponse reports (RFC 7644 §3.4.2)."""

    resources: list[Any]
    total_results: int
    start_index: int
    items_per_page: int


def paginate(
    resources: Sequence[Any],
    start_index: int | str | None = None,
    count: int | str | None = None,
    *,
    default_count: int = DEFAULT_COUNT,
    max_count: int = MAX_COUNT,
) -> Paged:
    """Cut one page out of filtered, sorted ``resources``, with ``totalResults`` and friends.

    ``total_results`` counts every resource, not just this page; ``items_per_page`` is the size
    of the page returned (0 for ``count=0``, which asks for the total only).
    """
    bounds = page_bounds(start_index, count, default_count=default_count, max_count=max_count)
    page = bounds.slice(resources)
    return Paged(page, len(resources), bounds.start_index, len(page))
