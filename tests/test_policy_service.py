"""Every policy choice through the HTTP-level handler, with the deactivation shapes IdPs send.

Okta (OIN) deactivates with a no-path PATCH ``{"active": false}``; Okta AIW and on-prem with a PUT
of the whole user and ``active: false``; Entra with ``{"op": "Replace", "path": "active", "value":
"False"}``; JumpCloud with one lower-case path replace per attribute and a boolean; DELETE is what
JumpCloud's connection test, OneLogin and Ping send.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from scimcore.audit import MemoryAuditLog, audit_sink
from scimcore.policy import ProvisioningPolicy, policy_hook, verify_password
from scimcore.service import BearerTokens, ScimRequest, ScimResponse, ScimService, ServiceConfig
from scimcore.store import MemoryStore

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TOKEN = "tok-9f8e7d6c5b4a"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
OKTA_UA = {"User-Agent": "Okta SCIM Client 1.0.0"}
ENTRA = {"ADSCIMVersion": "2.0"}


class Server:
    """A ScimService with a policy, an in-memory store and an in-memory audit log."""

    def __init__(
        self, policy: dict[str, Any] | None = None, *, store: Any = None, **config: Any
    ) -> None:
        self.policy = ProvisioningPolicy.from_dict(policy or {})
        self.audit = MemoryAuditLog()
        self.store = store if store is not None else MemoryStore()
        ids = (f"id{i}" for i in itertools.count(1))
        self.now = NOW
        self.service = ScimService(
            self.store,
            ServiceConfig(
                base_url="https://sp.example.com/scim/v2",
                authenticator=BearerTokens.from_tokens({"okta-prod": TOKEN}),
                before_write=[policy_hook(self.policy)],
                audit_sink=audit_sink(self.audit),
                change_password=self.policy.change_password,
                **config,
            ),
            clock=lambda: self.now,
            id_factory=lambda: next(ids),
        )

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> ScimResponse:
        hdrs = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        return self.service.handle(
            ScimRequest(method, "/scim/v2" + path, headers=hdrs, body=data, client="203.0.113.5")
        )

    def create(self, user_name: str = "jane@example.com", **extra: Any) -> dict[str, Any]:
        body = {"schemas": [USER_URN], "userName": user_name, "active": True, **extra}
        r = self.call("POST", "/Users", body, OKTA_UA)
        assert r.status == 201, r.body
        out: dict[str, Any] = r.json()
        return out

    def stored(self, rid: str) -> dict[str, Any] | None:
        with self.store.transaction(readonly=True) as tx:
            s = tx.get("User", rid)
        return None if s is None else s.resource


def okta_patch(s: Server, rid: str, active: bool) -> ScimResponse:
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "value": {"active": active}}]}
    return s.call("PATCH", f"/Users/{rid}", body, OKTA_UA)


def okta_put(s: Server, rid: str, active: bool) -> ScimResponse:
    current = s.call("GET", f"/Users/{rid}", headers=OKTA_UA).json()
    return s.call("PUT", f"/Users/{rid}", {**current, "active": active}, OKTA_UA)


def entra_patch(s: Server, rid: str, active: bool) -> ScimResponse:
    op = {"op": "Replace", "path": "active", "value": "True" if active else "False"}
    return s.call("PATCH", f"/Users/{rid}", {"schemas": [PATCH_URN], "Operations": [op]}, ENTRA)


def jumpcloud_patch(s: Server, rid: str, active: bool) -> ScimResponse:
    op = {"op": "replace", "path": "active", "value": active}
    return s.call("PATCH", f"/Users/{rid}", {"schemas": [PATCH_URN], "Operations": [op]})


def delete(s: Server, rid: str, active: bool) -> ScimResponse:
    assert not active
    return s.call("DELETE", f"/Users/{rid}")


Shape = Callable[[Server, str, bool], ScimResponse]
DEACTIVATIONS: dict[str, Shape] = {
    "okta-patch": okta_patch,
    "okta-put": okta_put,
    "entra-patch": entra_patch,
    "jumpcloud-patch": jumpcloud_patch,
}
REACTIVATIONS = DEACTIVATIONS


@pytest.mark.parametrize("shape", [*DEACTIVATIONS, "delete"])
def test_rfc_default(shape: str) -> None:
    s = Server()
    rid = s.create()["id"]
    r = (DEACTIVATIONS.get(shape) or delete)(s, rid, False)
    if shape == "delete":
        assert r.status == 204 and s.stored(rid) is None
        return
    assert r.status in (200, 204)
    assert s.stored(rid)["active"] is False  # type: ignore[index]
    assert s.call("GET", f"/Users/{rid}").json()["active"] is False  # still visible
    r = REACTIVATIONS[shape](s, rid, True)
    assert r.status in (200, 204) and s.stored(rid)["active"] is True  # type: ignore[index]


@pytest.mark.parametrize("shape", [*DEACTIVATIONS, "delete"])
def test_delete_policy_deletes_on_every_deprovisioning_shape(shape: str) -> None:
    s = Server({"deprovision": "delete"})
    rid = s.create()["id"]
    r = (DEACTIVATIONS.get(shape) or delete)(s, rid, False)
    assert r.status in (200, 204)
    if r.status == 200:
        assert r.json()["active"] is False  # the IdP sees the deactivation it asked for
    assert s.stored(rid) is None
    assert s.call("GET", f"/Users/{rid}").status == 404


@pytest.mark.parametrize("shape", list(REACTIVATIONS))
def test_delete_policy_refuses_reactivation(shape: str) -> None:
    s = Server({"deprovision": "delete"})
    rid = s.create(active=False)["id"]  # an inactive user (created so) under the delete policy
    r = REACTIVATIONS[shape](s, rid, True)
    assert r.status == 400
    err = r.json()
    assert err["scimType"] == "invalidValue" and "reactivation is refused" in err["detail"]
    assert s.stored(rid)["active"] is False  # type: ignore[index]


@pytest.mark.parametrize("mode", ["deactivate", "deactivate_then_delete", "strip_roles"])
@pytest.mark.parametrize("shape", [*DEACTIVATIONS, "delete"])
def test_keeping_policies_deactivate_then_reactivation_restores(mode: str, shape: str) -> None:
    s = Server({"deprovision": mode, "retention_days": 30})
    rid = s.create(roles=[{"value": "editor"}])["id"]
    r = (DEACTIVATIONS.get(shape) or delete)(s, rid, False)
    assert r.status in (200, 204)
    kept = s.stored(rid)
    assert kept is not None and kept["active"] is False
    assert ("roles" in kept) == (mode != "strip_roles")
    r = REACTIVATIONS[shape if shape != "delete" else "okta-patch"](s, rid, True)
    assert r.status in (200, 204)
    assert s.stored(rid)["active"] is True  # type: ignore[index]


def test_retention_purge_after_deactivation_through_the_handler() -> None:
    from scimcore.policy import purge

    s = Server({"deprovision": "deactivate_then_delete", "retention_days": 30})
    rid = s.create()["id"]
    keep = s.create("john@example.com")["id"]
    assert s.call("DELETE", f"/Users/{rid}").status == 204
    assert purge(s.store, s.policy, NOW + dt.timedelta(days=29)) == []
    assert purge(s.store, s.policy, NOW + dt.timedelta(days=31)) == [rid]
    assert s.call("GET", f"/Users/{rid}").status == 404
    assert s.call("GET", f"/Users/{keep}").status == 200


def test_username_immutable_refused_by_put_and_patch() -> None:
    s = Server({"username": "immutable"})
    rid = s.create()["id"]
    current = s.call("GET", f"/Users/{rid}").json()
    r = s.call("PUT", f"/Users/{rid}", {**current, "userName": "john@example.com"}, OKTA_UA)
    assert r.status == 400 and r.json()["scimType"] == "mutability"
    assert "cannot rename a login" in r.json()["detail"]
    op = {"op": "Replace", "path": "userName", "value": "john@example.com"}
    r = s.call("PATCH", f"/Users/{rid}", {"schemas": [PATCH_URN], "Operations": [op]}, ENTRA)
    assert r.status == 400 and r.json()["scimType"] == "mutability"
    assert s.stored(rid)["userName"] == "jane@example.com"  # type: ignore[index]


def test_username_email_mode_through_patch() -> None:
    s = Server({"username": "email"})
    rid = s.create(emails=[{"value": "jane@example.com", "type": "work", "primary": True}])["id"]
    op = {"op": "replace", "path": "userName", "value": "jane.doe@example.com"}
    r = s.call("PATCH", f"/Users/{rid}", {"schemas": [PATCH_URN], "Operations": [op]})
    assert r.status == 200
    body = r.json()
    assert body["userName"] == "jane@example.com"
    assert body["emails"][0]["value"] == "jane.doe@example.com"


def test_password_sync_hashes_never_returns_and_advertises() -> None:
    s = Server({"password_sync": True})
    spc = s.call("GET", "/ServiceProviderConfig").json()
    assert spc["changePassword"]["supported"] is True
    created = s.create(password="Tr0ub4dor&3")
    assert "password" not in created
    rid = created["id"]
    stored = s.stored(rid)
    assert stored is not None and verify_password("Tr0ub4dor&3", stored["password"])
    okta_put(s, rid, True)  # a GET-then-PUT carries no password: the hash stays
    assert s.stored(rid)["password"] == stored["password"]  # type: ignore[index]
    body = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "value": {"password": "n3w-Pass"}}],
    }
    assert s.call("PATCH", f"/Users/{rid}", body, OKTA_UA).status == 200
    assert verify_password("n3w-Pass", s.stored(rid)["password"])  # type: ignore[index]
    assert "password" not in s.call("GET", f"/Users/{rid}").json()


def test_password_sync_off_drops_and_does_not_advertise() -> None:
    s = Server()
    assert s.call("GET", "/ServiceProviderConfig").json()["changePassword"]["supported"] is False
    rid = s.create(password="1mz050nq")["id"]  # Okta sends one on every create
    assert "password" not in s.stored(rid)  # type: ignore[operator]


@pytest.mark.parametrize("allow", [False, True])
def test_nested_groups(allow: bool) -> None:
    s = Server({"nested_groups": allow})
    inner = s.call("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "inner"}).json()
    body = {
        "schemas": [GROUP_URN],
        "displayName": "outer",
        "members": [{"value": inner["id"], "type": "Group"}],
    }
    r = s.call("POST", "/Groups", body)
    if allow:
        assert r.status == 201
    else:
        assert r.status == 400 and "nested groups are not allowed" in r.json()["detail"]
    # Okta-style members carry no type: the hook looks the id up in the request's transaction
    user = s.create()["id"]
    bare = {"schemas": [GROUP_URN], "displayName": "bare", "members": [{"value": user}]}
    gid = s.call("POST", "/Groups", bare).json()["id"]
    add = {"op": "add", "path": "members", "value": [{"value": inner["id"]}]}
    r = s.call("PATCH", f"/Groups/{gid}", {"schemas": [PATCH_URN], "Operations": [add]})
    assert r.status == (200 if allow else 400)


# -- the audit log through the handler -----------------------------------------------------


def test_audit_records_every_request_failures_included_without_secrets() -> None:
    s = Server({"password_sync": True, "username": "immutable"})
    rid = s.create(password="Sup3r-Secret-PW")["id"]
    s.call("POST", "/Users", {"schemas": [USER_URN], "userName": "jane@example.com",
                              "password": "Sup3r-Secret-PW"}, OKTA_UA)  # fmt: skip
    s.call("POST", "/Users", raw=b'{"userName": "x", "password": "Sup3r-Secret-PW"')
    s.call("POST", "/Users", {"schemas": [USER_URN], "userName": 5, "password": "Sup3r-Secret-PW"})
    s.call("GET", "/Users/nope")
    s.call("GET", "/Users", headers={"Authorization": "Bearer wrong-token-xyz"})
    entra_patch(s, rid, False)
    s.call("DELETE", f"/Users/{rid}")
    page = s.audit.search(count=100)
    text = json.dumps(page.to_dict())
    for secret in ("Sup3r-Secret-PW", TOKEN, "wrong-token-xyz"):
        assert secret not in text
    statuses = sorted(r.status for r in page.records)
    assert statuses == sorted([201, 409, 400, 400, 404, 401, 200, 204])
    failed = s.audit.search("status ge 400").records
    assert {r.scim_type for r in failed} >= {"uniqueness", "invalidSyntax"}
    create = s.audit.search('action eq "create" and status eq 201').records[0]
    assert create.idp == "okta" and create.token_name == "okta-prod"
    assert create.client_ip == "203.0.113.5" and create.user_name == "jane@example.com"
    assert any(d["path"] == "password" and d["new"] == "[redacted]" for d in create.diff)
    patch = s.audit.search('action eq "patch"').records[0]
    assert patch.idp == "entra"
    assert {"op": "replace", "path": "active", "old": True, "new": False} in [
        dict(d) for d in patch.diff
    ]


def test_policies_on_the_sqlite_store(tmp_path: Any) -> None:
    from scimcore.store import SqliteStore

    store = SqliteStore(str(tmp_path / "scim.db"))
    s = Server({"deprovision": "delete"}, store=store)
    rid = s.create()["id"]
    group = {"schemas": [GROUP_URN], "displayName": "g", "members": [{"value": rid}]}
    gid = s.call("POST", "/Groups", group).json()["id"]
    nested = {"schemas": [GROUP_URN], "displayName": "n", "members": [{"value": gid}]}
    assert s.call("POST", "/Groups", nested).status == 400
    assert entra_patch(s, rid, False).status == 200
    assert s.call("GET", f"/Users/{rid}").status == 404
    assert s.call("GET", f"/Groups/{gid}").json().get("members", []) == []
    store.close()
