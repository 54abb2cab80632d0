"""The schema registry: schemas and resource types by id, and case-insensitive attribute paths.

A registry is an immutable value. ``with_schema``, ``with_resource_type`` and ``with_extension``
return a new registry, so one can be shared between threads and extended per server without
surprising anyone who holds the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from scimcore.errors import ConfigurationError
from scimcore.schema._attribute import Attribute
from scimcore.schema._builtin import (
    COMMON_ATTRIBUTES,
    DISCOVERY_SCHEMAS,
    GROUP_RESOURCE_TYPE,
    RESOURCE_SCHEMAS,
    USER_RESOURCE_TYPE,
)
from scimcore.schema._schema import ResourceType, Schema, SchemaExtension

_COMMON_BY_LOWER: dict[str, Attribute] = {a.name.lower(): a for a in COMMON_ATTRIBUTES}


def split_urn(path: str, known: Iterable[str] = ()) -> tuple[str | None, str]:
    """Split ``urn:…:User:name.givenName`` into its schema URN and the attribute path.

    The URN is the longest of ``known`` (compared case-insensitively) that prefixes ``path`` and is
    followed by ``:`` or by the end; without a known match it is everything before the last colon,
    since attribute names never contain one. A path without a URN gives ``(None, path)``.
    """
    if path[:4].lower() != "urn:":
        return None, path
    lowered = path.lower()
    best: str | None = None
    for urn in known:
        low = urn.lower()
        fits = lowered.startswith(low) and (len(path) == len(urn) or path[len(urn)] == ":")
        if fits and (best is None or len(urn) > len(best)):
            best = urn
    if best is not None:
        return path[: len(best)], path[len(best) + 1 :]
    head, _, tail = path.rpartition(":")
    return head, tail


@attrs.frozen(slots=True)
class AttributeRef:
    """An attribute path resolved against a schema: which schema, attribute and sub-attribute.

    ``attribute`` is None when the path names a whole extension schema (its URN alone).
    """

    schema: Schema
    attribute: Attribute | None
    sub_attribute: Attribute | None = None
    core: bool = True

    @property
    def target(self) -> Attribute | None:
        """The attribute the path ends at: the sub-attribute if any, else the attribute."""
        return self.sub_attribute if self.sub_attribute is not None else self.attribute

    @property
    def keys(self) -> tuple[str, ...]:
        """The JSON keys, canonically spelled, that reach this attribute in a resource."""
        out: tuple[str, ...] = () if self.core else (self.schema.id,)
        if self.attribute is not None:
            out += (self.attribute.name,)
        if self.sub_attribute is not None:
            out += (self.sub_attribute.name,)
        return out

    @property
    def path(self) -> str:
        """The canonical path text: ``name.givenName`` or ``urn:…:User:manager.value``."""
        names = [a.name for a in (self.attribute, self.sub_attribute) if a is not None]
        dotted = ".".join(names)
        if self.core:
            return dotted
        return f"{self.schema.id}:{dotted}" if dotted else self.schema.id


@attrs.frozen(slots=True)
class SchemaRegistry:
    """Schemas and resource types known to a server, with case-insensitive lookups."""

    schemas: tuple[Schema, ...] = RESOURCE_SCHEMAS
    resource_types: tuple[ResourceType, ...] = (USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE)
    _schemas_by_lower: dict[str, Schema] = attrs.field(
        init=False, repr=False, eq=False, hash=False, alias="_schemas_by_lower"
    )
    _types_by_lower: dict[str, ResourceType] = attrs.field(
        init=False, repr=False, eq=False, hash=False, alias="_types_by_lower"
    )
    _cache: dict[tuple[str, str], AttributeRef | None] = attrs.field(
        init=False, repr=False, eq=False, hash=False, alias="_cache"
    )

    def __attrs_post_init__(self) -> None:
        by_urn: dict[str, Schema] = {}
        for schema in (*self.schemas, *DISCOVERY_SCHEMAS):
            by_urn.setdefault(schema.id.lower(), schema)
        types: dict[str, ResourceType] = {}
        for rt in self.resource_types:
            if rt.name.lower() in types:
                raise ConfigurationError(f"resource type {rt.name!r} registered twice")
            for urn in (rt.schema, *(e.schema for e in rt.schema_extensions)):
                if urn.lower() not in by_urn:
                    raise ConfigurationError(
                        f"resource type {rt.name!r} names schema {urn!r}, which is not registered"
                    )
            types[rt.name.lower()] = rt
        object.__setattr__(self, "_schemas_by_lower", by_urn)
        object.__setattr__(self, "_types_by_lower", types)
        object.__setattr__(self, "_cache", {})

    # -- building -----------------------------------------------------------------------------

    def with_schema(self, schema: Schema | Mapping[str, Any]) -> SchemaRegistry:
        """Return a registry that also knows ``schema`` (a Schema or its RFC 7643 JSON form)."""
        if not isinstance(schema, Schema):
            schema = Schema.from_dict(schema)
        if schema.id.lower() in {s.id.lower() for s in self.schemas}:
            raise ConfigurationError(f"schema {schema.id!r} is already registered")
        return SchemaRegistry(schemas=(*self.schemas, schema), resource_types=self.resource_types)

    def with_resource_type(self, resource_type: ResourceType | Mapping[str, Any]) -> SchemaRegistry:
        """Return a registry that also serves ``resource_type``."""
        if not isinstance(resource_type, ResourceType):
            resource_type = ResourceType.from_dict(resource_type)
        return SchemaRegistry(
            schemas=self.schemas, resource_types=(*self.resource_types, resource_type)
        )

    def with_extension(
        self,
        resource_type: str,
        schema: Schema | Mapping[str, Any],
        *,
        required: bool = False,
    ) -> SchemaRegistry:
        """Return a registry where ``resource_type`` ("User") accepts extension ``schema``."""
        if not isinstance(schema, Schema):
            schema = Schema.from_dict(schema)
        base = self if self.schema(schema.id) is not None else self.with_schema(schema)
        rt = base.resource_type(resource_type)
        if rt is None:
            raise ConfigurationError(f"no resource type called {resource_type!r}")
        if any(e.schema.lower() == schema.id.lower() for e in rt.schema_extensions):
            raise ConfigurationError(f"{rt.name} already has extension {schema.id!r}")
        new_rt = attrs.evolve(
            rt,
            schema_extensions=(*rt.schema_extensions, SchemaExtension(schema.id, required)),
        )
        types = tuple(new_rt if t is rt else t for t in base.resource_types)
        return SchemaRegistry(schemas=base.schemas, resource_types=types)

    # -- lookups ------------------------------------------------------------------------------

    def schema(self, urn: str) -> Schema | None:
        """Return the schema with this URN (any case), or None."""
        return self._schemas_by_lower.get(urn.lower())

    def resource_type(self, name: str) -> ResourceType | None:
        """Return the resource type called ``name`` (any case), or None."""
        return self._types_by_lower.get(name.lower())

    def resource_type_for_endpoint(self, endpoint: str) -> ResourceType | None:
        """Return the resource type served at ``endpoint`` (``/Users``; any case), or None."""
        wanted = "/" + endpoint.strip("/").lower()
        for rt in self.resource_types:
            if rt.endpoint.lower() == wanted:
                return rt
        return None

    def resource_type_for_schemas(self, schemas: Iterable[str]) -> ResourceType | None:
        """Return the resource type whose core schema is among ``schemas``, or None."""
        lowered = {s.lower() for s in schemas if isinstance(s, str)}
        for rt in self.resource_types:
            if rt.schema.lower() in lowered:
                return rt
        return None

    def schemas_of(self, resource_type: ResourceType | str) -> tuple[Schema, ...]:
        """The core schema then the extension schemas of a resource type."""
        rt = self._rt(resource_type)
        urns = (rt.schema, *(e.schema for e in rt.schema_extensions))
        return tuple(self._schemas_by_lower[u.lower()] for u in urns)

    def resolve(self, path: str, resource_type: ResourceType | str) -> AttributeRef | None:
        """Resolve an attribute path of ``resource_type``; None when it names no attribute.

        Accepts ``userName``, ``name.givenName``, ``emails.value``, ``meta.lastModified``,
        URN-qualified core paths (``urn:…:core:2.0:User:userName``), extension paths
        (``urn:…:enterprise:2.0:User:manager.value``) and a bare extension URN. Names compare
        case-insensitively. An unqualified name is looked up in the common attributes, the core
        schema, then the extensions (RFC 7644 §3.10 lets clients omit the URN).
        """
        rt = self._rt(resource_type)
        key = (rt.name.lower(), path.lower())
        try:
            return self._cache[key]
        except KeyError:
            pass
        ref = self._resolve(path, rt)
        if len(self._cache) < 4096:
            self._cache[key] = ref
        return ref

    # -- internals ----------------------------------------------------------------------------

    def _rt(self, resource_type: ResourceType | str) -> ResourceType:
        if isinstance(resource_type, ResourceType):
            return resource_type
        rt = self.resource_type(resource_type)
        if rt is None:
            raise ConfigurationError(f"no resource type called {resource_type!r}")
        return rt

    def _resolve(self, path: str, rt: ResourceType) -> AttributeRef | None:
        schemas = self.schemas_of(rt)
        core_schema = schemas[0]
        urn, rest = split_urn(path, (s.id for s in schemas))
        if urn is not None:
            schema = next((s for s in schemas if s.id.lower() == urn.lower()), None)
            if schema is None:
                return None
            if not rest:
                if schema is core_schema:
                    return None
                return AttributeRef(schema=schema, attribute=None, core=False)
            return self._resolve_in(rest, schema, core=schema is core_schema)
        head = rest.split(".", 1)[0].lower()
        if head in _COMMON_BY_LOWER:
            return self._resolve_in(rest, core_schema, core=True, common=True)
        for schema in schemas:
            ref = self._resolve_in(rest, schema, core=schema is core_schema)
            if ref is not None:
                return ref
        return None

    @staticmethod
    def _resolve_in(
        rest: str, schema: Schema, *, core: bool, common: bool = False
    ) -> AttributeRef | None:
        name, _, sub = rest.partition(".")
        attr = _COMMON_BY_LOWER.get(name.lower()) if common else schema.attribute(name)
        if attr is None:
            return None
        if not sub:
            return AttributeRef(schema=schema, attribute=attr, core=core)
        if "." in sub:
            return None
        sub_attr = attr.sub_attribute(sub)
        if sub_attr is None:
            return None
        return AttributeRef(schema=schema, attribute=attr, sub_attribute=sub_attr, core=core)


DEFAULT_REGISTRY = SchemaRegistry()
"""User (with the enterprise extension) and Group, as RFC 7643 defines them."""
