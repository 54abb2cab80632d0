"""Turning one request and its outcome into an :class:`AuditEvent` (with secrets scrubbed)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from scimcore.audit._record import REDACTED, AuditEvent, detect_idp, diff, is_secret_key

_ACTIONS = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}


def _secrets_in(value: Any, out: set[str]) -> None:
    """Collect every string stored under a secret-named key (to scrub from free text)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and is_secret_key(k) and isinstance(v, str) and v:
                out.add(v)
            else:
                _secrets_in(v, out)
    elif isinstance(value, list):
        for v in value:
            _secrets_in(v, out)


def _scrub(text: str | None, secrets: set[str]) -> str | None:
    if text is None:
        return None
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return text


def action_for(method: str, path: str) -> str:
    """``create``/``replace``/``patch``/``delete``/``read``/``search``/``bulk`` for a request."""
    method = method.upper()
    tail = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if tail == ".search":
        return "search"
    if tail == "bulk":
        return "bulk"
    if method == "GET":
        return "read"
    return _ACTIONS.get(method, method.lower())


def _first_str(resource: Mapping[str, Any] | None, key: str) -> str | None:
    if not isinstance(resource, Mapping):
        return None
    value = next((v for k, v in resource.items() if k.lower() == key), None)
    return value if isinstance(value, str) else None


def build_record(
    *,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str] | None = None,
    time: dt.datetime,
    resource_type: str | None = None,
    resource_id: str | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    request_body: Any = None,
    error: Mapping[str, Any] | None = None,
    token_name: str | None = None,
    client_ip: str | None = None,
    record_id: str | None = None,
    action: str | None = None,
) -> AuditEvent:
    """Build the record of one request.

    ``old``/``new`` are the stored resource before and after (None when absent) and give the
    diff; ``error`` is the SCIM Error body of a failed request (its scimType and detail are
    kept, with any password or token value from the request scrubbed out). The Authorization
    header is never read.
    """
    headers = headers or {}
    secrets: set[str] = set()
    _secrets_in(request_body, secrets)
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if auth:
        secrets.add(auth)
        secrets.add(auth.split(" ", 1)[-1])
    user_agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), None)
    user_name = (
        _first_str(new, "username")
        or _first_str(old, "username")
        or _first_str(request_body if isinstance(request_body, Mapping) else None, "username")
        or _first_str(new, "displayname")
        or _first_str(old, "displayname")
    )
    if resource_id is None:
        resource_id = _first_str(new, "id") or _first_str(old, "id")
    changes = diff(old, new) if (old is not None or new is not None) and status < 400 else []
    return AuditEvent(
        id=record_id or uuid.uuid4().hex,
        time=time,
        action=action or action_for(method, path),
        method=method.upper(),
        path=path,
        resource_type=resource_type,
        resource_id=resource_id,
        user_name=_scrub(user_name, secrets),
        status=status,
        scim_type=(error or {}).get("scimType"),
        detail=_scrub((error or {}).get("detail"), secrets),
        idp=detect_idp(headers, token_name),
        token_name=token_name,
        user_agent=_scrub(user_agent, secrets),
        client_ip=client_ip,
        diff=tuple(changes),
    )
