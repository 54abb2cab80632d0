"""Named leniencies for resource bodies (POST, PUT) that real identity providers send.

Each one makes a non-RFC shape mean what the IdP intends, and none changes an RFC-correct body:

* schema URNs the server does not serve are dropped, with their data (Entra adds
  ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``), and the
  pre-RFC spellings ``urn:scim:schemas:core:2.0`` / ``urn:scim:schemas:extension:enterprise:2.0``
  (OneLogin templates) are read as the core and enterprise URNs;
* booleans sent as the strings ``"True"`` / ``"false"`` become booleans (Entra, OneLogin);
* a multi-valued attribute sent as one object becomes a one-element list (OneLogin ``emails``).

``ServiceConfig(lenient_bodies=False)`` turns all of this off (strict RFC validation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scimcore.schema import ENTERPRISE_USER_URN, Attribute, ResourceType, SchemaRegistry

_ALIASES = {
    "urn:scim:schemas:core:2.0": None,  # the resource type's core schema
    "urn:scim:schemas:extension:enterprise:2.0": ENTERPRISE_USER_URN,
}


def _value(attr: Attribute, value: Any) -> Any:
    if attr.multi_valued and isinstance(value, Mapping):
        value = [value]
    if attr.multi_valued and isinstance(value, list):
        return [_single(attr, v) for v in value]
    return _single(attr, value)


def _single(attr: Attribute, value: Any) -> Any:
    if attr.type == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if attr.is_complex and isinstance(value, Mapping):
        out = {}
        for key, sub_value in value.items():
            sub = attr.sub_attribute(key)
            out[key] = _single(sub, sub_value) if sub is not None else sub_value
        return out
    return value


def _attributes(data: Mapping[str, Any], find: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        attr = find(key)
        out[key] = _value(attr, value) if isinstance(attr, Attribute) else value
    return out


def lenient_body(
    data: Mapping[str, Any], rt: ResourceType, registry: SchemaRegistry
) -> dict[str, Any]:
    """Return ``data`` with the IdP quirks above normalised (a new dict)."""
    served = {s.id.lower(): s for s in registry.schemas_of(rt)}
    renamed: dict[str, str] = {}
    schemas = data.get("schemas")
    body = dict(data)
    if isinstance(schemas, list) and all(isinstance(s, str) for s in schemas):
        kept: list[str] = []
        for urn in schemas:
            low = urn.lower()
            if low in _ALIASES:
                target = _ALIASES[low] or rt.schema
                if target.lower() in served:
                    renamed[urn] = target
                    urn = target
                    low = target.lower()
            if low in served and urn not in kept:
                kept.append(urn)
        if kept != schemas:
            body["schemas"] = kept
        for key in list(body):
            if key.lower().startswith(("urn:", "http:", "https:")):
                if key in renamed:
                    body[renamed[key]] = body.pop(key)
                elif key.lower() not in served:
                    del body[key]
    out = _attributes(body, lambda k: _top(k, rt, registry))
    for key, value in list(out.items()):
        schema = served.get(key.lower())
        extension = schema is not None and schema.id.lower() != rt.schema.lower()
        if extension and schema is not None and isinstance(value, Mapping):
            out[key] = _attributes(value, schema.attribute)
    return out


_TOP: dict[tuple[int, str], tuple[SchemaRegistry, dict[str, Attribute]]] = {}


def _top_attributes(rt: ResourceType, registry: SchemaRegistry) -> dict[str, Attribute]:
    """The resource type's top-level attributes by lower-cased name (cached per registry)."""
    key = (id(registry), rt.name)
    found = _TOP.get(key)
    if found is None or found[0] is not registry:
        table: dict[str, Attribute] = {}
        for schema in reversed(registry.schemas_of(rt)):
            table.update({a.name.lower(): a for a in schema.attributes})
        found = (registry, table)  # holding the registry keeps its id from being reused
        if len(_TOP) > 64:
            _TOP.clear()
        _TOP[key] = found
    return found[1]


def _top(key: str, rt: ResourceType, registry: SchemaRegistry) -> Attribute | None:
    return _top_attributes(rt, registry).get(key.lower())
