"""Model-based fuzzing: planted defects are found, shrunk, written out and replayable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.fuzz import fuzz, reference_transport
from conformance.loader import load_file
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import ServiceTransport
from tests.fuzz_target import BASE_URL, BrokenService, Defects


def _target(**defects: bool) -> ServiceTransport:
    return ServiceTransport(BrokenService(Defects(**defects)), base_url=BASE_URL)


def test_correct_target_shows_no_divergence(tmp_path: Path) -> None:
    result = fuzz(reference_transport(), examples=25, seed=7, out_dir=tmp_path)
    assert not result.found, result.message
    assert result.recording is None
    assert result.requests > 100
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("defect", "symptom"),
    [
        ("case_sensitive_username", "answers 409 (uniqueness) but the target answers 201"),
        ("non_atomic_patch", "Half Applied"),
        ("pr_true_on_empty_list", "filter users"),
        ("lost_primary_uniqueness", "emails"),
    ],
)
def test_planted_defect_is_found_shrunk_and_replayable(
    defect: str, symptom: str, tmp_path: Path
) -> None:
    result = fuzz(_target(**{defect: True}), examples=300, seed=3, out_dir=tmp_path)
    assert result.found, f"{defect} was not found"
    assert symptom in result.message
    assert result.recording is not None and result.recording.exists()
    assert 0 < result.steps < 10

    recording = load_file(result.recording)  # schema-valid scim-recording/1
    assert recording.idp == "fuzz"
    # the recording reproduces the failure on the broken target ...
    broken = run([recording], _target(**{defect: True}), ignore_capabilities=True)
    assert broken.results[0].outcome is Outcome.FAILED, broken.results[0].reason
    assert broken.results[0].failed_steps[-1].step.name == recording.steps[-1].name
    # ... and passes on a correct one, so it can be kept as a regression test
    fixed = run([recording], reference_transport(), ignore_capabilities=True)
    assert fixed.results[0].outcome is Outcome.PASSED, [
        s.summary() for s in fixed.results[0].failed_steps
    ]


def test_time_budget_stops_the_run(tmp_path: Path) -> None:
    seen: list[int] = []
    result = fuzz(
        reference_transport(),
        examples=10_000,
        time_budget=0.5,
        out_dir=tmp_path,
        progress=lambda examples, requests: seen.append(requests),
    )
    assert not result.found
    assert result.seconds < 30
    assert seen and seen == sorted(seen)
