"""examples/django on SQLite and PostgreSQL, checked with Django's ORM in a child process.

Each test runs ``tests/_django_example.py`` in its own process (Django's settings are global) on
a fresh database: a new SQLite file, or a PostgreSQL database created for the test and dropped
when the module is done. The child migrates, drives the site over SCIM through Django's test
client and reports what ``User.objects``, ``check_password``, ``authenticate`` and
``user.groups`` say.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._databases import postgres_databases

pytest.importorskip("django", reason="Django is in the django extra")
pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
IDPS = ["jumpcloud", "okta", "miniorange"]


def _has_table_store() -> bool:
    import scimcore.store

    return hasattr(scimcore.store, "TableStore")


def _has_groups() -> bool:
    """Groups in the application store: its transactions answer member questions (MemberDeltas)."""
    try:
        from scimcore.store._tabletx import TableTransaction
    except ImportError:
        return False
    return hasattr(TableTransaction, "member_count")


needs_store = pytest.mark.skipif(
    not _has_table_store(), reason="scimcore.store.TableStore (issue #14) is not on this branch"
)

needs_groups = pytest.mark.skipif(
    not _has_groups(), reason="the application store's groups (issue #14) are not on this branch"
)


@pytest.fixture(scope="module")
def pg_databases(request: pytest.FixtureRequest) -> Iterator[Callable[[str | None], str]]:
    """A factory of fresh PostgreSQL databases (empty, or copies of a template database named
    by the argument), all dropped at the end of the module."""
    with postgres_databases("scimcore_django", "postgresql") as create:
        yield create


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend, as ``DJANGO_DB_URL``."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'site.db'}"
    factory: Callable[[str | None], str] = request.getfixturevalue("pg_databases")
    return factory(None)


@pytest.fixture(scope="module")
def templates() -> dict[str, str]:
    """Backend -> a database ``migrate`` has run on once for the module (filled lazily)."""
    return {}


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    templates: dict[str, str],
) -> str:
    """A fresh database of each backend holding Django's migrated tables and no rows.

    A copy of a template migrated once per module (the file, or ``CREATE DATABASE … TEMPLATE``):
    every test still starts from its own database, without ``migrate``'s cost each time.
    """
    backend = request.param
    pg: Callable[[str | None], str] | None = None
    if backend == "postgresql":
        pg = request.getfixturevalue("pg_databases")
    if backend not in templates:
        if pg is None:
            where = tmp_path_factory.mktemp("django-template")
            templates[backend] = f"sqlite:///{where / 'site.db'}"
        else:
            templates[backend] = pg(None)
        run_example(templates[backend], tmp_path, "setup")
    if pg is None:
        target = tmp_path / "site.db"
        shutil.copyfile(templates[backend].removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    return pg(templates[backend])


def run_example(db_url: str, cwd: Path, *args: str, **env: str) -> dict[str, Any]:
    """Run one scenario of ``tests/_django_example.py`` against ``db_url``; its facts."""
    child_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
        "DJANGO_DB_URL": db_url,
        "DJANGO_PASSWORD_ITERATIONS": "1000",  # fast hashes; check_password reads the count
        **env,
    }
    child_env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests._django_example", *args],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def test_migrate_makes_the_auth_tables_and_the_orm_works(empty_db_url: str, tmp_path: Path) -> None:
    facts = run_example(empty_db_url, tmp_path, "migrate")
    assert facts["vendor"] == empty_db_url.split(":")[0]
    assert {"auth_user", "auth_group", "auth_user_groups"} <= set(facts["tables"])
    assert facts["check_password"] and facts["authenticate"]


@needs_store
def test_users_lifecycle_as_the_orm_sees_it(db_url: str, tmp_path: Path) -> None:
    facts = run_example(db_url, tmp_path, "users")
    assert facts["create"] == 201
    assert facts["orm_after_create"] == ["Ada", "Lovelace", "ada@example.com", True]
    assert facts["hash_format"] == "pbkdf2_sha256"
    assert facts["check_pushed"] and facts["login_pushed"]
    assert facts["patch_password"] in (200, 204)
    assert facts["check_after_patch"] == [True, False]
    assert facts["password_returned"] is False
    assert facts["deactivate"] in (200, 204) and facts["after_deactivate"] == [False, False]
    assert facts["reactivate"] in (200, 204) and facts["after_reactivate"] == [True, True]
    assert facts["site_edit_changes_etag"] == ["Augusta", True]
    # users the site made with create_user, before and after SCIM's first request
    for name in ("before", "after"):
        assert facts[f"listed_{name}"] == [name]
        assert facts[f"post_{name}"] == 409
        assert facts[f"post_{name}_upper"] == 409  # userName is compared case-insensitively
    assert facts["check_before_untouched"]
    assert facts["total"][0] == facts["total"][1] == 3
    # DJANGO_DEPROVISION=deactivate (the default): the row stays, inactive; SCIM says it is gone
    assert facts["delete"] == 204 and facts["get_deleted"] == 404
    assert facts["after_delete"] == [True, False]
    # a later POST of the same userName re-links the same Django user
    assert facts["recreate"] == 201
    assert facts["after_recreate"] == [True, True, True]


@needs_store
def test_delete_mode_deletes_the_user_and_its_memberships(db_url: str, tmp_path: Path) -> None:
    facts = run_example(db_url, tmp_path, "delete_mode", DJANGO_DEPROVISION="delete")
    assert facts == {"delete": 204, "orm_exists": False, "memberships_left": 0, "get_deleted": 404}


@needs_groups
def test_group_membership_is_user_groups(db_url: str, tmp_path: Path) -> None:
    facts = run_example(db_url, tmp_path, "groups")
    assert facts["create_group"] == 201
    assert facts["groups_after_create"] == [["Editors"], []]
    assert facts["add_bob"] in (200, 204) and facts["remove_ada"] in (200, 204)
    assert facts["groups_after_patch"] == [[], ["Editors"]]
    assert facts["rename"] in (200, 204)
    assert facts["orm_group_names"] == ["Authors"]
    # a group made with the ORM is a SCIM group, its members SCIM users
    assert facts["site_group"] == [["Staff", [facts["ada_id"]]]]
    assert facts["groups_of_ada"] == ["Staff"]
    assert facts["dangling_member"] == 400
    assert facts["delete_group"] == 204
    assert facts["orm_after_group_delete"] == [["Staff"], []]


@needs_groups
def test_a_scim_group_is_a_django_group(db_url: str, tmp_path: Path) -> None:
    """``Group.user_set``, ``user.groups`` and ``has_perm`` through the group's permission follow
    SCIM membership; a member that is not a user is 400 and changes nothing; a SCIM DELETE
    removes the group's permission rows and memberships as Django's own delete does."""
    facts = run_example(db_url, tmp_path, "group_orm")
    assert facts["create"] == 201
    assert facts["after_create"] == {
        "user_set": ["ada"],
        "groups": {"ada": ["Editors"], "bob": []},
        "has_perm": {"ada": True, "bob": False},
    }
    assert facts["add_bob"] in (200, 204) and facts["remove_ada"] in (200, 204)
    moved = {
        "user_set": ["bob"],
        "groups": {"ada": [], "bob": ["Editors"]},
        "has_perm": {"ada": False, "bob": True},
    }
    assert facts["after_patch"] == moved
    # RFC 7644 §3.12: a value that is not compatible with the attribute is invalidValue
    assert facts["dangling"] == [400, "invalidValue"]
    assert facts["dangling_changed_nothing"] == [True, True]
    assert facts["after_dangling"] == moved  # ada, valid, was not added either
    assert facts["delete"] == 204 and facts["get_deleted"] == 404
    assert facts["after_delete"] == {
        "group_exists": False,
        "permission_rows": 0,
        "membership_rows": 0,
        "bob_has_perm": False,
        "permission_kept": True,
    }


@needs_store
@pytest.mark.parametrize("idp", IDPS)
def test_idp_user_recordings_against_the_django_site(idp: str, db_url: str, tmp_path: Path) -> None:
    facts = run_example(db_url, tmp_path, "grid", idp, "users", DJANGO_IDP=idp)
    assert facts["failed"] == {}, facts["failed"]
    assert facts["passed"] == len(facts["recordings"]) >= 3


@needs_groups
@pytest.mark.parametrize("idp", IDPS)
def test_idp_group_recordings_against_the_django_site(
    idp: str, db_url: str, tmp_path: Path
) -> None:
    facts = run_example(db_url, tmp_path, "grid", idp, "groups", DJANGO_IDP=idp)
    assert facts["failed"] == {}, facts["failed"]
    assert facts["passed"] == len(facts["recordings"]) >= 1
