"""The WSGI adapter: a WSGI application that hands each request to a ScimService."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from scimcore.service import ScimRequest, ScimService

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out.append((key[5:].replace("_", "-"), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            out.append((key.replace("_", "-"), str(value)))
    return out


# What stays as it is in a path segment (RFC 3986 pchar without '%'): every other byte is encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _encoded_path(environ: dict[str, Any]) -> str:
    """The request path percent-encoded, as the service expects (it decodes each segment once).

    PEP 3333 servers hand ``PATH_INFO`` over already percent-decoded (as latin-1 text of the
    bytes): encoding it again gives the service the path the client sent, so a literal ``%``
    (``%25`` on the wire) is decoded once, not twice. A server that passes the request line's
    own path (gunicorn's ``RAW_URI``, uWSGI's ``REQUEST_URI``) is taken at its word, which also
    keeps an encoded ``/`` (``%2F``) inside an id. The ASGI adapter passes ``raw_path``.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw.split("?", 1)[0]
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    return quote(path, safe=_PATH_SAFE)


def wsgi_app(service: ScimService) -> WSGIApp:
    """Wrap ``service`` as a WSGI application (PEP 3333).

    Bodies are read only up to one byte past the service's limit, which then answers 413.
    """
    config = service.config
    limit = max(config.max_body_bytes, config.bulk_max_payload_bytes)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(min(length, limit + 1)) if length > 0 else b""
        request = ScimRequest(
            method=environ["REQUEST_METHOD"],
            path=_encoded_path(environ),
            query=environ.get("QUERY_STRING", ""),
            headers=_headers(environ),
            body=body,
            client=environ.get("REMOTE_ADDR"),
        )
        response = service.handle(request)
        headers = list(response.headers.items())
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [response.body]

    return app
