"""Repeatable runs: the whole bundled suite twice against one server gives the same verdicts and
leaves nothing behind; each recording deletes what it created (Bulk included), even midway."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance import collect_recordings, load_dict
from conformance.errors import TransportError
from conformance.reference import reference_service
from conformance.results import RecordingFinished, RunResult, StepFinished
from conformance.runner import Runner
from conformance.transport import Request, Response, ServiceTransport, Transport

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@contextmanager
def _store(kind: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    if kind == "memory":
        from scimcore.store import MemoryStore

        yield MemoryStore()
    elif kind == "sqlite":
        yield None  # reference_service's own temporary SQLite database
    else:
        from scimcore.store import PostgresStore

        dsn = request.getfixturevalue("pg_dsn")
        store = PostgresStore(dsn, prefix=f"confrep_{uuid.uuid4().hex[:8]}_")
        try:
            yield store
        finally:
            store.drop()
            store.close()


def _verdicts(run: RunResult) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (r.recording.name, r.outcome.value, [(s.step.name, s.outcome.value) for s in r.steps])
        for r in run.results
    ]


def _left(transport: Transport, token: str) -> dict[str, list[str]]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    found = {}
    for endpoint in ("/Users", "/Groups"):
        body = transport.send(Request("GET", endpoint, {"count": "1000"}, headers)).json()
        found[endpoint] = [
            str(r.get("userName") or r.get("displayName")) for r in body["Resources"]
        ]
    return found


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_bundled_suite_twice_gives_the_same_report_and_leaves_nothing(
    kind: str, request: pytest.FixtureRequest
) -> None:
    recordings, errors = collect_recordings()
    assert errors == []
    with _store(kind, request) as store, reference_service(store=store) as (service, token):
        transport = ServiceTransport(service)
        assert _left(transport, token) == {"/Users": [], "/Groups": []}
        first = Runner(transport, token=token).run(recordings)
        assert _left(transport, token) == {"/Users": [], "/Groups": []}
        second = Runner(transport, token=token).run(recordings)
        assert _left(transport, token) == {"/Users": [], "/Groups": []}
    assert _verdicts(first) == _verdicts(second)
    assert first.exit_code == second.exit_code == 0


def _bulk_recording(*, then_fail: bool) -> Any:
    steps: list[dict[str, Any]] = [
        {
            "name": "bulk-create",
            "request": {
                "method": "POST",
                "path": "/Bulk",
                "json": {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [
                        {
                            "method": "POST",
                            "path": "/Users",
                            "bulkId": "u1",
                            "data": {"schemas": [USER], "userName": "bulk.${unique}"},
                        },
                        {
                            "method": "POST",
                            "path": "/Groups",
                            "bulkId": "g1",
                            "data": {
                                "schemas": [GROUP],
                                "displayName": "bulk ${unique}",
                                "members": [{"value": "bulkId:u1"}],
                            },
                        },
                    ],
                },
            },
            "expect": {
                "status": 200,
                "json": {"Operations": [{"status": "201"}, {"status": "201"}]},
            },
        },
        {
            "name": "create-user",
            "request": {
                "method": "POST",
                "path": "/Users",
                "json": {"schemas": [USER], "userName": "plain.${unique}"},
            },
            "expect": {"status": 201},
        },
    ]
    if then_fail:
        steps.append(
            {
                "name": "wrong-expectation",
                "request": {"method": "GET", "path": "/Users"},
                "expect": {"status": 418},
            }
        )
    return load_dict(
        {
            "format": "scim-recording/1",
            "name": "test/bulk-cleanup",
            "idp": "rfc",
            "steps": steps,
        }
    )


@pytest.mark.parametrize("then_fail", [False, True])
def test_bulk_and_plain_creates_are_cleaned_up(then_fail: bool) -> None:
    recording = _bulk_recording(then_fail=then_fail)
    with reference_service("memory:") as (service, token):
        transport = ServiceTransport(service)
        result = Runner(transport, token=token).run([recording])
        assert _left(transport, token) == {"/Users": [], "/Groups": []}
    assert len(result.results[0].cleanup) == 3, result.results[0].cleanup


class _DiesAfter:
    """Forwards ``n`` requests, then the connection drops (for the rest of the recording)."""

    def __init__(self, inner: Transport, n: int) -> None:
        self.inner, self.left, self.dead = inner, n, False

    @property
    def target(self) -> str:
        return self.inner.target

    def send(self, request: Request) -> Response:
        if not self.dead and request.method != "DELETE":
            self.left -= 1
            if self.left < 0:
                self.dead = True
        if self.dead and request.method != "DELETE":
            raise TransportError("connection reset")
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()


def test_cleanup_happens_when_a_recording_errors_midway() -> None:
    recording = _bulk_recording(then_fail=True)
    with reference_service("memory:") as (service, token):
        inner = ServiceTransport(service)
        transport = _DiesAfter(inner, 2)
        result = Runner(transport, token=token, discover_capabilities=False).run([recording])
        assert result.results[0].steps[-1].reason.startswith("no answer")
        assert _left(inner, token) == {"/Users": [], "/Groups": []}


def test_cleanup_happens_when_the_consumer_stops_early() -> None:
    recording = _bulk_recording(then_fail=False)
    with reference_service("memory:") as (service, token):
        transport = ServiceTransport(service)
        events = Runner(transport, token=token).events([recording])
        for event in events:
            if isinstance(event, StepFinished):
                break
        events.close()  # a reporter gave up after the first step
        assert _left(transport, token) == {"/Users": [], "/Groups": []}


class _LocationOnly:
    """A target answering creates with 201, a Location header and no body."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def target(self) -> str:
        return self.inner.target

    def send(self, request: Request) -> Response:
        response = self.inner.send(request)
        if request.method == "POST" and request.path == "/Users":
            location = response.header("Location") or ""
            return Response(201, {"Location": location}, b"")
        return response

    def close(self) -> None:
        self.inner.close()


def test_resources_known_only_by_location_are_cleaned_up() -> None:
    recording = load_dict(
        {
            "format": "scim-recording/1",
            "name": "test/location-only",
            "idp": "rfc",
            "steps": [
                {
                    "name": "create",
                    "request": {
                        "method": "POST",
                        "path": "/Users",
                        "json": {"schemas": [USER], "userName": "loc.${unique}"},
                    },
                    "expect": {"status": 201},
                }
            ],
        }
    )
    with reference_service("memory:") as (service, token):
        inner = ServiceTransport(service)
        runner = Runner(_LocationOnly(inner), token=token)
        finished = [e for e in runner.events([recording]) if isinstance(e, RecordingFinished)]
        assert _left(inner, token) == {"/Users": [], "/Groups": []}
    assert finished[0].result.cleanup[0].startswith("DELETE /Users/")
