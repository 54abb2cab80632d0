"""Keep secrets out of every report: Authorization values, cookies and the token itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["REDACTED", "Redactor"]

REDACTED = "***"
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)


class Redactor:
    """Replaces known secrets in text and secret header values.

    Every string given as a secret is removed wherever it appears; ``Authorization`` headers keep
    their scheme (``Bearer ***``) so a report still shows how the request authenticated.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        """``value`` with every secret replaced."""
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return value

    def bytes(self, value: bytes) -> bytes:
        """Raw bytes with every secret replaced."""
        for secret in self.secrets:
            value = value.replace(secret.encode("utf-8"), REDACTED.encode("utf-8"))
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with secret values masked and secrets removed from the rest."""
        out: dict[str, str] = {}
        for name, value in headers.items():
            if name.lower() in _SECRET_HEADERS:
                scheme, _, rest = value.partition(" ")
                out[name] = f"{scheme} {REDACTED}" if rest else REDACTED
            else:
                out[name] = self.text(value)
        return out
