"""The schema layer: RFC 7643 characteristics, registry lookups and custom extensions."""

from __future__ import annotations

import pytest

from scimcore import errors
from scimcore.schema import (
    DEFAULT_REGISTRY,
    ENTERPRISE_USER_URN,
    USER_SCHEMA,
    USER_URN,
    Attribute,
    Schema,
    split_urn,
)

ACME_URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
ACME = {
    "id": ACME_URN,
    "name": "AcmeUser",
    "attributes": [
        {"name": "badgeNumber", "type": "integer", "multiValued": False},
        {"name": "hireDate", "type": "dateTime"},
        {
            "name": "site",
            "type": "complex",
            "subAttributes": [{"name": "code", "type": "string", "caseExact": True}],
        },
    ],
}


def test_user_characteristics_follow_rfc7643() -> None:
    user = DEFAULT_REGISTRY.schema(USER_URN)
    assert user is USER_SCHEMA
    username = user.attribute("USERNAME")
    assert username is not None
    assert username.required and username.uniqueness == "server" and not username.case_exact
    password = user.attribute("password")
    assert password is not None
    assert password.mutability == "writeOnly" and password.returned == "never"
    groups = user.attribute("groups")
    assert groups is not None and groups.mutability == "readOnly" and groups.multi_valued
    emails = user.attribute("emails")
    assert emails is not None and emails.sub_attribute("TYPE") is not None
    assert emails.sub_attribute("type").canonical_values == ("work", "home", "other")  # type: ignore[union-attr]
    x509 = user.attribute("x509Certificates")
    assert x509 is not None and x509.sub_attribute("value").type == "binary"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "keys", "type_"),
    [
        ("userName", ("userName",), "string"),
        ("USERNAME", ("userName",), "string"),
        ("name.GivenName", ("name", "givenName"), "string"),
        ("emails.value", ("emails", "value"), "string"),
        ("id", ("id",), "string"),
        ("meta.lastModified", ("meta", "lastModified"), "dateTime"),
        (f"{USER_URN}:userName", ("userName",), "string"),
        (f"{USER_URN.upper()}:name.familyName", ("name", "familyName"), "string"),
        (
            f"{ENTERPRISE_USER_URN}:manager.value",
            (ENTERPRISE_USER_URN, "manager", "value"),
            "string",
        ),
        ("department", (ENTERPRISE_USER_URN, "department"), "string"),
        (
            f"{ENTERPRISE_USER_URN}:employeeNumber",
            (ENTERPRISE_USER_URN, "employeeNumber"),
            "string",
        ),
    ],
)
def test_resolve_paths(path: str, keys: tuple[str, ...], type_: str) -> None:
    ref = DEFAULT_REGISTRY.resolve(path, "User")
    assert ref is not None
    assert ref.keys == keys
    assert ref.target is not None and ref.target.type == type_


def test_resolve_whole_extension_and_unknowns() -> None:
    ref = DEFAULT_REGISTRY.resolve(ENTERPRISE_USER_URN, "User")
    assert ref is not None and ref.attribute is None and not ref.core
    assert ref.path == ENTERPRISE_USER_URN
    assert DEFAULT_REGISTRY.resolve("nosuch", "User") is None
    assert DEFAULT_REGISTRY.resolve("name.nosuch", "User") is None
    assert DEFAULT_REGISTRY.resolve("urn:example:other:2.0:User:x", "User") is None
    assert DEFAULT_REGISTRY.resolve("members.value", "Group") is not None
    assert DEFAULT_REGISTRY.resolve("userName", "Group") is None


def test_split_urn() -> None:
    assert split_urn("userName") == (None, "userName")
    assert split_urn(f"{ENTERPRISE_USER_URN}:manager.value") == (
        ENTERPRISE_USER_URN,
        "manager.value",
    )
    assert split_urn(ENTERPRISE_USER_URN, [ENTERPRISE_USER_URN]) == (ENTERPRISE_USER_URN, "")


def test_custom_extension() -> None:
    registry = DEFAULT_REGISTRY.with_extension("User", ACME)
    assert DEFAULT_REGISTRY.resolve(f"{ACME_URN}:badgeNumber", "User") is None
    ref = registry.resolve(f"{ACME_URN}:site.CODE", "user")
    assert ref is not None and ref.keys == (ACME_URN, "site", "code")
    assert ref.target is not None and ref.target.case_exact
    assert registry.resolve("badgeNumber", "User") is not None
    urns = [s.id for s in registry.schemas_of("User")]
    assert urns == [USER_URN, ENTERPRISE_USER_URN, ACME_URN]
    assert registry.resource_type_for_schemas([USER_URN, ACME_URN]) is not None
    with pytest.raises(errors.ConfigurationError):
        registry.with_extension("User", ACME)


def test_schema_json_round_trip() -> None:
    for schema in DEFAULT_REGISTRY.schemas:
        again = Schema.from_dict(schema.to_dict())
        assert again == schema
    body = USER_SCHEMA.to_dict(location="https://x/scim/v2/Schemas/" + USER_URN)
    assert body["meta"]["resourceType"] == "Schema"
    pw = next(a for a in body["attributes"] if a["name"] == "password")
    assert pw["returned"] == "never" and pw["mutability"] == "writeOnly"


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "type": "text"},
        {"name": "x", "mutability": "sometimes"},
        {"name": "x", "returned": "maybe"},
        {"name": "x", "uniqueness": "global-ish"},
        {"name": "x", "type": "string", "subAttributes": [{"name": "y"}]},
        {"type": "string"},
    ],
)
def test_bad_attribute_definitions_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(errors.ConfigurationError):
        Attribute.from_dict(bad)


def test_resource_type_naming_unknown_schema_is_refused() -> None:
    with pytest.raises(errors.ConfigurationError, match="not registered"):
        DEFAULT_REGISTRY.with_resource_type(
            {"name": "Device", "endpoint": "/Devices", "schema": "urn:example:Device"}
        )
