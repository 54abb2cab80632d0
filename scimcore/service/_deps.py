"""The one seam between the service and the layers it builds on (models, filter, patch).

Every call the service makes into another layer goes through here, so the wiring is in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scimcore.filter import Filter
from scimcore.filter import parse_filter as _parse_filter
from scimcore.models import loads as _loads
from scimcore.models import project as _project
from scimcore.models import validate_resource as _validate
from scimcore.patch import patch_resource as _patch_resource
from scimcore.patch._engine import check_sizes as _check_sizes
from scimcore.schema import ResourceType, SchemaRegistry


def loads(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Parse a JSON request body into an object (InvalidSyntax otherwise)."""
    return _loads(body, max_bytes=max_bytes)


def validate_resource(
    data: Mapping[str, Any],
    *,
    resource_type: str,
    registry: SchemaRegistry,
    context: str,
    canonical: bool = True,
) -> dict[str, Any]:
    """Validate and clean a resource body against its schemas.

    ``canonical=False`` accepts values outside an attribute's canonicalValues (RFC 7643 §2.4
    lets a server do so), as IdPs send types such as ``"internet"`` for an email.
    """
    return _validate(
        data,
        resource_type=resource_type,
        registry=registry,
        context="create" if context == "create" else "replace",
        enforce_canonical_values=canonical,
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
    return _project(
        resource,
        resource_type=resource_type,
        registry=registry,
        attributes=attributes or None,
        excluded_attributes=excluded_attributes or None,
    )


def parse_filter(text: str, *, registry: SchemaRegistry) -> Filter:
    """Parse a SCIM filter (InvalidFilter on bad syntax, TooMany on too many terms)."""
    return _parse_filter(text, registry=registry)


def patch_resource(
    resource: Mapping[str, Any],
    request: Mapping[str, Any],
    *,
    resource_type: str,
    registry: SchemaRegistry,
    max_operations: int,
    max_values: int,
    limits: Mapping[str, int],
) -> tuple[dict[str, Any], bool]:
    """Apply a PatchOp body; return the new resource and whether anything changed.

    The result is not validated here: the service validates what it stores, once.
    """
    result = _patch_resource(
        resource,
        request,
        registry=registry,
        resource_type=resource_type,
        max_operations=max_operations,
        max_values=max_values,
        limits=limits,
        validate=False,
    )
    return result.resource, result.changed


def check_sizes(
    resource: Mapping[str, Any],
    *,
    resource_type: ResourceType,
    registry: SchemaRegistry,
    max_values: int,
    limits: Mapping[str, int],
) -> None:
    """Refuse (400 ``tooMany``) a body holding more values in one attribute than allowed."""
    _check_sizes(resource, resource_type, registry, max_values, limits=limits)
