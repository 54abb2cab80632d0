"""scimcore.apps.django without a database: URLs both ways, the mapping, a hash Django accepts."""

from __future__ import annotations

import pytest

from scimcore.apps.django import (
    database_from_url,
    django_hasher,
    django_mapping,
    django_store,
    sqlalchemy_url,
)
from scimcore.errors import ConfigurationError
from tests import _django_support
from tests.test_imports import _loaded, _present

pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ada",
    "name": {"givenName": "Ada"},
    "emails": [
        {"value": "home@example.com", "type": "home"},
        {"value": "ada@example.com", "type": "work", "primary": True},
    ],
    "password": "pbkdf2_sha256$1000$salt$digest",
}


def test_importing_it_imports_neither_django_nor_sqlalchemy() -> None:
    loaded = _loaded("import scimcore.apps.django")
    assert _present(loaded, ["django", "sqlalchemy"]) == []


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("sqlite:///site.db", "django.db.backends.sqlite3", "site.db"),
        ("sqlite:////srv/site.db", "django.db.backends.sqlite3", "/srv/site.db"),
        ("postgresql://app:pw@db.example:5433/site", "django.db.backends.postgresql", "site"),
        ("postgres://app@db.example/site", "django.db.backends.postgresql", "site"),
        ("mysql+pymysql://app:pw@db.example/site", "django.db.backends.mysql", "site"),
    ],
)
def test_database_urls_round_trip(url: str, engine: str, name: str) -> None:
    entry = database_from_url(url)
    assert entry["ENGINE"] == engine and entry["NAME"] == name
    back = sqlalchemy_url(entry)
    assert back.database == name
    if engine.endswith("postgresql"):
        assert back.drivername == "postgresql+psycopg" and back.host == "db.example"
    if "pw@" in url:
        assert back.password == "pw" and entry["PASSWORD"] == "pw"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "oracle://x@y/z", "not a url"])
def test_unusable_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        database_from_url(url)


def test_an_unknown_django_engine_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="oracle"):
        sqlalchemy_url({"ENGINE": "django.db.backends.oracle", "NAME": "x"})


def test_mapping_to_auth_user_columns() -> None:
    record = django_mapping("okta").to_app(USER)
    assert record.fields == {
        "username": "ada",
        "first_name": "Ada",
        "last_name": "",  # NOT NULL in auth_user: blank, not NULL
        "email": "ada@example.com",
        "is_active": True,  # not sent: active
        "password": USER["password"],
    }
    assert django_mapping("jumpcloud").to_app(USER).fields["email"] == "ada@example.com"
    back = django_mapping("okta").to_scim(fields={**record.fields, "is_active": 0})
    assert back["name"] == {"givenName": "Ada"}  # the blank last_name is no familyName
    assert back["active"] is False and "password" not in back


def test_an_unknown_idp_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="okta"):
        django_mapping("nobody")


def test_a_bad_deprovision_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="deactivate"):
        django_store("sqlite:///x.db", deprovision="erase")


def test_django_accepts_the_hash() -> None:
    _django_support.configured()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password

    hashed = django_hasher(1000).hash("correct horse")
    assert check_password("correct horse", hashed) and not check_password("wrong", hashed)
    assert django_hasher().iterations == PBKDF2PasswordHasher.iterations
