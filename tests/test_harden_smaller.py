"""Server-owned member attributes, strict bulkIds, cross-type root search (issue 12.5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests._service_support import BASE, call, group, patch, user
from tests.harden_support import service_on
from tests.store_backends import BACKENDS

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _members(svc: Any, gid: str) -> list[dict[str, Any]]:
    r = call(svc, "GET", f"/Groups/{gid}")
    assert r.status == 200
    return list(r.json().get("members", []))


@pytest.mark.parametrize("kind", BACKENDS)
def test_member_ref_type_and_display_are_the_servers(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request) as svc:
        uid = call(svc, "POST", "/Users", user("bob", displayName="Bob B")).json()["id"]
        sub = call(svc, "POST", "/Groups", group("sub")).json()["id"]
        lie = {"value": uid, "type": "Group", "$ref": "https://evil.example/x", "display": "Eve"}
        body = {**group("g"), "members": [lie]}
        r = call(svc, "POST", "/Groups", body)
        assert r.status == 201, r.body
        gid = r.json()["id"]
        want_user = {
            "value": uid, "type": "User", "$ref": f"{BASE}/Users/{uid}", "display": "Bob B",
        }  # fmt: skip
        assert _members(svc, gid) == [want_user]
        # a client cannot rewrite them later either: PUT, PATCH replace, PATCH add
        r = call(svc, "PUT", f"/Groups/{gid}", {**group("g"), "members": [lie]})
        assert r.status == 200
        assert _members(svc, gid) == [want_user]
        liar_group = {"value": sub, "type": "User", "display": "not sub"}
        r = call(
            svc, "PATCH", f"/Groups/{gid}",
            patch({"op": "add", "path": "members", "value": [liar_group, lie]}),
        )  # fmt: skip
        assert r.status == 200, r.body
        got = {m["value"]: m for m in _members(svc, gid)}
        assert got[uid] == want_user
        assert got[sub] == {
            "value": sub, "type": "Group", "$ref": f"{BASE}/Groups/{sub}", "display": "sub",
        }  # fmt: skip


@pytest.mark.parametrize(
    "ids",
    [["a", "a"], ["", "b"], ["  ", "b"], [7, "b"], ["x", "y", "x"]],
)
def test_duplicate_or_empty_bulk_ids_refuse_the_request(
    ids: list[Any], request: pytest.FixtureRequest
) -> None:
    with service_on("memory", request) as svc:
        ops = [
            {"method": "POST", "path": "/Users", "bulkId": bid, "data": user(f"bulk{i}")}
            for i, bid in enumerate(ids)
        ]
        r = call(svc, "POST", "/Bulk", {"schemas": [BULK], "Operations": ops})
        assert r.status == 400, r.body
        assert r.json()["scimType"] == "invalidValue"
        assert "bulkId" in r.json()["detail"]
        assert call(svc, "GET", "/Users").json()["totalResults"] == 0  # nothing done


@pytest.mark.parametrize("kind", BACKENDS)
def test_root_search_takes_a_filter_any_resource_type_understands(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request) as svc:
        call(svc, "POST", "/Users", user("bob", emails=[{"value": "b@x.org", "type": "work"}]))
        call(svc, "POST", "/Users", user("amy"))
        call(svc, "POST", "/Groups", group("staff"))

        def search(flt: str) -> tuple[int, Any]:
            r = call(svc, "POST", "/.search", {"schemas": [SEARCH], "filter": flt})
            return r.status, r.json()

        def names(body: Any) -> list[str]:
            return sorted(r.get("userName") or r.get("displayName") for r in body["Resources"])

        status, body = search('userName eq "bob"')
        assert status == 200 and names(body) == ["bob"] and body["totalResults"] == 1
        status, body = search('emails[type eq "work"]')
        assert status == 200 and names(body) == ["bob"]
        status, body = search('userName eq "bob" or displayName eq "staff"')
        assert status == 200 and names(body) == ["bob", "staff"]
        status, body = search('not (userName eq "bob")')
        assert status == 200 and names(body) == ["amy", "staff"]
        status, body = search('displayName eq "staff"')
        assert status == 200 and names(body) == ["staff"]
        status, body = search('nosuch eq "x"')
        assert status == 400 and body["scimType"] == "invalidFilter"
        status, body = search("active gt true")
        assert status == 400 and body["scimType"] == "invalidFilter"
        assert json.dumps(body)
