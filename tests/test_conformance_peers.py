"""The suite against peers, both test oracles in the test extra: scim2-server 0.8.3 (in process
over WSGI) and django-scim2 0.23.0 (in a minimal Django project, tests/peers, run in a child
process because Django's settings are process-wide). Their real defects are found at the right RFC
level, their RFC-correct refusals of IdP quirks are not RFC failures, and no check errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
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


# -- django-scim2 ---------------------------------------------------------------------------------

PEERS = Path(__file__).parent / "peers"


@pytest.fixture(scope="module")
def django_scim2_run() -> dict[str, Any]:
    pytest.importorskip("django_scim", reason="django-scim2 (the test extra) is not installed")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PEERS), *sys.path])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "peer_django_scim2.run"],
        cwd=PEERS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    verdicts: dict[str, Any] = json.loads(done.stdout)
    return verdicts


def test_django_scim2_no_check_errors(django_scim2_run: dict[str, Any]) -> None:
    steps = django_scim2_run["steps"]
    assert len(steps) > 400
    assert [k for k, v in steps.items() if v["outcome"] == "error"] == []
    assert "error" not in django_scim2_run["recordings"].values()
    assert django_scim2_run["generated"] >= 20 and django_scim2_run["notes"] == []


@pytest.mark.parametrize(
    ("check", "rfc", "says"),
    [
        # Creates users without a userName (RFC 7643 §4.1.1).
        ("rfc/7644-3.3-create-errors#missing-userName-400", "failed", "got 201"),
        ("rfc/schema/User/userName#required-post", "failed", "got 201"),
        ("rfc/7643-4.1.1-username-not-empty#put-empty-userName-400", "failed", "got 200"),
        # The Error's status is an integer, not the JSON string RFC 7644 §3.12 asks for.
        ("rfc/7644-3.3-create-errors#duplicate-userName-409", "failed", "$.status"),
        # Drops emails.type.
        ("rfc/7644-3.3-create#round-trip", "failed", "emails"),
        # 500s on PATCH.
        ("rfc/7644-3.5.2-patch-errors#remove-without-path-noTarget", "failed", "got 500"),
        ("rfc/7644-3.5.2-patch-errors#malformed-path", "failed", "got 500"),
        # No totalResults in the discovery lists (RFC 7644 §4, §3.4.2).
        ("rfc/7644-4-discovery-read-only#schemas-list-response", "failed", "totalResults"),
        ("rfc/7644-4-discovery-read-only#resourcetypes-list-response", "failed", "totalResults"),
        # From its own /Schemas: an object accepted as a string, a 500 for an object password,
        # and group members dropped on create.
        ("rfc/schema/User/title#type-invalid:title", "failed", "got 201"),
        ("rfc/schema/User/password#type-invalid:password", "failed", "got 500"),
        ("rfc/schema/Group/members#round-trip", "warned", "members"),
    ],
)
def test_django_scim2_known_defects_are_found(
    django_scim2_run: dict[str, Any], check: str, rfc: str, says: str
) -> None:
    verdict = django_scim2_run["steps"][check]
    assert verdict["rfc"] == rfc
    assert says in verdict["summary"]


def test_django_scim2_quirk_refusals_are_not_rfc_failures(django_scim2_run: dict[str, Any]) -> None:
    quirks = {k: v for k, v in django_scim2_run["steps"].items() if v["quirk"]}
    assert quirks
    assert [k for k, v in quirks.items() if v["rfc"] == "failed"] == []
