"""Discovery bodies: /ServiceProviderConfig, /Schemas and /ResourceTypes, from the registry."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scimcore.errors import NotFound
from scimcore.schema import SERVICE_PROVIDER_CONFIG_URN
from scimcore.service._config import ServiceConfig
from scimcore.service._listing import list_response


def service_provider_config(config: ServiceConfig) -> dict[str, Any]:
    """What this server supports, truthfully (RFC 7643 §5, plus RFC 9865 pagination)."""
    schemes = config.authenticator.schemes if config.authenticator is not None else []
    body: dict[str, Any] = {"schemas": [SERVICE_PROVIDER_CONFIG_URN]}
    if config.documentation_uri:
        body["documentationUri"] = config.documentation_uri
    body.update(
        {
            "patch": {"supported": True},
            "bulk": {
                "supported": True,
                "maxOperations": config.bulk_max_operations,
                "maxPayloadSize": config.bulk_max_payload_bytes,
            },
            "filter": {"supported": True, "maxResults": config.max_results},
            "changePassword": {"supported": config.change_password},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": schemes,
            "pagination": {
                "cursor": True,
                "index": True,
                "defaultPaginationMethod": "index",
                "defaultPageSize": config.default_count,
                "maxPageSize": config.max_results,
            },
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{config.base_url}/ServiceProviderConfig",
            },
        }
    )
    return body


def _schema_bodies(config: ServiceConfig) -> list[dict[str, Any]]:
    return [
        s.to_dict(location=f"{config.base_url}/Schemas/{quote(s.id, safe=':')}")
        for s in config.registry.schemas
    ]


def schemas(config: ServiceConfig) -> dict[str, Any]:
    """The ListResponse of every resource schema served, custom extensions included."""
    bodies = _schema_bodies(config)
    return list_response(bodies, total=len(bodies), start_index=1)


def schema(config: ServiceConfig, urn: str) -> dict[str, Any]:
    """One schema by URN (any case), or NotFound."""
    found = next((s for s in config.registry.schemas if s.id.lower() == urn.lower()), None)
    if found is None:
        raise NotFound(f"no schema {urn!r} on this server; GET /Schemas lists them")
    return found.to_dict(location=f"{config.base_url}/Schemas/{quote(found.id, safe=':')}")


def resource_types(config: ServiceConfig) -> dict[str, Any]:
    """The ListResponse of every resource type served."""
    bodies = [
        rt.to_dict(location=f"{config.base_url}/ResourceTypes/{rt.name}")
        for rt in config.registry.resource_types
    ]
    return list_response(bodies, total=len(bodies), start_index=1)


def resource_type(config: ServiceConfig, name: str) -> dict[str, Any]:
    """One resource type by name (any case), or NotFound."""
    rt = config.registry.resource_type(name)
    if rt is None:
        raise NotFound(f"no resource type {name!r} on this server; GET /ResourceTypes lists them")
    return rt.to_dict(location=f"{config.base_url}/ResourceTypes/{rt.name}")
