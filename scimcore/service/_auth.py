"""Authentication: hashed bearer tokens with names (rotation), and the hook for other schemes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs

from scimcore.errors import ConfigurationError, Unauthorized
from scimcore.service._http import ScimRequest


@attrs.frozen(slots=True)
class Principal:
    """Who a request authenticated as: a name (recorded in the audit log) and the scheme used."""

    name: str
    scheme: str = "bearer"


class Authenticator(Protocol):
    """Authenticates a request: returns the Principal, or raises :class:`~scimcore.Unauthorized`.

    ``schemes`` is what ``/ServiceProviderConfig`` advertises in ``authenticationSchemes`` and
    ``challenge`` what a 401 carries in ``WWW-Authenticate``.
    """

    @property
    def schemes(self) -> list[dict[str, Any]]: ...

    @property
    def challenge(self) -> str: ...

    def authenticate(self, request: ScimRequest) -> Principal: ...


def hash_token(token: str) -> str:
    """The stored form of a bearer token: hex SHA-256 (tokens are long random strings)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_BEARER_SCHEME: dict[str, Any] = {
    "type": "oauthbearertoken",
    "name": "OAuth Bearer Token",
    "description": "Authentication with a bearer token in the Authorization header",
    "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
    "primary": True,
}


@attrs.frozen(slots=True)
class BearerTokens:
    """Named bearer tokens, stored as SHA-256 hashes and compared in constant time.

    Several tokens may be live at once (rotation: add the new one, move the IdP over, remove the old
    one). Build with :meth:`from_tokens` (plain tokens, hashed at once) or :meth:`from_hashes`.
    """

    hashes: Mapping[str, bytes] = attrs.field(factory=dict)
    realm: str = "scim"

    @classmethod
    def from_tokens(cls, tokens: Mapping[str, str], *, realm: str = "scim") -> BearerTokens:
        """Build from ``{name: plain token}``; only the hashes are kept."""
        return cls.from_hashes({n: hash_token(t) for n, t in tokens.items()}, realm=realm)

    @classmethod
    def from_hashes(cls, hashes: Mapping[str, str], *, realm: str = "scim") -> BearerTokens:
        """Build from ``{name: hex SHA-256 of the token}``."""
        out: dict[str, bytes] = {}
        for name, digest in hashes.items():
            try:
                raw = bytes.fromhex(digest)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ConfigurationError(f"token {name!r}: sha256 must be 64 hex digits")
            out[name] = raw
        if not out:
            raise ConfigurationError("at least one bearer token is needed")
        return cls(hashes=out, realm=realm)

    def with_token(self, name: str, token: str) -> BearerTokens:
        """Return these tokens plus one more (rotation)."""
        return BearerTokens(
            hashes={**self.hashes, name: bytes.fromhex(hash_token(token))}, realm=self.realm
        )

    def without(self, name: str) -> BearerTokens:
        """Return these tokens minus the one called ``name``."""
        return BearerTokens(
            hashes={k: v for k, v in self.hashes.items() if k != name}, realm=self.realm
        )

    @property
    def schemes(self) -> list[dict[str, Any]]:
        return [dict(_BEARER_SCHEME)]

    @property
    def challenge(self) -> str:
        return f'Bearer realm="{self.realm}"'

    def authenticate(self, request: ScimRequest) -> Principal:
        header = request.header("authorization")
        if not header:
            raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must use the Bearer scheme")
        digest = hashlib.sha256(token.strip().encode("utf-8")).digest()
        found: str | None = None
        # Compare against every token so the time taken does not say which one nearly matched.
        for name, stored in self.hashes.items():
            if hmac.compare_digest(digest, stored) and found is None:
                found = name
        if found is None:
            raise Unauthorized("the bearer token is not valid")
        return Principal(name=found)


@attrs.frozen(slots=True)
class AnyOf:
    """Try several authenticators in order (bearer tokens plus a custom scheme, say)."""

    authenticators: tuple[Authenticator, ...]

    @classmethod
    def of(cls, authenticators: Iterable[Authenticator]) -> AnyOf:
        """Build from any iterable of authenticators."""
        return cls(tuple(authenticators))

    @property
    def schemes(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for auth in self.authenticators:
            out.extend(auth.schemes)
        return out

    @property
    def challenge(self) -> str:
        return ", ".join(a.challenge for a in self.authenticators)

    def authenticate(self, request: ScimRequest) -> Principal:
        last: Unauthorized | None = None
        for auth in self.authenticators:
            try:
                return auth.authenticate(request)
            except Unauthorized as exc:
                last = exc
        raise last or Unauthorized("authentication required")
