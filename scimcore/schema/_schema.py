"""Schemas and resource types as values: a URN with its attributes, an endpoint with its schemas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from scimcore.errors import ConfigurationError
from scimcore.schema._attribute import Attribute

SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


@attrs.frozen(slots=True)
class Schema:
    """A SCIM schema (RFC 7643 §7): a URN id, a name, and its top-level attributes."""

    id: str
    name: str
    attributes: tuple[Attribute, ...]
    description: str = ""
    _by_lower: Mapping[str, Attribute] = attrs.field(
        init=False, repr=False, eq=False, hash=False, alias="_by_lower"
    )

    def __attrs_post_init__(self) -> None:
        if not self.id.lower().startswith("urn:"):
            raise ConfigurationError(f"schema id {self.id!r} must be a URN (urn:…)")
        index: dict[str, Attribute] = {}
        for attr in self.attributes:
            key = attr.name.lower()
            if key in index:
                raise ConfigurationError(f"schema {self.id}: {attr.name!r} declared twice")
            index[key] = attr
        object.__setattr__(self, "_by_lower", index)

    def attribute(self, name: str) -> Attribute | None:
        """Return the top-level attribute called ``name`` (any case), or None."""
        return self._by_lower.get(name.lower())

    def to_dict(self, *, location: str | None = None) -> dict[str, Any]:
        """Render this schema as served by ``/Schemas/{id}`` (RFC 7643 §7)."""
        meta: dict[str, Any] = {"resourceType": "Schema"}
        if location is not None:
            meta["location"] = location
        return {
            "schemas": [SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attr.to_dict() for attr in self.attributes],
            "meta": meta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Build a schema from its RFC 7643 §7 JSON form (as a ``/Schemas`` entry or a file)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise ConfigurationError("a schema needs a string 'id' (its URN)")
        attributes = data.get("attributes")
        if not isinstance(attributes, list):
            raise ConfigurationError(f"schema {data['id']}: 'attributes' must be a list")
        return cls(
            id=data["id"],
            name=str(data.get("name", data["id"].rsplit(":", 1)[-1])),
            description=str(data.get("description", "")),
            attributes=tuple(Attribute.from_dict(a, where=data["id"]) for a in attributes),
        )


@attrs.frozen(slots=True)
class SchemaExtension:
    """An extension schema a resource type accepts, and whether every resource must carry it."""

    schema: str
    required: bool = False


@attrs.frozen(slots=True)
class ResourceType:
    """A SCIM resource type (RFC 7643 §6): a name, an endpoint, a core schema and extensions."""

    name: str
    endpoint: str
    schema: str
    schema_extensions: tuple[SchemaExtension, ...] = ()
    description: str = ""

    @property
    def id(self) -> str:
        """The resource type's id, which is its name."""
        return self.name

    def to_dict(self, *, location: str | None = None) -> dict[str, Any]:
        """Render this resource type as served by ``/ResourceTypes/{name}``."""
        meta: dict[str, Any] = {"resourceType": "ResourceType"}
        if location is not None:
            meta["location"] = location
        body: dict[str, Any] = {
            "schemas": [RESOURCE_TYPE_URN],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema,
        }
        if self.schema_extensions:
            body["schemaExtensions"] = [
                {"schema": ext.schema, "required": ext.required} for ext in self.schema_extensions
            ]
        body["meta"] = meta
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResourceType:
        """Build a resource type from its RFC 7643 §6 JSON form."""
        for key in ("name", "endpoint", "schema"):
            if not isinstance(data.get(key), str):
                raise ConfigurationError(f"a resource type needs a string {key!r}")
        exts = data.get("schemaExtensions") or []
        return cls(
            name=data["name"],
            endpoint=data["endpoint"],
            schema=data["schema"],
            description=str(data.get("description", "")),
            schema_extensions=tuple(
                SchemaExtension(schema=e["schema"], required=bool(e.get("required", False)))
                for e in exts
            ),
        )
