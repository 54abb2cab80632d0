"""${name} substitution, ${unique}/${uuid} built-ins and JSON-pointer captures."""

from __future__ import annotations

import re
import uuid

import pytest

from conformance import UndefinedVariable, resolve_pointer, substitute
from conformance.variables import fresh_unique, placeholders


def test_strings_keys_and_nesting() -> None:
    out = substitute(
        {"userName": "u.${unique}@x.com", "${k}": ["${unique}", {"v": "a${k}b"}]},
        {"unique": "abc", "k": "key"},
    )
    assert out == {"userName": "u.abc@x.com", "key": ["abc", {"v": "akeyb"}]}


def test_whole_placeholder_keeps_json_type() -> None:
    variables = {"n": 3, "flag": True, "obj": {"a": 1}}
    assert substitute({"a": "${n}", "b": "${flag}", "c": "${obj}"}, variables) == {
        "a": 3,
        "b": True,
        "c": {"a": 1},
    }
    assert substitute("n=${n} flag=${flag}", variables) == "n=3 flag=true"


def test_uuid_is_fresh_at_each_use() -> None:
    a, b = substitute(["${uuid}", "${uuid}"], {})
    assert a != b
    uuid.UUID(a)
    uuid.UUID(b)


def test_escaped_placeholder_is_literal() -> None:
    assert substitute("$${unique} ${unique}", {"unique": "z"}) == "${unique} z"
    assert list(placeholders("$${a} ${b} ${c}")) == ["b", "c"]


def test_regex_values_are_escaped() -> None:
    out = substitute({"$regex": "^${u}$"}, {"u": "a.b+c@x.com"})
    assert re.search(out["$regex"], "a.b+c@x.com")
    assert not re.search(out["$regex"], "aXb+c@x.com")


def test_undefined_variable() -> None:
    with pytest.raises(UndefinedVariable, match=r"\$\{nope\}"):
        substitute({"a": ["${nope}"]}, {})


def test_non_strings_untouched() -> None:
    assert substitute([1, None, 2.5, False], {}) == [1, None, 2.5, False]


def test_unique_tokens_differ() -> None:
    assert len({fresh_unique() for _ in range(50)}) == 50


def test_resolve_pointer() -> None:
    doc = {"id": "1", "Resources": [{"id": "r0"}, {"a/b": {"~x": 5}}]}
    assert resolve_pointer(doc, "") is doc
    assert resolve_pointer(doc, "/id") == "1"
    assert resolve_pointer(doc, "/ID") == "1"
    assert resolve_pointer(doc, "/resources/0/id") == "r0"
    assert resolve_pointer(doc, "/Resources/1/a~1b/~0x") == 5
    with pytest.raises(LookupError, match="/Resources/5"):
        resolve_pointer(doc, "/Resources/5")
    with pytest.raises(LookupError, match="/missing"):
        resolve_pointer(doc, "/missing")
    with pytest.raises(LookupError):
        resolve_pointer(doc, "/id/x")
    with pytest.raises(LookupError):
        resolve_pointer(doc, "id")
