"""Group PATCHes as a member delta: which values a request adds and removes, members unread.

A PATCH that changes a big group's members must not cost the size of the group. When every
operation on ``members`` has one of the shapes IdPs send, the request is planned here into a
list of steps (add these values, remove these values, drop every member) and the operations
on other attributes; the service then asks the store only about the values named and writes
only the rows that change (:class:`scimcore.store.MemberDeltas`). Anything else (a filter other
than ``value eq``, a sub-attribute path, a value that is not ASCII, an operation the engine
would refuse) plans to None, and the service takes the general path, which loads the group
whole, so every error and every unusual shape keeps its one implementation.

Values compare as ``str.lower`` does; for ASCII values (the only ones planned) that is what the
PATCH engine's ``value eq`` filters and its equality of elements (``str.casefold``) agree on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from scimcore.dialects import DEFAULT_DIALECTS
from scimcore.errors import ScimError
from scimcore.patch._engine import _eq_values
from scimcore.patch._paths import resolve_path
from scimcore.patch._request import MISSING, Operation, parse_request
from scimcore.patch._values import check_value
from scimcore.schema import PATCH_OP_URN, ResourceType, SchemaRegistry


@attrs.frozen(slots=True)
class MemberStep:
    """One step on the member set: add or remove these values, or drop every member."""

    kind: Literal["add", "remove", "clear"]
    values: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class MemberPlan:
    """A Group PATCH split in member steps and a PatchOp body of the other operations."""

    steps: tuple[MemberStep, ...]
    rest: dict[str, Any] | None


def plan_member_patch(
    request: Mapping[str, Any],
    rt: ResourceType,
    registry: SchemaRegistry,
    *,
    max_operations: int,
) -> MemberPlan | None:
    """Plan a Group PATCH as member steps, or None when it takes the general path."""
    dialects = tuple(DEFAULT_DIALECTS)
    try:
        operations = parse_request(request, dialects, max_operations=max_operations)
        steps: list[MemberStep] = []
        rest: list[Operation] = []
        for operation in operations:
            planned = _plan_one(operation, rt, registry, dialects)
            if planned is None:
                return None
            if planned == "rest":
                rest.append(operation)
            else:
                steps.extend(planned)
    except ScimError:
        return None
    if not all(v.isascii() for step in steps for v in step.values):
        return None
    body = None
    if rest:
        body = {"schemas": [PATCH_OP_URN], "Operations": [_raw(o) for o in rest]}
    return MemberPlan(tuple(steps), body)


def _raw(operation: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"op": operation.op}
    if operation.path is not None:
        out["path"] = operation.path
    if operation.value is not MISSING:
        out["value"] = operation.value
    return out


def _plan_one(
    operation: Operation, rt: ResourceType, registry: SchemaRegistry, dialects: Sequence[Any]
) -> list[MemberStep] | Literal["rest"] | None:
    if operation.path is None:
        value = operation.value
        if not isinstance(value, Mapping):
            return None
        for key in value:
            ref = registry.resolve(str(key), rt)
            attr = ref.attribute if ref is not None else None
            if ref is None or (ref.core and attr is not None and _is_members(attr)):
                return None
        return "rest"
    target = resolve_path(operation.path, rt, registry)
    attr = target.attribute
    if attr is None or not (target.core and _is_members(attr)):
        return "rest"
    if target.sub is not None:
        return None
    where: list[str | int] = ["Operations", operation.index, "value"]
    has_value = operation.value is not MISSING and operation.value is not None
    if target.matcher is not None:
        value_sub = attr.sub_attribute("value")
        selected = _eq_values(target.node, value_sub) if operation.op == "remove" else None
        if selected is None:
            return None
        return [MemberStep("remove", tuple(selected))]
    if operation.op == "remove":
        if not has_value:
            return [MemberStep("clear")]
        if not any(d.value_list_removal for d in dialects):
            return None
        raw = operation.value if isinstance(operation.value, list) else [operation.value]
        checked = check_value(attr, raw, dialects, where)
        values = _values(checked)
        return None if values is None else [MemberStep("remove", values)]
    checked = check_value(attr, operation.value, dialects, where)
    values = _values(checked)
    if values is None:
        return None
    add = [MemberStep("add", values)] if values else []
    return [MemberStep("clear"), *add] if operation.op == "replace" else add


def _values(checked: Any) -> tuple[str, ...] | None:
    """The member ids of checked elements (None when one has no string ``value``)."""
    if checked is None:
        return ()
    out: list[str] = []
    for element in checked:
        value = element.get("value") if isinstance(element, Mapping) else None
        if not isinstance(value, str) or not value:
            return None
        out.append(value)
    return tuple(out)


def _is_members(attr: Any) -> bool:
    return bool(attr.multi_valued and attr.type == "complex" and attr.name.lower() == "members")
