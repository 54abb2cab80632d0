"""The in-process transport for scimcore's sans-IO handler: no HTTP at all."""

from __future__ import annotations

import importlib
import time
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from conformance.errors import TransportError
from conformance.transport._base import Request, Response

__all__ = ["ServiceTransport"]


class ScimHandler(Protocol):
    """What :class:`ServiceTransport` needs: scimcore's ``ScimService.handle`` shape."""

    def handle(self, request: Any) -> Any: ...


class ServiceTransport:
    """Hands each request to a ``scimcore.service.ScimService`` (or anything with ``handle``).

    The request is built as a ``scimcore.service.ScimRequest`` with the base URL's path prefixed, as
    a web server would pass it on. Exceptions escaping the handler are reported as 500 responses
    (a real server would answer so), not as transport errors.
    """

    def __init__(self, service: ScimHandler, *, base_url: str | None = None) -> None:
        self.service = service
        config = getattr(service, "config", None)
        self.base_url = (base_url or getattr(config, "base_url", None) or "").rstrip("/")
        self._prefix = urlsplit(self.base_url).path.rstrip("/")
        self._request_type: Any = importlib.import_module("scimcore.service").ScimRequest

    @property
    def target(self) -> str:
        """The in-process service."""
        return f"scimcore ScimService (in process) at {self.base_url or '/'}"

    def send(self, request: Request) -> Response:
        """Handle one request in process."""
        started = time.perf_counter()
        # A query string written into the path travels in the URL, as on the wire: split it off
        # and decode it (``+`` is a space) the way a web server would.
        path, _, raw_query = request.path.partition("?")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        query.update(request.query)
        scim_request = self._request_type(
            method=request.method,
            path=self._prefix + path,
            query=query,
            headers=dict(request.headers),
            body=request.body or b"",
            client="127.0.0.1",
        )
        try:
            raw = self.service.handle(scim_request)
        except Exception as exc:  # the handler must never raise: report it as a server would
            body = f"unhandled {type(exc).__name__}: {exc}".encode()
            elapsed = time.perf_counter() - started
            return Response(500, {"Content-Type": "text/plain"}, body, elapsed)
        try:
            return Response(
                status=int(raw.status),
                headers=dict(raw.headers),
                body=bytes(raw.body or b""),
                elapsed=time.perf_counter() - started,
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise TransportError(f"the handler returned {raw!r}, not a ScimResponse") from exc

    def close(self) -> None:
        """Nothing to release."""
