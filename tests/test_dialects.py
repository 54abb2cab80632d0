"""IdP dialects: each real shape works by default and fails with the right scimType strictly."""

from __future__ import annotations

from typing import Any

import pytest

from scimcore import (
    ENTERPRISE_USER_URN,
    GROUP_URN,
    USER_URN,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    apply_patch,
    patch_resource,
)
from scimcore.dialects import (
    DEFAULT_DIALECTS,
    EntraAadOptscim062020,
    EntraLegacy,
    JumpCloud,
    Okta,
    dialect,
)
from scimcore.errors import ConfigurationError

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UID = "2819c223-7f76-453a-919d-413861904646"
GID = "e9e30dba-f08f-4109-8486-d5c6a331660a"


def body(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def user() -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "id": UID,
        "userName": "jane.doe@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe",
        "active": True,
        "emails": [{"value": "jane.doe@example.com", "type": "work", "primary": True}],
        "meta": {"resourceType": "User"},
    }


def group(*members: str) -> dict[str, Any]:
    out: dict[str, Any] = {"schemas": [GROUP_URN], "id": GID, "displayName": "Engineering"}
    if members:
        out["members"] = [{"value": m} for m in members]
    return out


def test_registry_of_dialects() -> None:
    assert [d.name for d in DEFAULT_DIALECTS] == [
        "entra-legacy",
        "entra-aadOptscim062020",
        "okta",
        "jumpcloud",
    ]
    assert isinstance(dialect("OKTA"), Okta)
    with pytest.raises(KeyError, match="known"):
        dialect("pingfederate")
    with pytest.raises(ConfigurationError):
        apply_patch(
            user(),
            body({"op": "add", "path": "nickName", "value": "x"}),
            strict=True,
            dialects=[Okta()],
        )


# -- Entra ID default job ---

ENTRA_DISABLE = body({"op": "Replace", "path": "active", "value": "False"})
ENTRA_UPDATE = body(
    {"op": "Replace", "path": "name.familyName", "value": "Smith"},
    {"op": "Replace", "path": "userName", "value": "jane.smith@example.com"},
    {"op": "Add", "path": "nickName", "value": "Babs"},
    {"op": "Replace", "path": f"{ENTERPRISE_USER_URN}:employeeNumber", "value": "42"},
)
ENTRA_REMOVE_MEMBER = body(
    {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u2"}]}
)
ENTRA_ADD_MEMBER = body({"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u3"}]})


def test_entra_legacy_disable_and_reenable_with_strings() -> None:
    out = apply_patch(user(), ENTRA_DISABLE)
    assert out["active"] is False
    out = apply_patch(out, body({"op": "Replace", "path": "active", "value": "True"}))
    assert out["active"] is True


def test_entra_legacy_update_user() -> None:
    out = apply_patch(user(), ENTRA_UPDATE)
    assert out["name"]["familyName"] == "Smith" and out["nickName"] == "Babs"
    assert out["userName"] == "jane.smith@example.com"
    assert out[ENTERPRISE_USER_URN] == {"employeeNumber": "42"}
    assert ENTERPRISE_USER_URN in out["schemas"]


def test_entra_legacy_members_value_list_removal_removes_only_those() -> None:
    out = apply_patch(group("u1", "u2"), ENTRA_REMOVE_MEMBER)
    assert out["members"] == [{"value": "u1"}]
    out = apply_patch(out, body({"op": "Remove", "path": "members", "value": [{"value": "u1"}]}))
    assert "members" not in out
    # Removing a member that is not there changes nothing (Entra retries).
    assert not patch_resource(group("u1"), ENTRA_REMOVE_MEMBER).changed


def test_entra_legacy_add_member_with_null_ref_and_readd_after_removal() -> None:
    out = apply_patch(group("u1"), ENTRA_ADD_MEMBER)
    assert out["members"] == [{"value": "u1"}, {"value": "u3"}]
    # Entra re-sends an add for every existing member whenever one is removed.
    readd = body(
        {"op": "Remove", "path": "members", "value": [{"value": "u3"}]},
        {"op": "Add", "path": "members", "value": [{"value": "u1"}]},
    )
    assert apply_patch(out, readd)["members"] == [{"value": "u1"}]


@pytest.mark.parametrize(
    "value",
    [
        "mgr-1",
        [{"$ref": "https://sp.example.com/scim/v2/Users/mgr-1", "value": "mgr-1"}],
        ["mgr-1"],
    ],
)
def test_entra_legacy_manager_shapes(value: Any) -> None:
    for path in ("manager", f"{ENTERPRISE_USER_URN}:manager"):
        out = apply_patch(user(), body({"op": "Add", "path": path, "value": value}))
        assert out[ENTERPRISE_USER_URN]["manager"]["value"] == "mgr-1"


@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        (ENTRA_DISABLE, InvalidSyntax),  # "Replace" is not an RFC op name
        (body({"op": "replace", "path": "active", "value": "False"}), InvalidValue),
        (body({"op": "remove", "path": "members", "value": [{"value": "u2"}]}), InvalidSyntax),
        (body({"op": "add", "path": "manager", "value": "mgr-1"}), InvalidValue),
        (body({"op": "add", "path": "manager", "value": [{"value": "mgr-1"}]}), InvalidValue),
    ],
)
def test_entra_legacy_shapes_fail_strictly(
    request_body: dict[str, Any], error: type[Exception]
) -> None:
    resource = group("u1", "u2") if "members" in str(request_body) else user()
    with pytest.raises(error):
        apply_patch(resource, request_body, strict=True)


def test_a_single_dialect_can_be_chosen() -> None:
    with pytest.raises(InvalidSyntax):
        apply_patch(user(), ENTRA_DISABLE, dialects=[Okta()])
    out = apply_patch(user(), ENTRA_DISABLE, dialects=[EntraLegacy()])
    assert out["active"] is False


# -- Entra ID with aadOptscim062020 ---

ENTRA_2020_UPDATE = body(
    {
        "op": "replace",
        "value": {
            "displayName": "Jane Smith",
            "name.givenName": "Jane",
            "name.familyName": "Smith",
            f"{ENTERPRISE_USER_URN}:employeeNumber": "42",
            f"{USER_URN}:title": "Engineer",
        },
    }
)


def test_entra_2020_no_path_replace_with_path_keys() -> None:
    out = apply_patch(user(), ENTRA_2020_UPDATE)
    assert out["displayName"] == "Jane Smith" and out["title"] == "Engineer"
    assert out["name"] == {"givenName": "Jane", "familyName": "Smith"}
    assert out[ENTERPRISE_USER_URN] == {"employeeNumber": "42"}


def test_entra_2020_disable_with_boolean_is_plain_rfc() -> None:
    request = body({"op": "replace", "path": "active", "value": False})
    assert apply_patch(user(), request, strict=True)["active"] is False


def test_entra_2020_path_keys_fail_strictly() -> None:
    with pytest.raises(InvalidValue, match="attribute path"):
        apply_patch(user(), ENTRA_2020_UPDATE, strict=True)
    with pytest.raises(InvalidValue):
        apply_patch(user(), ENTRA_2020_UPDATE, dialects=[EntraLegacy()])
    assert (
        apply_patch(user(), ENTRA_2020_UPDATE, dialects=[EntraAadOptscim062020()])["title"]
        == "Engineer"
    )


# -- Okta ---

OKTA_DEACTIVATE = body({"op": "replace", "value": {"active": False}})
OKTA_RENAME = body({"op": "replace", "value": {"id": GID, "displayName": "Engineering (all)"}})
OKTA_EMPTY_PUSH = body({"op": "replace", "path": "members", "value": []})


def test_okta_deactivate_and_reactivate_are_rfc() -> None:
    out = apply_patch(user(), OKTA_DEACTIVATE, strict=True)
    assert out["active"] is False
    assert (
        apply_patch(out, body({"op": "replace", "value": {"active": True}}), strict=True)["active"]
        is True
    )


def test_okta_replace_members_empty_list() -> None:
    out = apply_patch(group("u1", "u2"), OKTA_EMPTY_PUSH, strict=True)
    assert "members" not in out
    assert not patch_resource(group(), OKTA_EMPTY_PUSH).changed


def test_okta_group_rename_repeats_id() -> None:
    out = apply_patch(group("u1"), OKTA_RENAME)
    assert out["displayName"] == "Engineering (all)" and out["id"] == GID
    with pytest.raises(Mutability):
        apply_patch(group("u1"), OKTA_RENAME, strict=True)
    other_id = body({"op": "replace", "value": {"id": "other", "displayName": "x"}})
    with pytest.raises(Mutability):
        apply_patch(group("u1"), other_id)


def test_okta_message_without_schemas() -> None:
    request = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    assert apply_patch(user(), request)["active"] is False
    with pytest.raises(InvalidSyntax):
        apply_patch(user(), request, strict=True)


def test_okta_member_add_with_display() -> None:
    request = body(
        {
            "op": "add",
            "path": "members",
            "value": [{"value": "u9", "display": "jane.doe@example.com"}],
        }
    )
    out = apply_patch(group("u1"), request, strict=True)
    assert out["members"][-1] == {"value": "u9", "display": "jane.doe@example.com"}


# -- JumpCloud ---


def test_jumpcloud_no_path_rename_is_rfc() -> None:
    out = apply_patch(
        group("u1"), body({"op": "replace", "value": {"displayName": "Renamed"}}), strict=True
    )
    assert out["displayName"] == "Renamed"


def test_jumpcloud_repeated_adds_change_nothing() -> None:
    add = body({"op": "add", "path": "members", "value": [{"value": "u1"}]})
    for strict in (False, True):
        result = patch_resource(group("u1"), add, strict=strict)
        assert not result.changed and result.resource["members"] == [{"value": "u1"}]


def test_jumpcloud_value_list_removal() -> None:
    remove = body({"op": "remove", "path": "members", "value": [{"value": "u1"}]})
    assert apply_patch(group("u1", "u2"), remove, dialects=[JumpCloud()])["members"] == [
        {"value": "u2"}
    ]
    with pytest.raises(InvalidSyntax):
        apply_patch(group("u1", "u2"), remove, strict=True)
