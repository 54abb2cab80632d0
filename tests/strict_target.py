"""A transport in front of scimcore's reference service that refuses IdP quirks, as the RFCs allow.

Each refusal is RFC-correct: a string for a boolean (RFC 7643 §2.3.2), a ``value`` on a remove
(RFC 7644 §3.5.2.2 defines none), a schema URN the server does not know, the unqualified path of
an extension attribute. ``readd`` also refuses re-adding a present member (a SHOULD it misses).
"""

from __future__ import annotations

import json
from typing import Any

from conformance.transport import Request, Response, Transport

_IETF = "urn:ietf:params:scim:"

#: What the target can refuse; all by default.
QUIRKS = frozenset({"string-boolean", "remove-value", "unknown-schema", "manager-path", "readd"})


def _error(detail: str, scim_type: str = "invalidValue") -> Response:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": scim_type,
        "detail": detail,
    }
    return Response(400, {"Content-Type": "application/scim+json"}, json.dumps(body).encode())


class StrictTarget:
    """Forwards to ``inner`` unless the request carries a quirk this target refuses."""

    def __init__(self, inner: Transport, refuse: frozenset[str] = QUIRKS) -> None:
        self.inner = inner
        self.refuse = refuse

    @property
    def target(self) -> str:
        return self.inner.target

    def close(self) -> None:
        self.inner.close()

    def send(self, request: Request) -> Response:
        body = request.json()
        problem = self._problem(request, body) if isinstance(body, dict) else None
        return _error(problem) if problem else self.inner.send(request)

    def _problem(self, request: Request, body: dict[str, Any]) -> str | None:
        on = self.refuse
        if request.method in ("POST", "PUT"):
            schemas = body.get("schemas", [])
            if "unknown-schema" in on and any(not str(s).startswith(_IETF) for s in schemas):
                return "unknown schema URN"
            if "string-boolean" in on and isinstance(body.get("active"), str):
                return "active must be a boolean"
        if request.method != "PATCH":
            return None
        for op in body.get("Operations", []):
            kind = str(op.get("op", "")).lower()
            path = str(op.get("path", ""))
            quoted = isinstance(op.get("value"), str)
            if "string-boolean" in on and path.lower() == "active" and quoted:
                return "active must be a boolean"
            if "remove-value" in on and kind == "remove" and "value" in op:
                return "remove takes no value"
            if "manager-path" in on and path.lower() == "manager":
                return "unknown attribute manager"
            if "readd" in on and kind == "add" and path == "members":
                present = self._members(request)
                values = op.get("value") if isinstance(op.get("value"), list) else []
                if any(isinstance(v, dict) and v.get("value") in present for v in values):
                    return "already a member"
        return None

    def _members(self, request: Request) -> set[str]:
        headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
        answer = self.inner.send(Request("GET", request.path, {}, headers))
        if answer.status != 200:
            return set()
        return {str(m.get("value")) for m in answer.json().get("members", [])}
