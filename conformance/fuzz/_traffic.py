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


# What RFC 7643 lets a server fill in on its own: never a divergence when only the target has it.
_SERVER_MAY_FILL = frozenset(("displayname",))
# Sub-attributes a server may compute from the others (RFC 7643 §4.1.1: name.formatted).
_SERVER_COMPUTED_SUB = {"name": frozenset(("formatted",))}
_ID_PLACEHOLDER = re.compile(r"\$\{id_[A-Za-z0-9_]+\}")


class Divergence(AssertionError):
    """The target answered differently from the reference model.

    ``signature`` names the divergence without the run's data: the operation (method, path
    with ids elided, the rule's label, a filter's text), the attribute path and the kind of
    difference. Two divergences with one signature are taken to have one cause.
    """

    def __init__(self, message: str, signature: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.signature = signature or message


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
        if low in _SERVER_COMPUTED_SUB and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k.lower() not in _SERVER_COMPUTED_SUB[low]}
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


def operation(template: Template) -> str:
    """The operation part of a signature: method, path (ids elided), label, a filter's text."""
    path = _ID_PLACEHOLDER.sub("{id}", template.path)
    op = f"{template.method} {path}"
    if template.check == "list" and "filter" in template.query:
        op += f"?filter={template.query['filter']}"
    return f"{op} ({template.label})"


def _attribute_paths(model: dict[str, Any], seen: dict[str, Any]) -> list[tuple[str, str]]:
    """(attribute path, kind) for each client-visible difference: missing, extra or differs."""
    out: list[tuple[str, str]] = []
    for key in sorted(model.keys() | seen.keys()):
        want, got = model.get(key), seen.get(key)
        if want == got:
            continue
        if isinstance(want, dict) and isinstance(got, dict):
            out += [(f"{key}.{sub}", kind) for sub, kind in _attribute_paths(want, got)]
        elif got is None:
            out.append((key, "missing"))
        elif want is None:
            out.append((key, "extra"))
        else:
            out.append((key, "differs"))
    return out


def compare(exchange: Exchange, ref: Side, tgt: Side) -> None:
    """Raise :class:`Divergence` when the target's answer differs from the reference's.

    Only what the RFC lets a client determine is compared: ids, ``meta``, a User's ``groups``,
    members' ``display``/``$ref``/``type``, ``name.formatted`` and a ``displayName`` the client
    did not set are the server's, and never a divergence by themselves.
    """
    t = exchange.template
    where = f"{t.method} {t.path} ({t.label})"
    op = operation(t)
    if exchange.target.status >= 500:
        raise Divergence(
            f"{where}: the target answered {_brief(exchange.target)}, a server error",
            f"{op} | status | 5xx",
        )
    if status_class(exchange.reference.status) != status_class(exchange.target.status):
        raise Divergence(
            f"{where}: the reference model answers {_brief(exchange.reference)} but the target "
            f"answers {_brief(exchange.target)}",
            f"{op} | status | {exchange.reference.status} expected, "
            f"{status_class(exchange.target.status)}xx answered",
        )
    if status_class(exchange.reference.status) != 2:
        return
    ref_body, tgt_body = body_of(exchange.reference), body_of(exchange.target)
    if has_password(tgt_body):
        raise Divergence(
            f"{where}: the target returned the password (RFC 7643: returned never)",
            f"{op} | password | returned",
        )
    if t.check == "resource" and tgt_body is not None:
        model, seen = visible(ref_body, ref), visible(tgt_body, tgt)
        for key in _SERVER_MAY_FILL:
            if key not in model:
                seen.pop(key, None)
        if model != seen:
            keys = sorted(k for k in model.keys() | seen.keys() if model.get(k) != seen.get(k))
            diffs = "; ".join(f"{k}: expected {model.get(k)!r}, got {seen.get(k)!r}" for k in keys)
            paths = ", ".join(f"{path} {kind}" for path, kind in _attribute_paths(model, seen))
            raise Divergence(
                f"{where}: the target's resource differs from the model: {diffs}",
                f"{op} | {paths}",
            )
    elif t.check == "page":
        want_total, want = listed(ref_body, ref)
        got_total, got = listed(tgt_body, tgt)
        if want_total != got_total or len(want) != len(got):
            kind = "totalResults" if want_total != got_total else "page size"
            raise Divergence(
                f"{where}: the model pages {len(want)} of {want_total} but the target pages "
                f"{len(got)} of {got_total}",
                f"{op} | {kind} | differs",
            )
    elif t.check == "list":
        want_total, want = listed(ref_body, ref)
        got_total, got = listed(tgt_body, tgt)
        if want_total != got_total or want != got:
            kinds = [
                k
                for k, bad in (
                    ("extra", bool(set(got) - set(want))),
                    ("missing", bool(set(want) - set(got))),
                    ("totalResults", want_total != got_total),
                )
                if bad
            ]
            raise Divergence(
                f"{where}: the model finds {want_total} {want} but the target finds "
                f"{got_total} {got}",
                f"{op} | Resources | {' '.join(kinds) or 'differs'}",
            )
