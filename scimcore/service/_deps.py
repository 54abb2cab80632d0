"""The one seam between the service and the layers it builds on (models, filter, patch).

Every call the service makes into another layer goes through here, so the wiring is in one place.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from scimcore.errors import InvalidSyntax, NotImplementedFeature
from scimcore.schema import SchemaRegistry


def _find(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return cast(Callable[..., Any], getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError):
        return None


def loads(body: bytes) -> dict[str, Any]:
    """Parse a JSON request body into an object (InvalidSyntax otherwise)."""
    real = _find("scimcore.models", "loads")
    if real is not None:
        return cast(dict[str, Any], real(body))
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidSyntax(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    return data


def validate_resource(
    data: Mapping[str, Any], *, resource_type: str, registry: SchemaRegistry, context: str
) -> dict[str, Any]:
    """Validate and clean a resource body against its schemas."""
    real = _find("scimcore.models", "validate_resource")
    if real is None:
        raise NotImplementedFeature("resource validation is not available in this build")
    return cast(
        dict[str, Any],
        real(data, resource_type=resource_type, registry=registry, context=context),
    )


def project(
    resource: Mapping[str, Any],
    *,
    resource_type: str,
    registry: SchemaRegistry,
    attributes: Sequence[str] | None,
    excluded_attributes: Sequence[str] | None,
) -> dict[str, Any]:
    """Apply ``attributes`` / ``excludedAttributes`` and the ``returned`` characteristics."""
    real = _find("scimcore.models", "project")
    if real is None:
        raise NotImplementedFeature("attribute projection is not available in this build")
    return cast(
        dict[str, Any],
        real(
            resource,
            resource_type=resource_type,
            registry=registry,
            attributes=list(attributes) if attributes else None,
            excluded_attributes=list(excluded_attributes) if excluded_attributes else None,
        ),
    )


def parse_filter(text: str, *, registry: SchemaRegistry) -> Any:
    """Parse a SCIM filter (InvalidFilter on bad syntax)."""
    real = _find("scimcore.filter", "parse_filter")
    if real is None:
        raise NotImplementedFeature("filtering is not available in this build")
    return real(text, registry=registry)


def patch_resource(
    resource: Mapping[str, Any],
    request: Mapping[str, Any],
    *,
    resource_type: str,
    registry: SchemaRegistry,
) -> tuple[dict[str, Any], bool]:
    """Apply a PatchOp body; return the new resource and whether anything changed."""
    real = _find("scimcore.patch", "patch_resource")
    if real is None:
        raise NotImplementedFeature("PATCH is not available in this build")
    result = real(resource, request, registry=registry, resource_type=resource_type)
    return cast(dict[str, Any], result.resource), bool(result.changed)
