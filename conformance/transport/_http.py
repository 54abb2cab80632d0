"""HTTP transports over httpx: a live endpoint, or an ASGI/WSGI application in process."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

import httpx

from conformance.errors import TransportError
from conformance.transport._base import Request, Response

__all__ = ["AppTransport", "HttpTransport", "is_asgi"]


def _response(raw: httpx.Response, started: float) -> Response:
    return Response(
        status=raw.status_code,
        headers=dict(raw.headers.items()),
        body=raw.content,
        elapsed=time.perf_counter() - started,
    )


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


class HttpTransport:
    """Sends requests to ``base_url`` (the SCIM base, e.g. ``https://app.example/scim/v2``).

    TLS certificates are verified unless ``verify=False``; ``timeout`` (seconds) bounds connecting
    and each read. Redirects are not followed: an IdP does not follow them either.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        verify: bool = True,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout), verify=verify, follow_redirects=False
        )

    @property
    def target(self) -> str:
        """The base URL under test."""
        return self.base_url

    def send(self, request: Request) -> Response:
        """Send one request; network and TLS problems raise :class:`TransportError`."""
        started = time.perf_counter()
        try:
            raw = self._client.request(
                request.method,
                _url(self.base_url, request.path),
                params=dict(request.query) or None,
                headers=dict(request.headers),
                content=request.body,
            )
        except httpx.TimeoutException as exc:
            raise TransportError(f"{request.method} {request.path}: timed out ({exc})") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"{request.method} {request.path}: {exc}") from exc
        return _response(raw, started)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def is_asgi(app: Any) -> bool:
    """True when ``app`` looks like an ASGI 3 application (an async callable), False for WSGI."""
    if inspect.iscoroutinefunction(app):
        return True
    call = getattr(app, "__call__", None)  # noqa: B004 - instances with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class AppTransport:
    """Calls an ASGI or WSGI application in process, through httpx's app transports.

    ``base_url`` is where the application serves SCIM (its path prefix is part of every request).
    Exceptions escaping the application become 500 responses, as a server would send them.
    """

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        base_url: str = "http://testserver/scim/v2",
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.asgi = is_asgi(app)
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async: httpx.AsyncClient | None = None
        self._sync: httpx.Client | None = None
        if self.asgi:
            self._loop = asyncio.new_event_loop()
            self._async = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                timeout=timeout,
            )
        else:
            self._sync = httpx.Client(
                transport=httpx.WSGITransport(app=app, raise_app_exceptions=False),
                timeout=timeout,
            )

    @property
    def target(self) -> str:
        """Where the in-process application is mounted."""
        kind = "ASGI" if self.asgi else "WSGI"
        return f"{kind} app at {self.base_url}"

    def send(self, request: Request) -> Response:
        """Send one request into the application."""
        url = _url(self.base_url, request.path)
        kwargs: dict[str, Any] = {
            "params": dict(request.query) or None,
            "headers": dict(request.headers),
            "content": request.body,
        }
        started = time.perf_counter()
        try:
            if self._async is not None and self._loop is not None:
                raw = self._loop.run_until_complete(
                    self._async.request(request.method, url, **kwargs)
                )
            else:
                assert self._sync is not None
                raw = self._sync.request(request.method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise TransportError(f"{request.method} {request.path}: {exc}") from exc
        return _response(raw, started)

    def close(self) -> None:
        """Release the client (and the event loop of an ASGI app)."""
        if self._async is not None and self._loop is not None:
            self._loop.run_until_complete(self._async.aclose())
            self._loop.close()
        if self._sync is not None:
            self._sync.close()
