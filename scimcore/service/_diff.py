"""The changed-attribute diff recorded in the audit log, with secrets redacted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scimcore.schema import ResourceType, SchemaRegistry

REDACTED = "[redacted]"
_SKIP = frozenset(("id", "meta", "schemas"))


def _secret(path: str, rt: ResourceType, registry: SchemaRegistry) -> bool:
    ref = registry.resolve(path, rt)
    target = ref.target if ref is not None else None
    return target is not None and (target.returned == "never" or target.mutability == "writeOnly")


def _entry(path: str, old: Any, new: Any, rt: ResourceType, reg: SchemaRegistry) -> dict[str, Any]:
    if _secret(path, rt, reg):
        return {
            "old": None if old is None else REDACTED,
            "new": None if new is None else REDACTED,
        }
    return {"old": old, "new": new}


def changed_attributes(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    resource_type: ResourceType,
    registry: SchemaRegistry,
) -> dict[str, dict[str, Any]]:
    """Map each attribute whose value differs between ``old`` and ``new`` to its two values.

    Extension attributes are keyed ``urn:…:name``; ``id``, ``meta`` and ``schemas`` are left out;
    writeOnly and ``returned: never`` values (passwords) appear only as ``"[redacted]"``.
    """
    before = old or {}
    after = new or {}
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(after), key=str.lower):
        if key in _SKIP:
            continue
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if (
            key.lower().startswith("urn:")
            and isinstance(a or {}, Mapping)
            and isinstance(b or {}, Mapping)
        ):
            sub_a: Mapping[str, Any] = a or {}
            sub_b: Mapping[str, Any] = b or {}
            for sub in sorted(set(sub_a) | set(sub_b), key=str.lower):
                if sub_a.get(sub) != sub_b.get(sub):
                    path = f"{key}:{sub}"
                    out[path] = _entry(
                        path, sub_a.get(sub), sub_b.get(sub), resource_type, registry
                    )
            continue
        out[key] = _entry(key, a, b, resource_type, registry)
    return out
