"""``scimcore.project``: attributes / excludedAttributes honouring ``returned`` (RFC 7644)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from scimcore import ENTERPRISE_USER_URN, GROUP_URN, USER_URN, project
from scimcore.testing import users

USER: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_USER_URN],
    "id": "1",
    "userName": "bjensen",
    "password": "secret",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "b@x", "type": "work", "primary": True}, {"value": "c@x"}],
    "meta": {"resourceType": "User", "location": "https://x/Users/1"},
    ENTERPRISE_USER_URN: {"employeeNumber": "7", "manager": {"value": "2", "displayName": "Al"}},
}


def test_default_drops_never_only() -> None:
    out = project(USER, resource_type="User")
    assert "password" not in out
    assert {k: v for k, v in USER.items() if k != "password"} == out


def test_attributes_keep_always_and_named() -> None:
    out = project(USER, resource_type="User", attributes="USERNAME,name.givenName,emails.value")
    assert out == {
        "schemas": USER["schemas"],
        "id": "1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@x"}, {"value": "c@x"}],
    }


def test_attributes_never_return_password() -> None:
    assert "password" not in project(USER, resource_type="User", attributes=["password"])


def test_urn_qualified_names() -> None:
    out = project(USER, resource_type="User", attributes=[f"{ENTERPRISE_USER_URN}:manager.value"])
    assert out[ENTERPRISE_USER_URN] == {"manager": {"value": "2"}}
    out = project(
        USER, resource_type="User", attributes=[ENTERPRISE_USER_URN, f"{USER_URN}:userName"]
    )
    assert out[ENTERPRISE_USER_URN] == USER[ENTERPRISE_USER_URN]
    assert out["userName"] == "bjensen"


def test_excluded_attributes() -> None:
    out = project(
        USER,
        resource_type="User",
        excluded_attributes=[
            "emails",
            "id",
            "schemas",
            "name.familyName",
            f"{ENTERPRISE_USER_URN}:manager",
        ],
    )
    assert "emails" not in out
    assert out["id"] == "1" and out["schemas"] == USER["schemas"]  # returned: always
    assert out["name"] == {"givenName": "Barbara"}
    assert out[ENTERPRISE_USER_URN] == {"employeeNumber": "7"}


def test_unknown_names_are_ignored_and_groups_work() -> None:
    group = {"schemas": [GROUP_URN], "id": "g", "displayName": "G", "members": [{"value": "1"}]}
    assert project(group, resource_type="Group", attributes=["nope"]) == {
        "schemas": [GROUP_URN],
        "id": "g",
    }
    assert project(group, resource_type="Group", excluded_attributes="members") == {
        "schemas": [GROUP_URN],
        "id": "g",
        "displayName": "G",
    }


@settings(max_examples=30, deadline=None)
@given(users(context="response"))
def test_projection_never_adds_and_keeps_always(user: dict[str, Any]) -> None:
    out = project(user, resource_type="User", attributes=["displayName"])
    assert set(out) <= set(user)
    assert out["id"] == user["id"] and out["schemas"] == user["schemas"]
    assert project(user, resource_type="User") == user


def test_returned_request_and_always_in_a_custom_extension() -> None:
    from scimcore import DEFAULT_REGISTRY

    urn = "urn:example:params:scim:schemas:extension:proj:2.0:User"
    registry = DEFAULT_REGISTRY.with_extension(
        "User",
        {
            "id": urn,
            "name": "Proj",
            "attributes": [
                {"name": "onRequest", "returned": "request"},
                {"name": "alwaysOn", "returned": "always"},
                {"name": "plain"},
            ],
        },
    )
    user = {
        "schemas": [USER_URN, urn],
        "id": "1",
        "userName": "u",
        urn: {"onRequest": "r", "alwaysOn": "a", "plain": "p"},
    }
    assert project(user, resource_type="User", registry=registry)[urn] == {
        "alwaysOn": "a",
        "plain": "p",
    }
    named = project(user, resource_type="User", registry=registry, attributes=[f"{urn}:onRequest"])
    assert named[urn] == {"onRequest": "r", "alwaysOn": "a"}
    assert project(user, resource_type="User", registry=registry, attributes="userName") == {
        "schemas": [USER_URN, urn],
        "id": "1",
        "userName": "u",
        urn: {"alwaysOn": "a"},
    }
    excluded = project(user, resource_type="User", registry=registry, excluded_attributes=[urn])
    assert excluded[urn] == {"alwaysOn": "a"}
    bare = {"schemas": [USER_URN, urn], "id": "1", urn: {"plain": "p"}}
    assert urn not in project(bare, resource_type="User", registry=registry, attributes="userName")
