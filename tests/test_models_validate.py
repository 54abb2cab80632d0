"""Schema-driven validation: generated resources pass, mutated ones fail with error and path.

The compiled validator (``validate_resource``) and the generated JSON Schema checked by
``jsonschema`` must agree: both accept every generated resource, and on each mutation both raise
the same error class with the same JSON path.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimcore import (
    DEFAULT_REGISTRY,
    ENTERPRISE_USER_URN,
    USER_URN,
    InvalidSyntax,
    InvalidValue,
    ScimError,
    validate_resource,
)
from scimcore.models import json_schema, json_schema_errors, validate_with_json_schema
from scimcore.schema import SchemaRegistry
from scimcore.testing import ACME_EXTENSION_URN, acme_registry, groups, invalid_resources, users

ACME = acme_registry()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _both(
    data: Any, rt: str, registry: SchemaRegistry = DEFAULT_REGISTRY, context: Any = "create"
) -> tuple[ScimError | None, ScimError | None]:
    fast = slow = None
    try:
        validate_resource(data, resource_type=rt, registry=registry, context=context)
    except ScimError as exc:
        fast = exc
    try:
        validate_with_json_schema(data, resource_type=rt, registry=registry, context=context)
    except ScimError as exc:
        slow = exc
    return fast, slow


def _assert_rejected(
    data: Any, rt: str, cls: type[ScimError], path: list[Any], registry: SchemaRegistry = ACME
) -> None:
    fast, slow = _both(data, rt, registry)
    for err in (fast, slow):
        assert err is not None, f"accepted: {data!r}"
        assert type(err) is cls, repr(err)
        assert list(err.path or ()) == path, repr(err)


@SETTINGS
@given(st.one_of(users(registry=ACME), users()))
def test_generated_users_are_valid_and_unchanged(user: dict[str, Any]) -> None:
    assert validate_resource(user, resource_type="User", registry=ACME) == user
    validate_with_json_schema(user, resource_type="User", registry=ACME)


@SETTINGS
@given(groups())
def test_generated_groups_are_valid_and_unchanged(group: dict[str, Any]) -> None:
    assert validate_resource(group, resource_type="Group") == group
    validate_with_json_schema(group, resource_type="Group")


@SETTINGS
@given(users(context="response", registry=ACME))
def test_generated_responses_are_valid(user: dict[str, Any]) -> None:
    assert validate_resource(user, resource_type="User", registry=ACME, context="response") == user
    assert _both(user, "User", ACME, "response") == (None, None)


_WRONG = {
    "string": 12,
    "reference": True,
    "boolean": "true",
    "integer": "1",
    "decimal": "1.5",
    "dateTime": "yesterday",
    "binary": "not base64!",
    "complex": "text",
}


@SETTINGS
@given(users(registry=ACME), st.data())
def test_wrong_type_is_rejected_with_its_path(user: dict[str, Any], data: st.DataObject) -> None:
    # Walk down to a random attribute and give it a value of a wrong type.
    keys = [k for k in user if k != "schemas"]
    key = data.draw(st.sampled_from(keys))
    path: list[Any] = [key]
    node: Any = user
    if key.startswith("urn:") and user[key] and data.draw(st.booleans()):
        inner = data.draw(st.sampled_from(sorted(user[key])))
        ref = ACME.resolve(f"{key}:{inner}", "User")
        path.append(inner)
        node = user[key]
        key = inner
    else:
        ref = ACME.resolve(key, "User")
    assert ref is not None
    attr = ref.target
    wrong: Any
    if attr is None:  # a whole extension
        wrong = "text"
    elif attr.multi_valued:
        wrong = {"not": "a list"}
    else:
        wrong = _WRONG[attr.type]
    mutated = copy.deepcopy(user)
    target = mutated
    for part in path[:-1]:
        target = target[part]
    target[key] = wrong
    del node
    _assert_rejected(mutated, "User", InvalidValue, path)


@SETTINGS
@given(users(registry=ACME))
def test_missing_required_is_rejected(user: dict[str, Any]) -> None:
    del user["userName"]
    _assert_rejected(user, "User", InvalidValue, ["userName"])


@SETTINGS
@given(groups())
def test_group_missing_display_name_is_rejected(group: dict[str, Any]) -> None:
    del group["displayName"]
    _assert_rejected(group, "Group", InvalidValue, ["displayName"], DEFAULT_REGISTRY)


@SETTINGS
@given(users(registry=ACME), st.sampled_from(["emails", "phoneNumbers", "addresses", "roles"]))
def test_two_primaries_are_rejected(user: dict[str, Any], attr: str) -> None:
    user[attr] = [{"primary": True}, {"primary": False}, {"primary": True}]
    _assert_rejected(user, "User", InvalidValue, [attr, 2, "primary"])


@SETTINGS
@given(users(registry=ACME), st.sampled_from(["nickname2", "userNames", "x", "urn:bogus:Thing"]))
def test_undeclared_attribute_is_rejected(user: dict[str, Any], name: str) -> None:
    user[name] = "value"
    _assert_rejected(user, "User", InvalidSyntax, [name])


@SETTINGS
@given(users(registry=ACME))
def test_unknown_schema_urn_is_rejected(user: dict[str, Any]) -> None:
    user["schemas"].append("urn:example:unknown:2.0:Thing")
    _assert_rejected(user, "User", InvalidValue, ["schemas", len(user["schemas"]) - 1])


def test_request_drops_read_only_and_canonicalises_names() -> None:
    body = {
        "SCHEMAS": [USER_URN.upper()],
        "USERNAME": "bjensen",
        "id": "client-chosen",
        "meta": {"whatever": 1},
        "groups": "ignored",
        "Name": {"GIVENNAME": "Barbara"},
        "emails": [{"Value": "b@example.com", "Type": "WORK"}],
    }
    assert validate_resource(body, resource_type="User", context="replace") == {
        "schemas": [USER_URN],
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com", "type": "WORK"}],
    }


def test_response_strips_password_and_keeps_id() -> None:
    body = {"schemas": [USER_URN], "userName": "b", "password": "secret", "id": "1"}
    out = validate_resource(body, resource_type="User", context="response")
    assert out == {"schemas": [USER_URN], "userName": "b", "id": "1"}


def test_nulls_are_unassigned_and_extension_gets_listed() -> None:
    body = {"schemas": [USER_URN], "userName": "b", "title": None, ENTERPRISE_USER_URN: {}}
    out = validate_resource(body, resource_type="User")
    assert out == {
        "schemas": [USER_URN, ENTERPRISE_USER_URN],
        "userName": "b",
        ENTERPRISE_USER_URN: {},
    }


def test_canonical_values_compare_case_insensitively_and_can_be_relaxed() -> None:
    body = {"schemas": [USER_URN], "userName": "b", "emails": [{"value": "x", "type": "pager"}]}
    with pytest.raises(InvalidValue) as info:
        validate_resource(body, resource_type="User")
    assert info.value.path == ("emails", 0, "type")
    assert "work, home, other" in info.value.detail
    relaxed = validate_resource(body, resource_type="User", enforce_canonical_values=False)
    assert relaxed["emails"][0]["type"] == "pager"


@pytest.mark.parametrize(
    ("body", "cls", "path"),
    [
        ([], InvalidSyntax, []),
        ("text", InvalidSyntax, []),
        ({"userName": "b"}, InvalidValue, ["schemas"]),
        ({"schemas": USER_URN, "userName": "b"}, InvalidValue, ["schemas"]),
        ({"schemas": [], "userName": "b"}, InvalidValue, ["schemas"]),
        ({"schemas": [ENTERPRISE_USER_URN], "userName": "b"}, InvalidValue, ["schemas"]),
        ({"schemas": [USER_URN, 3], "userName": "b"}, InvalidValue, ["schemas", 1]),
        ({"schemas": [USER_URN], "userName": ["b"]}, InvalidValue, ["userName"]),
        ({"schemas": [USER_URN], "userName": "b", "active": "True"}, InvalidValue, ["active"]),
        ({"schemas": [USER_URN], "userName": "b", "emails": [None]}, InvalidValue, ["emails", 0]),
        (
            {"schemas": [USER_URN], "userName": "b", "name": {"first": "x"}},
            InvalidSyntax,
            ["name", "first"],
        ),
        (
            {"schemas": [USER_URN], "userName": "b", "x509Certificates": [{"value": "%%"}]},
            InvalidValue,
            ["x509Certificates", 0, "value"],
        ),
        (
            {"schemas": [USER_URN], "userName": "b", ENTERPRISE_USER_URN: {"manager": "boss"}},
            InvalidValue,
            [ENTERPRISE_USER_URN, "manager"],
        ),
    ],
)
def test_bad_bodies(body: Any, cls: type[ScimError], path: list[Any]) -> None:
    _assert_rejected(body, "User", cls, path, DEFAULT_REGISTRY)


def test_acme_extension_types_are_checked() -> None:
    base = {"schemas": [USER_URN, ACME_EXTENSION_URN], "userName": "b"}
    for attr, value in [("hireDate", "2024-13-01T00:00:00Z"), ("badgeNumber", 1.5), ("remote", 0)]:
        body = {**base, ACME_EXTENSION_URN: {attr: value}}
        _assert_rejected(body, "User", InvalidValue, [ACME_EXTENSION_URN, attr])
    body = {**base, ACME_EXTENSION_URN: {"building": {"floor": 2}}}
    _assert_rejected(body, "User", InvalidValue, [ACME_EXTENSION_URN, "building", "name"])


def test_duplicate_names_in_different_case_are_refused() -> None:
    with pytest.raises(InvalidSyntax):
        validate_resource(
            {"schemas": [USER_URN], "userName": "a", "USERNAME": "b"}, resource_type="User"
        )


def test_json_schema_is_a_document() -> None:
    doc = json_schema("User", ACME, "create")
    assert doc["$schema"].endswith("2020-12/schema")
    assert doc["additionalProperties"] is False
    assert any(re.escape(ACME_EXTENSION_URN) in p for p in doc["patternProperties"])


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.tuples(st.just("User"), users(registry=ACME) | users(registry=ACME, context="response"))
    | st.tuples(st.just("Group"), groups() | groups(context="response")),
    st.data(),
)
def test_fast_validator_agrees_with_json_schema_on_mutations(
    case: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    """The oracle property: on a random mutation both validators accept, or both reject alike."""
    rt, user = case
    mutated = copy.deepcopy(user)
    path = data.draw(st.sampled_from(_paths(mutated)))
    parent: Any = mutated
    for part in path[:-1]:
        parent = parent[part]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        key = data.draw(st.sampled_from([path[-1], str(path[-1]).upper(), "extra"]))
        parent.pop(path[-1])
        parent[key] = data.draw(_JSON)
    else:
        parent[path[-1]] = data.draw(_JSON)
    for context in ("create", "response"):
        fast, slow = _both(mutated, rt, ACME, context)
        assert (fast is None) == (slow is None), (context, fast, slow)
        if fast is not None:
            # The fast validator stops at the first problem; jsonschema must see that one too.
            found = json_schema_errors(mutated, resource_type=rt, registry=ACME, context=context)
            seen = {(type(e), e.path) for e in found}
            assert (type(fast), fast.path) in seen, (context, fast, found)


def test_ten_megabyte_values_are_handled() -> None:
    big = "x" * 10_000_000
    body = {"schemas": [USER_URN], "userName": big}
    assert validate_resource(body, resource_type="User")["userName"] is big
    for bad in (
        {**body, "emails": [{"value": "a", "type": big}]},
        {**body, ACME_EXTENSION_URN: {"hireDate": big}},
    ):
        with pytest.raises(InvalidValue) as info:
            validate_resource(bad, resource_type="User", registry=ACME)
        assert len(info.value.detail) < 500


def test_deeply_nested_python_input_is_refused_cleanly() -> None:
    deep: Any = "leaf"
    for _ in range(1000):
        deep = {"name": deep}
    for body in ({"schemas": [USER_URN], "userName": "a", "name": deep}, deep):
        fast, slow = _both(body, "User")
        assert fast is not None and slow is not None


@SETTINGS
@given(
    st.sampled_from(["User", "Group"]).flatmap(
        lambda rt: st.tuples(st.just(rt), invalid_resources(rt, registry=ACME))
    )
)
def test_invalid_resources_strategy_predicts_the_error(case: tuple[str, Any]) -> None:
    rt, (body, cls, path) = case
    _assert_rejected(body, rt, cls, path)
