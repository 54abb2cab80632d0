"""Every matcher of scim-recording/1, subset matching, and the JSON path of the first mismatch."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import ABSENT, match
from conformance.matchers import check_expectation


def _fails(expected: Any, actual: Any) -> str:
    found = match(expected, actual)
    assert found is not None, "expected a mismatch"
    return str(found)


def test_subset_objects_with_case_insensitive_names() -> None:
    actual = {"userName": "a", "Name": {"givenName": "A"}, "extra": 1}
    assert match({"username": "a", "name": {"GIVENNAME": "A"}}, actual) is None
    assert _fails({"name": {"familyName": "B"}}, actual) == (
        "$.Name.familyName: missing; expected 'B'"
    )


def test_scalars_are_strict() -> None:
    assert match(1, 1.0) is None
    assert match(True, 1) is not None
    assert match("A", "a") is not None
    assert _fails({"active": True}, {"active": "true"}) == "$.active: expected True, got 'true'"


def test_arrays_need_distinct_elements_in_any_order() -> None:
    actual = [{"type": "work", "value": "w"}, {"type": "home", "value": "h"}]
    assert match([{"type": "home"}, {"type": "work"}], actual) is None
    # Both expected elements would like the single work email: not enough distinct elements.
    assert match([{"type": "work"}, {"value": "w"}], actual) is not None
    assert match([{"value": "h"}, {"type": "work"}], actual) is None
    message = _fails([{"type": "other"}], actual)
    assert message.startswith("$[0].type: no element matches expected element [0]")


def test_array_mismatch_names_the_deep_path() -> None:
    found = match({"emails": [{"value": "x", "primary": True}]}, {"emails": [{"value": "x"}]})
    assert found is not None
    assert found.path == "$.emails[0].primary"


def test_empty_actual_array() -> None:
    assert "empty array" in _fails({"members": [{"value": "1"}]}, {"members": []})


def test_absent() -> None:
    assert match({"password": {"$absent": True}}, {"userName": "a"}) is None
    assert match({"password": {"$absent": True}}, {"password": None}) is None
    assert match({"members": {"$absent": True}}, {"members": []}) is None
    assert _fails({"password": {"$absent": True}}, {"PassWord": "s"}) == (
        "$.PassWord: expected absent, got 's'"
    )
    assert match({"id": {"$absent": False}}, {"id": "1"}) is None
    assert match({"id": {"$absent": False}}, {}) is not None


def test_regex() -> None:
    assert match({"$regex": "^application/scim\\+json"}, "application/scim+json; x") is None
    assert match({"$regex": "^a$"}, "b") is not None
    assert match({"$regex": "1"}, 1) is not None
    assert match({"id": {"$regex": "."}}, {}) is not None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("string", "s"),
        ("number", 1),
        ("number", 1.5),
        ("boolean", False),
        ("object", {}),
        ("array", []),
        ("null", None),
    ],
)
def test_type(name: str, value: Any) -> None:
    assert match({"$type": name}, value) is None
    others = {"string", "number", "boolean", "object", "array", "null"} - {name}
    for other in others:
        assert match({"$type": other}, value) is not None
    assert match({"$type": name}, ABSENT) is not None


def test_len() -> None:
    assert match({"$len": 2}, [1, 2]) is None
    assert match({"$len": 3}, "abc") is None
    assert match({"$len": 1}, {"a": 1}) is None
    assert "expected length 1, got length 2" in _fails({"$len": 1}, [1, 2])
    assert match({"$len": 1}, 5) is not None


def test_exact() -> None:
    assert match({"$exact": [1, 2]}, [1, 2]) is None
    assert match({"$exact": [1, 2]}, [2, 1]) is not None
    assert match({"$exact": {"a": 1}}, {"a": 1, "b": 2}) is not None
    assert match({"$exact": {"a": True}}, {"a": 1}) is not None


def test_ordered() -> None:
    actual = [{"id": "a", "x": 1}, {"id": "b"}]
    assert match({"$ordered": [{"id": "a"}, {"id": "b"}]}, actual) is None
    assert "element [0].id" in _fails({"$ordered": [{"id": "b"}, {"id": "a"}]}, actual)
    assert "expected 1 elements" in _fails({"$ordered": [{"id": "a"}]}, actual)
    assert match({"$ordered": []}, "x") is not None


def test_combined_matchers_all_hold() -> None:
    assert match({"$type": "array", "$len": 2}, [1, 2]) is None
    assert match({"$type": "array", "$len": 2}, [1]) is not None


def test_dollar_ref_is_an_attribute() -> None:
    assert match({"$ref": "u"}, {"$ref": "u"}) is None
    assert match({"$ref": "u"}, {"$ref": "v"}) is not None


def test_check_expectation_paths() -> None:
    problems = list(check_expectation({"a": [{"$type": "str"}], "b": {"$regex": 1}}))
    assert [p for p, _ in problems] == ["$.a[0]['$type']", "$.b['$regex']"]
    assert list(check_expectation({"$ordered": [{"$absent": "yes"}]})) == [
        ("$['$ordered'][0]['$absent']", "$absent takes true or false")
    ]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="abc", max_size=3), inner, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=60, deadline=None)
@given(_json)
def test_every_value_matches_itself_and_exactly(value: Any) -> None:
    assert match(value, value) is None
    assert match({"$exact": value}, value) is None
