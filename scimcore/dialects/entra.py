"""Microsoft Entra ID (Azure AD) provisioning: its default PATCH shapes and ``aadOptscim062020``."""

from __future__ import annotations

from typing import Any

from scimcore.dialects._base import UNCHANGED, Dialect
from scimcore.schema import Attribute

_OPS = {"add": "add", "remove": "remove", "replace": "replace"}
_BOOLEAN_STRINGS = {"true": True, "false": False}


class EntraLegacy(Dialect):
    """Entra ID's default SCIM job (no feature flag in the Tenant URL).

    Real request shapes (Microsoft, "Known issues and resolutions with SCIM 2.0 protocol
    compliance of the Microsoft Entra user provisioning service", section "Without feature flag";
    the strings confirmed in AzureAD/SCIMReferenceCode#21; manager in the Entra SCIM tutorial and
    in ssoready/ssoready ``internal/scimpatch/scimpatch.go``)::

        {"op": "Replace", "path": "active", "value": "False"}
        {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "<uid>"}]}
        {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "<uid>"}]}
        {"op": "Add", "path": "manager", "value": [{"$ref": "…/Users/<mgr>", "value": "<mgr>"}]}
        {"op": "Add",
         "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
         "value": "<mgr>"}
        {"op": "Replace", "path": "emails[type eq \\"work\\"].value", "value": "x@example.com"}

    Leniencies: capitalised operation names; ``"True"``/``"False"`` strings for booleans; a
    ``remove`` of ``members`` with a ``value`` list removes those members (an RFC reading would
    clear the whole group, MicrosoftDocs/azure-docs#30826); a single-valued complex attribute
    with a ``value`` sub-attribute (the enterprise ``manager``) given as a bare string or as a
    one-element list; and an ``Add`` on a value-filter path that matches nothing creates the
    element from the filter's ``eq`` terms (``Add emails[type eq "work"].value`` gives the user a
    work email). A ``Replace`` that matches nothing stays ``noTarget``, as RFC 7644 §3.5.2.3
    requires.
    """

    name = "entra-legacy"
    value_list_removal = True
    upsert_filtered = True

    def op_name(self, raw: str) -> str | None:
        return _OPS.get(raw.lower())

    def coerce(self, attribute: Attribute, value: Any) -> Any:
        if attribute.type == "boolean" and isinstance(value, str):
            return _BOOLEAN_STRINGS.get(value.lower(), UNCHANGED)
        if (
            attribute.type == "complex"
            and not attribute.multi_valued
            and attribute.sub_attribute("value") is not None
        ):
            if isinstance(value, str):
                return {"value": value}
            if isinstance(value, list) and len(value) == 1:
                (only,) = value
                return {"value": only} if isinstance(only, str) else only
            if isinstance(value, list) and not value:
                return None
        return UNCHANGED

    def coerces(self, attribute: Attribute) -> bool:
        return attribute.type == "boolean" or (
            attribute.type == "complex"
            and not attribute.multi_valued
            and attribute.sub_attribute("value") is not None
        )


class EntraAadOptscim062020(Dialect):
    """Entra ID with ``?aadOptscim062020`` appended to the Tenant URL (the RFC-leaning mode).

    Real request shape (Microsoft compatibility document, section "With feature flag"; dotted
    keys also observed in pingidentity/scim2#224, thomaspoignant/scim-patch#132,
    pond/scimitar#123 and simpleidserver/SimpleIdServer#494)::

        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [
           {"op": "replace", "path": "emails[type eq \\"work\\"].value", "value": "x@example.com"},
           {"op": "replace", "value": {
              "displayName": "Jane Doe",
              "name.givenName": "Jane",
              "name.familyName": "Doe",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"}}]}

    Leniencies: keys of a no-path value may be attribute paths (dotted sub-attributes and
    URN-qualified core or extension attributes), and an ``add`` on a value-filter path that matches
    nothing creates the element.
    """

    name = "entra-aadOptscim062020"
    path_keys = True
    upsert_filtered = True
