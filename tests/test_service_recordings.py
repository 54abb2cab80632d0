"""Every bundled IdP recording passes against the reference service, on each store."""

from __future__ import annotations

import pytest

from conformance.loader import load_recordings
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import ServiceTransport
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from tests.store_backends import BACKENDS, make_store

TOKEN = "recordings-token-0123456789"


@pytest.mark.parametrize("kind", BACKENDS)
def test_bundled_recordings_pass(kind: str, request: pytest.FixtureRequest) -> None:
    config = ServiceConfig(
        base_url="http://testserver/scim/v2",
        authenticator=BearerTokens.from_tokens({"conformance": TOKEN}),
    )
    with make_store(kind, request) as store:
        result = run(load_recordings(), ServiceTransport(ScimService(store, config)), token=TOKEN)
    failures = [
        f"{r.recording.name} / {s.step.name}: {s.first_mismatch or s.reason}"
        for r in result.results
        for s in r.failed_steps
    ]
    assert failures == []
    assert result.counts[Outcome.FAILED] == 0
