"""The PatchOp message (RFC 7644 §3.5.2): shape checks and one value per operation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from scimcore.dialects import Dialect
from scimcore.errors import InvalidSyntax, TooMany
from scimcore.schema import PATCH_OP_URN

OpName = Literal["add", "remove", "replace"]
_OP_NAMES: dict[str, OpName] = {"add": "add", "remove": "remove", "replace": "replace"}

MISSING: Any = object()
"""The ``value`` of an operation that carries none."""

MAX_OPERATIONS = 1000
"""Default limit on operations in one PATCH; more is refused with ``tooMany``."""


@attrs.frozen(slots=True)
class Operation:
    """One PATCH operation, its name checked and its index kept for error messages."""

    index: int
    op: OpName
    path: str | None
    value: Any = MISSING


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """Look a message key up case-insensitively (PatchOp is a SCIM schema: RFC 7643 §2.1)."""
    if name in obj:
        return obj[name]
    low = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == low:
            return value
    return MISSING


def parse_request(
    request: Mapping[str, Any],
    dialects: Sequence[Dialect],
    *,
    max_operations: int = MAX_OPERATIONS,
) -> list[Operation]:
    """Check a PatchOp body and return its operations; InvalidSyntax or TooMany when wrong."""
    if not isinstance(request, Mapping):
        raise InvalidSyntax("a PATCH body must be a JSON object (a PatchOp message)")
    schemas = _get(request, "schemas")
    if schemas is MISSING:
        if not any(d.missing_schemas for d in dialects):
            raise InvalidSyntax(
                f'a PATCH body needs "schemas": ["{PATCH_OP_URN}"]', path=["schemas"]
            )
    elif not isinstance(schemas, list) or not any(
        isinstance(s, str) and s.lower() == PATCH_OP_URN.lower() for s in schemas
    ):
        raise InvalidSyntax(f'"schemas" must list "{PATCH_OP_URN}"', path=["schemas"])
    ops = _get(request, "Operations")
    if ops is MISSING or not isinstance(ops, list):
        raise InvalidSyntax('a PATCH body needs an "Operations" list', path=["Operations"])
    if not ops:
        raise InvalidSyntax('"Operations" must hold at least one operation', path=["Operations"])
    if len(ops) > max_operations:
        raise TooMany(
            f"this PATCH has {len(ops)} operations; at most {max_operations} are accepted in one "
            "request, so split it",
            path=["Operations"],
        )
    return [_operation(i, raw, dialects) for i, raw in enumerate(ops)]


def _operation(index: int, raw: Any, dialects: Sequence[Dialect]) -> Operation:
    where: list[str | int] = ["Operations", index]
    if not isinstance(raw, Mapping):
        raise InvalidSyntax(f"operation {index} must be an object", path=where)
    name = _get(raw, "op")
    if not isinstance(name, str):
        raise InvalidSyntax(
            f'operation {index} needs "op": "add", "remove" or "replace"', path=[*where, "op"]
        )
    op = _OP_NAMES.get(name)
    if op is None:
        for d in dialects:
            mapped = d.op_name(name)
            if mapped is not None:
                op = _OP_NAMES.get(mapped)
                break
    if op is None:
        raise InvalidSyntax(
            f'operation {index}: unknown op {name!r}; use "add", "remove" or "replace"',
            path=[*where, "op"],
        )
    path = _get(raw, "path")
    if path is MISSING or path is None:
        path = None
    elif not isinstance(path, str):
        raise InvalidSyntax(f'operation {index}: "path" must be a string', path=[*where, "path"])
    value = _get(raw, "value")
    if op != "remove" and value is MISSING:
        raise InvalidSyntax(f'operation {index}: "{op}" needs a "value"', path=[*where, "value"])
    return Operation(index=index, op=op, path=path, value=value)
