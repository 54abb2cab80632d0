"""Filters through every store give the results of the in-memory reference, pushed down or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scimcore.errors import ScimError
from scimcore.filter import parse_filter
from scimcore.schema import ENTERPRISE_USER_URN, GROUP_URN, USER_URN
from scimcore.store import MemoryStore, Query, Store
from tests.store_backends import BACKENDS, make_store

USERS: list[dict[str, Any]] = [
    {
        "userName": "alice@example.com",
        "externalId": "A1",
        "active": True,
        "title": "Boss",
        "emails": [{"value": "Alice@Example.com", "type": "work", "primary": True}],
        "name": {"givenName": "Alice", "familyName": "Zed"},
    },
    {
        "userName": "Bob@example.com",
        "externalId": "a1",
        "active": False,
        "emails": [{"value": "bob@home.org", "type": "home"}],
        "name": {"familyName": "young"},
    },
    {
        "userName": "carol",
        "externalId": "C3",
        "title": "boss",
        "nickName": "Ca",
        ENTERPRISE_USER_URN: {"employeeNumber": "42", "department": "R&D"},
        "schemas": [USER_URN, ENTERPRISE_USER_URN],
    },
    {"userName": "ÉLODIE", "active": True, "name": {"givenName": "élodie"}},
    {"userName": "dave", "title": "", "emails": []},
]

FILTERS = [
    'userName eq "ALICE@example.com"',
    'userName eq "élodie"',
    'username EQ "carol"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol"',
    'externalId eq "a1"',
    'externalId eq "A1"',
    'id eq "u2"',
    'userName eq "carol" or externalId eq "A1"',
    'userName eq "carol" and title pr',
    'userName eq "carol" and title eq "nope"',
    'userName eq "carol" or title pr',
    "title pr",
    'title eq "BOSS"',
    'emails[type eq "work" and value co "example"]',
    'emails.value ew ".org"',
    'emails[value eq "alice@EXAMPLE.com"]',
    'emails.value eq "BOB@home.org"',
    'emails[type eq "work" and value eq "alice@example.com"]',
    'emails[type eq "home" and value eq "alice@example.com"]',
    'emails.value eq "bob@home.org" and active eq false',
    'emails.value eq "bob@home.org" or userName eq "carol"',
    'not (emails.value eq "bob@home.org")',
    "active eq true",
    "not (active eq true)",
    'name.familyName sw "Z"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"',
    "meta.version pr",
]


@pytest.fixture(params=BACKENDS, scope="module")
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Store, MemoryStore]]:
    reference = MemoryStore()
    with make_store(request.param, request) as store:
        for s in (store, reference):
            with s.transaction() as tx:
                for i, u in enumerate(USERS):
                    tx.create("User", {"schemas": [USER_URN], **u, "id": f"u{i}"})
                tx.create(
                    "Group",
                    {
                        "schemas": [GROUP_URN],
                        "id": "g1",
                        "displayName": "Staff",
                        "members": [{"value": "u0"}, {"value": "u1"}],
                    },
                )
                tx.create(
                    "Group",
                    {
                        "schemas": [GROUP_URN],
                        "id": "g2",
                        "displayName": "staff2",
                        "externalId": "X",
                    },
                )
        yield store, reference


def _run(store: Store, rt: str, query: Query) -> tuple[int, list[Any]] | str:
    try:
        with store.transaction(readonly=True) as tx:
            page = tx.search(rt, query)
    except ScimError as exc:
        return type(exc).__name__
    return page.total, page.resources


@pytest.mark.parametrize("text", FILTERS)
def test_user_filters_agree(loaded: tuple[Store, MemoryStore], text: str) -> None:
    store, reference = loaded
    query = Query(filter=parse_filter(text))
    assert _run(store, "User", query) == _run(reference, "User", query)


@pytest.mark.parametrize(
    "text",
    [
        'displayName eq "STAFF"',
        'displayName eq "nobody" and userName eq "x"',
        'userName eq "alice@example.com"',
        'members[value eq "u1"]',
        'id eq "g1" and members[value eq "u1"]',
        "members pr",
        'externalId eq "x"',
        'displayName sw "staff"',
    ],
)
@pytest.mark.parametrize("exclude", [False, True])
def test_group_filters_agree(loaded: tuple[Store, MemoryStore], text: str, exclude: bool) -> None:
    store, reference = loaded
    query = Query(filter=parse_filter(text), exclude_members=exclude)
    assert _run(store, "Group", query) == _run(reference, "Group", query)


@pytest.mark.parametrize(
    "sort_by",
    [
        "userName",
        "title",
        "name.familyName",
        "emails",
        "emails.value",
        "active",
        "externalId",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "meta.version",
    ],
)
@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_sorting_agrees(loaded: tuple[Store, MemoryStore], sort_by: str, order: Any) -> None:
    store, reference = loaded
    for query in (
        Query(sort_by=sort_by, sort_order=order),
        Query(sort_by=sort_by, sort_order=order, start_index=2, count=2),
        Query(filter=parse_filter("title pr"), sort_by=sort_by, sort_order=order),
    ):
        assert _run(store, "User", query) == _run(reference, "User", query)


def test_email_lookup_uses_the_email_index(tmp_path: Any) -> None:
    from scimcore.store import SqliteStore

    store = SqliteStore(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.create(
            "User",
            {
                "schemas": [USER_URN],
                "id": "u1",
                "userName": "a",
                "emails": [{"value": "A@x.org"}, {"value": "a@X.org"}],
            },
        )
        tx.replace(
            "User",
            "u1",
            {"schemas": [USER_URN], "id": "u1", "userName": "a", "emails": [{"value": "b@x.org"}]},
        )
        assert tx.search("User", Query(filter=parse_filter('emails.value eq "a@x.org"'))).total == 0
        assert (
            tx.search("User", Query(filter=parse_filter('emails[value eq "B@x.org"]'))).total == 1
        )
    conn = store._connection()
    rows = conn.execute("SELECT seq, value FROM scim_user_email").fetchall()
    assert rows == [(1, "b@x.org")]
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT seq FROM scim_user WHERE seq IN"
        " (SELECT seq FROM scim_user_email WHERE value = ?)",
        ["b@x.org"],
    ).fetchall()
    assert any("scim_user_email_value" in row[3] for row in plan), plan
    with store.transaction() as tx:
        tx.delete("User", "u1")
    assert conn.execute("SELECT count(*) FROM scim_user_email").fetchone() == (0,)
    store.close()
