"""The suite against a peer: scim2-server 0.8.3 (a test oracle, in process over WSGI). Its real
defects are found at the right RFC level, its RFC-correct refusals of IdP quirks are not RFC
failures, no check errors, and the checks generated from its /Schemas run clean."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import collect_recordings
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.schema_checks import schema_recordings
from conformance.transport import AppTransport

TOKEN = "peer-conformance-token"


def _scim2_server() -> Any:
    """scim2-server's WSGI application from its public API, as its own test server builds it."""
    pytest.importorskip("scim2_server", reason="scim2-server (the test extra) is not installed")
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    return BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret="a-fixed-secret-for-the-peer-test-run"),
        bearer_tokens=[TOKEN],
    )


@pytest.fixture(scope="module")
def peer_run() -> tuple[RunResult, int]:
    transport = AppTransport(_scim2_server(), base_url="http://testserver")
    try:
        runner = Runner(transport, token=TOKEN)
        recordings, errors = collect_recordings()
        assert errors == []
        generated = schema_recordings(transport, runner.default_headers())
        assert generated.notes == []
        return runner.run([*recordings, *generated.recordings]), len(generated.recordings)
    finally:
        transport.close()


def _rfc(run: RunResult) -> dict[str, Outcome]:
    return {f"{r.recording.name}#{s.step.name}": s.rfc for r in run.results for s in r.steps}


def test_no_check_errors(peer_run: tuple[RunResult, int]) -> None:
    run, _ = peer_run
    errors = [
        f"{r.recording.name}{s.step.label}: {s.summary}"
        for r in run.results
        for s in r.steps
        if s.outcome is Outcome.ERROR
    ]
    assert errors == []
    assert all(r.outcome is not Outcome.ERROR for r in run.results)


@pytest.mark.parametrize(
    ("check", "outcome"),
    [
        # RFC 7643 §4.1.1: each User has a non-empty userName; scim2-server creates one with "".
        ("rfc/7643-4.1.1-username-not-empty#post-empty-userName-400", Outcome.FAILED),
        ("rfc/7643-4.1.1-username-not-empty#post-whitespace-userName-400", Outcome.WARNED),
        # RFC 7644 §3.5.2: a PATCH body without the PatchOp schema is applied (204).
        ("rfc/7644-3.5.2-patch-errors#missing-schemas-invalidSyntax", Outcome.WARNED),
        # RFC 7643 §4.1.2: User.groups does not reflect memberships.
        ("rfc/7643-4.2-groups#user-groups-attribute", Outcome.WARNED),
        # RFC 7644 §3.6: a deleted user stays a member of its groups.
        ("rfc/7643-4.2-groups#deleted-user-left-the-group", Outcome.WARNED),
    ],
)
def test_the_known_defects_are_found(
    peer_run: tuple[RunResult, int], check: str, outcome: Outcome
) -> None:
    assert _rfc(peer_run[0])[check] is outcome


def test_rfc_correct_refusals_are_not_rfc_failures(peer_run: tuple[RunResult, int]) -> None:
    run, _ = peer_run
    quirks = [
        (f"{r.recording.name}#{s.step.name}", s)
        for r in run.results
        for s in r.steps
        if s.step.quirk
    ]
    assert quirks
    # JumpCloud's remove with a value is refused (RFC 7644 §3.5.2.2 defines no value for remove):
    # that blocks JumpCloud, but is no RFC failure.
    refused = dict(quirks)["jumpcloud/group-sync#remove-member-1-by-value"]
    assert refused.interop["jumpcloud"] is Outcome.FAILED
    assert all(step.rfc is not Outcome.FAILED for _, step in quirks)


def test_the_schema_driven_checks_run_clean(peer_run: tuple[RunResult, int]) -> None:
    run, generated = peer_run
    schema = [r for r in run.results if r.recording.name.startswith("rfc/schema/")]
    assert len(schema) == generated >= 25
    assert sum(len(r.steps) for r in schema) > 120
    assert [r.recording.name for r in schema if r.outcome is not Outcome.PASSED] == []
