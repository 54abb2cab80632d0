"""Does ``/ServiceProviderConfig`` tell the truth? Its claims against what the run observed.

A step uses a feature when its request does (a ``filter`` or ``sortBy`` query, a PATCH, ``/Bulk``,
``If-Match``/``If-None-Match``, a password write) or its ``requires`` names it. It is evidence the
feature works when it passed with a 2xx answer, and that it is refused when it wanted a 2xx and
got 400, 403, 404, 405 or 501. A disclaimed feature that works, or an advertised one every use of
which was refused, is a mismatch, reported both ways (``changePassword`` only the second: a
password accepted may have been ignored, and it is never returned).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.recording import CAPABILITIES
from conformance.results import Outcome, RunResult, StepResult

__all__ = ["CapabilityMismatch", "capability_truth", "features_used", "unadvertised_recordings"]

_REFUSED = frozenset({400, 403, 404, 405, 501})
#: A 2xx proves nothing here: a server may accept a password and ignore it (never returned).
_SUCCESS_PROVES_NOTHING = frozenset({"changePassword"})


@dataclass
class CapabilityMismatch:
    """A feature whose ServiceProviderConfig claim the observed behaviour contradicts."""

    feature: str
    claimed: bool
    worked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for the reports."""
        if not self.claimed:
            return (
                f"ServiceProviderConfig says {self.feature}.supported is false, but "
                f"{len(self.worked)} check(s) using {self.feature} succeeded (e.g. "
                f"{self.worked[0]}): advertise it, or clients that read ServiceProviderConfig "
                "will not use it"
            )
        return (
            f"ServiceProviderConfig says {self.feature}.supported is true, but all "
            f"{len(self.refused)} check(s) using {self.feature} were refused (e.g. "
            f"{self.refused[0]})"
        )


def features_used(result: StepResult) -> set[str]:
    """The ServiceProviderConfig features a step's request relies on."""
    step = result.step
    used = {r for r in step.requires if r in CAPABILITIES}
    request = result.request
    method = request.method if request is not None else step.request.method
    path = (request.path if request is not None else step.request.path).split("?", 1)[0]
    query = {k.lower() for k in (request.query if request is not None else step.request.query)}
    headers = request.headers if request is not None else step.request.headers
    header_names = {k.lower() for k in headers}
    body = request.json() if request is not None else step.request.json
    if "filter" in query or (path.endswith("/.search") and _has(body, "filter")):
        used.add("filter")
    if "sortby" in query or (path.endswith("/.search") and _has(body, "sortBy")):
        used.add("sort")
    if method == "PATCH":
        used.add("patch")
    if path.rstrip("/").endswith("/Bulk"):
        used.add("bulk")
    if header_names & {"if-match", "if-none-match"}:
        used.add("etag")
    if method in ("PATCH", "PUT") and _mentions_password(body):
        used.add("changePassword")
    return used


def _has(body: object, key: str) -> bool:
    return isinstance(body, dict) and any(k.lower() == key.lower() for k in body)


def _mentions_password(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    if _has(body, "password"):
        return True
    operations = body.get("Operations")
    for op in operations if isinstance(operations, list) else []:
        if not isinstance(op, dict):
            continue
        if str(op.get("path", "")).lower() == "password" or _has(op.get("value"), "password"):
            return True
    return False


def _wanted_success(result: StepResult) -> bool:
    wanted = result.step.expect.status
    return not wanted or any(200 <= status < 300 for status in wanted)


def capability_truth(run: RunResult) -> list[CapabilityMismatch]:
    """Claims of the target's ServiceProviderConfig that the run's traffic contradicts."""
    worked: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    for result in run.results:
        for step_result in result.steps:
            response = step_result.response
            if response is None:
                continue
            label = f"{result.recording.name} {step_result.step.label}"
            for feature in features_used(step_result):
                if step_result.outcome is Outcome.PASSED and 200 <= response.status < 300:
                    worked.setdefault(feature, []).append(label)
                elif response.status in _REFUSED and _wanted_success(step_result):
                    refused.setdefault(feature, []).append(label)
    out = []
    for feature, claimed in sorted(run.capabilities.items()):
        if not claimed and worked.get(feature) and feature not in _SUCCESS_PROVES_NOTHING:
            out.append(CapabilityMismatch(feature, False, worked[feature]))
        elif claimed and refused.get(feature) and not worked.get(feature):
            out.append(CapabilityMismatch(feature, True, refused=refused[feature]))
    return out


def unadvertised_recordings(run: RunResult) -> dict[str, str]:
    """Recordings (or steps) that ran as warnings because the target disclaims what they need."""
    out: dict[str, str] = {}
    for result in run.results:
        if result.unadvertised:
            out[result.recording.name] = result.unadvertised
            continue
        for step_result in result.steps:
            if step_result.unadvertised:
                name = f"{result.recording.name} {step_result.step.label}"
                out[name] = step_result.unadvertised
    return out
