"""The WSGI adapter: a WSGI application that hands each request to a ScimService."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

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
        # PEP 3333 hands the path over as latin-1 decoded bytes; undo that to get UTF-8 back.
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
        request = ScimRequest(
            method=environ["REQUEST_METHOD"],
            path=path.decode("utf-8", "replace"),
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
