"""Turn a (shrunk) failing fuzz trace into a ``scim-recording/1`` document a vendor can replay.

Each step's expectation is what the reference model answered, restricted to what a client owns
and can fairly demand back, with ids replaced by the ``${id_<handle>}`` captures and the run's
token by ``${unique}``. Replayed against the target, the recording fails at the divergent step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.fuzz._traffic import CLIENT_KEYS, USER_AGENT, Exchange, body_of, status_class

_NAME_SAFE = re.compile(r"[^A-Za-z0-9._/-]+")


def _placeholders(value: Any, unique: str, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if value in ids:
            return f"${{id_{ids[value]}}}"
        return value.replace(unique, "${unique}")
    if isinstance(value, list):
        return [_placeholders(v, unique, ids) for v in value]
    if isinstance(value, dict):
        return {k: _placeholders(v, unique, ids) for k, v in value.items()}
    return value


def _unassigned(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# Attributes a server may fill in when the client did not set them: not demanded absent.
_SERVER_MAY_FILL = frozenset(("displayname", "name"))


def _expected_resource(body: Any, path: str, target_body: Any = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    out: dict[str, Any] = {}
    if isinstance(target_body, dict):
        # what the target kept and the model has not (a remove that was not applied)
        present = {k.lower() for k, v in body.items() if not _unassigned(v)}
        for key, value in target_body.items():
            low = key.lower()
            fillable = low in _SERVER_MAY_FILL or low in present
            if low in CLIENT_KEYS and not fillable and not _unassigned(value):
                out[key] = {"$absent": True}
    for key, value in body.items():
        if key.lower() not in CLIENT_KEYS or _unassigned(value):
            continue
        if key.lower() == "members" and isinstance(value, list):
            value = [{"value": m.get("value")} for m in value if isinstance(m, dict)]
        if isinstance(value, list) and len(value) == 1:
            # one element: demand exactly one, so a duplicated element (a repeated add that
            # was not idempotent) fails; longer lists stay subset matches, since their order
            # is the server's choice
            value = {"$ordered": value}
        out[key] = value
    if path.startswith("/Users"):
        out["password"] = {"$absent": True}
    return out


def _expected_list(body: Any, check: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    total = body.get("totalResults")
    resources = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
    out: dict[str, Any] = {"totalResults": total}
    if resources:
        if check == "page":
            out["Resources"] = {"$len": len(resources)}
        else:
            out["Resources"] = [{"id": r.get("id")} for r in resources]
    return out


def _expected_status(method: str, status: int) -> int | list[int]:
    if method == "PATCH" and status == 200:
        return [200, 204]  # RFC 7644 §3.5.2: 200 with the resource, or 204
    return status


def to_recording(
    trace: Sequence[Exchange],
    *,
    message: str,
    unique: str,
    reference_ids: Mapping[str, str],
    name: str,
    target: str,
) -> dict[str, Any]:
    """Build the ``scim-recording/1`` document for ``trace`` (the failing step last)."""
    by_id = {id_: handle for handle, id_ in reference_ids.items()}
    # A GET that passed changes nothing, so only the failing one is needed to reproduce.
    trace = [ex for ex in trace[:-1] if ex.template.method != "GET"] + list(trace[-1:])
    steps: list[dict[str, Any]] = []
    uses_groups = False
    for index, exchange in enumerate(trace, start=1):
        t = exchange.template
        uses_groups = uses_groups or t.path.startswith("/Groups")
        request: dict[str, Any] = {
            "method": t.method,
            "path": t.path,
            "headers": {"User-Agent": USER_AGENT},
        }
        if t.query:
            request["query"] = dict(t.query)
        if t.body is not None:
            request["json"] = t.body
        ref = exchange.reference
        expect: dict[str, Any] = {"status": _expected_status(t.method, ref.status)}
        body = body_of(ref)
        if status_class(ref.status) == 2 and t.check == "resource":
            last = index == len(trace)
            expected = _expected_resource(body, t.path, body_of(exchange.target) if last else None)
        elif status_class(ref.status) == 2 and t.check in ("list", "page"):
            expected = _expected_list(body, t.check)
        else:
            expected = {}
        if expected:
            expect["json"] = _placeholders(expected, unique, by_id)
        step: dict[str, Any] = {
            "name": f"{index:02d} {t.label}",
            "request": request,
            "expect": expect,
        }
        if t.capture is not None and status_class(ref.status) == 2:
            step["capture"] = {f"id_{t.capture}": "/id"}
        steps.append(step)
    requires = ["patch", "filter"] + (["Groups"] if uses_groups else [])
    return {
        "format": "scim-recording/1",
        "name": _NAME_SAFE.sub("-", name).strip("-") or "fuzz",
        "idp": "fuzz",
        "title": f"Shrunk fuzz divergence: {message}"[:300],
        "provenance": "synthesized",
        "source": (
            f"scim-conformance fuzz against {target}: the shortest request sequence hypothesis "
            "found on which the target and scimcore's reference model disagree; expectations "
            "are the reference model's answers"
        ),
        "requires": requires,
        "steps": steps,
    }
