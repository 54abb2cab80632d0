"""No password at rest in clear: every store, every write path, every configuration (issue 12.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimcore.policy import verify_password
from scimcore.service import BearerTokens, ScimService
from scimcore.service._settings import load_settings
from tests._service_support import PATCH_URN, TOKEN, call, patch, user
from tests.harden_support import raw_rows, service_on
from tests.store_backends import BACKENDS, make_store

BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _push_passwords(svc: ScimService) -> dict[str, str]:
    """Create/replace/patch/bulk users with passwords; return {user id: last clear password}."""
    out: dict[str, str] = {}
    r = call(svc, "POST", "/Users", user("pw1", password="Sup3rSecretPass!post"))
    assert r.status == 201, r.body
    uid = json.loads(r.body)["id"]
    out[uid] = "Sup3rSecretPass!post"
    r = call(svc, "PUT", f"/Users/{uid}", user("pw1", password="Sup3rSecretPass!put"))
    assert r.status == 200, r.body
    out[uid] = "Sup3rSecretPass!put"
    r = call(
        svc,
        "PATCH",
        f"/Users/{uid}",
        patch({"op": "replace", "path": "password", "value": "Sup3rSecretPass!patch"}),
    )
    assert r.status == 200, r.body
    out[uid] = "Sup3rSecretPass!patch"
    r = call(svc, "POST", "/Users", user("pw2"))
    uid2 = json.loads(r.body)["id"]
    r = call(
        svc,
        "PATCH",
        f"/Users/{uid2}",
        patch({"op": "replace", "value": {"password": "Sup3rSecretPass!nopath"}}),
    )
    assert r.status == 200, r.body
    out[uid2] = "Sup3rSecretPass!nopath"
    bulk = {
        "schemas": [BULK_URN],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "b1",
                "data": user("pw3", password="Sup3rSecretPass!bulk"),
            },
            {
                "method": "PATCH",
                "path": f"/Users/{uid2}",
                "data": {
                    "schemas": [PATCH_URN],
                    "Operations": [
                        {"op": "add", "path": "password", "value": "Sup3rSecretPass!bulkpatch"}
                    ],
                },
            },
        ],
    }
    r = call(svc, "POST", "/Bulk", bulk)
    assert r.status == 200, r.body
    ops = json.loads(r.body)["Operations"]
    assert [o["status"] for o in ops] == ["201", "200"], ops
    out[ops[0]["location"].rsplit("/", 1)[-1]] = "Sup3rSecretPass!bulk"
    out[uid2] = "Sup3rSecretPass!bulkpatch"
    return out


def _stored_password(svc: ScimService, uid: str) -> Any:
    with svc.store.transaction(readonly=True) as tx:
        found = tx.get("User", uid)
    assert found is not None
    return found.resource.get("password")


@pytest.mark.parametrize("kind", BACKENDS)
def test_default_server_never_stores_a_clear_password(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request) as svc:
        latest = _push_passwords(svc)
        rows = "\n".join(raw_rows(svc.store))
        assert "Sup3rSecretPass" not in rows
        for uid, clear in latest.items():
            stored = _stored_password(svc, uid)
            assert isinstance(stored, str) and stored.startswith("scrypt$"), stored
            assert verify_password(clear, stored)
            assert not verify_password("wrong", stored)
        # a PATCH that does not touch the password keeps the hash, never hashes it twice
        uid = next(iter(latest))
        before = _stored_password(svc, uid)
        r = call(
            svc, "PATCH", f"/Users/{uid}", patch({"op": "replace", "path": "title", "value": "x"})
        )
        assert r.status == 200
        assert _stored_password(svc, uid) == before
        # a client cannot plant a hash of its choosing: what it sends is hashed
        r = call(
            svc,
            "PATCH",
            f"/Users/{uid}",
            patch({"op": "replace", "path": "password", "value": "scrypt$1$1$1$AA==$AA=="}),
        )
        assert r.status == 200
        assert _stored_password(svc, uid) != "scrypt$1$1$1$AA==$AA=="
        assert verify_password("scrypt$1$1$1$AA==$AA==", _stored_password(svc, uid))
        assert b"password" not in r.body.lower()


@pytest.mark.parametrize(
    "toml",
    [
        "",
        "[policy]\npassword_sync = true\n",
        "[policy]\npassword_sync = false\n",
        '[policy]\ndeprovision = "deactivate"\n',
    ],
)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_every_config_path_keeps_passwords_out_of_the_rows(
    kind: str, toml: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "scim.toml"
    path.write_text(toml)
    config = load_settings(path).config
    import attrs

    config = attrs.evolve(
        config,
        authenticator=BearerTokens.from_tokens({"t": TOKEN}),
        base_url="https://idp-facing.example.com/scim/v2",
    )
    with make_store(kind, request) as store:
        svc = ScimService(store, config)
        _push_passwords(svc)
        rows = "\n".join(raw_rows(store))
        assert "Sup3rSecretPass" not in rows


def test_an_application_hasher_is_used_instead(request: pytest.FixtureRequest) -> None:
    with service_on("memory", request, password_hasher=lambda p: "app$" + p[::-1]) as svc:
        r = call(svc, "POST", "/Users", user("app1", password="abc123XYZ"))
        assert r.status == 201
        assert _stored_password(svc, json.loads(r.body)["id"]) == "app$ZYX321cba"
