"""Fuzz traffic: request templates, the two sides they are sent to, and how answers are compared."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.transport import Request, Response, Transport

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_AGENT = "scim-conformance fuzz"

# The attributes a provisioning client owns and can therefore expect back as it sent them.
# Server-owned ones (id, meta, a User's groups) and the member decorations a server may fill in
# (display, $ref, type) are not compared.
CLIENT_KEYS = frozenset(
    (
        "username",
        "name",
        "displayname",
        "title",
        "active",
        "emails",
        "members",
        ENTERPRISE_URN.lower(),
    )
)

_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class Divergence(AssertionError):
    """The target answered differently from the reference model."""


@dataclass(frozen=True)
class Template:
    """One request with ``${unique}`` and ``${id_<handle>}`` placeholders, and what it checks.

    ``check`` is ``resource`` (compare the returned resource), ``list`` (compare which resources
    a filter returned), ``page`` (compare totalResults and the page size: implementations may
    order an unsorted list differently), or ``status`` (compare the status class only).
    ``capture`` names the handle whose id the response's ``/id`` holds.
    """

    label: str
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    check: str = "status"
    capture: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A template with the reference's and the target's answers."""

    template: Template
    reference: Response
    target: Response


def render(value: Any, variables: Mapping[str, str]) -> Any:
    """Replace ``${name}`` in every string of ``value`` (a JSON value) from ``variables``."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    return value


class Side:
    """One SCIM implementation under the fuzzer: a transport plus the ids it gave each handle."""

    def __init__(self, transport: Transport, unique: str, token: str | None = None) -> None:
        self.transport = transport
        self.ids: dict[str, str] = {}
        self.unique = unique
        self.headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/scim+json",
            "Content-Type": "application/scim+json; charset=utf-8",
        }
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    @property
    def variables(self) -> dict[str, str]:
        """The values of every placeholder on this side."""
        out = {f"id_{handle}": id_ for handle, id_ in self.ids.items()}
        out["unique"] = self.unique
        return out

    def send(self, template: Template) -> Response:
        """Render ``template`` for this side and send it."""
        variables = self.variables
        body = None
        if template.body is not None:
            body = json.dumps(render(template.body, variables)).encode()
        return self.transport.send(
            Request(
                method=template.method,
                path=render(template.path, variables),
                query=render(dict(template.query), variables),
                headers=dict(self.headers),
                body=body,
            )
        )

    def handle_of(self, id_: Any) -> str:
        """The handle this side gave ``id_`` (``?<id>`` when it is not one of ours)."""
        for handle, known in self.ids.items():
            if known == id_:
                return handle
        return f"?{id_}"


def body_of(response: Response) -> Any:
    """The response body as JSON, or None."""
    try:
        return response.json()
    except ValueError:
        return None


def status_class(status: int) -> int:
    """2 for 2xx, 4 for 4xx, …"""
    return status // 100


def _fold(value: Any) -> Any:
    """Lower-case keys, drop unassigned values (null, "", [], {}), order lists canonically."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            folded = _fold(item)
            if folded in (None, [], {}, ""):
                continue
            if key.lower() == "primary" and folded is False:
                continue
            out[key.lower()] = folded
        return out
    if isinstance(value, list):
        items = [_fold(v) for v in value]
        items = [v for v in items if v not in (None, [], {}, "")]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def visible(resource: Any, side: Side) -> dict[str, Any]:
    """The client-owned attributes of a resource, folded, with member ids replaced by handles."""
    if not isinstance(resource, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in resource.items():
        low = key.lower()
        if low not in CLIENT_KEYS:
            continue
        if low == "members" and isinstance(value, list):
            value = [
                {"value": side.handle_of(m.get("value"))} for m in value if isinstance(m, dict)
            ]
        out[low] = value
    folded = _fold(out)
    return folded if isinstance(folded, dict) else {}


def listed(body: Any, side: Side) -> tuple[Any, list[str]]:
    """totalResults and the sorted handles of the resources a ListResponse holds."""
    if not isinstance(body, dict):
        return None, []
    lowered = {k.lower(): v for k, v in body.items()}
    resources = lowered.get("resources") or []
    handles = sorted(side.handle_of(r.get("id")) for r in resources if isinstance(r, dict))
    return lowered.get("totalresults"), handles


def has_password(body: Any) -> bool:
    """True when a response body carries a password attribute (RFC 7643: returned never)."""
    return isinstance(body, dict) and any(k.lower() == "password" for k in body)


def _brief(response: Response) -> str:
    body = body_of(response)
    if isinstance(body, dict):
        extra = body.get("scimType") or body.get("detail")
        if extra and status_class(response.status) != 2:
            return f"{response.status} ({extra})"
    return str(response.status)


def compare(exchange: Exchange, ref: Side, tgt: Side) -> None:
    """Raise :class:`Divergence` when the target's answer differs from the reference's."""
    t = exchange.template
    where = f"{t.method} {t.path} ({t.label})"
    if exchange.target.status >= 500:
        raise Divergence(f"{where}: the target answered {_brief(exchange.target)}, a server error")
    if status_class(exchange.reference.status) != status_class(exchange.target.status):
        raise Divergence(
            f"{where}: the reference model answers {_brief(exchange.reference)} but the target "
            f"answers {_brief(exchange.target)}"
        )
    if status_class(exchange.reference.status) != 2:
        return
    ref_body, tgt_body = body_of(exchange.reference), body_of(exchange.target)
    if has_password(tgt_body):
        raise Divergence(f"{where}: the target returned the password (RFC 7643: returned never)")
    if t.check == "resource" and tgt_body is not None:
        model, seen = visible(ref_body, ref), visible(tgt_body, tgt)
        if model != seen:
            keys = sorted(k for k in model.keys() | seen.keys() if model.get(k) != seen.get(k))
            diffs = "; ".join(f"{k}: expected {model.get(k)!r}, got {seen.get(k)!r}" for k in keys)
            raise Divergence(f"{where}: the target's resource differs from the model: {diffs}")
    elif t.check == "page":
        want_total, want = listed(ref_body, ref)
        got_total, got = listed(tgt_body, tgt)
        if want_total != got_total or len(want) != len(got):
            raise Divergence(
                f"{where}: the model pages {len(want)} of {want_total} but the target pages "
                f"{len(got)} of {got_total}"
            )
    elif t.check == "list":
        want_total, want = listed(ref_body, ref)
        got_total, got = listed(tgt_body, tgt)
        if want_total != got_total or want != got:
            raise Divergence(
                f"{where}: the model finds {want_total} {want} but the target finds "
                f"{got_total} {got}"
            )
