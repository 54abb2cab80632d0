"""Filtering, sorting and paging in memory: the reference semantics every store must match."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from scimcore.errors import InvalidCursor, ScimError
from scimcore.filter import Filter
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry
from scimcore.store._base import (
    FilterLike,
    Page,
    Query,
    clamp_index,
    cursor_position,
    encode_cursor,
)

__all__ = ["check_filter", "page_in_memory", "sort_key"]


def check_filter(query: Query, rt: str) -> None:
    """Raise InvalidFilter now when the query's filter cannot apply to ``rt``.

    Every store checks first, so an invalid filter fails the same way whether or not any
    resource (or SQL candidate) would have reached the in-memory evaluation.
    """
    if isinstance(query.filter, Filter):
        query.filter.predicate(rt)


def _test(flt: FilterLike, resource_type: str) -> Callable[[Mapping[str, Any]], bool]:
    """The filter's compiled predicate for the endpoint's resource type (no per-row dispatch)."""
    if not isinstance(flt, Filter):
        return flt.matches
    try:
        return flt.predicate(resource_type)
    except ScimError:  # a type the filter's registry lacks: let each resource's schemas decide
        return flt.matches


def _sort_value(resource: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    """The value a resource sorts by: the primary (or first) value of a multi-valued attribute."""
    current: Any = resource
    for part in parts:
        if isinstance(current, list):
            current = _primary(current)
        if not isinstance(current, Mapping):
            return None
        folded = part.lower()
        current = next((v for k, v in current.items() if k.lower() == folded), None)
    if isinstance(current, list):
        current = _primary(current)
        if isinstance(current, Mapping):
            current = current.get("value")
    return current


def _primary(values: list[Any]) -> Any:
    for element in values:
        if isinstance(element, Mapping) and element.get("primary") is True:
            return element
    return values[0] if values else None


def _split(path: str) -> tuple[str, ...]:
    """Split ``urn:...:User:name.givenName`` into the extension key and the attribute parts."""
    if ":" in path:
        urn, _, rest = path.rpartition(":")
        return (urn, *rest.split("."))
    return tuple(path.split("."))


def sort_key(
    sort_by: str,
    *,
    resource_type: str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    """A key function: (0, value) for resources with a value, (1, None) for those without.

    Strings compare case-insensitively unless the attribute is ``caseExact`` (RFC 7644 §3.4.2.3).
    """
    case_exact = False
    parts = _split(sort_by)
    try:
        ref = registry.resolve(sort_by, resource_type)
    except ScimError:  # an unknown resource type: fall back to case-insensitive strings
        ref = None
    if ref is not None and ref.target is not None:
        parts = ref.keys
        target = ref.target
        if target.sub_attribute("value") is not None and target.is_complex:
            value_attr = target.sub_attribute("value")
            case_exact = bool(value_attr and value_attr.case_exact)
        else:
            case_exact = target.case_exact

    def key(resource: Mapping[str, Any]) -> tuple[int, Any]:
        value = _sort_value(resource, parts)
        if value is None or isinstance(value, Mapping | list):
            return (1, "")
        if isinstance(value, str):
            return (0, (0, value if case_exact else value.lower()))
        if isinstance(value, bool):
            return (0, (1, int(value)))
        if isinstance(value, int | float):
            return (0, (1, value))
        return (1, "")

    return key


def page_in_memory(
    rows: Iterable[tuple[int, dict[str, Any]]],
    query: Query,
    *,
    resource_type: str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    prefiltered: bool = False,
) -> tuple[Page, list[int]]:
    """Filter, sort and page ``(seq, resource)`` rows given in insertion order.

    Returns the page and the sequence numbers of its resources (so a caller can load members).
    ``prefiltered`` skips ``query.filter`` (the rows were already filtered exactly).
    """
    flt = query.filter
    if prefiltered or flt is None:
        matched = list(rows)
    else:
        test = _test(flt, resource_type)
        matched = [row for row in rows if test(row[1])]
    if query.sort_by:
        key = sort_key(query.sort_by, resource_type=resource_type, registry=registry)
        descending = query.sort_order == "descending"
        with_value = [r for r in matched if key(r[1])[0] == 0]
        without = [r for r in matched if key(r[1])[0] != 0]
        with_value.sort(key=lambda r: key(r[1])[1], reverse=descending)
        matched = with_value + without
    total = len(matched)
    start, count = clamp_index(query.start_index, query.count)
    if query.cursor is None:
        chosen = matched[start - 1 :] if count is None else matched[start - 1 : start - 1 + count]
        return Page([r[1] for r in chosen], total, start_index=start), [r[0] for r in chosen]
    return _cursor_page(matched, query, count, total)


def _cursor_page(
    matched: list[tuple[int, dict[str, Any]]], query: Query, count: int | None, total: int
) -> tuple[Page, list[int]]:
    """RFC 9865 paging: keyset on insertion order when unsorted, an offset when sorted."""
    assert query.cursor is not None
    kind, value = cursor_position(query.cursor)
    if query.sort_by:
        if kind != "offset":
            raise InvalidCursor("this cursor belongs to an unsorted listing")
        offset = value
    else:
        if kind == "after":
            offset = next((i for i, r in enumerate(matched) if r[0] > value), len(matched))
        else:
            offset = value
    chosen = matched[offset:] if count is None else matched[offset : offset + count]
    more = offset + len(chosen) < len(matched)
    next_cursor: str | None = None
    if more and chosen:
        if query.sort_by:
            next_cursor = encode_cursor({"offset": offset + len(chosen)})
        else:
            next_cursor = encode_cursor({"after": chosen[-1][0]})
    previous_cursor: str | None = None
    if offset > 0 and query.sort_by and count:
        previous_cursor = encode_cursor({"offset": max(0, offset - count)})
    page = Page(
        [r[1] for r in chosen],
        total,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        start_index=1,  # cursor pages do not track their position (RFC 9865 has no startIndex)
    )
    return page, [r[0] for r in chosen]
