"""ServiceConfig: everything a ScimService is told, as one immutable value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs

from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry
from scimcore.service._auth import Authenticator
from scimcore.service._hooks import AuditSink, RequestContext, WriteHook
from scimcore.service._ratelimit import RateLimit

MeResolver = Callable[[RequestContext], "str | None"]
"""Maps an authenticated request to the id of the User it acts as (for ``/Me``), or None."""


def _strip_slash(url: str) -> str:
    return url.rstrip("/")


@attrs.frozen(slots=True, kw_only=True)
class ServiceConfig:
    """How a :class:`~scimcore.service.ScimService` behaves. Every field has a safe default.

    * ``base_url``: the absolute SCIM base URL; ``meta.location`` and ``Location`` are built from
      it, and its path (``/scim/v2``) is stripped from request paths that carry it.
    * ``registry``: the schemas and resource types served (custom extensions included).
    * ``authenticator``: :class:`~scimcore.service.BearerTokens` or any
      :class:`~scimcore.service.Authenticator`; None serves without authentication (only for an
      application that authenticates before calling the handler).
    * ``public_discovery``: serve ``/ServiceProviderConfig``, ``/Schemas`` and ``/ResourceTypes``
      without authentication.
    * ``max_body_bytes`` (413), ``max_results`` (the largest page; bigger ``count`` values are
      clamped, RFC 7644 §3.4.2.4), ``default_count`` (page size when none is asked),
      ``max_filter_length`` (longer filters are refused with ``tooMany``).
    * ``bulk_max_operations`` and ``bulk_max_payload_bytes``: the ``/Bulk`` limits (413 beyond).
    * ``patch_response``: ``"resource"`` (200 with the patched resource) or ``"no_content"`` (204).
      Either way a PATCH honours ``attributes``/``excludedAttributes`` (RFC 7644 §3.5.2 allows
      200 with the resource or 204), so ``excludedAttributes=members`` keeps a big group's
      reply small.
    * ``patch_max_operations``: operations in one PATCH (more is 400 ``tooMany``).
    * ``max_values`` and ``max_members``: the most values one multi-valued attribute may hold
      (``members`` of a group: ``max_members``). A request that would store more is 400
      ``tooMany`` before any work: RFC 7644 §3.12 has no scimType for "too many values" and
      ``tooMany`` is its one for a request that asks the server to process more than it will;
      413 (§3.7.4) is about the size of the body, which a one-member add to a full group is not.
    * ``group_display_name_unique``: refuse a second group with the same displayName (409).
    * ``rate_limit``: an optional :class:`~scimcore.service.RateLimit` (429 + Retry-After).
    * ``me``: resolves ``/Me`` to a User id; without it ``/Me`` answers 501.
    * ``change_password``: advertised in ``/ServiceProviderConfig`` (the policy layer decides).
    * ``lenient_bodies``: accept the non-RFC resource bodies IdPs send (stray schema URNs,
      values outside canonicalValues such as an email type "internet",
      ``"True"`` strings, single objects for lists; see ``scimcore.service._lenient``).
    * ``password_hasher``: how a pushed password is stored (never in clear): None is scimcore's
      scrypt (``scimcore.policy.hash_password``, checked by ``verify_password``); an application
      passes its format's hasher (``scimcore.passwords.hasher_for("wordpress").hash``). A
      before-write hook that sets the password itself (a ``PasswordPolicy``) takes precedence.
    * ``audit_to_store``: record each write in the write's own store transaction (a store whose
      transactions have ``write_audit``: the SQL stores), so a write whose record cannot be
      written fails; other records, and stores without it, go to ``audit_sink``. See
      ``scimcore.service._auditing``.
    * ``audit_reads``: record successful reads (GET, list, search, discovery) too; failures and
      writes are always recorded when auditing is on.
    * ``before_write`` and ``audit_sink``: the hook points described in ``scimcore.service._hooks``.
    """

    base_url: str = attrs.field(default="http://localhost:8080/scim/v2", converter=_strip_slash)
    registry: SchemaRegistry = DEFAULT_REGISTRY
    authenticator: Authenticator | None = None
    public_discovery: bool = False
    max_body_bytes: int = 1_048_576
    max_results: int = 1000
    default_count: int = 100
    max_filter_length: int = 4096
    bulk_max_operations: int = 1000
    bulk_max_payload_bytes: int = 1_048_576
    patch_response: Literal["resource", "no_content"] = "resource"
    patch_max_operations: int = 1000
    max_values: int = 1000
    max_members: int = 100_000
    group_display_name_unique: bool = False
    rate_limit: RateLimit | None = None
    me: MeResolver | None = None
    change_password: bool = False
    before_write: tuple[WriteHook, ...] = attrs.field(default=(), converter=tuple)
    audit_sink: AuditSink | None = None
    documentation_uri: str | None = None
    lenient_bodies: bool = True
    password_hasher: Callable[[str], str] | None = None
    audit_to_store: bool = False
    audit_reads: bool = False

    @property
    def base_path(self) -> str:
        """The path part of ``base_url`` (``/scim/v2``), or ``""``."""
        rest = self.base_url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else ""
