"""Loading mappings from JSON or TOML, validated with jsonschema, and the per-IdP presets."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from scimcore.errors import ConfigurationError
from scimcore.mapping._engine import AttributeMapping, make_rule
from scimcore.mapping._transforms import TRANSFORM_KINDS
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry

_TRANSFORM: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "propertyNames": {"enum": sorted(TRANSFORM_KINDS)}},
    ]
}  # fmt: skip

MAPPING_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "scimcore attribute mapping",
    "type": "object",
    "additionalProperties": False,
    "required": ["rules"],
    "properties": {
        "resource_type": {"type": "string", "minLength": 1},
        "preset": {"type": "string"},
        "extensions_to_meta": {"type": "boolean"},
        "meta_prefix": {"type": "string", "minLength": 1},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["scim"],
                "properties": {
                    "scim": {"type": "string", "minLength": 1},
                    "field": {"type": "string", "minLength": 1},
                    "meta": {"type": "string", "minLength": 1},
                    "required": {"type": "boolean"},
                    "direction": {"enum": ["both", "to_app", "to_scim"]},
                    "default": {},
                    "transform": {"anyOf": [_TRANSFORM, {"type": "array", "items": _TRANSFORM}]},
                    "to_app": {"anyOf": [_TRANSFORM, {"type": "array", "items": _TRANSFORM}]},
                    "to_scim": {"anyOf": [_TRANSFORM, {"type": "array", "items": _TRANSFORM}]},
                },
                "oneOf": [{"required": ["field"]}, {"required": ["meta"]}],
            },
        },
    },
}
"""The JSON Schema every mapping document (JSON or TOML) must satisfy."""

_VALIDATOR = jsonschema.Draft202012Validator(MAPPING_JSON_SCHEMA)


def _where(error: jsonschema.ValidationError) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return "$" + parts


def mapping_from_dict(
    data: Mapping[str, Any], *, registry: SchemaRegistry = DEFAULT_REGISTRY
) -> AttributeMapping:
    """Validate a mapping document and build the :class:`AttributeMapping` it describes.

    ``preset`` starts from a named preset; the document's rules then replace the preset's rule
    for the same SCIM path or are appended.
    """
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise ConfigurationError(f"mapping document at {_where(best)}: {best.message}")
    resource_type = data.get("resource_type", "User")
    if registry.resource_type(resource_type) is None:
        raise ConfigurationError(f"mapping document: no resource type called {resource_type!r}")
    specs: list[Mapping[str, Any]] = []
    if "preset" in data:
        specs = list(_preset_doc(data["preset"])["rules"])
        own = {str(r["scim"]).lower().replace(" ", "") for r in data["rules"]}
        specs = [s for s in specs if str(s["scim"]).lower().replace(" ", "") not in own]
    specs.extend(data["rules"])
    rules = tuple(
        make_rule(spec, index=i, resource_type=resource_type, registry=registry)
        for i, spec in enumerate(specs, start=1)
    )
    return AttributeMapping(
        rules=rules,
        resource_type=resource_type,
        registry=registry,
        extensions_to_meta=bool(data.get("extensions_to_meta", False)),
        meta_prefix=str(data.get("meta_prefix", "scim:")),
    )


def load_mapping(
    source: str | Path, *, registry: SchemaRegistry = DEFAULT_REGISTRY
) -> AttributeMapping:
    """Load a mapping from a ``.json`` or ``.toml`` file (TOML: the same keys, ``[[rules]]``)."""
    path = Path(source)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read mapping file {str(path)!r}: {exc}") from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text.decode("utf-8"))
        else:
            data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"mapping file {str(path)!r} is not valid: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"mapping file {str(path)!r} must hold an object")
    try:
        return mapping_from_dict(data, registry=registry)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc.detail}") from exc


# -- presets ----------------------------------------------------------------------------------
# A WordPress-like target: columns user_login, user_email, display_name; the rest in usermeta.
# The presets differ where the IdPs' default attribute sets differ (see research/idp-catalog.md):
# Okta marks the primary email, Entra and miniOrange send a "work" email; Entra pushes the
# enterprise extension (department, employeeNumber, manager) and jobTitle; JumpCloud sends only
# username, first and last name and email.

_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

_BASE: list[dict[str, Any]] = [
    {"scim": "userName", "field": "user_login", "required": True},
    {"scim": "name.givenName", "meta": "first_name"},
    {"scim": "name.familyName", "meta": "last_name"},
]

PRESETS: dict[str, dict[str, Any]] = {
    "okta": {
        "rules": [
            *_BASE,
            {"scim": "emails[primary eq true].value", "field": "user_email"},
            {"scim": "displayName", "field": "display_name"},
            {"scim": "externalId", "meta": "scim_external_id"},
            {"scim": "locale", "meta": "locale"},
        ]
    },
    "jumpcloud": {
        "rules": [
            *_BASE,
            {"scim": 'emails[type eq "work"].value', "field": "user_email"},
            {"scim": "externalId", "meta": "scim_external_id"},
        ]
    },
    "miniorange": {
        "rules": [
            *_BASE,
            {"scim": 'emails[type eq "work"].value', "field": "user_email"},
            {"scim": "displayName", "field": "display_name"},
        ]
    },
    "entra": {
        "rules": [
            *_BASE,
            {"scim": 'emails[type eq "work"].value', "field": "user_email"},
            {"scim": "displayName", "field": "display_name"},
            {"scim": "externalId", "meta": "scim_external_id"},
            {"scim": "title", "meta": "job_title"},
            {"scim": f"{_ENTERPRISE}:department", "meta": "department"},
            {"scim": f"{_ENTERPRISE}:employeeNumber", "meta": "employee_number"},
            {"scim": f"{_ENTERPRISE}:manager.value", "meta": "manager_id"},
        ]
    },
}
"""Preset mapping documents by IdP name (okta, jumpcloud, miniorange, entra)."""


def _preset_doc(name: str) -> dict[str, Any]:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ConfigurationError(
            f"no mapping preset called {name!r}; choose one of {sorted(PRESETS)}"
        ) from None


def preset(name: str, *, registry: SchemaRegistry = DEFAULT_REGISTRY) -> AttributeMapping:
    """The preset mapping for an IdP: ``okta``, ``jumpcloud``, ``miniorange`` or ``entra``."""
    return mapping_from_dict(_preset_doc(name), registry=registry)
