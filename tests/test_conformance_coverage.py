"""The RFC requirement catalogue stays consistent with the checks, and `scim-conformance coverage`
prints (and writes as JSON) the covered, partial and uncovered counts per RFC and level."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conformance import load_recordings
from conformance.cli import main
from conformance.coverage import catalogue, check_ids, coverage, problems, render
from conformance.recording import Recording
from conformance.requirements import STATEMENTS
from conformance.schema_checks import CHECK_KINDS


@pytest.fixture(scope="module")
def recordings() -> list[Recording]:
    return load_recordings()


def test_the_catalogue_is_consistent(recordings: list[Recording]) -> None:
    assert problems(recordings) == []


def test_the_catalogue_is_broad(recordings: list[Recording]) -> None:
    requirements = catalogue()
    assert len(requirements) >= 160
    assert {r.rfc for r in requirements} == {7643, 7644}
    assert {r.level for r in requirements} == {"MUST", "SHOULD", "MAY"}
    assert all(r.statement and len(r.statement) < 120 for r in requirements)
    assert set(STATEMENTS) <= {r.id for r in requirements}


def test_every_schema_check_kind_covers_a_requirement() -> None:
    cited = {c for r in catalogue() for c in r.checks}
    assert {f"schema:{kind}" for kind in CHECK_KINDS} <= cited


def test_problems_name_what_is_wrong(recordings: list[Recording]) -> None:
    fewer = [r for r in recordings if r.name != "rfc/7644-3.6-delete"]
    found = problems(fewer)
    assert any("no check 'rfc/7644-3.6-delete#get-404'" in p for p in found), found
    assert "rfc/7644-3.6-delete" not in check_ids(fewer)


def test_steps_citing_a_requirement_cover_it(recordings: list[Recording]) -> None:
    report = coverage(recordings)
    rows = {r.id: checks for r, checks in report.rows}
    assert "jumpcloud/group-sync#re-add-member" in rows["7644-3.5.2.1-existing-value"] or any(
        c.startswith(("jumpcloud/", "entra/")) for c in rows["7644-3.5.2.1-existing-value"]
    )


def test_the_report_counts_add_up(recordings: list[Recording]) -> None:
    report = coverage(recordings)
    counts = report.count()
    assert sum(counts.values()) == report.total == len(catalogue())
    assert counts["covered"] > counts["partial"] > 0
    assert counts["not covered"] == len(report.uncovered()) > 0
    out = io.StringIO()
    render(report, out)
    text = out.getvalue()
    assert "RFC 7644  MUST" in text and "not covered (" in text
    assert all(r.id in text for r in report.uncovered())


def test_the_command_prints_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "coverage.json"
    assert main(["coverage", "--json", str(target)]) == 0
    printed = capsys.readouterr().out
    assert "RFC 7643/7644 requirements:" in printed
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["total"] == len(catalogue())
    assert sum(data["counts"].values()) == data["total"]
    for rfc in ("7643", "7644"):
        per_level = sum(
            sum(data["by_rfc"][rfc][level].values()) for level in ("MUST", "SHOULD", "MAY")
        )
        assert per_level == sum(data["by_rfc"][rfc]["all"].values())
    assert main(["coverage", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == data["total"]
