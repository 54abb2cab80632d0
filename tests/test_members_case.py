"""``members.value`` is caseExact false (RFC 7643 §8.7.1): one member per value, whatever its case.

The general path (POST, PUT, a PATCH with a before-write hook) and the member-delta path agree,
as the stores' ``lower(member_id)`` index does, on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scimcore import ServiceConfig
from scimcore.service import BearerTokens, ScimService
from tests._service_support import TOKEN, Clock, call, group, ids, patch, user
from tests.store_backends import BACKENDS, make_store


def _service(store: Any, *, hook: bool = False) -> ScimService:
    config = ServiceConfig(authenticator=BearerTokens.from_tokens({"t": TOKEN}))
    if hook:  # a before-write hook that changes nothing forces the general PATCH path
        import attrs

        config = attrs.evolve(config, before_write=(lambda event: None,))
    return ScimService(store, config, clock=Clock(), id_factory=ids())


def _members(svc: ScimService, gid: str) -> list[str]:
    body = json.loads(call(svc, "GET", f"/Groups/{gid}").body)
    return [m["value"] for m in body.get("members", [])]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_same_member_in_two_cases_is_one_member(
    backend: str, request: pytest.FixtureRequest
) -> None:
    with make_store(backend, request) as store:
        svc = _service(store)
        uid = json.loads(call(svc, "POST", "/Users", user("casey")).body)["id"]
        twice = group("team", [uid, uid.upper()])
        created = call(svc, "POST", "/Groups", twice)
        assert created.status == 201, created.body
        gid = json.loads(created.body)["id"]
        assert _members(svc, gid) == [uid]
        replaced = call(svc, "PUT", f"/Groups/{gid}", twice)
        assert replaced.status == 200, replaced.body
        assert _members(svc, gid) == [uid]
        itself = call(svc, "PUT", f"/Groups/{gid}", group("team", [gid.upper()]))
        assert itself.status == 400 and b"itself" in itself.body


@pytest.mark.parametrize("backend", BACKENDS)
def test_general_and_delta_paths_agree_on_case(
    backend: str, request: pytest.FixtureRequest
) -> None:
    answers = []
    for hook in (False, True):
        with make_store(backend, request) as store:
            svc = _service(store, hook=hook)
            uid = json.loads(call(svc, "POST", "/Users", user("casey")).body)["id"]
            gid = json.loads(call(svc, "POST", "/Groups", group("team", [uid])).body)["id"]
            seen = []
            for op in (
                {"op": "add", "path": "members", "value": [{"value": uid.upper()}]},
                {"op": "replace", "path": "members", "value": [{"value": uid}, {"value": uid}]},
                {"op": "remove", "path": f'members[value eq "{uid.upper()}"]'},
            ):
                reply = call(svc, "PATCH", f"/Groups/{gid}", patch(op))
                seen.append((reply.status, _members(svc, gid)))
            answers.append(seen)
    assert answers[0] == answers[1]
    assert answers[0][-1] == (200, [])
