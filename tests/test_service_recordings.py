"""Every bundled recording passes against the reference service, on each store (known defects:
tests/recording_defects.py)."""

from __future__ import annotations

import pytest

from conformance.loader import load_recordings
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import ServiceTransport
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from tests.recording_defects import check_against_known
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
    check_against_known(result)
    ran = {r.recording.name for r in result.results if r.outcome is not Outcome.SKIPPED}
    assert {r.recording.name for r in result.results if r.recording.is_idp} <= ran
