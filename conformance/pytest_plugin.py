"""The pytest plugin of the conformance suite (options and recording items grow here)."""

from __future__ import annotations
