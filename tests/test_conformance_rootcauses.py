"""Root causes: failures with the same cause are one thing to fix, follow-ons included."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from conformance import collect_recordings
from conformance.reference import reference_service
from conformance.reporters import ConsoleReporter, html_report, run_to_dict
from conformance.results import RunResult
from conformance.rootcauses import root_causes
from conformance.runner import Runner
from conformance.transport import Request, Response, ServiceTransport, Transport
from tests.strict_target import QUIRKS, StrictTarget


class _CreatedIs200:
    """A target answering every successful create with 200 instead of 201 (one defect)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def target(self) -> str:
        return self.inner.target

    def send(self, request: Request) -> Response:
        response = self.inner.send(request)
        if request.method == "POST" and request.path == "/Users" and response.status == 201:
            return Response(200, response.headers, response.body, response.elapsed)
        return response

    def close(self) -> None:
        self.inner.close()


def _run(wrap: Callable[[Transport], Transport]) -> RunResult:
    recordings, _ = collect_recordings()
    with reference_service("memory:") as (service, token):
        return Runner(wrap(ServiceTransport(service)), token=token).run(recordings)


@pytest.fixture(scope="module")
def strict() -> RunResult:
    return _run(lambda inner: StrictTarget(inner, QUIRKS - {"unknown-schema"}))


def test_one_defect_everywhere_is_one_root_cause() -> None:
    run = _run(_CreatedIs200)
    causes = root_causes(run)
    top = causes[0]
    assert top.problem.startswith("POST /Users → status: expected status 201, got 200")
    recordings = {name for name, _ in top.failures}
    assert len(recordings) >= 20  # nearly every recording creates a user
    assert len(causes) < 5
    assert sum(c.count for c in causes) == sum(len(r.failed_steps) for r in run.results)


def test_follow_on_failures_collapse_into_the_write_that_failed(strict: RunResult) -> None:
    causes = root_causes(strict)
    boolean = next(c for c in causes if "PATCH /Users/{id}" in c.problem and "boolean" in c.problem)
    failed = sorted(
        s.step.name for rec, s in boolean.failures if rec == "entra/user-lifecycle-legacy"
    )
    follow = sorted(s.step.name for rec, s in boolean.follow_ons)
    assert failed == ["patch-disable", "patch-re-enable"]
    assert follow == ["disabled-user-still-matched", "get-disabled"]
    removal = next(c for c in causes if "remove takes no value" in c.problem)
    assert {rec for rec, _ in removal.failures} == {"entra/groups-legacy", "jumpcloud/group-sync"}
    readd = next(c for c in causes if "already a member" in c.problem)
    assert readd is not removal  # same endpoint and status, a different cause


def test_reports_show_root_causes_and_failures(strict: RunResult) -> None:
    causes = root_causes(strict)
    failures = sum(len(r.failed_steps) for r in strict.results)
    assert len(causes) < failures
    out = io.StringIO()
    ConsoleReporter(out).summary(strict)
    assert f"fix first: {len(causes)} root causes, {failures} failures" in out.getvalue()
    data = run_to_dict(strict)
    assert data["root_causes"] == len(causes) and data["failures"] == failures
    assert sum(f["failures"] for f in data["fixes"]) == failures
    assert data["fixes"][0]["weight"] >= data["fixes"][-1]["weight"]
    assert f"{len(causes)} root causes, {failures} failures" in html_report(strict)
