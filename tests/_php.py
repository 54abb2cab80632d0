"""Password hashes checked by PHP, as the sites' own code checks them (skipped without PHP)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def magento_hash_accepted(password: str, stored: str) -> bool:
    """Magento 2.4's Encryptor check of ``digest:salt:3_32_2_67108864``, run by PHP: libsodium's
    crypto_pwhash (argon2id13) over the salt's first 16 bytes, hex-compared."""
    php = shutil.which("php")
    if php is None:
        pytest.skip("PHP not installed: the Magento hash is checked with PHP's libsodium")
    check = (
        'if (!function_exists("sodium_crypto_pwhash")) { echo "nosodium"; exit; }'
        "[$pw, $stored] = [$argv[1], $argv[2]];"
        '[$digest, $salt, $version] = explode(":", $stored);'
        '[, $seed, $ops, $mem] = explode("_", $version);'
        "$got = bin2hex(sodium_crypto_pwhash((int)$seed, $pw,"
        " substr($salt, 0, SODIUM_CRYPTO_PWHASH_SALTBYTES), (int)$ops, (int)$mem,"
        " SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));"
        'echo hash_equals($digest, $got) ? "ok" : "no";'
    )
    done = subprocess.run(
        [php, "-r", check, password, stored], capture_output=True, text=True, check=True
    )
    if done.stdout == "nosodium":
        pytest.skip("PHP has no sodium extension: the argon2id hash cannot be checked in PHP")
    return done.stdout == "ok"
