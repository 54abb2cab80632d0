"""Outcomes of a conformance run: per step, per recording, per run; and the events of a live run."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from conformance.matchers import Mismatch
from conformance.recording import Recording, Step
from conformance.transport import Request, Response

__all__ = [
    "Event",
    "Outcome",
    "RecordingFinished",
    "RecordingResult",
    "RecordingStarted",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "StepFinished",
    "StepResult",
    "worst",
]


class Outcome(enum.Enum):
    """What became of a step, a recording or a run.

    FAILED means the endpoint answered wrongly; ERROR means the check could not be made (network,
    a bad recording); WARNED means only SHOULD/MAY steps failed; SKIPPED says why in ``reason``.
    """

    PASSED = "passed"
    WARNED = "warned"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def symbol(self) -> str:
        """One character for progress lines."""
        return {"passed": ".", "warned": "w", "failed": "F", "error": "E", "skipped": "s"}[
            self.value
        ]


@dataclass
class StepResult:
    """One step: what was sent (tokens redacted), what came back, and what did not match."""

    step: Step
    outcome: Outcome
    request: Request | None = None
    response: Response | None = None
    mismatches: list[Mismatch] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    rfc_outcome: Outcome | None = None
    interop: dict[str, Outcome] = field(default_factory=dict)
    unadvertised: str = ""  # why the target disclaims what this step needs (then only warned)

    def __post_init__(self) -> None:
        if self.rfc_outcome is None:
            self.rfc_outcome = self.outcome

    @property
    def rfc(self) -> Outcome:
        """The RFC axis: FAILED for a MUST not met, WARNED for a SHOULD/MAY, else as ``outcome``."""
        return self.rfc_outcome if self.rfc_outcome is not None else self.outcome

    @property
    def first_mismatch(self) -> Mismatch | None:
        """The first mismatch found (status, then headers, then body), or None."""
        return self.mismatches[0] if self.mismatches else None

    @property
    def summary(self) -> str:
        """One line: the first mismatch, or the reason."""
        found = self.first_mismatch
        return str(found) if found is not None else self.reason


@dataclass
class RecordingResult:
    """One recording replayed once (fresh ``${unique}``), with the clean-up done afterwards."""

    recording: Recording
    outcome: Outcome
    steps: list[StepResult] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    variables: dict[str, str] = field(default_factory=dict)
    cleanup: list[str] = field(default_factory=list)
    unadvertised: str = ""  # why the target disclaims what this recording needs (warnings only)

    @property
    def failed_steps(self) -> list[StepResult]:
        """Steps that failed or could not be checked."""
        return [
            s for s in self.steps if s.outcome in (Outcome.FAILED, Outcome.WARNED, Outcome.ERROR)
        ]

    @property
    def rfc_outcome(self) -> Outcome:
        """The RFC axis of the whole recording (the worst step)."""
        return worst([s.rfc for s in self.steps], default=self.outcome)

    @property
    def interop(self) -> dict[str, Outcome]:
        """The interoperability axis per IdP (the worst step for each)."""
        seen: dict[str, list[Outcome]] = {}
        for step in self.steps:
            for idp, outcome in step.interop.items():
                seen.setdefault(idp, []).append(outcome)
        return {idp: worst(outcomes) for idp, outcomes in seen.items()}


@dataclass
class RunResult:
    """A whole run: every recording's result, the target and the capabilities it claims."""

    target: str
    results: list[RecordingResult] = field(default_factory=list)
    capabilities: dict[str, bool] = field(default_factory=dict)
    capability_note: str = ""
    duration: float = 0.0

    @property
    def counts(self) -> Counter[Outcome]:
        """How many recordings ended in each outcome."""
        return Counter(r.outcome for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when everything that ran passed (warnings and skips allowed), 1 on a failure,
        2 when something could not be checked (an ERROR: network, bad recording)."""
        counts = self.counts
        if counts[Outcome.ERROR]:
            return 2
        if counts[Outcome.FAILED]:
            return 1
        return 0

    def by_idp(self) -> dict[str, list[RecordingResult]]:
        """Results grouped by IdP, in first-seen order."""
        groups: dict[str, list[RecordingResult]] = {}
        for result in self.results:
            groups.setdefault(result.recording.idp, []).append(result)
        return groups


def worst(outcomes: list[Outcome], default: Outcome = Outcome.PASSED) -> Outcome:
    """ERROR over FAILED over WARNED over PASSED; SKIPPED only when everything was skipped."""
    if not outcomes:
        return default
    for bad in (Outcome.ERROR, Outcome.FAILED, Outcome.WARNED):
        if bad in outcomes:
            return bad
    if all(o is Outcome.SKIPPED for o in outcomes):
        return Outcome.SKIPPED
    return Outcome.PASSED


@dataclass(frozen=True)
class RunStarted:
    """The run begins: the target and how many recordings will be replayed."""

    target: str
    total: int


@dataclass(frozen=True)
class RecordingStarted:
    """A recording starts."""

    recording: Recording
    index: int
    total: int


@dataclass(frozen=True)
class StepFinished:
    """A step has an outcome."""

    recording: Recording
    result: StepResult


@dataclass(frozen=True)
class RecordingFinished:
    """A recording has an outcome (clean-up done)."""

    result: RecordingResult


@dataclass(frozen=True)
class RunFinished:
    """The run is over."""

    result: RunResult


Event = RunStarted | RecordingStarted | StepFinished | RecordingFinished | RunFinished
