"""conformance: replay recorded IdP SCIM traffic against any SCIM endpoint.

The layers: the ``scim-recording/1`` format (:mod:`conformance.recording`) and its loader
(:mod:`conformance.loader`), variables and matchers, transports, the runner, reporters, and the
``scim-conformance`` command line and pytest plugin on top.
"""

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
from conformance.variables import UndefinedVariable, resolve_pointer, substitute

__version__ = "0.1.0"

__all__ = [
    "ABSENT",
    "FORMAT",
    "ConformanceError",
    "Expect",
    "Mismatch",
    "Recording",
    "RecordingError",
    "RequestSpec",
    "Step",
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
    "select",
    "substitute",
]
