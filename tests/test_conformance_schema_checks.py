"""Schema-driven checks: generated from the target's /Schemas, clean on scimcore's own server (every
store), and failing exactly where a target does not behave as its /Schemas declares."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.reference import reference_service
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.schema_checks import CHECK_KINDS, parse_attributes, schema_recordings
from conformance.transport import Request, Response, ServiceTransport, Transport

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@contextmanager
def _reference(kind: str, request: pytest.FixtureRequest) -> Iterator[tuple[Transport, str]]:
    store: Any = None
    if kind == "memory":
        from scimcore.store import MemoryStore

        store = MemoryStore()
    elif kind == "postgres":
        from scimcore.store import PostgresStore

        store = PostgresStore(
            request.getfixturevalue("pg_dsn"), prefix=f"schemachk_{uuid.uuid4().hex[:8]}_"
        )
    try:
        with reference_service(store=store) as (service, token):
            yield ServiceTransport(service), token
    finally:
        if kind == "postgres":
            store.drop()
            store.close()


def _run(transport: Transport, token: str) -> tuple[RunResult, list[str]]:
    runner = Runner(transport, token=token)
    generated = schema_recordings(transport, runner.default_headers())
    return runner.run(generated.recordings), generated.notes


def _failures(run: RunResult) -> dict[str, set[str]]:
    """Per recording, the kinds of the steps that did not pass."""
    out: dict[str, set[str]] = {}
    for result in run.results:
        for step in result.steps:
            if step.outcome is not Outcome.PASSED:
                out.setdefault(result.recording.name, set()).add(step.step.name.split(":")[0])
    return out


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_clean_on_the_reference_server(kind: str, request: pytest.FixtureRequest) -> None:
    with _reference(kind, request) as (transport, token):
        run, notes = _run(transport, token)
        headers = {"Authorization": f"Bearer {token}"}
        left = transport.send(Request("GET", "/Users", {"count": "0"}, headers)).json()
    assert notes == []
    assert len(run.results) >= 25
    assert _failures(run) == {}
    kinds = {s.step.name.split(":")[0] for r in run.results for s in r.steps}
    assert {
        "returned-never",
        "readonly-post-ignored",
        "case-exact-filter",
        "uniqueness-409",
    } <= kinds
    assert {"required-post", "type-invalid", "round-trip", "canonical-other"} <= kinds
    assert left["totalResults"] == 0  # every generated resource was deleted


def test_every_step_cites_its_section_and_characteristic() -> None:
    with reference_service(store=_memory()) as (service, token):
        transport = ServiceTransport(service)
        generated = schema_recordings(transport, Runner(transport, token=token).default_headers())
    for recording in generated.recordings:
        assert recording.idp == "rfc" and recording.name.startswith("rfc/schema/")
        for step in recording.steps:
            kind = CHECK_KINDS[step.name.split(":")[0]]
            assert step.rfc == kind.rfc and step.rfc.startswith("RFC764")
            assert step.description and "mutability" in step.description
    names = {r.name for r in generated.recordings}
    assert "rfc/schema/User/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager" in (
        names
    )
    assert "rfc/schema/Group/members" in names


def _memory() -> Any:
    from scimcore.store import MemoryStore

    return MemoryStore()


class _Lying:
    """A transport whose /Schemas claims what the server does not do (rewrite one attribute)."""

    def __init__(self, inner: Transport, rewrite: Callable[[dict[str, Any]], None]) -> None:
        self.inner = inner
        self.rewrite = rewrite
        self.target = inner.target

    def send(self, request: Request) -> Response:
        response = self.inner.send(request)
        if request.method == "GET" and request.path.rstrip("/") == "/Schemas":
            body = response.json()
            for schema in body["Resources"]:
                for attribute in schema["attributes"]:
                    self.rewrite(attribute)
                    for sub in attribute.get("subAttributes", []):
                        self.rewrite(sub)
            return Response(response.status, dict(response.headers), json.dumps(body).encode())
        return response

    def close(self) -> None:
        """Nothing to release."""


def _claim(name: str, **characteristics: Any) -> Callable[[dict[str, Any]], None]:
    def rewrite(attribute: dict[str, Any]) -> None:
        if attribute["name"] == name:
            attribute.update(characteristics)

    return rewrite


@pytest.mark.parametrize(
    ("name", "claim", "recording", "kinds"),
    [
        ("nickName", {"returned": "never"}, "nickName", {"returned-never"}),
        ("nickName", {"returned": "request"}, "nickName", {"returned-request"}),
        ("title", {"mutability": "readOnly"}, "title", {"readonly-post-ignored"}),
        ("title", {"mutability": "immutable"}, "title", {"immutable-put-refused"}),
        ("nickName", {"required": True}, "nickName", {"required-post", "required-put"}),
        ("displayName", {"caseExact": True}, "displayName", {"case-exact-filter"}),
        ("nickName", {"uniqueness": "server"}, "nickName", {"uniqueness-409"}),
        ("givenName", {"mutability": "readOnly"}, "name", {"readonly-post-ignored"}),
        ("active", {"type": "integer"}, "active", {"create", "round-trip"}),
    ],
)
def test_a_false_declaration_fails_its_check(
    name: str, claim: dict[str, Any], recording: str, kinds: set[str]
) -> None:
    with reference_service(store=_memory()) as (service, token):
        run, _ = _run(_Lying(ServiceTransport(service), _claim(name, **claim)), token)
    failed = _failures(run)
    assert kinds <= failed.get(f"rfc/schema/User/{recording}", set()), failed
    assert all(found.endswith(f"/{recording}") for found in failed), failed


def test_no_discovery_gives_a_note_not_a_crash() -> None:
    class Broken:
        target = "broken"

        def send(self, request: Request) -> Response:
            return Response(200, {}, b'{"Resources": "nope"}')

        def close(self) -> None:
            """Nothing to release."""

    generated = schema_recordings(Broken(), {})
    assert generated.recordings == []
    assert generated.notes and "no schema-driven checks" in generated.notes[0]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "type",
                    "subAttributes",
                    "multiValued",
                    "mutability",
                    "returned",
                    "canonicalValues",
                    "required",
                ]
            ),
            _json,
        )
    )
)
def test_any_attributes_document_parses(raw: list[dict[str, Any]]) -> None:
    for attribute in parse_attributes(raw):
        assert isinstance(attribute.name, str)


def test_the_command_runs_only_generated_checks(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    assert main(["run", "-k", "schema/group", "-q"]) == 0
    out = capsys.readouterr().out
    assert "schema-driven checks:" not in out  # -q: only the summary
    assert "2 passed" in out
    assert main(["run", "--idp", "okta", "-k", "lifecycle-oin", "-q"]) == 0
    assert "schema" not in capsys.readouterr().out.lower()
