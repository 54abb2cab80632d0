"""Live console output: a progress line per recording, then each failure in full, then a summary."""

from __future__ import annotations

import sys
from typing import TextIO

from conformance.capability_truth import capability_truth
from conformance.redact import Redactor
from conformance.reporters._data import (
    body_text,
    capability_advice,
    failure_count,
    fix_list,
    format_headers,
    idp_name,
)
from conformance.results import (
    Event,
    Outcome,
    RecordingFinished,
    RecordingStarted,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepResult,
)
from conformance.verdicts import idp_verdicts, rfc_verdict

__all__ = ["ConsoleReporter"]

_WIDTH = 52


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class ConsoleReporter:
    """Prints progress as events arrive (``.`` passed, ``F`` failed, ``E`` error, ``s`` skipped,
    ``w`` a SHOULD/MAY warning), then the request, response and first mismatch of each failure."""

    def __init__(
        self, stream: TextIO | None = None, *, redactor: Redactor | None = None, quiet: bool = False
    ) -> None:
        self.stream = stream or sys.stdout
        self.redactor = redactor or Redactor()
        self.quiet = quiet

    def _write(self, text: str = "", end: str = "\n") -> None:
        self.stream.write(self.redactor.text(text) + end)
        self.stream.flush()

    def handle(self, event: Event) -> None:
        """Consume one runner event."""
        if isinstance(event, RunStarted):
            self._write(f"scim-conformance: {event.total} recording(s) against {event.target}")
        elif isinstance(event, RecordingStarted):
            if not self.quiet:
                label = f"[{event.index + 1}/{event.total}] {event.recording.name} "
                self._write(label.ljust(_WIDTH), end="")
        elif isinstance(event, StepFinished):
            if not self.quiet:
                self._write(event.result.outcome.symbol, end="")
        elif isinstance(event, RecordingFinished):
            if not self.quiet:
                result = event.result
                note = f" ({result.reason})" if result.reason and not result.steps else ""
                self._write(f" {result.outcome.value.upper()}{note}")
        elif isinstance(event, RunFinished):
            self.summary(event.result)

    def summary(self, run: RunResult) -> None:
        """Print the failures, the fix list and the per-IdP table."""
        failing = [(r, s) for r in run.results for s in r.steps if s.outcome is not Outcome.PASSED]
        shown = [(r, s) for r, s in failing if s.outcome is not Outcome.SKIPPED]
        if shown:
            self._write("\n" + " failures ".center(78, "="))
        for result, step in shown:
            self._step(result.recording.name, step)
        errors = [r for r in run.results if r.outcome is Outcome.ERROR and not r.steps]
        for result in errors:
            self._write(f"\nERROR {result.recording.name}\n  {result.reason}")
        self.verdicts(run)
        fixes = fix_list(run)
        if fixes:
            title = f" fix first: {_plural(len(fixes), 'root cause')}, "
            title += f"{_plural(failure_count(run), 'failure')} "
            self._write("\n" + title.center(78, "="))
            for rank, fix in enumerate(fixes[:10], 1):
                follow = f", {fix['follow_ons']} follow-on" if fix["follow_ons"] else ""
                self._write(f"{rank}. {fix['problem']}")
                impacts = "; ".join(fix["impacts"][:3])
                if len(fix["impacts"]) > 3:
                    impacts += f" (+{len(fix['impacts']) - 3} more)"
                self._write(f"   {_plural(fix['failures'], 'failure')}{follow}: {impacts}")
            if len(fixes) > 10:
                self._write(f"   … and {len(fixes) - 10} more root causes (see --json/--html)")
        if run.capability_note:
            self._write(f"\nnote: {run.capability_note}")
        self._write("\n" + " summary ".center(78, "="))
        for idp, results in run.by_idp().items():
            counts = {o: sum(r.outcome is o for r in results) for o in Outcome}
            parts = ", ".join(f"{n} {o.value}" for o, n in counts.items() if n)
            self._write(f"{idp_name(idp):<28} {parts}")
        totals = ", ".join(f"{n} {o.value}" for o, n in run.counts.items() if n)
        self._write(f"{totals or 'nothing ran'} in {run.duration:.2f}s (exit {run.exit_code})")

    def verdicts(self, run: RunResult) -> None:
        """Print "will IdP X work?" per IdP, then RFC conformance per level."""
        idps = idp_verdicts(run)
        if idps:
            self._write("\n" + " will it work with your IdP? ".center(78, "="))
        for verdict in idps.values():
            line = f"{verdict.name:<22} {verdict.headline}"
            impacts = verdict.impacts
            if impacts:
                shown = "; ".join(impacts[:3])
                more = f" (+{len(impacts) - 3} more)" if len(impacts) > 3 else ""
                line += f": {shown}{more}"
            elif verdict.outcome is Outcome.PASSED:
                line += f" ({verdict.checks} checks passed)"
            self._write(line)
        rfc = rfc_verdict(run)
        self._write("\n" + " RFC conformance ".center(78, "="))
        for level in ("MUST", "SHOULD", "MAY"):
            missed = len(rfc.not_met[level])
            line = f"{level:<7} {rfc.checked[level] - missed}/{rfc.checked[level]} met"
            if missed:
                line += f"; not met in {', '.join(rfc.sections(level))}"
            self._write(line)
        if rfc.errors:
            self._write(f"        {rfc.errors} check(s) could not be made")
        mismatches = capability_truth(run)
        advice = capability_advice(run)
        if mismatches or advice:
            self._write("\n" + " ServiceProviderConfig vs behaviour ".center(78, "="))
        for mismatch in mismatches:
            self._write(f"- {mismatch.message}")
        if advice:
            self._write(f"hint: {advice}")

    def _step(self, recording: str, result: StepResult) -> None:
        step = result.step
        tags = ", ".join(x for x in (step.level, step.rfc or "") if x)
        axes = [f"RFC {result.rfc.value}"]
        axes += [f"{idp_name(idp)} {o.value}" for idp, o in result.interop.items()]
        self._write(
            f"\n{result.outcome.value.upper()} {recording} {step.label}  [{tags}]  "
            f"({'; '.join(axes)})"
        )
        if step.quirk:
            self._write(f"  quirk: {step.quirk}")
        if step.description:
            self._write(f"  why: {step.description}")
        if step.impact:
            self._write(f"  impact: {step.impact}")
        for mismatch in result.mismatches:
            self._write(f"  ✗ {mismatch}")
        if result.reason:
            self._write(f"  {result.reason}")
        if result.request is not None:
            req = result.request
            query = "&".join(f"{k}={v}" for k, v in req.query.items())
            self._write(f"  request:  {req.method} {req.path}{'?' + query if query else ''}")
            for line in format_headers(self.redactor.headers(req.headers)):
                self._write(f"            {line}")
            for line in body_text(req.body, self.redactor, 1500).splitlines():
                self._write(f"            {line}")
        if result.response is not None:
            resp = result.response
            self._write(f"  response: {resp.status}")
            for line in format_headers(self.redactor.headers(resp.headers)):
                self._write(f"            {line}")
            for line in body_text(resp.body, self.redactor, 1500).splitlines():
                self._write(f"            {line}")
