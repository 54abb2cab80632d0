"""attrs models of SCIM resources and protocol messages; the converter in ``_convert`` maps JSON.

The classes hold data only: snake_case fields, every one optional (a SCIM body may leave any
attribute unassigned), no conversion logic. JSON names, case-insensitive input, extensions and
attributes the class does not model (kept in ``extra``) are the converter's business.
"""

from __future__ import annotations

from typing import Any

import attrs

from scimcore.errors import ERROR_URN
from scimcore.schema import (
    BULK_REQUEST_URN,
    BULK_RESPONSE_URN,
    ENTERPRISE_USER_URN,
    GROUP_URN,
    LIST_RESPONSE_URN,
    PATCH_OP_URN,
    SEARCH_REQUEST_URN,
    USER_URN,
)


@attrs.define(kw_only=True)
class Meta:
    """Resource metadata kept by the server (RFC 7643 §3.1); date-times stay RFC 3339 text."""

    resource_type: str | None = None
    created: str | None = None
    last_modified: str | None = None
    location: str | None = None
    version: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Name:
    """The components of a user's real name."""

    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class MultiValue:
    """One value of a plural attribute of the usual shape: value, display, type, primary."""

    value: Any = None
    display: str | None = None
    type: str | None = None
    primary: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Email(MultiValue):
    """An email address (``emails``)."""


@attrs.define(kw_only=True)
class PhoneNumber(MultiValue):
    """A phone number (``phoneNumbers``)."""


@attrs.define(kw_only=True)
class Im(MultiValue):
    """An instant-messaging address (``ims``)."""


@attrs.define(kw_only=True)
class Photo(MultiValue):
    """The URL of a photo (``photos``)."""


@attrs.define(kw_only=True)
class Entitlement(MultiValue):
    """An entitlement (``entitlements``)."""


@attrs.define(kw_only=True)
class Role(MultiValue):
    """A role (``roles``)."""


@attrs.define(kw_only=True)
class X509Certificate(MultiValue):
    """A DER certificate, base64 encoded (``x509Certificates``)."""


@attrs.define(kw_only=True)
class Address:
    """A physical mailing address (``addresses``)."""

    formatted: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    type: str | None = None
    primary: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class GroupMembership:
    """A group the user belongs to (``groups``; kept by the server)."""

    value: str | None = None
    ref: str | None = None
    display: str | None = None
    type: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Manager:
    """The manager of an enterprise user."""

    value: str | None = None
    ref: str | None = None
    display_name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class EnterpriseUser:
    """The enterprise extension (``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User``)."""

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class User:
    """A SCIM User (RFC 7643 §4.1).

    ``extensions`` maps each extension URN to its value: an :class:`EnterpriseUser` for the
    enterprise extension, a plain dict for any other (custom) one.
    """

    schemas: list[str] = attrs.field(factory=lambda: [USER_URN])
    id: str | None = None
    external_id: str | None = None
    meta: Meta | None = None
    user_name: str | None = None
    name: Name | None = None
    display_name: str | None = None
    nick_name: str | None = None
    profile_url: str | None = None
    title: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool | None = None
    password: str | None = None
    emails: list[Email] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    ims: list[Im] | None = None
    photos: list[Photo] | None = None
    addresses: list[Address] | None = None
    groups: list[GroupMembership] | None = None
    entitlements: list[Entitlement] | None = None
    roles: list[Role] | None = None
    x509_certificates: list[X509Certificate] | None = None
    extensions: dict[str, Any] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def enterprise(self) -> EnterpriseUser | None:
        """The enterprise extension's value, if the user has one."""
        value = self.extensions.get(ENTERPRISE_USER_URN)
        return value if isinstance(value, EnterpriseUser) else None


@attrs.define(kw_only=True)
class GroupMember:
    """A member of a group: a user or a group, by id."""

    value: str | None = None
    ref: str | None = None
    display: str | None = None
    type: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Group:
    """A SCIM Group (RFC 7643 §4.2)."""

    schemas: list[str] = attrs.field(factory=lambda: [GROUP_URN])
    id: str | None = None
    external_id: str | None = None
    meta: Meta | None = None
    display_name: str | None = None
    members: list[GroupMember] | None = None
    extensions: dict[str, Any] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ListResponse:
    """A page of query results (RFC 7644 §3.4.2); resources stay SCIM JSON dicts."""

    schemas: list[str] = attrs.field(factory=lambda: [LIST_RESPONSE_URN])
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    resources: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SearchRequest:
    """A query sent as ``POST /.search`` (RFC 7644 §3.4.3)."""

    schemas: list[str] = attrs.field(factory=lambda: [SEARCH_REQUEST_URN])
    attributes: list[str] | None = None
    excluded_attributes: list[str] | None = None
    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int | None = None
    count: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PatchOperation:
    """One PATCH operation: ``op`` (add, remove, replace), an optional ``path`` and ``value``."""

    op: str | None = None
    path: str | None = None
    value: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PatchOp:
    """A PATCH request body (RFC 7644 §3.5.2); ``operations`` is ``Operations`` in JSON."""

    schemas: list[str] = attrs.field(factory=lambda: [PATCH_OP_URN])
    operations: list[PatchOperation] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Error:
    """An Error response body (RFC 7644 §3.12); ``status`` is the HTTP status as a string."""

    schemas: list[str] = attrs.field(factory=lambda: [ERROR_URN])
    status: str | None = None
    scim_type: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkOperation:
    """One operation of a bulk request (RFC 7644 §3.7)."""

    method: str | None = None
    bulk_id: str | None = None
    version: str | None = None
    path: str | None = None
    data: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkRequest:
    """A bulk request body (RFC 7644 §3.7)."""

    schemas: list[str] = attrs.field(factory=lambda: [BULK_REQUEST_URN])
    fail_on_errors: int | None = None
    operations: list[BulkOperation] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkOperationResponse:
    """The outcome of one bulk operation: ``status`` as text, ``response`` an Error body if any."""

    method: str | None = None
    bulk_id: str | None = None
    version: str | None = None
    location: str | None = None
    status: Any = None
    response: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkResponse:
    """A bulk response body (RFC 7644 §3.7)."""

    schemas: list[str] = attrs.field(factory=lambda: [BULK_RESPONSE_URN])
    operations: list[BulkOperationResponse] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
