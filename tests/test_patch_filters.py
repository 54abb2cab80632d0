"""PATCH value-filter paths: RFC 7644 §3.5.2 examples and the filtered shapes IdPs send."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scimcore import (
    GROUP_URN,
    USER_URN,
    InvalidPath,
    InvalidValue,
    Mutability,
    NoTarget,
    apply_patch,
    patch_resource,
)

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BABS = "2819c223-7f76-453a-919d-413861904646"
MANDY = "902c246b-6245-4190-8e05-00816be7344a"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"


def body(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def user() -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "id": BABS,
        "userName": "bjensen@example.com",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "addresses": [
            {
                "type": "work",
                "streetAddress": "100 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "primary": True,
            },
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"},
        ],
    }


def group() -> dict[str, Any]:
    return {
        "schemas": [GROUP_URN],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": BABS, "display": "Babs Jensen"},
            {"value": MANDY, "display": "Mandy Pepperidge"},
        ],
    }


# -- RFC 7644 §3.5.2 examples ---


def test_rfc_remove_single_member() -> None:
    out = apply_patch(group(), body({"op": "remove", "path": f'members[value eq "{BABS}"]'}))
    assert [m["value"] for m in out["members"]] == [MANDY]


def test_rfc_remove_with_complex_filter() -> None:
    path = 'emails[type eq "work" and value ew "example.com"]'
    out = apply_patch(user(), body({"op": "remove", "path": path}))
    assert out["emails"] == [{"value": "babs@jensen.org", "type": "home"}]


def test_rfc_replace_members_by_remove_then_add() -> None:
    request = body(
        {"op": "remove", "path": f'members[value eq "{BABS}"]'},
        {"op": "remove", "path": f'members[value eq "{MANDY}"]'},
        {
            "op": "add",
            "path": "members",
            "value": [
                {
                    "display": "James Smith",
                    "$ref": f"https://example.com/v2/Users/{JAMES}",
                    "value": JAMES,
                }
            ],
        },
    )
    out = apply_patch(group(), request)
    assert [m["value"] for m in out["members"]] == [JAMES]


def test_rfc_replace_work_address() -> None:
    new = {
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": True,
    }
    out = apply_patch(
        user(), body({"op": "replace", "path": 'addresses[type eq "work"]', "value": new})
    )
    assert out["addresses"][0] == new
    assert out["addresses"][1] == user()["addresses"][1]


def test_rfc_replace_sub_attribute_of_matching_element() -> None:
    path = 'addresses[type eq "work"].streetAddress'
    out = apply_patch(user(), body({"op": "replace", "path": path, "value": "1010 Broadway Ave"}))
    assert out["addresses"][0]["streetAddress"] == "1010 Broadway Ave"
    assert out["addresses"][0]["locality"] == "Hollywood"


def test_rfc_replace_with_no_match_is_no_target_strictly() -> None:
    path = 'addresses[type eq "other"].streetAddress'
    with pytest.raises(NoTarget):
        apply_patch(user(), body({"op": "replace", "path": path, "value": "x"}), strict=True)


# -- filtered shapes that IdPs send ---


def test_entra_replace_work_email_value() -> None:
    path = 'emails[type eq "work"].value'
    out = apply_patch(
        user(), body({"op": "Replace", "path": path, "value": "b.jensen@example.com"})
    )
    assert out["emails"][0] == {"value": "b.jensen@example.com", "type": "work", "primary": True}


def test_entra_add_work_email_creates_it_when_absent() -> None:
    resource = user()
    resource["emails"] = [{"value": "babs@jensen.org", "type": "home"}]
    path = 'emails[type eq "work"].value'
    out = apply_patch(resource, body({"op": "Add", "path": path, "value": "b@example.com"}))
    assert out["emails"][-1] == {"type": "work", "value": "b@example.com"}
    del resource["emails"]
    out = apply_patch(resource, body({"op": "add", "path": path, "value": "b@example.com"}))
    assert out["emails"] == [{"type": "work", "value": "b@example.com"}]
    with pytest.raises(NoTarget):
        apply_patch(resource, body({"op": "add", "path": path, "value": "b@x.com"}), strict=True)


def test_replace_matching_nothing_is_no_target_in_every_mode() -> None:
    """RFC 7644 §3.5.2.3: a replace whose value filter matches nothing SHALL fail (noTarget)."""
    path = 'emails[type eq "other"].value'
    for strict in (False, True):
        with pytest.raises(NoTarget):
            apply_patch(
                user(), body({"op": "replace", "path": path, "value": "x@x.com"}), strict=strict
            )
    path = 'members[value eq "nobody"].display'
    g = group()
    with pytest.raises(NoTarget):
        apply_patch(g, body({"op": "replace", "path": path, "value": "x"}))


def test_filter_that_cannot_seed_an_element_is_no_target() -> None:
    path = 'emails[type eq "work" or type eq "other"].value'
    resource = user()
    del resource["emails"]
    with pytest.raises(NoTarget):
        apply_patch(resource, body({"op": "add", "path": path, "value": "x@example.com"}))


def test_validator_primary_email_value() -> None:
    path = "emails[primary eq true].value"
    out = apply_patch(user(), body({"op": "replace", "path": path, "value": "new@example.com"}))
    assert out["emails"][0]["value"] == "new@example.com"
    assert out["emails"][1] == user()["emails"][1]


def test_setting_primary_through_a_filter_turns_others_off() -> None:
    path = 'emails[type eq "home"].primary'
    out = apply_patch(user(), body({"op": "replace", "path": path, "value": True}))
    assert [e["primary"] for e in out["emails"]] == [False, True]


def test_okta_membership_pair() -> None:
    request = body(
        {"op": "remove", "path": f'members[value eq "{MANDY}"]'},
        {
            "op": "add",
            "path": "members",
            "value": [{"value": JAMES, "display": "james@example.com"}],
        },
    )
    out = apply_patch(group(), request, strict=True)
    assert [m["value"] for m in out["members"]] == [BABS, JAMES]


def test_removing_a_member_that_is_not_there_changes_nothing() -> None:
    result = patch_resource(group(), body({"op": "remove", "path": f'members[value eq "{JAMES}"]'}))
    assert not result.changed


def test_remove_sub_attribute_of_matching_elements() -> None:
    out = apply_patch(user(), body({"op": "remove", "path": 'addresses[type eq "home"].locality'}))
    assert out["addresses"][1] == {"type": "home", "streetAddress": "456 Hollywood Blvd"}


def test_sub_attribute_of_every_element_without_filter() -> None:
    out = apply_patch(user(), body({"op": "remove", "path": "emails.primary"}))
    assert all("primary" not in e for e in out["emails"])
    out = apply_patch(user(), body({"op": "replace", "path": "addresses.country", "value": "US"}))
    assert [a["country"] for a in out["addresses"]] == ["US", "US"]


def test_add_through_filter_merges_into_the_element() -> None:
    path = 'addresses[type eq "home"]'
    out = apply_patch(user(), body({"op": "add", "path": path, "value": {"postalCode": "90028"}}))
    assert out["addresses"][1]["postalCode"] == "90028"
    assert out["addresses"][1]["streetAddress"] == "456 Hollywood Blvd"


def test_immutable_member_sub_attribute_cannot_change() -> None:
    path = f'members[value eq "{BABS}"].display'
    with pytest.raises(Mutability):
        apply_patch(group(), body({"op": "replace", "path": path, "value": "Barbara"}))
    assert not patch_resource(
        group(), body({"op": "replace", "path": path, "value": "Babs Jensen"})
    ).changed


def test_filter_values_compare_case_insensitively_unless_case_exact() -> None:
    out = apply_patch(user(), body({"op": "remove", "path": 'emails[value eq "BABS@JENSEN.ORG"]'}))
    assert len(out["emails"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        'emails[type eq "work"',
        'emails[type eq "work"]]',
        "emails[type eq]",
        'emails[type zz "work"]',
        'emails[nosuch eq "x"]',
        'emails[type eq "work"].nosuch',
        'userName[value eq "x"]',
        'name[givenName eq "x"]',
        'schemas[value eq "x"]',
        'emails.value[type eq "work"]',
        'emails[type eq "work"].value.x',
        '[type eq "work"]',
        "emails[]",
        'emails[type eq "work"] extra',
    ],
)
def test_bad_filter_paths_are_invalid_path(path: str) -> None:
    resource = user()
    before = json.dumps(resource, sort_keys=True)
    with pytest.raises(InvalidPath) as info:
        apply_patch(resource, body({"op": "replace", "path": path, "value": "x"}))
    assert info.value.scim_type == "invalidPath"
    assert info.value.path == ("Operations", 0, "path")
    assert json.dumps(resource, sort_keys=True) == before


def test_invalid_path_carries_the_position() -> None:
    with pytest.raises(InvalidPath) as info:
        apply_patch(user(), body({"op": "remove", "path": 'emails[type eq "work"'}))
    assert info.value.position is not None


def test_wrong_value_type_through_filter_is_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        apply_patch(
            user(),
            body({"op": "replace", "path": 'emails[type eq "work"].primary', "value": "yes"}),
            strict=True,
        )
    with pytest.raises(InvalidValue):
        apply_patch(user(), body({"op": "replace", "path": 'emails[type eq "work"]', "value": "x"}))


def test_filter_selecting_several_elements_cannot_make_them_all_primary() -> None:
    with pytest.raises(InvalidValue, match="primary"):
        apply_patch(
            user(), body({"op": "replace", "path": "emails[value pr].primary", "value": True})
        )


def test_replacing_a_member_element_keeps_its_immutable_display() -> None:
    path = f'members[value eq "{BABS}"]'
    out = apply_patch(group(), body({"op": "replace", "path": path, "value": {"value": BABS}}))
    assert out["members"][0] == {"value": BABS, "display": "Babs Jensen"}
    with pytest.raises(Mutability):
        apply_patch(group(), body({"op": "replace", "path": path, "value": {"value": JAMES}}))
