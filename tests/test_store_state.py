"""A hypothesis state machine drives SQLite and PostgreSQL stores beside the in-memory reference."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from scimcore.errors import ScimError
from scimcore.filter import parse_filter
from scimcore.schema import GROUP_URN, USER_URN
from scimcore.store import MemoryStore, PostgresStore, Query, SqliteStore, Store, Stored

USER_IDS = [f"u{i}" for i in range(5)]
GROUP_IDS = [f"g{i}" for i in range(3)]
NAMES = ["alice", "ALICE", "Bob", "bob", "élodie", "ÉLODIE", "carol"]
FILTERS = [
    None,
    'userName eq "alice"',
    'userName eq "ÉLODIE" or userName eq "bob"',
    "title pr",
    'userName sw "b" and active eq true',
    'not (title eq "x")',
    'displayName eq "Staff"',
    'emails[value eq "bob@example.org"]',
    'emails.value eq "ALICE@example.org" and userName eq "alice"',
    'members[value eq "u1"]',
    'id eq "g1" and members[value eq "u2"]',
]
SORTS = [None, "userName", "title", "displayName", "meta.version"]

_prefixes = itertools.count()
_rolled_back = RuntimeError("the request failed")


def _outcome(work: Callable[[], Any]) -> Any:
    """What an operation gave: its value or its error type (the message may differ)."""
    try:
        return work()
    except ScimError as exc:
        return ("error", type(exc).__name__)
    except RuntimeError as exc:
        assert exc is _rolled_back
        return ("rolled back",)


def _stored(value: Stored | None) -> Any:
    return None if value is None else (value.resource, value.version)


class StoreMachine(RuleBasedStateMachine):
    """Each step runs on the reference and on the store under test; the outcomes must agree."""

    make_store: Callable[[], tuple[Store, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.reference = MemoryStore()
        self.store, self._cleanup = type(self).make_store()

    def teardown(self) -> None:
        self._cleanup()

    def both(self, operation: Callable[[Any], Any], *, fail: bool = False) -> Any:
        results = []
        for store in (self.reference, self.store):

            def run(store: Store = store) -> Any:
                with store.transaction() as tx:
                    value = operation(tx)
                    if fail:
                        raise _rolled_back
                    return value

            results.append(_outcome(run))
        assert results[0] == results[1]
        return results[0]

    @rule(
        id=st.sampled_from(USER_IDS),
        name=st.sampled_from(NAMES),
        title=st.sampled_from([None, "x", "Y", ""]),
        active=st.booleans(),
        fail=st.booleans(),
    )
    def create_user(self, id: str, name: str, title: str | None, active: bool, fail: bool) -> None:
        user: dict[str, Any] = {"schemas": [USER_URN], "id": id, "userName": name}
        user["active"] = active
        user["emails"] = [{"value": f"{name}@Example.org", "type": "work"}]
        if title is not None:
            user["title"] = title
        self.both(lambda tx: _stored(tx.create("User", user)), fail=fail)

    @rule(
        id=st.sampled_from(USER_IDS),
        name=st.sampled_from(NAMES),
        title=st.sampled_from([None, "x", "Y"]),
        expected=st.none() | st.integers(1, 4),
        fail=st.booleans(),
    )
    def replace_user(
        self, id: str, name: str, title: str | None, expected: int | None, fail: bool
    ) -> None:
        user: dict[str, Any] = {"schemas": [USER_URN], "id": id, "userName": name}
        if title is not None:
            user["title"] = title
        self.both(
            lambda tx: _stored(tx.replace("User", id, user, expected_version=expected)), fail=fail
        )

    @rule(id=st.sampled_from(USER_IDS), expected=st.none() | st.integers(1, 3), fail=st.booleans())
    def delete_user(self, id: str, expected: int | None, fail: bool) -> None:
        def work(tx: Any) -> Any:
            tx.delete("User", id, expected_version=expected)
            return tx.remove_member(id, last_modified="2026-01-01T00:00:00Z")

        self.both(work, fail=fail)

    @rule(
        id=st.sampled_from(GROUP_IDS),
        name=st.sampled_from(["Staff", "staff", "Admins"]),
        members=st.lists(st.sampled_from(USER_IDS), max_size=4, unique=True),
        replace=st.booleans(),
        fail=st.booleans(),
    )
    def write_group(
        self, id: str, name: str, members: list[str], replace: bool, fail: bool
    ) -> None:
        group = {
            "schemas": [GROUP_URN],
            "id": id,
            "displayName": name,
            "members": [{"value": m, "type": "User"} for m in members],
        }
        if replace:
            self.both(lambda tx: _stored(tx.replace("Group", id, group)), fail=fail)
        else:
            self.both(lambda tx: _stored(tx.create("Group", group)), fail=fail)

    @rule(id=st.sampled_from(USER_IDS + GROUP_IDS), exclude=st.booleans())
    def get(self, id: str, exclude: bool) -> None:
        rt = "User" if id.startswith("u") else "Group"
        self.both(lambda tx: _stored(tx.get(rt, id, exclude_members=exclude)))

    @rule(ids=st.lists(st.sampled_from(USER_IDS), min_size=1, max_size=3))
    def memberships(self, ids: list[str]) -> None:
        self.both(lambda tx: [_stored(s) for s in tx.groups_with_member(ids[0])])
        self.both(
            lambda tx: {k: [_stored(s) for s in v] for k, v in tx.groups_with_members(ids).items()}
        )

    @rule(name=st.sampled_from(NAMES))
    def find(self, name: str) -> None:
        self.both(lambda tx: [_stored(s) for s in tx.find_by("User", "userName", name)])

    @rule(
        rt=st.sampled_from(["User", "Group"]),
        text=st.sampled_from(FILTERS),
        sort_by=st.sampled_from(SORTS),
        descending=st.booleans(),
        start=st.integers(0, 4),
        count=st.none() | st.integers(0, 3),
        exclude=st.booleans(),
    )
    def search(
        self,
        rt: str,
        text: str | None,
        sort_by: str | None,
        descending: bool,
        start: int,
        count: int | None,
        exclude: bool,
    ) -> None:
        try:
            flt = None if text is None else parse_filter(text)
        except ScimError:
            return
        query = Query(
            filter=flt,
            sort_by=sort_by,
            sort_order="descending" if descending else "ascending",
            start_index=start,
            count=count,
            exclude_members=exclude,
        )
        self.both(lambda tx: _page(tx.search(rt, query)))

    @rule(
        rt=st.sampled_from(["User", "Group"]),
        sort_by=st.sampled_from([None, "userName"]),
        count=st.integers(1, 3),
    )
    def cursor_walk(self, rt: str, sort_by: str | None, count: int) -> None:
        def walk(tx: Any) -> Any:
            pages, cursor = [], ""
            for _ in range(20):
                page = tx.search(rt, Query(cursor=cursor, count=count, sort_by=sort_by))
                pages.append((page.total, page.resources, page.start_index))
                if page.next_cursor is None:
                    return pages
                cursor = page.next_cursor
            raise AssertionError("the cursor walk did not end")

        self.both(walk)

    @invariant()
    def same_contents(self) -> None:
        self.both(
            lambda tx: (_page(tx.search("User", Query())), _page(tx.search("Group", Query())))
        )


def _page(page: Any) -> Any:
    return page.total, page.resources, page.start_index


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# every PostgreSQL step is a few round trips: fewer examples keep the test in seconds
PG_SETTINGS = settings(SETTINGS, max_examples=12)


def test_sqlite_behaves_like_memory() -> None:
    def make() -> tuple[Store, Callable[[], None]]:
        folder = tempfile.mkdtemp(prefix="scimcore-store-")
        store = SqliteStore(f"{folder}/scim.db")

        def cleanup() -> None:
            store.close()
            shutil.rmtree(folder, ignore_errors=True)

        return store, cleanup

    StoreMachine.make_store = staticmethod(make)  # type: ignore[method-assign]
    run_state_machine_as_test(StoreMachine, settings=SETTINGS)


@pytest.mark.postgres
def test_postgres_behaves_like_memory(pg_dsn: str, request: pytest.FixtureRequest) -> None:
    from tests.store_backends import pg_schema

    # one store for every example (DDL per example is slow); emptied between examples
    store = PostgresStore(
        pg_dsn, schema=pg_schema(request, pg_dsn), prefix=f"sm{next(_prefixes)}_", max_size=2
    )
    tables = [
        f"{store._prefix}{name}" for name in ("user", "group", "member", "unique", "user_email")
    ]

    def empty() -> None:
        with store._pool.connection() as conn, conn.transaction():
            conn.execute(f"TRUNCATE {', '.join(tables)}")
            conn.execute(f"UPDATE {store._prefix}count_shard SET n = 0")

    def make() -> tuple[Store, Callable[[], None]]:
        return store, empty

    StoreMachine.make_store = staticmethod(make)  # type: ignore[method-assign]
    try:
        run_state_machine_as_test(StoreMachine, settings=PG_SETTINGS)
    finally:
        store.drop()
        store.close()
