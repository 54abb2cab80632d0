"""RFC 7643/7644 requirement coverage: the catalogue, which checks cover each requirement, counts.

The catalogue (``rfc-requirements.json`` in this package) lists the RFCs' normative statements,
paraphrased one line each, with an id (``<rfc>-<section>-<what>``), the section, the RFC 2119 level
(SHALL counts as MUST, OPTIONAL as MAY) and the checks covering it. A check id is a bundled
recording (``rfc/7644-3.6-delete``), one of its steps (``rfc/7644-3.6-delete#get-404``) or a kind
of schema-driven check (``schema:returned-never``, see :mod:`conformance.schema_checks`). A step
whose ``requirement`` names an id covers it too. A requirement is *covered* by its checks,
*partial* when they test only part of it (the catalogue says which part), or *not covered*, with
the reason. ``scim-conformance coverage`` prints the table; :func:`problems` keeps the catalogue
honest (the project's tests require it to return nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TextIO

from conformance._packaged import packaged_json
from conformance.recording import Level, Recording

__all__ = [
    "CoverageReport",
    "Requirement",
    "Status",
    "catalogue",
    "check_ids",
    "coverage",
    "extra_checks",
    "problems",
    "render",
]

Status = Literal["covered", "partial", "not covered"]
_STATUSES: tuple[Status, ...] = ("covered", "partial", "not covered")
_LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "MAY")
_FILE = "rfc-requirements.json"


@dataclass(frozen=True)
class Requirement:
    """One normative statement of RFC 7643 or RFC 7644 and the checks covering it."""

    id: str
    rfc: int
    section: str
    level: Level
    statement: str
    checks: tuple[str, ...] = ()
    status: Status = "covered"
    reason: str = ""

    @property
    def cite(self) -> str:
        """``RFC 7644 §3.6``."""
        return f"RFC {self.rfc} §{self.section}"


def _document() -> dict[str, Any]:
    return packaged_json(_FILE)


@cache
def catalogue() -> tuple[Requirement, ...]:
    """Every requirement of the catalogue, in its order (RFC 7643 first, by section)."""
    out = []
    for raw in _document()["requirements"]:
        checks = tuple(raw.get("checks", ()))
        status: Status = raw.get("status") or ("covered" if checks else "not covered")
        out.append(
            Requirement(
                id=raw["id"],
                rfc=int(raw["rfc"]),
                section=raw["section"],
                level=raw["level"],
                statement=raw["statement"],
                checks=checks,
                status=status,
                reason=raw.get("reason", ""),
            )
        )
    return tuple(out)


def extra_checks() -> dict[str, str]:
    """RFC-suite recordings that cover no RFC 7643/7644 requirement, with the reason."""
    extra: dict[str, str] = _document().get("extra", {})
    return dict(extra)


def check_ids(recordings: Iterable[Recording]) -> set[str]:
    """Every check id the catalogue may cite: recordings, their steps, schema-driven kinds."""
    from conformance.schema_checks import CHECK_KINDS

    ids = {f"schema:{kind}" for kind in CHECK_KINDS}
    for recording in recordings:
        ids.add(recording.name)
        ids.update(f"{recording.name}#{step.name}" for step in recording.steps)
    return ids


def _cited_by_steps(recordings: Iterable[Recording]) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for recording in recordings:
        for step in recording.steps:
            if step.requirement is not None:
                cited.setdefault(step.requirement, []).append(f"{recording.name}#{step.name}")
    return cited


@dataclass
class CoverageReport:
    """The catalogue's requirements with the checks covering each, and the counts."""

    rows: list[tuple[Requirement, tuple[str, ...]]] = field(default_factory=list)

    def count(self, rfc: int | None = None, level: str | None = None) -> dict[str, int]:
        """Per status, how many requirements (of one RFC and/or level) are in it."""
        counts: dict[str, int] = dict.fromkeys(_STATUSES, 0)
        for requirement, _ in self.rows:
            if rfc is not None and requirement.rfc != rfc:
                continue
            if level is not None and requirement.level != level:
                continue
            counts[requirement.status] += 1
        return counts

    @property
    def total(self) -> int:
        """How many requirements the catalogue has."""
        return len(self.rows)

    def uncovered(self) -> list[Requirement]:
        """The requirements no check covers."""
        return [r for r, _ in self.rows if r.status == "not covered"]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``scim-conformance coverage --json``)."""
        by_rfc: dict[str, Any] = {}
        for rfc in (7643, 7644):
            by_rfc[str(rfc)] = {level: self.count(rfc, level) for level in _LEVELS}
            by_rfc[str(rfc)]["all"] = self.count(rfc)
        return {
            "total": self.total,
            "counts": self.count(),
            "by_rfc": by_rfc,
            "requirements": [
                {
                    "id": r.id,
                    "rfc": r.rfc,
                    "section": r.section,
                    "level": r.level,
                    "statement": r.statement,
                    "status": r.status,
                    "checks": list(checks),
                    "reason": r.reason,
                }
                for r, checks in self.rows
            ],
        }


def coverage(recordings: Iterable[Recording] | None = None) -> CoverageReport:
    """The coverage of the catalogue by ``recordings`` (default: the bundled ones)."""
    if recordings is None:
        from conformance.loader import load_recordings

        recordings = load_recordings()
    cited = _cited_by_steps(list(recordings))
    report = CoverageReport()
    for requirement in catalogue():
        checks = tuple(dict.fromkeys([*requirement.checks, *cited.get(requirement.id, [])]))
        status = requirement.status
        if status == "not covered" and checks:
            status = "covered"
        if status != requirement.status:
            requirement = Requirement(**{**requirement.__dict__, "status": status})
        report.rows.append((requirement, checks))
    return report


def problems(recordings: Iterable[Recording]) -> list[str]:
    """What is inconsistent between the catalogue and the checks (empty when all is well)."""
    from conformance.requirements import STATEMENTS, same_section

    recordings = list(recordings)
    known = check_ids(recordings)
    by_steps = _cited_by_steps(recordings)
    found: list[str] = []
    seen: set[str] = set()
    cited: set[str] = set()
    for requirement in catalogue():
        where = f"{requirement.id}"
        if requirement.id in seen:
            found.append(f"{where}: listed twice")
        seen.add(requirement.id)
        if not requirement.id.startswith(f"{requirement.rfc}-{requirement.section}-"):
            found.append(
                f"{where}: the id does not start with {requirement.rfc}-{requirement.section}-"
            )
        if requirement.level not in _LEVELS:
            found.append(f"{where}: level {requirement.level!r} is not MUST, SHOULD or MAY")
        if requirement.status not in _STATUSES:
            found.append(f"{where}: status {requirement.status!r} is not one of {_STATUSES}")
        if requirement.status == "not covered" and requirement.checks:
            found.append(f"{where}: 'not covered' but it lists checks")
        resolved = "covered" if by_steps.get(requirement.id) else requirement.status
        if resolved != "covered" and not requirement.reason:
            found.append(f"{where}: {requirement.status} needs a reason")
        for check in requirement.checks:
            cited.add(check)
            cited.add(check.split("#", 1)[0])
            if check not in known:
                found.append(f"{where}: no check {check!r}")
    for requirement_id, steps in by_steps.items():
        if requirement_id not in seen:
            found.append(f"{steps[0]}: cites {requirement_id!r}, which the catalogue lacks")
        for step in steps:
            cited.update((step, step.split("#", 1)[0]))
    for key, statement in STATEMENTS.items():
        entry = next((r for r in catalogue() if r.id == key), None)
        if entry is None:
            found.append(f"requirements.STATEMENTS {key}: not in the catalogue")
        elif entry.level != statement.level or not same_section(entry.cite, statement.section):
            found.append(f"{key}: the catalogue and requirements.STATEMENTS disagree")
    extra = extra_checks()
    for name in extra:
        if name not in known:
            found.append(f"extra: no recording {name!r}")
    for check in sorted(known):
        if check.startswith("schema:") and check not in cited:
            found.append(f"{check}: covers no requirement (cite it, or list it as extra)")
    for recording in recordings:
        if recording.is_idp or recording.name in extra or recording.name in cited:
            continue
        found.append(f"{recording.name}: covers no requirement (cite it, or list it as extra)")
    return found


def render(report: CoverageReport, out: TextIO) -> None:
    """The console table: counts per RFC and level, then every uncovered requirement."""
    counts = report.count()
    share = (counts["covered"] + counts["partial"]) / report.total if report.total else 0.0
    out.write(
        f"RFC 7643/7644 requirements: {report.total}; covered {counts['covered']}, "
        f"partial {counts['partial']}, not covered {counts['not covered']} "
        f"({share:.0%} covered at least in part)\n\n"
    )
    out.write(f"{'':<10}{'level':<8}{'total':>7}{'covered':>9}{'partial':>9}{'not covered':>13}\n")
    for rfc in (7643, 7644):
        for level in (*_LEVELS, None):
            row = report.count(rfc, level)
            total = sum(row.values())
            out.write(
                f"{'RFC ' + str(rfc):<10}{level or 'all':<8}{total:>7}{row['covered']:>9}"
                f"{row['partial']:>9}{row['not covered']:>13}\n"
            )
    out.write(
        f"{'both':<10}{'all':<8}{report.total:>7}{counts['covered']:>9}{counts['partial']:>9}"
        f"{counts['not covered']:>13}\n"
    )
    uncovered = report.uncovered()
    if uncovered:
        out.write(f"\nnot covered ({len(uncovered)}):\n")
        for requirement in uncovered:
            out.write(
                f"  {requirement.id:<40} {requirement.level:<6} {requirement.statement} "
                f"({requirement.reason})\n"
            )
