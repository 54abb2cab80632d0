"""List and search parameters (query string or SearchRequest body) and the ListResponse body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from scimcore.errors import InvalidCount, InvalidSyntax, InvalidValue, TooMany
from scimcore.schema import LIST_RESPONSE_URN, SEARCH_REQUEST_URN
from scimcore.service._boundary import MAX_INDEX, check_index


@attrs.frozen(slots=True)
class ListParams:
    """What a list or search asks for, validated and clamped to the server's limits."""

    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int = 1
    count: int = 100
    cursor: str | None = None
    attributes: tuple[str, ...] | None = None
    excluded_attributes: tuple[str, ...] | None = None

    @property
    def cursor_paging(self) -> bool:
        """True when the client asked for cursor paging (RFC 9865), even with an empty cursor."""
        return self.cursor is not None


def _split_list(value: Any, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise InvalidValue(f"{name} must be a comma-separated string or a list of strings")
    out = tuple(v for v in items if v)
    return out or None


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"{name} must be an integer, not {value!r}")
    if isinstance(value, int):
        return check_index(value, name)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:  # beyond any index, and int() of huge text is slow
            raise InvalidValue(f"{name} is out of range; it must be at most {MAX_INDEX}")
        try:
            number = int(text)
        except ValueError:
            pass
        else:
            return check_index(number, name)
    raise InvalidValue(f"{name} must be an integer, not {str(value)[:40]!r}")


def list_params(
    source: Mapping[str, Any],
    *,
    default_count: int,
    max_results: int,
    max_filter_length: int,
) -> ListParams:
    """Read list parameters from query parameters or a SearchRequest body (names in any case)."""
    lowered = {str(k).lower(): v for k, v in source.items()}
    flt = lowered.get("filter")
    if flt is not None and not isinstance(flt, str):
        raise InvalidValue("filter must be a string")
    if flt is not None and not flt.strip():
        flt = None
    if flt is not None and len(flt) > max_filter_length:
        raise TooMany(
            f"the filter is {len(flt)} characters long; this server accepts at most "
            f"{max_filter_length}"
        )
    sort_by = lowered.get("sortby")
    if sort_by is not None and not isinstance(sort_by, str):
        raise InvalidValue("sortBy must be a string")
    sort_order = lowered.get("sortorder")
    if sort_order is not None:
        if not isinstance(sort_order, str) or sort_order.lower() not in (
            "ascending",
            "descending",
        ):
            raise InvalidValue(f"sortOrder must be 'ascending' or 'descending', not {sort_order!r}")
        sort_order = sort_order.lower()
    start = _int(lowered.get("startindex"), "startIndex")
    count = _int(lowered.get("count"), "count")
    cursor = lowered.get("cursor")
    if cursor is not None:
        if not isinstance(cursor, str):
            raise InvalidValue("cursor must be a string")
        if start is not None:
            raise InvalidValue("use either startIndex or cursor paging, not both")
        if count is not None and count < 0:
            raise InvalidCount(f"count must not be negative with cursor paging, got {count}")
    attributes = _split_list(lowered.get("attributes"), "attributes")
    excluded = _split_list(lowered.get("excludedattributes"), "excludedAttributes")
    if count is None:
        count = default_count
    # RFC 7644 §3.4.2.4: values below 1 mean 1 for startIndex, negative counts mean 0, and a count
    # above the maximum is clamped to it.
    return ListParams(
        filter=flt,
        sort_by=sort_by or None,
        sort_order=sort_order,
        start_index=max(1, start or 1),
        count=min(max(0, count), max_results),
        cursor=cursor,
        attributes=attributes,
        excluded_attributes=excluded,
    )


def search_body_params(
    body: Mapping[str, Any], *, default_count: int, max_results: int, max_filter_length: int
) -> ListParams:
    """Read a ``POST …/.search`` SearchRequest body (RFC 7644 §3.4.3)."""
    schemas = body.get("schemas")
    if schemas is not None and (
        not isinstance(schemas, list)
        or SEARCH_REQUEST_URN.lower() not in {str(s).lower() for s in schemas}
    ):
        raise InvalidSyntax(f"a search request's schemas must contain {SEARCH_REQUEST_URN}")
    return list_params(
        body,
        default_count=default_count,
        max_results=max_results,
        max_filter_length=max_filter_length,
    )


def list_response(
    resources: Sequence[Mapping[str, Any]],
    *,
    total: int,
    start_index: int | None,
    next_cursor: str | None = None,
    previous_cursor: str | None = None,
) -> dict[str, Any]:
    """Build a ListResponse; ``start_index`` is None for cursor paging (RFC 9865)."""
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE_URN], "totalResults": total}
    body["itemsPerPage"] = len(resources)
    if start_index is not None:
        body["startIndex"] = start_index
    if next_cursor is not None:
        body["nextCursor"] = next_cursor
    if previous_cursor is not None:
        body["previousCursor"] = previous_cursor
    body["Resources"] = list(resources)
    return body
