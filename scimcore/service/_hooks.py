"""The service's extension points: the request context, before-write hooks and the audit sink.

These are deliberately small. A *before-write hook* sees every create, replace, patch and delete
just before it is written (inside the request's transaction) and may

* return ``None`` to let the write go ahead unchanged,
* return a resource (a mapping) to write instead of ``event.new`` — for a ``delete`` this keeps the
  resource and replaces it with the returned one (deprovision by deactivation), or
* return :class:`DeleteInstead` to delete the resource instead of writing it (a policy that
  deletes users on ``active: false``); the client gets ``DeleteInstead.resource`` back (200) or,
  without one, 204, or
* raise a :class:`~scimcore.ScimError` to refuse the request with that error.

Hooks run in order; each sees the resource the previous one returned. The *audit sink* receives one
:class:`AuditRecord` per request (and one per operation of a ``/Bulk`` request), failures included,
after the response is decided. A sink that raises is logged and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

if TYPE_CHECKING:
    from scimcore.store import Transaction

WriteAction = Literal["create", "replace", "patch", "delete"]


@attrs.frozen(slots=True)
class RequestContext:
    """Who sent a request (token name, User-Agent, client IP, the IdP guessed) and when."""

    time: datetime
    token_name: str | None = None
    user_agent: str | None = None
    client_ip: str | None = None
    idp: str | None = None
    method: str = ""
    path: str = ""


@attrs.frozen(slots=True)
class WriteEvent:
    """A write about to happen: ``old`` is None on create, ``new`` is None on delete.

    ``transaction`` is the request's open store transaction, for hooks that must look something
    up (whether a group member is itself a group); hooks must not write through it.
    """

    action: WriteAction
    resource_type: str
    resource_id: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    context: RequestContext
    transaction: Transaction | None = None


@attrs.frozen(slots=True)
class DeleteInstead:
    """A hook's answer meaning "delete this resource rather than write it".

    ``resource`` is the body answered to a PUT or PATCH (the user as the IdP asked it to be);
    None answers 204. On a create it is an error (there is nothing to delete).
    """

    resource: Mapping[str, Any] | None = None


HookResult = Mapping[str, Any] | DeleteInstead | None


class WriteHook(Protocol):
    """Called before each write: None, a replacement resource, DeleteInstead, or a ScimError."""

    def __call__(self, event: WriteEvent, /) -> HookResult: ...


@attrs.frozen(slots=True)
class AuditRecord:
    """One provisioning request (or bulk operation) as the audit log sees it.

    ``action`` is ``create``, ``replace``, ``patch``, ``delete``, ``read``, ``list``, ``search``,
    ``bulk``, ``discovery`` or ``unknown``. ``changes`` maps each changed attribute (top-level name,
    or ``urn:…:name`` inside an extension) to ``{"old": …, "new": …}``, with writeOnly and
    ``returned: never`` values (passwords) replaced by ``"[redacted]"``; it is None for reads.
    """

    action: str
    method: str
    path: str
    status: int
    time: datetime
    resource_type: str | None = None
    resource_id: str | None = None
    user_name: str | None = None
    scim_type: str | None = None
    detail: str | None = None
    idp: str | None = None
    token_name: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    changes: Mapping[str, Mapping[str, Any]] | None = None


class AuditSink(Protocol):
    """Receives one AuditRecord per request."""

    def __call__(self, record: AuditRecord, /) -> None: ...


# User-Agent fragments that name an identity provider (checked in this order).
IDP_MARKERS: tuple[tuple[str, str], ...] = (
    ("okta", "okta"),
    ("jumpcloud", "jumpcloud"),
    ("miniorange", "miniorange"),
    ("onelogin", "onelogin"),
    ("azure", "entra"),
    ("entra", "entra"),
    ("microsoft", "entra"),
    ("pingfederate", "ping"),
    ("pingone", "ping"),
    ("pingidentity", "ping"),
    ("authentik", "authentik"),
    ("keycloak", "keycloak"),
    ("google", "google"),
    ("scim-conformance", "scim-conformance"),
)


def guess_idp(
    user_agent: str | None, headers: Mapping[str, str], token_name: str | None
) -> str | None:
    """Name the identity provider behind a request from its fingerprints, else the token's name.

    ``headers`` are looked up case-insensitively; Entra is also known by its ``ADSCIMVersion``.
    """
    ua = (user_agent or "").lower()
    for marker, name in IDP_MARKERS:
        if marker in ua:
            return name
    if any(k.lower() == "adscimversion" for k in headers):
        return "entra"
    return token_name or None
