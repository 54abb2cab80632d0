"""PATCH engine (RFC 7644 §3.5.2): no-path and attribute paths, mutability, atomicity, bad input."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from scimcore import (
    ENTERPRISE_USER_URN,
    GROUP_URN,
    USER_URN,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
    TooMany,
    apply_patch,
    patch_resource,
)
from scimcore.errors import ConfigurationError

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def body(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def user() -> dict[str, Any]:
    return {
        "schemas": [USER_URN, ENTERPRISE_USER_URN],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "userName": "bjensen@example.com",
        "name": {
            "formatted": "Ms. Barbara J Jensen III",
            "familyName": "Jensen",
            "givenName": "Barbara",
        },
        "displayName": "Babs Jensen",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        ENTERPRISE_USER_URN: {"employeeNumber": "701984", "department": "Tour Operations"},
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": 'W/"3694e05e9dff590"',
        },
    }


def group() -> dict[str, Any]:
    return {
        "schemas": [GROUP_URN],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"},
        ],
        "meta": {"resourceType": "Group"},
    }


# -- RFC 7644 §3.5.2 examples that need no value filter ---


def test_rfc_add_member_to_group() -> None:
    new = {
        "display": "Babs Jensen",
        "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904647",
        "value": "2819c223-7f76-453a-919d-413861904647",
    }
    out = apply_patch(group(), body({"op": "add", "path": "members", "value": [new]}))
    assert out["members"][-1] == new
    assert len(out["members"]) == 3


def test_rfc_add_without_path() -> None:
    out = apply_patch(
        user(),
        body(
            {
                "op": "add",
                "value": {
                    "emails": [{"value": "babs@jensen.org", "type": "home"}],
                    "nickname": "Babs",
                },
            }
        ),
    )
    assert out["nickName"] == "Babs"  # attribute names are case-insensitive; canonical spelling
    assert len(out["emails"]) == 2  # the home email was already there: not duplicated


def test_rfc_remove_all_members() -> None:
    out = apply_patch(group(), body({"op": "remove", "path": "members"}))
    assert "members" not in out


def test_rfc_replace_all_members() -> None:
    members = [
        {"display": "Babs Jensen", "value": "2819c223-7f76-453a-919d-413861904646"},
        {"display": "James Smith", "value": "08e1d05d-121c-4561-8b96-473d93df9210"},
    ]
    out = apply_patch(group(), body({"op": "replace", "path": "members", "value": members}))
    assert out["members"] == members


def test_rfc_replace_without_path() -> None:
    emails = [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ]
    out = apply_patch(
        user(), body({"op": "replace", "value": {"emails": emails, "nickname": "Babs"}})
    )
    assert out["emails"] == emails and out["nickName"] == "Babs"


# -- add ---


def test_add_simple_attribute_and_sub_attribute() -> None:
    out = apply_patch(
        user(),
        body(
            {"op": "add", "path": "nickName", "value": "Babs"},
            {"op": "add", "path": "name.middleName", "value": "Jane"},
        ),
    )
    assert out["nickName"] == "Babs"
    assert out["name"] == {**user()["name"], "middleName": "Jane"}


def test_add_complex_merges_sub_attributes() -> None:
    out = apply_patch(user(), body({"op": "add", "path": "name", "value": {"middleName": "J"}}))
    assert out["name"]["givenName"] == "Barbara" and out["name"]["middleName"] == "J"


def test_add_is_idempotent_for_multi_valued() -> None:
    op = {
        "op": "add",
        "path": "members",
        "value": [{"value": "2819c223-7f76-453a-919d-413861904646"}],
    }
    result = patch_resource(group(), body(op, op))
    assert not result.changed
    assert result.resource == group()


def test_add_equal_email_case_insensitively_not_duplicated() -> None:
    out = apply_patch(
        user(),
        body(
            {"op": "add", "path": "emails", "value": [{"value": "BABS@jensen.org", "type": "home"}]}
        ),
    )
    assert [e["value"] for e in out["emails"]] == ["bjensen@example.com", "babs@jensen.org"]


def test_add_primary_turns_other_primary_off() -> None:
    out = apply_patch(
        user(),
        body(
            {
                "op": "add",
                "path": "emails",
                "value": [{"value": "b@x.org", "type": "other", "primary": True}],
            }
        ),
    )
    assert [e.get("primary") for e in out["emails"]] == [False, None, True]


def test_two_primaries_in_one_value_are_refused() -> None:
    value = [{"value": "a@x.org", "primary": True}, {"value": "b@x.org", "primary": True}]
    with pytest.raises(InvalidValue, match="primary"):
        apply_patch(user(), body({"op": "replace", "path": "emails", "value": value}))


def test_add_extension_attribute_by_urn_path_adds_schema() -> None:
    resource = user()
    del resource[ENTERPRISE_USER_URN]
    resource["schemas"] = [USER_URN]
    out = apply_patch(
        resource, body({"op": "add", "path": f"{ENTERPRISE_USER_URN}:costCenter", "value": "4130"})
    )
    assert out[ENTERPRISE_USER_URN] == {"costCenter": "4130"}
    assert out["schemas"] == [USER_URN, ENTERPRISE_USER_URN]


def test_add_whole_extension_object() -> None:
    out = apply_patch(
        user(),
        body({"op": "add", "path": ENTERPRISE_USER_URN, "value": {"division": "Theme Park"}}),
    )
    assert out[ENTERPRISE_USER_URN]["division"] == "Theme Park"
    assert out[ENTERPRISE_USER_URN]["employeeNumber"] == "701984"


def test_urn_qualified_core_path() -> None:
    out = apply_patch(
        user(), body({"op": "replace", "path": f"{USER_URN}:userName", "value": "b@x.org"})
    )
    assert out["userName"] == "b@x.org"
    out = apply_patch(
        user(), body({"op": "replace", "path": f"{USER_URN}:name.givenName", "value": "B"})
    )
    assert out["name"]["givenName"] == "B"


def test_no_path_extension_object() -> None:
    out = apply_patch(
        user(), body({"op": "replace", "value": {ENTERPRISE_USER_URN: {"department": "R&D"}}})
    )
    assert out[ENTERPRISE_USER_URN] == {"employeeNumber": "701984", "department": "R&D"}


def test_existing_key_spelling_is_kept() -> None:
    resource = user()
    resource["nickname"] = "old"
    out = apply_patch(resource, body({"op": "replace", "path": "NICKNAME", "value": "new"}))
    assert out["nickname"] == "new" and "nickName" not in out


# -- replace ---


def test_replace_complex_keeps_unspecified_sub_attributes() -> None:
    out = apply_patch(
        user(), body({"op": "replace", "path": "name", "value": {"givenName": "Babs"}})
    )
    assert out["name"] == {**user()["name"], "givenName": "Babs"}


def test_replace_absent_attribute_adds_it() -> None:
    out = apply_patch(user(), body({"op": "replace", "path": "title", "value": "Tour Guide"}))
    assert out["title"] == "Tour Guide"


def test_replace_with_null_or_empty_list_unassigns() -> None:
    out = apply_patch(user(), body({"op": "replace", "path": "displayName", "value": None}))
    assert "displayName" not in out
    out = apply_patch(user(), body({"op": "replace", "path": "phoneNumbers", "value": []}))
    assert "phoneNumbers" not in out


def test_replace_same_value_reports_unchanged() -> None:
    result = patch_resource(user(), body({"op": "replace", "path": "active", "value": True}))
    assert result.changed is False
    result = patch_resource(user(), body({"op": "replace", "path": "active", "value": False}))
    assert result.changed is True


# -- remove ---


def test_remove_single_valued_and_sub_attribute() -> None:
    out = apply_patch(
        user(),
        body({"op": "remove", "path": "displayName"}, {"op": "remove", "path": "name.formatted"}),
    )
    assert "displayName" not in out and "formatted" not in out["name"]


def test_remove_absent_attribute_is_a_no_op() -> None:
    result = patch_resource(user(), body({"op": "remove", "path": "nickName"}))
    assert not result.changed


def test_remove_last_extension_attribute_drops_extension_and_schema() -> None:
    out = apply_patch(
        user(),
        body(
            {"op": "remove", "path": f"{ENTERPRISE_USER_URN}:employeeNumber"},
            {"op": "remove", "path": f"{ENTERPRISE_USER_URN}:department"},
        ),
    )
    assert ENTERPRISE_USER_URN not in out and out["schemas"] == [USER_URN]


def test_remove_whole_extension() -> None:
    out = apply_patch(user(), body({"op": "remove", "path": ENTERPRISE_USER_URN}))
    assert ENTERPRISE_USER_URN not in out and out["schemas"] == [USER_URN]


def test_remove_without_path_is_no_target() -> None:
    with pytest.raises(NoTarget) as info:
        apply_patch(user(), body({"op": "remove"}))
    assert info.value.scim_type == "noTarget"


def test_remove_required_attribute_is_mutability() -> None:
    with pytest.raises(Mutability):
        apply_patch(user(), body({"op": "remove", "path": "userName"}))
    with pytest.raises(Mutability):
        apply_patch(group(), body({"op": "replace", "path": "displayName", "value": None}))


# -- mutability ---


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "id", "value": "other"},
        {"op": "remove", "path": "id"},
        {"op": "replace", "path": "meta.lastModified", "value": "2020-01-01T00:00:00Z"},
        {"op": "add", "path": "groups", "value": [{"value": "g1"}]},
        {"op": "replace", "value": {"id": "other"}},
        {"op": "replace", "value": {"meta": {"version": "x"}}},
        {"op": "add", "path": f"{ENTERPRISE_USER_URN}:manager.displayName", "value": "Boss"},
    ],
)
def test_read_only_attributes_are_mutability(op: dict[str, Any]) -> None:
    with pytest.raises(Mutability) as info:
        apply_patch(user(), body(op))
    assert info.value.scim_type == "mutability"
    assert "readOnly" in info.value.detail


def test_no_path_replace_repeating_current_id_is_accepted() -> None:
    g = group()
    result = patch_resource(
        g, body({"op": "replace", "value": {"id": g["id"], "displayName": "New"}})
    )
    assert result.resource["displayName"] == "New" and result.resource["id"] == g["id"]


def test_read_only_sub_attribute_inside_a_value_is_ignored() -> None:
    op = {
        "op": "add",
        "path": f"{ENTERPRISE_USER_URN}:manager",
        "value": {"value": "26118915", "displayName": "John Smith"},
    }
    out = apply_patch(user(), body(op))
    assert out[ENTERPRISE_USER_URN]["manager"] == {"value": "26118915"}


def test_immutable_member_display_can_be_set_once_not_changed() -> None:
    g = group()
    add = {"op": "add", "path": "members", "value": [{"value": "u3", "display": "Three"}]}
    out = apply_patch(g, body(add))
    assert out["members"][-1] == {"value": "u3", "display": "Three"}
    # Re-sending the member with another display (Okta re-adds) keeps the member, changes nothing.
    again = {"op": "add", "path": "members", "value": [{"value": "u3", "display": "Renamed"}]}
    assert patch_resource(out, body(again)).changed is False


def test_immutable_simple_attribute_set_once() -> None:
    from scimcore.schema import DEFAULT_REGISTRY

    registry = DEFAULT_REGISTRY.with_extension(
        "User",
        {
            "id": "urn:example:params:scim:schemas:extension:acme:2.0:User",
            "name": "Acme",
            "attributes": [{"name": "badge", "type": "string", "mutability": "immutable"}],
        },
    )
    path = "urn:example:params:scim:schemas:extension:acme:2.0:User:badge"
    first = apply_patch(user(), body({"op": "add", "path": path, "value": "B1"}), registry=registry)
    assert first["urn:example:params:scim:schemas:extension:acme:2.0:User"] == {"badge": "B1"}
    same = patch_resource(
        first, body({"op": "replace", "path": path, "value": "B1"}), registry=registry
    )
    assert not same.changed
    with pytest.raises(Mutability):
        apply_patch(first, body({"op": "replace", "path": path, "value": "B2"}), registry=registry)
    with pytest.raises(Mutability):
        apply_patch(first, body({"op": "remove", "path": path}), registry=registry)


# -- atomicity and error reporting ---


def test_failure_leaves_input_untouched_and_names_the_operation() -> None:
    resource = user()
    before = json.dumps(resource, sort_keys=True)
    request = body(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "add", "path": "emails", "value": [{"value": "new@x.org"}]},
        {"op": "replace", "path": "active", "value": "maybe"},
    )
    with pytest.raises(InvalidValue) as info:
        apply_patch(resource, request, strict=True)
    assert json.dumps(resource, sort_keys=True) == before
    assert info.value.detail.startswith("operation 2 (replace 'active')")
    assert info.value.path is not None and info.value.path[:2] == ("Operations", 2)


def test_success_returns_a_new_dict() -> None:
    resource = user()
    before = json.dumps(resource, sort_keys=True)
    out = apply_patch(
        resource, body({"op": "add", "path": "emails", "value": [{"value": "n@x.org"}]})
    )
    assert out is not resource and out["emails"] is not resource["emails"]
    assert json.dumps(resource, sort_keys=True) == before


# -- bad input ---


@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        (
            {"Operations": [{"op": "add", "path": "nickName", "value": "x"}], "schemas": ["urn:x"]},
            InvalidSyntax,
        ),
        ({"schemas": [PATCH_OP]}, InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": []}, InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": {"op": "add"}}, InvalidSyntax),
        (body("add"), InvalidSyntax),
        (body({"path": "nickName", "value": "x"}), InvalidSyntax),
        (body({"op": "merge", "path": "nickName", "value": "x"}), InvalidSyntax),
        (body({"op": 7, "path": "nickName", "value": "x"}), InvalidSyntax),
        (body({"op": "add", "path": "nickName"}), InvalidSyntax),
        (body({"op": "add", "path": 5, "value": "x"}), InvalidSyntax),
        (body({"op": "add", "path": "nosuch", "value": "x"}), InvalidPath),
        (body({"op": "add", "path": "name.nosuch", "value": "x"}), InvalidPath),
        (body({"op": "add", "path": "name..givenName", "value": "x"}), InvalidPath),
        (body({"op": "add", "path": "", "value": "x"}), InvalidPath),
        (body({"op": "add", "path": "urn:nope:Thing:attr", "value": "x"}), InvalidPath),
        (body({"op": "add", "path": "nickName", "value": 5}), InvalidValue),
        (body({"op": "add", "path": "active", "value": "yes"}), InvalidValue),
        (body({"op": "add", "path": "name", "value": "Barbara"}), InvalidValue),
        (body({"op": "add", "path": "name", "value": {"nosuch": "x"}}), InvalidValue),
        (body({"op": "add", "path": "emails", "value": "a@x.org"}), InvalidValue),
        (body({"op": "add", "path": "emails", "value": [{"value": 5}]}), InvalidValue),
        (body({"op": "add", "path": "meta.created", "value": "x"}), Mutability),
        (body({"op": "add", "value": "x"}), InvalidValue),
        (body({"op": "add", "value": {"nosuch": 1}}), InvalidValue),
    ],
)
def test_bad_input_is_a_clear_4xx(request_body: dict[str, Any], error: type[ScimError]) -> None:
    resource = user()
    before = json.dumps(resource, sort_keys=True)
    with pytest.raises(error) as info:
        apply_patch(resource, request_body)
    assert info.value.status == 400
    assert json.dumps(resource, sort_keys=True) == before


def test_wrong_date_time_is_invalid_value() -> None:
    from scimcore.schema import DEFAULT_REGISTRY

    registry = DEFAULT_REGISTRY.with_extension(
        "User",
        {
            "id": "urn:example:params:scim:schemas:extension:acme:2.0:User",
            "name": "Acme",
            "attributes": [
                {"name": "hired", "type": "dateTime"},
                {"name": "level", "type": "integer"},
            ],
        },
    )
    base = "urn:example:params:scim:schemas:extension:acme:2.0:User"
    with pytest.raises(InvalidValue, match="dateTime"):
        apply_patch(
            user(),
            body({"op": "add", "path": f"{base}:hired", "value": "yesterday"}),
            registry=registry,
        )
    with pytest.raises(InvalidValue, match="integer"):
        apply_patch(
            user(), body({"op": "add", "path": f"{base}:level", "value": True}), registry=registry
        )
    out = apply_patch(
        user(),
        body({"op": "add", "path": f"{base}:hired", "value": "2024-01-31T12:00:00Z"}),
        registry=registry,
    )
    assert out[base]["hired"] == "2024-01-31T12:00:00Z"


def test_ten_thousand_operations_are_too_many_quickly() -> None:
    ops = [{"op": "add", "path": "nickName", "value": f"n{i}"} for i in range(10_000)]
    start = time.perf_counter()
    with pytest.raises(TooMany) as info:
        apply_patch(user(), body(*ops))
    assert info.value.scim_type == "tooMany"
    assert "1000" in info.value.detail
    assert time.perf_counter() - start >= 0  # no timing assertion; the limit bounds the work


def test_operation_limit_is_configurable() -> None:
    ops = [{"op": "add", "path": "nickName", "value": f"n{i}"} for i in range(1500)]
    out = apply_patch(user(), body(*ops), max_operations=2000)
    assert out["nickName"] == "n1499"


def test_deep_values_are_refused_without_recursion() -> None:
    deep: Any = "x"
    for _ in range(100_000):
        deep = {"givenName": deep}
    with pytest.raises(InvalidValue):
        apply_patch(user(), body({"op": "add", "path": "name", "value": deep}))
    deep_list: Any = []
    for _ in range(100_000):
        deep_list = [deep_list]
    with pytest.raises(InvalidValue):
        apply_patch(user(), body({"op": "add", "path": "emails", "value": deep_list}))


def test_resource_type_from_schemas_or_given() -> None:
    request = body({"op": "add", "path": "nickName", "value": "n"})
    with pytest.raises(ConfigurationError):
        apply_patch({"userName": "x"}, request)
    with pytest.raises(ConfigurationError):
        apply_patch(user(), request, resource_type="Printer")
    out = apply_patch(user(), request, resource_type="User")
    assert out["nickName"] == "n"


def test_result_that_no_longer_validates_is_refused() -> None:
    resource = user()
    resource["userName"] = 42  # stored data gone wrong: the patched result would not validate
    before = json.dumps(resource, sort_keys=True)
    with pytest.raises(InvalidValue, match="no longer be valid"):
        apply_patch(resource, body({"op": "add", "path": "nickName", "value": "n"}))
    assert json.dumps(resource, sort_keys=True) == before


def test_big_groups_patch_in_linear_time() -> None:
    """Entra re-adds every member after a removal: 20,000 members must not be quadratic."""
    members = [{"value": f"user-{i}", "display": f"User {i}"} for i in range(20_000)]
    big = {"schemas": [GROUP_URN], "id": "g", "displayName": "All", "members": members}
    readd = body(
        {"op": "Add", "path": "members", "value": [{"value": m["value"]} for m in members]}
    )
    assert patch_resource(big, readd).changed is False
    removal = [{"value": f"USER-{i}"} for i in range(0, 20_000, 2)]  # values compare caseless
    out = apply_patch(big, body({"op": "Remove", "path": "members", "value": removal}))
    assert len(out["members"]) == 10_000 and out["members"][0]["value"] == "user-1"
    push = body({"op": "replace", "path": "members", "value": members + members})
    assert apply_patch(big, push)["members"] == members
