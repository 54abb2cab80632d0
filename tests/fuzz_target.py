"""A deliberately broken SCIM service for the fuzzer's tests: scimcore's service with planted bugs.

Each flag plants one defect real endpoints have; with every flag off it is a correct server.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import attrs

from scimcore import ScimError, apply_patch
from scimcore.service import ScimRequest, ScimResponse, ScimService, ServiceConfig
from scimcore.store import MemoryStore, Query

BASE_URL = "http://broken.test/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Defects:
    """Which bugs to plant."""

    case_sensitive_username: bool = False
    non_atomic_patch: bool = False
    pr_true_on_empty_list: bool = False
    lost_primary_uniqueness: bool = False
    lost_update: bool = False
    """PATCH as an unlocked read-modify-write: concurrent PATCHes overwrite each other."""
    one_server_error: bool = False
    """The first PATCH after 20 requests answers 500, once: a flaky target."""
    server_decorations: bool = False
    """Not a defect: fills in what the server may compute (meta, name.formatted, groups,
    members' display/$ref/type) with values of its own."""


@dataclass
class BrokenService:
    """Anything with ``handle(ScimRequest) -> ScimResponse``, built on a real ScimService."""

    defects: Defects
    empty_emails: set[str] = field(default_factory=set)
    requests: int = 0
    errored: bool = False

    def __post_init__(self) -> None:
        # the case-sensitive bug: no store-level (case-insensitive) uniqueness at all, and an
        # exact-match check in handle() instead
        self.store = (
            MemoryStore(unique={}) if self.defects.case_sensitive_username else MemoryStore()
        )
        self.inner = ScimService(self.store, ServiceConfig(base_url=BASE_URL))
        self.config = self.inner.config

    def handle(self, request: ScimRequest) -> ScimResponse:
        """Serve ``request`` with the planted defects."""
        response = self._handle(request)
        if self.defects.server_decorations and response.status < 300 and response.body:
            body = _json(response.body)
            if isinstance(body, dict):
                return attrs.evolve(response, body=json.dumps(_decorate(body)).encode())
        return response

    def _handle(self, request: ScimRequest) -> ScimResponse:
        path = request.path.removeprefix("/scim/v2")
        body = _json(request.body)
        d = self.defects
        is_dict = isinstance(body, dict)
        creating_user = request.method == "POST" and path == "/Users" and is_dict
        if d.case_sensitive_username and creating_user and self._exact_duplicate(body):
            return _error(409, "uniqueness", "userName taken")
        patching_user = request.method == "PATCH" and path.startswith("/Users/") and is_dict
        if d.lost_primary_uniqueness and patching_user:
            return self._patch_keeping_primaries(request, path, body)
        self.requests += 1
        flaky = d.one_server_error and request.method == "PATCH" and self.requests > 20
        if flaky and not self.errored:
            self.errored = True
            return _error(500, "", "transient failure")
        if d.lost_update and request.method == "PATCH" and is_dict:
            return self._read_modify_write(request, body)
        if request.method == "PATCH" and isinstance(body, dict) and self.defects.non_atomic_patch:
            return self._patch_one_by_one(request, body)
        if request.method == "GET" and path == "/Users" and self.defects.pr_true_on_empty_list:
            flt = request.query.get("filter", "")
            if "emails pr" in flt:
                return self._pr_on_empty(request, flt)
        response = self.inner.handle(request)
        if request.method in ("POST", "PUT") and isinstance(body, dict) and response.status < 300:
            created = _json(response.body)
            if isinstance(created, dict) and body.get("emails") == []:
                self.empty_emails.add(created["id"])
        return response

    def _read_modify_write(self, request: ScimRequest, body: dict[str, Any]) -> ScimResponse:
        current = self.inner.handle(attrs.evolve(request, method="GET", body=b""))
        if current.status != 200:
            return current
        resource = _json(current.body)
        try:
            patched = apply_patch(resource, body)
        except ScimError as exc:
            return _error(exc.status, exc.scim_type or "", exc.detail)
        time.sleep(0.05)  # the window: another PATCH read the same version meanwhile
        patched.pop("meta", None)
        return self.inner.handle(
            attrs.evolve(request, method="PUT", body=json.dumps(patched).encode())
        )

    def _exact_duplicate(self, body: dict[str, Any]) -> bool:
        name = body.get("userName")
        with self.store.transaction(readonly=True) as tx:
            page = tx.search("User", Query())
        return any(r.get("userName") == name for r in page.resources)

    def _patch_one_by_one(self, request: ScimRequest, body: dict[str, Any]) -> ScimResponse:
        response = self.inner.handle(request)
        operations = body.get("Operations") or []
        if response.status < 300 or len(operations) < 2:
            return response
        for op in operations:  # the bug: operations before the failing one stay applied
            single = json.dumps({"schemas": [PATCH_URN], "Operations": [op]}).encode()
            partial = self.inner.handle(attrs.evolve(request, body=single))
            if partial.status >= 300:
                return partial
        return response

    def _patch_keeping_primaries(
        self, request: ScimRequest, path: str, body: dict[str, Any]
    ) -> ScimResponse:
        user_id = path.rsplit("/", 1)[1]
        with self.store.transaction(readonly=True) as tx:
            before = tx.get("User", user_id)
        primaries = {
            e.get("value")
            for e in (before.resource.get("emails") or [] if before else [])
            if e.get("primary") is True
        }
        response = self.inner.handle(request)
        if response.status >= 300 or not primaries:
            return response
        with self.store.transaction() as tx:  # the bug: old primaries are never cleared
            after = tx.get("User", user_id)
            if after is not None:
                resource = json.loads(json.dumps(after.resource))
                for email in resource.get("emails") or []:
                    if email.get("value") in primaries:
                        email["primary"] = True
                tx.replace("User", user_id, resource)
        return response

    def _pr_on_empty(self, request: ScimRequest, flt: str) -> ScimResponse:
        correct = _json(self.inner.handle(request).body)
        widened = attrs.evolve(
            request, query={**request.query, "filter": flt.replace("emails pr", "userName pr")}
        )
        candidates = _json(self.inner.handle(widened).body)
        found = {r["id"]: r for r in correct.get("Resources", [])}
        for r in candidates.get("Resources", []):  # the bug: an empty list counts as present
            if r["id"] in self.empty_emails:
                found.setdefault(r["id"], r)
        correct["Resources"] = list(found.values())
        correct["totalResults"] = correct["itemsPerPage"] = len(found)
        return ScimResponse(
            200, {"Content-Type": "application/scim+json"}, json.dumps(correct).encode()
        )


def _decorate(body: dict[str, Any]) -> dict[str, Any]:
    """What a server may compute, with values of its own choosing."""
    if isinstance(body.get("Resources"), list):
        body["Resources"] = [_decorate(r) for r in body["Resources"] if isinstance(r, dict)]
        return body
    if "id" not in body:
        return body
    kind = "Group" if "members" in body or "Group" in str(body.get("schemas")) else "User"
    body["meta"] = {
        "resourceType": kind,
        "created": "2001-02-03T04:05:06Z",
        "lastModified": "2001-02-03T04:05:07Z",
        "version": 'W/"elsewhere"',
        "location": f"https://elsewhere.example/v2/{kind}s/{body['id']}",
    }
    if kind == "User":
        name = body.get("name") if isinstance(body.get("name"), dict) else {}
        given, family = name.get("givenName", ""), name.get("familyName", "")
        body["name"] = {**name, "formatted": f"{given} {family}".strip() or "Anonymous"}
        body["groups"] = [{"value": "computed", "display": "Everyone", "type": "direct"}]
    for member in body.get("members") or []:
        if isinstance(member, dict):
            member.update(
                display="Somebody",
                type="User",
                **{"$ref": f"https://elsewhere.example/v2/Users/{member.get('value')}"},
            )
    return body


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _error(status: int, scim_type: str, detail: str) -> ScimResponse:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "scimType": scim_type,
        "detail": detail,
    }
    return ScimResponse(
        status, {"Content-Type": "application/scim+json"}, json.dumps(body).encode()
    )


CASE_SENSITIVE = BrokenService(Defects(case_sensitive_username=True))
"""A target for the CLI tests: ``--app tests.fuzz_target:CASE_SENSITIVE``."""

CORRECT = BrokenService(Defects())
"""No defect planted."""

SEVERAL = BrokenService(
    Defects(case_sensitive_username=True, non_atomic_patch=True, pr_true_on_empty_list=True)
)
"""Three defects at once, for the CLI's keep-going test."""
