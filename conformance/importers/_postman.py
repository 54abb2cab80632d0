"""A Postman collection (v2.x, e.g. Microsoft's SCIM reference tests) → scim-recording/1.

Requests are taken in collection order (folders flattened, their names prefixed). Test scripts are
JavaScript: the importer reads the common idioms — ``pm.response.to.have.status(N)``,
``pm.expect(pm.response.code).to.be.oneOf([...])``, ``pm.expect(json.path).to.eql(value)`` and
``pm.environment.set("v", json.path)`` — and lists the rest as not imported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from conformance.importers._common import (
    body_fields,
    convert_placeholders,
    document,
    parse_property,
    pointer,
    scim_path,
    set_expectation,
    slug,
)

__all__ = ["import_postman"]

_STATUS = re.compile(r"pm\.response\.to\.have\.status\(\s*(\d{3})\s*\)")
_ONE_OF = re.compile(r"pm\.expect\(\s*pm\.response\.code\s*\)\.to\.be\.oneOf\(\s*\[([\d,\s]+)\]")
_CODE_EQ = re.compile(r"pm\.expect\(\s*pm\.response\.code\s*\)\.to\.(?:eql|equal)\(\s*(\d{3})\s*\)")
_JSON_VAR = re.compile(r"(?:var|let|const)\s+(\w+)\s*=\s*(?:pm\.response\.json\(\)|JSON\.parse)")
_ENV_VAR = re.compile(
    r"(?:var|let|const)\s+(\w+)\s*=\s*pm\.(?:environment|collectionVariables|globals|variables)"
    r"\.get\(\s*[\"'](\w+)[\"']\s*\)"
)
_SET = re.compile(
    r"(?:pm\.(?:environment|collectionVariables|globals|variables)\.set"
    r"|postman\.set(?:Environment|Global)Variable)\(\s*[\"'](\w+)[\"']\s*,\s*(\w+)"
    r"((?:\.\w+|\[\d+\])+)\s*\)"
)
_EXPECT = re.compile(r"pm\.expect\(\s*(\w+)((?:\.\w+|\[\d+\])+)\s*\)\.to\.(?:eql|equal)\((.+?)\);")
_TEST_NAME = re.compile(r"pm\.test\(\s*[\"']([^\"']+)[\"']")


def _items(items: list[Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "request")
        if isinstance(item.get("item"), list):
            yield from _items(item["item"], f"{prefix}{name} / ")
        elif isinstance(item.get("request"), dict | str):
            yield f"{prefix}{name}", item


def _script(item: dict[str, Any]) -> str:
    lines: list[str] = []
    for event in item.get("event") or []:
        if event.get("listen") == "test":
            exec_ = (event.get("script") or {}).get("exec") or []
            lines.extend(exec_ if isinstance(exec_, list) else [str(exec_)])
    return "\n".join(line.rstrip("\r") for line in lines)


def _value(text: str, env: dict[str, str], used: set[str]) -> tuple[bool, Any]:
    text = text.strip()
    if text in env:
        return True, "${" + env[text] + "}"
    if text.startswith("'") and text.endswith("'"):
        text = '"' + text[1:-1].replace('"', '\\"') + '"'
    try:
        value = json.loads(text)
    except ValueError:
        return False, None
    return True, convert_placeholders(value, used) if isinstance(value, str) else value


def _url(request: dict[str, Any]) -> str:
    url = request.get("url", "")
    if isinstance(url, str):
        return url
    raw = url.get("raw")
    if isinstance(raw, str):
        return raw
    path = "/".join(str(p) for p in url.get("path") or [])
    query = "&".join(
        f"{q.get('key')}={q.get('value', '')}"
        for q in url.get("query") or []
        if not q.get("disabled")
    )
    return f"/{path}" + (f"?{query}" if query else "")


def _step(name: str, item: dict[str, Any], used: set[str]) -> dict[str, Any] | None:
    request = item["request"]
    if isinstance(request, str):
        request = {"url": request, "method": "GET"}
    path, query, is_scim = scim_path(_url(request), used)
    if not is_scim:
        return None
    headers = {
        str(h.get("key")): convert_placeholders(str(h.get("value", "")), used)
        for h in request.get("header") or []
        if isinstance(h, dict)
        and not h.get("disabled")
        and h.get("key")
        and str(h.get("key")).lower() != "authorization"
    }
    out: dict[str, Any] = {"method": str(request.get("method", "GET")).upper(), "path": path}
    if query:
        out["query"] = query
    if headers:
        out["headers"] = headers
    body = request.get("body") or {}
    if isinstance(body, dict) and body.get("mode") == "raw":
        out.update(body_fields(str(body.get("raw") or ""), used))
    script = _script(item)
    statuses = [int(s) for s in _STATUS.findall(script)]
    for group in _ONE_OF.findall(script):
        statuses.extend(int(s) for s in group.split(",") if s.strip())
    statuses.extend(int(s) for s in _CODE_EQ.findall(script))
    json_vars = set(_JSON_VAR.findall(script))
    env = dict(_ENV_VAR.findall(script))
    tree: dict[str, Any] = {}
    understood = 0
    for var, accessor, literal in _EXPECT.findall(script):
        if var not in json_vars:
            continue
        ok, value = _value(literal, env, used)
        if ok:
            set_expectation(tree, parse_property(accessor.lstrip(".")), value)
            understood += 1
    capture = {
        target: pointer(parse_property(accessor.lstrip(".")))
        for target, var, accessor in _SET.findall(script)
        if var in json_vars
    }
    step: dict[str, Any] = {"name": name}
    tests = _TEST_NAME.findall(script)
    if len(tests) > len(set(statuses) and ["status"]) + understood:
        step["description"] = "Postman tests: " + "; ".join(tests) + " (partly imported)"
    if isinstance(request.get("description"), str) and "description" not in step:
        step["description"] = request["description"]
    step["request"] = out
    expect: dict[str, Any] = {}
    if statuses:
        unique = sorted(set(statuses))
        expect["status"] = unique[0] if len(unique) == 1 else unique
    if tree:
        expect["json"] = tree
    if expect:
        step["expect"] = expect
    if capture:
        step["capture"] = capture
    return step


def import_postman(collection: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
    """Convert a Postman collection into one recording (requests to non-SCIM URLs are left out)."""
    info = collection.get("info") or {}
    title = str(info.get("name") or "Postman collection")
    used: set[str] = set()
    steps: list[dict[str, Any]] = []
    left_out: list[str] = []
    names: set[str] = set()
    captured: set[str] = set()
    for step_name, item in _items(collection.get("item") or []):
        step = _step(step_name, item, used)
        if step is None:
            left_out.append(step_name)
            continue
        while step["name"] in names:
            step["name"] += " (again)"
        names.add(step["name"])
        steps.append(step)
        captured.update(step.get("capture", {}))
    defaults = {
        str(v.get("key")): str(v.get("value", ""))
        for v in collection.get("variable") or []
        if isinstance(v, dict) and v.get("key")
    }
    variables = {
        var: convert_placeholders(defaults[var], set()) if var in defaults else f"{var}-${{unique}}"
        for var in sorted(used - captured)
    }
    description = str(info.get("description") or "")
    if left_out:
        description += (
            (" " if description else "") + "Left out (not SCIM endpoints): " + ", ".join(left_out)
        )
    return document(
        name=name or f"entra/postman-{slug(title)}",
        idp="entra",
        title=title,
        source=f"imported from the Postman collection '{title}'",
        description=description,
        variables=variables,
        steps=steps,
    )
