"""Failures grouped by root cause: the same check answered the same way is one thing to fix.

A cause is the request (method, path template, and for a PATCH its operations) and how the answer
went wrong: for a status mismatch the status, ``scimType`` and ``detail`` (values blanked) that
came back, for a body mismatch the JSON path (indices dropped) and the shape of the difference.
A failed check that only follows from an earlier failed write in the same recording (the GET
after a refused PATCH of that resource) is that write's follow-on, not a cause of its own. Causes
rank by weight: per recording, the step's RFC level (MUST 3, SHOULD 2, MAY 1), doubled when it
blocks an IdP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conformance.recording import idp_name
from conformance.results import Outcome, RecordingResult, RunResult, StepResult

__all__ = ["RootCause", "root_causes"]

_LEVEL_WEIGHT = {"MUST": 3, "SHOULD": 2, "MAY": 1}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_PASSED = (Outcome.FAILED, Outcome.WARNED)


@dataclass
class RootCause:
    """One thing to fix, the failed checks it explains, and what it breaks."""

    key: tuple[str, ...]
    problem: str
    weight: int = 0
    failures: list[tuple[str, StepResult]] = field(default_factory=list)
    follow_ons: list[tuple[str, StepResult]] = field(default_factory=list)
    idps: list[str] = field(default_factory=list)
    impacts: list[str] = field(default_factory=list)
    _weighed: set[str] = field(default_factory=set, repr=False)

    @property
    def count(self) -> int:
        """Every failed check this cause explains, follow-ons included."""
        return len(self.failures) + len(self.follow_ons)

    @property
    def checks(self) -> list[str]:
        """``recording #index step`` of each failed check, causes first."""
        return [f"{rec} {s.step.label}" for rec, s in [*self.failures, *self.follow_ons]]


def _template(path: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "{id}", path.split("?", 1)[0])


def _resource_type(path: str) -> str:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    return parts[0] if parts else ""


def _shape(text: str) -> str:
    """A message with its values blanked, so the same difference compares equal."""
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "…", text)
    text = re.sub(r"\b[0-9a-fA-F-]{8,}\b|\$\{[^}]*\}", "{id}", text)
    return re.sub(r"\b\d+\b", "N", text)


def _operations(result: StepResult) -> str:
    """What a PATCH does (``add members; replace active``): the same check, whatever values."""
    spec = result.step.request
    body = spec.json if spec.has_json else None
    ops = body.get("Operations") if isinstance(body, dict) else None
    kinds: list[str] = []
    for op in ops if isinstance(ops, list) else []:
        if isinstance(op, dict):
            path = re.sub(r"\[.*", "[…]", str(op.get("path", "")))
            kind = f"{str(op.get('op', '')).lower()} {path}".strip()
            if kind not in kinds:
                kinds.append(kind)
    return "; ".join(kinds)


def _error_shape(result: StepResult) -> tuple[str, str]:
    """The ``scimType`` and the blanked ``detail`` of a SCIM error answer."""
    if result.response is None:
        return "", ""
    try:
        body = result.response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    scim_type, detail = body.get("scimType"), body.get("detail")
    return (
        scim_type if isinstance(scim_type, str) else "",
        _shape(detail) if isinstance(detail, str) else "",
    )


def _signature(result: StepResult) -> tuple[tuple[str, ...], str]:
    step = result.step
    head = (step.request.method, _template(step.request.path), _operations(result))
    first = result.first_mismatch
    if first is None:
        return (*head, "reason", _shape(result.reason)), result.reason
    if first.path == "status" and result.response is not None:
        scim_type, detail = _error_shape(result)
        if detail:  # the server said why: that, not the operations sent, is the cause
            head = (head[0], head[1], "")
        return (*head, "status", str(result.response.status), scim_type, detail), str(first)
    where = re.sub(r"\[\d+\]", "[]", first.path).lower()
    return (*head, where, _shape(first.message)), str(first)


def _sent_path(result: StepResult) -> str:
    if result.request is not None:
        return result.request.path.split("?", 1)[0].rstrip("/")
    return result.step.request.path


def _follows(result: StepResult, failed_writes: list[tuple[str, StepResult]]) -> StepResult | None:
    """The earlier failed write of the same resource this read-back failure follows from."""
    step = result.step
    if step.request.method != "GET" or result.first_mismatch is None:
        return None
    if result.first_mismatch.path == "status":
        return None
    path = _sent_path(result)
    for written, write in reversed(failed_writes):
        same_resource = path == written
        same_collection = path == "/" + _resource_type(written) and written.count("/") == 2
        if same_resource or same_collection:
            return write
    return None


def _affected(result: RecordingResult, step_result: StepResult) -> tuple[list[str], list[str]]:
    rec = result.recording
    effects = rec.interop_of(step_result.step)
    idps = [idp_name(i) for i, o in step_result.interop.items() if o in _NOT_PASSED]
    impacts = [effects[i].impact for i, o in step_result.interop.items() if o in _NOT_PASSED]
    if not impacts:
        step = step_result.step
        section = f" ({step.rfc})" if step.rfc else ""
        impacts = [step.impact or f"violates a {step.level} of the RFCs{section}"]
    return idps or [idp_name(rec.idp)], impacts


def _weight(step_result: StepResult) -> int:
    blocks = any(o is Outcome.FAILED for o in step_result.interop.values())
    return _LEVEL_WEIGHT[step_result.step.level] * (2 if blocks else 1)


def root_causes(run: RunResult) -> list[RootCause]:
    """The run's failed and warned checks grouped by root cause, most important first."""
    causes: dict[tuple[str, ...], RootCause] = {}
    for result in run.results:
        rec = result.recording
        failed_writes: list[tuple[str, StepResult]] = []
        cause_of: dict[int, RootCause] = {}
        for step_result in result.steps:
            if step_result.outcome not in _NOT_PASSED:
                continue
            parent = _follows(step_result, failed_writes)
            cause: RootCause | None
            if parent is not None:
                cause = cause_of[id(parent)]
                cause.follow_ons.append((rec.name, step_result))
            else:
                key, summary = _signature(step_result)
                step = step_result.step
                cause = causes.get(key)
                if cause is None:
                    ops = f" [{key[2]}]" if key[2] else ""
                    problem = f"{step.request.method} {key[1]}{ops} → {summary}"
                    cause = causes[key] = RootCause(key, problem)
                cause.failures.append((rec.name, step_result))
            cause_of[id(step_result)] = cause
            if step_result.step.request.method in _WRITES:
                failed_writes.append((_sent_path(step_result), step_result))
            if rec.name not in cause._weighed:
                cause._weighed.add(rec.name)
                cause.weight += _weight(step_result)
            idps, impacts = _affected(result, step_result)
            cause.idps.extend(i for i in idps if i not in cause.idps)
            cause.impacts.extend(i for i in impacts if i not in cause.impacts)
    return sorted(causes.values(), key=lambda c: (-c.weight, -c.count))
