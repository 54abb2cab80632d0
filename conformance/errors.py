"""The suite's own errors: a bad recording, a failed transport (never the target's fault)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ConformanceError", "RecordingError", "TransportError"]


class ConformanceError(Exception):
    """Base of the suite's own errors: something is wrong with the run, not with the target."""


class RecordingError(ConformanceError):
    """A recording is unreadable or invalid.

    ``source`` names the file (or ``<dict>``), ``step`` the step's index and name when the problem
    is inside one, and ``json_path`` where in the document the mistake sits
    (``$.steps[2].expect.status``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<dict>",
        json_path: str = "$",
        step: str | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.source = source
        self.json_path = json_path
        self.step = step
        self.problems = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: {self.json_path}"
        if self.step is not None:
            where += f" (step {self.step})"
        text = f"{where}: {self.message}"
        for extra in self.problems:
            text += f"\n  also: {extra}"
        return text


class TransportError(ConformanceError):
    """The request never got an answer (connection refused, timeout, TLS failure, app crash)."""
