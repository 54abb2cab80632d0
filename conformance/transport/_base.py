"""The transport seam: a request value in, a response value out, whatever is on the other side."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Request", "Response", "Transport"]


@dataclass(frozen=True)
class Request:
    """An HTTP request below the SCIM base URL (``path`` starts with ``/``)."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        """A request header by name (any case), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        """The body decoded as JSON, or None when absent or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Response:
    """An HTTP response: status, headers (names as received) and the raw body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        """A response header by name (any case), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded as JSON; raises ``ValueError`` when it is not JSON."""
        if not self.body.strip():
            raise ValueError("the response has no body")
        return json.loads(self.body)


@runtime_checkable
class Transport(Protocol):
    """Anything that can deliver a :class:`Request` to a SCIM service provider.

    ``send`` raises :class:`~conformance.errors.TransportError` when no answer came back (the run
    reports an ERROR, not a FAILURE). ``target`` says what is being tested, for reports.
    """

    @property
    def target(self) -> str: ...

    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...
