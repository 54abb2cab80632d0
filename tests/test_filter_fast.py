"""The evaluator's fast path gives exactly the general path's answers (and raises the same errors).

Users are generated as in test_filter_properties, then perturbed the ways the fast path has to
notice: a key spelled in another case (``TITLE``), a key the schema does not know, a null beside a
differently spelled duplicate, values of the wrong JSON type, and objects that are not mappings.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.errors import InvalidFilter
from scimcore.filter import And, AttrPath, Compare, Node, Or, Present, ValuePath, parse
from scimcore.filter._evaluate import ElementScope, ResourceScope, compile_node
from tests.test_filter_properties import REGISTRY, WORDS, _path, filters, users

USER = REGISTRY.resource_type("User")
assert USER is not None


def _scope() -> ResourceScope:
    assert USER is not None
    return ResourceScope(REGISTRY, USER)


@st.composite
def odd_users(draw: st.DrawFn) -> Any:
    """A generated user, perhaps with keys re-spelled, extra keys or wrongly typed values."""
    user: dict[str, Any] = draw(users())
    for key in list(user):
        how = draw(st.sampled_from(["keep", "keep", "upper", "title", "null-dup", "wrong-type"]))
        if how == "upper":
            user[key.upper()] = user.pop(key)
        elif how == "title":
            user[key[:1].upper() + key[1:]] = user.pop(key)
        elif how == "null-dup":
            user[key.upper()] = user.pop(key)  # the other spelling first, then a null
            user[key] = None
        elif how == "wrong-type":
            user[key] = draw(st.sampled_from([1, True, "x", [], {}, ["a"], 2.5]))
    if draw(st.booleans()):
        user["unknownKey"] = draw(st.sampled_from(WORDS))
    return user


resources = st.one_of(
    odd_users(), users(), st.sampled_from([[], "text", 3, {"schemas": 1}, {"Title": "alice"}])
)


def _both(node: Node) -> tuple[Any, Any]:
    scope = _scope()
    return compile_node(node, scope, fast=True), compile_node(node, scope, fast=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(resources, min_size=1, max_size=8), filters)
def test_fast_path_equals_general_path(population: list[Any], node: Node) -> None:
    fast, general = _both(node)
    assert [fast(r) for r in population] == [general(r) for r in population]


# Flat and/or of simple comparisons: the shapes the fast path compiles to one closure.
_simple_leaf = st.one_of(
    st.builds(
        lambda name, op, v: Compare(_path(name), op, v),
        st.sampled_from(["userName", "title", "externalId", "userType", "displayName"]),
        st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]),
        st.sampled_from([*WORDS, None]).filter(lambda v: v is not None) | st.just("alice"),
    ),
    st.builds(
        lambda op, v: Compare(_path("active"), op, v), st.sampled_from(["eq", "ne"]), st.booleans()
    ),
    st.builds(
        lambda name, op: Compare(_path(name), op, None),
        st.sampled_from(["title", "active", "name"]),
        st.sampled_from(["eq", "ne"]),
    ),
    st.sampled_from(["title", "active", "name", "emails", "id"]).map(lambda n: Present(_path(n))),
)
flat = st.builds(
    lambda kind, terms: kind(tuple(terms)),
    st.sampled_from([And, Or]),
    st.lists(_simple_leaf, min_size=2, max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(resources, min_size=1, max_size=8), flat)
def test_flat_fast_path_equals_general_path(population: list[Any], node: Node) -> None:
    fast, general = _both(node)
    assert [fast(r) for r in population] == [general(r) for r in population]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({}, optional={"value": st.sampled_from(WORDS)}), max_size=4),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=5),
)
def test_element_scope_fast_equals_general(elements: list[Any], words: list[str]) -> None:
    emails = REGISTRY.resolve("emails", "User")
    assert emails is not None and emails.attribute is not None
    node = Or(tuple(Compare(AttrPath(None, "value", None), "eq", w) for w in words))
    scope = ElementScope(emails.attribute)
    fast = compile_node(node, scope, fast=True)
    general = compile_node(node, scope, fast=False)
    for el in [*elements, {"VALUE": words[0]}, {"value": None, "Value": words[0]}]:
        assert fast(el) == general(el)


@pytest.mark.parametrize(
    "text",
    [
        'title eq "x" and active gt 1',
        'title eq "x" or nosuch eq "y"',
        "active eq true and title eq 3",
        'title eq "a" or title eq "b" or name eq "c"',
    ],
)
def test_same_error_either_way(text: str) -> None:
    node = parse(text)
    scope = _scope()
    with pytest.raises(InvalidFilter) as fast_err:
        compile_node(node, scope, fast=True)
    with pytest.raises(InvalidFilter) as general_err:
        compile_node(node, scope, fast=False)
    assert str(fast_err.value) == str(general_err.value)


def test_fast_path_compiles_simple_terms_once() -> None:
    """A flat conjunction of simple terms is one closure, not a tree of per-term closures."""
    node = parse('title eq "engineer" and active eq true')
    pred = compile_node(node, _scope())
    assert pred.__name__ == "both"
    assert pred({"title": "Engineer", "active": True})
    assert not pred({"title": "Engineer", "active": False})
    assert pred({"TITLE": "ENGINEER", "active": True})  # attribute names are case-insensitive
    assert not pred({"active": True})
    five = parse(" or ".join(f'userName eq "u{i}"' for i in range(5)))
    assert compile_node(five, _scope()).__name__ == "one"  # merged into one set lookup


def test_value_path_uses_the_fast_path_inside_brackets() -> None:
    node = ValuePath(_path("emails"), Or((Compare(AttrPath(None, "type", None), "eq", "work"),)))
    pred = compile_node(node, _scope())
    assert pred({"emails": [{"type": "home"}, {"TYPE": "Work"}]})
    assert not pred({"emails": [{"type": "home"}]})
