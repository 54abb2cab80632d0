"""RFC statements whose requirement level the suite knows: a step citing one is graded as worded.

The loader refuses a recording whose ``level`` contradicts the wording of the statement a step
cites (``"requirement": "7644-3.5.2.1-existing-value"``) or recognisably checks (a re-added member
is the SHOULD of §3.5.2.1, never a MUST), and a ``quirk`` step graded MUST: refusing an IdP's
deviation from the RFCs is RFC-correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.recording import Level, Step

__all__ = ["STATEMENTS", "Statement", "level_problem", "same_section"]


@dataclass(frozen=True)
class Statement:
    """One normative statement: its section, its RFC 2119 level, and its words."""

    section: str
    level: Level
    text: str
    recognise: str | None = None  # a regex over a step's name and description


#: Known statements, by id (``<rfc>-<section>-<what>``); SHALL counts as MUST, OPTIONAL as MAY.
STATEMENTS: dict[str, Statement] = {
    "7644-3.3-created-201": Statement(
        "RFC7644 3.3",
        "MUST",
        "When the service provider successfully creates the new resource, an HTTP response SHALL "
        "be returned with HTTP status code 201 (Created).",
    ),
    "7644-3.3-uniqueness-409": Statement(
        "RFC7644 3.3",
        "MUST",
        "If the creation conflicts with existing resources (e.g., a duplicate userName), the "
        'service provider MUST return 409 (Conflict) with a "scimType" of "uniqueness".',
    ),
    "7644-3.5.2.1-existing-value": Statement(
        "RFC7644 3.5.2.1",
        "SHOULD",
        "If the target location already contains the value specified, no changes SHOULD be made "
        "to the resource, and a success response SHOULD be returned.",
        recognise=r"\bre-?add|\brepeat|already (present|there|contains)|no[- ]duplicate",
    ),
    "7644-3.5.2.2-remove-all": Statement(
        "RFC7644 3.5.2.2",
        "MUST",
        "If the target location is a multi-valued attribute and no filter is specified, the "
        "attribute and all values are removed, and the attribute SHALL be considered unassigned.",
    ),
    "7644-3.6-delete-204": Statement(
        "RFC7644 3.6",
        "MUST",
        "In response to a successful DELETE, the server SHALL return a successful HTTP status "
        "code 204 (No Content).",
    ),
    "7644-3.6-gone-404": Statement(
        "RFC7644 3.6",
        "MUST",
        "Service providers MAY choose not to permanently delete the resource but MUST return a "
        "404 (Not Found) error for all operations associated with the previously deleted resource.",
    ),
    "7644-3.12-scimtype": Statement(
        "RFC7644 3.12",
        "MAY",
        "scimType: a SCIM detail error keyword (Table 9). OPTIONAL.",
    ),
    "7643-2.4-primary-once": Statement(
        "RFC7643 2.4",
        "MUST",
        'The primary attribute value "true" MUST appear no more than once.',
    ),
}


def _section_key(text: str) -> str:
    """``RFC 7644 §3.5.2.1`` and ``rfc7644 3.5.2.1`` alike: ``7644 3.5.2.1``."""
    found = re.search(r"(\d{4})\D+?(\d+(?:\.\d+)*)", text)
    return f"{found.group(1)} {found.group(2)}" if found else text.strip().lower()


def same_section(a: str, b: str) -> bool:
    """Whether two spellings of an RFC section name the same one."""
    return _section_key(a) == _section_key(b)


def level_problem(step: Step) -> str | None:
    """Why the step's RFC level contradicts the RFC's wording, or None when it does not."""
    if step.quirk and step.level == "MUST":
        return (
            "a quirk step cannot be an RFC MUST: refusing an IdP's deviation is RFC-correct; "
            "grade the RFC axis SHOULD or MAY and let 'interop' say what it blocks"
        )
    if step.requirement is not None:
        statement = STATEMENTS.get(step.requirement)
        if statement is None:
            known = ", ".join(sorted(STATEMENTS))
            return f"unknown requirement {step.requirement!r} (known: {known})"
        if step.rfc is not None and not same_section(step.rfc, statement.section):
            return (
                f"requirement {step.requirement} is in {statement.section}, "
                f"but the step cites {step.rfc}"
            )
        if not step.quirk and step.level != statement.level:
            return _contradiction(step, step.requirement, statement)
        return None
    if step.quirk or step.rfc is None:
        return None
    words = f"{step.name} {step.description or ''}".lower()
    for key, statement in STATEMENTS.items():
        if statement.recognise is None or not same_section(step.rfc, statement.section):
            continue
        if re.search(statement.recognise, words) and step.level != statement.level:
            return _contradiction(step, key, statement) + (
                " (or cite another statement with 'requirement' if it checks something else)"
            )
    return None


def _contradiction(step: Step, key: str, statement: Statement) -> str:
    return (
        f"graded {step.level}, but {statement.section} words this {statement.level} "
        f"({key}: {statement.text!r})"
    )
