"""Model-based fuzzing: random IdP-shaped traffic checked against scimcore's reference model."""

from conformance.fuzz._machine import FuzzEnv, FuzzMachine, machine_for
from conformance.fuzz._recording import to_recording
from conformance.fuzz._run import FuzzResult, fuzz, reference_transport
from conformance.fuzz._traffic import Divergence

__all__ = [
    "Divergence",
    "FuzzEnv",
    "FuzzMachine",
    "FuzzResult",
    "fuzz",
    "machine_for",
    "reference_transport",
    "to_recording",
]
