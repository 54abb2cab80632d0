"""Okta's Runscope SPEC/CRUD test export → scim-recording/1.

The export is ``{"name", "steps": [...]}``; request steps carry ``url`` (``{{SCIMBaseURL}}/…``),
``method``, ``headers`` (lists of values), ``body``, ``variables`` (extractions) and
``assertions`` (``source``, ``comparison``, ``property``, ``value``). Pauses and response-time
assertions are dropped (no timing checks offline); what cannot be expressed is listed in the
step's description.
"""

from __future__ import annotations

from typing import Any

from conformance.importers._common import (
    add_element,
    body_fields,
    convert_placeholders,
    document,
    parse_property,
    pointer,
    scim_path,
    set_expectation,
    slug,
)

__all__ = ["import_okta_runscope"]

# Values Runscope's environment scripts generate before the test: made unique per run here.
_GENERATED = {
    "randomUsername": "runscope.${unique}@example.com",
    "randomEmail": "runscope.${unique}@example.com",
    "randomUsernameCaps": "RUNSCOPE.${unique}@EXAMPLE.COM",
    "randomGivenName": "Given${unique}",
    "randomFamilyName": "Family${unique}",
    "InvalidUserEmail": "nobody.${unique}@example.com",
    "UserIdThatDoesNotExist": "010101001010101010${unique}",
}


def _literal(text: Any, comparison: str, used: set[str]) -> Any:
    if text is None:
        return None
    value = convert_placeholders(str(text), used)
    if comparison == "equal_number" or (comparison == "equal" and value.lstrip("-").isdigit()):
        try:
            return int(value)
        except ValueError:
            return float(value)
    if value in ("true", "false"):
        return value == "true"
    return value


def _step(raw: dict[str, Any], index: int, used: set[str]) -> dict[str, Any]:
    path, query, _ = scim_path(str(raw.get("url", "")), used)
    note = str(raw.get("note") or f"step {index}")
    level = "SHOULD" if note.lower().startswith("optional") else "MUST"
    name = note.split(":", 1)[1].strip() if ":" in note else note
    headers: dict[str, str] = {}
    for key, value in (raw.get("headers") or {}).items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        if key.lower() == "authorization" or "{{auth}}" in text:
            continue  # the runner sends the target's token
        headers[key] = convert_placeholders(text, used)
    request: dict[str, Any] = {"method": str(raw.get("method", "GET")).upper(), "path": path}
    if query:
        request["query"] = query
    if headers:
        request["headers"] = headers
    request.update(body_fields(str(raw.get("body") or ""), used))
    expect: dict[str, Any] = {}
    tree: dict[str, Any] = {}
    skipped: list[str] = []
    for assertion in raw.get("assertions") or []:
        source = assertion.get("source")
        comparison = str(assertion.get("comparison"))
        prop = str(assertion.get("property") or "")
        value = _literal(assertion.get("value"), comparison, used)
        if source == "response_status" and comparison in ("equal_number", "equal"):
            expect["status"] = int(value)
        elif source == "response_time":
            continue
        elif source == "response_json" and prop:
            parts = parse_property(prop)
            if comparison in ("equal", "equal_number"):
                set_expectation(tree, parts, value)
            elif comparison == "not_empty" or (comparison == "has_value" and value is None):
                set_expectation(tree, parts, {"$absent": False})
            elif comparison == "empty":
                set_expectation(tree, parts, {"$absent": True})
            elif comparison == "is_a_number":
                set_expectation(tree, parts, {"$type": "number"})
            elif comparison in ("has_value", "contains"):
                add_element(tree, parts, value)
            else:
                skipped.append(f"{prop} {comparison} {assertion.get('value')!r}")
        else:
            skipped.append(f"{source} {comparison} {prop}".strip())
    if tree:
        expect["json"] = tree
    step: dict[str, Any] = {"name": name or f"step {index}", "level": level}
    if raw.get("scripts"):
        skipped.append("a script assertion")
    if skipped:
        step["description"] = "not imported: " + "; ".join(skipped)
    step["request"] = request
    if expect:
        step["expect"] = expect
    capture = {}
    for extraction in raw.get("variables") or []:
        target = extraction.get("name")
        if not target:
            continue
        if extraction.get("source") == "response_json":
            capture[target] = pointer(parse_property(str(extraction.get("property", ""))))
        elif extraction.get("source") == "response_headers":
            capture[target] = f"header:{extraction.get('property')}"
    if capture:
        step["capture"] = capture
    return step


def import_okta_runscope(export: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
    """Convert a Runscope test export (Okta's SCIM SPEC or CRUD test) into a recording."""
    title = str(export.get("name") or "Okta Runscope test")
    used: set[str] = set()
    steps: list[dict[str, Any]] = []
    names: set[str] = set()
    captured: set[str] = set()
    for index, raw in enumerate(export.get("steps") or []):
        if raw.get("step_type", "request") != "request":
            continue
        step = _step(raw, len(steps), used)
        while step["name"] in names:
            step["name"] += " (again)"
        names.add(step["name"])
        del index
        steps.append(step)
        captured.update(step.get("capture", {}))
    variables = {var: _GENERATED.get(var, f"{var}-${{unique}}") for var in sorted(used - captured)}
    return document(
        name=name or f"okta/runscope-{slug(title)}",
        idp="okta",
        title=title,
        source=f"imported from Okta's Runscope test export '{title}'",
        description=str(export.get("description") or ""),
        variables=variables,
        steps=steps,
    )
