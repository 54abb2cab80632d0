"""The Django adapter through Django itself: its test clients (WSGI and ASGI handlers), its URL
resolver under ``include()``, and its CSRF middleware, which must let the SCIM view through."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.errors import ConfigurationError
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MemoryStore
from tests import _django_support
from tests._service_support import TOKEN, USER_URN
from tests.test_imports import _loaded, _present

pytest.importorskip("django", reason="Django is in the django extra")

from django.test import AsyncClient, Client
from django.urls import include, path, reverse

from scimcore.adapters.django import scim_urls, scim_view

BASE = "https://site.example/scim/v2"
AUTH: dict[str, Any] = {"headers": {"Authorization": f"Bearer {TOKEN}"}}
SCIM_JSON = "application/scim+json"


def _service(**config: Any) -> ScimService:
    options: dict[str, Any] = {
        "base_url": BASE,
        "authenticator": BearerTokens.from_tokens({"idp": TOKEN}),
        **config,
    }
    return ScimService(MemoryStore(), ServiceConfig(**options))


@pytest.fixture
def service() -> ScimService:
    return _service(max_body_bytes=4096)


@pytest.fixture
def client(service: ScimService) -> Iterator[Client]:
    with _django_support.urlconf([path("scim/v2/", include(scim_urls(service)))]):
        # enforce_csrf_checks: the test client skips CSRF unless told; the view must not need it
        yield Client(enforce_csrf_checks=True)


def _post_user(client: Client, user_name: str, **extra: Any) -> Any:
    body = {"schemas": [USER_URN], "userName": user_name, **extra}
    return client.post("/scim/v2/Users", json.dumps(body), content_type=SCIM_JSON, **AUTH)


def test_create_read_update_delete_through_django(client: Client) -> None:
    created = _post_user(client, "ada@example.com", name={"givenName": "Ada"})
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith(SCIM_JSON)
    assert created["Location"].startswith(BASE + "/Users/")
    assert created["Content-Length"] == str(len(created.content))
    user = json.loads(created.content)
    assert user["userName"] == "ada@example.com"
    assert created["ETag"] == user["meta"]["version"]
    location = created["Location"].removeprefix("https://site.example")

    got = client.get(location, **AUTH)
    assert got.status_code == 200
    assert json.loads(got.content)["id"] == user["id"]

    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    patched = client.patch(
        location,
        json.dumps(patch),
        content_type=SCIM_JSON,
        headers={**AUTH["headers"], "If-Match": created["ETag"]},
    )
    assert patched.status_code == 200, patched.content
    assert json.loads(patched.content)["active"] is False

    stale = client.put(
        location,
        json.dumps({"schemas": [USER_URN], "userName": "ada@example.com"}),
        content_type=SCIM_JSON,
        headers={**AUTH["headers"], "If-Match": created["ETag"]},
    )
    assert stale.status_code == 412

    deleted = client.delete(location, **AUTH)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "Content-Type" not in deleted  # not Django's text/html default
    assert client.get(location, **AUTH).status_code == 404


def test_the_service_authenticates_and_errors_are_scim_errors(client: Client) -> None:
    anonymous = client.get("/scim/v2/Users")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].lower().startswith("bearer")
    error = json.loads(anonymous.content)
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error["status"] == "401"

    bad = client.post("/scim/v2/Users", b"{not json", content_type=SCIM_JSON, **AUTH)
    assert bad.status_code == 400
    assert json.loads(bad.content)["scimType"] == "invalidSyntax"


def test_the_query_string_reaches_the_service(client: Client) -> None:
    for name in ("a b@example.com", "c+d@example.com", "é@example.com"):
        assert _post_user(client, name).status_code == 201
    wanted = 'userName eq "c+d@example.com"'
    found = client.get("/scim/v2/Users?filter=" + quote(wanted), **AUTH)
    assert found.status_code == 200
    page = json.loads(found.content)
    assert page["totalResults"] == 1
    assert page["Resources"][0]["userName"] == "c+d@example.com"
    accented = client.get("/scim/v2/Users", {"filter": 'userName eq "é@example.com"'}, **AUTH)
    assert json.loads(accented.content)["totalResults"] == 1


def test_trailing_slash_and_discovery(client: Client) -> None:
    assert _post_user(client, "x@example.com").status_code == 201
    listed = client.get("/scim/v2/Users/", **AUTH)
    assert listed.status_code == 200
    assert json.loads(listed.content)["totalResults"] == 1
    config = client.get("/scim/v2/ServiceProviderConfig", **AUTH)
    assert config.status_code == 200
    assert json.loads(config.content)["patch"]["supported"] is True


def test_an_oversized_body_is_refused_with_413_before_django_reads_it(client: Client) -> None:
    big = _post_user(client, "big@example.com", displayName="x" * 10_000)
    assert big.status_code == 413
    assert json.loads(big.content)["status"] == "413"


def test_reverse_names_the_pattern(client: Client) -> None:
    assert reverse("scim", kwargs={"path": "Users"}) == "/scim/v2/Users"


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip("/") == s and "/" not in s))
def test_ids_in_the_path_reach_the_service_decoded_once(resource_id: str) -> None:
    """What the client percent-encodes arrives as the text it encoded: Django decodes the path
    and the service decodes it again, so the adapter must hand it over re-encoded."""
    with _django_support.urlconf([path("scim/v2/", include(scim_urls(_service())))]):
        got = Client().get("/scim/v2/Users/" + quote(resource_id, safe=""), **AUTH)
    body = json.loads(got.content)
    if got.status_code == 404:
        assert body["detail"] == f"no User with id {resource_id!r}"
    else:  # text the service refuses to store (control characters and the like)
        assert got.status_code == 400, body
        assert body["scimType"] == "invalidValue"


def test_the_asgi_handler_too(service: ScimService) -> None:
    """Django's ASGI request (a spooled body, headers from the scope) goes through the same view."""

    async def lifecycle() -> tuple[int, int, int]:
        client = AsyncClient()
        body = json.dumps({"schemas": [USER_URN], "userName": "async@example.com"})
        created = await client.post("/scim/v2/Users", body, content_type=SCIM_JSON, **AUTH)
        user = json.loads(created.content)
        got = await client.get(f"/scim/v2/Users/{user['id']}", **AUTH)
        missing = await client.get("/scim/v2/Users", {"filter": 'userName eq "nobody"'}, **AUTH)
        return created.status_code, got.status_code, json.loads(missing.content)["totalResults"]

    with _django_support.urlconf([path("scim/v2/", include(scim_urls(service)))]):
        assert asyncio.run(lifecycle()) == (201, 200, 0)


def test_the_bare_view_takes_the_full_path(service: ScimService) -> None:
    """Routed without a ``path`` argument, the view strips the service's base path itself."""
    with _django_support.urlconf([path("scim/v2/Users", scim_view(service))]):
        listed = Client().get("/scim/v2/Users", **AUTH)
    assert listed.status_code == 200
    assert json.loads(listed.content)["totalResults"] == 0


def test_a_factory_is_called_once_at_the_first_request() -> None:
    built: list[ScimService] = []

    def factory() -> ScimService:
        built.append(_service())
        return built[-1]

    patterns = [path("scim/v2/", include(scim_urls(factory)))]
    assert built == []  # the URLconf alone builds nothing (Django imports it for its checks)
    with _django_support.urlconf(patterns):
        client = Client()
        for _ in range(2):
            assert client.get("/scim/v2/ServiceProviderConfig", **AUTH).status_code == 200
    assert len(built) == 1


def test_importing_the_adapter_does_not_import_django() -> None:
    assert _present(_loaded("import scimcore.adapters"), ["django"]) == []
    assert _present(_loaded("import scimcore.adapters.django"), ["django"]) == []


def test_without_django_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "django.urls", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'scimcore\[django\]'"):
        scim_urls(_service())
