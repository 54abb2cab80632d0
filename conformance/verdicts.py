"""The two verdicts of a run: "will IdP X work?" per IdP, and RFC conformance per level.

A step's interop axis says, per IdP, whether its failure blocks that IdP or degrades it; its RFC
axis grades it at the level the RFC words it. The reports lead with these two, then the detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.recording import Level, idp_name
from conformance.results import Outcome, RunResult, StepResult, worst

__all__ = ["Finding", "IdpVerdict", "RfcVerdict", "idp_verdicts", "rfc_verdict"]

_LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "MAY")


@dataclass(frozen=True)
class Finding:
    """One failed check, as a verdict cites it: what it means, where, and what came back."""

    meaning: str
    recording: str
    step: str
    summary: str
    rfc: str | None = None
    quirk: str | None = None


@dataclass
class IdpVerdict:
    """Will this IdP work against the target? ``outcome`` PASSED yes, WARNED yes with problems,
    FAILED no (``blockers`` say what breaks), ERROR unknown, SKIPPED not tested."""

    idp: str
    outcome: Outcome = Outcome.PASSED
    checks: int = 0
    blockers: list[Finding] = field(default_factory=list)
    degraded: list[Finding] = field(default_factory=list)
    unchecked: int = 0

    @property
    def name(self) -> str:
        """The IdP's display name."""
        return idp_name(self.idp)

    @property
    def headline(self) -> str:
        """``yes`` / ``yes, with problems`` / ``NO`` / ``unknown`` / ``not tested``."""
        return {
            Outcome.PASSED: "yes",
            Outcome.WARNED: "yes, with problems",
            Outcome.FAILED: "NO",
            Outcome.ERROR: "unknown",
            Outcome.SKIPPED: "not tested",
        }[self.outcome]

    @property
    def impacts(self) -> list[str]:
        """What breaks (blockers first), each once, in the order found."""
        out: list[str] = []
        for finding in [*self.blockers, *self.degraded]:
            if finding.meaning not in out:
                out.append(finding.meaning)
        return out


@dataclass
class RfcVerdict:
    """RFC conformance: per level, how many checks ran and which were not met."""

    checked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_LEVELS, 0))
    not_met: dict[str, list[Finding]] = field(
        default_factory=lambda: {level: [] for level in _LEVELS}
    )
    errors: int = 0

    @property
    def outcome(self) -> Outcome:
        """FAILED when a MUST is not met, WARNED for a SHOULD or MAY, ERROR when unchecked."""
        if self.not_met["MUST"]:
            return Outcome.FAILED
        if self.errors:
            return Outcome.ERROR
        if self.not_met["SHOULD"] or self.not_met["MAY"]:
            return Outcome.WARNED
        return Outcome.PASSED

    def sections(self, level: str) -> list[str]:
        """The sections whose ``level`` requirements were not met, each once."""
        out: list[str] = []
        for finding in self.not_met[level]:
            section = finding.rfc or "unspecified section"
            if section not in out:
                out.append(section)
        return out


def _finding(meaning: str, recording: str, result: StepResult) -> Finding:
    step = result.step
    return Finding(meaning, recording, step.label, result.summary, step.rfc, step.quirk)


def idp_verdicts(run: RunResult) -> dict[str, IdpVerdict]:
    """Per IdP named by any step's interop axis (or by a recording that could not load)."""
    verdicts: dict[str, IdpVerdict] = {}
    outcomes: dict[str, list[Outcome]] = {}
    for result in run.results:
        rec = result.recording
        if not result.steps and rec.is_idp:
            verdicts.setdefault(rec.idp, IdpVerdict(rec.idp))
            outcomes.setdefault(rec.idp, []).append(result.outcome)
        for step_result in result.steps:
            effects = rec.interop_of(step_result.step)
            for idp, outcome in step_result.interop.items():
                verdict = verdicts.setdefault(idp, IdpVerdict(idp))
                outcomes.setdefault(idp, []).append(outcome)
                effect = effects.get(idp)
                meaning = effect.impact if effect is not None else f"breaks {idp_name(idp)}"
                if outcome is Outcome.FAILED:
                    verdict.blockers.append(_finding(meaning, rec.name, step_result))
                elif outcome is Outcome.WARNED:
                    verdict.degraded.append(_finding(meaning, rec.name, step_result))
                elif outcome is Outcome.ERROR:
                    verdict.unchecked += 1
                if outcome is not Outcome.SKIPPED:
                    verdict.checks += 1
    for idp, verdict in verdicts.items():
        verdict.outcome = worst(outcomes[idp], default=Outcome.SKIPPED)
        if verdict.blockers:  # a known blocker outweighs what could not be checked
            verdict.outcome = Outcome.FAILED
    return verdicts


def rfc_verdict(run: RunResult) -> RfcVerdict:
    """The RFC axis over every step that ran, IdP traffic included (it cites sections too)."""
    verdict = RfcVerdict()
    for result in run.results:
        if not result.steps and result.outcome is Outcome.ERROR:
            verdict.errors += 1
        for step_result in result.steps:
            level = step_result.step.level
            outcome = step_result.rfc
            if outcome is Outcome.SKIPPED:
                continue
            if outcome is Outcome.ERROR:
                verdict.errors += 1
                continue
            verdict.checked[level] += 1
            if outcome in (Outcome.FAILED, Outcome.WARNED):
                meaning = step_result.step.description or step_result.step.name
                verdict.not_met[level].append(_finding(meaning, result.recording.name, step_result))
    return verdict
