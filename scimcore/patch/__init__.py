"""RFC 7644 §3.5.2 PATCH: add, remove and replace on SCIM JSON, atomic, with IdP dialects."""

from scimcore.patch._engine import PatchResult, apply_patch, patch_resource
from scimcore.patch._request import MAX_OPERATIONS, Operation, parse_request

__all__ = [
    "MAX_OPERATIONS",
    "Operation",
    "PatchResult",
    "apply_patch",
    "parse_request",
    "patch_resource",
]
