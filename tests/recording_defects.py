"""scimcore defects the bundled recordings expose, kept by name so a fix or a new one shows.

A recording is never weakened to make scimcore pass: when a bundled step fails against the
reference service and the RFC (or the IdP) is right, the step goes here with the owning module.
"""

from __future__ import annotations

from conformance.results import Outcome, RunResult

#: (recording, step) -> what is wrong and which module owns the fix.
KNOWN_SCIMCORE_DEFECTS: dict[tuple[str, str], str] = {}


def failing_steps(result: RunResult) -> dict[tuple[str, str], str]:
    """Every FAILED or ERROR step of a run, keyed like :data:`KNOWN_SCIMCORE_DEFECTS`.

    WARNED steps (a SHOULD or MAY the target does not do) are reported by the runner, not failed.
    """
    return {
        (rec.recording.name, step.step.name): step.summary
        for rec in result.results
        for step in rec.steps
        if step.outcome in (Outcome.FAILED, Outcome.ERROR)
    }


def check_against_known(result: RunResult) -> None:
    """Fail on any failing step not listed, and on any listed defect that now passes."""
    failing = failing_steps(result)
    unexpected = {k: v for k, v in failing.items() if k not in KNOWN_SCIMCORE_DEFECTS}
    assert unexpected == {}, "bundled steps fail against scimcore"
    fixed = sorted(k for k in KNOWN_SCIMCORE_DEFECTS if k not in failing)
    assert fixed == [], "fixed: remove these from KNOWN_SCIMCORE_DEFECTS"
