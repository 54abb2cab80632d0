"""Bulk helpers (RFC 7644 §3.7): bulkId references, dependency order and cycle detection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_PREFIX = "bulkid:"


def references(value: Any) -> set[str]:
    """Every ``bulkId:X`` named in a path or a data value (``X`` returned)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            for part in item.split("/"):
                if part[: len(_PREFIX)].lower() == _PREFIX and len(part) > len(_PREFIX):
                    found.add(part[len(_PREFIX) :])
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def substitute(value: Any, ids: Mapping[str, str]) -> Any:
    """Replace each ``bulkId:X`` (a whole string, or a path segment) by the id created for X."""
    if isinstance(value, str):
        parts = value.split("/")
        out = []
        for part in parts:
            key = part[len(_PREFIX) :] if part[: len(_PREFIX)].lower() == _PREFIX else None
            out.append(ids[key] if key is not None and key in ids else part)
        return "/".join(out)
    if isinstance(value, Mapping):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def processing_order(
    bulk_ids: Sequence[str | None], refs: Sequence[set[str]]
) -> tuple[list[int], set[int]]:
    """Order operations so each runs after the operations whose bulkIds it references.

    Returns the order (request order wherever dependencies allow) and the indexes caught in a
    circular reference, which cannot run. References to bulkIds no operation defines are not
    dependencies here; they fail when the operation runs.
    """
    defined = {b: i for i, b in enumerate(bulk_ids) if b is not None}
    deps = [
        {defined[r] for r in rs if r in defined and defined[r] != i} for i, rs in enumerate(refs)
    ]
    self_ref = {i for i, rs in enumerate(refs) if bulk_ids[i] is not None and bulk_ids[i] in rs}
    done: set[int] = set()
    order: list[int] = []
    pending = [i for i in range(len(refs)) if i not in self_ref]
    progress = True
    while pending and progress:
        progress = False
        for i in list(pending):
            if deps[i] <= done:
                order.append(i)
                done.add(i)
                pending.remove(i)
                progress = True
                break
    return order, set(pending) | self_ref
