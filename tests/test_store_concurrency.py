"""Concurrency: racing identical creates give one Uniqueness; checked writes lose nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scimcore.errors import PreconditionFailed, Uniqueness
from scimcore.schema import USER_URN
from scimcore.store import Store
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
