"""The Django adapter: a view and an ``include()``-able urlconf that hand requests to a ScimService.

::

    from django.urls import include, path
    from scimcore.adapters.django import scim_urls

    urlpatterns = [path("scim/v2/", include(scim_urls(service)))]

Django is imported when :func:`scim_view` or :func:`scim_urls` is called, not when this module
is (it is the ``django`` extra). Either takes the service or a function building it, called once
at the first request: Django imports the URLconf for its system checks (``migrate`` runs them
before it has created any table), so a store over the site's own tables is built lazily. The
view is CSRF-exempt (SCIM clients authenticate with a bearer
token, which the service checks, not with a session cookie) and answers every method itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import quote

from scimcore._extras import require
from scimcore.service import ScimRequest, ScimResponse, ScimService

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern

__all__ = ["ServiceSource", "scim_urls", "scim_view"]

#: A :class:`ScimService`, or a function building it at the first request.
ServiceSource: TypeAlias = ScimService | Callable[[], ScimService]

# What stays unescaped when a path Django has already decoded is handed on: the service
# percent-decodes each segment itself, so a literal "%" or "?" in an id must reach it escaped.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"

_FEATURE = "the Django adapter"


def _request(request: HttpRequest, path: str, limit: int) -> ScimRequest:
    """The sans-IO request of a Django request whose part below the mount point is ``path``."""
    # Read from the stream, never ``request.body``: that would load the whole body (or refuse it
    # past DATA_UPLOAD_MAX_MEMORY_SIZE) before the service could answer 413 itself.
    body: bytes = request.read(limit + 1)
    meta: dict[str, Any] = request.META
    return ScimRequest(
        method=str(request.method),
        path="/" + quote(path.lstrip("/"), safe=_PATH_SAFE),
        query=str(meta.get("QUERY_STRING", "")),
        headers=[(str(k), str(v)) for k, v in request.headers.items()],
        body=body,
        client=meta.get("REMOTE_ADDR") or None,
    )


def _response(result: ScimResponse) -> HttpResponse:
    """A Django response carrying the service's status, headers and body as they are."""
    http = require("django.http", extra="django", feature=_FEATURE)
    response: HttpResponse = http.HttpResponse(result.body, status=result.status)
    if result.header("Content-Type") is None:
        del response["Content-Type"]  # Django's text/html default is not what the service said
    for name, value in result.headers.items():
        response[name] = value
    response["Content-Length"] = str(len(result.body))
    return response


def _once(source: ServiceSource) -> Callable[[], ScimService]:
    """``source`` as a function returning the same service every time (built once, if a factory)."""
    if isinstance(source, ScimService):
        service = source
        return lambda: service
    lock = threading.Lock()
    built: list[ScimService] = []

    def get() -> ScimService:
        if not built:
            with lock:
                if not built:
                    built.append(source())
        return built[0]

    return get


def scim_view(service: ServiceSource) -> Callable[..., HttpResponse]:
    """A CSRF-exempt Django view serving ``service`` (or the service a factory builds, once).

    The view takes the part of the URL below the SCIM mount point as its ``path`` argument
    (``"Users/2819c223"``), as :func:`scim_urls` routes it; without one it passes the request's
    full path, which the service strips of its ``base_url``'s path. Bodies are read only up to one
    byte past the service's limit, which then answers 413.
    """
    csrf = require("django.views.decorators.csrf", extra="django", feature=_FEATURE)
    get = _once(service)

    def view(request: HttpRequest, path: str | None = None) -> HttpResponse:
        if path is None:
            path = str(request.path)
        current = get()
        config = current.config
        limit = max(config.max_body_bytes, config.bulk_max_payload_bytes)
        return _response(current.handle(_request(request, path, limit)))

    exempt: Callable[..., HttpResponse] = csrf.csrf_exempt(view)
    return exempt


def scim_urls(service: ServiceSource, *, name: str = "scim") -> list[URLPattern]:
    """URL patterns routing everything below the mount point to :func:`scim_view`.

    Use it with ``include()``: ``path("scim/v2/", include(scim_urls(service)))``. Give the service
    a ``base_url`` ending in the same path (``https://site.example/scim/v2``): ``meta.location``
    and ``Location`` are built from it. ``name`` names the pattern (for ``reverse``, with a
    ``path`` keyword argument).
    """
    urls = require("django.urls", extra="django", feature=_FEATURE)
    pattern: URLPattern = urls.re_path(r"^(?P<path>(?s:.*))\Z", scim_view(service), name=name)
    return [pattern]
