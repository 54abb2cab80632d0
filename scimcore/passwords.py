"""Password hashers for the formats applications store: scrypt, bcrypt, Django, Magento 2.

Every hasher implements :class:`PasswordHasher`; :func:`hasher_for` picks one by name. A hasher's
``hash`` fits ``PasswordPolicy.hasher`` (``Callable[[str], str]``). bcrypt and argon2 come from the
``app`` extra (``bcrypt``, ``argon2-cffi``) and are imported only when used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Protocol, runtime_checkable

from scimcore.policy._password import hash_password, is_hashed, verify_password

__all__ = [
    "BcryptHasher",
    "DjangoPbkdf2Hasher",
    "MagentoHasher",
    "PasswordHasher",
    "ScryptHasher",
    "hasher_for",
]


@runtime_checkable
class PasswordHasher(Protocol):
    """Hashes and verifies passwords in one stored format."""

    def hash(self, password: str) -> str:
        """Return the stored form of ``password`` (random salt)."""
        ...

    def verify(self, password: str, hashed: str) -> bool:
        """True when ``password`` matches ``hashed`` (constant time where possible)."""
        ...

    def identify(self, hashed: str) -> bool:
        """True when ``hashed`` looks like this hasher's format."""
        ...


class ScryptHasher:
    """scimcore's default: ``scrypt$n$r$p$salt$digest`` (standard library)."""

    def hash(self, password: str) -> str:
        """Hash with scrypt."""
        return hash_password(password)

    def verify(self, password: str, hashed: str) -> bool:
        """Verify a scrypt hash."""
        return verify_password(password, hashed)

    def identify(self, hashed: str) -> bool:
        """True for ``scrypt$…``."""
        return is_hashed(hashed)


class BcryptHasher:
    """bcrypt with the ``$2y$`` prefix PHP's ``password_hash`` writes (WordPress, Drupal)."""

    def __init__(self, rounds: int = 10) -> None:
        self.rounds = rounds

    def hash(self, password: str) -> str:
        """Hash with bcrypt; ``$2b$`` is rewritten ``$2y$`` (same algorithm)."""
        import bcrypt

        raw = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(self.rounds)).decode()
        return "$2y$" + raw[4:]

    def verify(self, password: str, hashed: str) -> bool:
        """Verify ``$2y$``/``$2b$``/``$2a$`` hashes."""
        import bcrypt

        if not self.identify(hashed):
            return False
        try:
            return bool(bcrypt.checkpw(password.encode("utf-8"), ("$2b$" + hashed[4:]).encode()))
        except ValueError:
            return False

    def identify(self, hashed: str) -> bool:
        """True for ``$2y$``, ``$2b$`` and ``$2a$`` hashes."""
        return hashed[:4] in ("$2y$", "$2b$", "$2a$") and len(hashed) == 60


class DjangoPbkdf2Hasher:
    """Django's ``pbkdf2_sha256$iterations$salt$hash`` (base64 digest)."""

    def __init__(self, iterations: int = 870_000) -> None:
        self.iterations = iterations

    @staticmethod
    def _digest(password: str, salt: str, iterations: int) -> str:
        raw = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
        return base64.b64encode(raw).decode("ascii").strip()

    def hash(self, password: str) -> str:
        """Hash with PBKDF2-SHA256 and a 22-character alphanumeric salt."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        salt = "".join(secrets.choice(alphabet) for _ in range(22))
        digest = self._digest(password, salt, self.iterations)
        return f"pbkdf2_sha256${self.iterations}${salt}${digest}"

    def verify(self, password: str, hashed: str) -> bool:
        """Verify a Django pbkdf2_sha256 hash."""
        try:
            algorithm, iterations, salt, digest = hashed.split("$", 3)
            if algorithm != "pbkdf2_sha256":
                return False
            got = self._digest(password, salt, int(iterations))
        except ValueError:
            return False
        return hmac.compare_digest(got, digest)

    def identify(self, hashed: str) -> bool:
        """True for ``pbkdf2_sha256$…``."""
        return hashed.startswith("pbkdf2_sha256$") and hashed.count("$") == 3


_MAGENTO_SHA256 = 1
_MAGENTO_ARGON2ID13 = 2
_MAGENTO_ARGON2ID13_AGNOSTIC = 3
#: Magento 2.4's version field for argon2id13 "agnostic": version_seedbytes_opslimit_memlimit.
_MAGENTO_AGNOSTIC_TAG = "3_32_2_67108864"


class MagentoHasher:
    """Magento 2 Encryptor ``hash:salt:version``: argon2id13 (version 2, default), sha256 (1),
    or argon2id13 with its parameters spelt out (3, written ``3_32_2_67108864``, what Magento
    2.4's ``Encryptor::getHash`` writes; same digest as 2).

    argon2id13 is libsodium's ``crypto_pwhash`` with the opslimit/memlimit "interactive" limits,
    a 16-byte salt taken from the first 16 characters of the 32-character salt, 32-byte hex digest.
    sha256 is ``sha256(salt + password)`` hex.
    """

    def __init__(self, version: int = _MAGENTO_ARGON2ID13) -> None:
        if version not in (_MAGENTO_SHA256, _MAGENTO_ARGON2ID13, _MAGENTO_ARGON2ID13_AGNOSTIC):
            raise ValueError(f"unsupported Magento hash version {version}")
        self.version = version

    @staticmethod
    def _hash(password: str, salt: str, version: int) -> str:
        if version not in (_MAGENTO_SHA256, _MAGENTO_ARGON2ID13):
            raise ValueError(f"unsupported Magento hash version {version}")
        if version == _MAGENTO_SHA256:
            return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
        from argon2.low_level import Type, hash_secret_raw

        raw = hash_secret_raw(
            password.encode("utf-8"),
            salt[:16].encode("utf-8"),
            time_cost=2,
            memory_cost=65536,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
            version=19,
        )
        return raw.hex()

    def hash(self, password: str) -> str:
        """Hash with a random 32-character salt."""
        salt = secrets.token_hex(16)
        if self.version == _MAGENTO_ARGON2ID13_AGNOSTIC:
            return (
                f"{self._hash(password, salt, _MAGENTO_ARGON2ID13)}:{salt}:{_MAGENTO_AGNOSTIC_TAG}"
            )
        return f"{self._hash(password, salt, self.version)}:{salt}:{self.version}"

    def verify(self, password: str, hashed: str) -> bool:
        """Verify ``hash:salt:version`` (the last version of a chained hash)."""
        parts = hashed.split(":")
        if len(parts) != 3:
            return False
        digest, salt, version = parts
        try:
            # "2" or Magento 2.4's "3_32_2_67108864" (argon2id13 with its parameters spelt out).
            number = int(version.split("_")[0])
            got = self._hash(password, salt, _MAGENTO_ARGON2ID13 if number == 3 else number)
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(got, digest)

    def identify(self, hashed: str) -> bool:
        """True for ``hexdigest:salt:version``."""
        parts = hashed.split(":")
        return len(parts) == 3 and len(parts[0]) == 64 and parts[2][-1:].isdigit()


def hasher_for(name: str) -> PasswordHasher:
    """The hasher called ``name``: scrypt, bcrypt, wordpress, drupal, django, magento."""
    key = name.lower()
    if key == "scrypt":
        return ScryptHasher()
    if key in ("bcrypt", "wordpress", "drupal"):
        return BcryptHasher()
    if key == "django":
        return DjangoPbkdf2Hasher()
    if key == "magento":
        return MagentoHasher()
    raise ValueError(f"unknown password hasher {name!r}")
