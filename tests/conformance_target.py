"""A tiny in-memory SCIM server (WSGI) for the conformance tests, with switchable breakages.

Correct by default for what the test recordings exercise; each flag reproduces one bug real
endpoints have, so the tests can show the suite fails exactly the checks it should.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
TOKEN = "s3cret-t0ken"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Breakage:
    """Which bug the server has (all off: a correct server, as far as the tests look)."""

    case_sensitive_username: bool = False
    return_password: bool = False
    create_status_200: bool = False
    non_atomic_patch: bool = False
    remove_all_members: bool = False
    no_patch_in_config: bool = False


class _Error(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


@dataclass
class TargetServer:
    """The WSGI application: ``TargetServer(Breakage(...))`` is callable as (environ, start)."""

    broken: Breakage = field(default_factory=Breakage)
    token: str = TOKEN
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        self.requests.append((method, path))
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
                raise _Error(401, "missing or wrong bearer token")
            body = json.loads(raw) if raw else None
            status, payload = self._route(method, path.removeprefix("/scim/v2"), query, body)
        except _Error as exc:
            status = exc.status
            payload = {"schemas": [ERROR], "status": str(exc.status), "detail": exc.detail}
            if exc.scim_type:
                payload["scimType"] = exc.scim_type
        except ValueError:
            status, payload = (
                400,
                {"schemas": [ERROR], "status": "400", "scimType": "invalidSyntax"},
            )
        data = b"" if payload is None else json.dumps(payload).encode()
        headers = [("Content-Type", "application/scim+json")] if data else []
        reason = {200: "OK", 201: "Created", 204: "No Content"}.get(status, "Error")
        start_response(f"{status} {reason}", headers)
        return [data]

    # -- routing -------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts == ["ServiceProviderConfig"]:
            return 200, {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": not self.broken.no_patch_in_config},
                "filter": {"supported": True, "maxResults": 100},
                "bulk": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": False},
                "changePassword": {"supported": False},
            }
        if parts == ["ResourceTypes"]:
            return 200, {
                "schemas": [LIST],
                "totalResults": 2,
                "Resources": [
                    {"name": "User", "endpoint": "/Users"},
                    {"name": "Group", "endpoint": "/Groups"},
                ],
            }
        if not parts or parts[0] not in ("Users", "Groups"):
            raise _Error(404, f"no endpoint {path}")
        store = self.users if parts[0] == "Users" else self.groups
        kind = USER if parts[0] == "Users" else GROUP
        if len(parts) == 1:
            if method == "POST":
                return self._create(store, kind, parts[0], body)
            if method == "GET":
                return 200, self._list(store, query.get("filter"))
        elif len(parts) == 2:
            current = store.get(parts[1])
            if current is None:
                raise _Error(404, f"{parts[0]}/{parts[1]} not found")
            if method == "GET":
                return 200, self._out(current)
            if method == "DELETE":
                del store[parts[1]]
                return 204, None
            if method == "PUT":
                updated = {**body, "id": parts[1], "schemas": [kind]}
                if kind == USER:
                    updated.setdefault("active", True)
                store[parts[1]] = updated
                return 200, self._out(updated)
            if method == "PATCH":
                return 200, self._out(self._patch(store, parts[1], body))
        raise _Error(405, f"{method} not allowed on {path}")

    def _same(self, a: str, b: str) -> bool:
        return a == b if self.broken.case_sensitive_username else a.lower() == b.lower()

    def _create(
        self, store: dict[str, dict[str, Any]], kind: str, endpoint: str, body: Any
    ) -> tuple[int, Any]:
        if kind == USER:
            if not body.get("userName"):
                raise _Error(400, "userName is required", "invalidValue")
            for user in store.values():
                if self._same(user["userName"], body["userName"]):
                    raise _Error(409, "userName is taken", "uniqueness")
        new_id = f"{endpoint[0].lower()}{next(self._ids)}"
        resource = {k: v for k, v in body.items() if k not in ("id", "meta")}
        resource.update(id=new_id, schemas=[kind])
        if kind == USER:
            resource.setdefault("active", True)
        resource["meta"] = {
            "resourceType": kind.rsplit(":", 1)[1],
            "location": f"/{endpoint}/{new_id}",
        }
        store[new_id] = resource
        return (200 if self.broken.create_status_200 else 201), self._out(resource)

    def _list(self, store: dict[str, dict[str, Any]], flt: str | None) -> dict[str, Any]:
        found = list(store.values())
        if flt:
            m = re.fullmatch(r'\s*(\w+)\s+eq\s+"([^"]*)"\s*', flt)
            if m is None:
                raise _Error(400, f"cannot parse filter {flt!r}", "invalidFilter")
            attr, value = m.groups()
            if attr.lower() == "username":
                found = [r for r in found if self._same(r.get("userName", ""), value)]
            else:
                found = [r for r in found if str(r.get(attr)) == value]
        return {
            "schemas": [LIST],
            "totalResults": len(found),
            "startIndex": 1,
            "itemsPerPage": len(found),
            "Resources": [self._out(r) for r in found],
        }

    def _out(self, resource: dict[str, Any]) -> dict[str, Any]:
        if self.broken.return_password:
            return dict(resource)
        return {k: v for k, v in resource.items() if k != "password"}

    # -- PATCH ---------------------------------------------------------------------------------

    def _patch(self, store: dict[str, dict[str, Any]], rid: str, body: Any) -> dict[str, Any]:
        original = store[rid]
        working = json.loads(json.dumps(original))
        for op in body.get("Operations", []):
            try:
                self._apply(working, op)
            except _Error:
                if self.broken.non_atomic_patch:
                    store[rid] = working  # keeps the operations before the bad one
                raise
        store[rid] = working
        return working

    def _apply(self, resource: dict[str, Any], op: dict[str, Any]) -> None:
        kind = str(op.get("op", "")).lower()
        path = op.get("path")
        value = op.get("value")
        if kind not in ("add", "replace", "remove"):
            raise _Error(400, f"unknown op {op.get('op')!r}", "invalidSyntax")
        if path is None:
            if not isinstance(value, dict):
                raise _Error(400, "a no-path operation needs an object value", "invalidValue")
            resource.update(value)
            return
        if path == "members":
            members = resource.setdefault("members", [])
            if kind == "add":
                members.extend(v for v in value if v not in members)
            elif kind == "remove":
                if value is None or self.broken.remove_all_members:
                    resource["members"] = []
                else:
                    gone = {v["value"] for v in value}
                    resource["members"] = [m for m in members if m["value"] not in gone]
            else:
                resource["members"] = list(value)
            return
        m = re.fullmatch(r'members\[value eq "([^"]+)"\]', path)
        if m is not None and kind == "remove":
            resource["members"] = [x for x in resource.get("members", []) if x["value"] != m[1]]
            return
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", path):
            raise _Error(400, f"unsupported path {path!r}", "invalidPath")
        if path == "active" and not isinstance(value, bool) and kind != "remove":
            raise _Error(400, "active must be a boolean", "invalidValue")
        if kind == "remove":
            resource.pop(path, None)
        else:
            resource[path] = value


def as_asgi(app: TargetServer) -> Callable[..., Any]:
    """The same server as an ASGI 3 application (the WSGI app called inside)."""

    async def asgi(
        scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        environ = {
            "REQUEST_METHOD": scope["method"],
            "PATH_INFO": scope["path"],
            "QUERY_STRING": scope.get("query_string", b"").decode(),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        for name, value in scope["headers"]:
            key = "HTTP_" + name.decode().upper().replace("-", "_")
            environ[key] = value.decode()
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers

        chunks = app(environ, start_response)
        await send(
            {
                "type": "http.response.start",
                "status": captured["status"],
                "headers": [(k.encode(), v.encode()) for k, v in captured["headers"]],
            }
        )
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    return asgi


#: Module-level apps for ``scim-conformance run --app tests.conformance_target:app``.
app = TargetServer()
app_200_on_create = TargetServer(Breakage(create_status_200=True))
