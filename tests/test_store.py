"""The store contract: every Store implementation behaves like the in-memory reference."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from scimcore.errors import InvalidCursor, NotFound, PreconditionFailed, Uniqueness
from scimcore.schema import GROUP_URN, USER_URN
from scimcore.store import Query, Store
from tests.store_backends import BACKENDS, make_store


class _Where:
    """A tiny stand-in filter: a predicate over the resource."""

    def __init__(self, predicate: Callable[[Mapping[str, Any]], bool]) -> None:
        self._predicate = predicate

    def matches(self, resource: Mapping[str, Any]) -> bool:
        return self._predicate(resource)


def user(id: str, user_name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "id": id, "userName": user_name, **extra}


def group(id: str, name: str, members: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"schemas": [GROUP_URN], "id": id, "displayName": name}
    if members is not None:
        out["members"] = [{"value": m, "type": "User"} for m in members]
    return out


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with make_store(request.param, request) as s:
        yield s


def test_create_get_and_version(store: Store) -> None:
    with store.transaction() as tx:
        created = tx.create("User", user("u1", "alice", meta={"resourceType": "User"}))
    assert created.version == 1
    assert created.resource["meta"] == {"resourceType": "User", "version": 'W/"1"'}
    assert created.etag == 'W/"1"'
    with store.transaction(readonly=True) as tx:
        got = tx.get("User", "u1")
        assert tx.get("User", "nope") is None
        assert tx.get("Group", "u1") is None
    assert got is not None
    assert got.resource == created.resource
    assert got.version == 1


def test_returned_resources_are_copies(store: Store) -> None:
    with store.transaction() as tx:
        created = tx.create("User", user("u1", "alice", emails=[{"value": "a@x"}]))
    created.resource["emails"].append({"value": "b@x"})
    with store.transaction() as tx:
        got = tx.get("User", "u1")
        assert got is not None
        assert got.resource["emails"] == [{"value": "a@x"}]


def test_duplicate_user_name_is_case_insensitive(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "Alice@Example.com"))
    with pytest.raises(Uniqueness), store.transaction() as tx:
        tx.create("User", user("u2", "alice@example.COM"))
    with pytest.raises(Uniqueness), store.transaction() as tx:
        tx.create("User", user("u1", "bob"))
    with store.transaction() as tx:
        assert tx.get("User", "u2") is None
        assert tx.get("User", "u1") is not None
        # the same userName on another resource type is no clash
        tx.create("Group", {"id": "g1", "displayName": "x", "userName": "alice@example.com"})


def test_unicode_user_name_folds_like_python(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "ÉLODIE"))
    with pytest.raises(Uniqueness), store.transaction() as tx:
        tx.create("User", user("u2", "élodie"))


def test_replace_checks_version_inside_the_write(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
    with store.transaction() as tx:
        replaced = tx.replace("User", "u1", user("u1", "alice", active=False), expected_version=1)
    assert replaced.version == 2
    assert replaced.resource["meta"]["version"] == 'W/"2"'
    with pytest.raises(PreconditionFailed), store.transaction() as tx:
        tx.replace("User", "u1", user("u1", "alice"), expected_version=1)
    with store.transaction() as tx:
        assert tx.replace("User", "u1", user("u1", "ALICE")).version == 3
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.replace("User", "gone", user("gone", "x"))
    with store.transaction() as tx:
        got = tx.get("User", "u1")
        assert got is not None
        assert got.version == 3
        assert got.resource["userName"] == "ALICE"


def test_replace_cannot_take_another_user_name(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
        tx.create("User", user("u2", "bob"))
    with pytest.raises(Uniqueness), store.transaction() as tx:
        tx.replace("User", "u2", user("u2", "ALICE"))
    # the freed name can be taken after a rename
    with store.transaction() as tx:
        tx.replace("User", "u1", user("u1", "carol"))
        tx.create("User", user("u3", "alice"))


def test_delete(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
    with pytest.raises(PreconditionFailed), store.transaction() as tx:
        tx.delete("User", "u1", expected_version=7)
    with store.transaction() as tx:
        tx.delete("User", "u1", expected_version=1)
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.delete("User", "u1")
    with store.transaction() as tx:
        assert tx.get("User", "u1") is None
        tx.create("User", user("u9", "alice"))  # the name is free again


def test_exception_rolls_back_everything(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
        tx.create("Group", group("g1", "staff", ["u1"]))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.create("User", user("u2", "bob"))
        tx.replace("User", "u1", user("u1", "alice2"))
        tx.remove_member("u1")
        tx.delete("Group", "g1")
        raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.get("User", "u2") is None
        u1 = tx.get("User", "u1")
        assert u1 is not None
        assert (u1.resource["userName"], u1.version) == ("alice", 1)
        g1 = tx.get("Group", "g1")
        assert g1 is not None
        assert g1.resource["members"] == [{"value": "u1", "type": "User"}]
        assert [g.id for g in tx.groups_with_member("u1")] == ["g1"]
        tx.create("User", user("u3", "bob"))  # bob's name was released by the rollback


def test_search_filter_sort_and_index_paging(store: Store) -> None:
    with store.transaction() as tx:
        for i, name in enumerate(["carol", "Alice", "bob", "dave", "Eve"]):
            tx.create("User", user(f"u{i}", name, title="x" if i % 2 else None))
    with store.transaction() as tx:
        page = tx.search("User", Query())
        assert page.total == 5
        assert [r["userName"] for r in page.resources] == ["carol", "Alice", "bob", "dave", "Eve"]
        page = tx.search("User", Query(sort_by="userName"))
        assert [r["userName"] for r in page.resources] == ["Alice", "bob", "carol", "dave", "Eve"]
        page = tx.search("User", Query(sort_by="userName", sort_order="descending", count=2))
        assert [r["userName"] for r in page.resources] == ["Eve", "dave"]
        assert page.total == 5
        page = tx.search("User", Query(sort_by="userName", start_index=4, count=10))
        assert [r["userName"] for r in page.resources] == ["dave", "Eve"]
        assert page.start_index == 4
        page = tx.search("User", Query(start_index=0, count=0))
        assert (page.resources, page.total, page.start_index) == ([], 5, 1)
        odd = _Where(lambda r: r.get("title") == "x")
        page = tx.search("User", Query(filter=odd, sort_by="userName"))
        assert [r["userName"] for r in page.resources] == ["Alice", "dave"]
        assert page.total == 2


def test_search_missing_sort_values_go_last(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "a", title="b"))
        tx.create("User", user("u2", "b"))
        tx.create("User", user("u3", "c", title="A"))
    with store.transaction() as tx:
        asc = tx.search("User", Query(sort_by="title"))
        desc = tx.search("User", Query(sort_by="title", sort_order="descending"))
    assert [r["id"] for r in asc.resources] == ["u3", "u1", "u2"]
    assert [r["id"] for r in desc.resources] == ["u1", "u3", "u2"]


def test_cursor_paging_walks_every_resource_once(store: Store) -> None:
    with store.transaction() as tx:
        for i in range(7):
            tx.create("User", user(f"u{i}", f"name{i}"))
    for sort_by in (None, "userName"):
        seen: list[str] = []
        cursor = ""
        with store.transaction() as tx:
            while True:
                page = tx.search("User", Query(cursor=cursor, count=3, sort_by=sort_by))
                assert page.total == 7
                seen += [r["id"] for r in page.resources]
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        assert seen == [f"u{i}" for i in range(7)]


def test_cursor_survives_deletion_of_the_last_seen(store: Store) -> None:
    with store.transaction() as tx:
        for i in range(4):
            tx.create("User", user(f"u{i}", f"name{i}"))
        page = tx.search("User", Query(cursor="", count=2))
        assert page.next_cursor is not None
        tx.delete("User", "u1")
        rest = tx.search("User", Query(cursor=page.next_cursor, count=2))
    assert [r["id"] for r in rest.resources] == ["u2", "u3"]


def test_bad_cursor_is_invalid_cursor(store: Store) -> None:
    with store.transaction() as tx:
        for bad in ("!!!", "bm9wZQ", "eyJhZnRlciI6LTF9"):
            with pytest.raises(InvalidCursor):
                tx.search("User", Query(cursor=bad))


def test_find_by(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "Alice", externalId="E1"))
        tx.create("User", user("u2", "bob", externalId="e1"))
    with store.transaction() as tx:
        assert [s.id for s in tx.find_by("User", "userName", "ALICE")] == ["u1"]
        assert [s.id for s in tx.find_by("User", "externalId", "e1")] == ["u1", "u2"]
        assert tx.find_by("User", "userName", "zed") == []


def test_group_members_and_membership_helpers(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
        tx.create("User", user("u2", "bob"))
        tx.create("Group", group("g1", "staff", ["u1", "u2"]))
        tx.create("Group", group("g2", "admins", ["u2"]))
        tx.create("Group", group("g3", "empty", []))
    with store.transaction() as tx:
        g1 = tx.get("Group", "g1")
        assert g1 is not None
        assert [m["value"] for m in g1.resource["members"]] == ["u1", "u2"]
        slim = tx.get("Group", "g1", exclude_members=True)
        assert slim is not None
        assert "members" not in slim.resource
        assert slim.version == 1
        g3 = tx.get("Group", "g3")
        assert g3 is not None
        assert "members" not in g3.resource  # an empty multi-valued attribute is unassigned
        assert [g.id for g in tx.groups_with_member("u2")] == ["g1", "g2"]
        batch = tx.groups_with_members(["u2", "u1", "nobody", "u2"])
        assert {k: [g.id for g in v] for k, v in batch.items()} == {
            "u2": ["g1", "g2"],
            "u1": ["g1"],
            "nobody": [],
        }
        assert batch["u2"] == tx.groups_with_member("u2")
        assert all("members" not in g.resource for g in tx.groups_with_member("u2"))
        listing = tx.search("Group", Query(exclude_members=True))
        assert [("members" in r) for r in listing.resources] == [False, False, False]
        full = tx.search("Group", Query())
        assert [len(r.get("members", [])) for r in full.resources] == [2, 1, 0]
    with store.transaction() as tx:
        changed = tx.remove_member("u2", last_modified="2026-01-01T00:00:00Z")
        assert changed == ["g1", "g2"]
        tx.delete("User", "u2")
    with store.transaction() as tx:
        g1 = tx.get("Group", "g1")
        g2 = tx.get("Group", "g2")
        assert g1 is not None and g2 is not None
        assert [m["value"] for m in g1.resource["members"]] == ["u1"]
        assert g1.version == 2
        assert g1.resource["meta"] == {"version": 'W/"2"', "lastModified": "2026-01-01T00:00:00Z"}
        assert "members" not in g2.resource
        assert tx.groups_with_member("u2") == []
        assert tx.remove_member("u2") == []


def test_replace_group_members(store: Store) -> None:
    with store.transaction() as tx:
        for uid in ("a", "b", "c"):
            tx.create("User", user(uid, f"user-{uid}"))
        tx.create("Group", group("g1", "staff", ["a", "b"]))
        tx.replace("Group", "g1", group("g1", "staff", ["b", "c"]))
        assert [g.id for g in tx.groups_with_member("a")] == []
        assert [g.id for g in tx.groups_with_member("c")] == ["g1"]
        got = tx.get("Group", "g1")
        assert got is not None
        assert [m["value"] for m in got.resource["members"]] == ["b", "c"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_group_display_name_uniqueness_is_opt_in(
    backend: str, request: pytest.FixtureRequest
) -> None:
    with make_store(backend, request) as plain, plain.transaction() as tx:
        tx.create("Group", group("g1", "Staff"))
        tx.create("Group", group("g2", "staff"))
    with make_store(backend, request, unique_group_display_name=True) as strict:
        with strict.transaction() as tx:
            tx.create("Group", group("g1", "Staff"))
        with pytest.raises(Uniqueness), strict.transaction() as tx:
            tx.create("Group", group("g2", "staff"))


def test_a_caught_uniqueness_leaves_the_transaction_usable(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", user("u1", "alice"))
        tx.create("User", user("u2", "bob"))
        with pytest.raises(Uniqueness):
            tx.create("User", user("u3", "ALICE"))
        with pytest.raises(Uniqueness):
            tx.replace("User", "u2", user("u2", "Alice"))
        tx.create("User", user("u4", "carol"))
    with store.transaction() as tx:
        assert tx.get("User", "u3") is None
        u2 = tx.get("User", "u2")
        assert u2 is not None
        assert (u2.resource["userName"], u2.version) == ("bob", 1)
        assert [s.id for s in tx.find_by("User", "userName", "bob")] == ["u2"]
        assert tx.search("User", Query()).total == 3


def test_the_core_imports_without_psycopg() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import scimcore, scimcore.store; "
        "assert 'psycopg' not in sys.modules, 'psycopg imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_reopening_a_store_keeps_everything(kind: str, request: pytest.FixtureRequest) -> None:
    from scimcore.store import PostgresStore, SqliteStore

    if kind == "sqlite":
        path = str(request.getfixturevalue("tmp_path") / "again.db")

        def open_store() -> Store:
            return SqliteStore(path)
    else:
        from tests.store_backends import pg_schema

        dsn = request.getfixturevalue("pg_dsn")
        schema = pg_schema(request, dsn)

        def open_store() -> Store:
            return PostgresStore(dsn, schema=schema, prefix="reopen_", max_size=2)

    first = open_store()
    with first.transaction() as tx:
        tx.create("User", user("u1", "alice", emails=[{"value": "a@x.org"}]))
        tx.create("Group", group("g1", "staff", ["u1"]))
    first.close()
    again = open_store()
    try:
        with again.transaction() as tx:
            assert tx.search("User", Query()).total == 1
            assert tx.search("Group", Query()).total == 1
            assert [g.id for g in tx.groups_with_member("u1")] == ["g1"]
            with pytest.raises(Uniqueness):
                tx.create("User", user("u2", "ALICE"))
    finally:
        again.close()
