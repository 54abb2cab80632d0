"""SQL compilation details (parameters, escaping, attr_map, residual), sorting and paging."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from scimcore import InvalidFilter, InvalidValue, parse_filter
from scimcore.filter import (
    MAX_COUNT,
    compile_sql,
    page_bounds,
    register_sqlite_functions,
    sort_resources,
)
from scimcore.schema import USER_URN

# -- SQL ------------------------------------------------------------------------------------------


def test_values_are_parameters_never_sql_text() -> None:
    sql = compile_sql('userName eq "x\' OR 1=1 --"')
    assert "OR 1=1" not in sql.where
    assert sql.params == ["x' or 1=1 --"]
    assert sql.where == "scim_lower(json_extract(data, '$.userName')) = ?"


def test_postgres_placeholders_and_lower() -> None:
    sql = compile_sql('userName eq "Bob"', dialect="postgres")
    assert sql.params == ["bob"]
    assert "%s" in sql.where and "lower(" in sql.where and "?" not in sql.where


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('userName co "%"', "%\\%%"),
        ('userName sw "a_b"', "a\\_b%"),
        ('userName ew "x\\\\y"', "%x\\\\y"),
    ],
)
def test_like_patterns_are_escaped(text: str, pattern: str) -> None:
    assert compile_sql(text).params == [pattern]


def test_glob_patterns_are_escaped_for_case_exact_attributes() -> None:
    assert compile_sql('externalId co "a*?[b"').params == ["*a[*][?][[]b*"]


def _conn(rows: list[tuple[Any, ...]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    register_sqlite_functions(conn)
    conn.execute(
        "CREATE TABLE users (id TEXT, username TEXT, family TEXT, active INTEGER, data TEXT)"
    )
    conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows)
    return conn


ROWS = [
    ("1", "Alice", "Smith", 1, '{"title": "Boss"}'),
    ("2", "bob", "Jones", 0, '{"title": "Clerk"}'),
    ("3", "carol", "smith", 1, "{}"),
]


def test_attr_map_in_scim2_filter_parser_style() -> None:
    attr_map = {
        ("userName", None, None): "username",
        ("name", "familyName", None): "family",
        ("active", None, None): "active",
    }
    conn = _conn(ROWS)
    sql = compile_sql(
        'USERNAME eq "ALICE" or name.familyName eq "SMITH" and active eq false',
        attr_map=attr_map,
        json_column=None,
    )
    assert sql.residual is None
    got = conn.execute(f"SELECT id FROM users WHERE {sql.where}", sql.params).fetchall()
    assert {r[0] for r in got} == {"1"}  # RFC precedence: and binds tighter than or
    sql = compile_sql('name.familyName eq "smith" and active eq true', attr_map=attr_map)
    got = conn.execute(f"SELECT id FROM users WHERE {sql.where}", sql.params).fetchall()
    assert {r[0] for r in got} == {"1", "3"}


def test_attr_map_accepts_dotted_keys_and_falls_back_to_the_json_column() -> None:
    conn = _conn(ROWS)
    sql = compile_sql(
        'name.familyName eq "smith" and title pr', attr_map={"name.familyName": "family"}
    )
    got = conn.execute(f"SELECT id FROM users WHERE {sql.where}", sql.params).fetchall()
    assert {r[0] for r in got} == {"1"}


def test_unmapped_attributes_become_a_residual_not_a_wider_result() -> None:
    attr_map = {("userName", None, None): "username"}
    sql = compile_sql('userName sw "a" and title eq "boss"', attr_map=attr_map, json_column=None)
    assert "title" not in sql.where
    assert sql.residual is not None
    assert str(sql.residual) == 'title eq "boss"'
    assert sql.residual.matches({"schemas": [USER_URN], "title": "BOSS"})
    whole = compile_sql('userName sw "a" or title pr', attr_map=attr_map, json_column=None)
    assert whole.where == "1" and whole.params == []
    assert whole.residual is not None and str(whole.residual) == 'userName sw "a" or title pr'
    negated = compile_sql("not (title pr)", attr_map=attr_map, json_column=None)
    assert negated.where == "1" and negated.residual is not None


def test_unknown_attributes_are_refused_by_sql_too() -> None:
    from scimcore.filter import parse

    with pytest.raises(InvalidFilter):
        compile_sql(parse("nope eq 1"))


def test_complex_attr_map_key_must_be_valid() -> None:
    from scimcore import ConfigurationError

    with pytest.raises(ConfigurationError):
        compile_sql("userName pr", attr_map={("userName", None, None): "x; DROP TABLE users"})
    with pytest.raises(ConfigurationError):
        compile_sql("userName pr", dialect="oracle")  # type: ignore[arg-type]


def test_sqlite_expression_matches_an_index() -> None:
    conn = _conn(ROWS)
    conn.execute("CREATE INDEX users_un ON users (scim_lower(json_extract(data, '$.userName')))")
    sql = compile_sql('userName eq "x"')
    plan = conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM users WHERE {sql.where}", sql.params)
    assert "users_un" in " ".join(str(r) for r in plan.fetchall())


# -- sorting --------------------------------------------------------------------------------------


def _u(id_: str, **attrs: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "id": id_, **attrs}


PEOPLE = [
    _u("a", userName="bob", externalId="b", meta={"created": "2020-01-01T10:00:00+02:00"}),
    _u("b", userName="Alice", externalId="B", meta={"created": "2020-01-01T09:00:00Z"}),
    _u("c", externalId="a", emails=[{"value": "z@x"}, {"value": "a@x", "primary": True}]),
    _u("d", userName="carol", emails=[{"value": "m@x"}, {"value": "b@x"}]),
    _u("e", userName="ALICE", name={"familyName": "Zed"}),
]


def _ids(resources: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in resources]


def test_sort_case_insensitive_with_missing_last_and_stable_ties() -> None:
    assert _ids(sort_resources(PEOPLE, "userName")) == ["b", "e", "a", "d", "c"]
    assert _ids(sort_resources(PEOPLE, "USERNAME", "descending")) == ["d", "a", "b", "e", "c"]


def test_sort_case_exact_attribute() -> None:
    assert _ids(sort_resources(PEOPLE, "externalId")) == ["b", "c", "a", "d", "e"]


def test_sort_datetime_as_instants() -> None:
    assert _ids(sort_resources(PEOPLE, "meta.created")) == ["a", "b", "c", "d", "e"]


def test_sort_multi_valued_by_primary_then_first() -> None:
    assert _ids(sort_resources(PEOPLE, "emails")) == ["c", "d", "a", "b", "e"]
    assert _ids(sort_resources(PEOPLE, "emails.value")) == ["c", "d", "a", "b", "e"]


def test_sort_errors() -> None:
    with pytest.raises(InvalidFilter):
        sort_resources(PEOPLE, "nope")
    with pytest.raises(InvalidValue):
        sort_resources(PEOPLE, "userName", "sideways")


def test_sort_by_sub_attribute() -> None:
    assert _ids(sort_resources(PEOPLE, "name.familyName"))[0] == "e"


# -- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (None, None, (1, 100)),
        (1, 10, (1, 10)),
        (0, 10, (1, 10)),
        (-5, 10, (1, 10)),
        (3, 0, (3, 0)),
        (3, -1, (3, 0)),
        ("2", "5", (2, 5)),
        (1, 10**9, (1, MAX_COUNT)),
        ("", "", (1, 100)),
    ],
)
def test_page_bounds(start: Any, count: Any, expected: tuple[int, int]) -> None:
    bounds = page_bounds(start, count)
    assert (bounds.start_index, bounds.count) == expected


def test_page_slices() -> None:
    items = list(range(10))
    assert page_bounds(1, 3).slice(items) == [0, 1, 2]
    assert page_bounds(9, 5).slice(items) == [8, 9]
    assert page_bounds(11, 5).slice(items) == []
    assert page_bounds(2, 0).slice(items) == []
    assert page_bounds(2, 3).offset == 1


@pytest.mark.parametrize("bad", ["x", "1.5", True])
def test_page_bounds_refuses_non_integers(bad: Any) -> None:
    with pytest.raises(InvalidValue):
        page_bounds(bad, None)


def test_parse_filter_matches_after_sql_residual_round_trip() -> None:
    flt = parse_filter('userName eq "x"')
    assert compile_sql(flt).where.startswith("scim_lower(")


def test_paginate_reports_totals() -> None:
    from scimcore.filter import paginate

    items = list(range(7))
    page = paginate(items, "3", "2")
    assert (page.resources, page.total_results, page.start_index, page.items_per_page) == (
        [2, 3],
        7,
        3,
        2,
    )
    only_total = paginate(items, None, 0)
    assert only_total.resources == [] and only_total.total_results == 7
    assert only_total.items_per_page == 0
    beyond = paginate(items, 50, 10)
    assert beyond.resources == [] and beyond.start_index == 50 and beyond.total_results == 7
