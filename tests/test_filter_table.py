"""Table-driven filter cases over a fixed population: in memory, in SQLite and in PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scimcore import InvalidFilter, parse_filter
from scimcore.filter import compile_sql, register_sqlite_functions
from scimcore.schema import DEFAULT_REGISTRY, ENTERPRISE_USER_URN, GROUP_URN, USER_URN

ENT = ENTERPRISE_USER_URN
ACME = "urn:example:params:scim:schemas:extension:acme:2.0:User"
REGISTRY = DEFAULT_REGISTRY.with_extension(
    "User",
    {
        "id": ACME,
        "name": "AcmeUser",
        "attributes": [
            {"name": "badgeNumber", "type": "integer"},
            {"name": "score", "type": "decimal"},
            {"name": "vip", "type": "boolean"},
            {"name": "photo", "type": "binary"},
            {"name": "hired", "type": "dateTime"},
            {"name": "tags", "type": "string", "multiValued": True},
            {"name": "codes", "type": "integer", "multiValued": True},
            {"name": "badge", "type": "string", "caseExact": True},
        ],
    },
)
S_U = [USER_URN]
S_UE = [USER_URN, ENT]
S_UA = [USER_URN, ACME]

USERS: list[dict[str, Any]] = [
    {
        "schemas": [USER_URN, ENT, ACME],
        "id": "u1",
        "externalId": "Ext-1",
        "userName": "bjensen",
        "name": {
            "givenName": "Barbara",
            "familyName": "Jensen",
            "formatted": "Ms. Barbara J Jensen III",
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "title": "Tour Guide",
        "userType": "Employee",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "meta": {
            "resourceType": "User",
            "created": "2011-08-01T18:29:49.793Z",
            "lastModified": "2011-08-01T18:29:49.793Z",
            "version": 'W/"a330bc54f0671c9"',
        },
        ENT: {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "u3", "displayName": "Ádám"},
        },
        ACME: {
            "badgeNumber": 7,
            "score": 4.5,
            "vip": True,
            "photo": "aGVsbG8=",
            "hired": "2010-01-01T09:00:00+01:00",
            "tags": ["alpha", "Beta"],
            "codes": [1, 20, 300],
            "badge": "AbC",
        },
    },
    {
        "schemas": S_UA,
        "id": "u2",
        "externalId": "ext-1",
        "userName": "JSmith",
        "name": {"givenName": "John", "familyName": "Smith"},
        "title": "",
        "active": False,
        "emails": [{"value": "john@EXAMPLE.com", "type": "work"}],
        "meta": {
            "resourceType": "User",
            "created": "2012-01-01T00:00:00+02:00",
            "lastModified": "2015-06-01T12:00:00Z",
        },
        ACME: {
            "badgeNumber": 42,
            "score": -1,
            "vip": False,
            "tags": [],
            "codes": [],
            "badge": "abc",
        },
    },
    {
        "schemas": S_UE,
        "id": "u3",
        "userName": "ádám@ünïcode.example",
        "name": {"givenName": "Ádám", "familyName": "Ñúñez"},
        "displayName": "日本 太郎",
        "title": None,
        "active": True,
        "emails": [
            {"value": "adam@example.com", "type": "home", "primary": True},
            {"value": "adam@work.example", "type": "work"},
        ],
        "meta": {"resourceType": "User", "created": "2013-03-03T03:03:03-05:00"},
        ENT: {"department": "R&D", "manager": {"value": "u1"}},
    },
    {
        "schemas": S_U,
        "id": "u4",
        "userName": 'quote"er',
        "displayName": 'He said "hi"',
        "title": "100% sure_thing",
        "nickName": "a\\b",
        "active": True,
        "addresses": [
            {
                "type": "work",
                "streetAddress": "1 Main St",
                "locality": "Springfield",
                "postalCode": "12345",
                "country": "US",
            }
        ],
        "meta": {"resourceType": "User", "created": "2020-02-29T23:59:59.999Z"},
    },
    {
        "schemas": S_U,
        "id": "u5",
        "userName": "nulluser",
        "name": {},
        "emails": [],
        "meta": {"resourceType": "User", "created": "2021-01-01T00:00:00Z"},
    },
    {
        "schemas": S_UE,
        "id": "u6",
        "userName": "percent%",
        "title": "Manager",
        "active": True,
        "ims": [{"value": "u6@xmpp.example", "type": "xmpp"}],
        "phoneNumbers": [
            {"value": "+1-555-0100", "type": "mobile"},
            {"value": "+44 20 7946 0000", "type": "work"},
        ],
        "meta": {"resourceType": "User", "created": "2019-12-31T23:00:00-01:00"},
        ENT: {"employeeNumber": "42"},
    },
    {
        "schemas": S_UA,
        "id": "u7",
        "userName": "under_score",
        "title": "Engineer",
        "active": True,
        "emails": [
            {"value": "u7@example.com", "type": "work"},
            {"value": "u7@EXAMPLE.org", "type": "other", "primary": False},
        ],
        "roles": [{"value": "admin", "primary": True}],
        "meta": {"resourceType": "User", "created": "2020-01-01T00:00:00Z"},
        ACME: {"badgeNumber": 7, "score": 4.5, "codes": [20], "hired": "2010-01-01T08:00:00Z"},
    },
    {
        "schemas": S_U,
        "id": "U8",
        "userName": "ÉCOLE",
        "displayName": "École Œuvre",
        "title": "tour guide",
        "active": False,
        "emails": [{"value": "ecole@example.com"}],
        "meta": {"resourceType": "User", "created": "2022-06-15T12:00:00.5+00:00"},
    },
]

GROUPS: list[dict[str, Any]] = [
    {
        "schemas": [GROUP_URN],
        "id": "g1",
        "displayName": "Tour Guides",
        "members": [
            {"value": "u1", "type": "User", "display": "Babs"},
            {"value": "u7", "type": "User"},
        ],
        "meta": {"resourceType": "Group", "created": "2011-01-01T00:00:00Z"},
    },
    {
        "schemas": [GROUP_URN],
        "id": "g2",
        "displayName": "Engineers",
        "members": [{"value": "g1", "type": "Group"}],
        "meta": {"resourceType": "Group", "created": "2012-01-01T00:00:00Z"},
    },
    {
        "schemas": [GROUP_URN],
        "id": "g3",
        "displayName": "empty",
        "members": [],
        "meta": {"resourceType": "Group", "created": "2013-01-01T00:00:00Z"},
    },
]

ALL_U = {u["id"] for u in USERS}


def _not(*ids: str) -> set[str]:
    return ALL_U - set(ids)


# (filter, ids expected among USERS)
USER_CASES: list[tuple[str, set[str]]] = [
    # equality, case-insensitive strings, case-insensitive names and operators
    ('userName eq "bjensen"', {"u1"}),
    ('userName eq "BJENSEN"', {"u1"}),
    ('USERNAME EQ "bjensen"', {"u1"}),
    ('username Eq "jsmith"', {"u2"}),
    ('userName eq "JSmith"', {"u2"}),
    ('userName eq "nobody"', set()),
    ('userName ne "bjensen"', _not("u1")),
    ('userName NE "BJensen"', _not("u1")),
    ('userName eq "ádám@ünïcode.example"', {"u3"}),
    ('userName eq "ÁDÁM@ÜNÏCODE.EXAMPLE"', {"u3"}),
    ('userName eq "école"', {"U8"}),
    ('userName eq "\\u00c9cole"', {"U8"}),
    ('displayName eq "日本 太郎"', {"u3"}),
    ('displayName co "本"', {"u3"}),
    ('displayName eq "école œuvre"', {"U8"}),
    # escapes
    ('userName eq "quote\\"er"', {"u4"}),
    ('displayName eq "he said \\"HI\\""', {"u4"}),
    ('displayName co "\\"hi\\""', {"u4"}),
    ('nickName eq "a\\\\b"', {"u4"}),
    ('nickName eq "A\\u005cB"', {"u4"}),
    ('userName eq "quote\\u0022er"', {"u4"}),
    # co / sw / ew, with LIKE wildcards taken literally
    ('userName co "jen"', {"u1"}),
    ('userName co "JEN"', {"u1"}),
    ('userName sw "j"', {"u2"}),
    ('userName ew "SMITH"', {"u2"}),
    ('userName co "%"', {"u6"}),
    ('userName ew "%"', {"u6"}),
    ('userName co "_"', {"u7"}),
    ('userName sw "under_"', {"u7"}),
    ('title co "0% s"', {"u4"}),
    ('title co "%"', {"u4"}),
    ('title co "_"', {"u4"}),
    ('title sw ""', {"u1", "u4", "u6", "u7", "U8"} | {"u2"}),
    ('title co "e_"', {"u4"}),
    ('userName co "*"', set()),
    ('userName co "?"', set()),
    ('title sw "tour"', {"u1", "U8"}),
    ('title eq "TOUR GUIDE"', {"u1", "U8"}),
    ('title ew "GUIDE"', {"u1", "U8"}),
    ('userName co "@"', {"u3"}),
    ('userName co "ünï"', {"u3"}),
    ('userName sw "É"', {"U8"}),
    ('userName sw "é"', {"U8"}),
    # presence
    ("title pr", {"u1", "u4", "u6", "u7", "U8"}),
    ("not (title pr)", {"u2", "u3", "u5"}),
    ("title eq null", {"u2", "u3", "u5"}),
    ("title ne null", {"u1", "u4", "u6", "u7", "U8"}),
    ("name pr", {"u1", "u2", "u3"}),
    ("emails pr", _not("u4", "u5", "u6")),
    ("emails eq null", {"u4", "u5", "u6"}),
    ("addresses pr", {"u4"}),
    ("nickName pr", {"u1", "u4"}),
    ("name.givenName pr", {"u1", "u2", "u3"}),
    ("emails.type pr", _not("u4", "u5", "u6", "U8")),
    ("emails.primary pr", {"u1", "u3", "u7"}),
    ("externalId pr", {"u1", "u2"}),
    ("meta.lastModified pr", {"u1", "u2"}),
    ("active pr", _not("u5")),
    ("ims pr", {"u6"}),
    ("roles.primary pr", {"u7"}),
    (f"{ENT}:manager pr", {"u1", "u3"}),
    (f"{ENT}:manager.displayName pr", {"u1"}),
    ("employeeNumber pr", {"u1", "u6"}),
    # booleans
    ("active eq true", {"u1", "u3", "u4", "u6", "u7"}),
    ("active eq TRUE", {"u1", "u3", "u4", "u6", "u7"}),
    ("active eq false", {"u2", "U8"}),
    ("active ne true", {"u2", "u5", "U8"}),
    ("active ne false", _not("u2", "U8")),
    ('active eq "true"', {"u1", "u3", "u4", "u6", "u7"}),
    ('active eq "False"', {"u2", "U8"}),
    ("emails.primary eq true", {"u1", "u3"}),
    ("emails.primary eq false", {"u7"}),
    ("emails[primary eq true]", {"u1", "u3"}),
    ("not (emails[primary eq true])", _not("u1", "u3")),
    ("emails[not (primary eq true)]", {"u1", "u2", "u3", "u7", "U8"}),
    # case-exact attributes
    ('id eq "u1"', {"u1"}),
    ('id eq "U1"', set()),
    ('id eq "U8"', {"U8"}),
    ('id eq "u8"', set()),
    ('id sw "u"', _not("U8")),
    ('id sw "U"', {"U8"}),
    ('externalId eq "Ext-1"', {"u1"}),
    ('externalId eq "ext-1"', {"u2"}),
    ('externalId eq "EXT-1"', set()),
    ('externalId co "xt"', {"u1", "u2"}),
    ('externalId ne "ext-1"', _not("u2")),
    ('meta.version eq "W/\\"a330bc54f0671c9\\""', {"u1"}),
    ('meta.version eq "w/\\"A330BC54F0671C9\\""', set()),
    ('meta.resourceType eq "User"', ALL_U),
    ('meta.resourceType eq "user"', set()),
    (f'schemas eq "{ENT}"', {"u1", "u3", "u6"}),
    (f'schemas eq "{ENT.upper()}"', set()),
    (f'schemas eq "{ACME}"', {"u1", "u2", "u7"}),
    ('schemas co "acme"', {"u1", "u2", "u7"}),
    ('schemas co "ACME"', set()),
    ('badge eq "AbC"', {"u1"}),
    ('badge eq "abc"', {"u2"}),
    ('badge co "B"', set()),
    ('badge co "b"', {"u1", "u2"}),
    ('badge co "C"', {"u1"}),
    ('badge gt "ABC"', {"u1", "u2"}),
    ('badge gt "a"', {"u2"}),
    # multi-valued any-match and complex filters
    ('emails.value eq "BJENSEN@example.com"', {"u1"}),
    ('emails.value ew "example.com"', {"u1", "u2", "u3", "u7", "U8"}),
    ('emails co "jensen.org"', {"u1"}),
    ('emails.value co "jensen.org"', {"u1"}),
    ('emails.type eq "work"', {"u1", "u2", "u3", "u7"}),
    ('emails.type ne "work"', _not("u1", "u2", "u3", "u7")),
    ('emails[type eq "work"]', {"u1", "u2", "u3", "u7"}),
    ('emails[type eq "work" and value co "@example.com"]', {"u1", "u2", "u7"}),
    ('emails[type eq "home" and value co "example.com"]', {"u3"}),
    ('emails.type eq "home" and emails.value co "work.example"', {"u3"}),
    ('emails[type eq "home" and value co "work.example"]', set()),
    ('emails[type eq "work" and primary eq true]', {"u1"}),
    ('emails[type eq "home" and primary eq true]', {"u3"}),
    ('emails[type eq "work"].value eq "adam@work.example"', {"u3"}),
    ('emails[type eq "home"].value eq "adam@work.example"', set()),
    ('emails[type eq "work"].value co "EXAMPLE"', {"u1", "u2", "u3", "u7"}),
    ('emails[TYPE EQ "WORK" AND VALUE EW ".COM"]', {"u1", "u2", "u7"}),
    ('emails[type eq "work" or type eq "other"]', {"u1", "u2", "u3", "u7"}),
    ('emails[type eq "other" and (value ew ".org" or value ew ".net")]', {"u7"}),
    ("emails[value pr and not (type pr)]", {"U8"}),
    ('emails[type eq "work"] and phoneNumbers[type eq "work"]', {"u1"}),
    ('emails[type eq "work"] or phoneNumbers[type eq "mobile"]', {"u1", "u2", "u3", "u6", "u7"}),
    ('phoneNumbers[type eq "mobile" and value sw "+1"]', {"u6"}),
    ('phoneNumbers[value co " "]', {"u6"}),
    ('ims[type eq "xmpp"]', {"u6"}),
    ('addresses[type eq "work" and postalCode eq "12345"]', {"u4"}),
    ('addresses.locality eq "springfield"', {"u4"}),
    ('addresses[country eq "us"]', {"u4"}),
    ('roles[value eq "ADMIN" and primary eq true]', {"u7"}),
    ('(emails[type eq "work"]) and (userName sw "b" or userName sw "u")', {"u1", "u7"}),
    ('((emails[type eq "work"]) and (not (userName sw "b")))', {"u2", "u3", "u7"}),
    ('emails[type eq "work"] and not (emails[type eq "home"])', {"u2", "u7"}),
    # names: dotted, URN-qualified, case-insensitive
    ('name.familyName eq "jensen"', {"u1"}),
    ('NAME.FAMILYNAME EQ "JENSEN"', {"u1"}),
    ('name.givenName sw "á"', {"u3"}),
    ('name.familyName eq "ñúñez"', {"u3"}),
    ('name.formatted co "j jensen"', {"u1"}),
    (f'{USER_URN}:userName eq "bjensen"', {"u1"}),
    (f'{USER_URN.upper()}:USERNAME eq "bjensen"', {"u1"}),
    (f'{USER_URN}:name.givenName eq "john"', {"u2"}),
    (f'{ENT}:employeeNumber eq "701984"', {"u1"}),
    (f'{ENT}:department eq "r&d"', {"u3"}),
    (f'{ENT.lower()}:DEPARTMENT eq "R&D"', {"u3"}),
    ('employeeNumber eq "42"', {"u6"}),
    (f'{ENT}:manager.value eq "u1"', {"u3"}),
    (f'{ENT}:manager.value eq "U1"', {"u3"}),
    ('manager.value eq "u3"', {"u1"}),
    (f'{ENT}:manager.displayName eq "ádám"', {"u1"}),
    # numbers (a custom extension)
    ("badgeNumber eq 7", {"u1", "u7"}),
    ("badgeNumber eq 7.0", {"u1", "u7"}),
    ("badgeNumber gt 7", {"u2"}),
    ("badgeNumber ge 7", {"u1", "u2", "u7"}),
    ("badgeNumber lt 42", {"u1", "u7"}),
    ("badgeNumber le 4.2e1", {"u1", "u2", "u7"}),
    ("badgeNumber ne 7", _not("u1", "u7")),
    ("badgeNumber gt 10 or badgeNumber lt 8", {"u1", "u2", "u7"}),
    ("score gt 0", {"u1", "u7"}),
    ("score lt 0", {"u2"}),
    ("score eq -1", {"u2"}),
    ("score ge 4.5", {"u1", "u7"}),
    ("score gt 4.49", {"u1", "u7"}),
    ("codes eq 20", {"u1", "u7"}),
    ("codes gt 100", {"u1"}),
    ("codes lt 1", set()),
    ("codes pr", {"u1", "u7"}),
    (f"{ACME}:codes ge 300", {"u1"}),
    ("vip eq true", {"u1"}),
    ("vip eq false", {"u2"}),
    ("vip ne true", _not("u1")),
    ('photo eq "aGVsbG8="', {"u1"}),
    ('photo eq "AGVSBG8="', set()),
    ('tags eq "beta"', {"u1"}),
    ('tags co "LP"', {"u1"}),
    ("tags pr", {"u1"}),
    # dates with offsets
    ('meta.created eq "2011-08-01T18:29:49.793Z"', {"u1"}),
    ('meta.created eq "2011-08-01T20:29:49.793+02:00"', {"u1"}),
    ('meta.created eq "2011-12-31T22:00:00Z"', {"u2"}),
    ('meta.created eq "2012-01-01T00:00:00+02:00"', {"u2"}),
    ('meta.created gt "2011-12-31T21:59:59Z"', _not("u1")),
    ('meta.created gt "2011-12-31T22:00:00Z"', _not("u1", "u2")),
    ('meta.created ge "2011-12-31T22:00:00Z"', _not("u1")),
    ('meta.created lt "2012-01-01T00:00:00Z"', {"u1", "u2"}),
    ('meta.created lt "2012-01-01T00:00:00+02:00"', {"u1"}),
    ('meta.created eq "2013-03-03T08:03:03Z"', {"u3"}),
    ('meta.created eq "2020-01-01T00:00:00Z"', {"u6", "u7"}),
    ('meta.created eq "2020-01-01T01:00:00+01:00"', {"u6", "u7"}),
    ('meta.created gt "2020-02-29T23:59:59Z"', {"u4", "u5", "U8"}),
    ('meta.created gt "2020-02-29T23:59:59.998Z"', {"u4", "u5", "U8"}),
    ('meta.created gt "2020-02-29T23:59:59.999Z"', {"u5", "U8"}),
    ('meta.created eq "2022-06-15T12:00:00.500Z"', {"U8"}),
    ('meta.created eq "2022-06-15T12:00:00.5"', {"U8"}),
    ('meta.created ge "2021-01-01T00:00:00" and meta.created le "2022-01-01T00:00:00"', {"u5"}),
    ('meta.lastModified gt "2015-06-01T11:59:59-00:00"', {"u2"}),
    ('meta.lastModified lt "2015-06-01T13:00:00+01:00"', {"u1"}),
    ('hired eq "2010-01-01T08:00:00Z"', {"u1", "u7"}),
    ('hired ne "2010-01-01T08:00:00Z"', _not("u1", "u7")),
    ("meta.created pr", ALL_U),
    # ordering on strings (code point order of the lower-cased value)
    ('userName gt "t"', {"u7", "U8", "u3"}),
    ('userName lt "c"', {"u1"}),
    ('userName ge "bjensen" and userName le "jsmith"', {"u1", "u2"}),
    ('title gt "m"', {"u1", "u6", "U8"}),
    ('title ge "manager"', {"u1", "u6", "U8"}),
    # precedence and grouping
    ('userName eq "bjensen" or userName eq "jsmith" and active eq false', {"u1", "u2"}),
    ('userName eq "bjensen" or userName eq "jsmith" and active eq true', {"u1"}),
    ('(userName eq "bjensen" or userName eq "jsmith") and active eq true', {"u1"}),
    ('active eq true and userName eq "bjensen" or userName eq "jsmith"', {"u1", "u2"}),
    ('active eq true and (userName eq "bjensen" or userName eq "jsmith")', {"u1"}),
    ("not (active eq true) and title pr", {"u2", "U8"} & {"U8"}),
    ("not (active eq true or title pr)", {"u2", "u5"}),
    ('not (not (userName eq "bjensen"))', {"u1"}),
    ('NOT (userName sw "b") AND NOT (userName sw "j")', _not("u1", "u2")),
    (
        'title pr and (title co "guide" or title co "manager") and not (active eq false)',
        {"u1", "u6"},
    ),
    ('((((userName eq "bjensen"))))', {"u1"}),
    (
        'userName eq "a" or userName eq "b" or userName eq "bjensen" or userName eq "c" '
        'or userName eq "jsmith"',
        {"u1", "u2"},
    ),
    ('userName pr and userName pr and id eq "u5"', {"u5"}),
    ("not (emails pr) or not (name pr)", {"u4", "u5", "u6", "u7", "U8"}),
    ("not (title ne null)", {"u2", "u3", "u5"}),
    ('title ne "manager"', _not("u6")),
    ('not (title eq "manager")', _not("u6")),
    # complex attribute compared directly compares its value
    ('emails eq "u7@example.org"', {"u7"}),
    ('emails ew ".org"', {"u1", "u7"}),
    ("name eq null", {"u4", "u5", "u6", "u7", "U8"}),
    # whitespace
    ('  userName   eq\t"bjensen"  ', {"u1"}),
]

BAD_USER_FILTERS: list[str] = [
    "nope eq 1",
    "name.nope pr",
    "emails[nope eq 1]",
    "emails[value.x eq 1]",
    'userName[value eq "x"]',
    "active gt true",
    "active gt 1",
    'active co "t"',
    "active eq 1",
    'active eq "yes"',
    'photo gt "a"',
    'badgeNumber gt "1"',
    'badgeNumber co "1"',
    'meta.created gt "yesterday"',
    'meta.created co "2011"',
    "userName eq 1",
    "userName gt true",
    'name eq "x"',
    'urn:example:nope:2.0:User:x eq "1"',
]

GROUP_CASES: list[tuple[str, set[str]]] = [
    ('displayName eq "tour guides"', {"g1"}),
    ('members[value eq "u1"]', {"g1"}),
    ('members.value eq "u7"', {"g1"}),
    ('members[type eq "group"]', {"g2"}),
    ("members pr", {"g1", "g2"}),
    ("not (members pr)", {"g3"}),
    ('members[value eq "u1" and display eq "babs"]', {"g1"}),
    ('members[value eq "u7" and display pr]', set()),
    ('meta.created lt "2012-06-01T00:00:00Z"', {"g1", "g2"}),
    ('displayName sw "E"', {"g2", "g3"}),
]


@pytest.mark.parametrize(("text", "expected"), USER_CASES)
def test_user_filters_in_memory(text: str, expected: set[str]) -> None:
    flt = parse_filter(text, registry=REGISTRY)
    assert {u["id"] for u in USERS if flt.matches(u)} == expected


@pytest.mark.parametrize(("text", "expected"), GROUP_CASES)
def test_group_filters_in_memory(text: str, expected: set[str]) -> None:
    flt = parse_filter(text)
    assert {g["id"] for g in GROUPS if flt.matches(g)} == expected


@pytest.mark.parametrize("text", BAD_USER_FILTERS)
def test_bad_user_filters(text: str) -> None:
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text, registry=REGISTRY).matches(USERS[0])
    assert info.value.scim_type == "invalidFilter"


def test_type_errors_wait_for_the_resource_type_when_only_it_can_tell() -> None:
    # "members" is a Group attribute: valid for some resource type, so parsing succeeds ...
    flt = parse_filter('members[value eq "u1"]')
    assert flt.matches(GROUPS[0])
    # ... and matching it against a User says why it cannot apply.
    with pytest.raises(InvalidFilter, match="not an attribute of User"):
        flt.matches(USERS[0])


def test_filters_are_cached_by_text() -> None:
    assert parse_filter('userName eq "x"') is parse_filter('userName eq "x"')
    assert parse_filter('userName eq "x"', registry=REGISTRY) is not parse_filter('userName eq "x"')


def test_resource_without_schemas_is_read_as_a_user() -> None:
    flt = parse_filter('userName eq "a"')
    assert flt.matches({"userName": "A"})
    assert flt.matches({"USERNAME": "A"})  # attribute names are case-insensitive in memory too


# -- the same table through SQL ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    register_sqlite_functions(conn)
    conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
    conn.execute("CREATE TABLE groups (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(u["id"], json.dumps(u)) for u in USERS])
    conn.executemany("INSERT INTO groups VALUES (?, ?)", [(g["id"], json.dumps(g)) for g in GROUPS])
    yield conn
    conn.close()


def _sqlite_ids(conn: sqlite3.Connection, table: str, text: str, rt: str) -> set[str]:
    reg = REGISTRY if rt == "User" else DEFAULT_REGISTRY
    sql = compile_sql(parse_filter(text, registry=reg), dialect="sqlite", resource_type=rt)
    assert sql.residual is None
    rows = conn.execute(f"SELECT id FROM {table} WHERE {sql.where}", sql.params).fetchall()
    return {r[0] for r in rows}


@pytest.mark.parametrize(("text", "expected"), USER_CASES)
def test_user_filters_in_sqlite(
    sqlite_db: sqlite3.Connection, text: str, expected: set[str]
) -> None:
    assert _sqlite_ids(sqlite_db, "users", text, "User") == expected


@pytest.mark.parametrize(("text", "expected"), GROUP_CASES)
def test_group_filters_in_sqlite(
    sqlite_db: sqlite3.Connection, text: str, expected: set[str]
) -> None:
    assert _sqlite_ids(sqlite_db, "groups", text, "Group") == expected


@pytest.fixture(scope="module")
def pg_conn(pg_dsn: str) -> Iterator[Any]:
    import psycopg

    schema = f"filter_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"SET search_path TO {schema}")
            conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, data JSONB NOT NULL)")
            conn.execute("CREATE TABLE groups (id TEXT PRIMARY KEY, data JSONB NOT NULL)")
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO users VALUES (%s, %s::jsonb)",
                    [(u["id"], json.dumps(u)) for u in USERS],
                )
                cur.executemany(
                    "INSERT INTO groups VALUES (%s, %s::jsonb)",
                    [(g["id"], json.dumps(g)) for g in GROUPS],
                )
            yield conn
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _pg_ids(conn: Any, table: str, text: str, rt: str) -> set[str]:
    reg = REGISTRY if rt == "User" else DEFAULT_REGISTRY
    sql = compile_sql(parse_filter(text, registry=reg), dialect="postgres", resource_type=rt)
    assert sql.residual is None
    rows = conn.execute(f"SELECT id FROM {table} WHERE {sql.where}", sql.params).fetchall()
    return {r[0] for r in rows}


@pytest.mark.postgres
def test_filters_in_postgres(pg_conn: Any) -> None:
    wrong = []
    for text, expected in USER_CASES:
        got = _pg_ids(pg_conn, "users", text, "User")
        if got != expected:
            wrong.append((text, sorted(got), sorted(expected)))
    for text, expected in GROUP_CASES:
        got = _pg_ids(pg_conn, "groups", text, "Group")
        if got != expected:
            wrong.append((text, sorted(got), sorted(expected)))
    assert wrong == []


def test_the_table_is_big_enough() -> None:
    assert len(USER_CASES) + len(GROUP_CASES) + len(BAD_USER_FILTERS) >= 150


@pytest.mark.parametrize(
    "resource",
    [
        {"schemas": [{}], "userName": "a"},
        {"schemas": "urn:nope", "userName": "a"},
        {"schemas": [1, None], "userName": "a"},
        {"schemas": [USER_URN], "userName": ["a"]},
        {"schemas": [USER_URN], "userName": {"x": 1}},
        {"schemas": [USER_URN], "emails": "a@x"},
        {"schemas": [USER_URN], "emails": [None, 3, "x", {"value": 5}]},
        {"schemas": [USER_URN], "name": "flat"},
        {"schemas": [USER_URN], "meta": {"created": 12}},
    ],
)
def test_odd_resources_never_crash(resource: dict[str, Any]) -> None:
    for text in (
        'userName eq "a"',
        'emails[type eq "work"]',
        'emails.value co "a"',
        "name.givenName pr",
        'meta.created gt "2020-01-01T00:00:00Z"',
        "not (emails pr)",
    ):
        assert parse_filter(text).matches(resource) in (True, False)
