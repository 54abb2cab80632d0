"""Password hashers: each format round-trips and is accepted by the software that consumes it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.passwords import (
    BcryptHasher,
    DjangoPbkdf2Hasher,
    MagentoHasher,
    PasswordHasher,
    ScryptHasher,
    hasher_for,
)

HASHERS: dict[str, PasswordHasher] = {
    "scrypt": ScryptHasher(),
    "bcrypt": BcryptHasher(rounds=4),
    "django": DjangoPbkdf2Hasher(iterations=1_000),
    "magento": MagentoHasher(),
    "magento-sha256": MagentoHasher(version=1),
}


@pytest.mark.parametrize("name", sorted(HASHERS))
def test_round_trip_and_refusal(name: str) -> None:
    hasher = HASHERS[name]
    hashed = hasher.hash("Sup3rSecretPass!")
    assert "Sup3rSecretPass!" not in hashed
    assert hasher.identify(hashed)
    assert hasher.verify("Sup3rSecretPass!", hashed)
    assert not hasher.verify("Sup3rSecretPass?", hashed)
    assert not hasher.verify("Sup3rSecretPass!", "not a hash")
    assert hasher.hash("Sup3rSecretPass!") != hashed  # salted


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s))
def test_django_format_round_trips_any_text(password: str) -> None:
    hasher = HASHERS["django"]
    assert hasher.verify(password, hasher.hash(password))


def test_bcrypt_writes_php_prefix() -> None:
    assert BcryptHasher(rounds=4).hash("x").startswith("$2y$04$")


def test_magento_sha256_is_salt_then_password() -> None:
    salt = "a" * 32
    digest = hashlib.sha256((salt + "pw").encode()).hexdigest()
    assert MagentoHasher().verify("pw", f"{digest}:{salt}:1")


def test_magento_versioned_argon_suffix_accepted() -> None:
    digest, salt, _ = MagentoHasher().hash("pw").split(":")
    assert MagentoHasher().verify("pw", f"{digest}:{salt}:3_32_2_67108864")
    assert not MagentoHasher().verify("pw", f"{digest}:{salt}:9")


def test_hasher_for_names() -> None:
    assert isinstance(hasher_for("WordPress"), BcryptHasher)
    assert isinstance(hasher_for("drupal"), BcryptHasher)
    assert isinstance(hasher_for("django"), DjangoPbkdf2Hasher)
    assert isinstance(hasher_for("magento"), MagentoHasher)
    assert isinstance(hasher_for("scrypt"), ScryptHasher)
    with pytest.raises(ValueError, match="unknown password hasher"):
        hasher_for("md5")


def _php(code: str) -> str:
    php = shutil.which("php")
    if php is None:
        pytest.skip("php-cli is not installed: cannot check the hash with PHP")
    return subprocess.run([php, "-r", code], capture_output=True, text=True, check=True).stdout


def test_php_password_verify_accepts_bcrypt() -> None:
    hashed = BcryptHasher(rounds=4).hash("Sup3rSecretPass!")
    code = f"echo password_verify('Sup3rSecretPass!', '{hashed}') ? 'yes' : 'no';"
    assert _php(code) == "yes"
    code = f"echo password_verify('wrong', '{hashed}') ? 'yes' : 'no';"
    assert _php(code) == "no"


def test_php_sodium_accepts_magento_argon2id13() -> None:
    digest, salt, version = MagentoHasher().hash("Sup3rSecretPass!").split(":")
    probe = "echo function_exists('sodium_crypto_pwhash') ? 'y' : 'n';"
    if _php(probe) != "y":
        pytest.skip("PHP has no sodium extension: cannot check Magento's argon2id13")
    code = (
        "echo bin2hex(sodium_crypto_pwhash(32, 'Sup3rSecretPass!', "
        f"substr('{salt}', 0, 16), SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE, "
        "SODIUM_CRYPTO_PWHASH_MEMLIMIT_INTERACTIVE, SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));"
    )
    assert version == "2"
    assert _php(code) == digest


def test_magento_version_3_writes_the_agnostic_tag() -> None:
    hashed = MagentoHasher(version=3).hash("pw")
    digest, salt, version = hashed.split(":")
    assert version == "3_32_2_67108864" and len(digest) == 64 and len(salt) == 32
    assert MagentoHasher().verify("pw", hashed) and not MagentoHasher().verify("px", hashed)
    assert len(hashed) <= 128  # customer_entity.password_hash is varchar(128)


def test_django_check_password_accepts_pbkdf2() -> None:
    pytest.importorskip("django", reason="Django is not installed (the test extra has it)")
    from django.conf import settings as django_settings

    if not django_settings.configured:
        django_settings.configure(
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ]
        )
    from django.contrib.auth.hashers import check_password

    hashed = DjangoPbkdf2Hasher(iterations=1_000).hash("Sup3rSecretPass!")
    assert check_password("Sup3rSecretPass!", hashed)
    assert not check_password("wrong", hashed)
