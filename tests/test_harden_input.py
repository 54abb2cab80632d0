"""Hostile text and numbers refused at the boundary, the same on every store (issue 12.3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scimcore.errors import InvalidValue
from scimcore.service import ScimRequest, ScimService, WriteEvent
from tests._service_support import AUTH, USER_URN, call, user
from tests.harden_support import service_on
from tests.store_backends import BACKENDS

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _raw(svc: ScimService, method: str, path: str, body: str = "", **query: str) -> Any:
    """Send a body written as JSON text (so it can spell ``\\ud800``), return (status, body)."""
    headers = {**AUTH, "Content-Type": "application/scim+json"}
    r = svc.handle(ScimRequest(method, "/scim/v2" + path, query, headers, body.encode()))
    return r.status, r.json() if r.body else None


CASES: list[tuple[str, str, str, dict[str, str], str, str | None]] = [
    ("GET", "/Users/%00", "", {}, "invalidValue", None),
    ("GET", "/Users/\ud800", "", {}, "invalidValue", None),
    ("DELETE", "/Users/a%00b", "", {}, "invalidValue", None),
    ("POST", "/Users", f'{{"schemas":["{USER_URN}"],"userName":"a\\u0000"}}', {}, "invalidValue",
     "$.userName"),
    ("POST", "/Users", f'{{"schemas":["{USER_URN}"],"userName":"a\\ud800"}}', {}, "invalidValue",
     "$.userName"),
    ("POST", "/Users", f'{{"schemas":["{USER_URN}"],"userName":"a","emails":[{{"value":'
     '"\\udfff@x"}]}', {}, "invalidValue", "$.emails[0].value"),
    ("POST", "/Users", f'{{"schemas":["{USER_URN}"],"userName":"a","\\ud800":1}}', {},
     "invalidValue", "$.\\ud800"),
    ("GET", "/Users", "", {"filter": 'userName eq "\x00"'}, "invalidValue", None),
    ("GET", "/Users", "", {"filter": 'userName eq "\ud83d"'}, "invalidValue", None),
    ("GET", "/Users", "", {"filter": 'x\ud800 eq "a"'}, "invalidValue", None),
    ("POST", "/Users/.search", '{"filter":"userName eq \\"\\u0000\\""}', {}, "invalidValue",
     "$.filter"),
    ("POST", "/Bulk", f'{{"schemas":["{BULK}"],"Operations":[{{"method":"POST","path":"/Users",'
     f'"bulkId":"b","data":{{"schemas":["{USER_URN}"],"userName":"\\ud800"}}}}]}}', {},
     "invalidValue", "$.Operations[0].data.userName"),
    ("POST", "/Bulk", f'{{"schemas":["{BULK}"],"Operations":[{{"method":"DELETE",'
     '"path":"/Users/%00"}]}', {}, "invalidValue", None),
    ("GET", "/Users", "", {"startIndex": str(2**63 + 1)}, "invalidValue", None),
    ("GET", "/Users", "", {"startIndex": "9" * 5000}, "invalidValue", None),
    ("GET", "/Users", "", {"count": str(2**64)}, "invalidValue", None),
    ("POST", "/.search", f'{{"startIndex": {2**70}}}', {}, "invalidValue", None),
    ("GET", "/Users", "", {"filter": 'meta.created gt "0001-01-01T00:00:00+01:00"'},
     "invalidFilter", None),
    ("GET", "/Users", "", {"filter": 'meta.lastModified le "9999-12-31T23:30:00-05:00"'},
     "invalidFilter", None),
    ("POST", "/Users", f'{{"schemas":["{USER_URN}"],"userName":"a","x":1e999}}', {},
     "invalidValue", "$.x"),
]  # fmt: skip


@pytest.mark.parametrize("kind", BACKENDS)
def test_hostile_input_is_a_400_naming_where_on_every_store(
    kind: str, request: pytest.FixtureRequest
) -> None:
    with service_on(kind, request) as svc:
        assert call(svc, "POST", "/Users", user("existing")).status == 201
        for method, path, body, query, scim_type, json_path in CASES:
            status, got = _raw(svc, method, path, body, **query)
            if path == "/Bulk" and status == 200:  # per-operation answer
                got = got["Operations"][0]["response"]
                status = int(got["status"])
            assert status == 400, (method, path, query, got)
            assert got["scimType"] == scim_type, (method, path, got)
            if json_path is not None:
                assert f"at {json_path}" in got["detail"], got
        # the data is unchanged: one user, as before
        listed = json.loads(call(svc, "GET", "/Users").body)
        assert listed["totalResults"] == 1


def test_the_answers_are_identical_on_every_store(request: pytest.FixtureRequest) -> None:
    answers = {}
    for kind in BACKENDS:
        with service_on(kind, request) as svc:
            answers[kind] = [_raw(svc, m, p, b, **q) for m, p, b, q, _, _ in CASES]
    assert answers["memory"] == answers["sqlite"] == answers["postgres"]


def test_rendering_an_error_cannot_fail(request: pytest.FixtureRequest) -> None:
    """An error whose detail and path hold surrogates and NUL still renders."""

    def hostile(event: WriteEvent) -> None:
        raise InvalidValue("bad \ud800 value \x00 here", path=["na\udc00me", 0])

    with service_on("memory", request, before_write=[hostile]) as svc:
        r = call(svc, "POST", "/Users", user("x"))
        assert r.status == 400
        body = json.loads(r.body.decode("utf-8"))
        assert body["scimType"] == "invalidValue"
        assert "\\ud800" in body["detail"]


def test_handle_never_raises_on_a_broken_error(request: pytest.FixtureRequest) -> None:
    class Broken(InvalidValue):
        def to_dict(self) -> dict[str, Any]:
            raise RuntimeError("cannot render")

    def hook(event: WriteEvent) -> None:
        raise Broken("x")

    with service_on("memory", request, before_write=[hook]) as svc:
        r = call(svc, "POST", "/Users", user("x"))
        assert r.status == 400
        assert json.loads(r.body)["status"] == "400"
