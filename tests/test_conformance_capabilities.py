"""Capability truth: ServiceProviderConfig's claims against observed behaviour, both ways, and
recordings for disclaimed features run as warnings (never skipped silently)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from conformance import collect_recordings, select
from conformance.capability_truth import capability_truth
from conformance.reference import reference_service
from conformance.reporters import ConsoleReporter, html_report, run_to_dict
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.transport import Request, Response, ServiceTransport, Transport


class _Claims:
    """The reference service behind a ServiceProviderConfig that says what ``claims`` say.

    ``drop_members`` loses the members of a created group (django-scim2's bug, hidden while its
    ServiceProviderConfig disclaims filtering); ``refuse_bulk`` answers /Bulk with 501.
    """

    def __init__(
        self,
        inner: Transport,
        claims: dict[str, bool],
        *,
        drop_members: bool = False,
        refuse_bulk: bool = False,
    ) -> None:
        self.inner, self.claims = inner, claims
        self.drop_members, self.refuse_bulk = drop_members, refuse_bulk

    @property
    def target(self) -> str:
        return self.inner.target

    def close(self) -> None:
        self.inner.close()

    def send(self, request: Request) -> Response:
        if self.refuse_bulk and request.path == "/Bulk":
            return Response(501, {}, b"")
        if self.drop_members and request.method == "POST" and request.path == "/Groups":
            body = request.json()
            body.pop("members", None)
            request = Request(
                request.method,
                request.path,
                request.query,
                request.headers,
                json.dumps(body).encode(),
            )
        response = self.inner.send(request)
        if request.path == "/ServiceProviderConfig" and response.status == 200:
            config = response.json()
            for feature, supported in self.claims.items():
                config[feature] = {**config.get(feature, {}), "supported": supported}
            return Response(200, response.headers, json.dumps(config).encode())
        return response


def _run(wrap: Callable[[Transport], Transport], *, ignore: bool = False) -> RunResult:
    recordings, _ = collect_recordings()
    with reference_service("memory:") as (service, token):
        runner = Runner(wrap(ServiceTransport(service)), token=token, ignore_capabilities=ignore)
        return runner.run(select(recordings, idps=["rfc"]))


def test_disclaimed_filter_runs_as_warnings_and_the_claim_is_contradicted() -> None:
    run = _run(lambda t: _Claims(t, {"filter": False}, drop_members=True))
    results = {r.recording.name: r for r in run.results}
    groups = results["rfc/7643-4.2-groups"]
    assert groups.outcome is Outcome.WARNED  # found, not skipped: the dropped members show
    assert "filter.supported is false" in groups.unadvertised
    members = next(s for s in groups.steps if s.step.name == "create-with-members")
    assert members.outcome is Outcome.WARNED and members.mismatches
    assert not [r.recording.name for r in run.results if r.outcome is Outcome.SKIPPED]
    assert run.exit_code == 0  # a disclaimed feature is only warned about ...
    strict = _run(lambda t: _Claims(t, {"filter": False}, drop_members=True), ignore=True)
    assert strict.exit_code == 1  # ... until --ignore-capabilities grades it as the RFCs do

    (mismatch,) = capability_truth(run)
    assert mismatch.feature == "filter" and not mismatch.claimed
    assert len(mismatch.worked) > 10
    assert "says filter.supported is false, but" in mismatch.message

    out = io.StringIO()
    ConsoleReporter(out).summary(run)
    text = out.getvalue()
    assert "ServiceProviderConfig vs behaviour" in text
    assert "filter.supported is false, but" in text
    assert "--ignore-capabilities" in text
    data = run_to_dict(run)
    assert data["capability_truth"][0]["feature"] == "filter"
    assert "rfc/7643-4.2-groups" in data["unadvertised"]
    assert "--ignore-capabilities" in data["capability_advice"]
    assert "ServiceProviderConfig vs behaviour" in html_report(run)


def test_advertised_feature_that_is_refused_is_a_mismatch_too() -> None:
    run = _run(lambda t: _Claims(t, {"bulk": True}, refuse_bulk=True))
    (mismatch,) = capability_truth(run)
    assert mismatch.feature == "bulk" and mismatch.claimed
    assert mismatch.refused and "rfc/7644-3.7-bulk" in mismatch.refused[0]
    assert "says bulk.supported is true, but all" in mismatch.message


def test_truthful_claims_have_no_mismatch() -> None:
    run = _run(lambda t: t)
    assert capability_truth(run) == []
    # scimcore disclaims changePassword, so its password checks ran as (passing) warnings
    assert set(run_to_dict(run)["unadvertised"]) == {
        "rfc/7643-4.1-password-never-returned #5 patch-password"
    }
