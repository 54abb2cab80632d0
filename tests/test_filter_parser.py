"""The filter parser, the printer, PATCH paths and element matching."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore import InvalidFilter, InvalidPath, TooMany
from scimcore.filter import (
    MAX_DEPTH,
    And,
    AttrPath,
    Compare,
    Node,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    element_matcher,
    parse,
    parse_path,
    to_text,
)
from scimcore.schema import DEFAULT_REGISTRY, ENTERPRISE_USER_URN, USER_URN

ENT = ENTERPRISE_USER_URN


def p(name: str, sub: str | None = None, urn: str | None = None) -> AttrPath:
    return AttrPath(urn, name, sub)


# -- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', Compare(p("userName"), "eq", "bjensen")),
        ('USERNAME EQ "x"', Compare(p("USERNAME"), "eq", "x")),
        ("title pr", Present(p("title"))),
        ("title PR", Present(p("title"))),
        ("age gt 42", Compare(p("age"), "gt", 42)),
        ("age gt -4.5e2", Compare(p("age"), "gt", -450.0)),
        ("active eq true", Compare(p("active"), "eq", True)),
        ("active eq FALSE", Compare(p("active"), "eq", False)),
        ('active eq "false"', Compare(p("active"), "eq", "false")),
        ("title eq null", Compare(p("title"), "eq", None)),
        ("nullable eq 1", Compare(p("nullable"), "eq", 1)),
        ("trueName pr", Present(p("trueName"))),
        (r'title eq "a\"b"', Compare(p("title"), "eq", 'a"b')),
        (r'title eq "\u00e9\\\/\n\t"', Compare(p("title"), "eq", "é\\/\n\t")),
        ('title eq "日本語 ✓"', Compare(p("title"), "eq", "日本語 ✓")),
        ('name.givenName sw "B"', Compare(p("name", "givenName"), "sw", "B")),
        ("members.$ref pr", Present(p("members", "$ref"))),
        (f'{ENT}:manager.value eq "1"', Compare(p("manager", "value", ENT), "eq", "1")),
        (f"{USER_URN}:userName pr", Present(p("userName", None, USER_URN))),
        ("urn:x:y:z:attr pr", Present(p("attr", None, "urn:x:y:z"))),
        (
            "a pr or b pr and c pr",
            Or((Present(p("a")), And((Present(p("b")), Present(p("c")))))),
        ),
        (
            "a pr and b pr or c pr",
            Or((And((Present(p("a")), Present(p("b")))), Present(p("c")))),
        ),
        (
            "(a pr or b pr) and c pr",
            And((Or((Present(p("a")), Present(p("b")))), Present(p("c")))),
        ),
        ("a pr or b pr or c pr", Or((Present(p("a")), Present(p("b")), Present(p("c"))))),
        ("not (a pr)", Not(Present(p("a")))),
        ("NOT(a pr)", Not(Present(p("a")))),
        ("not (a pr) and b pr", And((Not(Present(p("a"))), Present(p("b"))))),
        ("((a pr))", Present(p("a"))),
        (
            'emails[type eq "work" and value co "@x"]',
            ValuePath(
                p("emails"),
                And((Compare(p("type"), "eq", "work"), Compare(p("value"), "co", "@x"))),
            ),
        ),
        (
            'emails[type eq "work"].value eq "x"',
            ValuePath(
                p("emails"),
                And((Compare(p("type"), "eq", "work"), Compare(p("value"), "eq", "x"))),
            ),
        ),
        (
            'emails[not (type eq "work")] or phoneNumbers[type eq "mobile" or (value sw "+1")]',
            Or(
                (
                    ValuePath(p("emails"), Not(Compare(p("type"), "eq", "work"))),
                    ValuePath(
                        p("phoneNumbers"),
                        Or((Compare(p("type"), "eq", "mobile"), Compare(p("value"), "sw", "+1"))),
                    ),
                )
            ),
        ),
    ],
)
def test_parse(text: str, expected: Node) -> None:
    assert parse(text) == expected
    assert parse(to_text(expected)) == expected


def test_nodes_are_immutable() -> None:
    node = parse("a pr")
    with pytest.raises(AttributeError):
        node.path = p("b")  # type: ignore[misc]
    assert hash(node) == hash(parse("a   pr"))


def test_strict_rejects_the_entra_form() -> None:
    with pytest.raises(InvalidFilter) as info:
        parse('emails[type eq "work"].value eq "x"', lenient=False)
    assert info.value.position == 22


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("   ", 0),
        ('userName eq "x', 12),
        ('userName eq "a\\x"', 14),
        ('userName eq "a\nb"', 14),
        ("userName", 8),
        ("userName eq", 11),
        ("userName zz 1", 9),
        ('userName eq "x" and', 19),
        ('userName eq "x" "y"', 16),
        ("(userName pr", 12),
        ("userName pr)", 11),
        ("userName gt true", 12),
        ("userName lt null", 12),
        ("userName co 5", 12),
        ("a.b.c pr", 0),
        ("emails[value[x pr]]", 7),
        ("emails.value[x pr]", 0),
        ("userName eq 1e999", 12),
        ("userName eq 01", 13),
        ("userName # 1", 9),
        ("not userName pr", 4),
    ],
)
def test_errors_carry_positions(text: str, position: int) -> None:
    with pytest.raises(InvalidFilter) as info:
        parse(text)
    assert info.value.position == position
    assert info.value.scim_type == "invalidFilter"


def test_deep_parentheses_are_refused_without_recursion_error() -> None:
    text = "(" * 500 + "userName pr" + ")" * 500
    with pytest.raises(InvalidFilter) as info:
        parse(text)
    assert info.value.position == MAX_DEPTH
    ok = "(" * (MAX_DEPTH - 1) + "userName pr" + ")" * (MAX_DEPTH - 1)
    assert parse(ok) == Present(p("userName"))


def test_deep_not_is_refused() -> None:
    with pytest.raises(InvalidFilter):
        parse("not (" * 500 + "a pr" + ")" * 500)


def test_ten_thousand_terms_are_refused_quickly() -> None:
    text = " or ".join(f'userName eq "u{i}"' for i in range(10_000))
    started = time.perf_counter()
    with pytest.raises(InvalidFilter):
        parse(text)
    short = " or ".join("a pr" for _ in range(2_000))
    with pytest.raises(TooMany) as info:
        parse(short)
    assert info.value.scim_type == "tooMany"
    assert info.value.position is not None
    assert time.perf_counter() - started < 30  # a sanity bound, not a benchmark


# -- printer round trip ------------------------------------------------------------------------

_names = st.sampled_from(["userName", "title", "emails", "name", "x-y", "$ref", "Nullable"])
_subs = st.none() | st.sampled_from(["value", "givenName", "type"])
_urns = st.none() | st.sampled_from([USER_URN, ENT, "urn:example:custom:1.0"])
_paths = st.builds(AttrPath, _urns, _names, _subs)
_lits = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def _compare(path: AttrPath, op: str, value: object) -> Node:
    if op in ("gt", "ge", "lt", "le") and (value is None or isinstance(value, bool)):
        return Compare(path, "eq", value)  # type: ignore[arg-type]
    if op in ("co", "sw", "ew") and not isinstance(value, str):
        return Compare(path, "eq", value)  # type: ignore[arg-type]
    return Compare(path, op, value)  # type: ignore[arg-type]


_leaf_ops = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
_leaves = st.builds(_compare, _paths, _leaf_ops, _lits) | st.builds(Present, _paths)
_rel_paths = st.builds(AttrPath, st.none(), _names, st.none())
_rel_leaves = st.builds(_compare, _rel_paths, _leaf_ops, _lits) | st.builds(Present, _rel_paths)


def _tree(leaves: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.recursive(
        leaves,
        lambda kids: (
            st.lists(kids, min_size=2, max_size=3).map(lambda t: And(tuple(t)))
            | st.lists(kids, min_size=2, max_size=3).map(lambda t: Or(tuple(t)))
            | kids.map(Not)
        ),
        max_leaves=8,
    )


_nodes = st.recursive(
    _leaves | st.builds(ValuePath, st.builds(AttrPath, _urns, _names), _tree(_rel_leaves)),
    lambda kids: (
        st.lists(kids, min_size=2, max_size=3).map(lambda t: And(tuple(t)))
        | st.lists(kids, min_size=2, max_size=3).map(lambda t: Or(tuple(t)))
        | kids.map(Not)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(_nodes)
def test_print_then_parse_is_identity(node: Node) -> None:
    text = to_text(node)
    assert parse(text) == node
    assert to_text(parse(text)) == text


# -- PATCH paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", PatchPath(p("userName"))),
        ("name.familyName", PatchPath(p("name", "familyName"))),
        ("members", PatchPath(p("members"))),
        (
            'members[value eq "2819c223"]',
            PatchPath(p("members"), Compare(p("value"), "eq", "2819c223")),
        ),
        (
            'emails[type eq "work"].value',
            PatchPath(p("emails"), Compare(p("type"), "eq", "work"), "value"),
        ),
        (
            'addresses[type eq "work" and primary eq true].streetAddress',
            PatchPath(
                p("addresses"),
                And((Compare(p("type"), "eq", "work"), Compare(p("primary"), "eq", True))),
                "streetAddress",
            ),
        ),
        (f"{ENT}:manager", PatchPath(p("manager", None, ENT))),
        (f"{ENT}:manager.value", PatchPath(p("manager", "value", ENT))),
        (ENT, PatchPath(AttrPath(ENT, ""))),
        (
            f'{USER_URN}:emails[type eq "work"]',
            PatchPath(p("emails", None, USER_URN), Compare(p("type"), "eq", "work")),
        ),
    ],
)
def test_parse_path(text: str, expected: PatchPath) -> None:
    assert parse_path(text) == expected
    assert parse_path(expected.text) == expected


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("[x]", 0),
        ('members[value eq "2"', 20),
        ('members[value eq "2"].', 21),
        ('members[value eq "2"] x', 22),
        ("name.x.y", 0),
        ('name.givenName[value eq "x"]', 14),
        ("userName eq", 9),
        ('members[value eq "x]', 17),
    ],
)
def test_bad_paths(text: str, position: int) -> None:
    with pytest.raises(InvalidPath) as info:
        parse_path(text)
    assert info.value.position == position
    assert info.value.scim_type == "invalidPath"


def test_element_matcher() -> None:
    emails = DEFAULT_REGISTRY.resolve("emails", "User")
    assert emails is not None and emails.attribute is not None
    path = parse_path('emails[type eq "WORK" and value ew "@Example.com"].value')
    assert path.value_filter is not None
    match = element_matcher(path.value_filter, emails.attribute)
    assert match({"type": "work", "value": "a@example.COM"})
    assert not match({"type": "home", "value": "a@example.com"})
    assert not match({"value": "a@example.com"})
    members = DEFAULT_REGISTRY.resolve("members", "Group")
    assert members is not None and members.attribute is not None
    flt = parse_path('members[value eq "AbC" or display co "team"]').value_filter
    assert flt is not None
    by_value = element_matcher(flt, members.attribute)
    assert by_value({"value": "abc"})
    assert by_value({"value": "x", "display": "The Team"})
    assert not by_value({"value": "x"})
    with pytest.raises(InvalidFilter):
        element_matcher(Compare(p("nope"), "eq", "x"), emails.attribute)
    with pytest.raises(InvalidFilter):
        element_matcher(Compare(p("primary"), "gt", 1), emails.attribute)


# -- arbitrary input never crashes ---------------------------------------------------------------

_filterish = st.text(
    alphabet=st.sampled_from(list('abeqorntpr .:[]()"\\-0123456789$_\tuU\x00é')), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), _filterish))
def test_any_text_parses_or_raises_a_scim_error(text: str) -> None:
    from scimcore import ScimError, parse_filter

    try:
        node = parse(text)
    except (InvalidFilter, TooMany) as exc:
        assert exc.position is not None
    else:
        assert parse(to_text(node)) == node
    try:
        parse_filter(text).matches({"schemas": [USER_URN], "userName": "x"})
    except ScimError as exc:
        assert exc.status == 400
    try:
        parse_path(text)
    except InvalidPath as exc:
        assert exc.position is not None
