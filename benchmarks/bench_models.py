"""Parse, validate and dump a realistic User: scimcore vs scim2-models vs plain json (the floor).

The payload is a ``User`` with the enterprise extension (and its manager), a name, two emails, two
phone numbers, two addresses and ``meta`` (about 1.9 KB of JSON), the shape an IdP sends and a
server returns. Each path parses the JSON text, validates the resource and serialises it back to
JSON text:

- floor: ``json.loads`` + ``json.dumps``, no checking at all;
- scimcore: ``loads`` + ``validate_resource`` + ``json.dumps`` (the dict path the service uses),
  and the same plus ``structure``/``unstructure`` through the attrs models (the typed path);
- scimcore jsonschema: ``loads`` + ``validate_with_json_schema`` + ``json.dumps`` (the reference);
- scim2-models: ``User[EnterpriseUser].model_validate_json`` + ``model_dump_json`` with the SCIM
  contexts (the peer's equivalent round trip).

Figures are the median of several ``timeit`` repeats, in µs per operation.
"""

from __future__ import annotations

import json
import statistics
import timeit
from collections.abc import Callable
from typing import Any

from scimcore import ENTERPRISE_USER_URN, USER_URN, User, validate_resource
from scimcore.models import loads, structure, unstructure, validate_with_json_schema

USER: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_USER_URN],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "701984",
    "userName": "bjensen@example.com",
    "name": {
        "formatted": "Ms. Barbara J Jensen, III",
        "familyName": "Jensen",
        "givenName": "Barbara",
        "middleName": "Jane",
        "honorificPrefix": "Ms.",
        "honorificSuffix": "III",
    },
    "displayName": "Babs Jensen",
    "nickName": "Babs",
    "title": "Tour Guide",
    "userType": "Employee",
    "preferredLanguage": "en-US",
    "locale": "en-US",
    "timezone": "America/Los_Angeles",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "phoneNumbers": [
        {"value": "555-555-5555", "type": "work"},
        {"value": "555-555-4444", "type": "mobile"},
    ],
    "addresses": [
        {
            "type": "work",
            "streetAddress": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "US",
            "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
            "primary": True,
        },
        {
            "type": "home",
            "streetAddress": "456 Hollywood Blvd",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "US",
            "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA",
        },
    ],
    ENTERPRISE_USER_URN: {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {
            "value": "26118915-6090-4610-87e4-49d8ca9f808d",
            "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
            "displayName": "John Smith",
        },
    },
    "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff591"',
        "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
    },
}
BODY = json.dumps(USER)


def _floor() -> str:
    return json.dumps(json.loads(BODY))


def _scimcore() -> str:
    data = validate_resource(loads(BODY), resource_type="User", context="response")
    return json.dumps(data)


def _scimcore_models() -> str:
    data = validate_resource(loads(BODY), resource_type="User", context="response")
    return json.dumps(unstructure(structure(data, User)))


def _scimcore_jsonschema() -> str:
    data = loads(BODY)
    validate_with_json_schema(data, resource_type="User", context="response")
    return json.dumps(data)


def _scim2_models() -> Callable[[], str] | None:
    try:
        from scim2_models import Context, EnterpriseUser
        from scim2_models import User as Scim2User
    except ImportError:
        return None
    model = Scim2User[EnterpriseUser]  # type: ignore[type-arg,misc]

    def run() -> str:
        user = model.model_validate_json(BODY, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return str(user.model_dump_json(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    return run


def _measure(fn: Callable[[], Any], *, repeat: int = 7, budget: float = 0.25) -> float:
    """Median µs per call over ``repeat`` runs of about ``budget`` seconds each."""
    fn()  # warm up (compiled validators, caches)
    timer = timeit.Timer(fn)
    number, elapsed = 1, 0.0
    while elapsed < budget / 5:
        number *= 2
        elapsed = timer.timeit(number)
    number = max(1, int(number * budget / 5 / elapsed * 5))
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    """Print µs per parse+validate+dump for each library and the ratios between them."""
    assert json.loads(_scimcore()) == USER
    assert json.loads(_scimcore_models()) == USER
    print(f"payload: realistic User + enterprise extension, {len(BODY)} bytes of JSON")
    rows: list[tuple[str, float]] = [
        ("json.loads + json.dumps (floor)", _measure(_floor)),
        ("scimcore: loads + validate_resource + dumps", _measure(_scimcore)),
        ("scimcore: ... + attrs models (structure/unstructure)", _measure(_scimcore_models)),
        (
            "scimcore: loads + jsonschema reference + dumps",
            _measure(_scimcore_jsonschema, repeat=3),
        ),
    ]
    peer = _scim2_models()
    if peer is not None:
        rows.append(
            ("scim2-models: model_validate_json + model_dump_json", _measure(peer, repeat=3))
        )
    floor = rows[0][1]
    ours = rows[1][1]
    print(f"{'path':58} {'µs/op':>9} {'x floor':>8} {'vs scimcore':>12}")
    for label, micros in rows:
        print(f"{label:58} {micros:9.1f} {micros / floor:8.2f} {micros / ours:11.2f}x")
    parsed = json.loads(BODY)
    valid = validate_resource(parsed, resource_type="User", context="response")
    parts = [
        ("loads (scimcore: size and depth guards + json.loads)", lambda: loads(BODY)),
        (
            "validate_resource (compiled from the schema layer)",
            lambda: validate_resource(parsed, resource_type="User", context="response"),
        ),
        ("json.dumps", lambda: json.dumps(valid)),
        (
            "structure + unstructure (attrs models via cattrs)",
            lambda: unstructure(structure(valid, User)),
        ),
    ]
    print("where scimcore's time goes:")
    for label, fn in parts:
        print(f"  {label:56} {_measure(fn):9.1f}")
    if peer is not None:
        scim2 = rows[-1][1]
        print(
            f"scimcore is {scim2 / ours:.1f}x faster than scim2-models "
            f"(aim ≥ 10x) and {ours / floor:.2f}x the floor (aim ≤ 3x)"
        )
    else:
        print("scim2-models is not installed (pip install '.[bench]') — peer row skipped")


if __name__ == "__main__":
    main()
