"""Transports: how requests reach the service provider under test (HTTP, ASGI/WSGI, in process)."""

from __future__ import annotations

from typing import Any

from conformance.transport._base import Request, Response, Transport
from conformance.transport._http import AppTransport, HttpTransport, is_asgi
from conformance.transport._recorder import RecordingTransport
from conformance.transport._service import ServiceTransport

__all__ = [
    "AppTransport",
    "HttpTransport",
    "RecordingTransport",
    "Request",
    "Response",
    "ServiceTransport",
    "Transport",
    "is_asgi",
    "transport_for",
]


def transport_for(target: Any, *, base_url: str | None = None, timeout: float = 30.0) -> Transport:
    """Pick the transport for a target: a URL, a Transport, a ScimService, or an ASGI/WSGI app."""
    if isinstance(target, str):
        return HttpTransport(target, timeout=timeout)
    if isinstance(target, Transport):
        return target
    if callable(getattr(target, "handle", None)):
        return ServiceTransport(target, base_url=base_url)
    if callable(target):
        url = base_url or "http://testserver/scim/v2"
        return AppTransport(target, base_url=url, timeout=timeout)
    raise TypeError(
        f"cannot test {target!r}: give a base URL, a Transport, a ScimService or an ASGI/WSGI app"
    )
