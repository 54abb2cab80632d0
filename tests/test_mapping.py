"""The attribute-mapping engine: paths, transforms, rules, loading, presets, round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.errors import ConfigurationError, InvalidValue
from scimcore.mapping import (
    PRESETS,
    AppRecord,
    load_mapping,
    mapping_from_dict,
    parse_mapping_path,
    preset,
    read_path,
    register_transform,
    write_path,
)
from scimcore.schema import DEFAULT_REGISTRY, ENTERPRISE_USER_URN, USER_URN

CUSTOM_URN = "urn:example:params:scim:schemas:extension:wordpress:2.0:User"
CUSTOM_SCHEMA = {
    "id": CUSTOM_URN,
    "name": "WordPressUser",
    "attributes": [
        {"name": "nickname", "type": "string"},
        {"name": "favoriteColor", "type": "string"},
        {"name": "tags", "type": "string", "multiValued": True},
        {"name": "newsletter", "type": "boolean"},
    ],
}
REGISTRY = DEFAULT_REGISTRY.with_extension("User", CUSTOM_SCHEMA)


def user(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schemas": [USER_URN],
        "userName": "Jane.Doe@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [
            {"value": "jane@home.example", "type": "home"},
            {"value": "jane.doe@example.com", "type": "work", "primary": True},
        ],
    }
    base.update(extra)
    return base


# -- paths ---------------------------------------------------------------------------------


def test_path_filter_and_sub_are_canonicalised() -> None:
    p = parse_mapping_path('EMAILS[Type eq "work"].VALUE', registry=DEFAULT_REGISTRY)
    assert p.keys == ("emails",)
    assert p.where == (("type", "work"),)
    assert p.sub is not None and p.sub.name == "value"


def test_read_filter_path_picks_matching_element() -> None:
    p = parse_mapping_path('emails[type eq "work"].value', registry=DEFAULT_REGISTRY)
    assert read_path(user(), p) == "jane.doe@example.com"
    p2 = parse_mapping_path("emails[primary eq true].value", registry=DEFAULT_REGISTRY)
    assert read_path(user(), p2) == "jane.doe@example.com"
    p3 = parse_mapping_path('emails[type eq "other"].value', registry=DEFAULT_REGISTRY)
    assert read_path(user(), p3) is None


def test_read_accepts_a_lone_object_for_a_multi_valued_attribute() -> None:
    p = parse_mapping_path('emails[type eq "work"].value', registry=DEFAULT_REGISTRY)
    assert read_path({"emails": {"type": "work", "value": "x@y"}}, p) == "x@y"


def test_read_is_case_insensitive_on_names() -> None:
    p = parse_mapping_path("name.givenName", registry=DEFAULT_REGISTRY)
    assert read_path({"NAME": {"GIVENNAME": "J"}}, p) == "J"


def test_write_filter_path_creates_element_with_filter_values() -> None:
    p = parse_mapping_path('emails[type eq "work"].value', registry=DEFAULT_REGISTRY)
    out: dict[str, Any] = {}
    write_path(out, p, "a@b")
    assert out == {"emails": [{"type": "work", "value": "a@b"}]}
    write_path(out, p, "c@d")
    assert out == {"emails": [{"type": "work", "value": "c@d"}]}


def test_extension_path() -> None:
    p = parse_mapping_path(f"{ENTERPRISE_USER_URN}:manager.value", registry=DEFAULT_REGISTRY)
    assert p.keys == (ENTERPRISE_USER_URN, "manager")
    out: dict[str, Any] = {}
    write_path(out, p, "m1")
    assert out == {ENTERPRISE_USER_URN: {"manager": {"value": "m1"}}}
    assert read_path(out, p) == "m1"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("nope", "names no User attribute"),
        ("name", "name a sub-attribute"),
        ("name.nope", "names no User attribute"),
        ('emails[type co "w"].value', "eq"),
        ('emails[type eq "w"', "never closed"),
        ('userName[type eq "w"]', "multi-valued complex"),
        ('emails[nope eq "w"].value', "no sub-attribute 'nope'"),
    ],
)
def test_bad_paths_are_refused_with_a_reason(text: str, needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        parse_mapping_path(text, registry=DEFAULT_REGISTRY)


# -- rules and transforms -----------------------------------------------------------------


def test_transforms_lower_join_split_default_constant() -> None:
    m = mapping_from_dict(
        {
            "rules": [
                {"scim": "userName", "field": "user_login", "transform": "lower"},
                {"scim": "roles.value", "meta": "roles", "transform": {"join": ","}},
                {"scim": "nickName", "meta": "nickname", "default": "anon"},
                {"scim": "locale", "meta": "role", "transform": {"constant": "subscriber"}},
            ]
        }
    )
    rec = m.to_app(user(roles=[{"value": "editor"}, {"value": "author"}]))
    assert rec.fields == {"user_login": "jane.doe@example.com"}
    assert rec.meta == {"roles": "editor,author", "nickname": "anon", "role": "subscriber"}
    back = m.to_scim(rec)
    assert back["roles"] == [{"value": "editor"}, {"value": "author"}]
    assert back["userName"] == "jane.doe@example.com"


def test_registered_callable_transform() -> None:
    register_transform("initials", lambda v: "".join(p[0] for p in v.split()) if v else v)
    m = mapping_from_dict(
        {"rules": [{"scim": "displayName", "meta": "initials", "transform": "call:initials"}]}
    )
    assert m.to_app({"displayName": "Jane Q Doe"}).meta == {"initials": "JQD"}


def test_unknown_callable_is_refused_at_load() -> None:
    with pytest.raises(ConfigurationError, match="no transform registered as 'nope'"):
        mapping_from_dict(
            {"rules": [{"scim": "displayName", "meta": "x", "transform": "call:nope"}]}
        )


def test_required_rule_names_itself() -> None:
    m = mapping_from_dict(
        {"rules": [{"scim": "name.familyName", "meta": "last", "required": True}]}
    )
    with pytest.raises(InvalidValue) as info:
        m.to_app({"userName": "x"})
    assert "mapping rule 1 (name.familyName ⇄ meta last) is required" in info.value.detail
    assert info.value.scim_type == "invalidValue"


def test_failing_transform_names_the_rule() -> None:
    def boom(value: Any) -> Any:
        raise ValueError("not a color")

    register_transform("boom", boom)
    m = mapping_from_dict(
        {
            "rules": [
                {"scim": "userName", "field": "login"},
                {"scim": "title", "meta": "t", "transform": "call:boom"},
            ]
        }
    )
    with pytest.raises(InvalidValue, match=r"mapping rule 2 \(title ⇄ meta t\).*not a color"):
        m.to_app({"userName": "x", "title": "y"})


def test_missing_value_clears_the_field() -> None:
    m = preset("okta")
    rec = m.to_app({"userName": "x"})
    assert rec.fields["user_email"] is None
    assert "emails" not in m.to_scim(rec)


def test_two_rules_writing_one_field_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="writes field login, which mapping rule 1"):
        mapping_from_dict(
            {
                "rules": [
                    {"scim": "userName", "field": "login"},
                    {"scim": "displayName", "field": "login"},
                ]
            }
        )


def test_custom_extension_attributes_go_to_meta() -> None:
    m = mapping_from_dict(
        {
            "extensions_to_meta": True,
            "rules": [
                {"scim": "userName", "field": "user_login"},
                {"scim": f"{CUSTOM_URN}:nickname", "meta": "nickname"},
            ],
        },
        registry=REGISTRY,
    )
    scim = user(**{CUSTOM_URN: {"nickname": "jd", "favoriteColor": "green", "tags": ["a", "b"]}})
    rec = m.to_app(scim)
    assert rec.meta == {
        "nickname": "jd",
        f"scim:{CUSTOM_URN}:favoriteColor": "green",
        f"scim:{CUSTOM_URN}:tags": ["a", "b"],
    }
    back = m.to_scim(rec)
    assert back[CUSTOM_URN] == {"nickname": "jd", "favoriteColor": "green", "tags": ["a", "b"]}
    assert back["schemas"] == [USER_URN, CUSTOM_URN]


# -- loading ---------------------------------------------------------------------------------


def test_load_json_and_toml(tmp_path: Path) -> None:
    doc = {"rules": [{"scim": "userName", "field": "user_login", "required": True}]}
    jf = tmp_path / "m.json"
    jf.write_text(json.dumps(doc))
    tf = tmp_path / "m.toml"
    tf.write_text(
        'preset = "entra"\n[[rules]]\nscim = "userName"\nfield = "login"\ntransform = ["lower"]\n'
    )
    assert load_mapping(jf).fields == ("user_login",)
    m = load_mapping(tf)
    assert m.fields[-1] == "login" and "user_email" in m.fields
    assert m.to_app({"userName": "ABC"}).fields["login"] == "abc"


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({}, "'rules' is a required property"),
        ({"rules": [{"scim": "userName"}]}, r"\$\.rules\[0\]"),
        ({"rules": [{"scim": "userName", "field": "a", "meta": "b"}]}, r"\$\.rules\[0\]"),
        ({"rules": [{"scim": "userName", "field": "a", "colour": 1}]}, "colour"),
        ({"rules": [{"scim": "userName", "field": "a", "direction": "up"}]}, "direction"),
        ({"preset": "ping", "rules": []}, "no mapping preset called 'ping'"),
        ({"resource_type": "Device", "rules": []}, "no resource type called 'Device'"),
    ],
)
def test_bad_documents_are_refused_naming_the_key(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        mapping_from_dict(doc)


def test_bad_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("rules = [")
    with pytest.raises(ConfigurationError, match=r"bad\.toml"):
        load_mapping(bad)


# -- presets ---------------------------------------------------------------------------------


def test_presets_differ_where_the_idps_differ() -> None:
    assert set(PRESETS) == {"okta", "jumpcloud", "miniorange", "entra"}
    okta, entra = preset("okta"), preset("entra")
    scim = user(**{ENTERPRISE_USER_URN: {"department": "R&D"}})
    assert okta.to_app(scim).fields["user_email"] == "jane.doe@example.com"
    assert entra.to_app(scim).meta["department"] == "R&D"
    assert "department" not in okta.to_app(scim).meta
    home_primary = user(emails=[{"value": "h@x", "type": "home", "primary": True}])
    assert okta.to_app(home_primary).fields["user_email"] == "h@x"
    assert preset("miniorange").to_app(home_primary).fields["user_email"] is None


# -- the round trip property -----------------------------------------------------------------

RICH = {
    "extensions_to_meta": True,
    "rules": [
        {"scim": "userName", "field": "user_login", "required": True},
        {"scim": "displayName", "field": "display_name"},
        {"scim": "name.givenName", "meta": "first_name"},
        {"scim": "name.familyName", "meta": "last_name"},
        {"scim": 'emails[type eq "work"].value', "field": "user_email"},
        {"scim": 'phoneNumbers[type eq "mobile"].value', "meta": "mobile"},
        {"scim": "roles.value", "meta": "roles", "transform": {"join": "|"}},
        {"scim": "active", "meta": "active"},
        {"scim": f"{ENTERPRISE_USER_URN}:department", "meta": "department"},
        {"scim": f"{ENTERPRISE_USER_URN}:manager.value", "meta": "manager"},
        {"scim": f"{CUSTOM_URN}:nickname", "meta": "nickname"},
    ],
}
RICH_MAPPING = mapping_from_dict(RICH, registry=REGISTRY)

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_opt = st.none() | _text


@st.composite
def scim_users(draw: st.DrawFn) -> dict[str, Any]:
    u: dict[str, Any] = {"schemas": [USER_URN], "userName": draw(_text)}
    if (v := draw(_opt)) is not None:
        u["displayName"] = v
    name = {k: draw(_opt) for k in ("givenName", "familyName")}
    if any(v is not None for v in name.values()):
        u["name"] = {k: v for k, v in name.items() if v is not None}
    if (v := draw(_opt)) is not None:
        u["emails"] = [{"type": "work", "value": v}]
    if (v := draw(_opt)) is not None:
        u["phoneNumbers"] = [{"type": "mobile", "value": v}]
    roles = draw(st.lists(_text.filter(lambda s: "|" not in s), max_size=3))
    if roles:
        u["roles"] = [{"value": r} for r in roles]
    if (b := draw(st.none() | st.booleans())) is not None:
        u["active"] = b
    ent = {"department": draw(_opt), "manager": draw(_opt)}
    if any(v is not None for v in ent.values()):
        block: dict[str, Any] = {}
        if ent["department"] is not None:
            block["department"] = ent["department"]
        if ent["manager"] is not None:
            block["manager"] = {"value": ent["manager"]}
        u[ENTERPRISE_USER_URN] = block
    custom = {
        "nickname": draw(_opt),
        "favoriteColor": draw(_opt),
        "newsletter": draw(st.none() | st.booleans()),
        "tags": draw(st.none() | st.lists(_text, min_size=1, max_size=3)),
    }
    custom = {k: v for k, v in custom.items() if v is not None}
    if custom:
        u[CUSTOM_URN] = custom
    return u


@settings(max_examples=80, deadline=None)
@given(scim_users())
def test_round_trip_scim_app_scim_preserves_every_mapped_attribute(u: dict[str, Any]) -> None:
    record = RICH_MAPPING.to_app(u)
    # what an application would store (JSON in a meta table) survives too
    stored = AppRecord(
        fields=json.loads(json.dumps(record.fields)), meta=json.loads(json.dumps(record.meta))
    )
    back = RICH_MAPPING.to_scim(stored)
    for rule in RICH_MAPPING.rules:
        assert read_path(back, rule.path) == read_path(u, rule.path), rule.label
    assert back.get(CUSTOM_URN, {}) == u.get(CUSTOM_URN, {})
    # and the SCIM side is stable: a second trip changes nothing
    assert RICH_MAPPING.to_scim(RICH_MAPPING.to_app(back)) == back
