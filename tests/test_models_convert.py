"""The cattrs converter: structure → unstructure is the identity on valid resources and messages."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore import ENTERPRISE_USER_URN, USER_URN, EnterpriseUser, Group, PatchOp, User
from scimcore.models import (
    BulkRequest,
    BulkResponse,
    Error,
    ListResponse,
    SearchRequest,
    structure,
    unstructure,
)
from scimcore.testing import ACME_EXTENSION_URN, acme_registry, groups, users

ACME = acme_registry()


@settings(max_examples=40, deadline=None)
@given(users(registry=ACME) | users(context="response", registry=ACME))
def test_user_round_trip_is_identity(user: dict[str, Any]) -> None:
    model = structure(user, User)
    assert unstructure(model) == user
    if ENTERPRISE_USER_URN in user:
        assert isinstance(model.enterprise, EnterpriseUser)
    if ACME_EXTENSION_URN in user:
        assert model.extensions[ACME_EXTENSION_URN] == user[ACME_EXTENSION_URN]


@settings(max_examples=40, deadline=None)
@given(groups() | groups(context="response"))
def test_group_round_trip_is_identity(group: dict[str, Any]) -> None:
    assert unstructure(structure(group, Group)) == group


def test_fields_and_case_insensitive_names() -> None:
    user = structure(
        {
            "schemas": [USER_URN],
            "USERNAME": "bjensen",
            "name": {"GivenName": "Barbara"},
            "emails": [{"value": "b@example.com", "primary": True}],
            "groups": [{"value": "g1", "$ref": "https://x/Groups/g1"}],
            "customDeclared": {"kept": True},
        },
        User,
    )
    assert user.user_name == "bjensen"
    assert user.name is not None and user.name.given_name == "Barbara"
    assert user.emails is not None and user.emails[0].primary is True
    assert user.groups is not None and user.groups[0].ref == "https://x/Groups/g1"
    assert user.extra == {"customDeclared": {"kept": True}}
    out = unstructure(user)
    assert out["userName"] == "bjensen" and out["customDeclared"] == {"kept": True}


def test_messages_round_trip() -> None:
    messages: list[tuple[dict[str, Any], type[Any]]] = [
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "replace", "path": "active", "value": False},
                    {"op": "add", "value": {"emails": [{"value": "x@y"}]}},
                ],
            },
            PatchOp,
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 1,
                "startIndex": 1,
                "itemsPerPage": 1,
                "Resources": [{"schemas": [USER_URN], "id": "1", "userName": "a"}],
            },
            ListResponse,
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "attributes": ["userName"],
                "excludedAttributes": ["emails"],
                "filter": 'userName eq "a"',
                "sortBy": "userName",
                "sortOrder": "descending",
                "startIndex": 1,
                "count": 10,
            },
            SearchRequest,
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidValue",
                "detail": "bad",
            },
            Error,
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "failOnErrors": 1,
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "q1", "data": {"userName": "a"}}
                ],
            },
            BulkRequest,
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
                "Operations": [
                    {
                        "method": "POST",
                        "bulkId": "q1",
                        "version": 'W/"1"',
                        "status": "201",
                        "location": "https://x/Users/1",
                    }
                ],
            },
            BulkResponse,
        ),
    ]
    for body, cls in messages:
        assert unstructure(structure(body, cls)) == body
    patch = structure(messages[0][0], PatchOp)
    assert patch.operations is not None and patch.operations[0].op == "replace"


def test_models_build_with_defaults() -> None:
    assert unstructure(User(user_name="a")) == {"schemas": [USER_URN], "userName": "a"}
    assert unstructure(Group(display_name="g"))["displayName"] == "g"


@settings(max_examples=20, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
def test_unknown_keys_survive(extra: dict[str, int]) -> None:
    body: dict[str, Any] = {"schemas": [USER_URN], "userName": "a"}
    for key, value in extra.items():
        body.setdefault("x" + key, value)
    assert unstructure(structure(body, User)) == body
