"""The sans-IO handler end to end: every endpoint and error, against each store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from scimcore.errors import Mutability
from scimcore.service import (
    AuditRecord,
    BearerTokens,
    DeleteInstead,
    RateLimit,
    ScimRequest,
    ScimService,
    ServiceConfig,
    WriteEvent,
)
from scimcore.store import MemoryStore
from tests._service_support import (
    AUTH,
    BASE,
    TOKEN,
    Clock,
    call,
    group,
    ids,
    patch,
    user,
)
from tests.store_backends import BACKENDS, make_store


def _config(**kw: Any) -> ServiceConfig:
    kw.setdefault("base_url", BASE)
    kw.setdefault("authenticator", BearerTokens.from_tokens({"okta": TOKEN}))
    return ServiceConfig(**kw)


@pytest.fixture(params=BACKENDS)
def make(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A factory of services, each over a fresh store of the parametrised kind."""
    with ExitStack() as stack:

        def factory(**kw: Any) -> ScimService:
            config = _config(**kw)
            store = stack.enter_context(
                make_store(
                    request.param,
                    request,
                    registry=config.registry,
                    unique_group_display_name=config.group_display_name_unique,
                )
            )
            return ScimService(store, config, clock=Clock(), id_factory=ids())

        yield factory


@pytest.fixture
def svc(make: Any) -> ScimService:
    service: ScimService = make()
    return service


def _create(svc: ScimService, name: str, **extra: Any) -> dict[str, Any]:
    r = call(svc, "POST", "/Users", user(name, **extra))
    assert r.status == 201, r.json()
    body: dict[str, Any] = r.json()
    return body


# -- discovery ----------------------------------------------------------------------------------


def test_service_provider_config_tells_the_truth(svc: ScimService) -> None:
    r = call(svc, "GET", "/ServiceProviderConfig")
    assert r.status == 200
    assert r.header("content-type") == "application/scim+json; charset=utf-8"
    body = r.json()
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is True and body["bulk"]["maxOperations"] == 1000
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["etag"]["supported"] is True and body["sort"]["supported"] is True
    assert body["changePassword"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["pagination"]["cursor"] is True
    assert body["meta"]["location"] == f"{BASE}/ServiceProviderConfig"


def test_schemas_and_resource_types_include_custom_extensions(make: Any) -> None:
    urn = "urn:example:params:scim:schemas:extension:acme:2.0:User"
    registry = ServiceConfig().registry.with_extension(
        "User", {"id": urn, "name": "AcmeUser", "attributes": [{"name": "badge"}]}
    )
    svc = make(registry=registry)
    schemas = call(svc, "GET", "/Schemas").json()
    assert urn in {s["id"] for s in schemas["Resources"]}
    assert schemas["totalResults"] == len(schemas["Resources"])
    one = call(svc, "GET", f"/Schemas/{urn}")
    assert one.status == 200 and one.json()["attributes"][0]["name"] == "badge"
    assert call(svc, "GET", "/Schemas/urn:nope").status == 404
    rts = call(svc, "GET", "/ResourceTypes").json()
    assert {r["name"] for r in rts["Resources"]} == {"User", "Group"}
    rt = call(svc, "GET", "/ResourceTypes/User").json()
    assert urn in {e["schema"] for e in rt["schemaExtensions"]}
    assert rt["meta"]["location"] == f"{BASE}/ResourceTypes/User"
    assert call(svc, "GET", "/ResourceTypes/Nope").status == 404


def test_discovery_without_auth_only_when_configured(make: Any) -> None:
    closed = make()
    assert call(closed, "GET", "/ServiceProviderConfig", auth=False).status == 401
    opened = make(public_discovery=True)
    assert call(opened, "GET", "/ServiceProviderConfig", auth=False).status == 200
    assert call(opened, "GET", "/Schemas", auth=False).status == 200
    assert call(opened, "GET", "/Users", auth=False).status == 401


# -- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong", "scheme"],
)
def test_bad_credentials_get_401_with_challenge(svc: ScimService, headers: dict[str, str]) -> None:
    r = call(svc, "GET", "/Users", headers=headers, auth=False)
    assert r.status == 401
    assert (r.header("www-authenticate") or "").startswith("Bearer")
    assert r.json()["status"] == "401"
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_several_tokens_live_at_once_and_names_reach_hooks(make: Any) -> None:
    seen: list[str | None] = []

    def hook(event: WriteEvent) -> None:
        seen.append(event.context.token_name)

    tokens = BearerTokens.from_tokens({"old": "token-old", "new": "token-new"})
    svc = make(authenticator=tokens, before_write=[hook])
    for name, token in (("a", "token-old"), ("b", "token-new")):
        r = call(svc, "POST", "/Users", user(name), headers={"Authorization": f"Bearer {token}"})
        assert r.status == 201
    assert seen == ["old", "new"]
    rotated = make(authenticator=tokens.without("old"))
    r = call(rotated, "GET", "/Users", headers={"Authorization": "Bearer token-old"}, auth=False)
    assert r.status == 401
    assert "token-old" not in repr(tokens) and "token-new" not in repr(tokens)


# -- users: create, read, replace, patch, delete ------------------------------------------------


def test_create_returns_201_location_etag_and_meta(svc: ScimService) -> None:
    r = call(svc, "POST", "/Users", user("Jane@Example.com", password="s3cret", id="mine"))
    assert r.status == 201
    body = r.json()
    assert body["id"] == "id-0001"
    assert r.header("location") == body["meta"]["location"] == f"{BASE}/Users/id-0001"
    assert r.header("etag") == body["meta"]["version"] == 'W/"1"'
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["created"] == body["meta"]["lastModified"]
    assert body["meta"]["created"].endswith("Z")
    assert "password" not in body
    got = call(svc, "GET", "/Users/id-0001")
    assert got.status == 200 and got.json() == body
    assert got.header("etag") == 'W/"1"'


def test_duplicate_username_is_409_case_insensitively(svc: ScimService) -> None:
    _create(svc, "jane@example.com")
    r = call(svc, "POST", "/Users", user("JANE@example.COM"))
    assert r.status == 409
    assert r.json()["scimType"] == "uniqueness"


def test_unknown_id_is_404_with_error_body(svc: ScimService) -> None:
    for method in ("GET", "DELETE"):
        r = call(svc, method, "/Users/010101001010101011001010101011")
        assert r.status == 404
        assert r.json()["status"] == "404" and r.json()["detail"]


def test_put_replaces_and_never_creates(svc: ScimService) -> None:
    created = _create(svc, "pat", displayName="Pat", nickName="P")
    r = call(svc, "PUT", "/Users/id-0001", {**created, "displayName": "Patricia"})
    assert r.status == 200
    body = r.json()
    assert body["displayName"] == "Patricia" and body["nickName"] == "P"
    assert body["meta"]["version"] == 'W/"2"' == r.header("etag")
    assert body["meta"]["created"] == created["meta"]["created"]
    assert body["meta"]["lastModified"] > created["meta"]["lastModified"]
    assert call(svc, "PUT", "/Users/nobody", user("ghost")).status == 404
    assert (
        call(svc, "GET", "/Users", query={"filter": 'userName eq "ghost"'}).json()["totalResults"]
        == 0
    )


def test_patch_returns_resource_or_204_when_configured(make: Any) -> None:
    svc = make()
    _create(svc, "kim")
    r = call(svc, "PATCH", "/Users/id-0001", patch({"op": "replace", "value": {"active": False}}))
    assert r.status == 200 and r.json()["active"] is False
    quiet = make(patch_response="no_content")
    _create(quiet, "kim")
    r = call(
        quiet,
        "PATCH",
        "/Users/id-0001",
        patch({"op": "Replace", "path": "active", "value": "False"}),
    )
    assert r.status == 204 and r.body == b"" and r.header("etag") == 'W/"2"'
    assert call(quiet, "GET", "/Users/id-0001").json()["active"] is False


def test_delete_is_204_then_404(svc: ScimService) -> None:
    _create(svc, "gone")
    r = call(svc, "DELETE", "/Users/id-0001")
    assert r.status == 204 and r.body == b""
    assert call(svc, "GET", "/Users/id-0001").status == 404


def test_deactivated_users_stay_visible(svc: ScimService) -> None:
    _create(svc, "sleepy", active=True)
    call(svc, "PATCH", "/Users/id-0001", patch({"op": "replace", "path": "active", "value": False}))
    assert call(svc, "GET", "/Users/id-0001").json()["active"] is False
    found = call(svc, "GET", "/Users", query={"filter": 'userName eq "sleepy"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["active"] is False


# -- preconditions ------------------------------------------------------------------------------


def test_if_match_mismatch_is_412_and_if_none_match_is_304(svc: ScimService) -> None:
    created = _create(svc, "etag")
    stale = {"If-Match": 'W/"7"'}
    assert call(svc, "PUT", "/Users/id-0001", created, headers=stale).status == 412
    assert call(svc, "PATCH", "/Users/id-0001", patch(), headers=stale).status == 412
    assert call(svc, "DELETE", "/Users/id-0001", headers=stale).status == 412
    ok = call(svc, "PUT", "/Users/id-0001", created, headers={"If-Match": 'W/"1"'})
    assert ok.status == 200
    r = call(svc, "GET", "/Users/id-0001", headers={"If-None-Match": 'W/"2"'})
    assert r.status == 304 and r.body == b"" and r.header("etag") == 'W/"2"'
    assert call(svc, "GET", "/Users/id-0001", headers={"If-None-Match": 'W/"1"'}).status == 200
    assert call(svc, "DELETE", "/Users/id-0001", headers={"If-Match": "*"}).status == 204


# -- listing ------------------------------------------------------------------------------------


def test_filter_that_matches_nothing_is_an_empty_200(svc: ScimService) -> None:
    r = call(
        svc, "GET", "/Users", query="filter=userName+eq+%227d420df3-9995-4831-a406-ecf8166f5f6a%22"
    )
    assert r.status == 200
    assert r.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }


def test_filter_sort_page_and_project(svc: ScimService) -> None:
    for name in ("carol", "alice", "bob", "dave"):
        _create(svc, name, displayName=name.title(), title="Engineer")
    r = call(svc, "GET", "/Users", query={"filter": 'userName eq "ALICE"'}).json()
    assert [u["userName"] for u in r["Resources"]] == ["alice"]
    page = call(
        svc,
        "GET",
        "/Users",
        query={"sortBy": "userName", "sortOrder": "descending", "startIndex": "2", "count": "2"},
    ).json()
    assert page["totalResults"] == 4 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [u["userName"] for u in page["Resources"]] == ["carol", "bob"]
    only = call(svc, "GET", "/Users", query={"attributes": "userName", "count": "1"}).json()
    assert set(only["Resources"][0]) == {"id", "schemas", "userName"}
    less = call(svc, "GET", "/Users/id-0001", query={"excludedAttributes": "title"}).json()
    assert "title" not in less and less["displayName"] == "Carol"


def test_cursor_paging_walks_every_resource_once(svc: ScimService) -> None:
    for i in range(5):
        _create(svc, f"u{i}")
    seen: list[str] = []
    cursor = ""
    while True:
        page = call(svc, "GET", "/Users", query={"cursor": cursor, "count": "2"}).json()
        assert "startIndex" not in page
        seen += [u["userName"] for u in page["Resources"]]
        if "previousCursor" in page:  # offered where the store can go back
            back = call(
                svc, "GET", "/Users", query={"cursor": page["previousCursor"], "count": "2"}
            )
            assert back.status == 200 and back.json()["Resources"]
        if "nextCursor" not in page:
            break
        cursor = page["nextCursor"]
    assert sorted(seen) == [f"u{i}" for i in range(5)]
    r = call(svc, "GET", "/Users", query={"cursor": "", "startIndex": "1"})
    assert r.status == 400
    q = {"cursor": "", "count": "2", "sortBy": "userName"}
    first = call(svc, "GET", "/Users", query=q).json()
    second = call(svc, "GET", "/Users", query={**q, "cursor": first["nextCursor"]}).json()
    assert [u["userName"] for u in second["Resources"]] == ["u2", "u3"]
    if "previousCursor" in second:
        back = call(svc, "GET", "/Users", query={**q, "cursor": second["previousCursor"]}).json()
        assert [u["userName"] for u in back["Resources"]] == ["u0", "u1"]
    bad = call(svc, "GET", "/Users", query={"cursor": "not-a-cursor"})
    assert bad.status == 400 and bad.json()["scimType"] == "invalidCursor"


def test_bad_list_parameters_are_400(make: Any) -> None:
    svc = make(max_filter_length=40)
    bad = call(svc, "GET", "/Users", query={"filter": "userName eq"})
    assert bad.status == 400 and bad.json()["scimType"] == "invalidFilter"
    long = call(svc, "GET", "/Users", query={"filter": "userName eq " + '"' + "x" * 60 + '"'})
    assert long.status == 400 and long.json()["scimType"] == "tooMany"
    assert call(svc, "GET", "/Users", query={"count": "ten"}).status == 400
    assert call(svc, "GET", "/Users", query={"sortOrder": "sideways"}).status == 400


def test_count_is_clamped_to_max_results(make: Any) -> None:
    svc = make(max_results=2)
    for i in range(3):
        _create(svc, f"c{i}")
    page = call(svc, "GET", "/Users", query={"count": "50"}).json()
    assert page["itemsPerPage"] == 2 and page["totalResults"] == 3


def test_search_endpoints(svc: ScimService) -> None:
    _create(svc, "searcher")
    call(svc, "POST", "/Groups", group("Searchers"))
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "search"',
        "attributes": ["userName"],
    }
    r = call(svc, "POST", "/Users/.search", body)
    assert r.status == 200 and r.json()["Resources"][0]["userName"] == "searcher"
    both = call(svc, "POST", "/.search", {**body, "filter": "meta.resourceType pr"}).json()
    assert both["totalResults"] == 2
    assert call(svc, "GET", "/Users/.search").status == 405


# -- HTTP details -------------------------------------------------------------------------------


def test_content_negotiation(svc: ScimService) -> None:
    assert (
        call(svc, "GET", "/Users").header("content-type") == "application/scim+json; charset=utf-8"
    )
    plain = call(svc, "GET", "/Users", headers={"Accept": "application/json"})
    assert plain.header("content-type") == "application/json; charset=utf-8"
    both = call(svc, "GET", "/Users", headers={"Accept": "application/scim+json, application/json"})
    assert both.header("content-type") == "application/scim+json; charset=utf-8"
    posted = call(svc, "POST", "/Users", user("json"), headers={"Content-Type": "application/json"})
    assert posted.status == 201


def test_unknown_endpoints_methods_and_bodies(make: Any) -> None:
    svc = make(max_body_bytes=200)
    r = call(svc, "GET", "/Widgets")
    assert r.status == 404 and r.json()["status"] == "404"
    assert call(svc, "GET", "/Users/a/b").status == 404
    r = call(svc, "DELETE", "/Users")
    assert r.status == 405 and r.header("allow") == "GET, POST"
    big = call(svc, "POST", "/Users", user("x" * 300))
    assert big.status == 413
    bad = call(svc, "POST", "/Users", b"{not json")
    assert bad.status == 400 and bad.json()["scimType"] == "invalidSyntax"
    missing = call(svc, "POST", "/Users", {"schemas": [user("x")["schemas"][0]]})
    assert missing.status == 400


def test_rate_limit_answers_429_with_integer_retry_after(make: Any) -> None:
    svc = make(rate_limit=RateLimit(per_second=0.5, burst=2))
    statuses = [call(svc, "GET", "/Users").status for _ in range(4)]
    assert statuses[:2] == [200, 200] and 429 in statuses
    r = call(svc, "GET", "/Users")
    if r.status == 429:
        assert (r.header("retry-after") or "").isdigit()
        assert r.json()["status"] == "429"


def test_unexpected_exceptions_become_a_generic_500(
    svc: ScimService, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: WriteEvent) -> None:
        raise RuntimeError("secret internals")

    broken = ScimService(MemoryStore(), _config(before_write=[explode]))
    r = call(broken, "POST", "/Users", user("boom"))
    assert r.status == 500
    assert "secret" not in r.body.decode()
    assert "secret internals" in caplog.text


def test_me_is_501_unless_configured(make: Any) -> None:
    assert call(make(), "GET", "/Me").status == 501
    svc = make(me=lambda ctx: "id-0001" if ctx.token_name == "okta" else None)
    _create(svc, "me")
    r = call(svc, "GET", "/Me")
    assert r.status == 200 and r.json()["userName"] == "me"


# -- groups and membership ----------------------------------------------------------------------


def test_group_membership_shows_in_user_groups_and_follows_deletes(svc: ScimService) -> None:
    _create(svc, "ann")
    _create(svc, "ben")
    r = call(svc, "POST", "/Groups", group("Admins", ["id-0001", "id-0002"]))
    assert r.status == 201
    members = r.json()["members"]
    assert {m["value"] for m in members} == {"id-0001", "id-0002"}
    assert all(m["type"] == "User" and m["$ref"].startswith(BASE) for m in members)
    ann = call(svc, "GET", "/Users/id-0001").json()
    assert ann["groups"] == [
        {
            "value": "id-0003",
            "$ref": f"{BASE}/Groups/id-0003",
            "type": "direct",
            "display": "Admins",
        }
    ]
    listed = call(svc, "GET", "/Users", query={"filter": 'userName eq "ann"'}).json()
    assert listed["Resources"][0]["groups"][0]["value"] == "id-0003"
    assert call(svc, "DELETE", "/Users/id-0001").status == 204
    left = call(svc, "GET", "/Groups/id-0003").json()
    assert [m["value"] for m in left["members"]] == ["id-0002"]
    slim = call(svc, "GET", "/Groups", query={"excludedAttributes": "members"}).json()
    assert "members" not in slim["Resources"][0]


def test_group_patch_members_is_idempotent_and_checked(svc: ScimService) -> None:
    _create(svc, "cy")
    call(svc, "POST", "/Groups", group("Ops"))
    add = patch({"op": "add", "path": "members", "value": [{"value": "id-0001"}]})
    assert call(svc, "PATCH", "/Groups/id-0002", add).status == 200
    again = call(svc, "PATCH", "/Groups/id-0002", add)
    assert again.status == 200 and len(again.json()["members"]) == 1
    unknown = patch({"op": "add", "path": "members", "value": [{"value": "nobody"}]})
    r = call(svc, "PATCH", "/Groups/id-0002", unknown)
    assert r.status == 400 and r.json()["scimType"] == "invalidValue"
    remove = patch({"op": "remove", "path": 'members[value eq "id-0001"]'})
    assert call(svc, "PATCH", "/Groups/id-0002", remove).status == 200
    assert "groups" not in call(svc, "GET", "/Users/id-0001").json()


def test_group_display_name_uniqueness_when_configured(make: Any) -> None:
    loose = make()
    assert call(loose, "POST", "/Groups", group("Same")).status == 201
    assert call(loose, "POST", "/Groups", group("same")).status == 201
    strict = make(group_display_name_unique=True)
    assert call(strict, "POST", "/Groups", group("Same")).status == 201
    r = call(strict, "POST", "/Groups", group("SAME"))
    assert r.status == 409 and r.json()["scimType"] == "uniqueness"


# -- bulk ---------------------------------------------------------------------------------------

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def test_bulk_resolves_bulk_ids_in_dependency_order(svc: ScimService) -> None:
    body = {
        "schemas": [BULK],
        "Operations": [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g",
                "data": {**group("Team"), "members": [{"value": "bulkId:u"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": user("bulky")},
            {
                "method": "PATCH",
                "path": "/Users/bulkId:u",
                "data": patch({"op": "replace", "path": "displayName", "value": "B"}),
            },
        ],
    }
    r = call(svc, "POST", "/Bulk", body)
    assert r.status == 200
    ops = r.json()["Operations"]
    assert [o["status"] for o in ops] == ["201", "201", "200"]
    assert ops[1]["location"] == f"{BASE}/Users/id-0001"
    group_body = call(svc, "GET", "/Groups/id-0002").json()
    assert group_body["members"][0]["value"] == "id-0001"
    assert call(svc, "GET", "/Users/id-0001").json()["displayName"] == "B"


def test_bulk_refuses_circular_references_and_stops_on_errors(svc: ScimService) -> None:
    body = {
        "schemas": [BULK],
        "Operations": [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "a",
                "data": {**group("A"), "members": [{"value": "bulkId:b"}]},
            },
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "b",
                "data": {**group("B"), "members": [{"value": "bulkId:a"}]},
            },
            {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("fine")},
        ],
    }
    ops = call(svc, "POST", "/Bulk", body).json()["Operations"]
    assert sorted(o["status"] for o in ops) == ["201", "409", "409"]
    stop = {
        "schemas": [BULK],
        "failOnErrors": 1,
        "Operations": [
            {"method": "DELETE", "path": "/Users/nobody"},
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": user("never")},
        ],
    }
    ops = call(svc, "POST", "/Bulk", stop).json()["Operations"]
    assert [o["status"] for o in ops] == ["404"]
    assert ops[0]["response"]["status"] == "404"


def test_bulk_limits_are_413(make: Any) -> None:
    svc = make(bulk_max_operations=2, bulk_max_payload_bytes=400)
    ops = [{"method": "DELETE", "path": f"/Users/{i}"} for i in range(3)]
    r = call(svc, "POST", "/Bulk", {"schemas": [BULK], "Operations": ops})
    assert r.status == 413
    big = [{"method": "POST", "path": "/Users", "bulkId": "b", "data": user("x" * 500)}]
    assert call(svc, "POST", "/Bulk", {"schemas": [BULK], "Operations": big}).status == 413


# -- hooks and audit ----------------------------------------------------------------------------


def test_before_write_hooks_can_refuse_or_deactivate_instead_of_delete(make: Any) -> None:
    def policy(event: WriteEvent) -> dict[str, Any] | None:
        if event.action == "delete" and event.old is not None:
            return {**event.old, "active": False}
        renamed = event.old and event.new and event.old["userName"] != event.new["userName"]
        if event.action in ("replace", "patch") and renamed:
            raise Mutability("userName cannot change on this application")
        return None

    svc = make(before_write=[policy])
    _create(svc, "keep", active=True)
    assert call(svc, "DELETE", "/Users/id-0001").status == 204
    kept = call(svc, "GET", "/Users/id-0001")
    assert kept.status == 200 and kept.json()["active"] is False
    rename = patch({"op": "replace", "path": "userName", "value": "other"})
    r = call(svc, "PATCH", "/Users/id-0001", rename)
    assert r.status == 400 and r.json()["scimType"] == "mutability"


def test_audit_sink_gets_one_record_per_request_with_redacted_diff(make: Any) -> None:
    records: list[AuditRecord] = []
    svc = make(audit_sink=records.append)
    _create(svc, "audited", password="hunter2", title="A")
    call(svc, "POST", "/Users", user("AUDITED"), headers={"User-Agent": "Okta SCIM Client 1.0.0"})
    call(svc, "PATCH", "/Users/id-0001", patch({"op": "replace", "path": "title", "value": "B"}))
    call(svc, "GET", "/Users", auth=False)
    assert [r.action for r in records] == ["create", "create", "patch", "list"]
    first, dup, patched, denied = records
    assert first.status == 201 and first.resource_id == "id-0001" and first.user_name == "audited"
    assert first.token_name == "okta" and first.client_ip == "192.0.2.7"
    assert first.changes is not None and first.changes["password"]["new"] == "[redacted]"
    assert "hunter2" not in repr(records)
    assert dup.status == 409 and dup.scim_type == "uniqueness" and dup.idp == "okta"
    assert patched.changes == {"title": {"old": "A", "new": "B"}}
    assert denied.status == 401 and denied.token_name is None


# -- concurrency --------------------------------------------------------------------------------


def test_two_identical_posts_race_to_one_201_and_one_409(svc: ScimService) -> None:
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        statuses.append(call(svc, "POST", "/Users", user("racer")).status)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]


def test_request_value_normalises_its_inputs() -> None:
    req = ScimRequest("get", "/Users", "filter=a+eq+%22b%22&count=2", [("X-A", "1"), ("x-a", "2")])
    assert req.method == "GET"
    assert req.query == {"filter": 'a eq "b"', "count": "2"}
    assert req.header("X-a") == "1, 2"
    assert AUTH["Authorization"].endswith(TOKEN)


def test_a_hook_can_delete_instead_of_writing(make: Any) -> None:
    def delete_on_deactivate(event: WriteEvent) -> Any:
        if event.new is not None and event.new.get("active") is False:
            return DeleteInstead(event.new)
        return None

    svc = make(before_write=[delete_on_deactivate])
    _create(svc, "leaver", active=True)
    call(svc, "POST", "/Groups", group("Team", ["id-0001"]))
    r = call(svc, "PATCH", "/Users/id-0001", patch({"op": "replace", "value": {"active": False}}))
    assert r.status == 200 and r.json()["active"] is False
    assert call(svc, "GET", "/Users/id-0001").status == 404
    assert "members" not in call(svc, "GET", "/Groups/id-0002").json()


def test_idp_body_quirks_are_read_as_meant_unless_strict(make: Any) -> None:
    svc = make()
    entra_group = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "displayName": "Entra group",
        "externalId": "0a21f0f2",
    }
    assert call(svc, "POST", "/Groups", entra_group).status == 201
    onelogin = {
        "schemas": ["urn:scim:schemas:core:2.0", "urn:scim:schemas:extension:enterprise:2.0"],
        "userName": "one@example.com",
        "active": "True",
        "emails": {"value": "one@example.com", "primary": "true"},
        "urn:scim:schemas:extension:enterprise:2.0": {"department": "Ops"},
    }
    r = call(svc, "POST", "/Users", onelogin)
    assert r.status == 201, r.json()
    body = r.json()
    assert body["active"] is True
    assert body["emails"] == [{"value": "one@example.com", "primary": True}]
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert body[enterprise] == {"department": "Ops"}
    strict = make(lenient_bodies=False)
    assert call(strict, "POST", "/Users", onelogin).status == 400


def test_a_query_string_left_on_the_path_is_read(svc: ScimService) -> None:
    _create(svc, "pathq")
    r = svc.handle(
        ScimRequest("GET", "/scim/v2/Users?filter=userName+eq+%22nobody%22&", headers=AUTH)
    )
    assert r.status == 200 and r.json()["totalResults"] == 0
    put = svc.handle(
        ScimRequest(
            "PUT",
            "/scim/v2/Users/id-0001?",
            headers=AUTH,
            body=b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pathq2"}',
        )
    )
    assert put.status == 200 and put.json()["userName"] == "pathq2"


def test_concurrent_patches_never_lose_an_update(svc: ScimService) -> None:
    _create(svc, "shared")
    for i in range(6):
        _create(svc, f"member{i}")
    call(svc, "POST", "/Groups", group("Crowd"))
    gid = "id-0008"
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def add(i: int) -> None:
        barrier.wait()
        body = patch({"op": "add", "path": "members", "value": [{"value": f"id-000{i + 2}"}]})
        statuses.append(call(svc, "PATCH", f"/Groups/{gid}", body).status)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    members = call(svc, "GET", f"/Groups/{gid}").json()["members"]
    assert sorted(m["value"] for m in members) == [f"id-000{i + 2}" for i in range(6)]
    slim = call(svc, "GET", f"/Groups/{gid}", query={"excludedAttributes": "members"}).json()
    assert "members" not in slim and slim["displayName"] == "Crowd"


def test_sort_by_an_unknown_attribute_is_400(svc: ScimService) -> None:
    r = call(svc, "GET", "/Users", query={"sortBy": "shoeSize"})
    assert r.status == 400 and r.json()["scimType"] == "invalidValue"
    assert "shoeSize" in r.json()["detail"]
