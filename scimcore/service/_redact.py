"""Scrubbing what must not be stored: token-like values in URLs, text a database cannot hold."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

_REDACTED = "[redacted]"

# a name that looks like a credential, then = or : and the value (up to a separator)
_TOKENISH = re.compile(
    r"(?i)((?:access_?token|id_?token|refresh_?token|token|api_?key|apikey|secret|password"
    r"|passwd|pwd|authorization|bearer|signature|session_?id|sessionid)\s*(?:=|:|%3d|%3a))"
    r"([^&;#/?\s'\"]*)"
)
_BEARER = re.compile(r"(?i)(bearer\s+|bearer%20)([A-Za-z0-9._~+/=-]+)")
_MAYBE = re.compile(r"[=:%\s]")
"""What every match of the two patterns above (or a percent-encoding) contains."""


def redact_url(path: str) -> str:
    """``path`` with every token-looking value (``access_token=…``, ``token=…``) redacted.

    The path is also checked percent-decoded (``Users%3Faccess_token%3D…``): when decoding
    reveals a secret, the decoded, redacted form is returned, so nothing secret survives in
    either spelling.
    """
    if _MAYBE.search(path) is None:
        return path  # no "=", ":", "%" nor space: nothing to decode, no pattern can match
    out = _BEARER.sub(lambda m: m.group(1) + _REDACTED, _TOKENISH.sub(_sub, path))
    decoded = path
    for _ in range(3):  # doubly encoded paths too
        nxt = unquote(decoded)
        if nxt == decoded:
            break
        decoded = nxt
    if decoded != path:
        scrubbed = _BEARER.sub(lambda m: m.group(1) + _REDACTED, _TOKENISH.sub(_sub, decoded))
        if scrubbed != decoded:
            return scrubbed
    return out


def _sub(match: re.Match[str]) -> str:
    return match.group(1) + (_REDACTED if match.group(2) else "")


def storable_text(text: str) -> str:
    """``text`` with NUL and unpaired surrogates spelled out (``\\x00``, ``\\ud800``).

    PostgreSQL refuses both in ``text`` and ``jsonb``; SQLite and JSON encoders choke on
    surrogates. Audit records keep what the client sent, readably, without failing the write.
    """
    if "\x00" not in text and not _has_surrogate(text):
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(value: Any) -> Any:
    """A copy of a JSON value with every string (keys too) made :func:`storable_text`."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
