"""Model-based fuzzing: random IdP-shaped traffic checked against scimcore's reference model.

Needs hypothesis (``pip install 'scimcore[fuzz]'``). Names are imported lazily, so the
``scim-conformance`` command line (which adds the ``fuzz`` subcommand) works without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fuzz._concurrent import RaceSetupError
    from conformance.fuzz._findings import Finding, KnownFileError, load_known
    from conformance.fuzz._machine import FuzzEnv, FuzzMachine, machine_for
    from conformance.fuzz._race import Race, RaceFileError, RaceReplay, load_race, replay_race
    from conformance.fuzz._recording import to_recording
    from conformance.fuzz._run import FuzzResult, fuzz, reference_transport
    from conformance.fuzz._traffic import Divergence

_EXPORTS = {
    "Divergence": "conformance.fuzz._traffic",
    "Finding": "conformance.fuzz._findings",
    "KnownFileError": "conformance.fuzz._findings",
    "load_known": "conformance.fuzz._findings",
    "FuzzEnv": "conformance.fuzz._machine",
    "FuzzMachine": "conformance.fuzz._machine",
    "FuzzResult": "conformance.fuzz._run",
    "fuzz": "conformance.fuzz._run",
    "machine_for": "conformance.fuzz._machine",
    "Race": "conformance.fuzz._race",
    "RaceFileError": "conformance.fuzz._race",
    "RaceReplay": "conformance.fuzz._race",
    "RaceSetupError": "conformance.fuzz._concurrent",
    "load_race": "conformance.fuzz._race",
    "replay_race": "conformance.fuzz._race",
    "reference_transport": "conformance.fuzz._run",
    "to_recording": "conformance.fuzz._recording",
}

__all__ = [
    "Divergence",
    "Finding",
    "FuzzEnv",
    "FuzzMachine",
    "FuzzResult",
    "KnownFileError",
    "Race",
    "RaceFileError",
    "RaceReplay",
    "RaceSetupError",
    "fuzz",
    "load_known",
    "load_race",
    "machine_for",
    "reference_transport",
    "replay_race",
    "to_recording",
]

if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'conformance.fuzz' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
