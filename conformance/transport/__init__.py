"""Transports: how requests reach the service provider under test (HTTP, ASGI/WSGI, in process).

The HTTP and ASGI/WSGI transports (which need httpx) are imported on first use, so replaying
against an in-process service does not load httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.transport._base import Request, Response, Transport
from conformance.transport._recorder import RecordingTransport
from conformance.transport._service import ServiceTransport

if TYPE_CHECKING:
    from conformance.transport._http import AppTransport, HttpTransport, is_asgi

_LAZY = {"AppTransport", "HttpTransport", "is_asgi"}

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
        from conformance.transport._http import HttpTransport

        return HttpTransport(target, timeout=timeout)
    if isinstance(target, Transport):
        return target
    if callable(getattr(target, "handle", None)) and not callable(target):
        # a service's handle(request); an app that is callable is an app even when it has a
        # handle() of its own (Django's ASGIHandler.handle(scope, receive, send))
        return ServiceTransport(target, base_url=base_url)
    if callable(target):
        from conformance.transport._http import AppTransport

        url = base_url or "http://testserver/scim/v2"
        return AppTransport(target, base_url=url, timeout=timeout)
    raise TypeError(
        f"cannot test {target!r}: give a base URL, a Transport, a ScimService or an ASGI/WSGI app"
    )


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__

    def __getattr__(name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"module 'conformance.transport' has no attribute {name!r}")
        value = getattr(importlib.import_module("conformance.transport._http"), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
