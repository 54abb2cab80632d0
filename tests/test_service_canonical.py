"""Canonical values: accepted beyond the list by default (IdPs send them), refused when strict."""

from __future__ import annotations

import json

from scimcore import ScimRequest, ScimService, ServiceConfig
from scimcore.store import MemoryStore

BODY = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "x@example.com",
    "emails": [{"value": "x@example.com", "type": "internet"}],
}


def _post(config: ServiceConfig) -> tuple[int, dict[str, object]]:
    service = ScimService(MemoryStore(), config)
    response = service.handle(ScimRequest("POST", "/Users", body=json.dumps(BODY).encode()))
    return response.status, json.loads(response.body)


def test_non_canonical_type_accepted_by_default() -> None:
    status, body = _post(ServiceConfig())
    assert status == 201, body
    assert body["emails"] == [{"value": "x@example.com", "type": "internet"}]


def test_non_canonical_type_refused_in_strict_mode() -> None:
    status, body = _post(ServiceConfig(lenient_bodies=False))
    assert status == 400
    assert body["scimType"] == "invalidValue"
    assert "$.emails[0].type" in str(body["detail"])
