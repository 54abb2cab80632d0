"""The sans-IO SCIM service: a request value in, a response value out (RFC 7644).

::

    service = ScimService(MemoryStore(), ServiceConfig(
        base_url="https://example.com/scim/v2",
        authenticator=BearerTokens.from_tokens({"okta": "s3cret"}),
    ))
    response = service.handle(ScimRequest("GET", "/scim/v2/Users", headers={...}))
"""

from scimcore.service._auth import AnyOf, Authenticator, BearerTokens, Principal, hash_token
from scimcore.service._config import MeResolver, ServiceConfig
from scimcore.service._diff import REDACTED, changed_attributes
from scimcore.service._hooks import (
    AuditRecord,
    AuditSink,
    DeleteInstead,
    HookResult,
    RequestContext,
    WriteAction,
    WriteEvent,
    WriteHook,
)
from scimcore.service._http import SCIM_CONTENT_TYPE, ScimRequest, ScimResponse
from scimcore.service._ratelimit import RateLimit
from scimcore.service._service import ScimService

__all__ = [
    "REDACTED",
    "SCIM_CONTENT_TYPE",
    "AnyOf",
    "AuditRecord",
    "AuditSink",
    "Authenticator",
    "BearerTokens",
    "DeleteInstead",
    "HookResult",
    "MeResolver",
    "Principal",
    "RateLimit",
    "RequestContext",
    "ScimRequest",
    "ScimResponse",
    "ScimService",
    "ServiceConfig",
    "WriteAction",
    "WriteEvent",
    "WriteHook",
    "changed_attributes",
    "hash_token",
]
