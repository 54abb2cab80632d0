"""PATCH algebra as hypothesis properties: idempotence, add/remove inverse, atomicity, validity."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scimcore import (
    DEFAULT_REGISTRY,
    ENTERPRISE_USER_URN,
    ScimError,
    apply_patch,
    patch_resource,
    validate_resource,
)
from scimcore.schema import ENTERPRISE_USER_SCHEMA, USER_SCHEMA, Attribute
from scimcore.testing.strategies import attribute_values, groups, users

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WRITABLE: list[tuple[str, Attribute]] = [
    (a.name, a)
    for a in USER_SCHEMA.attributes
    if a.mutability in ("readWrite", "writeOnly") and not a.required
] + [(f"{ENTERPRISE_USER_URN}:{a.name}", a) for a in ENTERPRISE_USER_SCHEMA.attributes]


def body(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def _tidy(resource: dict[str, Any]) -> dict[str, Any]:
    """Generated resources may carry empty extension objects, which mean "absent" (§2.5)."""
    ext = resource.get(ENTERPRISE_USER_URN)
    if ext == {}:
        del resource[ENTERPRISE_USER_URN]
        resource["schemas"] = [s for s in resource["schemas"] if s != ENTERPRISE_USER_URN]
    return resource


@st.composite
def attribute_ops(draw: st.DrawFn, op: str | None = None) -> dict[str, Any]:
    path, attr = draw(st.sampled_from(_WRITABLE))
    value = draw(attribute_values(attr, "create"))
    name = op or draw(st.sampled_from(["add", "replace", "remove"]))
    if name == "remove":
        return {"op": "remove", "path": path}
    if draw(st.booleans()):
        return {"op": name, "path": path, "value": value}
    if path.startswith("urn:"):
        return {"op": name, "value": {ENTERPRISE_USER_URN: {attr.name: value}}}
    return {"op": name, "value": {path: value}}


_BAD_OPS = st.sampled_from(
    [
        {"op": "replace", "path": "id", "value": "someone-else"},
        {"op": "remove"},
        {"op": "add", "path": "nosuch", "value": "x"},
        {"op": "add", "path": 'emails[type eq "work"', "value": "x"},
        {"op": "replace", "path": "active", "value": "perhaps"},
        {"op": "remove", "path": "userName"},
        {"op": "frobnicate", "path": "nickName", "value": "x"},
        {"op": "add", "path": "emails", "value": {"not": "a list"}},
    ]
)


@SETTINGS
@given(users(context="response"), attribute_ops(op="replace"))
def test_replace_is_idempotent(resource: dict[str, Any], op: dict[str, Any]) -> None:
    # A blank userName is no valid User (RFC 7643 §4.1.1): the strategy may still produce one.
    assume(str(resource.get("userName", "x")).strip() != "")
    once = apply_patch(resource, body(op))
    again = patch_resource(once, body(op))
    assert again.resource == once
    assert again.changed is False


@SETTINGS
@given(groups(context="response"), st.text(min_size=1, max_size=12), st.booleans())
def test_adding_then_removing_a_member_restores_the_group(
    group: dict[str, Any], member_id: str, with_display: bool
) -> None:
    assume(
        all(m.get("value", "").casefold() != member_id.casefold() for m in group.get("members", []))
    )
    member = {"value": member_id, "display": "Someone"} if with_display else {"value": member_id}
    added = apply_patch(group, body({"op": "add", "path": "members", "value": [member]}))
    assert member in added["members"]
    path = "members[value eq " + json.dumps(member_id) + "]"
    restored = apply_patch(added, body({"op": "remove", "path": path}))
    assert restored == group


@SETTINGS
@given(users(context="response"), st.data())
def test_adding_then_removing_an_absent_attribute_restores_the_user(
    resource: dict[str, Any], data: st.DataObject
) -> None:
    resource = _tidy(resource)
    path, attr = data.draw(st.sampled_from(_WRITABLE))
    key = path.rpartition(":")[2]
    holder = resource.get(ENTERPRISE_USER_URN, {}) if path.startswith("urn:") else resource
    assume(key not in holder)
    value = data.draw(attribute_values(attr, "create"))
    added = apply_patch(resource, body({"op": "add", "path": path, "value": value}))
    restored = apply_patch(added, body({"op": "remove", "path": path}))
    assert restored == resource


@SETTINGS
@given(
    users(context="response"),
    st.lists(attribute_ops(), max_size=6),
    _BAD_OPS,
    st.data(),
)
def test_a_failure_anywhere_leaves_the_input_byte_for_byte_unchanged(
    resource: dict[str, Any], ops: list[dict[str, Any]], bad: dict[str, Any], data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(ops)))
    ops = [*ops[:at], bad, *ops[at:]]
    before = json.dumps(resource, sort_keys=True)
    strict = data.draw(st.booleans())
    try:
        apply_patch(resource, body(*ops), strict=strict)
    except ScimError as exc:
        assert exc.status == 400
        assert exc.path is not None and exc.path[0] == "Operations"
        assert isinstance(exc.path[1], int) and exc.path[1] <= at
    else:
        raise AssertionError("the bad operation must fail")
    assert json.dumps(resource, sort_keys=True) == before


@SETTINGS
@given(users(context="response"), st.lists(attribute_ops(), min_size=1, max_size=8), st.booleans())
def test_the_result_always_validates(
    resource: dict[str, Any], ops: list[dict[str, Any]], strict: bool
) -> None:
    before = json.dumps(resource, sort_keys=True)
    try:
        result = patch_resource(resource, body(*ops), strict=strict)
    except ScimError as exc:
        assert exc.status == 400  # refused as a whole, with a 4xx and never a crash
        assert json.dumps(resource, sort_keys=True) == before
        return
    for context in ("replace", "response"):
        validate_resource(
            result.resource,
            resource_type="User",
            registry=DEFAULT_REGISTRY,
            context=context,
            enforce_canonical_values=False,
        )
    assert result.changed == (result.resource != resource)
    assert json.dumps(resource, sort_keys=True) == before


_PATHS = st.sampled_from(
    [
        None,
        "emails",
        'emails[type eq "work"]',
        'emails[type eq "work"].value',
        "emails[primary eq true].value",
        "emails.value",
        "name",
        "name.givenName",
        "members",
        'members[value eq "x"].display',
        ENTERPRISE_USER_URN,
        f"{ENTERPRISE_USER_URN}:manager",
        "manager.value",
        "active",
        "id",
        "meta",
        "groups",
        "schemas",
        'addresses[type eq "work" and primary eq true].streetAddress',
        'emails[not (type eq "work")]',
        "phoneNumbers[value pr]",
    ]
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["True", "False", "work"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "value",
                    "type",
                    "primary",
                    "display",
                    "givenName",
                    "$ref",
                    "active",
                    "name.givenName",
                ]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)
_ANY_OPS = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "Add", "Replace", "merge"])},
    optional={"path": _PATHS, "value": _JSON},
)


@SETTINGS
@given(
    st.one_of(users(context="response"), groups(context="response")),
    st.lists(_ANY_OPS, min_size=1, max_size=4),
    st.booleans(),
)
def test_arbitrary_operations_succeed_or_fail_with_a_400(
    resource: dict[str, Any], ops: list[dict[str, Any]], strict: bool
) -> None:
    before = json.dumps(resource, sort_keys=True)
    try:
        apply_patch(resource, body(*ops), strict=strict)
    except ScimError as exc:
        assert exc.status == 400 and exc.scim_type is not None
    assert json.dumps(resource, sort_keys=True) == before
