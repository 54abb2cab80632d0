"""File reports: JSON and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.redact import Redactor
from conformance.reporters._data import body_text, idp_name, run_to_dict
from conformance.results import Outcome, RecordingResult, RunResult
from conformance.verdicts import idp_verdicts, rfc_verdict

__all__ = ["junit_xml", "write_json", "write_junit"]


def write_json(run: RunResult, path: str | Path, *, redactor: Redactor | None = None) -> Path:
    """Write the run as JSON (format ``scim-conformance-report/1``)."""
    target = Path(path)
    data = run_to_dict(run, redactor)
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def _details(result: RecordingResult, redactor: Redactor) -> str:
    lines: list[str] = []
    for step in result.steps:
        lines.append(f"{step.outcome.value.upper():8} {step.step.label}")
        lines.extend(f"    {m}" for m in step.mismatches)
        if step.reason:
            lines.append(f"    {step.reason}")
        if step.outcome in (Outcome.FAILED, Outcome.WARNED, Outcome.ERROR):
            if step.request is not None:
                lines.append(f"    request: {step.request.method} {step.request.path}")
                body = body_text(step.request.body, redactor, 1500)
                lines.extend(f"      {x}" for x in body.splitlines())
            if step.response is not None:
                lines.append(f"    response: {step.response.status}")
                body = body_text(step.response.body, redactor, 1500)
                lines.extend(f"      {x}" for x in body.splitlines())
    return redactor.text("\n".join(lines))


def _verdict_suites(run: RunResult, root: ET.Element) -> None:
    """Two suites first: "will IdP X work?" (a case per IdP) and RFC conformance (per level)."""
    idps = idp_verdicts(run)
    suite = ET.SubElement(root, "testsuite", name="Will it work with your IdP?")
    for verdict in idps.values():
        case = ET.SubElement(suite, "testcase", classname="scim.interop", name=verdict.name)
        message = f"{verdict.headline}: {'; '.join(verdict.impacts)}".rstrip(": ")
        details = "\n".join(
            f"{f.meaning}: {f.recording} {f.step}: {f.summary}"
            for f in [*verdict.blockers, *verdict.degraded]
        )
        if verdict.outcome is Outcome.FAILED:
            ET.SubElement(case, "failure", message=message, type="ScimInterop").text = details
        elif verdict.outcome is Outcome.ERROR:
            ET.SubElement(case, "error", message=message, type="ScimInterop").text = details
        elif verdict.outcome is Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message="not tested")
        elif details:
            ET.SubElement(case, "system-out").text = f"{message}\n{details}"
    rfc = rfc_verdict(run)
    suite = ET.SubElement(root, "testsuite", name="RFC conformance")
    for level in ("MUST", "SHOULD", "MAY"):
        case = ET.SubElement(suite, "testcase", classname="scim.rfc", name=level)
        missed = rfc.not_met[level]
        if not missed:
            continue
        message = f"{len(missed)} of {rfc.checked[level]} not met: {', '.join(rfc.sections(level))}"
        details = "\n".join(f"{f.rfc}: {f.recording} {f.step}: {f.summary}" for f in missed)
        if level == "MUST":
            ET.SubElement(case, "failure", message=message, type="ScimRfc").text = details
        else:
            ET.SubElement(case, "system-out").text = f"{message}\n{details}"
    for suite in root:
        cases = list(suite.iter("testcase"))
        suite.set("tests", str(len(cases)))
        for kind, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(c.find(kind) is not None for c in cases)))


def junit_xml(run: RunResult, *, redactor: Redactor | None = None) -> str:
    """The run as JUnit XML: the two verdicts, then a testsuite per IdP, a testcase per recording.

    The root's counts are those of the recordings (the verdict suites count their own).
    """
    redactor = redactor or Redactor()
    counts = run.counts
    root = ET.Element(
        "testsuites",
        name="scim-conformance",
        tests=str(len(run.results)),
        failures=str(counts[Outcome.FAILED]),
        errors=str(counts[Outcome.ERROR]),
        skipped=str(counts[Outcome.SKIPPED]),
        time=f"{run.duration:.3f}",
    )
    _verdict_suites(run, root)
    for idp, results in run.by_idp().items():
        suite_counts = {o: sum(r.outcome is o for r in results) for o in Outcome}
        suite = ET.SubElement(
            root,
            "testsuite",
            name=idp_name(idp),
            tests=str(len(results)),
            failures=str(suite_counts[Outcome.FAILED]),
            errors=str(suite_counts[Outcome.ERROR]),
            skipped=str(suite_counts[Outcome.SKIPPED]),
            time=f"{sum(r.duration for r in results):.3f}",
        )
        for result in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"scim.{idp}",
                name=result.recording.name,
                time=f"{result.duration:.3f}",
            )
            if result.recording.path is not None:
                case.set("file", str(result.recording.path))
            first = next(iter(result.failed_steps), None)
            message = redactor.text(
                f"{first.step.label}: {first.summary}" if first else result.reason
            )
            if result.outcome is Outcome.FAILED:
                node = ET.SubElement(case, "failure", message=message, type="ScimConformance")
                node.text = _details(result, redactor)
            elif result.outcome is Outcome.ERROR:
                node = ET.SubElement(case, "error", message=message, type="ScimConformanceError")
                node.text = _details(result, redactor) or redactor.text(result.reason)
            elif result.outcome is Outcome.SKIPPED:
                ET.SubElement(case, "skipped", message=redactor.text(result.reason))
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _details(result, redactor)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(run: RunResult, path: str | Path, *, redactor: Redactor | None = None) -> Path:
    """Write the JUnit XML report."""
    target = Path(path)
    target.write_text(junit_xml(run, redactor=redactor), encoding="utf-8")
    return target
