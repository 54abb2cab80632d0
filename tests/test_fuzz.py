"""Model-based fuzzing: planted defects are found, shrunk, written out and replayable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main as cli_main
from conformance.fuzz import fuzz, reference_transport
from conformance.loader import load_file
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import ServiceTransport
from scimcore.service import ScimService, ServiceConfig
from tests.fuzz_target import BASE_URL, BrokenService, Defects
from tests.store_backends import make_store


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
    result = fuzz(_target(**{defect: True}), examples=100, seed=2, out_dir=tmp_path)
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


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_scimcore_reference_server_agrees_with_the_model(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """CI's fixed-budget fuzz run: scimcore's own server on SQLite and PostgreSQL vs the model."""
    with make_store(kind, request) as store:
        service = ScimService(store, ServiceConfig(base_url=BASE_URL))
        result = fuzz(
            ServiceTransport(service, base_url=BASE_URL), examples=15, seed=11, out_dir=tmp_path
        )
    assert not result.found, result.message
    assert result.requests > 50


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["fuzz", "--app", "tests.fuzz_target:no_such_app"]) == 2
    code = cli_main(
        [
            "fuzz",
            "--app",
            "tests.fuzz_target:CASE_SENSITIVE",
            "--examples",
            "40",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "NEW DIVERGENCE" in out and "uniqueness" in out
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert cli_main(["fuzz", "--app", "tests.fuzz_target:CORRECT", "--examples", "5"]) == 0
