"""The ``scim-recording/1`` format as frozen values: a Recording of Steps (request, Expect).

Every step is graded on two axes: RFC conformance (``level`` and ``rfc``: MUST/SHOULD/MAY as the
RFC words it) and IdP interoperability (``interop``: per IdP, a blocker or a degradation, with
what breaks). A ``quirk`` step sends an IdP's deviation from the RFCs: refusing it is RFC-correct,
so its RFC level is never MUST, while the IdP it comes from is blocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "BUILTIN_VARIABLES",
    "CAPABILITIES",
    "FORMAT",
    "IDP_NAMES",
    "Expect",
    "Interop",
    "Level",
    "Recording",
    "RequestSpec",
    "Severity",
    "Step",
    "idp_name",
]

#: The value of every recording's ``format`` key.
FORMAT = "scim-recording/1"

#: Capability names a recording may list in ``requires`` (ServiceProviderConfig features).
CAPABILITIES = frozenset({"patch", "filter", "bulk", "sort", "etag", "changePassword"})

#: Variables every sequence has without declaring them.
BUILTIN_VARIABLES = frozenset({"unique", "uuid"})

Level = Literal["MUST", "SHOULD", "MAY"]

#: What a failing step means for an IdP: it will not work (blocker) or works less well (degraded).
Severity = Literal["blocker", "degraded"]

#: Display names of IdP tags.
IDP_NAMES = {
    "okta": "Okta",
    "jumpcloud": "JumpCloud",
    "miniorange": "miniOrange",
    "entra": "Microsoft Entra ID",
    "onelogin": "OneLogin",
    "google": "Google Workspace",
    "ping": "Ping Identity",
    "rfc": "RFC 7643/7644 suite",
}


def idp_name(idp: str) -> str:
    """The display name of an IdP tag."""
    return IDP_NAMES.get(idp, idp)


@dataclass(frozen=True)
class Interop:
    """The interoperability axis of a step for one IdP: how bad a failure is, and what breaks."""

    severity: Severity
    impact: str


@dataclass(frozen=True)
class RequestSpec:
    """What a step sends: the method, a path below the base URL, query, headers and a body."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    has_json: bool = False
    body: str | None = None


@dataclass(frozen=True)
class Expect:
    """What a step's answer must look like: acceptable statuses, header and body expectations."""

    status: tuple[int, ...] = ()
    headers: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    has_json: bool = False


@dataclass(frozen=True)
class Step:
    """One request of a sequence, what must come back, and what to remember from it."""

    index: int
    name: str
    request: RequestSpec
    expect: Expect = field(default_factory=Expect)
    capture: Mapping[str, str] = field(default_factory=dict)
    level: Level = "MUST"
    rfc: str | None = None
    impact: str | None = None
    description: str | None = None
    requires: tuple[str, ...] = ()
    quirk: str | None = None
    interop: Mapping[str, Interop] | None = None
    requirement: str | None = None

    @property
    def label(self) -> str:
        """``#index name``, how reports refer to the step."""
        return f"#{self.index} {self.name}"


@dataclass(frozen=True)
class Recording:
    """One validated ``scim-recording/1`` document."""

    name: str
    idp: str
    steps: tuple[Step, ...]
    title: str = ""
    description: str = ""
    provenance: str | None = None
    source: str | None = None
    dialect: str | None = None
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    cleanup: bool = True
    variables: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_idp(self) -> bool:
        """True for IdP traffic (ignores ServiceProviderConfig); False for the RFC suite."""
        return self.idp != "rfc"

    def interop_of(self, step: Step) -> Mapping[str, Interop]:
        """Per IdP, what the step's failure means: its own ``interop``, else (IdP traffic) a
        blocker for this recording's IdP at MUST (and for a quirk), degraded at SHOULD/MAY."""
        if step.interop is not None:
            return step.interop
        if not self.is_idp:
            return {}
        severity: Severity = "blocker" if step.level == "MUST" or step.quirk else "degraded"
        impact = step.impact or f"breaks {idp_name(self.idp)}: {self.title or self.name}"
        return {self.idp: Interop(severity, impact)}

    @property
    def origin(self) -> str:
        """The file the recording came from, or its name when it was built in memory."""
        return str(self.path) if self.path is not None else f"<{self.name}>"
