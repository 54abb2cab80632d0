"""scimcore.apps.django: URLs both ways, the mapping, a hash Django accepts, a custom user table."""

from __future__ import annotations

from pathlib import Path

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


def test_a_custom_user_models_rows_go_with_the_user(tmp_path: Path) -> None:
    """``user_table="accounts_user"`` (an ``AbstractUser`` subclass): deleting a user deletes its
    rows in ``accounts_user_groups`` and ``accounts_user_user_permissions`` (Django's names for
    that model's many-to-many tables), not rows of ``auth_user_*`` tables."""
    from sqlalchemy import create_engine, text

    from scimcore.service import BearerTokens, ScimService, ServiceConfig
    from tests._service_support import BASE, TOKEN, call

    url = f"sqlite:///{tmp_path / 'site.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        for ddl in _CUSTOM_USER_TABLES:
            conn.exec_driver_sql(ddl)
    store = django_store(url, user_table="accounts_user", deprovision="delete")
    config = ServiceConfig(base_url=BASE, authenticator=BearerTokens.from_tokens({"t": TOKEN}))
    svc = ScimService(store, config)
    try:
        made = call(svc, "POST", "/Users", {k: v for k, v in USER.items() if k != "password"})
        assert made.status == 201, made.body
        with engine.begin() as conn:
            key = conn.execute(text("SELECT id FROM accounts_user")).scalar_one()
            conn.execute(text("INSERT INTO auth_group (id, name) VALUES (7, 'Staff')"))
            for table, column, value in (
                ("accounts_user_groups", "group_id", 7),
                ("accounts_user_user_permissions", "permission_id", 1),
                ("auth_user_user_permissions", "permission_id", 1),  # another model's row
            ):
                conn.execute(
                    text(f"INSERT INTO {table} (user_id, {column}) VALUES (:u, :v)"),
                    {"u": key, "v": value},
                )
        assert call(svc, "DELETE", f"/Users/{made.json()['id']}").status == 204
        with engine.connect() as conn:
            left = {
                t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in (
                    "accounts_user",
                    "accounts_user_groups",
                    "accounts_user_user_permissions",
                    "auth_user_user_permissions",
                )
            }
        assert left == {
            "accounts_user": 0,
            "accounts_user_groups": 0,
            "accounts_user_user_permissions": 0,
            "auth_user_user_permissions": 1,
        }
    finally:
        store.close()
        engine.dispose()


# The tables Django's migrate makes for ``accounts.User(AbstractUser)`` (SQLite), with the auth
# tables it still has; auth_user_user_permissions stands for a table of some other model.
_CUSTOM_USER_TABLES = (
    "CREATE TABLE accounts_user (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
    " password varchar(128) NOT NULL, last_login datetime NULL, is_superuser bool NOT NULL,"
    " username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL,"
    " last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff bool NOT NULL,"
    " is_active bool NOT NULL, date_joined datetime NOT NULL)",
    "CREATE TABLE auth_group (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
    " name varchar(150) NOT NULL UNIQUE)",
    "CREATE TABLE accounts_user_groups (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
    " user_id bigint NOT NULL, group_id integer NOT NULL)",
    "CREATE TABLE accounts_user_user_permissions (id integer NOT NULL PRIMARY KEY"
    " AUTOINCREMENT, user_id bigint NOT NULL, permission_id integer NOT NULL)",
    "CREATE TABLE auth_user_user_permissions (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
    " user_id integer NOT NULL, permission_id integer NOT NULL)",
    "CREATE TABLE auth_group_permissions (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
    " group_id integer NOT NULL, permission_id integer NOT NULL)",
)
