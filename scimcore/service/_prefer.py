"""The ``Prefer`` request header (RFC 7240): which reply a client asks for with ``return=``."""

from __future__ import annotations

from typing import Literal

Return = Literal["minimal", "representation"]


def prefer_return(header: str | None) -> Return | None:
    """The ``return`` preference of a ``Prefer`` header, or None (absent or unknown).

    Preferences are comma-separated, each ``token[=value]`` with ``;``-separated parameters;
    names compare without case, a value may be quoted (RFC 7240 §2). The first ``return``
    wins (§2: a repeated preference uses the first). An unknown value is ignored, as any
    preference a server does not understand is (§2).
    """
    if not header:
        return None
    for preference in header.split(","):
        name, _, value = preference.split(";", 1)[0].partition("=")
        if name.strip().lower() != "return":
            continue
        chosen = value.strip().strip('"').lower()
        if chosen == "minimal":
            return "minimal"
        if chosen == "representation":
            return "representation"
        return None
    return None
