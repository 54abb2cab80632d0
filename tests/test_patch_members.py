"""Group member PATCHes as store deltas: the same rows as a full rewrite, the same answers.

Store level: ``update_group`` with a :class:`MemberDelta` leaves the member rows a ``replace``
with the whole new member list leaves (SQLite, PostgreSQL, memory). Service level: a random
sequence of member PATCHes gives the same group through the delta path as through the general
path (forced by a before-write hook that changes nothing); caps and the reply's projection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimcore import ServiceConfig
from scimcore.service import BearerTokens, ScimService
from scimcore.store import MemberDelta, MemberDeltas, MemoryStore, SqliteStore, Store
from tests._service_support import TOKEN, Clock, call, group, ids, patch, user
from tests.store_backends import BACKENDS, make_store

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
IDS = [f"u{i}" for i in range(8)]


def _element(uid: str) -> dict[str, Any]:
    return {"value": uid, "type": "User", "display": uid.upper()}


def _seed(store: Store, gid: str, members: list[str]) -> None:
    with store.transaction() as tx:
        for uid in IDS:
            if tx.get("User", uid) is None:
                tx.create("User", {"schemas": [USER_URN], "id": uid, "userName": uid})
        body: dict[str, Any] = {"schemas": [GROUP_URN], "id": gid, "displayName": gid}
        if members:
            body["members"] = [_element(m) for m in members]
        tx.create("Group", body)


def _rows(store: Store, gid: str) -> Any:
    """What the store keeps of a group's members: rows in order (SQL) or the member list."""
    if isinstance(store, MemoryStore):
        with store.transaction(readonly=True) as tx:
            found = tx.get("Group", gid)
            assert found is not None
            return found.resource.get("members", [])
    conn_rows: list[Any] = []
    with store.transaction(readonly=True) as tx:
        seq = tx._group_seq(gid)  # type: ignore[attr-defined]
        cur = tx._x(  # type: ignore[attr-defined]
            f"SELECT member_id, data, user_ref, group_ref FROM {tx._members_table}"  # type: ignore[attr-defined]
            " WHERE group_seq = %s ORDER BY position",
            [seq],
        )
        for member, data, user_ref, group_ref in cur.fetchall():
            loaded = json.loads(data) if isinstance(data, str) else data
            conn_rows.append((member, loaded, user_ref, group_ref))
    return conn_rows


DELTAS = [
    ([], MemberDelta(added=(_element("u1"),))),
    (["u1", "u2", "u3"], MemberDelta(removed=("u2",))),
    (["u1", "u2", "u3"], MemberDelta(removed=("u1", "u3"), added=(_element("u4"),))),
    (["u1", "u2"], MemberDelta(removed=("u1",), added=(_element("u1"),))),
    (["u1", "u2", "u3"], MemberDelta(clear=True, added=(_element("u3"), _element("u0")))),
    (["u1", "u2", "u3"], MemberDelta(removed=("u1", "u2", "u3"))),
    (["u5"], MemberDelta(removed=("nobody",))),
]


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize(("members", "delta"), DELTAS)
def test_a_member_delta_leaves_the_rows_a_full_rewrite_leaves(
    kind: str, members: list[str], delta: MemberDelta, request: pytest.FixtureRequest
) -> None:
    with make_store(kind, request) as store:
        _seed(store, "g-delta", members)
        _seed(store, "g-full", members)
        with store.transaction() as tx:
            old = tx.get("Group", "g-delta", exclude_members=True)
            assert old is not None
            slim = {**old.resource, "displayName": "renamed"}
            stored = _deltas(tx).update_group("g-delta", slim, delta, expected_version=old.version)
            assert stored.version == old.version + 1 and "members" not in stored.resource
            full = tx.get("Group", "g-full")
            assert full is not None
            new = delta.apply([_element(m) for m in members])
            body = {**full.resource, "displayName": "renamed", "members": new}
            tx.replace("Group", "g-full", body, expected_version=full.version)
        assert _rows(store, "g-delta") == _rows(store, "g-full")
        with store.transaction(readonly=True) as tx:
            a, b = tx.get("Group", "g-delta"), tx.get("Group", "g-full")
            assert a is not None and b is not None
            assert a.resource.get("members") == b.resource.get("members")
            assert _deltas(tx).member_count("g-delta") == len(
                delta.apply([_element(m) for m in members])
            )
            assert _deltas(tx).members_among("g-delta", ["U1", "u0", "zz"]) == {
                m.lower(): m for m in ("u1", "u0") if any(e["value"] == m for e in new)
            }


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_version_check_and_the_foreign_keys_hold(
    kind: str, request: pytest.FixtureRequest
) -> None:
    from scimcore.errors import InvalidValue, PreconditionFailed

    with make_store(kind, request) as store:
        _seed(store, "g", ["u1"])
        with pytest.raises(PreconditionFailed), store.transaction() as tx:
            old = tx.get("Group", "g", exclude_members=True)
            assert old is not None
            _deltas(tx).update_group(
                "g", old.resource, MemberDelta(), expected_version=old.version + 5
            )
        with pytest.raises(InvalidValue), store.transaction() as tx:
            old = tx.get("Group", "g", exclude_members=True)
            assert old is not None
            ghost = MemberDelta(added=(_element("ghost"),))
            _deltas(tx).update_group("g", old.resource, ghost, expected_version=old.version)
        assert [m["value"] for m in _members(store, "g")] == ["u1"]


def _deltas(tx: Any) -> MemberDeltas:
    assert isinstance(tx, MemberDeltas)
    return tx


def _members(store: Store, gid: str) -> list[dict[str, Any]]:
    with store.transaction(readonly=True) as tx:
        found = tx.get("Group", gid)
        assert found is not None
        return list(found.resource.get("members", []))


# -- the service: the delta path answers as the general path does ------------------------------


def _service(store: Store, *, general: bool, **options: Any) -> ScimService:
    hooks: tuple[Any, ...] = (lambda event: None,) if general else ()  # forces the general path
    config = ServiceConfig(
        authenticator=BearerTokens.from_tokens({"t": TOKEN}), before_write=hooks, **options
    )
    return ScimService(store, config, clock=Clock(), id_factory=ids())


def _member_op() -> st.SearchStrategy[dict[str, Any]]:
    some = st.lists(st.sampled_from([*IDS, "U1"]), max_size=3)
    return st.one_of(
        st.builds(
            lambda v: {"op": "add", "path": "members", "value": [{"value": x} for x in v]}, some
        ),
        st.builds(
            lambda v: {"op": "remove", "path": f'members[value eq "{v}"]'},
            st.sampled_from([*IDS, "U2", "nobody"]),
        ),
        st.builds(
            lambda v: {"op": "remove", "path": "members", "value": [{"value": x} for x in v]},
            some,
        ),
        st.builds(
            lambda v: {"op": "replace", "path": "members", "value": [{"value": x} for x in v]}, some
        ),
        st.just({"op": "remove", "path": "members"}),
        st.just({"op": "replace", "path": "displayName", "value": "renamed"}),
    )


def _ids(store: Store) -> None:
    with store.transaction() as tx:
        for uid in IDS:
            tx.create("User", {"schemas": [USER_URN], "id": uid, "userName": uid})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(_member_op(), min_size=1, max_size=4), min_size=1, max_size=4))
def test_member_patches_answer_as_the_general_path(
    tmp_path_factory: pytest.TempPathFactory, requests: list[list[dict[str, Any]]]
) -> None:
    results = []
    for general in (False, True):
        store = SqliteStore(str(tmp_path_factory.mktemp("members") / "scim.db"))
        _ids(store)
        svc = _service(store, general=general)
        created = call(svc, "POST", "/Groups", group("team", ["u0", "u1"]))
        gid = json.loads(created.body)["id"]
        seen = []
        for ops in requests:
            answer = call(svc, "PATCH", f"/Groups/{gid}", patch(*ops))
            seen.append(answer.status)
        final = json.loads(call(svc, "GET", f"/Groups/{gid}").body)
        final.pop("meta")
        results.append((seen, final))
        store.close()
    assert results[0] == results[1]


def test_caps_and_the_reply(tmp_path: Any) -> None:
    store = SqliteStore(str(tmp_path / "scim.db"))
    _ids(store)
    svc = _service(store, general=False, max_members=3, max_values=2, patch_max_operations=2)
    gid = json.loads(call(svc, "POST", "/Groups", group("team", ["u0", "u1"])).body)["id"]
    add = patch({"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]})
    refused = call(svc, "PATCH", f"/Groups/{gid}", add)
    assert refused.status == 400 and json.loads(refused.body)["scimType"] == "tooMany"
    assert [m["value"] for m in _members(store, gid)] == ["u0", "u1"]
    ops = [{"op": "add", "path": "members", "value": [{"value": "u2"}]}] * 3
    assert json.loads(call(svc, "PATCH", f"/Groups/{gid}", patch(*ops)).body)["scimType"] == (
        "tooMany"
    )
    emails = [{"value": f"{i}@x.io"} for i in range(3)]
    many = call(svc, "POST", "/Users", user("many", emails=emails))
    assert many.status == 400 and json.loads(many.body)["scimType"] == "tooMany"
    one = patch({"op": "add", "path": "members", "value": [{"value": "u2"}]})
    slim = call(svc, "PATCH", f"/Groups/{gid}", one, query={"excludedAttributes": "members"})
    assert slim.status == 200 and "members" not in json.loads(slim.body)
    assert json.loads(slim.body)["displayName"] == "team"
    full = call(
        svc, "PATCH", f"/Groups/{gid}", patch({"op": "remove", "path": 'members[value eq "u0"]'})
    )
    assert [m["value"] for m in json.loads(full.body)["members"]] == ["u1", "u2"]
    assert json.loads(full.body)["members"][0]["type"] == "User"
    quiet = _service(store, general=False, patch_response="no_content")
    assert call(quiet, "PATCH", f"/Groups/{gid}", one).status == 204
    store.close()
