"""Request and response values of the sans-IO handler, and the few HTTP helpers it needs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import attrs

SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Mapping[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        # Repeated headers are joined with a comma, as RFC 9110 §5.3 allows.
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _upper(method: str) -> str:
    return method.upper()


def _query_dict(query: Mapping[str, str] | str) -> Mapping[str, str]:
    if isinstance(query, str):
        return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    return dict(query)


@attrs.frozen(slots=True)
class ScimRequest:
    """One HTTP request as the handler sees it: no socket, no framework.

    ``path`` is the URL path (with or without the base URL's path prefix, percent-encoded or not);
    ``query`` the decoded query parameters (a raw query string is parsed too); ``headers`` any
    mapping or list of pairs (looked up case-insensitively); ``body`` the raw bytes; ``client`` the
    peer's IP address when known.
    """

    method: str = attrs.field(converter=_upper)
    path: str
    query: Mapping[str, str] = attrs.field(factory=dict, converter=_query_dict)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_headers)
    body: bytes = b""
    client: str | None = None

    def header(self, name: str) -> str | None:
        """Return a request header by name (any case), or None."""
        return self.headers.get(name.lower())


@attrs.frozen(slots=True)
class ScimResponse:
    """One HTTP response: status, headers and body bytes, ready for any server to send."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """Decode the body as JSON (None for an empty body)."""
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        """Return a response header by name (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def dump_json(data: Any) -> bytes:
    """Encode a JSON body compactly, UTF-8."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def response_content_type(accept: str | None) -> str:
    """Pick the response media type: SCIM's unless the client asked for plain JSON only.

    A missing ``Accept`` (Entra's connection test), ``*/*``, ``application/*`` and
    ``application/scim+json`` all get ``application/scim+json``; a client that lists
    ``application/json`` without the SCIM type (PingFederate, OneLogin) gets ``application/json``.
    Nothing is ever refused with 406: IdPs do not retry on it.
    """
    if not accept:
        return SCIM_CONTENT_TYPE
    kinds = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    if "application/json" in kinds and "application/scim+json" not in kinds:
        return JSON_CONTENT_TYPE
    return SCIM_CONTENT_TYPE


def parse_etags(value: str) -> tuple[set[str], bool]:
    """Parse an If-Match / If-None-Match header into its opaque tags and whether it is ``*``.

    Weak and strong forms compare equal (weak comparison, RFC 9110 §8.8.3.2).
    """
    tags: set[str] = set()
    star = False
    for raw in value.split(","):
        tag = raw.strip()
        if not tag:
            continue
        if tag == "*":
            star = True
            continue
        if tag[:2].upper() == "W/":
            tag = tag[2:]
        tags.add(tag.strip('"'))
    return tags, star


def etag_for(version: int) -> str:
    """The weak ETag (and ``meta.version``) of a stored version number."""
    return f'W/"{version}"'
