"""Every bundled recording replayed in process against scimcore's ScimService, on every store.

A step that fails here is either a wrong recording (fix the recording) or a scimcore defect. The
defects known today are listed in ``KNOWN_SCIMCORE_DEFECTS`` with the module that owns them; the
test asserts the failing set is exactly that list, so a fix (or a new failure) shows up at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.loader import load_recordings
from conformance.recording import Recording
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.transport._service import ServiceTransport
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import MemoryStore, Store
from tests.store_backends import BACKENDS, make_store

TOKEN = "replay-token-0123456789abcdef"

#: (recording, step) -> why it fails and whose module it is. Recordings are not weakened for these.
KNOWN_SCIMCORE_DEFECTS: dict[tuple[str, str], str] = {
    ("entra/groups-legacy", "create-group-without-members"): (
        "scimcore.models validate_resource refuses the Microsoft ADSCIM Group URN Entra documents"
        " in 'schemas' (400 invalidValue); the Entra dialect must tolerate it"
    ),
    ("entra/groups-aadOptscim062020", "create-group-without-members"): (
        "same as entra/groups-legacy: the extra Microsoft schema URN is refused"
    ),
    ("rfc/7644-3.5.2-patch-errors", "replace-unmatched-filter-noTarget"): (
        "scimcore.patch in its default (dialect) mode turns a replace whose value filter matches"
        " nothing into an add; RFC 7644 3.5.2.3 says 400 noTarget (strict=True does that)"
    ),
}


@pytest.fixture(scope="module")
def recordings() -> list[Recording]:
    return load_recordings()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with make_store(request.param, request) as made:
        yield made


def _replay(store: Store, recordings: list[Recording]) -> RunResult:
    service = ScimService(
        store,
        ServiceConfig(
            base_url="https://sp.example.com/scim/v2",
            authenticator=BearerTokens.from_tokens({"conformance": TOKEN}),
        ),
    )
    return Runner(ServiceTransport(service), token=TOKEN).run(recordings)


def test_bundled_recordings_pass_against_scimcore(
    store: Store, recordings: list[Recording]
) -> None:
    result = _replay(store, recordings)
    failing: dict[tuple[str, str], str] = {}
    for rec in result.results:
        for step in rec.steps:
            if step.outcome in (Outcome.FAILED, Outcome.ERROR):
                detail = "; ".join(str(m) for m in step.mismatches) or step.reason
                failing[(rec.recording.name, step.step.name)] = detail
    unexpected = {k: v for k, v in failing.items() if k not in KNOWN_SCIMCORE_DEFECTS}
    fixed = sorted(k for k in KNOWN_SCIMCORE_DEFECTS if k not in failing)
    assert unexpected == {}, "new failures"
    assert fixed == [], "known defects now pass: remove them from KNOWN_SCIMCORE_DEFECTS"


def test_every_idp_sequence_ran(recordings: list[Recording]) -> None:
    result = _replay(MemoryStore(), recordings)
    ran = {r.recording.name for r in result.results if r.outcome is not Outcome.SKIPPED}
    idp = {r.name for r in recordings if r.is_idp}
    assert idp <= ran
