"""Concurrency: racing identical creates give one Uniqueness; checked writes lose nothing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import pytest

from scimcore.errors import PreconditionFailed, Uniqueness
from scimcore.schema import USER_URN
from scimcore.store import Query, Store
from tests.store_backends import BACKENDS, make_store

THREADS = 6


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with make_store(request.param, request) as s:
        yield s


def _race(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on THREADS threads released together; collect results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_identical_creates_race_to_one_success(store: Store) -> None:
    def create(i: int) -> str:
        with store.transaction() as tx:
            resource = {"schemas": [USER_URN], "id": f"u{i}", "userName": "Same@Example.com"}
            return tx.create("User", resource).id

    results = _race(create)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, Uniqueness)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, results
    with store.transaction() as tx:
        found = tx.find_by("User", "userName", "same@example.com")
    assert [s.id for s in found] == winners


def test_read_modify_write_loses_no_update(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", {"schemas": [USER_URN], "id": "u", "userName": "u", "nickName": ""})
    rounds = 5

    def append(i: int) -> int:
        done = 0
        while done < rounds:
            try:
                with store.transaction() as tx:
                    current = tx.get("User", "u", for_update=True)
                    assert current is not None
                    resource = dict(current.resource)
                    resource["nickName"] += str(i)
                    tx.replace("User", "u", resource, expected_version=current.version)
                done += 1
            except PreconditionFailed:
                continue  # somebody else won this round: read again
        return done

    results = _race(append)
    assert all(r == rounds for r in results), results
    with store.transaction() as tx:
        final = tx.get("User", "u")
    assert final is not None
    assert final.version == 1 + THREADS * rounds
    assert sorted(final.resource["nickName"]) == sorted(
        "".join(str(i) * rounds for i in range(THREADS))
    )


def test_stale_expected_version_never_overwrites(store: Store) -> None:
    with store.transaction() as tx:
        tx.create("User", {"schemas": [USER_URN], "id": "u", "userName": "u"})

    def replace(i: int) -> int:
        with store.transaction() as tx:
            resource = {"schemas": [USER_URN], "id": "u", "userName": "u", "title": str(i)}
            return tx.replace("User", "u", resource, expected_version=1).version

    results = _race(replace)
    assert [r for r in results if isinstance(r, int)] == [2]
    assert sum(isinstance(r, PreconditionFailed) for r in results) == THREADS - 1


def test_concurrent_creates_and_deletes_keep_the_total(store: Store) -> None:
    with store.transaction() as tx:
        for i in range(THREADS):
            tx.create("User", {"schemas": [USER_URN], "id": f"old{i}", "userName": f"old{i}"})

    def churn(i: int) -> int:
        for k in range(10):
            with store.transaction() as tx:
                tx.create(
                    "User", {"schemas": [USER_URN], "id": f"n{i}-{k}", "userName": f"n{i}-{k}"}
                )
        with store.transaction() as tx:
            tx.delete("User", f"old{i}")
        return 10

    assert _race(churn) == [10] * THREADS
    with store.transaction(readonly=True) as tx:
        page = tx.search("User", Query(count=0))
        listed = tx.search("User", Query())
    assert page.total == len(listed.resources) == THREADS * 10


@pytest.mark.postgres
def test_postgres_creates_in_flight_do_not_wait_for_each_other(
    request: pytest.FixtureRequest,
) -> None:
    """Two uncommitted creates on two connections: the second finishes while the first is open
    (a single counter row, locked until commit, made every create wait for the one before)."""
    with make_store("postgres", request) as store:
        done, same_shard = threading.Event(), threading.Event()
        with store.transaction() as first:
            first.create("User", {"schemas": [USER_URN], "id": "a", "userName": "a"})
            mine = first._c.execute("SELECT pg_backend_pid()").fetchone()[0]

            def second() -> None:
                with store.transaction() as tx:
                    pid = tx._c.execute("SELECT pg_backend_pid()").fetchone()[0]
                    if pid % 64 == mine % 64:  # the same counter shard: no claim to test
                        same_shard.set()
                        return
                    tx._c.execute("SET LOCAL lock_timeout = '5s'")
                    tx.create("User", {"schemas": [USER_URN], "id": "b", "userName": "b"})
                    done.set()

            worker = threading.Thread(target=second)
            worker.start()
            worker.join(10)
            if same_shard.is_set():
                pytest.skip("both connections landed on one counter shard (1 in 64)")
            assert done.is_set(), "the second create waited for the first transaction"
        with store.transaction(readonly=True) as tx:
            assert tx.search("User", Query(count=0)).total == 2


def test_sqlite_checkpoints_the_wal_outside_commits(tmp_path: Any) -> None:
    """Connections do not checkpoint on commit; the store does it every so many commits, so the
    WAL keeps being reused instead of growing with every write."""
    from scimcore.store import SqliteStore
    from scimcore.store._sqlite import _CHECKPOINT_EVERY, _CHECKPOINT_FRAMES

    store = SqliteStore(str(tmp_path / "scim.db"))
    try:
        with store.transaction() as tx:
            assert tx._c.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        commits = 3 * _CHECKPOINT_EVERY
        for i in range(commits):
            with store.transaction() as tx:
                tx.create("User", {"schemas": [USER_URN], "id": f"u{i}", "userName": f"u{i}"})
        # the frames now in the WAL: only those written since it was last reset
        with closing(sqlite3.connect(tmp_path / "scim.db")) as conn:
            busy, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0
        # a user's create writes at least 4 pages (its row, the id index, its unique value, the
        # count): 2,400 frames or more without checkpoints
        assert 0 < frames <= 2 * _CHECKPOINT_FRAMES
    finally:
        store.close()


def test_sqlite_closes_the_connection_of_a_thread_that_ended(tmp_path: Any) -> None:
    """A server that starts a thread per request (wsgiref's) must not keep every request's
    connection, and its open files, until the process runs out of them."""
    from scimcore.store import SqliteStore

    store = SqliteStore(str(tmp_path / "scim.db"))
    try:

        def request(i: int) -> None:
            with store.transaction() as tx:
                tx.create("User", {"schemas": [USER_URN], "id": f"u{i}", "userName": f"u{i}"})
            with store.transaction(readonly=True) as tx:
                assert tx.get("User", f"u{i}") is not None

        for i in range(40):
            thread = threading.Thread(target=request, args=(i,))
            thread.start()
            thread.join()
        # this thread's own connection and the writers' one are all that is left open
        assert len(store._all) <= 2
        with store.transaction(readonly=True) as tx:
            assert tx.search("User", Query(count=0)).total == 40
    finally:
        store.close()


def test_a_write_after_a_locking_read_sees_every_change_made_since(store: Store) -> None:
    """Writes after ``get(for_update=True)`` reuse the row's seq/version; a member removal that
    bumps the group's version in between must not make the next write of that group fail."""
    from scimcore.schema import GROUP_URN

    with store.transaction() as tx:
        tx.create("User", {"schemas": [USER_URN], "id": "u1", "userName": "u1"})
        tx.create(
            "Group",
            {
                "schemas": [GROUP_URN],
                "id": "g1",
                "displayName": "G",
                "members": [{"value": "u1", "type": "User"}],
            },
        )
    with store.transaction() as tx:
        got = tx.get("Group", "g1", for_update=True)
        assert got is not None
        tx.remove_member("u1")
        tx.delete("User", "u1")
        stored = tx.replace("Group", "g1", {"schemas": [GROUP_URN], "displayName": "H"})
        second = tx.replace("Group", "g1", {"schemas": [GROUP_URN], "displayName": "I"})
    assert second.version == stored.version + 1
    with store.transaction(readonly=True) as tx:
        final = tx.get("Group", "g1")
    assert final is not None
    assert final.resource["displayName"] == "I"
    assert final.version == second.version
