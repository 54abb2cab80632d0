"""Password sync: hashing with the standard library (scrypt) and keeping hashes across writes.

``password`` is writeOnly and ``returned: never`` (RFC 7643 §4.1.1): it is stored only as a hash,
never echoed. The hasher is a hook; the default is :func:`hashlib.scrypt` with a random salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from typing import Any

import attrs

_PREFIX = "scrypt$"
_N, _R, _P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash ``password`` with scrypt: ``scrypt$n$r$p$salt$digest`` (base64 parts)."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"{_PREFIX}{_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, hashed: str) -> bool:
    """True when ``password`` matches a hash made by :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, digest = hashed.split("$")
        if scheme != _PREFIX[:-1]:
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def is_hashed(value: str) -> bool:
    """True when ``value`` already looks like a hash this module (default hasher) produced."""
    return value.startswith(_PREFIX) and value.count("$") == 5


@attrs.frozen(slots=True)
class PasswordPolicy:
    """Whether IdP password pushes are kept (hashed) and with which hasher.

    With ``sync`` off a pushed password is dropped (Okta sends one on every create even without
    password sync). ``changePassword`` is advertised in ServiceProviderConfig only when on.
    """

    sync: bool = False
    hasher: Callable[[str], str] = hash_password

    def apply(self, old: Mapping[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
        """Return ``new`` with its password hashed, dropped, or carried over from ``old``.

        A PUT that omits ``password`` (an IdP echoing a GET, which never returns it) keeps the
        stored hash; a PATCH result still holding the stored hash is not hashed twice.
        """
        key = next((k for k in new if k.lower() == "password"), None)
        stored = None
        if old is not None:
            stored = next((v for k, v in old.items() if k.lower() == "password"), None)
        out = dict(new)
        if key is not None:
            value = out.pop(key)
            if self.sync and isinstance(value, str) and value != "":
                out["password"] = value if value == stored else self.hasher(value)
                return out
            if not self.sync and value == stored and stored is not None:
                out["password"] = stored
                return out
            if self.sync and value is None:
                return out  # explicit null clears the password
        if stored is not None and key is None:
            out["password"] = stored
        return out
