"""PATCH's fast paths against a naive reading of RFC 7644 §3.5.2, and the size caps.

The engine indexes elements by value (adds, dedupe) and applies runs of filtered removes in one
pass; the naive reference below does each operation the obvious way, one scan per value. On
random users and random operation lists both must give exactly the same resource.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore import TooMany, apply_patch

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

_VALUES = st.sampled_from(["a@x.io", "A@x.io", "b@x.io", "B@X.IO", "c@x.io", "d@x.io", "é@x.io"])
_TYPES = st.sampled_from(["work", "home", "Work", "other"])


def _email() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"value": _VALUES}, optional={"type": _TYPES, "display": _VALUES})


def _op() -> st.SearchStrategy[dict[str, Any]]:
    add = st.builds(
        lambda v: {"op": "add", "path": "emails", "value": v}, st.lists(_email(), max_size=4)
    )
    by_value = st.builds(
        lambda vs: {
            "op": "remove",
            "path": "emails[" + " or ".join(f'value eq "{v}"' for v in vs) + "]",
        },
        st.lists(_VALUES, min_size=1, max_size=3),
    )
    by_type = st.builds(lambda t: {"op": "remove", "path": f'emails[type eq "{t}"]'}, _TYPES)
    return st.one_of(add, by_value, by_value, by_type)


# -- the naive reference (RFC 7644 §3.5.2, one scan per value) ---------------------------------


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """RFC 7643 §2.4 equality of email values: value, and type where both carry one."""
    if new["value"].casefold() != old["value"].casefold():
        return False
    if "type" in new and "type" in old:
        return bool(new["type"].casefold() == old["type"].casefold())
    return True


def _naive_add(emails: list[dict[str, Any]], values: list[dict[str, Any]]) -> None:
    request: list[dict[str, Any]] = []
    for value in values:  # a value the request repeats counts once (the first)
        if not any(_same(value, kept) for kept in request):
            request.append(value)
    for value in request:
        for i, old in enumerate(emails):
            if _same(value, old):
                merged = dict(old)
                for key, sub in value.items():
                    current = merged.get(key)
                    if current is None or current.casefold() != sub.casefold():
                        merged[key] = sub
                emails[i] = merged
                break
        else:
            emails.append(dict(value))


def _naive_remove(emails: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    inner = path[len("emails[") : -1]
    terms = [t.split(" eq ", 1) for t in inner.split(" or ")]
    wanted = [(name, literal.strip('"').lower()) for name, literal in terms]
    return [
        e
        for e in emails
        if not any(isinstance(e.get(n), str) and e[n].lower() == lit for n, lit in wanted)
    ]


def _naive(user: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    emails = [dict(e) for e in user.get("emails", [])]
    for op in ops:
        if op["op"] == "add":
            _naive_add(emails, op["value"])
        else:
            emails = _naive_remove(emails, op["path"])
    out = {k: v for k, v in user.items() if k != "emails"}
    if emails:
        out["emails"] = emails
    return out


def _distinct(emails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored user's emails hold no two equal values (the engine keeps them so)."""
    out: list[dict[str, Any]] = []
    _naive_add(out, emails)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_email(), max_size=6), st.lists(_op(), min_size=1, max_size=12))
def test_fast_paths_agree_with_the_naive_reference(
    emails: list[dict[str, Any]], ops: list[dict[str, Any]]
) -> None:
    user: dict[str, Any] = {"schemas": [USER_URN], "userName": "bjensen"}
    if _distinct(emails):
        user["emails"] = _distinct(emails)
    patched = apply_patch(user, {"schemas": [PATCH_URN], "Operations": ops}, strict=True)
    assert patched == _naive(user, ops)


@settings(max_examples=100, deadline=None)
@given(st.lists(_email(), max_size=6), st.lists(_op(), min_size=1, max_size=12))
def test_one_request_equals_its_operations_one_by_one(
    emails: list[dict[str, Any]], ops: list[dict[str, Any]]
) -> None:
    """A run of removes applied in one pass leaves what the operations applied singly leave."""
    user: dict[str, Any] = {"schemas": [USER_URN], "userName": "bjensen"}
    if _distinct(emails):
        user["emails"] = _distinct(emails)
    whole = apply_patch(user, {"schemas": [PATCH_URN], "Operations": ops}, strict=True)
    single = user
    for op in ops:
        single = apply_patch(single, {"schemas": [PATCH_URN], "Operations": [op]}, strict=True)
    assert whole == single


def test_a_run_of_removes_that_empties_a_required_list_names_the_operation() -> None:
    from scimcore import Attribute, ResourceType, Schema, SchemaRegistry
    from scimcore.errors import Mutability

    schema = Schema(
        id="urn:example:Thing",
        name="Thing",
        attributes=(
            Attribute(
                name="tags",
                type="complex",
                multi_valued=True,
                required=True,
                sub_attributes=(Attribute(name="value"),),
            ),
        ),
    )
    registry = SchemaRegistry(
        schemas=(schema,),
        resource_types=(
            ResourceType(name="Thing", endpoint="/Things", schema="urn:example:Thing"),
        ),
    )
    thing = {"schemas": ["urn:example:Thing"], "tags": [{"value": "a"}, {"value": "b"}]}
    ops = [
        {"op": "remove", "path": 'tags[value eq "a"]'},
        {"op": "remove", "path": 'tags[value eq "x"]'},
        {"op": "remove", "path": 'tags[value eq "b"]'},
    ]
    with pytest.raises(Mutability, match="operation 2") as caught:
        apply_patch(thing, {"schemas": [PATCH_URN], "Operations": ops}, registry=registry)
    assert caught.value.path == ("Operations", 2, "path")


def test_too_many_values_is_refused_before_any_work() -> None:
    from scimcore import patch_resource

    user = {"schemas": [USER_URN], "userName": "bjensen"}
    ops = [{"op": "add", "path": "emails", "value": [{"value": f"{i}@x.io"} for i in range(3)]}]
    body = {"schemas": [PATCH_URN], "Operations": ops}
    with pytest.raises(TooMany, match="at most 2"):
        patch_resource(user, body, max_values=2)
    assert len(patch_resource(user, body, max_values=3).resource["emails"]) == 3
    with pytest.raises(TooMany):
        patch_resource(user, {**body, "Operations": ops * 2}, max_operations=1)
