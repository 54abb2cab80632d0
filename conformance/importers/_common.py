"""Shared pieces of the importers: placeholders, property paths and expectation trees."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from conformance.recording import FORMAT

__all__ = [
    "SCIM_ENDPOINTS",
    "add_element",
    "convert_placeholders",
    "parse_property",
    "pointer",
    "scim_path",
    "set_expectation",
    "slug",
]

SCIM_ENDPOINTS = frozenset(
    {
        "users",
        "groups",
        "serviceproviderconfig",
        "resourcetypes",
        "schemas",
        "bulk",
        "me",
        ".search",
    }
)
_MUSTACHE = re.compile(r"\{\{\s*(\$?[A-Za-z_][\w.-]*)\s*\}\}")
_BUILTINS = {"$guid": "uuid", "$randomUUID": "uuid", "$timestamp": "unique", "$randomInt": "unique"}


def convert_placeholders(text: str, used: set[str]) -> str:
    """``{{name}}`` → ``${name}`` (Postman/Runscope dynamic variables → ``${uuid}``/``${unique}``).

    Names of ordinary variables are added to ``used``.
    """
    text = text.replace("${", "$${")

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("$"):
            return "${" + _BUILTINS.get(name, "unique") + "}"
        used.add(name)
        return "${" + name + "}"

    return _MUSTACHE.sub(repl, text)


def convert_json(value: Any, used: set[str]) -> Any:
    """``convert_placeholders`` on every string of a JSON value."""
    if isinstance(value, str):
        return convert_placeholders(value, used)
    if isinstance(value, list):
        return [convert_json(v, used) for v in value]
    if isinstance(value, dict):
        return {k: convert_json(v, used) for k, v in value.items()}
    return value


def body_fields(raw: str, used: set[str]) -> dict[str, Any]:
    """A request body as ``{"json": …}`` when it parses (placeholders inside strings allowed),
    else ``{"body": …}``."""
    if not raw.strip():
        return {}
    converted = convert_placeholders(raw, used)
    try:
        return {"json": json.loads(converted)}
    except ValueError:
        return {"body": converted}


def scim_path(url: str, used: set[str]) -> tuple[str, dict[str, str], bool]:
    """Split a URL template into the path below the SCIM base, the query, and whether the path
    reaches a SCIM endpoint at all (``/Token`` and the like do not)."""
    url, _, query_text = url.partition("?")
    url = re.sub(r"^[^/]*://[^/]*", "", url)  # scheme://host, placeholders included
    url = re.sub(r"^\{\{[^}]*\}\}", "", url)  # {{baseUrl}}/Users
    segments = [s for s in url.split("/") if s]
    start = next((i for i, s in enumerate(segments) if s.lower() in SCIM_ENDPOINTS), None)
    if start is None:
        rest = [s for s in segments if not _MUSTACHE.fullmatch(s)]
        return "/" + "/".join(convert_placeholders(s, used) for s in rest), {}, False
    path = "/" + "/".join(convert_placeholders(s, used) for s in segments[start:])
    query = {
        k: convert_placeholders(v, used) for k, v in parse_qsl(query_text, keep_blank_values=True)
    }
    return unquote_plus(path), query, True


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_property(text: str) -> list[str | int]:
    """``Resources[0].name.familyName`` → ``["Resources", 0, "name", "familyName"]``."""
    parts: list[str | int] = []
    for name, index in _TOKEN.findall(text):
        parts.append(int(index) if index else name)
    return parts


def pointer(parts: list[str | int]) -> str:
    """The JSON pointer of a parsed property path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _descend(tree: dict[str, Any], parts: list[str | int]) -> tuple[Any, str | int]:
    node: Any = tree
    for part, following in itertools.pairwise(parts):
        fresh: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValueError("index into a non-array")
            while len(node) <= part:
                node.append({})
            if not isinstance(node[part], type(fresh)) or _is_presence(node[part]):
                node[part] = fresh
            node = node[part]
        else:
            child = node.get(part)
            if not isinstance(child, type(fresh)) or _is_presence(child):
                node[part] = fresh
            node = node[part]
    return node, parts[-1]


def _is_presence(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"$absent"}


def set_expectation(tree: dict[str, Any], parts: list[str | int], value: Any) -> None:
    """Put ``value`` at ``parts`` in an expectation tree; nested values imply presence."""
    if not parts:
        return
    node, last = _descend(tree, parts)
    if isinstance(last, int):
        while len(node) <= last:
            node.append({})
        node[last] = value
        return
    existing = node.get(last)
    if value == {"$absent": False} and isinstance(existing, dict | list) and existing:
        return  # something more specific already says it is there
    node[last] = value


def add_element(tree: dict[str, Any], parts: list[str | int], element: Any) -> None:
    """Require an array at ``parts`` to contain ``element``."""
    if not parts:
        return
    node, last = _descend(tree, [*parts, 0])
    del last
    if not isinstance(node, list):
        return
    if node == [{}]:
        node.clear()
    if element not in node:
        node.append(element)


def slug(text: str) -> str:
    """A recording-name-safe slug."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "imported"


def document(
    *,
    name: str,
    idp: str,
    title: str,
    source: str,
    description: str,
    variables: dict[str, str],
    steps: list[dict[str, Any]],
) -> dict[str, Any]:
    """Assemble a ``scim-recording/1`` document."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "name": name,
        "idp": idp,
        "title": title,
        "provenance": "documented",
        "source": source,
    }
    if description:
        doc["description"] = description
    if variables:
        doc["variables"] = variables
    doc["steps"] = steps
    return doc
