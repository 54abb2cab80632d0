"""Hypothesis strategies generating valid SCIM resources from the schema layer.

Everything is derived from the registry's attribute definitions (types, multiValued, required,
canonicalValues, mutability, returned), so a custom extension registered in a
:class:`~scimcore.schema.SchemaRegistry` gets generated values too. The generated resources are
valid for the requested context: on ``create``/``replace`` they carry no readOnly attribute, on
``response`` no ``returned: never`` one.
"""

from __future__ import annotations

import base64
from datetime import UTC
from typing import Any

from hypothesis import strategies as st

from scimcore.errors import InvalidSyntax, InvalidValue, ScimError
from scimcore.models._validate import kept
from scimcore.schema import DEFAULT_REGISTRY, Attribute, ResourceType, Schema, SchemaRegistry

ACME_EXTENSION_URN = "urn:example:params:scim:schemas:extension:acme:2.0:User"

ACME_EXTENSION = Schema.from_dict(
    {
        "id": ACME_EXTENSION_URN,
        "name": "AcmeUser",
        "description": "A custom extension exercising every attribute type",
        "attributes": [
            {"name": "badgeNumber", "type": "integer"},
            {"name": "clearance", "type": "string", "canonicalValues": ["low", "high"]},
            {"name": "hireDate", "type": "dateTime"},
            {"name": "salary", "type": "decimal"},
            {"name": "remote", "type": "boolean"},
            {"name": "avatar", "type": "binary"},
            {"name": "homepage", "type": "reference", "referenceTypes": ["external"]},
            {"name": "skills", "type": "string", "multiValued": True},
            {
                "name": "building",
                "type": "complex",
                "subAttributes": [
                    {"name": "name", "type": "string", "required": True},
                    {"name": "floor", "type": "integer"},
                ],
            },
            {"name": "auditTag", "type": "string", "mutability": "readOnly"},
        ],
    }
)
"""A custom User extension with one attribute of every type (and a required sub-attribute)."""


def acme_registry(base: SchemaRegistry = DEFAULT_REGISTRY) -> SchemaRegistry:
    """``base`` with :data:`ACME_EXTENSION` added to the User resource type."""
    return base.with_extension("User", ACME_EXTENSION)


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z", "Cc")),
    min_size=1,
    max_size=12,
)


def _datetimes() -> st.SearchStrategy[str]:
    def render(value: Any, fraction: bool) -> str:
        spec = "microseconds" if fraction else "seconds"
        return str(value.replace(tzinfo=None).isoformat(timespec=spec)) + "Z"

    return st.builds(render, st.datetimes(timezones=st.just(UTC)), st.booleans())


def _scalar(attr: Attribute) -> st.SearchStrategy[Any]:
    kind = attr.type
    if kind in ("string", "reference") and attr.canonical_values:
        return st.sampled_from(attr.canonical_values)
    if kind == "string":
        return _TEXT
    if kind == "reference":
        return _TEXT.map(lambda t: "https://example.com/" + t.encode().hex())
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=-(2**53), max_value=2**53)
    if kind == "decimal":
        return st.integers(-(10**6), 10**6) | st.floats(
            allow_nan=False, allow_infinity=False, width=64
        )
    if kind == "dateTime":
        return _datetimes()
    return st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode("ascii"))


def _not_blank(value: Any) -> bool:
    return not (isinstance(value, str) and not value.strip())


def _object(attributes: tuple[Attribute, ...], context: str) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for attr in attributes:
        if not kept(attr, context):
            continue
        values = attribute_values(attr, context)
        if attr.required:  # a blank string is no value for a required attribute (RFC 7643 §2.1)
            required[attr.name] = values.filter(_not_blank)
        else:
            optional[attr.name] = values
    return st.fixed_dictionaries(required, optional=optional)


def _one_primary(items: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    seen = False
    for item in items:
        if item.get(name) is True:
            if seen:
                item[name] = False
            seen = True
    return items


def attribute_values(attr: Attribute, context: str = "create") -> st.SearchStrategy[Any]:
    """Valid values of one attribute in ``context`` (a list for a multi-valued attribute)."""
    one = _object(attr.sub_attributes, context) if attr.type == "complex" else _scalar(attr)
    if not attr.multi_valued:
        return one
    values = st.lists(one, min_size=1, max_size=3)
    primary = attr.sub_attribute("primary")
    if primary is not None and primary.type == "boolean":
        name = primary.name
        return values.map(lambda items: _one_primary(items, name))
    return values


@st.composite
def _resource(
    draw: st.DrawFn,
    registry: SchemaRegistry,
    rt: ResourceType,
    context: str,
    extensions: bool,
) -> dict[str, Any]:
    schemas = registry.schemas_of(rt)
    core = schemas[0]
    body: dict[str, Any] = {"schemas": [core.id]}
    body.update(draw(_object(core.attributes, context)))
    if context == "response":
        body["id"] = draw(_TEXT)
        body["meta"] = {"resourceType": rt.name, "lastModified": draw(_datetimes())}
    elif draw(st.booleans()):
        body["externalId"] = draw(_TEXT)
    required_exts = {e.schema.lower() for e in rt.schema_extensions if e.required}
    for ext in schemas[1:]:
        if ext.id.lower() in required_exts or (extensions and draw(st.booleans())):
            body["schemas"].append(ext.id)
            body[ext.id] = draw(_object(ext.attributes, context))
    return body


def resources(
    resource_type: ResourceType | str,
    *,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: str = "create",
    extensions: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid resources (SCIM JSON dicts) of ``resource_type`` for ``context``.

    Extensions the resource type accepts are included at random when ``extensions`` is true
    (always, when the resource type requires them), and listed in ``schemas``.
    """
    rt = resource_type if isinstance(resource_type, ResourceType) else registry._rt(resource_type)
    return _resource(registry, rt, context, extensions)


def users(
    *,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: str = "create",
    extensions: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid Users, with the enterprise extension (and any registered custom one) at random."""
    return resources("User", registry=registry, context=context, extensions=extensions)


def groups(
    *,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: str = "create",
    extensions: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid Groups (with members), generated from the Group schema."""
    return resources("Group", registry=registry, context=context, extensions=extensions)


_WRONG_VALUES: dict[str, Any] = {
    "string": 12,
    "reference": True,
    "boolean": "true",
    "integer": "1",
    "decimal": "1.5",
    "dateTime": "yesterday",
    "binary": "not base64!",
    "complex": "text",
}


@st.composite
def _invalid(
    draw: st.DrawFn,
    registry: SchemaRegistry,
    rt: ResourceType,
    context: str,
) -> tuple[dict[str, Any], type[ScimError], list[str | int]]:
    body = draw(_resource(registry, rt, context, True))
    schemas = registry.schemas_of(rt)
    core = schemas[0]
    kinds = ["wrong type", "undeclared attribute", "unknown schema"]
    required = [a for a in core.attributes if a.required and kept(a, context)]
    if required:
        kinds.append("missing required")
    primaried = [
        a
        for a in core.attributes
        if a.multi_valued and a.sub_attribute("primary") is not None and kept(a, context)
    ]
    if primaried:
        kinds.append("two primaries")
    kind = draw(st.sampled_from(kinds))
    if kind == "missing required":
        attr = draw(st.sampled_from(required))
        body.pop(attr.name, None)
        return body, InvalidValue, [attr.name]
    if kind == "two primaries":
        attr = draw(st.sampled_from(primaried))
        body[attr.name] = [{"primary": True}, {"primary": True}]
        return body, InvalidValue, [attr.name, 1, "primary"]
    if kind == "undeclared attribute":
        name = draw(st.sampled_from(["undeclaredAttribute", "x", "userNames", "urn:bogus:Thing"]))
        body[name] = "value"
        return body, InvalidSyntax, [name]
    if kind == "unknown schema":
        body["schemas"].append("urn:example:unknown:2.0:Thing")
        return body, InvalidValue, ["schemas", len(body["schemas"]) - 1]
    candidates = [a for a in core.attributes if kept(a, context)]
    attr = draw(st.sampled_from(candidates))
    body[attr.name] = {"not": "a list"} if attr.multi_valued else _WRONG_VALUES[attr.type]
    return body, InvalidValue, [attr.name]


def invalid_resources(
    resource_type: ResourceType | str,
    *,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: str = "create",
) -> st.SearchStrategy[tuple[dict[str, Any], type[ScimError], list[str | int]]]:
    """Resources with exactly one schema violation, with the error class and JSON path it must get.

    The violations: a value of the wrong type, a required attribute missing, two ``primary: true``
    values, an undeclared attribute, an unknown schema URN in ``schemas``. Useful to check that a
    SCIM endpoint answers 400 with the right ``scimType`` (``invalidValue`` / ``invalidSyntax``).
    """
    rt = resource_type if isinstance(resource_type, ResourceType) else registry._rt(resource_type)
    return _invalid(registry, rt, context)
