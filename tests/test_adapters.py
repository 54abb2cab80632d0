"""The ASGI and WSGI adapters behind real servers (uvicorn, wsgiref) on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import uvicorn

from scimcore.adapters import asgi_app, wsgi_app
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MemoryStore
from tests._service_support import TOKEN, USER_URN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _service(port: int) -> ScimService:
    config = ServiceConfig(
        base_url=f"http://127.0.0.1:{port}/scim/v2",
        authenticator=BearerTokens.from_tokens({"t": TOKEN}),
        max_body_bytes=4096,
    )
    return ScimService(MemoryStore(), config)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _serving(kind: str, service: ScimService, port: int) -> Iterator[str]:
    """Serve ``service`` on ``port`` behind uvicorn (ASGI) or wsgiref (WSGI); yield the base URL."""
    if kind == "uvicorn":
        server = uvicorn.Server(
            uvicorn.Config(asgi_app(service), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/scim/v2"
        server.should_exit = True
        thread.join(10)
    else:
        httpd = make_server("127.0.0.1", port, wsgi_app(service), handler_class=_Quiet)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{port}/scim/v2"
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture(params=["uvicorn", "wsgiref"])
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = _free_port()
    with _serving(request.param, _service(port), port) as url:
        yield url


@pytest.mark.parametrize("kind", ["uvicorn", "wsgiref"])
@pytest.mark.parametrize("rid", ["100%25", "a%41", "50% off", "ünïcodé"])
def test_a_percent_encoded_id_is_decoded_once(kind: str, rid: str) -> None:
    """``%2525`` on the wire is the id ``%25``, behind either adapter (WSGI decoded it twice)."""
    port = _free_port()
    service = _service(port)
    with service.store.transaction() as tx:
        tx.create("User", {"schemas": [USER_URN], "id": rid, "userName": f"u-{rid}"})
    wire = quote(rid, safe="")
    with _serving(kind, service, port) as url:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        got = httpx.get(f"{url}/Users/{wire}", headers=auth, timeout=10)
        assert got.status_code == 200, got.text
        assert got.json()["id"] == rid
        other = httpx.get(f"{url}/Users/{quote(rid + 'x', safe='')}", headers=auth, timeout=10)
        assert other.status_code == 404


def test_wsgi_takes_the_raw_uri_when_the_server_gives_it() -> None:
    """gunicorn's ``RAW_URI``: an encoded ``/`` inside an id survives (PATH_INFO loses it)."""
    service = _service(8080)
    with service.store.transaction() as tx:
        tx.create("User", {"schemas": [USER_URN], "id": "a/b%", "userName": "slash"})
    replies: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/scim/v2/Users/a/b%",
        "RAW_URI": "/scim/v2/Users/a%2Fb%25?attributes=userName",
        "QUERY_STRING": "attributes=userName",
        "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
        "wsgi.input": io.BytesIO(b""),
    }
    body = b"".join(wsgi_app(service)(environ, lambda status, headers: replies.append(status)))
    assert replies == ["200 OK"], body
    assert json.loads(body)["userName"] == "slash"


def test_round_trip_through_a_real_server(base_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=10) as client:
        r = client.post(
            "/Users",
            json={"schemas": [USER_URN], "userName": "wire@example.com"},
            headers={"Content-Type": "application/scim+json"},
        )
        assert r.status_code == 201
        assert r.headers["content-type"] == "application/scim+json; charset=utf-8"
        assert r.headers["location"] == r.json()["meta"]["location"]
        assert r.headers["location"].startswith(base_url)
        uid = r.json()["id"]
        got = client.get(f"/Users/{uid}")
        assert got.status_code == 200 and got.headers["etag"] == 'W/"1"'
        found = client.get("/Users", params={"filter": 'userName eq "WIRE@example.com"'})
        assert found.json()["totalResults"] == 1
        schema = client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        assert schema.status_code == 200
        assert client.get("/Users", headers={"Authorization": "Bearer nope"}).status_code == 401
        big = client.post("/Users", content=b"x" * 10_000)
        assert big.status_code == 413
        assert client.delete(f"/Users/{uid}").status_code == 204
        missing = client.get(f"/Users/{uid}")
        assert missing.status_code == 404 and missing.json()["status"] == "404"
