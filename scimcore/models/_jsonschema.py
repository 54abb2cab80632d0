"""JSON Schema (draft 2020-12) documents generated from the schema layer, and validation with them.

The generated document states the same rules as the compiled validator in ``_validate``:
attribute names match case-insensitively (``patternProperties`` with ``(?i:…)`` patterns), so a
required attribute is "some property name matches" (``not``/``propertyNames``); canonical values
are case-insensitive patterns; "at most one primary" is ``not``/``contains``/``minContains: 2``;
``null`` stands for an unassigned attribute; dropped attributes (readOnly in requests,
``returned: never`` in responses) accept anything. Two ``x-scim-*`` annotations (ignored by JSON
Schema validators) let errors be mapped back to SCIM errors with the JSON path of the problem.
The one rule JSON Schema cannot state is "no attribute given twice in different case".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from scimcore.errors import InvalidSyntax, InvalidValue, ScimError
from scimcore.models._types import (
    BINARY_PATTERN,
    DATETIME_PATTERN,
    canonical_pattern,
    name_pattern,
)
from scimcore.models._validate import CONTEXTS, Context, kept
from scimcore.schema import (
    COMMON_ATTRIBUTES,
    DEFAULT_REGISTRY,
    Attribute,
    ResourceType,
    SchemaRegistry,
)

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _present(name: str) -> dict[str, Any]:
    """'Some property name matches ``name`` in any case': a case-insensitive ``required``."""
    return {
        "not": {"propertyNames": {"not": {"pattern": name_pattern(name)}}},
        "x-scim-required": name,
    }


def _scalar(attr: Attribute, enforce: bool) -> dict[str, Any]:
    kind = attr.type
    if kind in ("string", "reference"):
        out: dict[str, Any] = {"type": "string"}
        if enforce and attr.canonical_values:
            out["pattern"] = canonical_pattern(attr.canonical_values)
        return out
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "integer":
        return {"type": "integer"}
    if kind == "decimal":
        return {"type": "number"}
    if kind == "dateTime":
        return {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}
    return {"type": "string", "contentEncoding": "base64", "pattern": BINARY_PATTERN}


def _object(attributes: tuple[Attribute, ...], context: str, enforce: bool) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[dict[str, Any]] = []
    for attr in attributes:
        is_required = attr.required and kept(attr, context)
        props[name_pattern(attr.name)] = _attribute(attr, context, enforce, is_required)
        if is_required:
            required.append(_present(attr.name))
    out: dict[str, Any] = {
        "type": "object",
        "patternProperties": props,
        "additionalProperties": False,
    }
    if required:
        out["allOf"] = required
    return out


def _attribute(attr: Attribute, context: str, enforce: bool, required: bool) -> dict[str, Any]:
    if not kept(attr, context):
        return {"description": f"{attr.name}: ignored in this context"}
    if attr.type == "complex":
        one = _object(attr.sub_attributes, context, enforce)
    else:
        one = _scalar(attr, enforce)
    if attr.multi_valued:
        schema: dict[str, Any] = {"type": "array", "items": one}
        if required:
            schema["minItems"] = 1
        primary = attr.sub_attribute("primary")
        if (
            primary is not None
            and primary.type == "boolean"
            and not primary.multi_valued
            and kept(primary, context)
        ):
            pattern = name_pattern(primary.name)
            schema["not"] = {
                "type": "array",  # without it, a null value would fail: ``contains`` passes
                "contains": {
                    "type": "object",
                    "patternProperties": {pattern: {"const": True}},
                    "not": {"propertyNames": {"not": {"pattern": pattern}}},
                },
                "minContains": 2,
            }
            schema["x-scim-primary"] = primary.name
    elif required and attr.type in ("string", "reference"):
        # an empty or blank string is no value for a required attribute (as the validator has it)
        schema = {**one, "allOf": [{"pattern": r"\S"}]}
    else:
        schema = one
    if attr.description:
        schema = {**schema, "description": attr.description}
    if not required:
        kind = schema["type"]
        schema = {**schema, "type": [kind, "null"]}
    return schema


def _generate(registry: SchemaRegistry, rt: ResourceType, context: str, enforce: bool) -> Any:
    schemas = registry.schemas_of(rt)
    core, extensions = schemas[0], schemas[1:]
    core_names = {a.name.lower() for a in core.attributes}
    top = (
        *(a for a in COMMON_ATTRIBUTES if a.name != "schemas" and a.name.lower() not in core_names),
        *core.attributes,
    )
    doc = _object(top, context, enforce)
    urns = [s.id for s in schemas]
    doc["patternProperties"] = {
        name_pattern("schemas"): {
            "type": "array",
            "items": {"type": "string", "pattern": canonical_pattern(tuple(urns))},
            "contains": {"type": "string", "pattern": name_pattern(core.id)},
            "description": "The schema URNs this resource conforms to (the core one first)",
        },
        **doc["patternProperties"],
    }
    required = [_present("schemas"), *doc.get("allOf", [])]
    for ext in extensions:
        ext_schema = _object(ext.attributes, context, enforce)
        ext_schema["type"] = ["object", "null"]
        ext_schema["description"] = ext.description or ext.name
        doc["patternProperties"][name_pattern(ext.id)] = ext_schema
    for ext_ref in rt.schema_extensions:
        if ext_ref.required:
            required.append(_present(ext_ref.schema))
    doc["allOf"] = required
    return {
        "$schema": _DIALECT,
        "$id": f"urn:scimcore:json-schema:{rt.name}:{context}",
        "title": f"SCIM {rt.name} ({context})",
        **doc,
    }


_CACHE: dict[int, tuple[SchemaRegistry, dict[tuple[str, str, bool], Any]]] = {}


def _cached(
    registry: SchemaRegistry, resource_type: ResourceType | str, context: str, enforce: bool
) -> tuple[dict[str, Any], Validator]:
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {sorted(CONTEXTS)}, not {context!r}")
    entry = _CACHE.get(id(registry))
    if entry is None or entry[0] is not registry:
        entry = (registry, {})
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[id(registry)] = entry
    rt = resource_type if isinstance(resource_type, ResourceType) else registry._rt(resource_type)
    key = (rt.name, context, enforce)
    if key not in entry[1]:
        import jsonschema  # imported on first use: it costs ~30 ms, the hot path never needs it

        doc = _generate(registry, rt, context, enforce)
        entry[1][key] = (doc, jsonschema.Draft202012Validator(doc))
    return entry[1][key]  # type: ignore[no-any-return]


def json_schema(
    resource_type: ResourceType | str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: Context = "create",
    *,
    enforce_canonical_values: bool = True,
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a resource type's body in ``context``.

    Generated from the schema layer, so custom extensions registered in ``registry`` are part of
    it. The returned dict is shared: copy it before changing it.
    """
    return _cached(registry, resource_type, context, enforce_canonical_values)[0]


def _to_scim_error(error: ValidationError) -> ScimError:
    path: list[str | int] = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
    where = ".".join(str(p) for p in path) or "the body"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [k for k in error.instance if not any(p.search(k) for p in patterns)]
        key = extra[0] if extra else "?"
        return InvalidSyntax(f"{where} has no attribute {key!r}", path=[*path, key])
    if error.validator == "type" and not path:
        return InvalidSyntax(f"the body must be a JSON object: {message}", path=path)
    if error.validator == "not" and "x-scim-required" in schema:
        name = schema["x-scim-required"]
        return InvalidValue(f"{name} is required", path=[*path, name])
    if error.validator == "not" and "x-scim-primary" in schema:
        name = schema["x-scim-primary"]
        seen = False
        items = error.instance if isinstance(error.instance, list) else []
        for index, item in enumerate(items):
            flagged = isinstance(item, dict) and any(
                k.lower() == name.lower() and v is True for k, v in item.items()
            )
            if flagged and seen:
                path += [index, name]
                break
            seen = seen or flagged
        return InvalidValue(f"{where} has more than one value with primary true", path=path)
    return InvalidValue(f"{where}: {message}", path=path)


def _is_missing(error: ScimError) -> bool:
    return error.detail.endswith(" is required")


def json_schema_errors(
    data: Any,
    *,
    resource_type: ResourceType | str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: Context = "create",
    enforce_canonical_values: bool = True,
) -> list[ScimError]:
    """Every problem ``jsonschema`` finds in ``data``, each as a SCIM error with its JSON path."""
    validator = _cached(registry, resource_type, context, enforce_canonical_values)[1]
    try:
        return [_to_scim_error(e) for e in validator.iter_errors(data)]
    except RecursionError:  # jsonschema renders the offending value, recursively
        return [InvalidSyntax("the body nests too deeply to be a SCIM resource", path=[])]


def validate_with_json_schema(
    data: Any,
    *,
    resource_type: ResourceType | str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: Context = "create",
    enforce_canonical_values: bool = True,
) -> None:
    """Check ``data`` with ``jsonschema`` against the generated JSON Schema; raise the worst error.

    The thorough, declarative reference for :func:`~scimcore.validate_resource` (which is faster
    and also returns the cleaned resource). Raises InvalidSyntax (not an object, an undeclared
    attribute) or InvalidValue (everything else), with the JSON path of the problem.
    """
    errors = json_schema_errors(
        data,
        resource_type=resource_type,
        registry=registry,
        context=context,
        enforce_canonical_values=enforce_canonical_values,
    )
    if errors:
        # Report what the compiled validator reports: a wrong or undeclared value before a
        # missing required one (it checks those last), and the deepest (most specific) path
        # first, so an unknown URN is blamed at ``schemas[1]`` rather than at ``schemas``.
        raise min(errors, key=lambda e: (_is_missing(e), -len(e.path or ())))
