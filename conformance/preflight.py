"""Before replaying: is anything SCIM listening at the target, and does it accept the token?

A refused token or an unreachable target is one clear line (exit 2), never thousands of lines of
step failures blamed on the endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.errors import ConformanceError, TransportError
from conformance.transport import Request, Transport

__all__ = ["PreflightError", "preflight"]


class PreflightError(ConformanceError):
    """Why the run cannot start (``str()`` is the one line to print)."""


def _send(transport: Transport, request: Request) -> int:
    try:
        return transport.send(request).status
    except TransportError as exc:
        raise PreflightError(f"cannot reach {transport.target}: {exc}") from exc


def preflight(transport: Transport, headers: Mapping[str, str], *, token: str | None) -> None:
    """Raise :class:`PreflightError` unless the target answers SCIM and accepts ``token``.

    Sends ``GET /ServiceProviderConfig`` then an authenticated ``GET /Users?count=1``. A 401 or
    403 on the latter is a refused (or missing) token; 404 on both is not a SCIM base URL. Any
    other answer (a 500 included) lets the run go ahead: that is the endpoint's to explain.
    """
    config = _send(transport, Request("GET", "/ServiceProviderConfig", {}, dict(headers)))
    users = _send(transport, Request("GET", "/Users", {"count": "1"}, dict(headers)))
    if users in (401, 403):
        if token:
            raise PreflightError(
                f"the token was refused: GET {transport.target}/Users answered {users}; "
                "check --token (or SCIM_CONFORMANCE_TOKEN)"
            )
        raise PreflightError(
            f"the endpoint wants a token: GET {transport.target}/Users answered {users}; "
            "give --token or set SCIM_CONFORMANCE_TOKEN"
        )
    if users == 404 and config == 404:
        raise PreflightError(
            f"no SCIM service at {transport.target}: GET /ServiceProviderConfig and GET /Users "
            "answered 404 (is the base URL right, e.g. https://host/scim/v2?)"
        )
