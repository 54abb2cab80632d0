"""Properties over generated users and filters.

* in memory == SQLite == PostgreSQL (a real server, in a schema of its own);
* ``not (f)`` selects exactly the resources ``f`` does not (logic is two-valued: a comparison
  with a missing attribute is false, so its negation is true);
* agreement with scim2-filter-parser 0.7.0 on the filters it gets right: ASCII values, and/or
  always parenthesised when mixed, attributes that are always present, ``title`` values in lower
  case (it compares case-sensitively where SCIM says case-insensitively), no LIKE wildcards.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimcore import parse_filter
from scimcore.filter import (
    And,
    AttrPath,
    Compare,
    Node,
    Not,
    Or,
    Present,
    ValuePath,
    compile_sql,
    register_sqlite_functions,
    to_text,
)
from scimcore.schema import DEFAULT_REGISTRY, USER_URN

ACME = "urn:example:params:scim:schemas:extension:prop:2.0:User"
REGISTRY = DEFAULT_REGISTRY.with_extension(
    "User",
    {
        "id": ACME,
        "name": "PropUser",
        "attributes": [
            {"name": "level", "type": "integer"},
            {"name": "vip", "type": "boolean"},
            {"name": "tags", "type": "string", "multiValued": True},
        ],
    },
)

# Small pools, so generated filters hit generated users often. No characters on which Python's
# str.lower and PostgreSQL's lower() disagree (such as U+0130 or a final sigma).
WORDS = [
    "alice",
    "Alice",
    "ALICE",
    "bob",
    "b%b",
    "b_b",
    "ça",
    "ÇA",
    'x"y',
    "a\\b",
    "",
    "日本",
    "zed",
]
TYPES = ["work", "home", "Work"]
NUMBERS = [-1, 0, 1, 7, 7.5, 42]
INSTANTS = [
    "2020-01-01T00:00:00Z",
    "2020-01-01T02:00:00+02:00",
    "2019-12-31T23:00:00-01:00",
    "2020-01-01T00:00:01Z",
    "2021-06-30T12:30:00+05:30",
    "2019-01-01T00:00:00",
]

_opt = st.none()


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(_ABSENT), st.none(), strategy)


_ABSENT = object()

_email = st.fixed_dictionaries(
    {},
    optional={
        "value": st.sampled_from(WORDS),
        "type": st.sampled_from(TYPES),
        "primary": st.booleans(),
    },
)


@st.composite
def users(draw: st.DrawFn) -> dict[str, Any]:
    user: dict[str, Any] = {"schemas": [USER_URN, ACME], "userName": draw(st.sampled_from(WORDS))}
    optional = {
        "externalId": st.sampled_from(WORDS),
        "title": st.sampled_from(WORDS),
        "active": st.booleans(),
        "name": st.fixed_dictionaries(
            {}, optional={"givenName": st.sampled_from(WORDS), "familyName": st.sampled_from(WORDS)}
        ),
        "emails": st.lists(_email, max_size=3),
        "meta": st.fixed_dictionaries({"created": st.sampled_from(INSTANTS)}),
    }
    for key, strategy in optional.items():
        value = draw(_maybe(strategy))
        if value is not _ABSENT:
            user[key] = value
    ext: dict[str, Any] = {}
    for key, strategy in {
        "level": st.sampled_from(NUMBERS),
        "vip": st.booleans(),
        "tags": st.lists(st.sampled_from(WORDS), max_size=3),
    }.items():
        value = draw(_maybe(strategy))
        if value is not _ABSENT:
            ext[key] = value
    if ext:
        user[ACME] = ext
    return user


def _path(text: str) -> AttrPath:
    name, _, sub = text.partition(".")
    return AttrPath(None, name, sub or None)


_STRING_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
_ORDER_OPS = ["eq", "ne", "gt", "ge", "lt", "le"]


def _leaf(paths: dict[str, str]) -> st.SearchStrategy[Node]:
    """Comparisons suited to each path's type (``paths`` maps a path to its type)."""
    options: list[st.SearchStrategy[Node]] = []
    for text, kind in paths.items():
        path = _path(text)
        options.append(st.just(Present(path)))
        options.append(st.sampled_from(["eq", "ne"]).map(lambda op, p=path: Compare(p, op, None)))
        if kind == "string":
            values: st.SearchStrategy[Any] = st.sampled_from(WORDS)
            ops = _STRING_OPS
        elif kind == "number":
            values, ops = st.sampled_from(NUMBERS), _ORDER_OPS
        elif kind == "boolean":
            values, ops = st.booleans(), ["eq", "ne"]
        else:
            values, ops = st.sampled_from(INSTANTS), _ORDER_OPS
        options.append(
            st.builds(lambda op, v, p=path: Compare(p, op, v), st.sampled_from(ops), values)
        )
    return st.one_of(options)


TOP = {
    "userName": "string",
    "externalId": "string",
    "title": "string",
    "active": "boolean",
    "name.givenName": "string",
    "name": "complex",
    "emails.value": "string",
    "emails.primary": "boolean",
    "emails": "string",
    "meta.created": "dateTime",
    "level": "number",
    "vip": "boolean",
    "tags": "string",
}
ELEMENT = {"value": "string", "type": "string", "primary": "boolean"}


def _combine(kids: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return (
        st.lists(kids, min_size=2, max_size=3).map(lambda t: And(tuple(t)))
        | st.lists(kids, min_size=2, max_size=3).map(lambda t: Or(tuple(t)))
        | kids.map(Not)
    )


def _top_leaf() -> st.SearchStrategy[Node]:
    plain = {k: v for k, v in TOP.items() if v != "complex"}
    complex_pr = st.sampled_from(["name", "emails"]).map(lambda n: Present(_path(n)))
    element = st.recursive(_leaf(ELEMENT), _combine, max_leaves=3)
    bracket = element.map(lambda f: ValuePath(_path("emails"), f))
    return _leaf(plain) | complex_pr | bracket


filters = st.recursive(_top_leaf(), _combine, max_leaves=6)


def _matches(node: Node, population: list[dict[str, Any]]) -> set[int]:
    flt = parse_filter(to_text(node), registry=REGISTRY)
    return {i for i, u in enumerate(population) if flt.matches(u)}


# -- in memory: not (f) complements f ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(users(), min_size=1, max_size=8), filters)
def test_not_complements(population: list[dict[str, Any]], node: Node) -> None:
    everyone = set(range(len(population)))
    assert _matches(Not(node), population) == everyone - _matches(node, population)


# -- in memory == SQLite == PostgreSQL -----------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    register_sqlite_functions(conn)
    conn.execute("CREATE TABLE users (n INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    yield conn
    conn.close()


def _sqlite_matches(
    conn: sqlite3.Connection, node: Node, population: list[dict[str, Any]]
) -> set[int]:
    conn.execute("DELETE FROM users")
    conn.executemany(
        "INSERT INTO users VALUES (?, ?)", [(i, json.dumps(u)) for i, u in enumerate(population)]
    )
    sql = compile_sql(parse_filter(to_text(node), registry=REGISTRY), dialect="sqlite")
    assert sql.residual is None
    return {r[0] for r in conn.execute(f"SELECT n FROM users WHERE {sql.where}", sql.params)}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population=st.lists(users(), min_size=1, max_size=8), node=filters)
def test_memory_equals_sqlite(
    sqlite_db: sqlite3.Connection, population: list[dict[str, Any]], node: Node
) -> None:
    expected = _matches(node, population)
    assert _sqlite_matches(sqlite_db, node, population) == expected
    everyone = set(range(len(population)))
    assert _sqlite_matches(sqlite_db, Not(node), population) == everyone - expected


@pytest.fixture(scope="module")
def pg_conn(pg_dsn: str) -> Iterator[Any]:
    import psycopg

    schema = f"filter_prop_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"SET search_path TO {schema}")
            conn.execute("CREATE TABLE users (n INTEGER PRIMARY KEY, data JSONB NOT NULL)")
            yield conn
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population=st.lists(users(), min_size=1, max_size=8), node=filters)
def test_memory_equals_postgres(pg_conn: Any, population: list[dict[str, Any]], node: Node) -> None:
    pg_conn.execute("DELETE FROM users")
    with pg_conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users VALUES (%s, %s::jsonb)",
            [(i, json.dumps(u)) for i, u in enumerate(population)],
        )
    sql = compile_sql(
        parse_filter(to_text(node), registry=REGISTRY), dialect="postgres", registry=REGISTRY
    )
    got = {r[0] for r in pg_conn.execute(f"SELECT n FROM users WHERE {sql.where}", sql.params)}
    assert got == _matches(node, population)


# -- agreement with scim2-filter-parser where it is right ----------------------------------------

ASCII = ["alice", "Alice", "ALICE", "bob", "Bob", "carol", "x1", "X1", "zed"]
LOWER = ["alice", "bob", "carol", "x1", "zed", "a", "b"]


@st.composite
def oracle_users(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "userName": draw(st.sampled_from(ASCII)),
        "externalId": draw(st.sampled_from(ASCII)),
        "title": draw(st.sampled_from(LOWER)),
    }


_oracle_leaf = st.one_of(
    st.builds(
        lambda op, v: Compare(_path("userName"), op, v),
        st.sampled_from(_STRING_OPS),
        st.sampled_from(ASCII),
    ),
    st.builds(
        lambda op, v: Compare(_path("externalId"), op, v),
        st.sampled_from(_ORDER_OPS),
        st.sampled_from(ASCII),
    ),
    st.builds(
        lambda op, v: Compare(_path("title"), op, v),
        st.sampled_from(_STRING_OPS),
        st.sampled_from(LOWER),
    ),
    st.sampled_from(["userName", "title", "externalId"]).map(lambda n: Present(_path(n))),
)
oracle_filters = st.recursive(_oracle_leaf, _combine, max_leaves=5)


def _sfp_text(node: Node) -> str:
    """Our printer, but with every nested and/or in parentheses (scim2-filter-parser's grammar
    gives and/or one precedence level, so unparenthesised mixing would mean something else)."""
    if isinstance(node, And | Or):
        word = " and " if isinstance(node, And) else " or "
        return word.join(
            f"({_sfp_text(t)})" if isinstance(t, And | Or) else _sfp_text(t) for t in node.terms
        )
    if isinstance(node, Not):
        return f"not ({_sfp_text(node.inner)})"
    return to_text(node)


SFP_MAP = {
    ("userName", None, None): "username",
    ("externalId", None, None): "external_id",
    ("title", None, None): "title",
}


@settings(max_examples=150, deadline=None)
@given(st.lists(oracle_users(), min_size=1, max_size=8), oracle_filters)
def test_agrees_with_scim2_filter_parser(population: list[dict[str, Any]], node: Node) -> None:
    from scim2_filter_parser.queries.sql import SQLiteQuery

    text = _sfp_text(node)
    assert parse_filter(text).ast == node
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (n INTEGER, username TEXT, external_id TEXT, title TEXT)")
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?)",
        [(i, u["userName"], u["externalId"], u["title"]) for i, u in enumerate(population)],
    )
    query = SQLiteQuery(text, "users", SFP_MAP)
    theirs = {r[0] for r in conn.execute(query.sql, query.params)}
    conn.close()
    assert _matches(node, population) == theirs
