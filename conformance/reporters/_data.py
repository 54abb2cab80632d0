"""A run as plain JSON-ready data, the fix list ranked by impact, and shared text helpers."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from conformance.capability_truth import capability_truth, unadvertised_recordings
from conformance.recording import IDP_NAMES, idp_name
from conformance.redact import Redactor
from conformance.results import Outcome, RecordingResult, RunResult, StepResult
from conformance.rootcauses import root_causes
from conformance.transport import Request, Response
from conformance.verdicts import Finding, idp_verdicts, rfc_verdict

__all__ = [
    "IDP_NAMES",
    "body_text",
    "capability_advice",
    "failure_count",
    "fix_list",
    "idp_name",
    "run_to_dict",
    "verdicts_to_dict",
]

REPORT_FORMAT = "scim-conformance-report/1"

_BODY_LIMIT = 4000


def body_text(body: bytes | None, redactor: Redactor, limit: int = _BODY_LIMIT) -> str:
    """A body for humans: pretty JSON when it is JSON, redacted, cut at ``limit`` characters."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    text = redactor.text(text)
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more chars)"


def _request(request: Request | None, redactor: Redactor) -> dict[str, Any] | None:
    if request is None:
        return None
    return {
        "method": request.method,
        "path": redactor.text(request.path),
        "query": {k: redactor.text(v) for k, v in request.query.items()},
        "headers": redactor.headers(request.headers),
        "body": body_text(request.body, redactor),
    }


def _response(response: Response | None, redactor: Redactor) -> dict[str, Any] | None:
    if response is None:
        return None
    return {
        "status": response.status,
        "headers": redactor.headers(response.headers),
        "body": body_text(response.body, redactor),
        "elapsed": round(response.elapsed, 6),
    }


def _step(result: StepResult, redactor: Redactor) -> dict[str, Any]:
    step = result.step
    return {
        "index": step.index,
        "name": step.name,
        "level": step.level,
        "rfc": step.rfc,
        "requirement": step.requirement,
        "quirk": step.quirk,
        "impact": step.impact,
        "rfc_outcome": result.rfc.value,
        "interop": {idp: outcome.value for idp, outcome in result.interop.items()},
        "description": step.description,
        "outcome": result.outcome.value,
        "reason": redactor.text(result.reason),
        "duration": round(result.duration, 6),
        "mismatches": [
            {"path": m.path, "message": redactor.text(m.message)} for m in result.mismatches
        ],
        "request": _request(result.request, redactor),
        "response": _response(result.response, redactor),
    }


def _recording(result: RecordingResult, redactor: Redactor) -> dict[str, Any]:
    rec = result.recording
    return {
        "name": rec.name,
        "idp": rec.idp,
        "title": rec.title,
        "dialect": rec.dialect,
        "provenance": rec.provenance,
        "source": rec.source,
        "file": str(rec.path) if rec.path else None,
        "outcome": result.outcome.value,
        "rfc_outcome": result.rfc_outcome.value,
        "interop": {idp: outcome.value for idp, outcome in result.interop.items()},
        "reason": redactor.text(result.reason),
        "duration": round(result.duration, 6),
        "cleanup": [redactor.text(c) for c in result.cleanup],
        "steps": [_step(s, redactor) for s in result.steps],
    }


def _counts(results: list[RecordingResult]) -> dict[str, int]:
    counts = {o.value: 0 for o in Outcome}
    for result in results:
        counts[result.outcome.value] += 1
    return counts


def run_to_dict(run: RunResult, redactor: Redactor | None = None) -> dict[str, Any]:
    """The whole run as JSON-ready data (the ``--json`` report)."""
    redactor = redactor or Redactor()
    fixes = fix_list(run)
    return {
        "format": REPORT_FORMAT,
        "target": redactor.text(run.target),
        "verdicts": verdicts_to_dict(run, redactor),
        "duration": round(run.duration, 6),
        "exit_code": run.exit_code,
        "counts": _counts(run.results),
        "capabilities": dict(run.capabilities),
        "capability_note": run.capability_note,
        "capability_truth": [
            {
                "feature": m.feature,
                "claimed": m.claimed,
                "message": m.message,
                "worked": m.worked,
                "refused": m.refused,
            }
            for m in capability_truth(run)
        ],
        "unadvertised": unadvertised_recordings(run),
        "capability_advice": capability_advice(run),
        "idps": {
            idp: {"name": idp_name(idp), **_counts(results)}
            for idp, results in run.by_idp().items()
        },
        "root_causes": len(fixes),
        "failures": failure_count(run),
        "fixes": fixes,
        "recordings": [_recording(r, redactor) for r in run.results],
    }


def _finding(finding: Finding, redactor: Redactor) -> dict[str, Any]:
    return {
        "meaning": finding.meaning,
        "recording": finding.recording,
        "step": finding.step,
        "summary": redactor.text(finding.summary),
        "rfc": finding.rfc,
        "quirk": finding.quirk,
    }


def verdicts_to_dict(run: RunResult, redactor: Redactor | None = None) -> dict[str, Any]:
    """The two axes: "will IdP X work?" per IdP, then RFC conformance per level."""
    redactor = redactor or Redactor()
    rfc = rfc_verdict(run)
    return {
        "idps": {
            idp: {
                "name": verdict.name,
                "works": verdict.headline,
                "outcome": verdict.outcome.value,
                "checks": verdict.checks,
                "impacts": verdict.impacts,
                "blockers": [_finding(f, redactor) for f in verdict.blockers],
                "degraded": [_finding(f, redactor) for f in verdict.degraded],
            }
            for idp, verdict in idp_verdicts(run).items()
        },
        "rfc": {
            "outcome": rfc.outcome.value,
            "levels": {
                level: {
                    "checked": rfc.checked[level],
                    "not_met": len(rfc.not_met[level]),
                    "sections": rfc.sections(level),
                    "findings": [_finding(f, redactor) for f in rfc.not_met[level]],
                }
                for level in ("MUST", "SHOULD", "MAY")
            },
            "errors": rfc.errors,
        },
    }


def fix_list(run: RunResult) -> list[dict[str, Any]]:
    """The run's root causes, ranked (see :mod:`conformance.rootcauses`), as JSON-ready data.

    Each has the ``problem`` (request template and what went wrong), its ``weight``, the
    ``failures`` it explains (follow-ons included) and those ``follow_ons``, the IdPs and impacts.
    """
    return [
        {
            "problem": cause.problem,
            "weight": cause.weight,
            "failures": cause.count,
            "follow_ons": len(cause.follow_ons),
            "idps": list(cause.idps),
            "impacts": list(cause.impacts),
            "checks": cause.checks,
        }
        for cause in root_causes(run)
    ]


def capability_advice(run: RunResult) -> str:
    """What to do about disclaimed features (``--ignore-capabilities``), or "" when nothing."""
    ran = unadvertised_recordings(run)
    mismatches = capability_truth(run)
    if not ran and not mismatches:
        return ""
    disclaimed = sorted(f for f, claimed in run.capabilities.items() if not claimed)
    text = ""
    if ran:
        text = (
            f"{len(ran)} check(s) ran as warnings because ServiceProviderConfig disclaims "
            f"{', '.join(disclaimed) or 'what they need'}; "
        )
    return text + (
        "run with --ignore-capabilities (pytest: --scim-ignore-capabilities) to grade them as "
        "the RFCs do"
    )


def failure_count(run: RunResult) -> int:
    """Failed and warned checks of the run (what the root causes explain)."""
    return sum(s.outcome in (Outcome.FAILED, Outcome.WARNED) for r in run.results for s in r.steps)


def format_headers(headers: Mapping[str, str]) -> list[str]:
    """``Name: value`` lines."""
    return [f"{k}: {v}" for k, v in headers.items()]
