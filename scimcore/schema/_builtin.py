"""The RFC 7643 schemas as data: User, Group, EnterpriseUser and the discovery schemas."""

from __future__ import annotations

from typing import Any

from scimcore.schema._attribute import Attribute
from scimcore.schema._schema import (
    RESOURCE_TYPE_URN,
    SCHEMA_URN,
    ResourceType,
    Schema,
    SchemaExtension,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


def _a(name: str, type: Any = "string", **kw: Any) -> Attribute:
    return Attribute(name=name, type=type, **kw)


def _c(name: str, subs: list[Attribute], **kw: Any) -> Attribute:
    return Attribute(name=name, type="complex", sub_attributes=tuple(subs), **kw)


def _multi(
    name: str,
    description: str,
    types: tuple[str, ...],
    *,
    value_type: Any = "string",
    reference_types: tuple[str, ...] = (),
) -> Attribute:
    """A plural attribute of the usual shape: value, display, type, primary."""
    return _c(
        name,
        [
            _a("value", value_type, reference_types=reference_types, description=f"{name} value"),
            _a("display", description="A human-readable name, primarily used for display"),
            _a("type", canonical_values=types, description="A label indicating the function"),
            _a("primary", "boolean", description="The preferred value (at most one)"),
        ],
        multi_valued=True,
        description=description,
    )


# RFC 7643 §3.1: attributes every resource has, whatever its schema.
COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    _a(
        "schemas",
        "reference",
        multi_valued=True,
        required=True,
        case_exact=True,
        mutability="readWrite",
        returned="always",
        reference_types=("uri",),
        description="The schema URNs this resource conforms to",
    ),
    _a(
        "id",
        case_exact=True,
        mutability="readOnly",
        returned="always",
        uniqueness="server",
        description="The service provider's unique, stable identifier",
    ),
    _a(
        "externalId",
        case_exact=True,
        description="The identifier the provisioning client gives this resource",
    ),
    _c(
        "meta",
        [
            _a("resourceType", case_exact=True, mutability="readOnly"),
            _a("created", "dateTime", mutability="readOnly"),
            _a("lastModified", "dateTime", mutability="readOnly"),
            _a("location", "reference", mutability="readOnly", reference_types=("uri",)),
            _a("version", case_exact=True, mutability="readOnly"),
        ],
        mutability="readOnly",
        description="Resource metadata kept by the service provider",
    ),
)

_USER_ATTRIBUTES = (
    _a("userName", required=True, uniqueness="server", description="Unique login identifier"),
    _c(
        "name",
        [
            _a("formatted", description="The full name, formatted for display"),
            _a("familyName", description="The family name (last name)"),
            _a("givenName", description="The given name (first name)"),
            _a("middleName", description="The middle name(s)"),
            _a("honorificPrefix", description="Honorific prefix, such as Ms."),
            _a("honorificSuffix", description="Honorific suffix, such as III"),
        ],
        description="The components of the user's real name",
    ),
    _a("displayName", description="The name of the user, suitable for display"),
    _a("nickName", description="The casual way to address the user"),
    _a("profileUrl", "reference", reference_types=("external",), description="Online profile"),
    _a("title", description="The user's title, such as Vice President"),
    _a("userType", description="The relationship to the organization, such as Employee"),
    _a("preferredLanguage", description="Preferred written or spoken language (RFC 7231)"),
    _a("locale", description="Default location for localization, such as en-US"),
    _a("timezone", description="Time zone in IANA format, such as America/Los_Angeles"),
    _a("active", "boolean", description="The user's administrative status"),
    _a(
        "password",
        mutability="writeOnly",
        returned="never",
        description="The user's clear-text password; never returned",
    ),
    _multi("emails", "Email addresses for the user", ("work", "home", "other")),
    _multi(
        "phoneNumbers",
        "Phone numbers for the user",
        ("work", "home", "mobile", "fax", "pager", "other"),
    ),
    _multi(
        "ims",
        "Instant messaging addresses for the user",
        ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
    ),
    _multi(
        "photos",
        "URLs of photos of the user",
        ("photo", "thumbnail"),
        value_type="reference",
        reference_types=("external",),
    ),
    _c(
        "addresses",
        [
            _a("formatted", description="The full mailing address, formatted for display"),
            _a("streetAddress", description="The full street address"),
            _a("locality", description="The city or locality"),
            _a("region", description="The state or region"),
            _a("postalCode", description="The zip code or postal code"),
            _a("country", description="The country name (ISO 3166-1 alpha-2)"),
            _a("type", canonical_values=("work", "home", "other"), description="The kind"),
            _a("primary", "boolean", description="The preferred address (at most one)"),
        ],
        multi_valued=True,
        description="Physical mailing addresses for the user",
    ),
    _c(
        "groups",
        [
            _a("value", mutability="readOnly", description="The id of the group"),
            _a(
                "$ref",
                "reference",
                mutability="readOnly",
                reference_types=("User", "Group"),
                description="The URI of the group",
            ),
            _a("display", mutability="readOnly", description="The group's display name"),
            _a(
                "type",
                mutability="readOnly",
                canonical_values=("direct", "indirect"),
                description="Direct or indirect membership",
            ),
        ],
        multi_valued=True,
        mutability="readOnly",
        description="Groups the user belongs to, kept by the service provider",
    ),
    _multi("entitlements", "Entitlements of the user", ()),
    _multi("roles", "Roles of the user", ()),
    _multi("x509Certificates", "X.509 certificates of the user", (), value_type="binary"),
)

USER_SCHEMA = Schema(
    id=USER_URN, name="User", description="User Account", attributes=_USER_ATTRIBUTES
)

GROUP_SCHEMA = Schema(
    id=GROUP_URN,
    name="Group",
    description="Group",
    attributes=(
        _a("displayName", required=True, description="A human-readable name for the group"),
        _c(
            "members",
            [
                _a("value", mutability="immutable", description="The id of the member"),
                _a(
                    "$ref",
                    "reference",
                    mutability="immutable",
                    reference_types=("User", "Group"),
                    description="The URI of the member",
                ),
                _a(
                    "type",
                    mutability="immutable",
                    canonical_values=("User", "Group"),
                    description="The kind of member",
                ),
                _a("display", mutability="immutable", description="The member's display name"),
            ],
            multi_valued=True,
            description="The members of the group",
        ),
    ),
)

ENTERPRISE_USER_SCHEMA = Schema(
    id=ENTERPRISE_USER_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        _a("employeeNumber", description="Identifier assigned by the organization"),
        _a("costCenter", description="Name of a cost center"),
        _a("organization", description="Name of an organization"),
        _a("division", description="Name of a division"),
        _a("department", description="Name of a department"),
        _c(
            "manager",
            [
                _a("value", description="The id of the user's manager"),
                _a(
                    "$ref",
                    "reference",
                    reference_types=("User",),
                    description="The URI of the manager",
                ),
                _a("displayName", mutability="readOnly", description="The manager's name"),
            ],
            description="The user's manager",
        ),
    ),
)


def _supported(name: str, extra: list[Attribute] | None = None) -> Attribute:
    subs = [_a("supported", "boolean", required=True, mutability="readOnly")]
    return _c(name, subs + (extra or []), required=True, mutability="readOnly")


SERVICE_PROVIDER_CONFIG_SCHEMA = Schema(
    id=SERVICE_PROVIDER_CONFIG_URN,
    name="Service Provider Configuration",
    description="Schema for representing the service provider's configuration",
    attributes=(
        _a("documentationUri", "reference", mutability="readOnly", reference_types=("external",)),
        _supported("patch"),
        _supported(
            "bulk",
            [
                _a("maxOperations", "integer", required=True, mutability="readOnly"),
                _a("maxPayloadSize", "integer", required=True, mutability="readOnly"),
            ],
        ),
        _supported("filter", [_a("maxResults", "integer", required=True, mutability="readOnly")]),
        _supported("changePassword"),
        _supported("sort"),
        _supported("etag"),
        _c(
            "authenticationSchemes",
            [
                _a("type", required=True, mutability="readOnly"),
                _a("name", required=True, mutability="readOnly"),
                _a("description", required=True, mutability="readOnly"),
                _a("specUri", "reference", mutability="readOnly", reference_types=("external",)),
                _a(
                    "documentationUri",
                    "reference",
                    mutability="readOnly",
                    reference_types=("external",),
                ),
                _a("primary", "boolean", mutability="readOnly"),
            ],
            multi_valued=True,
            required=True,
            mutability="readOnly",
        ),
    ),
)

RESOURCE_TYPE_SCHEMA = Schema(
    id=RESOURCE_TYPE_URN,
    name="ResourceType",
    description="Specifies the schema that describes a SCIM resource type",
    attributes=(
        _a("id", mutability="readOnly"),
        _a("name", required=True, mutability="readOnly"),
        _a("description", mutability="readOnly"),
        _a("endpoint", "reference", required=True, mutability="readOnly", reference_types=("uri",)),
        _a(
            "schema",
            "reference",
            required=True,
            case_exact=True,
            mutability="readOnly",
            reference_types=("uri",),
        ),
        _c(
            "schemaExtensions",
            [
                _a(
                    "schema",
                    "reference",
                    required=True,
                    case_exact=True,
                    mutability="readOnly",
                    reference_types=("uri",),
                ),
                _a("required", "boolean", required=True, mutability="readOnly"),
            ],
            multi_valued=True,
            mutability="readOnly",
        ),
    ),
)

_SCHEMA_ATTRIBUTE_FIELDS = [
    _a("name", required=True, case_exact=True, mutability="readOnly"),
    _a(
        "type",
        required=True,
        mutability="readOnly",
        canonical_values=(
            "string",
            "complex",
            "boolean",
            "decimal",
            "integer",
            "dateTime",
            "reference",
            "binary",
        ),
    ),
    _a("multiValued", "boolean", required=True, mutability="readOnly"),
    _a("description", mutability="readOnly"),
    _a("required", "boolean", mutability="readOnly"),
    _a("canonicalValues", multi_valued=True, case_exact=True, mutability="readOnly"),
    _a("caseExact", "boolean", mutability="readOnly"),
    _a(
        "mutability",
        case_exact=True,
        mutability="readOnly",
        canonical_values=("readOnly", "readWrite", "immutable", "writeOnly"),
    ),
    _a(
        "returned",
        case_exact=True,
        mutability="readOnly",
        canonical_values=("always", "never", "default", "request"),
    ),
    _a(
        "uniqueness",
        case_exact=True,
        mutability="readOnly",
        canonical_values=("none", "server", "global"),
    ),
    _a("referenceTypes", multi_valued=True, case_exact=True, mutability="readOnly"),
]

META_SCHEMA = Schema(
    id=SCHEMA_URN,
    name="Schema",
    description="Specifies the schema attribute",
    attributes=(
        _a("id", required=True, mutability="readOnly"),
        _a("name", mutability="readOnly"),
        _a("description", mutability="readOnly"),
        _c(
            "attributes",
            [
                *_SCHEMA_ATTRIBUTE_FIELDS,
                _c(
                    "subAttributes",
                    list(_SCHEMA_ATTRIBUTE_FIELDS),
                    multi_valued=True,
                    mutability="readOnly",
                ),
            ],
            multi_valued=True,
            required=True,
            mutability="readOnly",
        ),
    ),
)

USER_RESOURCE_TYPE = ResourceType(
    name="User",
    endpoint="/Users",
    schema=USER_URN,
    description="User Account",
    schema_extensions=(SchemaExtension(schema=ENTERPRISE_USER_URN, required=False),),
)

GROUP_RESOURCE_TYPE = ResourceType(
    name="Group", endpoint="/Groups", schema=GROUP_URN, description="Group"
)

RESOURCE_SCHEMAS: tuple[Schema, ...] = (USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA)
"""The resource schemas a default server serves and lists under ``/Schemas``."""

DISCOVERY_SCHEMAS: tuple[Schema, ...] = (
    SERVICE_PROVIDER_CONFIG_SCHEMA,
    RESOURCE_TYPE_SCHEMA,
    META_SCHEMA,
)
"""The schemas of the discovery documents themselves (RFC 7643 §5-§7)."""
