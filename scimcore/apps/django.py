"""Django's auth tables as the application store: ``auth_user``, ``auth_group`` and membership.

::

    from scimcore.apps.django import django_hasher, django_store, sqlalchemy_url
    from django.conf import settings

    store = django_store(sqlalchemy_url(settings.DATABASES["default"]), idp="okta")
    config = ServiceConfig(..., password_hasher=django_hasher().hash)

Every row of ``auth_user`` is a SCIM User and every ``auth_group`` a Group, whoever created them
(``createsuperuser``, the admin, ``User.objects.create_user``, the IdP). A pushed password is
stored in Django's own ``pbkdf2_sha256$…`` format, so ``check_password`` accepts it; ``active``
is ``is_active``, which Django's ``ModelBackend`` checks at every login and for every session.
Django itself is not imported here: the tables are reached with SQLAlchemy (the ``app`` extra)
through the database settings Django uses.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import ConfigurationError
from scimcore.mapping import AttributeMapping, mapping_from_dict, register_transform
from scimcore.passwords import DjangoPbkdf2Hasher
from scimcore.store._groups import TableGroups

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

    from scimcore.store import TableStore

__all__ = [
    "DEPROVISION_MODES",
    "IDPS",
    "NAMESPACE",
    "DjangoGroups",
    "database_from_url",
    "django_hasher",
    "django_mapping",
    "django_store",
    "sqlalchemy_url",
]

#: The SCIM ids of a Django site's users and groups: ``uuid5(NAMESPACE, "User:<pk>")``.
NAMESPACE = uuid.UUID("5c1b9a8e-3f0d-5d2a-9a57-6a1f4d2e8b01")

#: The IdPs whose email rule :func:`django_mapping` knows.
IDPS = ("okta", "jumpcloud", "miniorange", "entra")

#: ``deactivate``: a DELETE sets ``is_active`` false and keeps the row (Django's own advice);
#: ``delete``: it deletes the user with its group and permission rows and admin log entries.
DEPROVISION_MODES = ("deactivate", "delete")

# Tables of django.contrib that point at auth_group (and, in _DjangoHooks, at the user table) and
# that Django's ORM would clear (on_delete=CASCADE, emulated by Django) when one is deleted.
_GROUP_DEPENDENTS = (("auth_group_permissions", "group_id"),)

# Django's blank text columns are NOT NULL: a SCIM attribute without a value is "" there.
_TEXT_RULE: dict[str, Any] = {"to_app": {"default": ""}, "to_scim": "call:django_blank"}

_EMAIL_PATH = {
    "okta": "emails[primary eq true].value",
    "jumpcloud": 'emails[type eq "work"].value',
    "miniorange": 'emails[type eq "work"].value',
    "entra": 'emails[type eq "work"].value',
}


def _register_transforms() -> None:
    register_transform("django_blank", lambda value: value if value not in ("", None) else None)
    register_transform("django_bool", lambda value: bool(value) if value is not None else None)


def django_mapping(idp: str | None = None) -> AttributeMapping:
    """SCIM User ⇄ ``auth_user`` columns; ``idp`` picks which email goes to ``email``.

    ``userName`` → ``username``, ``name.givenName`` → ``first_name``, ``name.familyName`` →
    ``last_name``, the IdP's email (Okta: the primary one; JumpCloud, miniOrange, Entra: the
    ``work`` one) → ``email``, ``active`` → ``is_active`` (true when not sent) and the hashed
    password → ``password`` (written, never read back). Everything else (``externalId``,
    ``displayName``, the rest of ``emails``) lives in the store's side table.
    """
    name = (idp or "okta").lower()
    if name not in _EMAIL_PATH:
        raise ConfigurationError(f"no Django mapping for the IdP {idp!r}; choose one of {IDPS}")
    _register_transforms()
    rules: list[dict[str, Any]] = [
        {"scim": "userName", "field": "username", "required": True},
        {"scim": "name.givenName", "field": "first_name", **_TEXT_RULE},
        {"scim": "name.familyName", "field": "last_name", **_TEXT_RULE},
        {"scim": _EMAIL_PATH[name], "field": "email", **_TEXT_RULE},
        {
            "scim": "active",
            "field": "is_active",
            "to_app": [{"default": True}, "call:django_bool"],
            "to_scim": "call:django_bool",
        },
        {"scim": "password", "field": "password", "direction": "to_app"},
    ]
    return mapping_from_dict({"rules": rules})


def django_hasher(iterations: int | None = None) -> DjangoPbkdf2Hasher:
    """Django's PBKDF2-SHA256 hasher, with Django's own iteration count when Django is here."""
    if iterations is None:
        try:
            from django.contrib.auth.hashers import PBKDF2PasswordHasher
        except ImportError:
            return DjangoPbkdf2Hasher()
        iterations = int(PBKDF2PasswordHasher.iterations)
    return DjangoPbkdf2Hasher(iterations=iterations)


_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgresql": "django.db.backends.postgresql",
    "postgres": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}
_DRIVERS = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql+psycopg",
    "django.db.backends.mysql": "mysql+pymysql",
}


def database_from_url(url: str) -> dict[str, Any]:
    """A Django ``DATABASES`` entry for a URL: ``sqlite:///site.db``, ``postgresql://u:p@h/db``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"{url!r} is not a database URL: {exc}") from exc
    engine = _ENGINES.get(parsed.get_backend_name())
    if engine is None:
        raise ConfigurationError(
            f"{url!r}: Django's example supports sqlite, postgresql and mysql URLs"
        )
    if engine == _ENGINES["sqlite"]:
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigurationError(f"{url!r}: give SQLite a file (two processes share it)")
        return {"ENGINE": engine, "NAME": parsed.database}
    return {
        "ENGINE": engine,
        "NAME": parsed.database or "",
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.host or "",
        "PORT": str(parsed.port or ""),
    }


def sqlalchemy_url(database: Mapping[str, Any]) -> URL:
    """The SQLAlchemy URL of a Django ``DATABASES`` entry (SQLite, PostgreSQL, MySQL/MariaDB)."""
    from sqlalchemy.engine import URL

    engine = str(database.get("ENGINE", ""))
    driver = _DRIVERS.get(engine)
    if driver is None:
        raise ConfigurationError(f"no SQLAlchemy driver for the Django database engine {engine!r}")
    name = str(database.get("NAME") or "")
    if driver == "sqlite":
        return URL.create("sqlite", database=name)
    port = database.get("PORT")
    return URL.create(
        driver,
        username=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=int(port) if port else None,
        database=name or None,
    )


@attrs.frozen
class _DjangoHooks:
    """What Django's ORM does around a user's deletion that the tables alone do not."""

    user_table: str = "auth_user"

    def before_delete(self, conn: Connection, key: Any) -> None:
        """Delete the user's group and permission rows and admin log entries (ORM cascade);
        a custom user model's many-to-many tables are named after its table, as Django does."""
        dependents = (
            (f"{self.user_table}_groups", "user_id"),
            (f"{self.user_table}_user_permissions", "user_id"),
            ("django_admin_log", "user_id"),
        )
        _delete_dependents(conn, dependents, key)


def _delete_dependents(conn: Connection, dependents: Any, key: Any) -> None:
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    for table, column in dependents:
        if inspector.has_table(table):
            rows = sa.table(table, sa.column(column))
            conn.execute(sa.delete(rows).where(rows.c[column] == key))


def _unusable_password(row: Mapping[str, Any]) -> str:
    """What ``set_unusable_password`` stores: ``!`` and 40 random characters."""
    return "!" + secrets.token_urlsafe(30)[:40]


def _now(row: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.define
class DjangoGroups(TableGroups):
    """``auth_group`` and ``auth_user_groups``; a deleted group's permission rows go with it."""

    def delete(self, conn: Connection, key: Any) -> None:
        """Delete the group's ``auth_group_permissions`` rows, its memberships, then the group."""
        _delete_dependents(conn, _GROUP_DEPENDENTS, key)
        super().delete(conn, key)


def django_store(
    database: str | URL | Engine,
    *,
    idp: str | None = None,
    deprovision: str = "deactivate",
    user_table: str = "auth_user",
    groups: bool = True,
    namespace: uuid.UUID = NAMESPACE,
) -> TableStore:
    """The :class:`~scimcore.store.TableStore` over a Django site's auth tables.

    ``database`` is an SQLAlchemy URL or Engine for the database in Django's ``DATABASES``
    (:func:`sqlalchemy_url` converts the entry). ``user_table`` names the table of a custom user
    model with the same columns (``AbstractUser``). Groups are ``auth_group`` with membership in
    ``auth_user_groups`` unless ``groups`` is false. The store adds two tables of its own,
    ``scim_resource`` (SCIM ids, versions, externalId) and ``scim_audit``.
    """
    if deprovision not in DEPROVISION_MODES:
        raise ConfigurationError(
            f"deprovision must be one of {DEPROVISION_MODES}, not {deprovision!r}"
        )
    from scimcore.store import TableStore, UserTable

    users = UserTable(
        table=user_table,
        key="id",
        mapping=django_mapping(idp),
        on_insert={
            "password": _unusable_password,
            "is_superuser": lambda row: False,
            "is_staff": lambda row: False,
            "date_joined": _now,
        },
        hooks=_DjangoHooks(user_table),
        deprovision=deprovision,
        created="date_joined",
    )
    group_source: DjangoGroups | None = None
    if groups:
        group_source = DjangoGroups(
            table="auth_group",
            key="id",
            name="name",
            membership=f"{user_table}_groups",
            member_user="user_id",
            member_group="group_id",
        )
    return TableStore(database, users=users, groups=group_source, namespace=namespace)
