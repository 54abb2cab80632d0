"""``Prefer: return=minimal`` on PATCH (RFC 7240 §4.2; RFC 7644 §3.5.2 allows 204): per request."""

from __future__ import annotations

import json

import attrs
import pytest

from scimcore import ServiceConfig
from scimcore.service import BearerTokens, ScimService
from scimcore.service._prefer import prefer_return
from tests._service_support import TOKEN, Clock, call, group, ids, patch, user
from tests.store_backends import BACKENDS, make_store

RENAME = {"op": "replace", "path": "displayName", "value": "Babs"}


def _service(store: object, **options: object) -> ScimService:
    config = attrs.evolve(
        ServiceConfig(authenticator=BearerTokens.from_tokens({"t": TOKEN})), **options
    )
    return ScimService(store, config, clock=Clock(), id_factory=ids())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("return=minimal", "minimal"),
        ("RETURN = Minimal", "minimal"),
        ('return="representation"', "representation"),
        ("respond-async, wait=10, return=minimal; foo=bar", "minimal"),
        ("return=minimal, return=representation", "minimal"),
        ("return=everything", None),
        ("handling=lenient", None),
        ("", None),
        (None, None),
    ],
)
def test_prefer_header_parsing(header: str | None, expected: str | None) -> None:
    assert prefer_return(header) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_patch_answers_204_when_the_client_prefers_minimal(
    backend: str, request: pytest.FixtureRequest
) -> None:
    with make_store(backend, request) as store:
        svc = _service(store)
        uid = json.loads(call(svc, "POST", "/Users", user("babs")).body)["id"]
        minimal = call(
            svc, "PATCH", f"/Users/{uid}", patch(RENAME), headers={"Prefer": "return=minimal"}
        )
        assert minimal.status == 204 and minimal.body == b""
        assert minimal.header("Preference-Applied") == "return=minimal"
        assert minimal.header("ETag") == 'W/"2"'
        got = json.loads(call(svc, "GET", f"/Users/{uid}").body)
        assert got["displayName"] == "Babs"  # 2xx means committed
        plain = call(svc, "PATCH", f"/Users/{uid}", patch({**RENAME, "value": "B"}))
        assert plain.status == 200 and plain.header("Preference-Applied") is None
        # the member-delta path of a Group PATCH honours it too
        gid = json.loads(call(svc, "POST", "/Groups", group("team")).body)["id"]
        add = {"op": "add", "path": "members", "value": [{"value": uid}]}
        member = call(
            svc, "PATCH", f"/Groups/{gid}", patch(add), headers={"Prefer": "return=minimal"}
        )
        assert member.status == 204 and member.body == b""
        # an error stays an error, with no Preference-Applied
        bad = call(
            svc,
            "PATCH",
            f"/Users/{uid}",
            patch({"op": "replace", "path": "nope", "value": 1}),
            headers={"Prefer": "return=minimal"},
        )
        assert bad.status == 400 and bad.header("Preference-Applied") is None


def test_representation_overrides_a_no_content_server() -> None:
    from scimcore.store import MemoryStore

    svc = _service(MemoryStore(), patch_response="no_content")
    uid = json.loads(call(svc, "POST", "/Users", user("babs")).body)["id"]
    assert call(svc, "PATCH", f"/Users/{uid}", patch(RENAME)).status == 204
    full = call(
        svc, "PATCH", f"/Users/{uid}", patch(RENAME), headers={"Prefer": "return=representation"}
    )
    assert full.status == 200 and json.loads(full.body)["displayName"] == "Babs"
    assert full.header("Preference-Applied") == "return=representation"
