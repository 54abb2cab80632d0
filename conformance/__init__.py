"""conformance: replay recorded IdP SCIM traffic against any SCIM endpoint.

The layers: the ``scim-recording/1`` format (:mod:`conformance.recording`) and its loader
(:mod:`conformance.loader`), variables and matchers, transports (:mod:`conformance.transport`), the
runner (:mod:`conformance.runner`), reporters (:mod:`conformance.reporters`), and the
``scim-conformance`` command line and pytest plugin on top.

Names are imported lazily, so ``import conformance`` (and the pytest plugin, which every pytest
session of an installing project loads) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.errors import ConformanceError, RecordingError, TransportError
    from conformance.loader import (
        bundled_recordings_dir,
        collect_recordings,
        load_dict,
        load_file,
        load_recordings,
        recording_schema,
        select,
    )
    from conformance.matchers import ABSENT, Mismatch, match
    from conformance.recording import FORMAT, Expect, Recording, RequestSpec, Step
    from conformance.results import Outcome, RecordingResult, RunResult, StepResult
    from conformance.runner import Runner, run
    from conformance.variables import UndefinedVariable, resolve_pointer, substitute

__version__ = "0.1.0"

_EXPORTS = {
    "ABSENT": "conformance.matchers",
    "FORMAT": "conformance.recording",
    "ConformanceError": "conformance.errors",
    "Expect": "conformance.recording",
    "Mismatch": "conformance.matchers",
    "Outcome": "conformance.results",
    "Recording": "conformance.recording",
    "RecordingError": "conformance.errors",
    "RecordingResult": "conformance.results",
    "RequestSpec": "conformance.recording",
    "RunResult": "conformance.results",
    "Runner": "conformance.runner",
    "Step": "conformance.recording",
    "StepResult": "conformance.results",
    "TransportError": "conformance.errors",
    "UndefinedVariable": "conformance.variables",
    "bundled_recordings_dir": "conformance.loader",
    "collect_recordings": "conformance.loader",
    "load_dict": "conformance.loader",
    "load_file": "conformance.loader",
    "load_recordings": "conformance.loader",
    "match": "conformance.matchers",
    "recording_schema": "conformance.loader",
    "resolve_pointer": "conformance.variables",
    "run": "conformance.runner",
    "select": "conformance.loader",
    "substitute": "conformance.variables",
}

__all__ = [
    "ABSENT",
    "FORMAT",
    "ConformanceError",
    "Expect",
    "Mismatch",
    "Outcome",
    "Recording",
    "RecordingError",
    "RecordingResult",
    "RequestSpec",
    "RunResult",
    "Runner",
    "Step",
    "StepResult",
    "TransportError",
    "UndefinedVariable",
    "__version__",
    "bundled_recordings_dir",
    "collect_recordings",
    "load_dict",
    "load_file",
    "load_recordings",
    "match",
    "recording_schema",
    "resolve_pointer",
    "run",
    "select",
    "substitute",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'conformance' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
