"""Helpers for the service tests: a deterministic clock and ids, and a request shortcut."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from scimcore.service import ScimRequest, ScimResponse, ScimService

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "https://idp-facing.example.com/scim/v2"


class Clock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"id-{next(counter):04d}"


def call(
    svc: ScimService,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | str | None = None,
    auth: bool = True,
) -> ScimResponse:
    """Send one request through the handler (JSON-encoding ``body`` unless it is bytes)."""
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    hdrs = dict(AUTH) if auth else {}
    hdrs.update(headers or {})
    if raw:
        hdrs.setdefault("Content-Type", "application/scim+json")
    return svc.handle(
        ScimRequest(method, "/scim/v2" + path, query or {}, hdrs, raw, client="192.0.2.7")
    )


def user(name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": name, **extra}


def group(name: str, members: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP_URN], "displayName": name}
    if members is not None:
        body["members"] = [{"value": m} for m in members]
    return body


def patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}
