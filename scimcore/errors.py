"""The SCIM error hierarchy: every error knows its HTTP status, its scimType and its Error body.

::

    ScimError                         base; status 400, no scimType unless a subclass says so
    ├── BadRequest            400
    │   ├── InvalidFilter     400 invalidFilter   RFC 7644 §3.4.2.2  (filter text, position)
    │   ├── TooMany           400 tooMany         §3.4.2.2
    │   ├── InvalidSyntax     400 invalidSyntax   §3.12             (JSON path)
    │   ├── InvalidPath       400 invalidPath     §3.5.2            (path, position)
    │   ├── NoTarget          400 noTarget        §3.5.2
    │   ├── InvalidValue      400 invalidValue    §3.12             (JSON path)
    │   ├── Mutability        400 mutability      §3.5.2
    │   ├── InvalidVersion    400 invalidVers     §3.13
    │   ├── Sensitive         400 sensitive       §7.5.2 (Table 9 lists it with 400)
    │   ├── InvalidCursor     400 invalidCursor   RFC 9865
    │   ├── ExpiredCursor     400 expiredCursor   RFC 9865
    │   └── InvalidCount      400 invalidCount    RFC 9865
    ├── Unauthorized          401
    ├── Forbidden             403
    ├── NotFound              404
    ├── MethodNotAllowed      405
    ├── Conflict              409
    │   └── Uniqueness        409 uniqueness      §3.3
    ├── PreconditionFailed    412                 §3.14 (If-Match)
    ├── PayloadTooLarge       413                 §3.7 (bulk and body limits)
    ├── TooManyRequests       429                 (rate limit; carries retry_after seconds)
    ├── ServerError           500                 (a bug or a backend failure; never for bad input)
    ├── NotImplementedFeature 501                 (a feature this server has switched off)
    └── ConfigurationError    500                 (a developer's mistake in a schema or config)

Every error renders the RFC 7644 §3.12 body with :meth:`ScimError.to_dict` (``status`` as a string).
The class for a ``scimType`` is found with :func:`error_class_for`, so a client (the conformance
suite) can turn a response back into the same class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

_BY_SCIM_TYPE: dict[str, type[ScimError]] = {}


def _render_path(path: Sequence[str | int] | None) -> str | None:
    """Render a JSON path as ``$.emails[1].value``."""
    if path is None:
        return None
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class ScimError(Exception):
    """Base of every scimcore error: HTTP status, scimType, and a detail saying what to fix."""

    status: ClassVar[int] = 400
    scim_type: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str,
        *,
        path: Sequence[str | int] | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: tuple[str | int, ...] | None = tuple(path) if path is not None else None
        self.position = position

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        scim_type = cls.__dict__.get("scim_type")
        if scim_type is not None and scim_type not in _BY_SCIM_TYPE:
            _BY_SCIM_TYPE[scim_type] = cls

    @property
    def json_path(self) -> str | None:
        """The JSON path of the problem in the request body (``$.emails[1].value``), if known."""
        return _render_path(self.path)

    @property
    def message(self) -> str:
        """The detail with the JSON path or the position appended where they are known."""
        where = []
        if self.path is not None:
            where.append(f"at {self.json_path}")
        if self.position is not None:
            where.append(f"at position {self.position}")
        return f"{self.detail} ({', '.join(where)})" if where else self.detail

    def to_dict(self) -> dict[str, Any]:
        """Render the RFC 7644 §3.12 Error body; ``status`` is a string as the RFC requires."""
        body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(self.status)}
        if self.scim_type is not None:
            body["scimType"] = self.scim_type
        body["detail"] = self.message
        return body

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.detail!r}, path={self.path!r}, position={self.position!r})"


class BadRequest(ScimError):
    """400: the request is wrong in a way no more specific scimType describes."""

    status = 400


class InvalidFilter(BadRequest):
    """The filter syntax is invalid, or the filter does not suit the attribute's type."""

    scim_type = "invalidFilter"


class TooMany(BadRequest):
    """The filter or request would touch more resources, terms or operations than allowed."""

    scim_type = "tooMany"


class InvalidSyntax(BadRequest):
    """The request body is not parsable or not of the shape the message schema requires."""

    scim_type = "invalidSyntax"


class InvalidPath(BadRequest):
    """A PATCH path is malformed or names no attribute."""

    scim_type = "invalidPath"


class NoTarget(BadRequest):
    """A PATCH path matched nothing it could act on, or a remove has no path."""

    scim_type = "noTarget"


class InvalidValue(BadRequest):
    """A value is missing, of the wrong type, or not allowed by the schema."""

    scim_type = "invalidValue"


class Mutability(BadRequest):
    """The request tries to change an attribute the schema makes readOnly or immutable."""

    scim_type = "mutability"


class InvalidVersion(BadRequest):
    """The request names a SCIM protocol version this server does not support."""

    scim_type = "invalidVers"


class Sensitive(BadRequest):
    """The request puts sensitive data (a password) where it could leak, such as a URL."""

    scim_type = "sensitive"


class InvalidCursor(BadRequest):
    """A cursor value (RFC 9865) is malformed or unknown."""

    scim_type = "invalidCursor"


class ExpiredCursor(BadRequest):
    """A cursor value (RFC 9865) has expired."""

    scim_type = "expiredCursor"


class InvalidCount(BadRequest):
    """A count value is invalid for cursor paging (RFC 9865)."""

    scim_type = "invalidCount"


class Unauthorized(ScimError):
    """401: no credentials, or credentials this server does not accept."""

    status = 401


class Forbidden(ScimError):
    """403: the caller is known but not allowed to do this."""

    status = 403


class NotFound(ScimError, LookupError):
    """404: no resource or endpoint at that address."""

    status = 404


class MethodNotAllowed(ScimError):
    """405: the endpoint exists but not with this HTTP method."""

    status = 405


class Conflict(ScimError):
    """409: the request conflicts with the current state of the resource."""

    status = 409


class Uniqueness(Conflict):
    """409 uniqueness: a value the schema says is unique is already taken."""

    scim_type = "uniqueness"


class PreconditionFailed(ScimError):
    """412: the resource changed since the version named in If-Match."""

    status = 412


class PayloadTooLarge(ScimError):
    """413: the body, or the number of bulk operations, exceeds the advertised maximum."""

    status = 413


class TooManyRequests(ScimError):
    """429: the client sends faster than the configured rate limit; retry after some seconds."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServerError(ScimError):
    """500: a fault of this server or its storage; never the answer to bad input."""

    status = 500


class NotImplementedFeature(ScimError):
    """501: a feature this server does not offer or has switched off."""

    status = 501


class ConfigurationError(ScimError, ValueError):
    """A developer's mistake in a schema, mapping or configuration, found at load time."""

    status = 500


def error_class_for(scim_type: str | None, status: int) -> type[ScimError]:
    """Return the error class for a scimType (or, without one, for an HTTP status)."""
    if scim_type is not None and scim_type in _BY_SCIM_TYPE:
        return _BY_SCIM_TYPE[scim_type]
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        TooManyRequests,
        NotImplementedFeature,
        ServerError,
    ):
        if cls.status == status:
            return cls
    return ScimError


SCIM_TYPES: tuple[str, ...] = tuple(_BY_SCIM_TYPE)
"""Every scimType this library knows (RFC 7644 Table 9 plus RFC 9865's cursor errors)."""
