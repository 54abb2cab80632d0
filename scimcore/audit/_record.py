"""Audit records: what one provisioning request did, with secrets redacted and a diff.

Records are plain SCIM-shaped dicts (``schemas`` = :data:`AUDIT_URN`) so the filter engine
(:func:`scimcore.parse_filter` with :data:`AUDIT_REGISTRY`) searches them like users.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import attrs

from scimcore.schema import Attribute, ResourceType, Schema, SchemaRegistry
from scimcore.service._hooks import guess_idp

AUDIT_URN = "urn:scimcore:schemas:audit:1.0:AuditEvent"
REDACTED = "[redacted]"
_SECRET_PARTS = ("password", "secret", "token", "authorization", "apikey", "api_key", "cookie")


def _attr(name: str, type_: str = "string", **kw: Any) -> Attribute:
    return Attribute(name=name, type=type_, mutability="readOnly", **kw)  # type: ignore[arg-type]


AUDIT_SCHEMA = Schema(
    id=AUDIT_URN,
    name="AuditEvent",
    description="One provisioning request as the audit log recorded it",
    attributes=(
        _attr("id", case_exact=True),
        _attr("time", "dateTime"),
        _attr("action"),
        _attr("method"),
        _attr("path", case_exact=True),
        _attr("resourceType"),
        _attr("resourceId", case_exact=True),
        _attr("userName"),
        _attr("status", "integer"),
        _attr("scimType"),
        _attr("detail"),
        _attr("idp"),
        _attr("tokenName"),
        _attr("userAgent"),
        _attr("clientIp"),
        _attr(
            "diff",
            "complex",
            multi_valued=True,
            sub_attributes=(_attr("op"), _attr("path"), _attr("old"), _attr("new")),
        ),
    ),
)
AUDIT_RESOURCE_TYPE = ResourceType(name="AuditEvent", endpoint="/AuditEvents", schema=AUDIT_URN)
AUDIT_REGISTRY = SchemaRegistry(schemas=(AUDIT_SCHEMA,), resource_types=(AUDIT_RESOURCE_TYPE,))
"""The registry that lets ``parse_filter`` evaluate filters over audit records."""


_SECRET = re.compile("|".join(re.escape(part) for part in _SECRET_PARTS))
_SCALARS = (str, int, float, bool, type(None))
_known_keys: dict[str, bool] = {}  # attribute names seen: a few hundred at most in practice


def is_secret_key(key: str) -> bool:
    """True for attribute names whose values must never reach the audit log."""
    found = _known_keys.get(key)
    if found is None:
        found = _SECRET.search(key.lower()) is not None
        if len(_known_keys) < 4096:  # bounded: a hostile client's made-up names stop here
            _known_keys[key] = found
    return found


def redact(value: Any) -> Any:
    """A deep copy of ``value`` with every secret-named key's value replaced by ``[redacted]``."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) else redact(v))
            for k, v in value.items()
        }
    if kind is list or isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else redact(v) for v in value]
    return value


_SKIP_TOP = frozenset(("meta", "schemas"))


def _flatten(resource: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if not prefix and key.lower() in _SKIP_TOP:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not is_secret_key(key):
            sep = ":" if key.lower().startswith("urn:") else "."
            out.update(_flatten(value, path + sep))
        else:
            out[path] = value
    return out


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The attribute-level changes from ``old`` to ``new``, secrets redacted.

    Complex attributes are compared per sub-attribute (``name.givenName``); multi-valued ones as
    whole values. ``meta`` and ``schemas`` are left out (server bookkeeping).
    """
    before = _flatten(old or {})
    after = _flatten(new or {})
    lower_before = {k.lower(): k for k in before}
    changes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path, value in after.items():
        key = lower_before.get(path.lower())
        seen.add(path.lower())
        secret = is_secret_key(path.rsplit(".", 1)[-1].rsplit(":", 1)[-1])
        if key is None:
            changes.append(
                {"op": "add", "path": path, "new": REDACTED if secret else redact(value)}
            )
        elif before[key] != value:
            changes.append(
                {
                    "op": "replace",
                    "path": path,
                    "old": REDACTED if secret else redact(before[key]),
                    "new": REDACTED if secret else redact(value),
                }
            )
    for path, value in before.items():
        if path.lower() not in seen:
            secret = is_secret_key(path.rsplit(".", 1)[-1].rsplit(":", 1)[-1])
            changes.append(
                {"op": "remove", "path": path, "old": REDACTED if secret else redact(value)}
            )
    return changes


def detect_idp(headers: Mapping[str, str], token_name: str | None = None) -> str | None:
    """Name the IdP from request headers (User-Agent, Entra's ADSCIMVersion), else the token.

    The fingerprints are the service's (:func:`scimcore.service.guess_idp`), so the audit log
    and the service's own records always agree.
    """
    agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), None)
    return guess_idp(agent, headers, token_name)


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@attrs.frozen(slots=True)
class AuditEvent:
    """One provisioning request: who, what, on which resource, with which outcome and diff."""

    id: str
    time: dt.datetime
    action: str
    method: str = ""
    path: str = ""
    resource_type: str | None = None
    resource_id: str | None = None
    user_name: str | None = None
    status: int = 200
    scim_type: str | None = None
    detail: str | None = None
    idp: str | None = None
    token_name: str | None = None
    user_agent: str | None = None
    client_ip: str | None = None
    diff: tuple[Mapping[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        """True when the request succeeded (2xx/3xx)."""
        return self.status < 400

    def to_dict(self) -> dict[str, Any]:
        """The SCIM-shaped JSON form (camelCase, ``schemas``), secrets redacted."""
        out: dict[str, Any] = {
            "schemas": [AUDIT_URN],
            "id": self.id,
            "time": _iso(self.time),
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "status": self.status,
        }
        optional = {
            "resourceType": self.resource_type,
            "resourceId": self.resource_id,
            "userName": self.user_name,
            "scimType": self.scim_type,
            "detail": self.detail,
            "idp": self.idp,
            "tokenName": self.token_name,
            "userAgent": self.user_agent,
            "clientIp": self.client_ip,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.diff:
            out["diff"] = [redact(dict(d)) for d in self.diff]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEvent:
        """Rebuild a record from :meth:`to_dict` output (as stored by the backends)."""
        return cls(
            id=str(data["id"]),
            time=dt.datetime.fromisoformat(str(data["time"]).replace("Z", "+00:00")),
            action=str(data["action"]),
            method=str(data.get("method", "")),
            path=str(data.get("path", "")),
            resource_type=data.get("resourceType"),
            resource_id=data.get("resourceId"),
            user_name=data.get("userName"),
            status=int(data.get("status", 200)),
            scim_type=data.get("scimType"),
            detail=data.get("detail"),
            idp=data.get("idp"),
            token_name=data.get("tokenName"),
            user_agent=data.get("userAgent"),
            client_ip=data.get("clientIp"),
            diff=tuple(data.get("diff") or ()),
        )
