"""Fuzz findings: one per divergence signature, its status, and the known-divergences file."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KNOWN_FORMAT = "scim-fuzz-known/1"

CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"
KNOWN = "known"


class KnownFileError(ValueError):
    """A known-divergences file that cannot be read; the message says where and what to fix."""


@dataclass(frozen=True)
class Finding:
    """One distinct divergence of a fuzz run.

    ``status`` is ``confirmed`` (its recording fails on the target and passes on the reference
    model), ``unconfirmed`` (``reason`` says why not: it did not diverge again, so the target
    is flaky, or the reference disagreed with itself; no recording is written) or ``known``
    (listed in the known-divergences file; ``reason`` is the file's). ``occurrences`` counts
    the generated sequences that ran into it; ``interleaving`` is set for a concurrent finding.
    A concurrent finding's ``recording`` is its ``scim-race/1`` file, written confirmed or not
    (confirmed: replaying that file reproduced it); ``steps`` counts its racing operations.
    """

    signature: str
    message: str
    status: str
    occurrences: int = 1
    recording: Path | None = None
    steps: int = 0
    reason: str = ""
    interleaving: tuple[str, ...] = ()

    @property
    def axis(self) -> str:
        """``interop`` when the target refused an IdP quirk (RFC-correct), else ``rfc``."""
        return "interop" if self.signature.endswith("| interop") else "rfc"

    @property
    def concurrent(self) -> bool:
        """True for a race found by concurrent clients (its recording is a race file)."""
        return self.signature.startswith("concurrent ")

    @property
    def new(self) -> bool:
        """True unless the known-divergences file lists it."""
        return self.status != KNOWN

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``--json``)."""
        return {
            "signature": self.signature,
            "message": self.message,
            "status": self.status,
            "axis": self.axis,
            "kind": "race" if self.concurrent else "sequence",
            "occurrences": self.occurrences,
            "recording": None if self.recording is None else str(self.recording),
            "steps": self.steps,
            "reason": self.reason,
            "interleaving": list(self.interleaving),
        }


def load_known(path: str | Path) -> dict[str, str]:
    """Read a known-divergences file: ``{signature: reason}``.

    JSON (``{"format": "scim-fuzz-known/1", "known": [{"signature": …, "reason": …}]}``) or,
    for a ``.toml`` file, the same as ``[[known]]`` tables. Raises :class:`KnownFileError`.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnownFileError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    try:
        data: Any = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise KnownFileError(
            f"{file}: not valid {file.suffix.lstrip('.') or 'JSON'}: {exc}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("known"), list):
        raise KnownFileError(f"{file}: expected an object with a 'known' list")
    if data.get("format", KNOWN_FORMAT) != KNOWN_FORMAT:
        raise KnownFileError(f"{file}: format must be {KNOWN_FORMAT!r}, not {data['format']!r}")
    out: dict[str, str] = {}
    for index, entry in enumerate(data["known"]):
        where = f"{file}: known[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("signature"), str):
            raise KnownFileError(f"{where}: needs a 'signature' string")
        reason = entry.get("reason", "")
        if not isinstance(reason, str):
            raise KnownFileError(f"{where}: 'reason' must be a string")
        out[entry["signature"]] = reason
    return out


def known_document(findings: list[Finding], reason: str = "") -> dict[str, Any]:
    """A known-divergences document listing ``findings`` (to start a known file from a run)."""
    return {
        "format": KNOWN_FORMAT,
        "known": [
            {"signature": f.signature, "reason": reason or f.message[:200]} for f in findings
        ],
    }
