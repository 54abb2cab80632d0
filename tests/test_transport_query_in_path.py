"""A query written into a recording's path reaches the target exactly as the IdP encodes it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from conformance.transport import Request
from conformance.transport._http import AppTransport
from conformance.transport._service import ServiceTransport

OKTA = "/Users?filter=userName%20eq%20%22a%40example.com%22&startIndex=1&count=100"
ONELOGIN = "/Users?filter=userName+eq+%22a%40example.com%22&"


def _echo(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"], "qs": environ["QUERY_STRING"]}).encode()
    start("200 OK", [("Content-Type", "application/json")])
    return [body]


def test_app_transport_keeps_the_raw_query() -> None:
    transport = AppTransport(_echo, base_url="http://testserver/scim/v2")
    for path in (OKTA, ONELOGIN):
        echoed = transport.send(Request("GET", path, {}, {})).json()
        assert echoed == {"path": "/scim/v2/Users", "qs": path.partition("?")[2]}
    transport.close()


class _Handler:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def handle(self, request: Any) -> Any:
        self.seen.append(request)
        from scimcore.service import ScimResponse

        return ScimResponse(200, {}, b"{}")


def test_service_transport_splits_the_query_out_of_the_path() -> None:
    handler = _Handler()
    transport = ServiceTransport(handler, base_url="https://sp.example.com/scim/v2")
    transport.send(Request("GET", OKTA, {}, {}))
    transport.send(Request("GET", ONELOGIN, {"extra": "1"}, {}))
    transport.send(Request("PUT", "/Users/42?", {}, {}, b"{}"))
    okta, onelogin, put = handler.seen
    assert okta.path == "/scim/v2/Users"
    assert okta.query == {
        "filter": 'userName eq "a@example.com"',
        "startIndex": "1",
        "count": "100",
    }
    assert onelogin.query == {"filter": 'userName eq "a@example.com"', "extra": "1"}
    assert (put.path, put.query) == ("/scim/v2/Users/42", {})
