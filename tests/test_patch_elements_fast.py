"""The inline element check of big lists (``_check_complex_elements``) answers as the general walk.

Property: for any list of would-be elements of a multi-valued complex attribute (plain strings,
booleans, case variants of the names, unknown and readOnly sub-attributes, nulls, dialect-coerced
strings), the inline path returns the same checked list, or raises the same error at the same
path, as checking each element with the general walk and deduplicating through ElementIndex.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.dialects import DEFAULT_DIALECTS
from scimcore.errors import ScimError
from scimcore.patch._values import ElementIndex, _check, _coercers, check_value
from scimcore.schema import DEFAULT_REGISTRY, Attribute

USER = DEFAULT_REGISTRY.resource_type("User")
assert USER is not None
_USER_SCHEMA = DEFAULT_REGISTRY.schema(USER.schema)
assert _USER_SCHEMA is not None


def _attr(name: str) -> Attribute:
    found = _USER_SCHEMA.attribute(name)
    assert found is not None
    return found


def _general(attr: Attribute, items: list[Any], dialects: Any) -> Any:
    """The general walk, element by element (what the inline path must equal)."""
    active = _coercers(dialects)
    out: list[Any] = []
    seen = ElementIndex(attr, out)
    for i, item in enumerate(items):
        checked = _check(attr, item, active, ["v", i], True)
        if checked is not None:
            seen.add(checked)
    return out or None


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except ScimError as exc:
        return ("error", type(exc).__name__, exc.detail, exc.to_dict().get("scimType"))


_KEYS = st.sampled_from(["value", "Value", "VALUE", "type", "primary", "display", "nope", "$ref"])
_VALUES = st.one_of(
    st.sampled_from(["a@x.io", "A@X.io", "b@x.io", "work", "True", "false", ""]),
    st.booleans(),
    st.none(),
    st.integers(-2, 2),
    st.just([]),
    st.just({}),
)
_ELEMENT = st.one_of(
    st.dictionaries(_KEYS, _VALUES, max_size=4), st.just("bare"), st.none(), st.integers()
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["emails", "phoneNumbers", "groups", "x509Certificates"]),
    st.lists(_ELEMENT, max_size=8),
    st.booleans(),
)
def test_inline_elements_equal_the_general_walk(name: str, items: list[Any], strict: bool) -> None:
    attr = _attr(name)
    dialects = () if strict else DEFAULT_DIALECTS
    fast = _outcome(lambda: check_value(attr, items, dialects, ["v"]))
    slow = _outcome(lambda: _general(attr, items, dialects))
    assert fast == slow
